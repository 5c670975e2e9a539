TITLE cp_numbers: numeric literal forms and unit annotations on literals

COMMENT
Corpus file. Exercises: integers, decimals with and without leading or
trailing digits (.5, 5.), exponents (1e-3, 2.5E+2, 1.E-6, 3e2), a literal
followed by a unit ("0.062 (/mV)", "10 (mV)"), unit-annotated literals
inside parentheses ("(2 (mV))") and a bare parenthesised factor ("(1e3)"),
negative values in declarations and limits, and arithmetic mixing them.
ENDCOMMENT

NEURON {
    SUFFIX cp_numbers
    NONSPECIFIC_CURRENT i
    RANGE g, erev, scale
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
    (mS) = (millisiemens)
}

PARAMETER {
    g     = 2.5E-1 (mS/cm2) <0, 1e+6>
    erev  = -7.5e1 (mV)     <-1.5e2, 1.5E2>
    scale = .5              <0., 1.>
    small = 1.E-6
    big   = 3e2
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    LOCAL s
    s = scale/(1 + exp(-0.062 (/mV)*(v - 10 (mV) + (2 (mV)))))
    : mS/cm2 times mV is uA/cm2: (1e3) converts to the mA/cm2 of i
    i = g*s*(v - erev)/(1e3) + small*big*5.*(0.0 (mA/cm2))
}
