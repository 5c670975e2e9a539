TITLE IntFire4: integrate-and-fire cell with excitatory and alpha-like inhibitory currents

COMMENT
nmc's version of NEURON's built-in IntFire4, written from its published
equations. An artificial cell with four states between events:
    e'  = -ke*e                     (excitation, fast exponential decay)
    i1' = -ki1*i1                   (inhibition, first stage)
    i2' = -ki2*i2 + ai1*i1          (inhibition, second stage: alpha-like)
    m'  = -km*m + ae*e + ai2*i2     (membrane)
with ke = 1/taue, ki1 = 1/taui1, ki2 = 1/taui2, km = 1/taum. A positive
weight is added to e, a negative one to i1. The factors ae, ai1, ai2 are
chosen (factors) so that a single excitatory weight of 1 peaks m at 1 and
a single inhibitory weight of -1 peaks i2 and m at -1. The cell fires when
m > 1 - eps; m then returns to 0 and the currents continue.

Between events the states follow the closed-form solution (newstates).
The firing time is approached by self-events at a lower bound (m grows at
most linearly at its present slope: firetimebound), which needs
taue < taui2 and taui1 < taui2 and every pair of time constants at least
taueps apart; fixprecondition adjusts the parameters in INITIAL to ensure
that. nself, nexcite, ninhibit count self-events, excitatory and
inhibitory inputs. M(), E() and I() give m, the excitatory current and the
inhibitory current at the current time.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL IntFire4
    RANGE taue, taui1, taui2, taum, e, i1, i2, m, ae, ai2, ai1
    RANGE nself, nexcite, ninhibit
    GLOBAL eps, taueps
}

PARAMETER {
    taue   = 5    (ms) <0, 1e9>
    taui1  = 10   (ms) <0, 1e9>
    taui2  = 20   (ms) <0, 1e9>
    taum   = 50   (ms) <0, 1e9>
    ib     = 0
    eps    = 1e-6      <1e-9, 0.01>
    taueps = 0.01      <1e-9, 1e9>
}

ASSIGNED {
    e
    i1
    i2
    m
    enew
    i1new
    i2new
    mnew
    t0 (ms)
    nself
    nexcite
    ninhibit
    ke  (1/ms)
    ki1 (1/ms)
    ki2 (1/ms)
    km  (1/ms)
    ae  (1/ms)
    ai1 (1/ms)
    ai2 (1/ms)
    be
    bi1
    bi2
    a
    b
    swapped (ms)
    failed
}

PROCEDURE newstates(d (ms)) {
    : the states d ms after the last update (t0), into enew .. mnew
    LOCAL xe, xi1, xi2, xm
    xe = exp(-ke*d)
    xi1 = exp(-ki1*d)
    xi2 = exp(-ki2*d)
    xm = exp(-km*d)
    enew = e*xe
    i1new = i1*xi1
    i2new = i2*xi2 + bi1*i1*(xi2 - xi1)
    mnew = m*xm + be*e*(xm - xe) + (bi2*i2 + a*i1)*(xm - xi2) - b*i1*(xm - xi1)
}

FUNCTION M() {
    newstates(t - t0)
    M = mnew
}

FUNCTION E() {
    newstates(t - t0)
    E = ae*enew
}

FUNCTION I() {
    newstates(t - t0)
    I = ai2*i2new
}

PROCEDURE update() {
    e = enew
    i1 = i1new
    i2 = i2new
    m = mnew
    t0 = t
}

PROCEDURE fixprecondition() {
    : keep every time constant clear of zero
    if (taui2 < 4*taueps) {
        taui2 = 4*taueps
    }
    if (taui1 < 3*taueps) {
        taui1 = 3*taueps
    }
    if (taue < 2*taueps) {
        taue = 2*taueps
    }
    : taue < taui2
    if (taue > taui2) {
        swapped = taue
        taue = taui2 - taueps
        printf("Warning: Adjusted taue from %g  to %g  to ensure taue < taui2\n", swapped, taue)
    } else if (taui2 - taue < taueps) {
        taue = taui2 - taueps
    }
    : taui1 < taui2; taui2 is final from here on
    if (taui1 > taui2) {
        swapped = taui2
        taui2 = taui1
        taui1 = swapped
        printf("Warning: Swapped taui1 and taui2\n")
    }
    if (taui2 - taui1 < taueps) {
        taui1 = taui2 - taueps
    }
    : taum at least taueps from every other time constant
    if (taum <= taui2) {
        if (taui2 - taum < taueps) {
            taum = taui2 - taueps
        }
        if (fabs(taui1 - taum) < taueps) {
            taum = taui1 - taueps
        }
        if (fabs(taui1 - taum) < taueps) {
            if (taui1 - taum < 0) {
                taum = taui1 - taueps
            } else {
                taui1 = taum - taueps
            }
        }
        if (fabs(taue - taum) < taueps) {
            if (taue - taum < 0) {
                taum = taue - taueps
            } else {
                taue = taum - taueps
            }
        }
        if (fabs(taui1 - taum) < taueps) {
            taum = taui1 - taueps
        }
    } else if (taum - taui2 < taueps) {
        taum = taui2 + taueps
    }
}

