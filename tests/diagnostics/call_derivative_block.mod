: A DERIVATIVE block called like a PROCEDURE instead of being SOLVEd.
NEURON {
    SUFFIX kdr
}

STATE { n }

BREAKPOINT {
    states()
}

DERIVATIVE states {
    n' = (1 - n)/5 (ms)
}
