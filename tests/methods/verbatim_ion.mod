: VERBATIM C of published files whose meaning is certain: an RCS version
: string nothing reads, a comment holding C with a string in it, a
: `return;` ending INITIAL, and `cai = _ion_cai;` (the ion's value copied
: into the mechanism's `cai`, which already holds it: the file reads cai
: and writes it nowhere).
NEURON {
    SUFFIX vidm
    USEION ca READ cai
    NONSPECIFIC_CURRENT i
    RANGE g, c
}

VERBATIM
static const char rcsid[] = "$Id: verbatim_ion.mod,v 1.1 $";
ENDVERBATIM

PARAMETER { g = 0.001 (S/cm2) }

ASSIGNED {
    v (mV)
    i (mA/cm2)
    cai (mM)
    c (mM)
}

INITIAL {
    c = cai
    VERBATIM
    /* printf("cai %g\n", cai); */
    return;
    ENDVERBATIM
}

BREAKPOINT {
    VERBATIM
    cai = _ion_cai;
    ENDVERBATIM
    c = 2*cai
    i = g*(v + 70)*c/(c + 0.0001)
}
