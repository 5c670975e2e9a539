: A reaction written with `=` instead of `<->`.
NEURON {
    SUFFIX chan
    RANGE kf, kb
}

PARAMETER {
    kf = 0.1 (/ms)
    kb = 0.05 (/ms)
}

STATE { C O }

BREAKPOINT {
    SOLVE scheme METHOD sparse
}

KINETIC scheme {
    ~ C = O (kf, kb)
}
