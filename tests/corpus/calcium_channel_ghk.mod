TITLE cp_cahva: high-voltage-activated calcium current with GHK driving force

COMMENT
Corpus file. Exercises: USEION ca READ cai, cao WRITE ica, the builtin
nrn_ghk(v, ci, co, z) (constant-field flux), celsius, a permeability in
cm/s, FUNCTION with units, cnexp with two gates.
ENDCOMMENT

NEURON {
    SUFFIX cp_cahva
    USEION ca READ cai, cao WRITE ica
    RANGE pbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mM) = (milli/liter)
}

PARAMETER {
    pbar = 5e-5 (cm/s)
    mvh  = -20  (mV)
    mk   = 6    (mV)
    hvh  = -40  (mV)
    hk   = 8    (mV)
    mtau = 1    (ms)
    htau = 80   (ms)
}

ASSIGNED {
    v       (mV)
    celsius (degC)
    cai     (mM)
    cao     (mM)
    ica     (mA/cm2)
}

STATE {
    m
    h
}

INITIAL {
    m = sigm(v, mvh, mk)
    h = sigm(v, hvh, -hk)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    UNITSOFF
    : nrn_ghk returns mA/cm2 per (cm/s) of permeability
    ica = pbar*m*m*h*nrn_ghk(v, cai, cao, 2)
    UNITSON
}

DERIVATIVE states {
    m' = (sigm(v, mvh, mk) - m)/mtau
    h' = (sigm(v, hvh, -hk) - h)/htau
}

FUNCTION sigm(vm (mV), vh (mV), k (mV)) {
    sigm = 1/(1 + exp(-(vm - vh)/k))
}
