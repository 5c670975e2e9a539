: The DERIVATIVE block is missing its closing `}`, so the PROCEDURE that
: follows starts inside it.
NEURON {
    SUFFIX kdr
    USEION k READ ek WRITE ik
    RANGE gbar
}

PARAMETER {
    gbar = 0.036 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    ninf
    ntau (ms)
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gbar*n^4*(v - ek)
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n)/ntau

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v + 55)/10))
    ntau = 5
}
