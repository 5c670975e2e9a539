: Conductance in mS/cm2 but current in mA/cm2: a factor 0.001 is missing.
NEURON {
    SUFFIX na
    USEION na READ ena WRITE ina
    RANGE gnabar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mS) = (millisiemens)
}

PARAMETER { gnabar = 120 (mS/cm2) }

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
}

BREAKPOINT {
    ina = gnabar*(v - ena)
}
