//! Hand-built IR mechanisms for tests and benchmarks of the back ends:
//! `na_rtm` and `k_rtm` as the lowering is specified to produce them (cnexp
//! solved, current kernel with the numerical derivative), an Exp2Syn-like
//! point process with NET_RECEIVE, and a mechanism that uses every
//! statement and expression form.

use crate::ir::{
    BinOp, Builtin, Expr, Field, FieldId, FieldKind, FuncId, Function, Global, GlobalArray,
    GlobalId, IonId, IonUse, Kernel, KernelKind, LocalId, MathFn, MechKind, Mechanism, NodeArray,
    Place, SharedVar, Stmt, UnOp,
};

fn c(x: f64) -> Expr {
    Expr::Const(x)
}
fn fld(id: usize) -> Place {
    Place::Field(FieldId::new(id), None)
}
fn f(id: usize) -> Expr {
    Expr::Load(fld(id))
}
fn loc(id: usize) -> Expr {
    Expr::Load(Place::Local(LocalId::new(id)))
}
fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Binary(op, Box::new(a), Box::new(b))
}
fn add(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Add, a, b)
}
fn sub(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Sub, a, b)
}
fn mul(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Mul, a, b)
}
fn div(a: Expr, b: Expr) -> Expr {
    bin(BinOp::Div, a, b)
}
fn neg(a: Expr) -> Expr {
    Expr::Unary(UnOp::Neg, Box::new(a))
}
fn exp(a: Expr) -> Expr {
    Expr::Math(MathFn::Exp, vec![a])
}
fn set(p: Place, e: Expr) -> Stmt {
    Stmt::Assign(p, e)
}
fn acc(p: Place, e: Expr) -> Stmt {
    Stmt::Accumulate(p, e)
}

fn field(name: &str, kind: FieldKind, default: f64) -> Field {
    Field {
        name: name.to_string(),
        kind,
        unit: None,
        default,
        len: 1,
        range: true,
    }
}

fn ion(name: &str, read: &[&str], write: &[&str]) -> IonUse {
    IonUse {
        name: name.to_string(),
        read: read.iter().map(|s| s.to_string()).collect(),
        write: write.iter().map(|s| s.to_string()).collect(),
        valence: None,
    }
}

fn kernel(kind: KernelKind, locals: &[&str], body: Vec<Stmt>) -> Kernel {
    Kernel {
        kind,
        locals: locals.iter().map(|s| s.to_string()).collect(),
        body,
    }
}

/// `1/(1 + exp((vm + vhalf)/k))` with vm the local 0.
fn boltzmann(vhalf: usize, k: usize) -> Expr {
    div(c(1.0), add(c(1.0), exp(div(add(loc(0), f(vhalf)), f(k)))))
}

/// The current kernel nocmodl writes for one ion current `i` with
/// conductance-like body `current(v)` (v in local 0, result written to
/// field `i`): g from currents at v + 0.001 and v.
fn current_kernel(
    v: usize,
    e_ion: (usize, &str),
    i: (usize, &str),
    di: &str,
    body: Vec<Stmt>,
) -> Kernel {
    // locals: 0 g, 1 rhs, 2 di
    let ion_id = IonId::new(0);
    let mut stmts = vec![
        set(fld(v), Expr::Load(Place::Node(NodeArray::V))),
        set(
            fld(e_ion.0),
            Expr::Load(Place::Ion(ion_id, e_ion.1.to_string())),
        ),
        set(fld(v), add(Expr::Load(Place::Node(NodeArray::V)), c(0.001))),
    ];
    stmts.extend(body.clone());
    stmts.push(set(Place::Local(LocalId::new(0)), f(i.0)));
    stmts.push(set(Place::Local(LocalId::new(2)), f(i.0)));
    stmts.push(set(fld(v), Expr::Load(Place::Node(NodeArray::V))));
    stmts.extend(body);
    stmts.push(set(Place::Local(LocalId::new(1)), f(i.0)));
    stmts.push(set(
        Place::Local(LocalId::new(0)),
        div(sub(loc(0), loc(1)), c(0.001)),
    ));
    stmts.push(acc(
        Place::Ion(ion_id, di.to_string()),
        div(sub(loc(2), f(i.0)), c(0.001)),
    ));
    stmts.push(acc(Place::Ion(ion_id, i.1.to_string()), f(i.0)));
    stmts.push(acc(Place::Node(NodeArray::Rhs), neg(loc(1))));
    stmts.push(acc(Place::Node(NodeArray::Diag), loc(0)));
    kernel(KernelKind::Current, &["g", "rhs", "di"], stmts)
}

