TITLE cp_include: rate functions pulled in with INCLUDE

COMMENT
Corpus file. Exercises: INCLUDE "file" at top level with a relative path
into a subdirectory; the included text (include/cp_boltzmann.inc) holds a
UNITS-aware FUNCTION used here. An included file is plain NMODL text with
a non-.mod extension.
ENDCOMMENT

NEURON {
    SUFFIX cp_include
    USEION k READ ek WRITE ik
    RANGE gbar, vhalf, slope
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar  = 1e-3 (S/cm2)
    vhalf = -30  (mV)
    slope = 9    (mV)
    tau   = 15   (ms)
}

ASSIGNED {
    v  (mV)
    ek (mV)
    ik (mA/cm2)
}

STATE {
    n
}

INCLUDE "include/cp_boltzmann.inc"

INITIAL {
    n = boltzmann(v, vhalf, slope)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gbar*n*(v - ek)
}

DERIVATIVE states {
    n' = (boltzmann(v, vhalf, slope) - n)/tau
}
