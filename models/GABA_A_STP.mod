TITLE GABA_A_STP: GABA-A conductance with per-connection short-term plasticity

COMMENT
nmc project model, in the style of the Blue Brain Project's inhibitory
synapse (deterministic version).

One dual-exponential conductance:
    A' = -A/tau_r_GABAA, B' = -B/tau_d_GABAA
    g = gmax_GABAA*(B - A), gmax_GABAA = initW*gmax (set in INITIAL)
    i = g*(v - e_GABAA)
Short-term plasticity (Fuhrmann et al. 2002) per connection: R, u and tsyn
are NET_RECEIVE arguments; Pr is local to each event. Events before t = 0
return early (VERBATIM early-return idiom). The flag == 1 branch only
reports; this mechanism never sends self-events. verboseLevel > 0 prints
every event (the printf lines sit between UNITSOFF and UNITSON).
ENDCOMMENT

NEURON {
    POINT_PROCESS GABA_A_STP
    RANGE initW, tau_r_GABAA, tau_d_GABAA, Use, Dep, Fac, u0
    RANGE e_GABAA, gmax, gmax_GABAA, i, g
    GLOBAL verboseLevel
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    initW        = 1     (1)
    tau_r_GABAA  = 0.2   (ms) <1e-9, 1e9>
    tau_d_GABAA  = 8     (ms) <1e-9, 1e9>
    Use          = 1     (1)  <0, 1>
    Dep          = 100   (ms) <0, 1e9>
    Fac          = 10    (ms) <0, 1e9>
    e_GABAA      = -75   (mV)
    gmax         = 0.001 (uS)
    u0           = 0     (1)  <0, 1>
    verboseLevel = 0     (1)
}

ASSIGNED {
    v          (mV)
    i          (nA)
    g          (uS)
    gmax_GABAA (uS)
    factor     (1)
}

STATE {
    A (1)
    B (1)
}

INITIAL {
    LOCAL tp
    A = 0
    B = 0
    tp = (tau_r_GABAA*tau_d_GABAA)/(tau_d_GABAA - tau_r_GABAA)*log(tau_d_GABAA/tau_r_GABAA)
    factor = 1/(exp(-tp/tau_d_GABAA) - exp(-tp/tau_r_GABAA))
    gmax_GABAA = initW*gmax
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    g = gmax_GABAA*(B - A)
    i = g*(v - e_GABAA)
}

DERIVATIVE state {
    A' = -A/tau_r_GABAA
    B' = -B/tau_d_GABAA
}

NET_RECEIVE(weight, R, u, tsyn (ms)) {
    LOCAL Pr
    INITIAL {
        R = 1
        u = u0
        tsyn = t
    }

    : nothing happens before the run starts
    if (t < 0) {
    VERBATIM
        return;
    ENDVERBATIM
    }

    if (flag == 1) {
        : reserved for self-events, which this mechanism never sends
        if (verboseLevel > 0) {
            UNITSOFF
            printf("GABA_A_STP: self-event at t = %g\n", t)
            UNITSON
        }
    } else {
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
        if (verboseLevel > 0) {
            UNITSOFF
            printf("GABA_A_STP: t = %g, weight = %g, u = %g, R = %g, Pr = %g\n", t, weight, u, R, Pr)
            UNITSON
        }
        tsyn = t
        A = A + Pr*weight*factor
        B = B + Pr*weight*factor
    }
}
