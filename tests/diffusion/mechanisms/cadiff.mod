TITLE cadiff: intracellular calcium with LONGITUDINAL_DIFFUSION along the section

COMMENT
Test mechanism (tests/diffusion.rs). Exercises:
(axial diffusion of a concentration between segments), COMPARTMENT with
a cross-section area (xarea; "area" is reserved by NEURON),
FARADAY = (faraday) (coulomb), PI, diam, USEION ca READ ica, cai WRITE cai
where cai is the STATE.
ENDCOMMENT

NEURON {
    SUFFIX cadiff
    USEION ca READ ica, cai WRITE cai
    RANGE dca, taur
}

UNITS {
    (mA)    = (milliamp)
    (mM)    = (milli/liter)
    (um)    = (micron)
    FARADAY = (faraday) (coulomb)
    PI      = (pi) (1)
}

PARAMETER {
    dca   = 0.6   (um2/ms)
    taur  = 100   (ms)
    cainf = 5e-5  (mM)
}

ASSIGNED {
    diam (um)
    ica  (mA/cm2)
    xarea (um2)
}

STATE {
    cai (mM)
}

INITIAL {
    xarea = PI*diam*diam/4
    cai = cainf
}

BREAKPOINT {
    SOLVE conc METHOD sparse
}

KINETIC conc {
    COMPARTMENT xarea {cai}
    LONGITUDINAL_DIFFUSION dca*xarea {cai}
    ~ cai << (-ica*PI*diam*(1e4)/(2*FARADAY) - (cai - cainf)*xarea/taur)
}
