: A FUNCTION of a voltage in mV called with a value in volts.
NEURON {
    SUFFIX kd
    RANGE ninf, vshift
}

UNITS {
    (mV) = (millivolt)
    (V) = (volt)
}

PARAMETER { vshift = 0.005 (V) }

ASSIGNED { ninf }

INITIAL {
    ninf = boltz(vshift)
}

FUNCTION boltz(x (mV)) {
    boltz = 1/(1 + exp(-(x + 55 (mV))/10 (mV)))
}
