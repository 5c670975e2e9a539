TITLE cp_ctor: CONSTRUCTOR and DESTRUCTOR blocks without VERBATIM

COMMENT
Corpus file. Exercises: CONSTRUCTOR and DESTRUCTOR blocks containing
ordinary NMODL statements (no VERBATIM), a POINT_PROCESS whose instance
count is kept in a GLOBAL.
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_ctor
    GLOBAL ninstances
    RANGE serial
}

ASSIGNED {
    ninstances
    serial
}

CONSTRUCTOR {
    ninstances = ninstances + 1
}

DESTRUCTOR {
    ninstances = ninstances - 1
}

INITIAL {
    serial = ninstances
}
