TITLE hh: Hodgkin-Huxley (1952) squid giant axon sodium, potassium and leak

COMMENT
nmc project model, written from Hodgkin & Huxley (1952) with the membrane
potential shifted to a resting potential near -65 mV (modern sign
convention, v in mV, t in ms).

    ina = gnabar*m^3*h*(v - ena)
    ik  = gkbar*n^4*(v - ek)
    il  = gl*(v - el)

Each gate x in {m, h, n} obeys x' = (xinf - x)/xtau with
    xinf = alpha/(alpha + beta), xtau = 1/(q10*(alpha + beta))
    alpha_m = 0.1*(v + 40)/(1 - exp(-(v + 40)/10))
    beta_m  = 4*exp(-(v + 65)/18)
    alpha_h = 0.07*exp(-(v + 65)/20)
    beta_h  = 1/(1 + exp(-(v + 35)/10))
    alpha_n = 0.01*(v + 55)/(1 - exp(-(v + 55)/10))
    beta_n  = 0.125*exp(-(v + 65)/80)
and the temperature factor q10 = 3^((celsius - 6.3)/10).
The removable singularities of alpha_m and alpha_n use a series expansion
(function linoid). Rates are tabulated in v; the table is rebuilt whenever
celsius changes.
ENDCOMMENT

NEURON {
    SUFFIX hh
    USEION na READ ena WRITE ina
    USEION k READ ek WRITE ik
    NONSPECIFIC_CURRENT il
    RANGE gnabar, gkbar, gl, el, gna, gk
    GLOBAL minf, hinf, ninf, mtau, htau, ntau
    THREADSAFE
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gnabar = 0.12   (S/cm2) <0, 1e9>
    gkbar  = 0.036  (S/cm2) <0, 1e9>
    gl     = 0.0003 (S/cm2) <0, 1e9>
    el     = -54.3  (mV)
}

ASSIGNED {
    v       (mV)
    celsius (degC)
    ena     (mV)
    ek      (mV)
    ina     (mA/cm2)
    ik      (mA/cm2)
    il      (mA/cm2)
    gna     (S/cm2)
    gk      (S/cm2)
    minf
    hinf
    ninf
    mtau    (ms)
    htau    (ms)
    ntau    (ms)
}

STATE {
    m
    h
    n
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
    n = ninf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    gna = gnabar*m*m*m*h
    gk = gkbar*n*n*n*n
    ina = gna*(v - ena)
    ik = gk*(v - ek)
    il = gl*(v - el)
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m)/mtau
    h' = (hinf - h)/htau
    n' = (ninf - n)/ntau
}

UNITSOFF
PROCEDURE rates(vm (mV)) {
    LOCAL a, b, q10
    TABLE minf, mtau, hinf, htau, ninf, ntau DEPEND celsius FROM -100 TO 100 WITH 200

    q10 = 3^((celsius - 6.3)/10)

    a = 0.1*linoid(-(vm + 40), 10)
    b = 4*exp(-(vm + 65)/18)
    mtau = 1/(q10*(a + b))
    minf = a/(a + b)

    a = 0.07*exp(-(vm + 65)/20)
    b = 1/(1 + exp(-(vm + 35)/10))
    htau = 1/(q10*(a + b))
    hinf = a/(a + b)

    a = 0.01*linoid(-(vm + 55), 10)
    b = 0.125*exp(-(vm + 65)/80)
    ntau = 1/(q10*(a + b))
    ninf = a/(a + b)
}

FUNCTION linoid(x, y) {
    : x/(exp(x/y) - 1), continuous at x = 0
    if (fabs(x/y) < 1e-6) {
        linoid = y*(1 - x/y/2)
    } else {
        linoid = x/(exp(x/y) - 1)
    }
}
UNITSON
