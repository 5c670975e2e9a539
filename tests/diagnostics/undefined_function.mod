: A call of `rate(v)` where the PROCEDURE is called `rates`.
NEURON {
    SUFFIX kd
    RANGE ninf
}

ASSIGNED { v (mV) ninf }

INITIAL {
    rate(v)
}

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v + 55)/10))
}
