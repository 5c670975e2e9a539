COMMENT
A test mechanism for WATCH (nmc's own): an integrator m fed by events
(decaying with time constant tau) that resets when it exceeds 1, and a
voltage monitor with hysteresis. Every active WATCH is evaluated at each
threshold check; each crossing runs NET_RECEIVE with the WATCH's flag.

flag 1 (from INITIAL): activate WATCH (m > 1) and WATCH (v > vth)
flag 2: m crossed 1: count it, reset m
flag 3: v rose above vth: count it, watch for v < vth - 5
flag 4: v fell below vth - 5: count it, watch for v > vth
ENDCOMMENT

NEURON {
    POINT_PROCESS WatchIF
    RANGE tau, vth, nm, tm, nup, tup, ndown, tdown
}

PARAMETER {
    tau = 4 (ms)
    vth = -40 (mV)
}

ASSIGNED {
    v (mV)
    nm
    tm (ms)
    nup
    tup (ms)
    ndown
    tdown (ms)
}

STATE { m }

INITIAL {
    m = 0
    nm = 0
    tm = -1
    nup = 0
    tup = -1
    ndown = 0
    tdown = -1
    net_send(0, 1)
}

BREAKPOINT {
    SOLVE decay METHOD cnexp
}

DERIVATIVE decay {
    m' = -m/tau
}

NET_RECEIVE(w) {
    if (flag == 0) {
        m = m + w
    } else if (flag == 1) {
        WATCH (m > 1) 2
        WATCH (v > vth) 3
    } else if (flag == 2) {
        nm = nm + 1
        tm = t
        m = 0
        WATCH (m > 1) 2
        if (nup > ndown) {
            WATCH (v < vth - 5) 4
        } else {
            WATCH (v > vth) 3
        }
    } else if (flag == 3) {
        nup = nup + 1
        tup = t
        WATCH (v < vth - 5) 4
        WATCH (m > 1) 2
    } else if (flag == 4) {
        ndown = ndown + 1
        tdown = t
        WATCH (m > 1) 2
        WATCH (vth < v) 3
    }
}
