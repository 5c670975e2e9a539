TITLE cp_tabproc: A-type potassium current with tabulated rates

COMMENT
Corpus file. Exercises: TABLE ... DEPEND ... FROM ... TO ... WITH inside a
PROCEDURE (several tabulated outputs, two DEPEND variables), celsius,
a q10 temperature factor, UNITSOFF around the empirical fits.
ENDCOMMENT

NEURON {
    SUFFIX cp_tabproc
    USEION k READ ek WRITE ik
    RANGE gbar
    GLOBAL ainf, binf, atau, btau, q10
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar  = 0.004 (S/cm2)
    q10   = 2.3
    vhalf = -60   (mV)
}

ASSIGNED {
    v       (mV)
    ek      (mV)
    ik      (mA/cm2)
    celsius (degC)
    ainf
    binf
    atau    (ms)
    btau    (ms)
}

STATE {
    a
    b
}

INITIAL {
    rates(v)
    a = ainf
    b = binf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gbar*a*a*a*b*(v - ek)
}

DERIVATIVE states {
    rates(v)
    a' = (ainf - a)/atau
    b' = (binf - b)/btau
}

PROCEDURE rates(vm (mV)) {
    LOCAL qt
    TABLE ainf, binf, atau, btau DEPEND celsius, vhalf FROM -120 TO 60 WITH 360
    UNITSOFF
    qt = q10^((celsius - 22)/10)
    ainf = 1/(1 + exp(-(vm - vhalf)/8.5))
    binf = 1/(1 + exp((vm + 78)/6))
    atau = (1/(exp((vm + 35.8)/19.7) + exp(-(vm + 79.7)/12.7)) + 0.37)/qt
    btau = (1/(exp((vm + 46)/5) + exp(-(vm + 238)/37.5)) + 19)/qt
    UNITSON
}
