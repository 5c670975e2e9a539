: `t` declared in ASSIGNED: NEURON declares the time itself and nocmodl refuses the file.
NEURON {
    SUFFIX clock
    RANGE elapsed
}

ASSIGNED {
    t (ms)
    elapsed (ms)
}

BREAKPOINT {
    elapsed = t
}
