: A STATE with no equation: it is only read, never integrated.
NEURON {
    SUFFIX kd
    USEION k READ ek WRITE ik
    RANGE gbar
}

PARAMETER { gbar = 0.036 (S/cm2) }

ASSIGNED { v (mV) ek (mV) ik (mA/cm2) }

STATE { n }

BREAKPOINT {
    ik = gbar*n^4*(v - ek)
}
