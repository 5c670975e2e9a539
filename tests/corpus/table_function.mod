TITLE cp_tabfunc: h-current whose steady state comes from a tabulated FUNCTION

COMMENT
Corpus file. Exercises: TABLE ... DEPEND ... FROM ... TO ... WITH inside a
FUNCTION (the table holds the function's value), a second TABLE without
DEPEND, FUNCTION calls from INITIAL and DERIVATIVE.
ENDCOMMENT

NEURON {
    SUFFIX cp_tabfunc
    NONSPECIFIC_CURRENT i
    RANGE gbar, eh, vhalf
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar  = 1e-4 (S/cm2)
    eh    = -30  (mV)
    vhalf = -81  (mV)
    slope = 8    (mV)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

STATE {
    r
}

INITIAL {
    r = rinf(v)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    i = gbar*r*(v - eh)
}

DERIVATIVE states {
    r' = (rinf(v) - r)/rtau(v)
}

FUNCTION rinf(vm (mV)) {
    TABLE DEPEND vhalf, slope FROM -150 TO 50 WITH 400
    rinf = 1/(1 + exp((vm - vhalf)/slope))
}

FUNCTION rtau(vm (mV)) (ms) {
    TABLE FROM -150 TO 50 WITH 400
    UNITSOFF
    rtau = 1/(exp(-14.59 - 0.086*vm) + exp(-1.87 + 0.0701*vm))
    UNITSON
}
