: A UNITS definition whose right-hand side is not a known unit
: (`millimolr`, a typo).
NEURON {
    SUFFIX cad
}

UNITS {
    (mM) = (millimolr)
}

STATE { cai (mM) }

INITIAL { cai = 5e-5 }
