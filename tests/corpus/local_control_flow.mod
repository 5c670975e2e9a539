TITLE cp_flow: LOCAL variables, if / else if / else chains and while loops

COMMENT
Corpus file. Exercises: LOCAL declarations in a FUNCTION, a PROCEDURE and
BREAKPOINT, if / else if / else chains, a while loop with a counter,
logical operators (&&, ||, !), comparison operators (<, <=, >, >=, ==, !=),
unary minus, the power operator ^, nested parentheses.
A piecewise-linear conductance with a bisection search for its half-point.
ENDCOMMENT

NEURON {
    SUFFIX cp_flow
    NONSPECIFIC_CURRENT i
    RANGE gmax, erev, vlo, vhi, vmid
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S)  = (siemens)
}

PARAMETER {
    gmax = 1e-4 (S/cm2)
    erev = -70  (mV)
    vlo  = -80  (mV)
    vhi  = -20  (mV)
}

ASSIGNED {
    v    (mV)
    i    (mA/cm2)
    vmid (mV)
}

INITIAL {
    halfpoint()
}

BREAKPOINT {
    LOCAL f
    f = shape(v)
    if (!(f >= 0) || f != f) {
        f = 0
    }
    i = gmax*f*(v - erev)
}

FUNCTION shape(vm (mV)) {
    LOCAL x
    x = (vm - vlo)/(vhi - vlo)
    if (x <= 0) {
        shape = 0
    } else if (x > 0 && x < 0.5) {
        shape = 2*x^2
    } else if (x >= 0.5 && x < 1) {
        shape = 1 - 2*(1 - x)^2
    } else {
        shape = 1
    }
}

PROCEDURE halfpoint() {
    LOCAL a, b, mid, n
    a = vlo
    b = vhi
    n = 0
    while (n < 60 && (b - a) > 1e-9 (mV)) {
        mid = (a + b)/2
        if (shape(mid) < 0.5) {
            a = mid
        } else {
            b = mid
        }
        n = n + 1
    }
    vmid = -(-(a + b)/2)
}
