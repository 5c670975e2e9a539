: `net_send` called with only the delay; it takes a delay and a flag.
NEURON {
    ARTIFICIAL_CELL Clock
    RANGE interval
}

PARAMETER { interval = 10 (ms) }

INITIAL {
    net_send(0)
}

NET_RECEIVE(w) {
    net_event(t)
    net_send(interval, 1)
}
