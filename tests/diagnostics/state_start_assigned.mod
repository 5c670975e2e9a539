: `n0` declared in ASSIGNED next to STATE `n`: NEURON makes `n0` the PARAMETER that starts `n`, so nocmodl refuses the file.
NEURON {
    SUFFIX decay
    RANGE n0
}

ASSIGNED {
    n0
}

STATE {
    n
}

INITIAL {
    n = 1
    n0 = n
}

BREAKPOINT {
    SOLVE states METHOD cnexp
}

DERIVATIVE states {
    n' = -n
}
