TITLE cp_verbatim: VERBATIM blocks whose meaning is certain

COMMENT
Corpus file. Exercises the VERBATIM idioms nmc accepts: a top-level block
of standard #includes, a block of C comments only, `return 0;` as the last
statement of a PROCEDURE (a no-op: nocmodl's PROCEDUREs return 0 anyway),
`return 0;` inside an `if` of a FUNCTION (the FUNCTION returns 0) and an
empty block. A leak whose conductance a FUNCTION caps.
ENDCOMMENT

VERBATIM
#include <stdlib.h>
#include <math.h>
ENDVERBATIM

NEURON {
    SUFFIX cp_verbatim
    NONSPECIFIC_CURRENT i
    RANGE g, e, gmax, geff
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    g = 0.001 (S/cm2)
    e = -70 (mV)
    gmax = 0.002 (S/cm2)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
    geff (S/cm2)
}

INITIAL {
    VERBATIM
    /* nothing to set up in C */
    // really nothing
    ENDVERBATIM
    update()
}

BREAKPOINT {
    update()
    i = geff*(v - e)
}

PROCEDURE update() {
    geff = capped(g)
    VERBATIM
    return 0;
    ENDVERBATIM
}

FUNCTION capped(x (S/cm2)) (S/cm2) {
    capped = x
    if (x > gmax) {
        VERBATIM
        return 0;
        ENDVERBATIM
    }
    VERBATIM
    ENDVERBATIM
}
