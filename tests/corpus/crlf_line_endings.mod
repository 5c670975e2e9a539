TITLE cp_crlf: passive current in a file with CRLF line endings

COMMENT
Corpus file. Exercises: CRLF (Windows) line endings on every line,
including inside this COMMENT block, after the TITLE, inside blocks and at
the end of the file. Otherwise a plain leak with a RANGE conductance.
ENDCOMMENT

NEURON {
    SUFFIX cp_crlf
    NONSPECIFIC_CURRENT i
    RANGE g, erev
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    g    = 5e-5 (S/cm2)  : trailing comment before CRLF
    erev = -65  (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
    i = g*(v - erev)
}
