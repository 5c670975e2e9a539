//! The solve pass against analytic solutions: each method is applied to a
//! hand-built mechanism and the produced statements are executed by a small
//! evaluator (one instance, scalar fields).

mod common;
use common::bin;

use nmc::diag::Span;
use nmc::ir::solve::solve;
use nmc::ir::*;

// ---------------------------------------------------------------- evaluator

struct Machine {
    fields: Vec<f64>,
    globals: Vec<f64>,
    arrays: Vec<Vec<f64>>,
    dt: f64,
    t: f64,
}

enum Flow {
    Next,
    Return,
}

impl Machine {
    fn new(m: &Mechanism, dt: f64) -> Machine {
        Machine {
            fields: m.fields.iter().map(|f| f.default).collect(),
            globals: m.globals.iter().map(|g| g.default).collect(),
            arrays: m.global_arrays.iter().map(|a| vec![0.0; a.len]).collect(),
            dt,
            t: 0.0,
        }
    }

    fn load(&mut self, m: &Mechanism, p: &Place, locals: &mut Vec<f64>) -> f64 {
        match p {
            Place::Field(id, None) => self.fields[id.index()],
            Place::Global(id) => self.globals[id.index()],
            Place::Local(id) => locals[id.index()],
            Place::Shared(SharedVar::Dt) => self.dt,
            Place::Shared(SharedVar::T) => self.t,
            Place::Shared(SharedVar::Celsius) => 6.3,
            Place::GlobalArray(id, i) => {
                let i = self.eval(m, i, locals) as usize;
                self.arrays[*id][i]
            }
            other => panic!("unsupported place {other:?}"),
        }
    }

    fn store(&mut self, m: &Mechanism, p: &Place, v: f64, locals: &mut Vec<f64>) {
        match p {
            Place::Field(id, None) => self.fields[id.index()] = v,
            Place::Global(id) => self.globals[id.index()] = v,
            Place::Local(id) => locals[id.index()] = v,
            Place::GlobalArray(id, i) => {
                let i = self.eval(m, i, locals) as usize;
                self.arrays[*id][i] = v;
            }
            other => panic!("unsupported place {other:?}"),
        }
    }

    fn eval(&mut self, m: &Mechanism, e: &Expr, locals: &mut Vec<f64>) -> f64 {
        let b = |x: bool| if x { 1.0 } else { 0.0 };
        match e {
            Expr::Const(v) => *v,
            Expr::Load(p) => self.load(m, p, locals),
            Expr::Unary(UnOp::Neg, a) => -self.eval(m, a, locals),
            Expr::Unary(UnOp::Not, a) => b(self.eval(m, a, locals) == 0.0),
            Expr::Binary(op, x, y) => {
                let x = self.eval(m, x, locals);
                let y = self.eval(m, y, locals);
                match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => x / y,
                    BinOp::Pow => x.powf(y),
                    BinOp::Lt => b(x < y),
                    BinOp::Le => b(x <= y),
                    BinOp::Gt => b(x > y),
                    BinOp::Ge => b(x >= y),
                    BinOp::Eq => b(x == y),
                    BinOp::Ne => b(x != y),
                    BinOp::And => b(x != 0.0 && y != 0.0),
                    BinOp::Or => b(x != 0.0 || y != 0.0),
                }
            }
            Expr::Math(f, args) => {
                let a: Vec<f64> = args.iter().map(|a| self.eval(m, a, locals)).collect();
                match f {
                    MathFn::Exp => a[0].exp(),
                    MathFn::Log => a[0].ln(),
                    MathFn::Fabs => a[0].abs(),
                    MathFn::Fmax => a[0].max(a[1]),
                    MathFn::Sqrt => a[0].sqrt(),
                    MathFn::Pow => a[0].powf(a[1]),
                    MathFn::Cos => a[0].cos(),
                    MathFn::Sin => a[0].sin(),
                    MathFn::Floor => a[0].floor(),
                    other => panic!("unsupported {other:?}"),
                }
            }
            Expr::Call(fid, args) => {
                let a: Vec<f64> = args.iter().map(|a| self.eval(m, a, locals)).collect();
                self.call(m, *fid, &a)
            }
            other => panic!("unsupported {other:?}"),
        }
    }

    fn call(&mut self, m: &Mechanism, fid: FuncId, args: &[f64]) -> f64 {
        let f = &m.functions[fid];
        let mut locals = vec![0.0; f.locals.len()];
        locals[..args.len()].copy_from_slice(args);
        self.exec(m, &f.body, &mut locals);
        if f.returns_value {
            locals[f.result.index()]
        } else {
            0.0
        }
    }

    fn exec(&mut self, m: &Mechanism, stmts: &[Stmt], locals: &mut Vec<f64>) -> Flow {
        for s in stmts {
            match s {
                Stmt::Assign(p, e) => {
                    let v = self.eval(m, e, locals);
                    self.store(m, p, v, locals);
                }
                Stmt::Accumulate(p, e) => {
                    let v = self.eval(m, e, locals) + self.load(m, p, locals);
                    self.store(m, p, v, locals);
                }
                Stmt::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let body = if self.eval(m, cond, locals) != 0.0 {
                        then
                    } else {
                        otherwise
                    };
                    if let Flow::Return = self.exec(m, body, locals) {
                        return Flow::Return;
                    }
                }
                Stmt::While { cond, body } => {
                    let mut guard = 0;
                    while self.eval(m, cond, locals) != 0.0 {
                        guard += 1;
                        assert!(guard < 100_000, "runaway loop");
                        if let Flow::Return = self.exec(m, body, locals) {
                            return Flow::Return;
                        }
                    }
                }
                Stmt::Eval(e) => {
                    self.eval(m, e, locals);
                }
                Stmt::Return => return Flow::Return,
                other => panic!("statement left unsolved: {other:?}"),
            }
        }
        Flow::Next
    }

    fn run(&mut self, m: &Mechanism, kind: KernelKind) {
        let k = m.kernels.iter().find(|k| k.kind == kind).expect("kernel");
        let mut locals = vec![0.0; k.locals.len()];
        self.exec(m, &k.body, &mut locals);
    }
}

