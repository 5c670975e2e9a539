: `If` in mixed case reads as a call of an undefined function `If`.
NEURON {
    SUFFIX leakish
    NONSPECIFIC_CURRENT i
}

PARAMETER { g = 0.001 (S/cm2) }

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    i = g*v
    If (v > 0) {
        i = 0
    }
}
