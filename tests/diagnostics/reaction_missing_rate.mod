: A reversible reaction `<->` given only one rate (it needs forward and
: backward rates).
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
    ~ C <-> O (kf)
}
