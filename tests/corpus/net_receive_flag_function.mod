TITLE cp_flagfn: NET_RECEIVE's flag next to a FUNCTION named flag

COMMENT
Corpus file. Exercises: a FUNCTION called `flag` in a file whose
NET_RECEIVE tests the event flag: inside NET_RECEIVE `flag` is the event's
flag (nocmodl's rule), elsewhere the FUNCTION. A self-exciting point process
that sends itself an event with flag 1 and counts them.
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_flagfn
    RANGE count, delay
}

PARAMETER {
    delay = 2 (ms)
}

ASSIGNED {
    count
}

INITIAL {
    count = 0
    net_send(delay, flag(1))
}

NET_RECEIVE(w) {
    if (flag == 1) {
        count = count + 1
        net_send(delay, 1)
    } else {
        count = count + w
    }
}

FUNCTION flag(x) {
    flag = x
}
