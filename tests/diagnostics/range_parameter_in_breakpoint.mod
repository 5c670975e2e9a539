: A RANGE PARAMETER changed in BREAKPOINT (it should be ASSIGNED).
NEURON {
    SUFFIX kdr
    USEION k READ ek WRITE ik
    RANGE gbar, gk
}

PARAMETER {
    gbar = 0.036 (S/cm2)
    gk = 0 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gk = gbar*n^4
    ik = gk*(v - ek)
}

DERIVATIVE states {
    n' = (1/(1 + exp(-(v + 55)/10)) - n)/5 (ms)
}
