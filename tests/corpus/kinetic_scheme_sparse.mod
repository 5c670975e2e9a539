TITLE cp_kin3: three-state channel as a KINETIC scheme

COMMENT
Corpus file. Exercises: KINETIC block with reversible reactions (<->),
CONSERVE, SOLVE ... METHOD sparse, rate functions called inside the scheme.
Closed C <-> open O <-> inactivated I; the open fraction gates a potassium
conductance.
ENDCOMMENT

NEURON {
    SUFFIX cp_kin3
    USEION k READ ek WRITE ik
    RANGE gbar, g
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar = 0.01 (S/cm2)
    a0   = 0.5  (/ms)
    va   = 20   (mV)
    b0   = 0.1  (/ms)
    vb   = 25   (mV)
    ki   = 0.02 (/ms)
    kr   = 0.005 (/ms)
}

ASSIGNED {
    v  (mV)
    ek (mV)
    ik (mA/cm2)
    g  (S/cm2)
    kf (/ms)
    kb (/ms)
}

STATE {
    C
    O
    I
}

INITIAL {
    C = 1
    O = 0
    I = 0
}

BREAKPOINT {
    SOLVE scheme METHOD sparse
    g = gbar*O
    ik = g*(v - ek)
}

KINETIC scheme {
    rates(v)
    ~ C <-> O (kf, kb)
    ~ O <-> I (ki, kr)
    CONSERVE C + O + I = 1
}

PROCEDURE rates(vm (mV)) {
    kf = a0*exp(vm/va)
    kb = b0*exp(-vm/vb)
}
