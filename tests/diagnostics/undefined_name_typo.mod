: A misspelled PARAMETER name (`gnabr` for `gnabar`) in BREAKPOINT.
NEURON {
    SUFFIX na
    USEION na READ ena WRITE ina
    RANGE gnabar
}

PARAMETER { gnabar = 0.12 (S/cm2) }

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
}

BREAKPOINT {
    ina = gnabr*(v - ena)
}
