TITLE SEClamp: single-electrode voltage clamp with three levels

COMMENT
nmc's version of NEURON's built-in SEClamp, written from its published
behaviour. An ideal voltage source vc drives the cell through the series
resistance rs (megohm):
    i = (vc - v)/rs   (nA; an ELECTRODE_CURRENT, so positive i depolarises)
The command is amp1 for 0 <= t < dur1, amp2 until dur1 + dur2, amp3 until
dur1 + dur2 + dur3; after that the clamp is off (vc = 0, i = 0).

The current is computed twice per step: in the BREAKPOINT at mid-step (what
the implicit solve uses, with di/dv from the v + 0.001 evaluation), and
again after the voltage update (SOLVE ... METHOD after_cvode), so that the
recorded i is (vc - v)/rs with the new v.
ENDCOMMENT

NEURON {
    POINT_PROCESS SEClamp
    ELECTRODE_CURRENT i
    RANGE dur1, amp1, dur2, amp2, dur3, amp3, rs, vc, i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (Mohm) = (megohm)
}

PARAMETER {
    rs   = 1 (Mohm) <1e-9, 1e9>
    dur1 = 0 (ms)
    amp1 = 0 (mV)
    dur2 = 0 (ms) <0, 1e9>
    amp2 = 0 (mV)
    dur3 = 0 (ms) <0, 1e9>
    amp3 = 0 (mV)
}

ASSIGNED {
    v   (mV)
    i   (nA)
    vc  (mV)
    tc2 (ms)
    tc3 (ms)
    on
}

INITIAL {
    tc2 = dur1 + dur2
    tc3 = tc2 + dur3
    on = 0
}

BREAKPOINT {
    SOLVE clamp_current METHOD after_cvode
    command()
}

PROCEDURE clamp_current() {
    if (on) {
        i = (vc - v)/rs
    } else {
        i = 0
    }
}

PROCEDURE command() {
    : the level in force at time t, then the current it drives
    on = 1
    if (t < dur1) {
        vc = amp1
    } else if (t < tc2) {
        vc = amp2
    } else if (t < tc3) {
        vc = amp3
    } else {
        vc = 0
        on = 0
    }
    clamp_current()
}
