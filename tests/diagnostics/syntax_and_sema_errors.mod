: A missing `}` in INITIAL plus an undefined name in DERIVATIVE: the blocks
: after the syntax error are still checked.
NEURON {
    SUFFIX nax
    USEION na READ ena WRITE ina
    RANGE gbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mS) = (millisiemens)
}

PARAMETER { gbar = 120 (mS/cm2) }

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
}

STATE { m }

INITIAL {
    m = 0

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gbar*m^3*(v - ena)
}

DERIVATIVE states {
    m' = (minf - m)/1 (ms)
}
