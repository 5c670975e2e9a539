: A voltage added to a time (`v + t`).
NEURON {
    SUFFIX drift
    RANGE vd
}

UNITS { (mV) = (millivolt) }

ASSIGNED { v (mV) vd (mV) }

BREAKPOINT {
    vd = v + t
}
