: Adding millivolts and volts without a conversion factor.
NEURON {
    SUFFIX shift
    RANGE vshift
}

UNITS {
    (mV) = (millivolt)
    (V) = (volt)
}

PARAMETER { vshift = 0.01 (V) }

ASSIGNED { v (mV) veff (mV) }

BREAKPOINT {
    veff = v + vshift
}
