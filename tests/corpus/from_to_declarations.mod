TITLE cp_fromto: FROM ... TO ... WITH declarations and START

COMMENT
Corpus file. Exercises: declaration ranges "name FROM lo TO hi" on STATE
and ASSIGNED variables, an array with a FROM ... TO range, "START value" on
a STATE, the legacy DEPEND list of a TABLE (DEPEND on a PARAMETER),
PROCEDURE with a TABLE of an array element-free result.
ENDCOMMENT

NEURON {
    SUFFIX cp_fromto
    NONSPECIFIC_CURRENT i
    RANGE gbar, erev, shift
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar  = 5e-4 (S/cm2)
    erev  = -90  (mV)
    shift = 0    (mV)
    tauz  = 40   (ms)
}

ASSIGNED {
    v    (mV)
    i    (mA/cm2)
    zinf FROM 0 TO 1
}

STATE {
    z FROM 0 TO 1 START 0
}

INITIAL {
    zrate(v)
    z = zinf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    i = gbar*z*(v - erev)
}

DERIVATIVE states {
    zrate(v)
    z' = (zinf - z)/tauz
}

PROCEDURE zrate(vm (mV)) {
    TABLE zinf DEPEND shift FROM -100 TO 50 WITH 150
    zinf = 1/(1 + exp(-(vm + 40 (mV) - shift)/(6 (mV))))
}
