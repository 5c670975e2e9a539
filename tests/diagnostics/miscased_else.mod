: `Else` in mixed case: only `else` and `ELSE` are keywords (nocmodl agrees).
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
    IF (v > 0) {
        i = 0
    } Else {
        i = g*v
    }
}
