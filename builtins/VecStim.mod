TITLE VecStim: artificial cell that replays a list of spike times

COMMENT
nmc project model, VERBATIM-free.

The spike times come from the FUNCTION_TABLE stimtime(k): entry k (k = 0,
1, 2, ...) is a time in ms. All instances share one table; instance j
reads the entries first .. first + count - 1, in increasing time order.
So a network's spike trains are stored back to back in one table and each
VecStim gets its own window (first, count).

What the runtime supplies:
  - nmc: fills stimtime from the network's spike input (one table per
    VecStim mechanism, indices 0..N-1 exactly, so no interpolation ever
    happens) and sets first and count of each instance.
  - NEURON: the hoc/Python side calls
        table_stimtime_VecStim(times_vector, index_vector)
    with index_vector = 0, 1, ..., N-1 before finitialize.

INITIAL skips the times before t and schedules a self-event (flag 1) at
the next time; each self-event emits a spike with net_event and schedules
the following one (net_send is only allowed in INITIAL and NET_RECEIVE, so
the PROCEDURE advance() only finds the time). External events (flag 0) and
the weight w are ignored.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL VecStim
    RANGE first, count
}

PARAMETER {
    first = 0 <0, 1e9>
    count = 0 <0, 1e9>
}

ASSIGNED {
    k
    pending
    tnext (ms)
}

FUNCTION_TABLE stimtime(index) (ms)

INITIAL {
    k = 0
    advance()
    if (pending == 1) {
        net_send(tnext - t, 1)
    }
}

PROCEDURE advance() {
    : find the next entry not in the past; pending = 0 when none is left
    while (k < count && stimtime(first + k) < t) {
        k = k + 1
    }
    pending = 0
    if (k < count) {
        tnext = stimtime(first + k)
        k = k + 1
        pending = 1
    }
}

NET_RECEIVE(w) {
    if (flag == 1) {
        net_event(t)
        advance()
        if (pending == 1) {
            net_send(tnext - t, 1)
        }
    }
}
