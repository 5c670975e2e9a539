: `CURRENT` is not a NEURON block statement (the author meant
: NONSPECIFIC_CURRENT); no keyword is close enough to suggest.
NEURON {
    SUFFIX leak
    CURRENT i
    RANGE g, e
}
