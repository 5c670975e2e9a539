: SOLVE of a LINEAR block with `simeq`, a method nmc does not implement
: (and nmc has none for LINEAR blocks).
NEURON {
    SUFFIX lin
}

STATE { x y }

BREAKPOINT {
    SOLVE eqs METHOD simeq
}

LINEAR eqs {
    ~ x + y = 1
    ~ x - y = 0
}
