: A gap junction that conducts only once its POINTER is bound:
: nrn_pointing(vpre) is false for an unset POINTER.
NEURON {
    POINT_PROCESS GapGuarded
    ELECTRODE_CURRENT i
    RANGE gj, i
    POINTER vpre
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER { gj = 0.002 (uS) }

ASSIGNED {
    v (mV)
    vpre (mV)
    i (nA)
}

BREAKPOINT {
    if (nrn_pointing(vpre)) {
        i = gj*(vpre - v)
    } else {
        i = 0
    }
}
