: A made-up channel integrated with METHOD runge (scopmath's fourth-order
: Runge-Kutta): a nonlinear h' so the method's stages matter, a rate that
: reads t (moved by half steps between the stages), and a PROCEDURE used
: as a value (0 in NEURON's C).
NEURON {
    SUFFIX rk4chan
    NONSPECIFIC_CURRENT i
    RANGE g, e, pv
}

UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    (S) = (siemens)
}

PARAMETER {
    g = 0.002 (S/cm2)
    e = -80 (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
    minf
    htau
    pv
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD runge
    i = g*m*m*h*(v - e)
}

INITIAL {
    rates(v)
    m = minf
    h = 0.6
    pv = touch(v) + 2
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m)/(1 + 0.5*t/(t + 3))
    h' = 0.02 - h*h/htau
}

PROCEDURE rates(u) {
    minf = 1/(1 + exp(-(u + 60)/5))
    htau = 4 + 3*exp(-(u + 60)/20)
}

PROCEDURE touch(u) {
    htau = htau + 0*u
}
