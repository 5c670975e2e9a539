: Calcium in a thin shell under the membrane: fed by the calcium current,
: relaxing to a floor with a time constant. Written for nmc's tests.
NEURON {
    SUFFIX cashell
    USEION ca READ ica WRITE cai
    RANGE gamma, decay, depth, cafloor
}
UNITS {
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
    FARADAY = (faraday) (coulombs)
}
PARAMETER {
    gamma = 0.05
    decay = 80 (ms)
    depth = 0.1 (um)
    cafloor = 1e-4 (mM)
}
ASSIGNED { ica (mA/cm2) }
STATE { cai (mM) }
INITIAL { cai = cafloor }
BREAKPOINT { SOLVE shell METHOD cnexp }
DERIVATIVE shell {
    cai' = -(10000) * ica * gamma / (2 * FARADAY * depth) - (cai - cafloor) / decay
}
