TITLE cp_watch: threshold detector built from WATCH and self-events

COMMENT
Corpus file. Exercises: WATCH (condition) flag inside NET_RECEIVE's
INITIAL-free form, net_send self-events with flags, net_event, a
POINT_PROCESS that reports upward crossings of a threshold and is
refractory for a fixed time. WATCH statements are (re)armed from
NET_RECEIVE when flag == 1 (the INITIAL net_send(0, 1) idiom).
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_watch
    RANGE thresh, refrac, nspikes
}

UNITS {
    (mV) = (millivolt)
}

PARAMETER {
    thresh = -20 (mV)
    refrac = 2   (ms)
}

ASSIGNED {
    v       (mV)
    nspikes
}

INITIAL {
    nspikes = 0
    net_send(0, 1)
}

NET_RECEIVE(w) {
    if (flag == 1) {
        : arm the detector
        WATCH (v > thresh) 2
    } else if (flag == 2) {
        : crossed: report a spike, then wait out the refractory period
        nspikes = nspikes + 1
        net_event(t)
        net_send(refrac, 1)
    } else {
        : external events reset the count by their weight
        nspikes = nspikes*w
    }
}
