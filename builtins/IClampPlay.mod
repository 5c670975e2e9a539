TITLE IClampPlay: an IClamp whose amplitude a stepped waveform sets

COMMENT
nmc project model. The IClamp of builtins/IClamp.mod (amp nA for
del <= t < del + dur, zero otherwise) plus a NET_RECEIVE that sets amp to
the event's weight. nmc gives BMTK's waveform current clamps (`csv`,
`nwb` inputs, which NEURON plays into an IClamp's amp with
Vector.play(&amp, dt)) this way: one event per waveform sample, delivered
at the sample's time like NEURON's play events, weight = the sample.
ENDCOMMENT

NEURON {
    POINT_PROCESS IClampPlay
    RANGE del, dur, amp, i
    ELECTRODE_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
}

PARAMETER {
    del = 0 (ms)
    dur = 0 (ms) <0, 1e9>
    amp = 0 (nA)
}

ASSIGNED {
    i (nA)
}

INITIAL {
    i = 0
}

BREAKPOINT {
    if (t >= del && t < del + dur) {
        i = amp
    } else {
        i = 0
    }
}

NET_RECEIVE(w (nA)) {
    amp = w
}
