TITLE cp_early: the one VERBATIM idiom nmc accepts (early return)

COMMENT
Corpus file. Exercises: a VERBATIM block whose only content is "return;",
inside if (t < 0) in NET_RECEIVE: NEURON's C returns from the event
handler early; nmc treats it as "ignore events before t = 0". Also: an
ExpSyn-like POINT_PROCESS around it.
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_early
    RANGE tau, e, i
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau = 2   (ms)
    e   = -80 (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
}

STATE {
    g (uS)
}

INITIAL {
    g = 0
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE state {
    g' = -g/tau
}

NET_RECEIVE(weight (uS)) {
    if (t < 0) {
    VERBATIM
        return;
    ENDVERBATIM
    }
    g = g + weight
}
