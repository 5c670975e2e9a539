: A VERBATIM block without ENDVERBATIM (misspelled `END VERBATIM`).
NEURON {
    SUFFIX cad
    USEION ca READ ica WRITE cai
}

ASSIGNED { ica (mA/cm2) }

STATE { cai (mM) }

BREAKPOINT {
VERBATIM
    cai = cai + 0.0;
END VERBATIM
}
