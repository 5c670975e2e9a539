TITLE cp_global: GLOBAL parameters shared by all instances, THREADSAFE

COMMENT
Corpus file. Exercises: GLOBAL declarations of PARAMETERs (one value for
every instance) and of ASSIGNED variables written only at initialisation,
THREADSAFE in the NEURON block, RANGE alongside GLOBAL, a mechanism-wide
q10 temperature factor computed from celsius.
ENDCOMMENT

NEURON {
    THREADSAFE
    SUFFIX cp_global
    USEION k READ ek WRITE ik
    RANGE gbar, gk
    GLOBAL q10, tauref, tempref, qt
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar    = 2e-3 (S/cm2)
    q10     = 3
    tauref  = 4    (ms)
    tempref = 23   (degC)
    vh      = -25  (mV)
    vk      = 10   (mV)
}

ASSIGNED {
    v       (mV)
    ek      (mV)
    ik      (mA/cm2)
    gk      (S/cm2)
    celsius (degC)
    qt
}

STATE {
    w
}

INITIAL {
    qt = q10^((celsius - tempref)/(10 (degC)))
    w = winf(v)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    gk = gbar*w
    ik = gk*(v - ek)
}

DERIVATIVE states {
    w' = (winf(v) - w)*qt/tauref
}

FUNCTION winf(vm (mV)) {
    winf = 1/(1 + exp(-(vm - vh)/vk))
}
