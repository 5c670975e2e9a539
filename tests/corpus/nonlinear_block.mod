TITLE cp_nonlin: Newton solution of a binding equilibrium

COMMENT
Corpus file. Exercises: a NONLINEAR block with ~ equations (quadratic in
the unknowns), SOLVE of a NONLINEAR block from BREAKPOINT and INITIAL,
USEION ca READ cai.
Free ligand L and complex C satisfy L + C = ltot and C = L*cai/kd.
ENDCOMMENT

NEURON {
    SUFFIX cp_nonlin
    USEION ca READ cai
    RANGE ltot, kd, bound
}

UNITS {
    (mM) = (milli/liter)
}

PARAMETER {
    ltot = 0.1   (mM)
    kd   = 0.002 (mM)
}

ASSIGNED {
    cai   (mM)
    bound (mM)
}

STATE {
    L (mM)
    C (mM)
}

INITIAL {
    L = ltot
    C = 0
    SOLVE binding
    bound = C
}

BREAKPOINT {
    SOLVE binding
    bound = C
}

NONLINEAR binding {
    ~ L + C = ltot
    ~ C*kd = L*cai
}
