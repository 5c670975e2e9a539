: A missing `}` inside the PROCEDURE (the `if` is never closed), so the
: FUNCTION after it begins inside the PROCEDURE.
NEURON {
    SUFFIX kd
}

ASSIGNED { v (mV) ninf }

PROCEDURE rates(v (mV)) {
    if (v > 0) {
        ninf = 1
    } else {
        ninf = boltz(v)
}

FUNCTION boltz(v (mV)) {
    boltz = 1/(1 + exp(-(v + 55)/10))
}
