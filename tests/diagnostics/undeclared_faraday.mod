: FARADAY used without declaring it in the UNITS block.
NEURON {
    SUFFIX cad
    USEION ca READ ica WRITE cai
    RANGE depth
}

UNITS {
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER { depth = 0.1 (um) }

ASSIGNED { ica (mA/cm2) }

STATE { cai (mM) }

BREAKPOINT {
    SOLVE states METHOD cnexp
}

DERIVATIVE states {
    cai' = -(10000)*ica/(2*FARADAY*depth)
}
