TITLE cp_ftab: conductance with voltage dependence supplied as FUNCTION_TABLEs

COMMENT
Corpus file. Exercises: FUNCTION_TABLE with one argument and with two
arguments, units on FUNCTION_TABLE arguments and results, calling a
FUNCTION_TABLE like an ordinary function. The tables are filled at run
time (in NEURON with table_minf_cp_ftab(...) from hoc or Python).
ENDCOMMENT

NEURON {
    SUFFIX cp_ftab
    NONSPECIFIC_CURRENT i
    RANGE gbar, erev
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
    (mM) = (milli/liter)
}

PARAMETER {
    gbar = 1e-3 (S/cm2)
    erev = 0    (mV)
    conc = 0.01 (mM)
}

ASSIGNED {
    v (mV)
    i (mA/cm2)
}

STATE {
    m
}

FUNCTION_TABLE minf(vm (mV))
FUNCTION_TABLE mtau(vm (mV), c (mM)) (ms)

INITIAL {
    m = minf(v)
}

BREAKPOINT {
    SOLVE states METHOD cnexp
    i = gbar*m*(v - erev)
}

DERIVATIVE states {
    m' = (minf(v) - m)/mtau(v, conc)
}
