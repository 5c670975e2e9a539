: The call `rates(v` in INITIAL is missing its `)`.
NEURON {
    SUFFIX kd
    RANGE ninf
}

ASSIGNED {
    v (mV)
    ninf
}

INITIAL {
    rates(v
    ninf = ninf*1
}

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v + 55)/10))
}