// ---------------------------------------------------------------- builders

fn sp() -> Span {
    Span::new(0, 0, 0)
}

fn field(name: &str, kind: FieldKind, default: f64) -> Field {
    Field {
        name: name.into(),
        kind,
        unit: None,
        default,
        len: 1,
        range: true,
    }
}

fn f(id: usize) -> Expr {
    Expr::Load(Place::Field(FieldId::new(id), None))
}
fn fp(id: usize) -> Place {
    Place::Field(FieldId::new(id), None)
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

fn mech(fields: Vec<Field>, kernels: Vec<Kernel>) -> Mechanism {
    Mechanism {
        name: "test".into(),
        kind: MechKind::Density,
        ions: vec![],
        fields,
        globals: vec![],
        net_receive_args: vec![],
        kernels,
        functions: vec![],
        global_arrays: vec![],
        watches: vec![],
        function_tables: vec![],
        randoms: vec![],
    }
}

fn kernel(kind: KernelKind, body: Vec<Stmt>) -> Kernel {
    Kernel {
        kind,
        locals: vec![],
        body,
    }
}

fn solve_ok(m: &mut Mechanism) {
    match solve(m) {
        Ok(w) => assert!(w.is_empty(), "warnings: {w:?}"),
        Err(e) => panic!("solve failed: {e:?}"),
    }
}

fn ode(state: usize, rhs: Expr) -> Stmt {
    Stmt::Ode {
        state: fp(state),
        rhs,
        span: sp(),
    }
}

fn solve_stmt(method: SolveMethod, body: Vec<Stmt>) -> Stmt {
    Stmt::Solve {
        method,
        body,
        solvefor: Vec::new(),
        span: sp(),
    }
}

/// x' = (xinf - x)/tau with x(0) = x0, stepped `steps` times by `method`.
fn relax(method: SolveMethod, dt: f64, steps: usize) -> f64 {
    let mut m = mech(
        vec![
            field("x", FieldKind::State, 0.2),
            field("xinf", FieldKind::Parameter, 0.9),
            field("tau", FieldKind::Parameter, 3.0),
        ],
        vec![kernel(
            KernelKind::State,
            vec![solve_stmt(method, vec![ode(0, div(sub(f(1), f(0)), f(2)))])],
        )],
    );
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, dt);
    for _ in 0..steps {
        mc.run(&m, KernelKind::State);
    }
    mc.fields[0]
}

