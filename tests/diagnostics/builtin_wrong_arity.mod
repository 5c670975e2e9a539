: `exp` called with two arguments (a misplaced comma).
NEURON {
    SUFFIX kd
    RANGE ninf
}

ASSIGNED { v (mV) ninf }

INITIAL {
    ninf = 1/(1 + exp(-(v + 55), 10))
}
