TITLE cp_cadecay: submembrane calcium pool with first-order decay

COMMENT
Corpus file. Exercises: USEION ca READ ica, cai WRITE cai (a concentration
written by a STATE-equation), FARADAY = (faraday) (coulomb), a unit
conversion factor that the unit checker verifies, cnexp on a linear ODE,
a lower bound on the concentration applied after SOLVE.
    cai' = -ica*(1e4)/(2*FARADAY*depth) - (cai - cainf)/taur
ENDCOMMENT

NEURON {
    SUFFIX cp_cadecay
    USEION ca READ ica, cai WRITE cai
    RANGE depth, taur, cainf
}

UNITS {
    (mA)    = (milliamp)
    (mM)    = (milli/liter)
    (um)    = (micron)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    depth = 0.1  (um)
    taur  = 80   (ms)
    cainf = 1e-4 (mM)
}

ASSIGNED {
    ica (mA/cm2)
}

STATE {
    cai (mM)
}

INITIAL {
    cai = cainf
}

BREAKPOINT {
    SOLVE state METHOD cnexp
}

DERIVATIVE state {
    cai' = -ica*(1e4)/(2*FARADAY*depth) - (cai - cainf)/taur
}