fn relax_exact(t: f64) -> f64 {
    0.9 + (0.2 - 0.9) * (-t / 3.0).exp()
}

// ---------------------------------------------------------------- tests

#[test]
fn cnexp_is_exact_for_constant_coefficients() {
    let x = relax(SolveMethod::Cnexp, 0.025, 400);
    assert!((x - relax_exact(10.0)).abs() < 1e-12, "{x}");
}

#[test]
fn cnexp_matches_nocmodl_arithmetic() {
    // h = h + (1. - exp(dt*((((-1.0)))/htau)))*(- (((hinf))/htau) / ((((-1.0)))/htau) - h)
    let (h0, hinf, htau, dt) = (0.3_f64, 0.7_f64, 1.7_f64, 0.025_f64);
    let want = h0 + (1. - (dt * ((-1.0) / htau)).exp()) * (-((hinf) / htau) / ((-1.0) / htau) - h0);
    let mut m = mech(
        vec![
            field("h", FieldKind::State, h0),
            field("hinf", FieldKind::Parameter, hinf),
            field("htau", FieldKind::Parameter, htau),
        ],
        vec![kernel(
            KernelKind::State,
            vec![solve_stmt(
                SolveMethod::Cnexp,
                vec![ode(0, div(sub(f(1), f(0)), f(2)))],
            )],
        )],
    );
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, dt);
    mc.run(&m, KernelKind::State);
    assert_eq!(mc.fields[0].to_bits(), want.to_bits());
}

#[test]
fn cnexp_decay_and_constant_rate() {
    // A' = -A/tau (no constant term), B' = r (no state term)
    let mut m = mech(
        vec![
            field("A", FieldKind::State, 2.0),
            field("B", FieldKind::State, 1.0),
            field("tau", FieldKind::Parameter, 4.0),
            field("r", FieldKind::Parameter, 0.5),
        ],
        vec![kernel(
            KernelKind::State,
            vec![solve_stmt(
                SolveMethod::Cnexp,
                vec![ode(0, div(neg(f(0)), f(2))), ode(1, f(3))],
            )],
        )],
    );
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, 0.1);
    for _ in 0..100 {
        mc.run(&m, KernelKind::State);
    }
    assert!((mc.fields[0] - 2.0 * (-10.0_f64 / 4.0).exp()).abs() < 1e-12);
    assert!((mc.fields[1] - 6.0).abs() < 1e-12);
}

#[test]
fn cnexp_nonlinear_falls_back_with_warning() {
    let mut m = mech(
        vec![field("x", FieldKind::State, 1.0)],
        vec![kernel(
            KernelKind::State,
            vec![solve_stmt(
                SolveMethod::Cnexp,
                vec![ode(0, neg(mul(f(0), f(0))))],
            )],
        )],
    );
    let w = solve(&mut m).expect("solves");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].code, "W0701");
}

#[test]
fn euler_is_first_order() {
    let e1 = (relax(SolveMethod::Euler, 0.1, 100) - relax_exact(10.0)).abs();
    let e2 = (relax(SolveMethod::Euler, 0.05, 200) - relax_exact(10.0)).abs();
    let ratio = e1 / e2;
    assert!((ratio - 2.0).abs() < 0.05, "ratio {ratio}");
}

/// x' = -x^2, x(0) = 1: x(t) = 1/(1 + t).
fn quadratic(method: SolveMethod, dt: f64, steps: usize) -> f64 {
    let mut m = mech(
        vec![field("x", FieldKind::State, 1.0)],
        vec![kernel(
            KernelKind::State,
            vec![solve_stmt(method, vec![ode(0, neg(mul(f(0), f(0))))])],
        )],
    );
    let _ = solve(&mut m).expect("solves");
    let mut mc = Machine::new(&m, dt);
    for _ in 0..steps {
        mc.run(&m, KernelKind::State);
    }
    mc.fields[0]
}

