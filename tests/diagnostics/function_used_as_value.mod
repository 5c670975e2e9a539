: A FUNCTION used without parentheses, as if it were a variable.
NEURON {
    SUFFIX kd
    RANGE tau
}

ASSIGNED { v (mV) tau (ms) }

BREAKPOINT {
    tau = ntau
}

FUNCTION ntau(v (mV)) {
    ntau = 1 + 4*exp(-(v + 55)/30)
}
