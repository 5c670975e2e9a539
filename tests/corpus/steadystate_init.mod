TITLE cp_kinss: kinetic scheme started at its steady state

COMMENT
Corpus file. Exercises: SOLVE kin STEADYSTATE sparse inside INITIAL, a
KINETIC block shared by INITIAL and BREAKPOINT, CONSERVE, a four-state
sodium-like scheme with a NONSPECIFIC_CURRENT.
ENDCOMMENT

NEURON {
    SUFFIX cp_kinss
    NONSPECIFIC_CURRENT i
    RANGE gbar, erev
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar = 0.02  (S/cm2)
    erev = 40    (mV)
    k1   = 2     (/ms)
    k2   = 0.5   (/ms)
    k3   = 0.3   (/ms)
    k4   = 0.02  (/ms)
    vs   = 15    (mV)
}

ASSIGNED {
    v  (mV)
    i  (mA/cm2)
    a  (/ms)
    b  (/ms)
}

STATE {
    c1
    c2
    o
    inact
}

INITIAL {
    SOLVE kin STEADYSTATE sparse
}

BREAKPOINT {
    SOLVE kin METHOD sparse
    i = gbar*o*(v - erev)
}

KINETIC kin {
    a = k1*exp(v/vs)
    b = k2*exp(-v/vs)
    ~ c1 <-> c2 (a, b)
    ~ c2 <-> o (a, b)
    ~ o <-> inact (k3, k4)
    CONSERVE c1 + c2 + o + inact = 1
}
