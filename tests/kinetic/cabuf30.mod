: nmc test file (tests/kinetic_large.rs): calcium, a mobile buffer and a
: fixed buffer over 30 radial shells, with a membrane pump: 152 states.
: Large enough that the compiled state kernel keeps its locals in a stack
: frame and is cut into parts; its results must equal the interpreter's
: bit for bit.

NEURON {
    SUFFIX cabuf30
    USEION ca READ cai, ica WRITE cai
    RANGE pumpflux
    GLOBAL vol, frac
}

DEFINE NSHELL 30

UNITS {
    (mM) = (milli/liter)
    (um) = (micron)
    (mA) = (milliamp)
    (mol) = (1)
    FARADAY = (faraday) (10000 coulomb)
    PI = (pi) (1)
}

PARAMETER {
    DCa = 0.6 (um2/ms)
    DB = 0.05 (um2/ms)
    kon = 100 (/mM-ms)
    koff = 0.1 (/ms)
    kfon = 20 (/mM-ms)
    kfoff = 0.5 (/ms)
    Btot = 0.05 (mM)
    Ftot = 0.1 (mM)
    kp1 = 3 (/mM-ms)
    kp2 = 0.002 (/ms)
    kp3 = 0.01 (/ms)
    pumpdens = 1e-13 (mol/cm2)
    ca0 = 5e-5 (mM)
}

ASSIGNED {
    diam (um)
    ica (mA/cm2)
    cai (mM)
    vol[NSHELL]
    frac[NSHELL]
    parea (um)
    pumpflux (mA/cm2)
}

STATE {
    ca[NSHELL] (mM)
    B[NSHELL] (mM)
    CaB[NSHELL] (mM)
    F[NSHELL] (mM)
    CaF[NSHELL] (mM)
    pump (mol/cm2)
    pumpca (mol/cm2)
}

BREAKPOINT {
    SOLVE scheme METHOD sparse
}

INITIAL {
    shells()
    parea = PI*diam
    FROM i = 0 TO NSHELL-1 {
        ca[i] = ca0
        B[i] = Btot*koff/(koff + kon*ca0)
        CaB[i] = Btot - B[i]
        F[i] = Ftot*kfoff/(kfoff + kfon*ca0)
        CaF[i] = Ftot - F[i]
    }
    pump = pumpdens
    pumpca = 0
}

: volume of each shell and the coupling between neighbours, per unit
: diameter squared (equal shell thickness, the outer one half as thick)
PROCEDURE shells() {
    LOCAL r, dr
    r = 0.5
    dr = r/(NSHELL - 0.5)
    FROM i = 0 TO NSHELL-1 {
        vol[i] = PI*(r*r - (r - dr)*(r - dr))
        if (i == 0) {
            vol[i] = PI*(r*r - (r - dr/2)*(r - dr/2))
            r = r - dr/2
        } else {
            r = r - dr
        }
        frac[i] = 2*PI*r/dr
    }
    vol[NSHELL-1] = vol[NSHELL-1] + PI*r*r
}

KINETIC scheme {
    COMPARTMENT i, diam*diam*vol[i] {ca B CaB F CaF}
    COMPARTMENT (1e10)*parea {pump pumpca}
    ~ ca[0] + pump <-> pumpca (kp1*parea*(1e10), kp2*parea*(1e10))
    ~ pumpca <-> pump (kp3*parea*(1e10), 0)
    CONSERVE pump + pumpca = pumpdens*parea*(1e10)
    pumpflux = 2*FARADAY*(f_flux - b_flux)/parea
    ~ ca[0] << (-ica*PI*diam/(2*FARADAY))
    FROM i = 0 TO NSHELL-2 {
        ~ ca[i] <-> ca[i+1] (DCa*frac[i], DCa*frac[i])
        ~ B[i] <-> B[i+1] (DB*frac[i], DB*frac[i])
        ~ CaB[i] <-> CaB[i+1] (DB*frac[i], DB*frac[i])
    }
    FROM i = 0 TO NSHELL-1 {
        ~ ca[i] + B[i] <-> CaB[i] (kon*diam*diam*vol[i], koff*diam*diam*vol[i])
        ~ ca[i] + F[i] <-> CaF[i] (kfon*diam*diam*vol[i], kfoff*diam*diam*vol[i])
    }
    cai = ca[0]
}
