: A GLOBAL name declared nowhere (its PARAMETER line was deleted).
NEURON {
    SUFFIX kd
    GLOBAL vhalf
}

ASSIGNED { v (mV) ninf }

INITIAL {
    ninf = 1/(1 + exp(-(v - vhalf)/10))
}
