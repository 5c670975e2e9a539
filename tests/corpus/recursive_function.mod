TITLE cp_recursion: FUNCTIONs calling FUNCTIONs, including recursion

COMMENT
Corpus file. Exercises: a recursive FUNCTION (a binomial coefficient),
FUNCTIONs with zero, one and several arguments, a FUNCTION used inside
another FUNCTION's argument list, a PROCEDURE without arguments, results
of FUNCTIONs exposed through RANGE variables.
The current is a binomial-weighted sum of sigmoids of the voltage.
ENDCOMMENT

NEURON {
    SUFFIX cp_recursion
    NONSPECIFIC_CURRENT i
    RANGE g, erev, order, weight
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    g     = 1e-5 (S/cm2)
    erev  = -80  (mV)
    order = 4
}

ASSIGNED {
    v      (mV)
    i      (mA/cm2)
    weight
}

INITIAL {
    normalise()
}

BREAKPOINT {
    i = g*weight*mix(v, order)*(v - erev)
}

FUNCTION choose(n, k) {
    if (k <= 0 || k >= n) {
        choose = 1
    } else {
        choose = choose(n - 1, k - 1) + choose(n - 1, k)
    }
}

FUNCTION two() {
    two = 2
}

FUNCTION mix(vm (mV), n) {
    LOCAL k, s
    s = 0
    k = 0
    while (k <= n) {
        s = s + choose(n, k)/(1 + exp(-(vm + 60 (mV) - 5 (mV)*k)/(4 (mV))))
        k = k + 1
    }
    mix = s/two()^n
}

PROCEDURE normalise() {
    weight = 1/choose(order, floor(order/two()))
}
