TITLE cp_arrays: radial calcium diffusion in four shells (arrays and DEFINE)

COMMENT
Corpus file. Exercises: DEFINE for an array size, array STATE and ASSIGNED
variables x[NSHELL], FROM i = 0 TO NSHELL - 1 loops in INITIAL, in a
PROCEDURE and inside a KINETIC block, array elements with expression
indices (ca[i+1]), COMPARTMENT i, expr {array} for array states, a RANGE
array, USEION ca READ ica WRITE cai, FARADAY = (faraday) (coulomb).
Shell 0 (outermost) receives the calcium current; neighbouring shells
exchange calcium with rate dcoef; every shell relaxes toward cainf.
(NEURON cannot translate derivatives of array states in a DERIVATIVE
block, so the diffusion is written as a kinetic scheme.)
ENDCOMMENT

DEFINE NSHELL 4

NEURON {
    SUFFIX cp_arrays
    USEION ca READ ica WRITE cai
    RANGE cashell, dcoef, taur
}

UNITS {
    (mA)    = (milliamp)
    (mM)    = (milli/liter)
    (um)    = (micron)
    FARADAY = (faraday) (coulomb)
    PI      = (pi) (1)
}

PARAMETER {
    dcoef = 0.2   (/ms)
    taur  = 50    (ms)
    cainf = 5e-5  (mM)
    depth = 0.1   (um)
}

ASSIGNED {
    diam            (um)
    ica             (mA/cm2)
    cai             (mM)
    vol             (um2)
    cashell[NSHELL] (mM)
}

STATE {
    ca[NSHELL] (mM)
}

INITIAL {
    vol = PI*diam*depth
    FROM i = 0 TO NSHELL - 1 {
        ca[i] = cainf
    }
    report()
}

BREAKPOINT {
    SOLVE diffusion METHOD sparse
    report()
}

KINETIC diffusion {
    COMPARTMENT i, vol {ca}
    ~ ca[0] << (-ica*PI*diam*(1e4)/(2*FARADAY))
    FROM i = 0 TO NSHELL - 2 {
        ~ ca[i] <-> ca[i+1] (dcoef*vol, dcoef*vol)
    }
    FROM i = 0 TO NSHELL - 1 {
        ~ ca[i] << (-(ca[i] - cainf)*vol/taur)
    }
}

PROCEDURE report() {
    FROM i = 0 TO NSHELL - 1 {
        cashell[i] = ca[i]
    }
    cai = ca[0]
}
