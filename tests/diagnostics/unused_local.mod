: A LOCAL declared in a PROCEDURE but never used.
NEURON {
    SUFFIX kd
    RANGE ninf
}

ASSIGNED { v (mV) ninf }

PROCEDURE rates(v (mV)) {
    LOCAL a, q10
    a = exp(-(v + 55)/10)
    ninf = 1/(1 + a)
}
