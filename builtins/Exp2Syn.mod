TITLE Exp2Syn: conductance synapse with separate rise and decay time constants

COMMENT
nmc project model, written from the dual-exponential equations.

Two first-order states decay independently,
    A' = -A/tau1      (rise)
    B' = -B/tau2      (decay)
and the conductance is their difference, g = B - A, so a single event gives
    g(t) = w*factor*(exp(-t/tau2) - exp(-t/tau1)).
factor normalises the peak of that curve to w (uS). The peak time is
    tp = tau1*tau2/(tau2 - tau1)*log(tau2/tau1).
To keep the formula finite, INITIAL clamps tau1 into [1e-9*tau2, 0.9999*tau2].
ENDCOMMENT

NEURON {
    POINT_PROCESS Exp2Syn
    RANGE tau1, tau2, e, i, g
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau1 = 0.1 (ms) <1e-9, 1e9>
    tau2 = 10  (ms) <1e-9, 1e9>
    e    = 0   (mV)
}

ASSIGNED {
    v      (mV)
    i      (nA)
    g      (uS)
    factor (1)
}

STATE {
    A (uS)
    B (uS)
}

INITIAL {
    LOCAL tp
    if (tau1/tau2 > 0.9999) {
        tau1 = 0.9999*tau2
    }
    if (tau1/tau2 < 1e-9) {
        tau1 = 1e-9*tau2
    }
    A = 0
    B = 0
    tp = (tau1*tau2)/(tau2 - tau1)*log(tau2/tau1)
    factor = 1/(exp(-tp/tau2) - exp(-tp/tau1))
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    g = B - A
    i = g*(v - e)
}

DERIVATIVE state {
    A' = -A/tau1
    B' = -B/tau2
}

NET_RECEIVE(weight (uS)) {
    A = A + weight*factor
    B = B + weight*factor
}
