TITLE na_rtm: fast sodium current of the Reduced Traub-Miles pyramidal cell

COMMENT
nmc project model (excitatory cell of the seed network).

    ina = gbar*m^3*h*(v - ena)

Activation is instantaneous: m is a STATE without an ODE, set to minf(v) in
BREAKPOINT (minf is the value computed by rates() in the last SOLVE, or in
INITIAL before the first step). Inactivation h relaxes to hinf with time
constant htau and is integrated with cnexp. mtau is computed for reference
only (the model does not use it). All gating starts at steady state.
ENDCOMMENT

NEURON {
    SUFFIX na_rtm
    USEION na READ ena WRITE ina
    RANGE gbar, minfvhalf, minfk, hinfvhalf, hinfk
    RANGE minf, hinf, htau, mtau
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar      = 0.1   (S/cm2) <0, 1e9>
    minfvhalf = 41.03 (mV)
    minfk     = -7.1  (mV)
    hinfvhalf = 45.32 (mV)
    hinfk     = 4.04  (mV)
}

ASSIGNED {
    v    (mV)
    ena  (mV)
    ina  (mA/cm2)
    minf
    hinf
    htau (ms)
    mtau (ms)
}

STATE {
    m
    h
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    m = minf
    ina = gbar*m*m*m*h*(v - ena)
}

DERIVATIVE states {
    rates(v)
    h' = (hinf - h)/htau
}

PROCEDURE rates(vm (mV)) {
    minf = 1/(1 + exp((vm + minfvhalf)/minfk))
    hinf = 1/(1 + exp((vm + hinfvhalf)/hinfk))
    UNITSOFF
    : empirical fits, vm in mV and times in ms
    htau = (exp(-vm/5 - 27/5) + 1)/(0.128*(exp(-vm/5 - 27/5) + 1)*exp(-vm/18 - 25/9) + 4)
    mtau = (1 - exp(-vm/4 - 27/2))*(1 - exp(vm/5 + 27/5))/(-(1 - exp(-vm/4 - 27/2))*(0.28*vm + 7.56) + (1 - exp(vm/5 + 27/5))*(0.32*vm + 17.28))
    UNITSON
}
