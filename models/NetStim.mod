TITLE NetStim: spike generator with regular or partly Poisson intervals

COMMENT
nmc project model of the standard presynaptic spike source.

Parameters:
    interval  mean time between spikes (ms)
    number    how many spikes to emit (at most)
    start     time of the first spike when noise = 0 (ms)
    noise     0 = perfectly regular, 1 = Poisson; in between, each interval
              is a fixed part (1 - noise)*interval plus an exponentially
              distributed part of mean noise*interval.

The random part uses exprand(mean), a random-number function that the
runtime provides (nmc supplies it as a builtin; it is also a builtin of
NEURON's NMODL translator). No VERBATIM C is needed.

Events: INITIAL schedules a self-event with flag 3 at the first spike time.
A self-event with flag 1 emits a spike (net_event) and schedules the next.
An external event (flag 0) with positive weight restarts the sequence at
the current time; a negative weight stops it.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetStim
    RANGE interval, number, start, noise
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
    if (noise < 0) {
        noise = 0
    }
    if (noise > 1) {
        noise = 1
    }
    on = 0
    ispike = 0
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

FUNCTION draw_interval(mean (ms)) (ms) {
    LOCAL mu
    mu = mean
    if (mu <= 0) {
        mu = 0.01 (ms)
    }
    if (noise == 0) {
        draw_interval = mu
    } else {
        draw_interval = (1 - noise)*mu + noise*mu*exprand(1)
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
            : external "on" event: restart the sequence now
            ispike = 0
            on = 1
            net_send(0, 1)
        } else if (w < 0 && on == 1) {
            on = 0
        }
    }
    if (flag == 3) {
        : first spike requested by INITIAL
        if (on == 1) {
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
