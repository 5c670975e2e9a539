: A two-argument FUNCTION called with one argument.
NEURON {
    SUFFIX kd
    RANGE ninf
}

ASSIGNED { v (mV) ninf }

INITIAL {
    ninf = boltz(v)
}

FUNCTION boltz(v (mV), vh (mV)) {
    boltz = 1/(1 + exp(-(v - vh)/10))
}
