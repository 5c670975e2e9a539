: Random numbers drawn from a hoc Random object through a pointer, the
: ModelDB style: the C has no NMODL meaning (the object lives in hoc), so
: E0401 stays.
NEURON {
    SUFFIX hocnoise
    NONSPECIFIC_CURRENT i
    POINTER donotuse
}

ASSIGNED { i (mA/cm2) donotuse }

BREAKPOINT {
    i = 1e-3 * pick()
}

FUNCTION pick() {
VERBATIM
    _lpick = nrn_random_pick(_p_donotuse);
ENDVERBATIM
}
