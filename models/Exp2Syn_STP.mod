TITLE Exp2Syn_STP: dual-exponential synapse with deterministic short-term plasticity

COMMENT
nmc project model. Exp2Syn kinetics (see Exp2Syn.mod) combined with the
deterministic use/recovery/facilitation scheme of Fuhrmann et al. (2002).

The plasticity variables tsyn, R, u and Pr belong to the point process (they
are RANGE variables), so every NetCon onto one instance shares them.
On an event at time t >= 0 with weight w:
    facilitation (Fac > 0): u decays toward 0 with time constant Fac since
        the last event, then u = u + Use*(1 - u); otherwise u = Use
    depression (Dep > 0): R recovers toward 1 with time constant Dep, the
        release probability is Pr = u*R and R loses u*R; otherwise Pr = u
    A and B both grow by Pr*w*factor, where factor = initW*gmax*(peak
        normalisation); gmax converts weights given in nS to uS.
Events at negative times are ignored.
ENDCOMMENT

NEURON {
    POINT_PROCESS Exp2Syn_STP
    RANGE tau1, tau2, e, i, g
    RANGE initW, gmax, Use, Dep, Fac, u0
    RANGE tsyn, R, u, Pr
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    tau1  = 0.1   (ms) <1e-9, 1e9>
    tau2  = 10    (ms) <1e-9, 1e9>
    e     = 0     (mV)
    initW = 1     (1)
    gmax  = 0.001 (uS)
    Use   = 1     (1)  <0, 1>
    Dep   = 0     (ms) <0, 1e9>
    Fac   = 0     (ms) <0, 1e9>
    u0    = 0     (1)  <0, 1>
}

ASSIGNED {
    v      (mV)
    i      (nA)
    g      (uS)
    factor (uS)
    tsyn   (ms)
    R      (1)
    u      (1)
    Pr     (1)
}

STATE {
    A (uS)
    B (uS)
}

INITIAL {
    LOCAL tp
    if (tau1/tau2 > 0.9999) {
        tau1 = 0.9999*tau2
    }
    if (tau1/tau2 < 1e-9) {
        tau1 = 1e-9*tau2
    }
    A = 0
    B = 0
    tp = (tau1*tau2)/(tau2 - tau1)*log(tau2/tau1)
    factor = initW*gmax/(exp(-tp/tau2) - exp(-tp/tau1))
    tsyn = 0
    R = 1
    u = u0
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    g = B - A
    i = g*(v - e)
}

DERIVATIVE state {
    A' = -A/tau1
    B' = -B/tau2
}

NET_RECEIVE(weight) {
    INITIAL {
        tsyn = t
    }
    if (t >= 0) {
        if (Fac > 0) {
            u = u*exp(-(t - tsyn)/Fac)
            u = u + Use*(1 - u)
        } else {
            u = Use
        }
        if (Dep > 0) {
            R = 1 - (1 - R)*exp(-(t - tsyn)/Dep)
            Pr = u*R
            R = R - u*R
        } else {
            Pr = u
        }
        tsyn = t
        A = A + Pr*weight*factor
        B = B + Pr*weight*factor
    }
}
