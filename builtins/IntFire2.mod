TITLE IntFire2: integrate-and-fire cell with a synaptic current that decays

COMMENT
nmc's version of NEURON's built-in IntFire2, written from its published
behaviour. An artificial cell with two states between events:
    taus*i' + i = ib     (synaptic current; an event of weight w adds w to i)
    taum*m' + m = i      (membrane; fires when m reaches 1, then m = 0)
with taum < taus (INITIAL raises taus to taum + 0.1 otherwise). Both are
solved exactly between events; the next firing time is found by Newton's
method on the closed-form m(t) (firetime, newton), 1e9 ms when m never
reaches 1. An input moves the pending firing event (net_move); the firing
event (flag 1) emits the spike and schedules the next one.

M() and I() give m and i at the current time.
ENDCOMMENT

NEURON {
    ARTIFICIAL_CELL IntFire2
    RANGE taus, taum, ib, i, m
}

PARAMETER {
    taus = 20 (ms)
    taum = 10 (ms)
    ib   = 0
}

ASSIGNED {
    i
    m
    t0 (ms)
}

FUNCTION M() {
    LOCAL x, f
    f = taus/(taus - taum)
    x = (i - ib)*exp(-(t - t0)/taus)
    M = ib + f*x + (m - (ib + (i - ib)*f))*exp(-(t - t0)/taum)
}

FUNCTION I() {
    LOCAL x, f
    f = taus/(taus - taum)
    x = (i - ib)*exp(-(t - t0)/taus)
    I = x + ib
}

INITIAL {
    i = ib
    m = 0
    if (taus <= taum) {
        taus = taum + 0.1
    }
    t0 = t
    net_send(firetime(ib, 0, 0), 1)
}

NET_RECEIVE(w) {
    LOCAL x, inew, f, ibf
    f = taus/(taus - taum)
    x = (i - ib)*exp(-(t - t0)/taus)
    inew = ib + x
    if (flag == 1) {
        : the pending firing time has come
        net_event(t)
        m = 0
        ibf = (inew - ib)*f
        net_send(firetime(ib, ibf, 0), 1)
    } else {
        : an input: bring m up to date, add w to i, move the firing time
        m = ib + f*x + (m - (ib + (i - ib)*f))*exp(-(t - t0)/taum)
        inew = inew + w
        if (m >= 1) {
            net_move(t)
        } else {
            ibf = (inew - ib)*f
            net_move(firetime(ib, ibf, m) + t)
        }
    }
    t0 = t
    i = inew
}

FUNCTION firetime(a, b, c) (ms) {
    : the first s > 0 with 1 = a + b*exp(-s/taus) + (c - a - b)*exp(-s/taum),
    : c < 1; 1e9 when there is none. With x = exp(-s/taum) and r = taum/taus
    : the equation is 1 = a + b*x^r + (c - a - b)*x on 0 < x <= 1; when its
    : slope at x = 1 points out of the domain the same equation is solved in
    : y = exp(-s/taus) instead: 1 = a + (c - a - b)*y^(1/r) + b*y.
    LOCAL r, cab, x, slope, f
    r = taum/taus
    if (a <= 1 && a + b <= 1) {
        firetime = 1e9
    } else if (a > 1 && b <= 0) {
        cab = c - a - b
        slope = r*b + cab
        if (slope >= 0) {
            firetime = -taus*log(newton(a, cab, b, 1/r, 0))
        } else {
            x = (1 - c + slope)/slope
            if (x <= 0) {
                firetime = -taus*log(newton(a, cab, b, 1/r, 0))
            } else {
                firetime = -taum*log(newton(a, b, cab, r, x))
            }
        }
    } else {
        cab = c - a - b
        : the maximum of a + b*x^r + cab*x
        x = (-cab/(r*b))^(1/(r - 1))
        f = a + b*x^r + cab*x
        if (x >= 1 || f <= 1) {
            firetime = 1e9
        } else {
            slope = r*b + cab
            x = (1 - c + slope)/slope
            firetime = -taum*log(newton(a, b, cab, r, x))
        }
    }
}

FUNCTION newton(a, b, c, r, x) {
    : solves 1 = a + b*x^r + c*x from x, keeping 0 < x <= 1; gives up
    : after 10 iterations
    LOCAL dx, f, df, iter
    dx = 1
    f = 0
    iter = 0
    while (fabs(dx) > 1e-6 || fabs(f - 1) > 1e-6) {
        f = a + b*x^r + c*x
        df = r*b*x^(r - 1) + c
        dx = (1 - f)/df
        x = x + dx
        if (x <= 0) {
            x = 1e-4
        } else if (x > 1) {
            x = 1
        }
        iter = iter + 1
        if (iter > 10) {
            f = 1
            dx = 0
        }
    }
    newton = x
}
