: A FROM loop with `..` instead of `TO`.
NEURON {
    SUFFIX cadiff
}

DEFINE NANN 4

STATE { ca[NANN] (mM) }

INITIAL {
    FROM i = 0 .. NANN-1 {
        ca[i] = 5e-5
    }
}
