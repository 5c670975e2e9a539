: Three problems in one file: an undefined name, a missing `}` and a unit
: mismatch. Each must be reported with its own diagnostic.
NEURON {
    SUFFIX three
    USEION na READ ena WRITE ina
    RANGE gbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.1 (S/cm2)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    g (S/cm2)
}

INITIAL {
    g = gbar

BREAKPOINT {
    g = gbar*scale
    ina = g
}
