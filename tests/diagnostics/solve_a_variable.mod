: SOLVE names the STATE variable `n` instead of the DERIVATIVE block that
: integrates it.
NEURON {
    SUFFIX kdr
}

STATE { n }

BREAKPOINT {
    SOLVE n METHOD cnexp
}

DERIVATIVE states {
    n' = (1 - n)/5 (ms)
}
