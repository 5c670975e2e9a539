TITLE cp_comments: every way to write a comment

COMMENT
Corpus file. Exercises: comment blocks at top level and between
statements inside a block (the block keywords cannot be quoted here: the
first closing keyword ends the block), ":" line comments (whole line and end
of line), "?" line comments, comments inside the NEURON block and inside
declaration blocks, blank lines and tabs.
ENDCOMMENT

? a question-mark comment at top level
NEURON {
    SUFFIX cp_comments  : end-of-line comment
    NONSPECIFIC_CURRENT i
    ? comment inside the NEURON block
    RANGE g, erev
}

UNITS {
	(mA) = (milliamp)	: tab-indented
	(mV) = (millivolt)
	(S)  = (siemens)
}

PARAMETER {
    : a whole-line comment in a declaration block
    g    = 1e-5 (S/cm2)  ? trailing question-mark comment
    erev = -70  (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

BREAKPOINT {
COMMENT
    a comment block between statements;
    i = 0 would be ignored here
ENDCOMMENT
    i = g*(v - erev)    : the only statement
}
