: FARADAY declared with the wrong target unit (volt instead of coulomb).
NEURON {
    SUFFIX cad
}

UNITS {
    FARADAY = (faraday) (volt)
}

ASSIGNED { x }

INITIAL { x = FARADAY }
