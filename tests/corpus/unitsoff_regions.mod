TITLE cp_unitsoff: empirical rate fits inside UNITSOFF / UNITSON regions

COMMENT
Corpus file. Exercises: UNITSOFF and UNITSON around whole blocks (at top
level) and around single statements inside a block; unit-checked code
between the regions; a persistent sodium current with alpha/beta rates.
ENDCOMMENT

NEURON {
    SUFFIX cp_unitsoff
    USEION na READ ena WRITE ina
    RANGE gbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar = 1e-5 (S/cm2)
}

ASSIGNED {
    v     (mV)
    ena   (mV)
    ina   (mA/cm2)
    alpha (/ms)
    beta  (/ms)
}

STATE {
    p
}

INITIAL {
    rates(v)
    p = alpha/(alpha + beta)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gbar*p*(v - ena)
}

DERIVATIVE states {
    rates(v)
    p' = alpha*(1 - p) - beta*p
}

UNITSOFF
: the whole procedure is exempt from unit checking
PROCEDURE rates(vm (mV)) {
    alpha = 0.0353*exp(0.0818*vm)
    beta = 0.000883*exp(-0.1108*vm) + 0.002
}
UNITSON

FUNCTION clampfrac(x) {
    : checked: dimensionless in, dimensionless out
    if (x < 0) {
        clampfrac = 0
    } else {
        UNITSOFF
        clampfrac = x/(1 + x)
        UNITSON
    }
}
