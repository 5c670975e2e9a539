: `PARAMETERS` is not a block keyword (the keyword is `PARAMETER`).
NEURON {
    SUFFIX leak
    NONSPECIFIC_CURRENT i
    RANGE g, e
}

PARAMETERS {
    g = 0.001 (S/cm2)
    e = -65 (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    i = g*(v - e)
}
