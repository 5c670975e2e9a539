: A `)` is missing at the end of the rate expression in the FUNCTION.
NEURON {
    SUFFIX nax
    RANGE gbar
}

PARAMETER {
    gbar = 0.12 (S/cm2)
}

FUNCTION alpham(v (mV)) (/ms) {
    alpham = 0.1*(v + 40)/(1 - exp(-(v + 40)/10)
}
