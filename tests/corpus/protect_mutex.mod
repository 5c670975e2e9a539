TITLE cp_protect: a mechanism-wide event counter updated under PROTECT

COMMENT
Corpus file. Exercises: PROTECT on an assignment to a GLOBAL from
NET_RECEIVE (made atomic across threads), MUTEXLOCK / MUTEXUNLOCK around a
compound update in a PROCEDURE (NEURON does not accept them directly in
NET_RECEIVE), GLOBAL ASSIGNED variables written at run time.
(No THREADSAFE here: in a THREADSAFE mechanism NEURON turns an ASSIGNED
GLOBAL into per-thread storage that NET_RECEIVE cannot reach, and the
generated C dereferences a null pointer; global_threadsafe.mod covers
THREADSAFE.)
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_protect
    GLOBAL total, wsum
    RANGE mine
}

ASSIGNED {
    total
    wsum
    mine
}

INITIAL {
    total = 0
    wsum = 0
    mine = 0
}

NET_RECEIVE(w) {
    mine = mine + 1
    PROTECT total = total + 1
    accumulate(w)
}

PROCEDURE accumulate(x) {
    MUTEXLOCK
    wsum = wsum + x
    MUTEXUNLOCK
}
