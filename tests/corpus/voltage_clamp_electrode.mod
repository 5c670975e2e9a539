TITLE cp_vclamp: single-level voltage clamp through a series resistance

COMMENT
Corpus file. Exercises: ELECTRODE_CURRENT in a POINT_PROCESS without a
POINTER, a clamp active between two times (dur and amp RANGE
parameters), a resistance in megohms (mV/nA = megohm), t in a condition,
an ASSIGNED holding the commanded potential.
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_vclamp
    ELECTRODE_CURRENT i
    RANGE rs, ton, dur, amp, i, vc
}

UNITS {
    (nA)   = (nanoamp)
    (mV)   = (millivolt)
    (Mohm) = (megohm)
}

PARAMETER {
    rs  = 1    (Mohm) <1e-9, 1e9>
    ton = 10   (ms)
    dur = 20   (ms)   <0, 1e9>
    amp = -40  (mV)
}

ASSIGNED {
    v  (mV)
    i  (nA)
    vc (mV)
}

INITIAL {
    vc = v
    i = 0
}

BREAKPOINT {
    if (t >= ton && t < ton + dur) {
        vc = amp
        i = (vc - v)/rs
    } else {
        vc = v
        i = 0
    }
}
