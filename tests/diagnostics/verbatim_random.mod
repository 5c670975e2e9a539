: Random numbers drawn in VERBATIM C code, as in old NetStim variants.
NEURON {
    ARTIFICIAL_CELL NoisyStim
    RANGE interval
}

PARAMETER { interval = 10 (ms) }

ASSIGNED { r }

INITIAL {
VERBATIM
    _lr = nrn_random_pick(_p_donotuse);
ENDVERBATIM
    net_send(interval*r, 1)
}

NET_RECEIVE(w) {
    net_event(t)
}
