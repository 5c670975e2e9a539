: `gk` declared both in PARAMETER and in ASSIGNED.
NEURON {
    SUFFIX kdr
    USEION k READ ek WRITE ik
    RANGE gk
}

PARAMETER { gk = 0.036 (S/cm2) }

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    gk (S/cm2)
}

BREAKPOINT {
    ik = gk*(v - ek)
}