#[test]
fn derivimplicit_is_first_order_on_nonlinear_ode() {
    let exact = 1.0 / (1.0 + 2.0);
    let e1 = (quadratic(SolveMethod::Derivimplicit, 0.02, 100) - exact).abs();
    let e2 = (quadratic(SolveMethod::Derivimplicit, 0.01, 200) - exact).abs();
    let ratio = e1 / e2;
    assert!((ratio - 2.0).abs() < 0.05, "ratio {ratio} ({e1} {e2})");
}

#[test]
fn derivimplicit_one_step_solves_backward_euler() {
    // backward Euler on x' = -x^2: x1 = (-1 + sqrt(1 + 4 dt x0)) / (2 dt)
    let dt = 0.1;
    let x1 = quadratic(SolveMethod::Derivimplicit, dt, 1);
    let want = (-1.0 + (1.0 + 4.0 * dt).sqrt()) / (2.0 * dt);
    assert!((x1 - want).abs() < 1e-9, "{x1} vs {want}");
}

#[test]
fn derivimplicit_coupled_system() {
    // x' = y, y' = -x (a rotation); backward Euler damps the radius by 1/sqrt(1+dt^2) per step
    let mut m = mech(
        vec![
            field("x", FieldKind::State, 1.0),
            field("y", FieldKind::State, 0.0),
        ],
        vec![kernel(
            KernelKind::State,
            vec![solve_stmt(
                SolveMethod::Derivimplicit,
                vec![ode(0, f(1)), ode(1, neg(f(0)))],
            )],
        )],
    );
    solve_ok(&mut m);
    let dt = 0.01;
    let mut mc = Machine::new(&m, dt);
    for _ in 0..100 {
        mc.run(&m, KernelKind::State);
    }
    let r = (mc.fields[0].powi(2) + mc.fields[1].powi(2)).sqrt();
    let want = (1.0 / (1.0 + dt * dt)).powf(50.0);
    assert!((r - want).abs() < 1e-6, "{r} vs {want}");
    let angle = mc.fields[1].atan2(mc.fields[0]);
    assert!((angle + 1.0).abs() < 1e-2, "{angle}");
}

// ---------------------------------------------------------------- kinetic

fn react(lhs: Vec<(u32, usize)>, rhs: Vec<(u32, usize)>, kf: Expr, kb: Option<Expr>) -> Stmt {
    Stmt::Reaction(Reaction {
        lhs: lhs.into_iter().map(|(n, s)| (n, fp(s))).collect(),
        rhs: rhs.into_iter().map(|(n, s)| (n, fp(s))).collect(),
        forward: kf,
        backward: kb,
        flux: false,
        volumes: vec![],
        span: sp(),
    })
}

fn conserve(terms: Vec<usize>, total: f64) -> Stmt {
    Stmt::Conserve {
        terms: terms.into_iter().map(|s| (1.0, fp(s))).collect(),
        total: Expr::Const(total),
        span: Span::new(0, 100 + terms_hash(total), 0),
    }
}

fn terms_hash(total: f64) -> usize {
    (total * 1000.0) as usize
}

/// A <-> B (kf, kb): a first-order linear scheme.
fn two_state(method: SolveMethod, with_conserve: bool) -> Mechanism {
    let mut body = vec![react(vec![(1, 0)], vec![(1, 1)], f(2), Some(f(3)))];
    if with_conserve {
        body.push(conserve(vec![0, 1], 1.0));
    }
    mech(
        vec![
            field("A", FieldKind::State, 1.0),
            field("B", FieldKind::State, 0.0),
            field("kf", FieldKind::Parameter, 0.3),
            field("kb", FieldKind::Parameter, 0.1),
        ],
        vec![kernel(KernelKind::State, vec![solve_stmt(method, body)])],
    )
}

#[test]
fn sparse_two_state_reaches_equilibrium_and_conserves() {
    for conserve in [false, true] {
        let mut m = two_state(SolveMethod::Sparse, conserve);
        solve_ok(&mut m);
        let mut mc = Machine::new(&m, 0.1);
        for _ in 0..2000 {
            mc.run(&m, KernelKind::State);
            assert!((mc.fields[0] + mc.fields[1] - 1.0).abs() < 1e-12);
        }
        assert!((mc.fields[0] - 0.25).abs() < 1e-10, "{}", mc.fields[0]);
    }
}

