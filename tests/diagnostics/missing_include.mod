: INCLUDE of a file that does not exist next to this one.
INCLUDE "ca_defs.inc"

NEURON {
    SUFFIX cad
    USEION ca READ ica WRITE cai
}

ASSIGNED { ica (mA/cm2) }

STATE { cai (mM) }

BREAKPOINT {
    SOLVE states METHOD cnexp
}

DERIVATIVE states {
    cai' = -ica*depth_factor
}
