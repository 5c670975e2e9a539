TITLE cp_events: synapse with delayed release, exercising every event call

COMMENT
Corpus file. Exercises: NET_RECEIVE with several arguments (per-connection
state), an INITIAL block nested in NET_RECEIVE, the flag variable,
net_send with a computed delay, net_move of a pending self-event,
net_event, if / else if / else on flag.
An input event (flag 0) schedules a release after latency; a second input
before the release moves the pending release later (net_move); the release
(flag 1) opens the conductance and re-emits the event (net_event).
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_events
    RANGE tau, e, latency, i
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau     = 3   (ms)
    e       = 0   (mV)
    latency = 0.5 (ms)
}

ASSIGNED {
    v       (mV)
    i       (nA)
    pending
    tpend   (ms)
}

STATE {
    g (uS)
}

INITIAL {
    g = 0
    pending = 0
    tpend = 0
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    i = g*(v - e)
}

DERIVATIVE state {
    g' = -g/tau
}

NET_RECEIVE(weight (uS), nrecv, tlast (ms)) {
    INITIAL {
        nrecv = 0
        tlast = -1e9
    }
    if (flag == 0) {
        nrecv = nrecv + 1
        tlast = t
        if (pending == 0) {
            pending = 1
            tpend = t + latency
            net_send(latency, 1)
        } else {
            : already waiting: postpone the release
            tpend = tpend + latency
            net_move(tpend)
        }
    } else if (flag == 1) {
        pending = 0
        g = g + weight
        net_event(t)
    } else {
        UNITSOFF
        printf("cp_events: unexpected flag %g at t = %g (last input %g)\n", flag, t, tlast)
        UNITSON
    }
}