PROCEDURE factors() {
    LOCAL tp
    ke = 1/taue
    ki1 = 1/taui1
    ki2 = 1/taui2
    km = 1/taum
    : e of 1 alone: m peaks at 1
    tp = log(km/ke)/(km - ke)
    be = 1/(exp(-km*tp) - exp(-ke*tp))
    ae = be*(ke - km)
    : i1 of 1 alone: i2 peaks at 1
    tp = log(ki2/ki1)/(ki2 - ki1)
    bi1 = 1/(exp(-ki2*tp) - exp(-ki1*tp))
    ai1 = bi1*(ki1 - ki2)
    : i1 of 1 alone: m peaks at 1. Provisional bi2 = 1, find the peak
    : time, then rescale bi2 by the peak found.
    e = 0
    i1 = 1
    i2 = 0
    m = 0
    bi2 = 1
    ai2 = bi2*(ki2 - km)
    a = bi2*bi1
    b = a*(ki2 - km)/(ki1 - km)
    tp = search()
    newstates(tp)
    bi2 = 1/mnew
    ai2 = bi2*(ki2 - km)
    a = bi2*bi1
    b = a*(ki2 - km)/(ki1 - km)
    newstates(tp)
    i1 = 0
}

FUNCTION deriv(d (ms)) {
    : has the sign of dm/dt at d after an isolated i1 (not its magnitude)
    deriv = (-km*exp(-d*km) + ki2*exp(-d*ki2))/(ki2 - km) - ((-km*exp(-d*km) + ki1*exp(-d*ki1)))/(ki1 - km)
}

FUNCTION search() (ms) {
    : the time of the peak of m after an isolated i1: a bracket [t1, t2]
    : a factor of 10 wide with deriv(t1) >= 0 >= deriv(t2), then bisection
    LOCAL x, t1, t2
    t1 = 1
    failed = 0
    if (deriv(t1) < 0) {
        while (deriv(t1) < 0 && t1 > 1e-9) {
            t2 = t1
            t1 = t1/10
        }
        if (deriv(t1) < 0) {
            printf("Error wrong deriv(t1): t1=%g deriv(t1)=%g\n", t1, deriv(t1))
            failed = 1
            search = 1e-9
        }
    } else {
        t2 = t1
        while (deriv(t2) > 0 && t2 < 1e9) {
            t1 = t2
            t2 = t2*10
        }
        if (deriv(t2) > 0) {
            printf("Error wrong deriv(t2): t2=%g deriv(t2)=%g\n", t2, deriv(t2))
            failed = 1
            search = 1e9
        }
    }
    while (t2 - t1 > 1e-6 && failed == 0) {
        search = (t1 + t2)/2
        x = deriv(search)
        if (x > 0) {
            t1 = search
        } else {
            t2 = search
        }
    }
}

INITIAL {
    fixprecondition()
    factors()
    e = 0
    i1 = 0
    i2 = 0
    m = 0
    t0 = t
    net_send(firetimebound(), 1)
    nself = 0
    nexcite = 0
    ninhibit = 0
}

NET_RECEIVE(w) {
    newstates(t - t0)
    update()
    if (m > 1 - eps) {
        net_event(t)
        m = 0
    }
    if (flag == 1) {
        nself = nself + 1
        net_send(firetimebound(), 1)
    } else {
        if (w > 0) {
            nexcite = nexcite + 1
            e = e + w
        } else {
            ninhibit = ninhibit + 1
            i1 = i1 + w
        }
        net_move(firetimebound() + t)
    }
}

FUNCTION firetimebound() (ms) {
    : no earlier than m reaches 1 at its present slope; 1e9 when m falls
    LOCAL slope
    slope = -km*m + ae*e + ai2*i2
    if (slope <= 1e-9) {
        firetimebound = 1e9
    } else {
        firetimebound = (1 - m)/slope
    }
}
