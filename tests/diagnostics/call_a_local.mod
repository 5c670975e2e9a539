: A LOCAL variable called like a function.
NEURON {
    SUFFIX kd
    RANGE ninf
}

ASSIGNED { v (mV) ninf }

PROCEDURE rates(v (mV)) {
    LOCAL a
    a = exp(-(v + 55)/10)
    ninf = 1/(1 + a(v))
}
