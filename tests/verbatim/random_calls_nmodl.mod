: tests/corpus/verbatim_random_calls.mod with its VERBATIM blocks written
: as the NMODL calls they mean: both must compile to the same IR.
NEURON {
    SUFFIX vrand
    NONSPECIFIC_CURRENT i
    RANGE mean, sd, seed, tau, i
}

UNITS { (mA) = (milliamp) }

PARAMETER {
    mean = 0 (mA/cm2)
    sd = 0.001 (mA/cm2)
    seed = 17
    tau = 2
}

ASSIGNED { i (mA/cm2) }

INITIAL {
    reseed(seed)
    i = 0
}

BREAKPOINT {
    i = gauss(mean, sd) + 1e-6 * (uniform() + waiting(tau))
}

PROCEDURE reseed(s) {
    set_seed(s)
}

FUNCTION gauss(m, s) {
    gauss = normrand(m, s)
}

FUNCTION uniform() {
    LOCAL u
    u = scop_random()
    uniform = u
}

FUNCTION waiting(mean) {
    waiting = exprand(mean)
}
