TITLE cp_gap: ohmic gap junction through a POINTER to the partner's voltage

COMMENT
Corpus file. Exercises: POINTER (vpartner is set from hoc/Python with
setpointer to the other cell's v), ELECTRODE_CURRENT (positive current
flows into the cell, so the sign is the opposite of a membrane current),
a POINT_PROCESS with a conductance in nS and a current in nA.
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_gap
    POINTER vpartner
    ELECTRODE_CURRENT i
    RANGE g, i
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (nS) = (nanosiemens)
}

PARAMETER {
    g = 1 (nS)
}

ASSIGNED {
    v        (mV)
    vpartner (mV)
    i        (nA)
}

BREAKPOINT {
    i = g*(vpartner - v)*(1e-3)
}
