: NONSPECIFIC_CURRENT `il` is not declared in ASSIGNED.
NEURON {
    SUFFIX leak
    NONSPECIFIC_CURRENT il
    RANGE gl, el
}

PARAMETER {
    gl = 0.0003 (S/cm2)
    el = -54.3 (mV)
}

ASSIGNED { v (mV) }

BREAKPOINT {
    il = gl*(v - el)
}
