TITLE cp_printf: diagnostic output with printf

COMMENT
Corpus file. Exercises: printf with a format string only, with several
arguments of different kinds (variables, expressions, function results),
escape sequences in strings, printf inside INITIAL, NET_RECEIVE and a
PROCEDURE, a GLOBAL verbosity switch.
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_printf
    GLOBAL verbose
    RANGE count
}

PARAMETER {
    verbose = 1
}

ASSIGNED {
    count
}

INITIAL {
    count = 0
    if (verbose > 0) {
        printf("cp_printf: initialised\n")
    }
}

NET_RECEIVE(w) {
    count = count + 1
    if (verbose > 0) {
        UNITSOFF
        printf("cp_printf: event %g\tweight %g\tat t = %g ms\n", count, w, t)
        UNITSON
        summary()
    }
}

PROCEDURE summary() {
    printf("cp_printf: %g events, %g%% of 100, sqrt = %.3f\n", count, count/100*100, sqrt(count))
}
