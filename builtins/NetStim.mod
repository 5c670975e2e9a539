TITLE NetStim: spike generator with regular or partly random intervals

COMMENT
nmc's version of NEURON's built-in NetStim (an artificial cell), written
from its published behaviour.

Parameters:
    interval  mean time between spikes (ms)
    number    how many spikes to emit (at most)
    start     time of the first spike (ms; with noise, its mean is
              start + noise*interval)
    noise     0 = perfectly regular, 1 = Poisson; in between, each interval
              is a fixed part (1 - noise)*interval plus an exponentially
              distributed part of mean noise*interval.

Events: INITIAL schedules a self-event with flag 3 at the first spike time;
it starts the sequence (unless an external event stopped it) and emits
the first spike at once. A self-event with flag 1 emits a spike
(net_event) and schedules the next. An external event (flag 0) with a
positive weight starts a new sequence when none is running, its first
spike after the random part of one interval (at once when noise = 0); a
negative weight stops the sequence for good.

Random intervals (noise > 0) draw random_negexp from the instance's
RANDOM stream `ranvar`, which INITIAL rewinds to sequence 0: with the
same stream ids the numbers, and so the spike times, are NEURON's. Unless
set (parameters ranvar.id1, ranvar.id2, ranvar.id3), the ids are NEURON's
defaults for instances made in network order. With noise = 0 no random
number is drawn.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL NetStim
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
