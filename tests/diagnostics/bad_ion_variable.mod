: USEION ca READ `cao0`, which is not a variable of the calcium ion.
NEURON {
    SUFFIX cachan
    USEION ca READ cai, cao0 WRITE ica
    RANGE gcabar
}

PARAMETER { gcabar = 0.001 (S/cm2) }

ASSIGNED { v (mV) ica (mA/cm2) cai (mM) }

BREAKPOINT {
    ica = gcabar*(v - 120)
}
