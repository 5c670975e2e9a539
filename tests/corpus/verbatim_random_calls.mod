: A noisy current whose random numbers come from VERBATIM C that only
: calls NEURON's random-number library (the ModelDB style): each block is
: the NMODL built-in call written in C, so nmc translates it.
: tests/verbatim/random_calls_nmodl.mod is the same mechanism in NMODL.
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
VERBATIM
    set_seed(_ls);   /* one stream for every instance */
ENDVERBATIM
}

FUNCTION gauss(m, s) {
VERBATIM
    _lgauss = normrand(_lm, _ls);
ENDVERBATIM
}

FUNCTION uniform() {
    LOCAL u
VERBATIM
    // the library's uniform number in [0, 1)
    _lu = scop_random();
ENDVERBATIM
    uniform = u
}

FUNCTION waiting(mean) {
VERBATIM
    _lwaiting = exprand(_lmean);
ENDVERBATIM
}
