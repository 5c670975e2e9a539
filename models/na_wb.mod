TITLE na_wb: transient sodium current of the Wang-Buzsaki interneuron

COMMENT
nmc project model (PV and SOM cells of the seed network).

    ina = gbar*m^3*h*(v - ena)

m is instantaneous (a STATE without ODE, set to minf(v) in BREAKPOINT and
INITIAL); h follows h' = (hinf - h)/htau with cnexp, where the fitted time
constant is divided by the temperature-like factor htauphi. mtau is computed
for reference only. All gating starts at steady state.
ENDCOMMENT

NEURON {
    SUFFIX na_wb
    USEION na READ ena WRITE ina
    RANGE gbar, minfvhalf, minfk, hinfvhalf, hinfk, htauphi
    RANGE minf, hinf, htau, mtau
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar      = 0.035 (S/cm2) <0, 1e9>
    minfvhalf = 34.57 (mV)
    minfk     = -9.25 (mV)
    hinfvhalf = 55.16 (mV)
    hinfk     = 7.07  (mV)
    htauphi   = 5     (1)
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
    htau = ((exp(0.1*vm) + 0.0608)/(0.07*(exp(0.1*vm) + 0.0608)*exp(-vm/20 - 29/10) + exp(0.1*vm)))/htauphi
    mtau = (1 - exp(-vm/10 - 7/2))/(0.1*vm + 4*(1 - exp(-vm/10 - 7/2))*exp(-vm/18 - 10/3) + 3.5)
    UNITSON
}
