: `SOLV` instead of `SOLVE` in BREAKPOINT.
NEURON {
    SUFFIX kdr
    USEION k READ ek WRITE ik
    RANGE gbar
}

PARAMETER { gbar = 0.036 (S/cm2) }

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
}

STATE { n }

BREAKPOINT {
    SOLV states METHOD cnexp
    ik = gbar*n^4*(v - ek)
}

DERIVATIVE states {
    n' = (1/(1 + exp(-(v + 55)/10)) - n)/5 (ms)
}
