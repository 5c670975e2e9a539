TITLE cp_external: reading a GLOBAL of another mechanism through EXTERNAL

COMMENT
Corpus file. Exercises: EXTERNAL (a name defined outside this file: here
the GLOBAL PARAMETER q10_cp_global of tests/corpus/global_threadsafe.mod,
which must be compiled into the same library), used read-only in
BREAKPOINT. (A GLOBAL that is ASSIGNED in a THREADSAFE mechanism has no
such C symbol in NEURON, so it cannot be EXTERNAL.)
ENDCOMMENT

NEURON {
    SUFFIX cp_external
    NONSPECIFIC_CURRENT i
    RANGE g, erev
    EXTERNAL q10_cp_global
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    g    = 1e-5 (S/cm2)
    erev = -60  (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    i = g*q10_cp_global/3*(v - erev)
}
