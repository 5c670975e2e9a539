TITLE AlphaSynapse: conductance synapse with an alpha-function time course

COMMENT
nmc's version of NEURON's built-in AlphaSynapse, written from its published
behaviour. No events: the conductance follows a fixed alpha function that
starts at onset,
    g(t) = gmax*x*exp(1 - x),  x = (t - onset)/tau,  for 0 <= x <= 10,
    g(t) = 0 otherwise,
which peaks at gmax when t = onset + tau, and i = g*(v - e) (nA, outward
positive). Past ten time constants g is taken as exactly 0.
ENDCOMMENT

NEURON {
    POINT_PROCESS AlphaSynapse
    RANGE onset, tau, gmax, e, i, g
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    onset = 0   (ms)
    tau   = 0.1 (ms) <1e-3, 1e6>
    gmax  = 0   (uS) <0, 1e9>
    e     = 0   (mV)
}

ASSIGNED {
    v (mV)
    i (nA)
    g (uS)
}

BREAKPOINT {
    g = gmax*alpha((t - onset)/tau)
    i = g*(v - e)
}

FUNCTION alpha(x) {
    : x*exp(1 - x) on [0, 10], zero outside
    if (x < 0 || x > 10) {
        alpha = 0
    } else {
        alpha = x*exp(1 - x)
    }
}