#[test]
fn sparse_one_step_is_backward_euler() {
    let mut m = two_state(SolveMethod::Sparse, false);
    solve_ok(&mut m);
    let dt = 0.5;
    let mut mc = Machine::new(&m, dt);
    mc.run(&m, KernelKind::State);
    // (A1 - 1)/dt = -kf A1 + kb (1 - A1)
    let a1 = (1.0 + dt * 0.1) / (1.0 + dt * (0.3 + 0.1));
    assert!(
        (mc.fields[0] - a1).abs() < 1e-14,
        "{} vs {a1}",
        mc.fields[0]
    );
}

#[test]
fn steady_state_of_three_state_scheme() {
    // C1 <-> C2 (a, b), C2 <-> O (c, d), CONSERVE C1 + C2 + O = 1
    let body = vec![
        react(vec![(1, 0)], vec![(1, 1)], f(3), Some(f(4))),
        react(vec![(1, 1)], vec![(1, 2)], f(5), Some(f(6))),
        conserve(vec![0, 1, 2], 1.0),
    ];
    let mut m = mech(
        vec![
            field("C1", FieldKind::State, 0.0),
            field("C2", FieldKind::State, 0.0),
            field("O", FieldKind::State, 0.0),
            field("a", FieldKind::Parameter, 2.0),
            field("b", FieldKind::Parameter, 0.5),
            field("c", FieldKind::Parameter, 0.3),
            field("d", FieldKind::Parameter, 0.02),
        ],
        vec![kernel(
            KernelKind::Init,
            vec![solve_stmt(SolveMethod::SteadyStateSparse, body)],
        )],
    );
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, 0.025);
    mc.run(&m, KernelKind::Init);
    let (c2_c1, o_c2) = (2.0 / 0.5, 0.3 / 0.02);
    let c1 = 1.0 / (1.0 + c2_c1 + c2_c1 * o_c2);
    let want = [c1, c1 * c2_c1, c1 * c2_c1 * o_c2];
    for (got, want) in mc.fields[..3].iter().zip(want) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
}

#[test]
fn steady_state_of_nonlinear_scheme() {
    // A + B <-> C (kf, kb), CONSERVE A + C = 1, CONSERVE B + C = 2
    let body = vec![
        react(vec![(1, 0), (1, 1)], vec![(1, 2)], f(3), Some(f(4))),
        conserve(vec![0, 2], 1.0),
        conserve(vec![1, 2], 2.0),
    ];
    let mut m = mech(
        vec![
            field("A", FieldKind::State, 0.5),
            field("B", FieldKind::State, 1.5),
            field("C", FieldKind::State, 0.5),
            field("kf", FieldKind::Parameter, 3.0),
            field("kb", FieldKind::Parameter, 0.7),
        ],
        vec![kernel(
            KernelKind::Init,
            vec![solve_stmt(SolveMethod::SteadyStateSparse, body)],
        )],
    );
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, 0.025);
    mc.run(&m, KernelKind::Init);
    let [a, b, cc] = [mc.fields[0], mc.fields[1], mc.fields[2]];
    assert!((a + cc - 1.0).abs() < 1e-12);
    assert!((b + cc - 2.0).abs() < 1e-12);
    assert!((3.0 * a * b - 0.7 * cc).abs() < 1e-9, "{a} {b} {cc}");
}

#[test]
fn sparse_flux_and_compartment() {
    // ~ x << (j) with COMPARTMENT vol {x}: vol * dx/dt = j
    let mut m = mech(
        vec![
            field("x", FieldKind::State, 0.0),
            field("j", FieldKind::Parameter, 2.0),
            field("vol", FieldKind::Parameter, 4.0),
        ],
        vec![kernel(
            KernelKind::State,
            vec![solve_stmt(
                SolveMethod::Sparse,
                vec![Stmt::Reaction(Reaction {
                    lhs: vec![(1, fp(0))],
                    rhs: vec![],
                    forward: f(1),
                    backward: None,
                    flux: true,
                    volumes: vec![(fp(0), f(2))],
                    span: sp(),
                })],
            )],
        )],
    );
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, 0.1);
    for _ in 0..10 {
        mc.run(&m, KernelKind::State);
    }
    assert!((mc.fields[0] - 0.5).abs() < 1e-12, "{}", mc.fields[0]);
}

