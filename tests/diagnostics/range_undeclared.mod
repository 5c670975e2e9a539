: `gna` is listed in RANGE but declared nowhere.
NEURON {
    SUFFIX na
    USEION na READ ena WRITE ina
    RANGE gnabar, gna
}

PARAMETER { gnabar = 0.12 (S/cm2) }

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
}

BREAKPOINT {
    ina = gnabar*(v - ena)
}
