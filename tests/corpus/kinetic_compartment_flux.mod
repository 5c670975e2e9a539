TITLE cp_cabuf: calcium shell with a buffer, pump flux and COMPARTMENT volumes

COMMENT
Corpus file. Exercises: KINETIC with COMPARTMENT, the one-way flux form
(<<) for a current source, reversible buffering (<->) with a CONSERVE
statement, USEION ca READ ica WRITE cai, FARADAY = (faraday) (coulomb),
PI, the diam range variable, SOLVE ... METHOD sparse.
ENDCOMMENT

NEURON {
    SUFFIX cp_cabuf
    USEION ca READ ica WRITE cai
    RANGE btotal, kon, koff
}

UNITS {
    (mA)    = (milliamp)
    (mM)    = (milli/liter)
    (um)    = (micron)
    FARADAY = (faraday) (coulomb)
    PI      = (pi) (1)
}

PARAMETER {
    btotal = 0.05  (mM)
    kon    = 100   (/mM-ms)
    koff   = 0.1   (/ms)
    depth  = 0.1   (um)
    cainf  = 5e-5  (mM)
    taur   = 20    (ms)
}

ASSIGNED {
    diam (um)
    ica  (mA/cm2)
    cai  (mM)
    vol  (um2)
}

STATE {
    ca  (mM)
    B   (mM)
    CaB (mM)
}

INITIAL {
    vol = PI*depth*(diam - depth)
    ca = cainf
    B = btotal/(1 + kon*cainf/koff)
    CaB = btotal - B
    cai = ca
}

BREAKPOINT {
    SOLVE chem METHOD sparse
}

KINETIC chem {
    COMPARTMENT vol {ca B CaB}
    : inward current adds calcium; slow removal toward the resting level
    ~ ca << (-ica*PI*diam*(1e4)/(2*FARADAY) - vol*(ca - cainf)/taur)
    ~ ca + B <-> CaB (kon*vol, koff*vol)
    CONSERVE B + CaB = btotal*vol
    cai = ca
}
