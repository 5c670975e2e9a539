: nmc test file (tests/patternstim.rs): an ARTIFICIAL_CELL in the style of
: NEURON's PatternStim, whose C replays (time, gid) pairs kept behind a
: BBCOREPOINTER with nrn_fake_fire. nmc refuses it (E0401) and its help
: points to NDL inputs, which tests/patternstim/replay.ndl shows equal.

NEURON {
    ARTIFICIAL_CELL FakeFire
    BBCOREPOINTER pairs
}

ASSIGNED {
    pairs
}

INITIAL {
    if (ready() > 0) { net_send(0, 1) }
}

NET_RECEIVE (w) {
    if (flag == 1) {
        fire()
    }
}

FUNCTION ready() {
VERBATIM
    _lready = (*(double**)(&_p_pairs)) ? 1. : 0.;
ENDVERBATIM
}

PROCEDURE fire() {
VERBATIM
    double* p = *(double**)(&_p_pairs);
    nrn_fake_fire((int)p[1], p[0], 0);
ENDVERBATIM
}
