: A stoichiometric coefficient too large to be meant (a typo for 2).
NEURON {
    SUFFIX cabuf
    RANGE kon, koff
}

PARAMETER {
    kon = 1 (/mM-ms)
    koff = 0.1 (/ms)
}

STATE { ca (mM) buf (mM) cabuf (mM) }

BREAKPOINT {
    SOLVE scheme METHOD sparse
}

KINETIC scheme {
    ~ 22222222222222 ca + buf <-> cabuf (kon, koff)
}
