: `METHOD` with no method name after it.
NEURON {
    SUFFIX kdr
    RANGE gbar
}

PARAMETER { gbar = 0.036 (S/cm2) }

STATE { n }

BREAKPOINT {
    SOLVE states METHOD
}

DERIVATIVE states {
    n' = (1 - n)/5 (ms)
}
