TITLE IntFire1: leaky integrate-and-fire cell driven by events

COMMENT
nmc's version of NEURON's built-in IntFire1, written from its published
behaviour. An artificial cell (no section, no voltage): its "membrane
state" m decays as m' = -m/tau between inputs and jumps by the weight w of
each input event. When m exceeds 1 the cell fires (net_event) and is
refractory for refrac ms, during which inputs are ignored; then m = 0.

m is only brought up to date when an event arrives; M() gives the value at
the current time: the decayed m while integrating, and while refractory 2
for the first 0.5 ms (a drawn spike) and -1 after.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL IntFire1
    RANGE tau, refrac, m
}

PARAMETER {
    tau    = 10 (ms)
    refrac = 5  (ms)
}

ASSIGNED {
    m
    t0 (ms)
    refractory
}

INITIAL {
    m = 0
    t0 = t
    refractory = 0
}

FUNCTION M() {
    if (refractory == 0) {
        M = m*exp(-(t - t0)/tau)
    } else if (refractory == 1) {
        if (t - t0 < 0.5) {
            M = 2
        } else {
            M = -1
        }
    }
}

NET_RECEIVE(w) {
    if (refractory == 0) {
        : decay since the last update, then add the input
        m = m*exp(-(t - t0)/tau)
        t0 = t
        m = m + w
        if (m > 1) {
            refractory = 1
            m = 2
            net_send(refrac, refractory)
            net_event(t)
        }
    } else if (flag == 1) {
        : end of the refractory period
        t0 = t
        refractory = 0
        m = 0
    }
}
