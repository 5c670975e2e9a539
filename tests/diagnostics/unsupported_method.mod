: `METHOD heun`: NEURON accepts it, nmc does not implement it.
NEURON {
    SUFFIX kdr
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD heun
}

DERIVATIVE states {
    n' = (1 - n)/5 (ms)
}
