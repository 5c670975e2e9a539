: A conductance synapse reached through a series (spine neck) resistance:
: the spine head potential vh and the current i solve a 2x2 LINEAR system
: at every current evaluation. SOLVEFOR names the unknowns, so the STATE
: g (integrated by cnexp) is a known coefficient there.
NEURON {
    POINT_PROCESS NeckSyn
    RANGE tau, erev, rneck, i, vh
    NONSPECIFIC_CURRENT i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
    (MOhm) = (megohm)
}

PARAMETER {
    tau = 2 (ms)
    erev = 0 (mV)
    rneck = 50 (MOhm)
}

ASSIGNED { v (mV) }

STATE {
    g (uS)
    i (nA)
    vh (mV)
}

INITIAL { g = 0 }

BREAKPOINT {
    SOLVE decay METHOD cnexp
    neck()
}

DERIVATIVE decay { g' = -g/tau }

PROCEDURE neck() { SOLVE head }

LINEAR head SOLVEFOR i, vh {
    ~ rneck*i + vh = v
    ~ i - g*vh = -g*erev
}

NET_RECEIVE(w (uS)) { g = g + w }
