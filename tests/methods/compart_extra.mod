: A KINETIC scheme whose COMPARTMENT lists, besides its STATE, a name
: declared nowhere and a CONSTANT: NEURON's translator passes over both
: (the C compiles and runs), so does nmc (warning W0208).
NEURON {
    SUFFIX compx
    RANGE c, k
}

PARAMETER {
    k = 0.3 (/ms)
    src = 0.05 (/ms)
}

CONSTANT { zz = 3 }

STATE { c }

BREAKPOINT { SOLVE kin METHOD sparse }

INITIAL { c = 1 }

KINETIC kin {
    COMPARTMENT diam*diam { c Undeclared zz }
    ~ c << (src - k*c)
}
