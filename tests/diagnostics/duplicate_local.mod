: A LOCAL declared twice in the same PROCEDURE.
NEURON {
    SUFFIX kd
    RANGE ninf, ntau
}

ASSIGNED { v (mV) ninf ntau (ms) }

PROCEDURE rates(v (mV)) {
    LOCAL a, b, a
    a = 0.01*(v + 55)
    b = 0.125*exp(-(v + 65)/80)
    ninf = a/(a + b)
    ntau = 1/(a + b)
}
