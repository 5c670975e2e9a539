TITLE leak: ohmic leak carried by the pseudo-ion leak

COMMENT
nmc project model. A passive conductance whose reversal potential is the
equilibrium potential of a pseudo-ion called leak, so a cell template sets
it with eleak = ... like ena or ek:

    ileak = gbar*(v - eleak)
ENDCOMMENT

NEURON {
    SUFFIX leak
    USEION leak READ eleak WRITE ileak VALENCE 1
    RANGE gbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar = 1e-4 (S/cm2) <0, 1e9>
}

ASSIGNED {
    v     (mV)
    eleak (mV)
    ileak (mA/cm2)
}

BREAKPOINT {
    ileak = gbar*(v - eleak)
}
