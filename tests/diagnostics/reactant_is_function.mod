: A reaction between `C` and `open`, where `open` is a FUNCTION, not a STATE.
NEURON {
    SUFFIX chan
}

PARAMETER { kf = 0.1 (/ms) kb = 0.05 (/ms) }

STATE { C O }

BREAKPOINT {
    SOLVE scheme METHOD sparse
}

KINETIC scheme {
    ~ C <-> open (kf, kb)
}

FUNCTION open() {
    open = O
}
