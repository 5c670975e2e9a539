: SOLVE names a FUNCTION instead of an equation block.
NEURON {
    SUFFIX kdr
}

ASSIGNED { v (mV) }

STATE { n }

BREAKPOINT {
    SOLVE ninf METHOD cnexp
}

DERIVATIVE states {
    n' = (ninf(v) - n)/5 (ms)
}

FUNCTION ninf(v (mV)) {
    ninf = 1/(1 + exp(-(v + 55)/10))
}
