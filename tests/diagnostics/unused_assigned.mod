: An ASSIGNED variable left over from an earlier version and never used.
NEURON {
    SUFFIX leak
    NONSPECIFIC_CURRENT i
    RANGE g, e
}

PARAMETER {
    g = 0.001 (S/cm2)
    e = -65 (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
    gtmp (S/cm2)
}

BREAKPOINT {
    i = g*(v - e)
}
