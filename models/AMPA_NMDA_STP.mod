TITLE AMPA_NMDA_STP: AMPA and NMDA conductances with per-connection short-term plasticity

COMMENT
nmc project model, in the style of the Blue Brain Project's glutamatergic
synapses (deterministic version).

Two dual-exponential conductances share one release event:
    AMPA: A_AMPA' = -A_AMPA/tau_r_AMPA, B_AMPA' = -B_AMPA/tau_d_AMPA
    NMDA: A_NMDA' = -A_NMDA/tau_r_NMDA, B_NMDA' = -B_NMDA/tau_d_NMDA
    g_AMPA = gmax_AMPA*(B_AMPA - A_AMPA)
    g_NMDA = gmax_NMDA*(B_NMDA - A_NMDA)*mggate
    mggate = 1/(1 + exp(-0.062 (/mV)*v)*mg/(3.57 mM))   (magnesium block)
    i = (g_AMPA*(v - e) + g_NMDA*(v - e))*initW
(initW scales the current, not g.)

Short-term plasticity (Fuhrmann et al. 2002) is kept per connection: R, Pr, u
and tsyn are NET_RECEIVE arguments, so each NetCon has its own copy. On an
event of weight w the AMPA weight is w and the NMDA weight w*NMDA_ratio;
both pairs of states grow by Pr*weight*factor. Events before t = 0 return
early (the VERBATIM block is the C early-return idiom). The flag == 1
branch only reports; this mechanism never sends self-events.
Set verboseLevel > 0 to print every event (printf arguments carry units,
so those lines sit between UNITSOFF and UNITSON).
ENDCOMMENT

NEURON {
    POINT_PROCESS AMPA_NMDA_STP
    RANGE initW, tau_r_AMPA, tau_d_AMPA, tau_r_NMDA, tau_d_NMDA
    RANGE Use, Dep, Fac, u0, e, mg, gmax_AMPA, gmax_NMDA, NMDA_ratio
    RANGE i, g, g_AMPA, g_NMDA, mggate
    GLOBAL verboseLevel
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (mM) = (milli/liter)
}

PARAMETER {
    initW        = 1     (1)
    tau_r_AMPA   = 0.2   (ms) <1e-9, 1e9>
    tau_d_AMPA   = 1.7   (ms) <1e-9, 1e9>
    tau_r_NMDA   = 0.29  (ms) <1e-9, 1e9>
    tau_d_NMDA   = 43    (ms) <1e-9, 1e9>
    Use          = 1     (1)  <0, 1>
    Dep          = 100   (ms) <0, 1e9>
    Fac          = 10    (ms) <0, 1e9>
    e            = 0     (mV)
    mg           = 1     (mM)
    gmax_AMPA    = 0.001 (uS)
    gmax_NMDA    = 0.001 (uS)
    u0           = 0     (1)  <0, 1>
    NMDA_ratio   = 0.71  (1)
    verboseLevel = 0     (1)
}

ASSIGNED {
    v           (mV)
    i           (nA)
    g           (uS)
    g_AMPA      (uS)
    g_NMDA      (uS)
    mggate      (1)
    factor_AMPA (1)
    factor_NMDA (1)
}

STATE {
    A_AMPA (1)
    B_AMPA (1)
    A_NMDA (1)
    B_NMDA (1)
}

INITIAL {
    LOCAL tp_AMPA, tp_NMDA
    A_AMPA = 0
    B_AMPA = 0
    A_NMDA = 0
    B_NMDA = 0
    tp_AMPA = (tau_r_AMPA*tau_d_AMPA)/(tau_d_AMPA - tau_r_AMPA)*log(tau_d_AMPA/tau_r_AMPA)
    tp_NMDA = (tau_r_NMDA*tau_d_NMDA)/(tau_d_NMDA - tau_r_NMDA)*log(tau_d_NMDA/tau_r_NMDA)
    factor_AMPA = 1/(exp(-tp_AMPA/tau_d_AMPA) - exp(-tp_AMPA/tau_r_AMPA))
    factor_NMDA = 1/(exp(-tp_NMDA/tau_d_NMDA) - exp(-tp_NMDA/tau_r_NMDA))
}

BREAKPOINT {
    SOLVE state METHOD cnexp
    mggate = 1/(1 + exp(0.062 (/mV)*(-v))*(mg/3.57 (mM)))
    g_AMPA = gmax_AMPA*(B_AMPA - A_AMPA)
    g_NMDA = gmax_NMDA*(B_NMDA - A_NMDA)*mggate
    g = g_AMPA + g_NMDA
    i = (g_AMPA*(v - e) + g_NMDA*(v - e))*initW
}

DERIVATIVE state {
    A_AMPA' = -A_AMPA/tau_r_AMPA
    B_AMPA' = -B_AMPA/tau_d_AMPA
    A_NMDA' = -A_NMDA/tau_r_NMDA
    B_NMDA' = -B_NMDA/tau_d_NMDA
}

NET_RECEIVE(weight, weight_AMPA, weight_NMDA, R, Pr, u, tsyn (ms)) {
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
            printf("AMPA_NMDA_STP: self-event at t = %g\n", t)
            UNITSON
        }
    } else {
        weight_AMPA = weight
        weight_NMDA = weight*NMDA_ratio

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
            printf("AMPA_NMDA_STP: t = %g, weight = %g, u = %g, R = %g, Pr = %g\n", t, weight, u, R, Pr)
            UNITSON
        }
        tsyn = t

        A_AMPA = A_AMPA + Pr*weight_AMPA*factor_AMPA
        B_AMPA = B_AMPA + Pr*weight_AMPA*factor_AMPA
        A_NMDA = A_NMDA + Pr*weight_NMDA*factor_NMDA
        B_NMDA = B_NMDA + Pr*weight_NMDA*factor_NMDA
    }
}
