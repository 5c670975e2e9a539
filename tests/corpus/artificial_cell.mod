TITLE cp_ifcell: leaky integrate-and-fire ARTIFICIAL_CELL with analytic update

COMMENT
Corpus file. Exercises: ARTIFICIAL_CELL, state kept in ASSIGNED variables
and advanced analytically in NET_RECEIVE (no BREAKPOINT), net_send for the
refractory period and for a predicted threshold crossing, net_move,
net_event, FUNCTION and PROCEDURE called from NET_RECEIVE, log and exp.
The membrane variable m relaxes to minf with time constant tau; each input
adds its weight; m >= 1 fires.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL cp_ifcell
    RANGE tau, refrac, minf, m
}

PARAMETER {
    tau    = 10  (ms) <1e-9, 1e9>
    refrac = 5   (ms) <0, 1e9>
    minf   = 0.5
}

ASSIGNED {
    m
    t0         (ms)
    refractory
}

INITIAL {
    m = 0
    t0 = t
    refractory = 0
    if (minf > 1) {
        : a pending self-event must exist before NET_RECEIVE may net_move it
        net_send(firetime(), 4)
    }
}

FUNCTION mnow() {
    mnow = minf + (m - minf)*exp(-(t - t0)/tau)
}

PROCEDURE update() {
    m = mnow()
    t0 = t
}

FUNCTION firetime() (ms) {
    : time until m reaches 1 when minf > 1, else a very large number
    if (minf > 1 && m < 1) {
        firetime = tau*log((minf - m)/(minf - 1))
    } else {
        firetime = 1e9
    }
}

NET_RECEIVE(w) {
    if (refractory == 0) {
        update()
        if (flag == 0) {
            m = m + w
        }
        if (m > 0.999999) {
            net_event(t)
            refractory = 1
            m = 0
            net_send(refrac, 3)
        } else if (flag == 0 && minf > 1) {
            net_move(t + firetime())
        }
    } else if (flag == 3) {
        refractory = 0
        t0 = t
        if (minf > 1) {
            net_send(firetime(), 4)
        }
    }
}
