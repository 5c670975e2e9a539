: Plain C arithmetic in VERBATIM (a clamp that could be NMODL).
NEURON {
    SUFFIX clampx
    RANGE x, xmax
}

PARAMETER { xmax = 1 }

ASSIGNED { x }

BREAKPOINT {
VERBATIM
    if (x > xmax) { x = xmax; }
ENDVERBATIM
}
