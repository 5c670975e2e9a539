: `METHOD runge`: NEURON accepts it, nmc does not implement it.
NEURON {
    SUFFIX kdr
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD runge
}

DERIVATIVE states {
    n' = (1 - n)/5 (ms)
}
