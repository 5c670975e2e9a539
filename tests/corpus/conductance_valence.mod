TITLE cp_clchan: chloride leak on an ion with a negative VALENCE

COMMENT
Corpus file. Exercises: USEION with an explicit negative VALENCE
(USEION cl READ ecl WRITE icl VALENCE -1) on an ion NEURON does not
predefine, RANGE of an ASSIGNED conductance.
ENDCOMMENT

NEURON {
    SUFFIX cp_clchan
    USEION cl READ ecl WRITE icl VALENCE -1
    RANGE gbar, gcl
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar = 3e-5 (S/cm2)
}

ASSIGNED {
    v   (mV)
    ecl (mV)
    icl (mA/cm2)
    gcl (S/cm2)
}

BREAKPOINT {
    gcl = gbar
    icl = gcl*(v - ecl)
}
