: `elseif` written as one word; NMODL spells it `else if`.
NEURON {
    SUFFIX clip
}

ASSIGNED { v (mV) vc (mV) }

BREAKPOINT {
    if (v > 50) {
        vc = 50
    } elseif (v < -100) {
        vc = -100
    } else {
        vc = v
    }
}
