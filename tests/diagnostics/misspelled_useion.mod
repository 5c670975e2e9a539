: `USEIONS` in the NEURON block (the keyword is `USEION`).
NEURON {
    SUFFIX na
    USEIONS na READ ena WRITE ina
    RANGE gbar
}

PARAMETER { gbar = 0.12 (S/cm2) }

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
}

BREAKPOINT {
    ina = gbar*(v - ena)
}
