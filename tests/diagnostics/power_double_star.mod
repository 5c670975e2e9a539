: `**` for a power (Python/Fortran habit); NMODL writes `^`.
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
}

STATE { m }

BREAKPOINT {
    i = g*m**3*(v - e)
}
