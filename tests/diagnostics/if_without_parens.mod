: An `if` condition written without parentheses, as in Python.
NEURON {
    SUFFIX clip
    RANGE vmax
}

PARAMETER { vmax = 50 (mV) }

ASSIGNED { v (mV) vc (mV) }

BREAKPOINT {
    if v > vmax {
        vc = vmax
    } else {
        vc = v
    }
}