// ---------------------------------------------------------------- LINEAR / NONLINEAR

fn equation(lhs: Expr, rhs: Expr) -> Stmt {
    Stmt::Equation {
        lhs,
        rhs,
        span: sp(),
    }
}

#[test]
fn linear_block_solves_the_system() {
    // ~ 2x + y = 5 ; ~ x - 3y = -1  => x = 2, y = 1 (written with the states on both sides)
    let body = vec![
        equation(add(mul(k(2.0), f(0)), f(1)), k(5.0)),
        equation(f(0), sub(mul(k(3.0), f(1)), k(1.0))),
    ];
    let mut m = mech(
        vec![
            field("x", FieldKind::State, 0.0),
            field("y", FieldKind::State, 0.0),
        ],
        vec![kernel(
            KernelKind::Init,
            vec![solve_stmt(SolveMethod::Linear, body)],
        )],
    );
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, 0.025);
    mc.run(&m, KernelKind::Init);
    assert!((mc.fields[0] - 2.0).abs() < 1e-14, "{}", mc.fields[0]);
    assert!((mc.fields[1] - 1.0).abs() < 1e-14, "{}", mc.fields[1]);
}

#[test]
fn linear_block_rejects_nonlinear_equation() {
    let body = vec![equation(mul(f(0), f(0)), k(4.0))];
    let mut m = mech(
        vec![field("x", FieldKind::State, 0.0)],
        vec![kernel(
            KernelKind::Init,
            vec![solve_stmt(SolveMethod::Linear, body)],
        )],
    );
    let e = solve(&mut m).expect_err("not linear");
    assert_eq!(e[0].code, "E0705");
}

#[test]
fn nonlinear_block_newton() {
    // ~ x*x + y*y = 4 ; ~ x = y  => x = y = sqrt(2)
    let body = vec![
        equation(add(mul(f(0), f(0)), mul(f(1), f(1))), k(4.0)),
        equation(f(0), f(1)),
    ];
    let mut m = mech(
        vec![
            field("x", FieldKind::State, 1.0),
            field("y", FieldKind::State, 0.5),
        ],
        vec![kernel(
            KernelKind::Init,
            vec![solve_stmt(SolveMethod::NonLinear, body)],
        )],
    );
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, 0.025);
    mc.run(&m, KernelKind::Init);
    let r2 = 2f64.sqrt();
    assert!((mc.fields[0] - r2).abs() < 1e-9, "{}", mc.fields[0]);
    assert!((mc.fields[1] - r2).abs() < 1e-9, "{}", mc.fields[1]);
}

// ---------------------------------------------------------------- TABLE

fn k(v: f64) -> Expr {
    Expr::Const(v)
}

/// FUNCTION g(x) { TABLE FROM -100 TO 100 WITH 200  g = exp(x/30) }, called
/// from INITIAL into field `out` with the argument in field `arg`.
fn table_function_mech() -> Mechanism {
    let mut m = mech(
        vec![
            field("arg", FieldKind::Parameter, 0.0),
            field("out", FieldKind::Assigned, 0.0),
        ],
        vec![kernel(
            KernelKind::Init,
            vec![Stmt::Assign(fp(1), Expr::Call(FuncId::new(0), vec![f(0)]))],
        )],
    );
    let x = Expr::Load(Place::Local(LocalId::new(0)));
    m.functions.push(Function {
        name: "g".into(),
        params: 1,
        locals: vec!["x".into(), "g".into()],
        result: LocalId::new(1),
        body: vec![
            Stmt::Table {
                outputs: vec![],
                depend: vec![],
                from: k(-100.0),
                to: k(100.0),
                with: 200,
                span: sp(),
            },
            Stmt::Assign(
                Place::Local(LocalId::new(1)),
                Expr::Math(MathFn::Exp, vec![div(x, k(30.0))]),
            ),
        ],
        returns_value: true,
    });
    m
}

