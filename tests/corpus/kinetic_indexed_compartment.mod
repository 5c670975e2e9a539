: Calcium in three shells plus a scalar pump state, written the way some
: published models write it: the pump sits in the indexed COMPARTMENT
: list (nmc warns, W0602, and takes its volume at index 0), and a rate
: table is declared as a one-element array `kr[1]`.
NEURON {
    SUFFIX shells3
    RANGE kr, kd
}

DEFINE NS 3

UNITS {
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER {
    kd = 0.05 (/ms)
    kp = 0.01 (/ms)
}

ASSIGNED {
    vrat[NS]
    kr[1] (/ms)
}

STATE {
    c[NS] (mM)
    pump (mM)
}

INITIAL {
    FROM i = 0 TO NS - 1 {
        vrat[i] = 1/(i + 1)
        c[i] = 1e-4*(NS - i)
    }
    kr[0] = 0.2
    pump = 0
}

BREAKPOINT { SOLVE shells METHOD sparse }

KINETIC shells {
    COMPARTMENT i, vrat[i] {c pump}
    FROM i = 0 TO NS - 2 {
        ~ c[i] <-> c[i + 1] (kd, kd)
    }
    ~ c[NS - 1] <-> pump (kr[0]*kp, kp)
}
