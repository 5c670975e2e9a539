: `if (flag = 1)`: a single `=` where a comparison `==` is meant.
NEURON {
    POINT_PROCESS Syn
    RANGE tau
}

PARAMETER { tau = 2 (ms) }

STATE { g (uS) }

BREAKPOINT {
    SOLVE state METHOD cnexp
}

DERIVATIVE state { g' = -g/tau }

NET_RECEIVE(w (uS)) {
    if (flag = 1) {
        g = g + w
    }
}
