: Several independent mistakes in one channel: a misspelled STATE in the
: DERIVATIVE block, a wrong SOLVE method, a PROCEDURE used as a value and an
: unused ASSIGNED.
NEURON {
    SUFFIX hhk
    USEION k READ ek WRITE ik
    RANGE gkbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER { gkbar = 0.036 (S/cm2) }

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    ninf
    ntau (ms)
    gk (S/cm2)
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD cnexpp
    ik = gkbar*n^4*(v - ek)
}

INITIAL {
    ninf = rates(v)
    n = ninf
}

DERIVATIVE states {
    rates(v)
    nn' = (ninf - n)/ntau
}

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v + 55)/10))
    ntau = 5
}
