: The same name used twice in a FUNCTION's parameter list.
NEURON {
    SUFFIX kd
}

FUNCTION boltz(v (mV), v (mV)) {
    boltz = 1/(1 + exp(-(v + 55)/10))
}
