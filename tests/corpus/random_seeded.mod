: A noisy current whose random stream restarts from a fixed seed at
: INITIAL, so every run draws the same numbers (set_seed, normrand).
NEURON {
    SUFFIX noisy
    NONSPECIFIC_CURRENT i
    RANGE mean, sd, seed, i
}

UNITS { (mA) = (milliamp) }

PARAMETER {
    mean = 0 (mA/cm2)
    sd = 0.001 (mA/cm2)
    seed = 17
}

ASSIGNED { i (mA/cm2) }

INITIAL {
    set_seed(seed)
    i = 0
}

BREAKPOINT { i = normrand(mean, sd) }
