: A LOCAL variable named `TABLE`, which is a reserved keyword.
NEURON {
    SUFFIX kd
    RANGE ninf
}

ASSIGNED { v (mV) ninf }

PROCEDURE rates(v (mV)) {
    LOCAL TABLE
    TABLE = exp(-(v + 55)/10)
    ninf = 1/(1 + TABLE)
}
