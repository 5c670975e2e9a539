: A FUNCTION of a voltage called with a time.
NEURON {
    SUFFIX kd
    RANGE ninf
}

UNITS { (mV) = (millivolt) }

ASSIGNED { v (mV) ninf }

BREAKPOINT {
    ninf = boltz(t)
}

FUNCTION boltz(x (mV)) {
    boltz = 1/(1 + exp(-(x + 55 (mV))/10 (mV)))
}
