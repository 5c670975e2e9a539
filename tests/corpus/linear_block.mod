TITLE cp_linear: two-pool equilibrium solved as a LINEAR system

COMMENT
Corpus file. Exercises: a LINEAR block with ~ equations (two unknowns,
two linear equations), SOLVE of a LINEAR block from INITIAL and from
BREAKPOINT (no METHOD), exported results through RANGE.
The pools pa and pb satisfy pa + pb = total and kxy*pa = kyx*pb.
ENDCOMMENT

NEURON {
    SUFFIX cp_linear
    RANGE total, kxy, kyx, xout
}

PARAMETER {
    total = 2    (1)
    kxy   = 0.3  (/ms)
    kyx   = 0.1  (/ms)
}

ASSIGNED {
    xout
}

STATE {
    pa
    pb
}

INITIAL {
    SOLVE pools
    xout = pa
}

BREAKPOINT {
    SOLVE pools
    xout = pa
}

LINEAR pools {
    ~ pa + pb = total
    ~ kxy*pa = kyx*pb
}
