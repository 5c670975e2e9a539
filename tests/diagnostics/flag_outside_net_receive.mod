: `flag` read in BREAKPOINT; it only exists inside NET_RECEIVE.
NEURON {
    ARTIFICIAL_CELL Gen
    RANGE on
}

ASSIGNED { on }

BREAKPOINT {
    if (flag == 1) { on = 1 }
}

NET_RECEIVE(w) {
    on = 0
}
