TITLE cp_spell: spellings nocmodl accepts that the NMODL manual does not show

COMMENT
Corpus file. Exercises: IF / ELSE IF / ELSE and WHILE in capitals; the
implicit GLOBAL `usetable` of a file with a TABLE, read in BREAKPOINT; a
FUNCTION argument named like a FUNCTION (`kf(x)` calls the FUNCTION, `kf`
alone is the argument, as nocmodl resolves them). A one-gate potassium
channel.
ENDCOMMENT

NEURON {
    SUFFIX cp_spell
    USEION k READ ek WRITE ik
    RANGE gbar, g, tabled
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.01 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    g (S/cm2)
    ninf
    ntau (ms)
    tabled
}

STATE {
    n
}

INITIAL {
    rates(v)
    n = ninf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    tabled = usetable
    IF (n > 1) {
        g = gbar
    } ELSE IF (n < 0) {
        g = 0
    } ELSE {
        g = gbar*n^4
    }
    ik = g*(v - ek)
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n)/ntau
}

FUNCTION kf(x (mV)) {
    kf = 0.01*(x + 55.1)/(1 - exp(-(x + 55.1)/10))
}

FUNCTION scaled(x (mV), kf) {
    : `kf(x)` is the FUNCTION, `kf` the argument
    scaled = kf(x)*kf
}

PROCEDURE rates(v (mV)) {
    LOCAL a, b, k
    TABLE ninf, ntau FROM -100 TO 100 WITH 200
    a = scaled(v, 1)
    b = 0.125*exp(-(v + 65)/80)
    ntau = 1/(a + b)
    ninf = a*ntau
    k = 0
    WHILE (k < 2) {
        k = k + 1
    }
}
