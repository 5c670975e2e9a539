: A misspelled integration method (`cnexpp`).
NEURON {
    SUFFIX kdr
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD cnexpp
}

DERIVATIVE states {
    n' = (1 - n)/5 (ms)
}
