TITLE cp_euler: slow adaptation variable integrated with forward Euler

COMMENT
Corpus file. Exercises: SOLVE ... METHOD euler, a DERIVATIVE block with two
coupled states, a NONSPECIFIC_CURRENT.
ENDCOMMENT

NEURON {
    SUFFIX cp_euler
    NONSPECIFIC_CURRENT i
    RANGE gw, ew, tauw, a
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gw   = 1e-4 (S/cm2)
    ew   = -80  (mV)
    tauw = 200  (ms)
    a    = 0.02 (/mV)
    vth  = -50  (mV)
    tauz = 50   (ms)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

STATE {
    w
    z
}

INITIAL {
    w = 0
    z = 0
}

BREAKPOINT {
    SOLVE states METHOD euler
    i = gw*w*(v - ew)
}

DERIVATIVE states {
    z' = (1/(1 + exp(-a*(v - vth))) - z)/tauz
    w' = (z - w)/tauw
}
