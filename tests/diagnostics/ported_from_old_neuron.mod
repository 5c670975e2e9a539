: A mechanism ported from an old model: VERBATIM random numbers, an
: undeclared RANGE, a method nmc lacks and a GLOBAL PARAMETER changed in
: BREAKPOINT.
NEURON {
    SUFFIX noisyleak
    NONSPECIFIC_CURRENT i
    RANGE g, e, inoise
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    g = 0.001 (S/cm2)
    e = -65 (mV)
    sigma = 0.01 (mA/cm2)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

STATE { x }

BREAKPOINT {
    SOLVE drift METHOD adams
    sigma = sigma*0.99
    noise()
    i = g*(v - e) + inoise
}

DERIVATIVE drift {
    x' = -x/10 (ms)
}

PROCEDURE noise() {
VERBATIM
    inoise = sigma*normrand(0, 1);
ENDVERBATIM
}
