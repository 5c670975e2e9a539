: A FUNCTION's name assigned outside the function, as if it were a variable.
NEURON {
    SUFFIX kd
    RANGE tau
}

ASSIGNED { v (mV) tau (ms) }

BREAKPOINT {
    ntau = 5
    tau = ntau(v)
}

FUNCTION ntau(v (mV)) {
    ntau = 1 + 4*exp(-(v + 55)/30)
}
