TITLE cashell30: calcium entering a cylinder, diffusing inward through 10 shells, bound by a buffer in each

COMMENT
A test mechanism written for nmc (30 coupled states). The section is cut
into NSHELL concentric shells of equal thickness dr = diam/(2 NSHELL);
shell 0 lies under the membrane. Per unit length, shell k holds the area
A_k = pi (ro^2 - ri^2) (um2) and touches shell k+1 across the circle
2 pi ri, so radial diffusion between them is DCa 2 pi ri / dr (um2/ms)
times the concentration difference. Each shell has a buffer B that binds
calcium, ca + B <-> CaB (kon, koff), and calcium diffuses along the
section in every shell (LONGITUDINAL_DIFFUSION). Calcium enters shell 0
from the calcium current and from a square influx pulse `jpulse`
(mM um/ms through the membrane) between `del` and `del + dur`.
ENDCOMMENT

DEFINE NSHELL 10

NEURON {
    SUFFIX cashell30
    USEION ca READ ica WRITE cai
    RANGE jpulse, del, dur, top_ca, core_ca, top_b
    GLOBAL DCa, kon, koff, btot, cai0
}

UNITS {
    (mM) = (milli/liter)
    (um) = (micron)
    (mA) = (milliamp)
    FARADAY = (faraday) (10000 coulomb)
    PI = (pi) (1)
}

PARAMETER {
    DCa = 0.6 (um2/ms)
    kon = 100 (/mM-ms)
    koff = 0.1 (/ms)
    btot = 0.05 (mM)
    cai0 = 5e-5 (mM)
    jpulse = 2e-4 (mM-um/ms)
    del = 1.0123 (ms)
    dur = 5.0371 (ms)
}

ASSIGNED {
    diam (um)
    ica (mA/cm2)
    cai (mM)
    area_of[NSHELL] (um2)
    link[NSHELL] (um)
    jin (mM-um/ms)
    top_ca (mM)
    core_ca (mM)
    top_b (mM)
}

STATE {
    ca[NSHELL] (mM) <1e-10>
    cab[NSHELL] (mM)
    b[NSHELL] (mM)
}

BREAKPOINT {
    SOLVE shells METHOD sparse
}

INITIAL {
    LOCAL free
    shell_geometry()
    free = btot/(1 + kon*cai0/koff)
    FROM k = 0 TO NSHELL - 1 {
        ca[k] = cai0
        b[k] = free
        cab[k] = btot - free
    }
    cai = ca[0]
    probes()
}

UNITSOFF
PROCEDURE shell_geometry() {
    LOCAL dr, ro, ri
    dr = diam/(2*NSHELL)
    FROM k = 0 TO NSHELL - 1 {
        ro = diam/2 - k*dr
        ri = ro - dr
        area_of[k] = PI*(ro*ro - ri*ri)
        link[k] = 2*PI*ri/dr
    }
}

PROCEDURE probes() {
    top_ca = ca[0]
    core_ca = ca[NSHELL - 1]
    top_b = b[0]
}

KINETIC shells {
    COMPARTMENT k, area_of[k] {ca cab b}
    LONGITUDINAL_DIFFUSION k, DCa*area_of[k] {ca}
    if (t >= del && t < del + dur) {
        jin = jpulse
    } else {
        jin = 0
    }
    ~ ca[0] << (PI*diam*jin - ica*PI*diam*(1e4)/(2*FARADAY))
    FROM k = 0 TO NSHELL - 2 {
        ~ ca[k] <-> ca[k + 1] (DCa*link[k], DCa*link[k])
    }
    FROM k = 0 TO NSHELL - 1 {
        ~ ca[k] + b[k] <-> cab[k] (kon*area_of[k], koff*area_of[k])
    }
    cai = ca[0]
    probes()
}
UNITSON
