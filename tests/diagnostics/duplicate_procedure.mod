: Two PROCEDUREs with the same name (pasted twice while editing).
NEURON {
    SUFFIX kd
}

ASSIGNED { v (mV) ninf }

INITIAL { rates(v) }

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v + 55)/10))
}

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v + 50)/10))
}
