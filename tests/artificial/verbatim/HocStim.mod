TITLE HocStim: nmc's NetStim plus two procedures of VERBATIM C for hoc

COMMENT
A test fixture: the spike generator of builtins/NetStim.mod under another
name, with two PROCEDUREs whose bodies are VERBATIM C in the style of
NEURON 9's own netstim.mod: one takes a hoc Random object, one sets the
RANDOM stream's ids from its arguments. Nothing in this file calls them
(in NEURON only hoc would), so nmc leaves them out with warning W0403 and
the cells spike exactly as NetStim's.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL HocStim
    RANGE interval, number, start, noise
    RANDOM ranvar
}

PARAMETER {
    interval = 10 (ms) <1e-9, 1e9>
    number   = 10      <0, 1e9>
    start    = 50 (ms)
    noise    = 0       <0, 1>
}

ASSIGNED {
    event  (ms)
    on
    ispike
}

INITIAL {
    random_setseq(ranvar, 0)
    on = 0
    ispike = 0
    if (noise < 0) {
        noise = 0
    }
    if (noise > 1) {
        noise = 1
    }
    if (start >= 0 && number > 0) {
        on = 1
        : the first interval keeps only its random part
        event = start + draw_interval(interval) - interval*(1 - noise)
        if (event < 0) {
            event = 0
        }
        net_send(event, 3)
    }
}

PROCEDURE restart() {
    if (number > 0) {
        on = 1
        event = 0
        ispike = 0
    }
}

FUNCTION draw_interval(mean (ms)) (ms) {
    LOCAL mu
    mu = mean
    if (mu <= 0) {
        mu = 0.01 (ms)
    }
    if (noise == 0) {
        draw_interval = mu
    } else {
        draw_interval = (1 - noise)*mu + noise*mu*random_negexp(ranvar)
    }
}

PROCEDURE next_interval() {
    if (number > 0) {
        event = draw_interval(interval)
    }
    if (ispike >= number) {
        on = 0
    }
}

NET_RECEIVE(w) {
    if (flag == 0) {
        if (w > 0 && on == 0) {
            : external "on" event: a new sequence
            restart()
            next_interval()
            event = event - interval*(1 - noise)
            net_send(event, 1)
        } else if (w < 0) {
            on = 0
        }
    }
    if (flag == 3) {
        : the first spike requested by INITIAL
        if (on == 1) {
            restart()
            net_send(0, 1)
        }
    }
    if (flag == 1 && on == 1) {
        ispike = ispike + 1
        net_event(t)
        next_interval()
        if (on == 1) {
            net_send(event, 1)
        }
    }
}


PROCEDURE streamFromHocRandom() {
VERBATIM
#if !NRNBBCORE
    /* hoc passes a Random object; its Random123 ids become ours */
    if (ifarg(1)) {
        Rand* rnd = nrn_random_arg(1);
        uint32_t a, b, c;
        char w;
        if (nrn_random_isran123(rnd, &a, &b, &c)) {
            nrnran123_setids(ranvar, a, b, c);
            nrn_random123_getseq(rnd, &a, &w);
            nrnran123_setseq(ranvar, a, w);
        }
    }
#endif
ENDVERBATIM
}

PROCEDURE streamIds() {
VERBATIM
#if !NRNBBCORE
    uint32_t i3 = ifarg(3) ? (uint32_t)(*getarg(3)) : 0;
    if (ifarg(2)) {
        nrnran123_setids(ranvar, (uint32_t)(*getarg(1)), (uint32_t)(*getarg(2)), i3);
    }
    nrnran123_setseq(ranvar, 0, 0);
#endif
ENDVERBATIM
}
