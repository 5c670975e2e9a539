: A CONSTANT overwritten in INITIAL.
NEURON {
    SUFFIX cad
    RANGE cainf
}

CONSTANT { cainf = 5e-5 (mM) }

STATE { cai (mM) }

INITIAL {
    cainf = 1e-4
    cai = cainf
}
