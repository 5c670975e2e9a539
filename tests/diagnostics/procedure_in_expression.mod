: A PROCEDURE used in an expression as if it returned a value.
NEURON {
    SUFFIX kd
    RANGE ninf
}

ASSIGNED { v (mV) ninf }

INITIAL {
    ninf = rates(v)
}

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v + 55)/10))
}
