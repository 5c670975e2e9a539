: A PARAMETER not listed in RANGE (so GLOBAL) is changed in BREAKPOINT.
NEURON {
    SUFFIX leak
    NONSPECIFIC_CURRENT i
    RANGE e
}

PARAMETER {
    g = 0.001 (S/cm2)
    e = -65 (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    g = g*1.01
    i = g*(v - e)
}