#[test]
fn table_function_interpolates_within_error() {
    let mut m = table_function_mech();
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, 0.025);
    for &a in &[-100.0, -37.3, 0.0, 0.5, 12.25, 99.9, 100.0] {
        mc.fields[0] = a;
        mc.run(&m, KernelKind::Init);
        let exact = (a / 30.0_f64).exp();
        // linear interpolation error <= h^2/8 max|g''| with h = 1
        let bound = exact.max((a.ceil() / 30.0).exp()) / 900.0 / 8.0 + 1e-15;
        assert!(
            (mc.fields[1] - exact).abs() <= bound,
            "{a}: {} vs {exact}",
            mc.fields[1]
        );
    }
    // outside the range: clamped to the end values
    mc.fields[0] = 150.0;
    mc.run(&m, KernelKind::Init);
    assert!((mc.fields[1] - (100.0_f64 / 30.0).exp()).abs() < 1e-12);
    mc.fields[0] = -150.0;
    mc.run(&m, KernelKind::Init);
    assert!((mc.fields[1] - (-100.0_f64 / 30.0).exp()).abs() < 1e-15);
    // usetable = 0 computes directly
    let u = m
        .globals
        .iter()
        .position(|g| g.name == "usetable")
        .expect("usetable");
    mc.globals[u] = 0.0;
    mc.fields[0] = 12.25;
    mc.run(&m, KernelKind::Init);
    assert_eq!(mc.fields[1], (12.25_f64 / 30.0).exp());
}

#[test]
fn table_procedure_tabulates_outputs_and_rebuilds_on_depend() {
    // PROCEDURE rates(v) { TABLE minf DEPEND q FROM 0 TO 10 WITH 10  minf = q*v*v }
    let mut m = mech(
        vec![
            field("arg", FieldKind::Parameter, 0.0),
            field("minf", FieldKind::Assigned, 0.0),
            field("q", FieldKind::Parameter, 1.0),
        ],
        vec![kernel(
            KernelKind::Init,
            vec![Stmt::Eval(Expr::Call(FuncId::new(0), vec![f(0)]))],
        )],
    );
    let v = Expr::Load(Place::Local(LocalId::new(0)));
    m.functions.push(Function {
        name: "rates".into(),
        params: 1,
        locals: vec!["v".into(), "rates".into()],
        result: LocalId::new(1),
        body: vec![
            Stmt::Table {
                outputs: vec![fp(1)],
                depend: vec![fp(2)],
                from: k(0.0),
                to: k(10.0),
                with: 10,
                span: sp(),
            },
            Stmt::Assign(fp(1), mul(f(2), mul(v.clone(), v))),
        ],
        returns_value: false,
    });
    solve_ok(&mut m);
    let mut mc = Machine::new(&m, 0.025);
    mc.fields[0] = 2.5;
    mc.run(&m, KernelKind::Init);
    assert_eq!(mc.fields[1], 4.0 + 0.5 * (9.0 - 4.0));
    mc.fields[2] = 2.0; // DEPEND changed: rebuilt
    mc.run(&m, KernelKind::Init);
    assert_eq!(mc.fields[1], 2.0 * (4.0 + 0.5 * (9.0 - 4.0)));
}

// ---------------------------------------------------------------- every model

#[test]
fn every_model_and_corpus_file_solves() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in ["models", "builtins", "tests/corpus"] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.extension().is_none_or(|x| x != "mod") {
                continue;
            }
            let mut map = nmc::diag::SourceMap::new();
            let out = nmc::driver::pipeline::compile_file(&mut map, &p);
            let errors: Vec<_> = out
                .diagnostics
                .iter()
                .filter(|d| d.is_error() || d.code.starts_with("W07"))
                .map(|d| format!("{} {}", d.code, d.message))
                .collect();
            if !errors.is_empty() {
                failures.push(format!("{}: {errors:?}", p.display()));
                continue;
            }
            let Some(m) = out.mechanism else {
                failures.push(format!("{}: no mechanism", p.display()));
                continue;
            };
            let left = nmc::ir::valid::validate(&m, nmc::ir::valid::Options { solved: true });
            if !left.is_empty() {
                let msgs: Vec<_> = left.iter().map(|d| d.message.clone()).collect();
                failures.push(format!("{}: {msgs:?}", p.display()));
            }
            count += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(count > 40, "only {count} files");
}
