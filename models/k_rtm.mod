TITLE k_rtm: delayed-rectifier potassium current of the Reduced Traub-Miles cell

COMMENT
nmc project model (excitatory cell of the seed network).

    ik = gbar*n^4*(v - ek)

n relaxes to ninf with time constant ntau (cnexp) and starts at steady state.
ENDCOMMENT

NEURON {
    SUFFIX k_rtm
    USEION k READ ek WRITE ik
    RANGE gbar, ninfvhalf, ninfk
    RANGE ninf, ntau
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gbar      = 0.08   (S/cm2) <0, 1e9>
    ninfvhalf = 40.8   (mV)
    ninfk     = -11.03 (mV)
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
    ntau = (1 - exp(-vm/5 - 52/5))/(0.032*vm + 0.5*(1 - exp(-vm/5 - 52/5))*exp(-vm/40 - 57/40) + 1.664)
    UNITSON
}
