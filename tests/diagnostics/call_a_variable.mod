: A PARAMETER called like a function: `gbar(v)`.
NEURON {
    SUFFIX kd
    USEION k READ ek WRITE ik
    RANGE gbar
}

PARAMETER { gbar = 0.036 (S/cm2) }

ASSIGNED { v (mV) ek (mV) ik (mA/cm2) }

BREAKPOINT {
    ik = gbar(v)*(v - ek)
}
