: SOLVE names `state` but the DERIVATIVE block is called `states`.
NEURON {
    SUFFIX kdr
    RANGE gbar
}

PARAMETER { gbar = 0.036 (S/cm2) }

STATE { n }

BREAKPOINT {
    SOLVE state METHOD cnexp
}

DERIVATIVE states {
    n' = (1 - n)/5 (ms)
}
