: `VALENCE` with no charge after it.
NEURON {
    SUFFIX cad
    USEION ca READ cai WRITE ica VALENCE
}

ASSIGNED { cai (mM) ica (mA/cm2) }
