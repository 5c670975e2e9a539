: A COMMENT block whose ENDCOMMENT was deleted: the rest of the file
: would be swallowed by the comment.
TITLE leak current

COMMENT
Passive leak channel, written for the nmc test suite.
Reversal potential and conductance are RANGE variables.

NEURON {
    SUFFIX leak
    NONSPECIFIC_CURRENT i
    RANGE g, e
}

PARAMETER {
    g = 0.001 (S/cm2)
    e = -65 (mV)
}
