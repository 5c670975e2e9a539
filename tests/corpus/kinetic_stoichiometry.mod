TITLE cp_dimer: receptor dimerisation with stoichiometry and flux read-out

COMMENT
Corpus file. Exercises: KINETIC reactions with stoichiometric coefficients
(~ 2 rec <-> dimer), two reactants on one side (~ dimer + lig <-> bound),
the f_flux and b_flux variables read after a reaction, a state-dependent one-way
flux (<<), SOLVE ... METHOD sparse, a POINT_PROCESS whose events add
ligand. State names avoid a leading D followed by another state's name
(NEURON reads DX as the derivative of X). No CONSERVE: NEURON's CONSERVE
takes no stoichiometric weights.
ENDCOMMENT

NEURON {
    POINT_PROCESS cp_dimer
    RANGE kd1, ku1, kb, kub, klr, fdimer
}

PARAMETER {
    kd1 = 0.5  (/ms)
    ku1 = 0.05 (/ms)
    kb  = 2    (/ms)
    kub = 0.1  (/ms)
    klr = 0.2  (/ms)
}

ASSIGNED {
    fdimer (/ms)
}

STATE {
    rec
    dimer
    bound
    lig
}

INITIAL {
    rec = 1
    dimer = 0
    bound = 0
    lig = 0
}

BREAKPOINT {
    SOLVE binding METHOD sparse
}

KINETIC binding {
    ~ 2 rec <-> dimer (kd1, ku1)
    fdimer = f_flux - b_flux
    ~ dimer + lig <-> bound (kb, kub)
    ~ lig << (-klr*lig)
}

NET_RECEIVE(w) {
    lig = lig + w
}