/// `x = x + (1 - exp(-dt/tau))*(inf - x)`: cnexp for `x' = (inf - x)/tau`.
fn cnexp(x: usize, inf: usize, tau: usize) -> Stmt {
    let dt = Expr::Load(Place::Shared(SharedVar::Dt));
    set(
        fld(x),
        add(
            f(x),
            mul(sub(c(1.0), exp(div(neg(dt), f(tau)))), sub(f(inf), f(x))),
        ),
    )
}

/// `na_rtm` (models/na_rtm.mod) lowered by hand.
pub fn na_rtm() -> Mechanism {
    use FieldKind::*;
    // fields
    let (gbar, mvh, mk, hvh, hk, v, ena, ina, minf, hinf, htau, mtau, m, h) =
        (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
    let fields = vec![
        field("gbar", Parameter, 0.1),
        field("minfvhalf", Parameter, 41.03),
        field("minfk", Parameter, -7.1),
        field("hinfvhalf", Parameter, 45.32),
        field("hinfk", Parameter, 4.04),
        field("v", Voltage, 0.0),
        field("ena", Ion { ion: IonId::new(0) }, 0.0),
        field("ina", Ion { ion: IonId::new(0) }, 0.0),
        field("minf", Assigned, 0.0),
        field("hinf", Assigned, 0.0),
        field("htau", Assigned, 0.0),
        field("mtau", Assigned, 0.0),
        field("m", State, 0.0),
        field("h", State, 0.0),
    ];
    let vm = || loc(0);
    let e1 = || exp(sub(div(neg(vm()), c(5.0)), div(c(27.0), c(5.0))));
    let e2 = || exp(sub(div(neg(vm()), c(18.0)), div(c(25.0), c(9.0))));
    let e3 = || exp(sub(div(neg(vm()), c(4.0)), div(c(27.0), c(2.0))));
    let e4 = || exp(add(div(vm(), c(5.0)), div(c(27.0), c(5.0))));
    let rates = Function {
        name: "rates".into(),
        params: 1,
        locals: vec!["vm".into()],
        result: LocalId::new(0),
        returns_value: false,
        body: vec![
            set(fld(minf), boltzmann(mvh, mk)),
            set(fld(hinf), boltzmann(hvh, hk)),
            set(
                fld(htau),
                div(
                    add(e1(), c(1.0)),
                    add(mul(mul(c(0.128), add(e1(), c(1.0))), e2()), c(4.0)),
                ),
            ),
            set(
                fld(mtau),
                div(
                    mul(sub(c(1.0), e3()), sub(c(1.0), e4())),
                    add(
                        mul(neg(sub(c(1.0), e3())), add(mul(c(0.28), vm()), c(7.56))),
                        mul(sub(c(1.0), e4()), add(mul(c(0.32), vm()), c(17.28))),
                    ),
                ),
            ),
        ],
    };
    let load_v = set(fld(v), Expr::Load(Place::Node(NodeArray::V)));
    let call_rates = Stmt::Eval(Expr::Call(FuncId::new(0), vec![f(v)]));
    let init = kernel(
        KernelKind::Init,
        &[],
        vec![
            load_v.clone(),
            set(
                fld(ena),
                Expr::Load(Place::Ion(IonId::new(0), "ena".into())),
            ),
            call_rates.clone(),
            set(fld(m), f(minf)),
            set(fld(h), f(hinf)),
        ],
    );
    let body = vec![
        set(fld(m), f(minf)),
        set(
            fld(ina),
            mul(
                mul(mul(mul(mul(f(gbar), f(m)), f(m)), f(m)), f(h)),
                sub(f(v), f(ena)),
            ),
        ),
    ];
    let current = current_kernel(v, (ena, "ena"), (ina, "ina"), "dinadv", body);
    let state = kernel(
        KernelKind::State,
        &[],
        vec![
            load_v,
            set(
                fld(ena),
                Expr::Load(Place::Ion(IonId::new(0), "ena".into())),
            ),
            call_rates,
            cnexp(h, hinf, htau),
        ],
    );
    Mechanism {
        name: "na_rtm".into(),
        kind: MechKind::Density,
        ions: vec![ion("na", &["ena"], &["ina"])],
        fields,
        globals: vec![],
        net_receive_args: vec![],
        kernels: vec![init, current, state],
        functions: vec![rates],
        global_arrays: vec![],
        watches: vec![],
        function_tables: vec![],
        randoms: vec![],
    }
}

/// `k_rtm` (models/k_rtm.mod) lowered by hand.
pub fn k_rtm() -> Mechanism {
    use FieldKind::*;
    let (gbar, nvh, nk, v, ek, ik, ninf, ntau, n) = (0, 1, 2, 3, 4, 5, 6, 7, 8);
    let fields = vec![
        field("gbar", Parameter, 0.08),
        field("ninfvhalf", Parameter, 40.8),
        field("ninfk", Parameter, -11.03),
        field("v", Voltage, 0.0),
        field("ek", Ion { ion: IonId::new(0) }, 0.0),
        field("ik", Ion { ion: IonId::new(0) }, 0.0),
        field("ninf", Assigned, 0.0),
        field("ntau", Assigned, 0.0),
        field("n", State, 0.0),
    ];
    let vm = || loc(0);
    let e1 = || exp(sub(div(neg(vm()), c(5.0)), div(c(52.0), c(5.0))));
    let e2 = || exp(sub(div(neg(vm()), c(40.0)), div(c(57.0), c(40.0))));
    let rates = Function {
        name: "rates".into(),
        params: 1,
        locals: vec!["vm".into()],
        result: LocalId::new(0),
        returns_value: false,
        body: vec![
            set(fld(ninf), boltzmann(nvh, nk)),
            set(
                fld(ntau),
                div(
                    sub(c(1.0), e1()),
                    add(
                        add(
                            mul(c(0.032), vm()),
                            mul(mul(c(0.5), sub(c(1.0), e1())), e2()),
                        ),
                        c(1.664),
                    ),
                ),
            ),
        ],
    };
    let load_v = set(fld(v), Expr::Load(Place::Node(NodeArray::V)));
    let load_e = set(fld(ek), Expr::Load(Place::Ion(IonId::new(0), "ek".into())));
    let call_rates = Stmt::Eval(Expr::Call(FuncId::new(0), vec![f(v)]));
    let init = kernel(
        KernelKind::Init,
        &[],
        vec![
            load_v.clone(),
            load_e.clone(),
            call_rates.clone(),
            set(fld(n), f(ninf)),
        ],
    );
    let body = vec![set(
        fld(ik),
        mul(
            mul(mul(mul(mul(f(gbar), f(n)), f(n)), f(n)), f(n)),
            sub(f(v), f(ek)),
        ),
    )];
    let current = current_kernel(v, (ek, "ek"), (ik, "ik"), "dikdv", body);
    let state = kernel(
        KernelKind::State,
        &[],
        vec![load_v, load_e, call_rates, cnexp(n, ninf, ntau)],
    );
    Mechanism {
        name: "k_rtm".into(),
        kind: MechKind::Density,
        ions: vec![ion("k", &["ek"], &["ik"])],
        fields,
        globals: vec![],
        net_receive_args: vec![],
        kernels: vec![init, current, state],
        functions: vec![rates],
        global_arrays: vec![],
        watches: vec![],
        function_tables: vec![],
        randoms: vec![],
    }
}

/// An Exp2Syn-like point process: two decaying states, a NET_RECEIVE that
/// adds weight*factor to both, and a nonspecific current scaled by
/// 100/area.
pub fn exp2syn() -> Mechanism {
    use FieldKind::*;
    let (tau1, tau2, e, v, i, g, factor, a, b) = (0, 1, 2, 3, 4, 5, 6, 7, 8);
    let fields = vec![
        field("tau1", Parameter, 0.1),
        field("tau2", Parameter, 10.0),
        field("e", Parameter, 0.0),
        field("v", Voltage, 0.0),
        field("i", Assigned, 0.0),
        field("g", Assigned, 0.0),
        field("factor", Assigned, 0.0),
        field("A", State, 0.0),
        field("B", State, 0.0),
    ];
    let dt = || Expr::Load(Place::Shared(SharedVar::Dt));
    let area = || Expr::Load(Place::Node(NodeArray::Area));
    // INITIAL: tp = (tau1*tau2)/(tau2 - tau1)*log(tau2/tau1); factor = 1/(-exp(-tp/tau1) + exp(-tp/tau2))
    let init = kernel(
        KernelKind::Init,
        &["tp"],
        vec![
            set(fld(a), c(0.0)),
            set(fld(b), c(0.0)),
            set(
                Place::Local(LocalId::new(0)),
                mul(
                    div(mul(f(tau1), f(tau2)), sub(f(tau2), f(tau1))),
                    Expr::Math(MathFn::Log, vec![div(f(tau2), f(tau1))]),
                ),
            ),
            set(
                fld(factor),
                div(
                    c(1.0),
                    add(
                        neg(exp(div(neg(loc(0)), f(tau1)))),
                        exp(div(neg(loc(0)), f(tau2))),
                    ),
                ),
            ),
        ],
    );
    let body = vec![
        set(fld(g), sub(f(b), f(a))),
        set(fld(i), mul(f(g), sub(f(v), f(e)))),
    ];
    let mut cur = vec![set(
        fld(v),
        add(Expr::Load(Place::Node(NodeArray::V)), c(0.001)),
    )];
    cur.extend(body.clone());
    cur.push(set(
        Place::Local(LocalId::new(0)),
        mul(f(i), div(c(100.0), area())),
    ));
    cur.push(set(fld(v), Expr::Load(Place::Node(NodeArray::V))));
    cur.extend(body);
    cur.push(set(
        Place::Local(LocalId::new(1)),
        mul(f(i), div(c(100.0), area())),
    ));
    cur.push(set(
        Place::Local(LocalId::new(0)),
        div(sub(loc(0), loc(1)), c(0.001)),
    ));
    cur.push(acc(Place::Node(NodeArray::Rhs), neg(loc(1))));
    cur.push(acc(Place::Node(NodeArray::Diag), loc(0)));
    let current = kernel(KernelKind::Current, &["g", "rhs"], cur);
    let decay = |x: usize, tau: usize| set(fld(x), mul(f(x), exp(div(neg(dt()), f(tau)))));
    let state = kernel(KernelKind::State, &[], vec![decay(a, tau1), decay(b, tau2)]);
    let w = || Expr::Load(Place::NetArg(0));
    let receive = kernel(
        KernelKind::NetReceive,
        &[],
        vec![
            acc(fld(a), mul(w(), f(factor))),
            acc(fld(b), mul(w(), f(factor))),
        ],
    );
    Mechanism {
        name: "Exp2SynLike".into(),
        kind: MechKind::PointProcess,
        ions: vec![],
        fields,
        globals: vec![],
        net_receive_args: vec!["weight".into()],
        kernels: vec![init, current, state, receive],
        functions: vec![],
        global_arrays: vec![],
        watches: vec![],
        function_tables: vec![],
        randoms: vec![],
    }
}

/// A mechanism using every executable statement and expression form:
/// arrays with computed indices, globals, global arrays, loops, branches,
/// early return, recursion, events, printf, random numbers, FUNCTION_TABLE,
/// WATCH, POINTER, every math function and operator.
pub fn everything() -> Mechanism {
    use FieldKind::*;
    let (x, arr, v, p, s, cai) = (0, 1, 2, 3, 4, 5);
    let mut array = field("arr", Assigned, 0.5);
    array.len = 4;
    let fields = vec![
        field("x", Parameter, 0.3),
        array,
        field("v", Voltage, 0.0),
        field("p", Pointer, 2.0),
        field("s", State, 0.2),
        field("cai", Ion { ion: IonId::new(0) }, 0.0),
    ];
    let globals = vec![Global {
        name: "gk".into(),
        default: 1.5,
        unit: None,
        settable: true,
    }];
    let g = || Expr::Load(Place::Global(GlobalId::new(0)));
    let vv = || Expr::Load(Place::Node(NodeArray::V));
    let el = |e: Expr| Place::Field(FieldId::new(arr), Some(Box::new(e)));
    // FUNCTION fact(n) { if (n <= 1) { fact = 1 } else { fact = n*fact(n - 1) } }
    let fact = Function {
        name: "fact".into(),
        params: 1,
        locals: vec!["n".into(), "fact".into()],
        result: LocalId::new(1),
        returns_value: true,
        body: vec![Stmt::If {
            cond: bin(BinOp::Le, loc(0), c(1.0)),
            then: vec![set(Place::Local(LocalId::new(1)), c(1.0)), Stmt::Return],
            otherwise: vec![set(
                Place::Local(LocalId::new(1)),
                mul(
                    loc(0),
                    Expr::Call(FuncId::new(0), vec![sub(loc(0), c(1.0))]),
                ),
            )],
        }],
    };
    // PROCEDURE bump(a) { x = x + a  gk = gk*1.0001 }
    let bump = Function {
        name: "bump".into(),
        params: 1,
        locals: vec!["a".into()],
        result: LocalId::new(0),
        returns_value: false,
        body: vec![
            acc(fld(x), loc(0)),
            set(Place::Global(GlobalId::new(0)), mul(g(), c(1.0001))),
        ],
    };
    let maths: Vec<Expr> = [
        MathFn::Exp,
        MathFn::Log,
        MathFn::Log10,
        MathFn::Sqrt,
        MathFn::Fabs,
        MathFn::Sin,
        MathFn::Cos,
        MathFn::Tan,
        MathFn::Tanh,
        MathFn::Sinh,
        MathFn::Cosh,
        MathFn::Asin,
        MathFn::Acos,
        MathFn::Atan,
        MathFn::Floor,
        MathFn::Ceil,
    ]
    .into_iter()
    .map(|m| {
        let arg = div(vv(), c(100.0));
        let positive = matches!(m, MathFn::Log | MathFn::Log10 | MathFn::Sqrt);
        Expr::Math(
            m,
            vec![if positive {
                Expr::Math(MathFn::Fabs, vec![arg])
            } else {
                arg
            }],
        )
    })
    .chain(
        [
            MathFn::Pow,
            MathFn::Atan2,
            MathFn::Fmod,
            MathFn::Fmin,
            MathFn::Fmax,
        ]
        .into_iter()
        .map(|m| {
            Expr::Math(
                m,
                vec![
                    add(Expr::Math(MathFn::Fabs, vec![div(vv(), c(50.0))]), c(0.5)),
                    f(x),
                ],
            )
        }),
    )
    .collect();
    let ops = [
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
        BinOp::Pow,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::And,
        BinOp::Or,
    ];
    let mut current = vec![
        set(fld(v), vv()),
        // local 0: a sum of every math function and operator
        set(Place::Local(LocalId::new(0)), c(0.0)),
    ];
    for m in maths {
        current.push(acc(Place::Local(LocalId::new(0)), m));
    }
    for op in ops {
        let scaled = Expr::Math(MathFn::Fabs, vec![div(f(v), c(100.0))]);
        current.push(acc(Place::Local(LocalId::new(0)), bin(op, scaled, f(x))));
        current.push(acc(Place::Local(LocalId::new(0)), bin(op, f(s), c(0.5))));
        current.push(acc(Place::Local(LocalId::new(0)), bin(op, c(0.0), f(s))));
    }
    current.extend([
        acc(
            Place::Local(LocalId::new(0)),
            Expr::Unary(UnOp::Not, Box::new(f(s))),
        ),
        // while loop over the array with a computed index
        set(Place::Local(LocalId::new(1)), c(0.0)),
        Stmt::While {
            cond: bin(BinOp::Lt, loc(1), c(6.0)),
            body: vec![
                acc(el(loc(1)), mul(loc(0), c(1e-3))),
                set(Place::Local(LocalId::new(1)), add(loc(1), c(1.0))),
            ],
        },
        acc(
            el(c(-3.0)),
            Expr::Load(Place::GlobalArray(0, Box::new(mul(f(x), c(10.0))))),
        ),
        set(
            Place::GlobalArray(0, Box::new(c(2.0))),
            add(Expr::Load(Place::GlobalArray(0, Box::new(c(2.0)))), c(1.0)),
        ),
        set(fld(p), add(f(p), Expr::Call(FuncId::new(0), vec![c(5.0)]))),
        Stmt::Eval(Expr::Call(FuncId::new(1), vec![c(0.01)])),
        acc(Place::Ion(IonId::new(0), "ica".into()), mul(f(cai), c(2.0))),
        acc(Place::Node(NodeArray::Rhs), loc(0)),
        acc(
            Place::Node(NodeArray::Diag),
            div(c(1.0), Expr::Load(Place::Node(NodeArray::Diam))),
        ),
        Stmt::If {
            cond: bin(BinOp::Gt, f(v), c(0.0)),
            then: vec![
                Stmt::Print {
                    format: "v=%g x=%g\n".into(),
                    args: vec![f(v), f(x)],
                },
                Stmt::Return,
            ],
            otherwise: vec![],
        },
        set(fld(s), add(f(s), Expr::Builtin(Builtin::UniRand, vec![]))),
        set(
            fld(s),
            add(
                f(s),
                Expr::FunctionTable(0, vec![f(v), Expr::Load(Place::Shared(SharedVar::T))]),
            ),
        ),
    ]);
    let receive = vec![
        set(fld(s), add(f(s), Expr::Load(Place::NetArg(0)))),
        set(Place::NetArg(1), add(Expr::Load(Place::NetArg(1)), c(1.0))),
        Stmt::If {
            cond: bin(
                BinOp::Eq,
                Expr::Load(Place::Shared(SharedVar::Flag)),
                c(0.0),
            ),
            then: vec![
                Stmt::NetSend {
                    delay: c(2.0),
                    flag: c(1.0),
                },
                Stmt::WatchOn {
                    id: 0,
                    flag: c(3.0),
                },
            ],
            otherwise: vec![
                Stmt::NetEvent(Expr::Load(Place::Shared(SharedVar::T))),
                Stmt::NetMove(add(Expr::Load(Place::Shared(SharedVar::T)), c(1.0))),
                set(
                    Place::Local(LocalId::new(0)),
                    Expr::Builtin(Builtin::NormRand, vec![c(0.0), c(1.0)]),
                ),
                set(fld(x), add(f(x), loc(0))),
            ],
        },
    ];
    Mechanism {
        name: "everything".into(),
        kind: MechKind::PointProcess,
        ions: vec![ion("ca", &["cai"], &["ica"])],
        fields,
        globals,
        net_receive_args: vec!["w".into(), "count".into()],
        kernels: vec![
            kernel(KernelKind::Current, &["sum", "k"], current),
            kernel(KernelKind::NetReceive, &["r"], receive),
        ],
        functions: vec![fact, bump],
        global_arrays: vec![GlobalArray {
            name: "tab".into(),
            len: 5,
        }],
        watches: vec![bin(BinOp::Gt, f(v), c(-20.0))],
        function_tables: vec!["ftab".into()],
        randoms: vec![],
    }
}
