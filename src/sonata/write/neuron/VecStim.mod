TITLE VecStim for NEURON: an artificial cell replaying the spike times of a Vector

COMMENT
nmc project model, written by `nmc build` for NEURON. BMTK's virtual cells
(spike inputs) make one VecStim per node and hand it its spike train:

    vs = h.VecStim()
    vs.play(h.Vector(times))      : times in ms, sorted

NEURON 9.0.2 has no VecStim built in, so a BMTK project compiles one with
its own mechanisms (`nrnivmodl`). nmc plays spike inputs itself (and has
its own built-in VecStim) and does not compile the C code below.

play() copies the times into a table kept by this file, one train per
instance (`train` is the instance's row, 0 before its first play). The
NMODL part replays a train: INITIAL skips the times before t and
schedules a self-event (flag 1) at the next one; each self-event emits a
spike with net_event and schedules the following time. Equal times give
one spike each. External events and the weight are ignored.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL VecStim
    RANGE train
}

PARAMETER {
    train = 0
}

ASSIGNED {
    k
    pending
    tnext (ms)
}

VERBATIM
#include <vector>
/* The spike trains handed to play(), row train - 1 for each instance. */
static std::vector<std::vector<double>> nmc_vecstim_trains;
ENDVERBATIM

INITIAL {
    k = 0
    advance()
    if (pending == 1) {
        net_send(tnext - t, 1)
    }
}

NET_RECEIVE(w) {
    if (flag == 1) {
        net_event(t)
        advance()
        if (pending == 1) {
            net_send(tnext - t, 1)
        }
    }
}

: Finds the next time of the train not before t (pending = 1), or none
: left (pending = 0).
PROCEDURE advance() {
    LOCAL n
    n = count()
    pending = 0
    while (pending == 0 && k < n) {
        tnext = time_at(k)
        k = k + 1
        if (tnext >= t) {
            pending = 1
        }
    }
}

: Number of times in this instance's train.
FUNCTION count() {
VERBATIM
    {
        size_t row = (size_t) train;
        _lcount = (row >= 1 && row <= nmc_vecstim_trains.size())
            ? (double) nmc_vecstim_trains[row - 1].size() : 0.0;
    }
ENDVERBATIM
}

: Time number i (from 0) of this instance's train.
FUNCTION time_at(i) (ms) {
VERBATIM
    {
        const std::vector<double>& row = nmc_vecstim_trains[(size_t) train - 1];
        _ltime_at = row[(size_t) _li];
    }
ENDVERBATIM
}

: play(vector) replaces this instance's train by a copy of the vector;
: play() with no argument empties it.
PROCEDURE play() {
VERBATIM
    {
        std::vector<double> times;
        if (ifarg(1)) {
            auto* vec = vector_arg(1);
            double* x = vector_vec(vec);
            times.assign(x, x + vector_capacity(vec));
        }
        if (train < 1.0) {
            nmc_vecstim_trains.emplace_back();
            train = (double) nmc_vecstim_trains.size();
        }
        nmc_vecstim_trains[(size_t) train - 1] = times;
    }
ENDVERBATIM
}
