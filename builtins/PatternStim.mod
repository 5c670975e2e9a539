TITLE PatternStim: replays a pattern of (time, gid) spikes

COMMENT
nmc's version of NEURON's built-in PatternStim, written from its published
behaviour. A PatternStim is handed a spike pattern, pairs (t, gid), and
fires each gid at its time t as if a cell of that gid had spiked: every
connection whose source is the gid delivers an event at t + delay. Only
gids that are not cells of the simulated network are fired (NEURON fires
the network's own cells too when fake_output is not 0).

nmc's engine does the replay itself: the pattern becomes one spike train
per gid, fired at exactly the given times (in NDL:
`input NAME = PatternStim { times = [...] ms; gids = [...] }`, whose
connections `connect NAME[gid] -> ...` are those of each gid). The cell
itself has no other behaviour: events sent to it are ignored. nmc
recognises the pattern.mod NEURON ships (its exact text, C included) as
this mechanism.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL PatternStim
    RANGE fake_output
}

PARAMETER {
    fake_output = 0
}

NET_RECEIVE(w) {
}
