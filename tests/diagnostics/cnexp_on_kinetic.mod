: `METHOD cnexp` on a KINETIC block (cnexp only solves DERIVATIVE blocks).
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
    SOLVE scheme METHOD cnexp
}

KINETIC scheme {
    ~ C <-> O (kf, kb)
}
