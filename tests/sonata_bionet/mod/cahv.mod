: A high-voltage calcium current through one activation gate, driven by
: the calcium reversal potential. Written for nmc's tests.
NEURON {
    SUFFIX cahv
    USEION ca READ eca WRITE ica
    RANGE gbar
}
UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}
PARAMETER { gbar = 0.001 (S/cm2) }
ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
    minf
    mtau (ms)
}
STATE { m }
INITIAL {
    rates(v)
    m = minf
}
BREAKPOINT {
    SOLVE gate METHOD cnexp
    ica = gbar * m * m * (v - eca)
}
DERIVATIVE gate {
    rates(v)
    m' = (minf - m) / mtau
}
PROCEDURE rates(v (mV)) {
    minf = 1 / (1 + exp(-(v + 20) / 6))
    mtau = 0.5 + 2 / (1 + exp((v + 30) / 10))
}
