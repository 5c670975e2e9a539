TITLE cp_ba: BEFORE and AFTER blocks around the integration step

COMMENT
Corpus file. Exercises: BEFORE BREAKPOINT, AFTER SOLVE, BEFORE STEP,
AFTER INITIAL, BEFORE INITIAL blocks in a POINT_PROCESS that samples
the membrane potential at fixed moments of each time step.
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_ba
    RANGE vpre, vpost, vstep, vinit, nsteps
}

UNITS {
    (mV) = (millivolt)
}

ASSIGNED {
    v      (mV)
    vpre   (mV)
    vpost  (mV)
    vstep  (mV)
    vinit  (mV)
    nsteps
}

BEFORE INITIAL {
    nsteps = 0
}

AFTER INITIAL {
    vinit = v
}

BEFORE BREAKPOINT {
    vpre = v
}

AFTER SOLVE {
    vpost = v
}

BEFORE STEP {
    vstep = v
    nsteps = nsteps + 1
}
