: `m' = ...` where `m` is declared in ASSIGNED instead of STATE.
NEURON {
    SUFFIX nax
    RANGE gbar
}

PARAMETER { gbar = 0.12 (S/cm2) }

ASSIGNED {
    v (mV)
    m
    minf
    mtau (ms)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
}

DERIVATIVE states {
    minf = 1/(1 + exp(-(v + 40)/7))
    mtau = 0.5
    m' = (minf - m)/mtau
}
