TITLE cp_dimpl: calcium-activated potassium current integrated with derivimplicit

COMMENT
Corpus file. Exercises: SOLVE ... METHOD derivimplicit, a DERIVATIVE block
with a nonlinear right-hand side, USEION k READ ek WRITE ik together with
USEION ca READ cai, a FUNCTION with units on its argument and result.
ENDCOMMENT

NEURON {
    SUFFIX cp_dimpl
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gbar, kd, tau
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
    (mM) = (milli/liter)
}

PARAMETER {
    gbar = 0.005  (S/cm2)
    kd   = 0.001  (mM)
    tau  = 5      (ms)
}

ASSIGNED {
    v   (mV)
    ek  (mV)
    cai (mM)
    ik  (mA/cm2)
}

STATE {
    q
}

INITIAL {
    q = occupancy(cai)
}

BREAKPOINT {
    SOLVE states METHOD derivimplicit
    ik = gbar*q*q*(v - ek)
}

DERIVATIVE states {
    q' = (occupancy(cai) - q)/tau - 0.01 (/ms)*q*q*(1 - q)
}

FUNCTION occupancy(c (mM)) (1) {
    occupancy = c*c/(c*c + kd*kd)
}
