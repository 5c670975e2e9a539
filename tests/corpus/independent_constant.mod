TITLE cp_indep: INDEPENDENT, CONSTANT and range limits

COMMENT
Corpus file. Exercises: the INDEPENDENT block (legacy: declares t with its
FROM ... TO ... WITH range and units), the CONSTANT block, PARAMETER limits
<lo, hi> including negative and exponent bounds, a NONSPECIFIC_CURRENT
from a constant-field-like expression.
ENDCOMMENT

INDEPENDENT {
    t FROM 0 TO 100 WITH 100 (ms)
}

NEURON {
    SUFFIX cp_indep
    NONSPECIFIC_CURRENT i
    RANGE g, erev
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

CONSTANT {
    vscale = 25 (mV)
    gfloor = 1e-12 (S/cm2)
}

PARAMETER {
    g    = 2e-5 (S/cm2) <0, 1e3>
    erev = -20  (mV)    <-150, 150>
    rect = 0.4  (1)     <0, 1>
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    : outward rectification: the conductance grows with depolarisation
    i = (g*(1 - rect + rect*exp((v - erev)/vscale)) + gfloor)*(v - erev)
}
