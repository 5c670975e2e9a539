TITLE cp_bbcore: an opaque per-instance handle declared with BBCOREPOINTER

COMMENT
Corpus file. Exercises: BBCOREPOINTER (an opaque pointer that CoreNEURON
would serialise; declared in ASSIGNED like a POINTER), an ARTIFICIAL_CELL
that never dereferences it, net_send and net_event in NET_RECEIVE.
The handle is only declared; no VERBATIM C touches it.
NEURON note: nocmodl translates this file, but the generated C++ only
compiles when VERBATIM C defines bbcore_write and bbcore_read, so NEURON's
nrnivmodl rejects it at the C++ stage. It is here for the parser; the
validation script (reference/validate_models.py) translates it with
nocmodl only.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL cp_bbcore
    BBCOREPOINTER handle
    RANGE period
}

PARAMETER {
    period = 25 (ms) <1e-9, 1e9>
}

ASSIGNED {
    handle
}

INITIAL {
    net_send(period, 1)
}

NET_RECEIVE(w) {
    if (flag == 1) {
        net_event(t)
        net_send(period, 1)
    }
}
