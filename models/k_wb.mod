TITLE k_wb: delayed-rectifier potassium current of the Wang-Buzsaki interneuron

COMMENT
nmc project model (PV and SOM cells of the seed network).

    ik = gbar*n^4*(v - ek)

n follows n' = (ninf - n)/ntau with cnexp; the fitted time constant is
divided by tauphi. n starts at steady state.
ENDCOMMENT

NEURON {
    SUFFIX k_wb
    USEION k READ ek WRITE ik
    RANGE gbar, ninfvhalf, ninfk, tauphi
    RANGE ninf, ntau
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar      = 0.009  (S/cm2) <0, 1e9>
    ninfvhalf = 30.03  (mV)
    ninfk     = -17.37 (mV)
    tauphi    = 5      (1)
}

ASSIGNED {
    v    (mV)
    ek   (mV)
    ik   (mA/cm2)
    ninf
    ntau (ms)
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
    ik = gbar*n*n*n*n*(v - ek)
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n)/ntau
}

PROCEDURE rates(vm (mV)) {
    ninf = 1/(1 + exp((vm + ninfvhalf)/ninfk))
    UNITSOFF
    : empirical fit, vm in mV, ntau in ms
    ntau = ((exp(0.1*vm) - 0.03337)/((0.01*vm + 0.34)*exp(0.1*vm) + 0.125*(exp(0.1*vm) - 0.03337)*exp(-vm/80 - 11/20)))/tauphi
    UNITSON
}
