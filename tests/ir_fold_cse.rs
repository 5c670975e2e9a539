//! Constant folding (`ir::opt::fold`) and common subexpression
//! elimination (`ir::opt::cse`): what they remove, what they must leave
//! alone, and that the kernels they rewrite give the same bits (the
//! interpreter on the rewritten mechanism, and the JIT, against the
//! interpreter on the original).

mod common;
use common::bin;

use nmc::back::cranelift;
use nmc::back::math::MathMode;
use nmc::back::{Env, MechanismData, NodeData, RecordingEngine, Shared, interp};
use nmc::ir::opt::{self, Specialization, cse, dce, fold, inline, persist};
use nmc::ir::{
    BinOp, Expr, Field, FieldId, FieldKind, FuncId, Function, Kernel, KernelKind, LocalId, MathFn,
    MechKind, Mechanism, Place, Stmt, UnOp,
};

fn model(name: &str) -> Mechanism {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(name);
    let mut map = nmc::diag::SourceMap::new();
    let outcome = nmc::driver::pipeline::compile_file(&mut map, &path);
    assert!(!outcome.failed(), "{name} compiles");
    outcome.mechanism.expect("a mechanism")
}

/// The specialisation the simulator uses for a run recording nothing with
/// every instance at its defaults (as examples/kernel_bench.rs).
fn run_spec(mech: &Mechanism) -> Specialization {
    Specialization::defaults_unobserved(mech, &["ina", "ik", "dinadv", "dikdv"])
}

/// Math calls of `f` anywhere in `body`.
fn count_math(body: &[Stmt], f: MathFn) -> usize {
    let text = format!("{body:?}");
    text.matches(&format!("Math({f:?},")).count()
}

fn state_kernel(mech: &Mechanism) -> &Kernel {
    mech.kernels
        .iter()
        .find(|k| k.kind == KernelKind::State)
        .expect("state kernel")
}

/// `specialize` without the CSE step, then the CSE step on its own: the
/// number of exp calls in the state kernel before and after.
fn exps_before_and_after_cse(name: &str) -> (usize, usize, Mechanism) {
    let mech = model(name);
    let spec = run_spec(&mech);
    let mut m = mech.clone();
    inline::inline_kernels(&mut m);
    let constants = opt::consts::usable(&m, &spec.constants);
    opt::consts::fold(&mut m, &constants);
    fold::fold_constants(&mut m);
    let keep = persist::persistent(&m, spec.observed.as_ref());
    dce::eliminate(&mut m, &keep, &spec.unread_ion_vars);
    let before = count_math(&state_kernel(&m).body, MathFn::Exp);
    cse::eliminate_common(&mut m);
    let after = count_math(&state_kernel(&m).body, MathFn::Exp);
    // The pipeline does the same.
    let s = opt::specialize(&mech, &spec).expect("specialises");
    assert_eq!(s.mech, m, "specialize runs the passes in this order");
    (before, after, m)
}

#[test]
fn na_rtm_state_kernel_computes_its_repeated_exp_once() {
    let (before, after, m) = exps_before_and_after_cse("na_rtm.mod");
    // minf, hinf, htau's three (one twice), the cnexp update.
    assert_eq!((before, after), (6, 5), "{}", nmc::ir::print::print(&m));
}

#[test]
fn k_rtm_state_kernel_computes_its_repeated_exp_once() {
    let (before, after, m) = exps_before_and_after_cse("k_rtm.mod");
    // ninf, ntau's three (one twice), the cnexp update.
    assert_eq!((before, after), (5, 4), "{}", nmc::ir::print::print(&m));
}

// Hand-made kernels over fields x (state), a, b, flag.

const X: usize = 0;
const A: usize = 1;
const B: usize = 2;
const FLAG: usize = 3;

fn fld(id: usize) -> Expr {
    Expr::Load(Place::Field(FieldId::new(id), None))
}

fn c(x: f64) -> Expr {
    Expr::Const(x)
}

fn exp(a: Expr) -> Expr {
    Expr::Math(MathFn::Exp, vec![a])
}

fn set(id: usize, e: Expr) -> Stmt {
    Stmt::Assign(Place::Field(FieldId::new(id), None), e)
}

/// exp(x / 3 + 1), the repeated expression of the tests.
fn e() -> Expr {
    exp(bin(BinOp::Add, bin(BinOp::Div, fld(X), c(3.0)), c(1.0)))
}

fn mechanism(body: Vec<Stmt>, functions: Vec<Function>) -> Mechanism {
    let field = |name: &str, kind: FieldKind| Field {
        name: name.into(),
        kind,
        unit: None,
        default: 0.5,
        len: 1,
        range: true,
    };
    Mechanism {
        name: "hand".into(),
        kind: MechKind::Density,
        ions: vec![],
        fields: vec![
            field("x", FieldKind::State),
            field("a", FieldKind::Assigned),
            field("b", FieldKind::Assigned),
            field("flag", FieldKind::Parameter),
        ],
        globals: vec![],
        net_receive_args: vec![],
        kernels: vec![Kernel {
            kind: KernelKind::State,
            locals: vec!["i".into()],
            body,
        }],
        functions,
        global_arrays: vec![],
        watches: vec![],
        function_tables: vec![],
        randoms: vec![],
    }
}

/// Runs the state kernel of `mech` three times over 4 instances (x and
/// flag varied) with the interpreter; every field's bits after each run.
fn run(mech: &Mechanism, jit: bool) -> Vec<u64> {
    let n = 4;
    let mut data = MechanismData::new(mech, n);
    let slots = data.layout().field_slot.clone();
    let slot = |id: usize| slots[FieldId::new(id)];
    let (sx, sflag) = (slot(X), slot(FLAG));
    for i in 0..n {
        data.set_value(sx, i, -1.5 + 0.9 * i as f64);
        data.set_value(sflag, i, (i % 2) as f64);
    }
    let mut nodes = NodeData::new(n);
    let mut shared = Shared::default();
    let mut engine = RecordingEngine::new();
    let compiled = jit.then(|| cranelift::compile_with(mech, MathMode::Exact).expect("compiles"));
    let mut out = Vec::new();
    for _ in 0..3 {
        let mut env = Env {
            nodes: &mut nodes,
            shared: &mut shared,
            engine: &mut engine,
            event: None,
        };
        match &compiled {
            Some(k) => k.run(KernelKind::State, &mut data, &mut env),
            None => interp::run_kernel(mech, KernelKind::State, &mut data, &mut env),
        }
        .expect("runs");
        for id in 0..mech.fields.len() {
            for i in 0..n {
                let v = data.value(slot(id), i).unwrap_or(f64::NAN);
                out.push(v.to_bits());
            }
        }
    }
    out
}

/// Applies CSE to a kernel made of `body`; checks the result validates
/// and runs to the same bits (interpreter and JIT); returns the body and
/// its number of exp calls.
fn cse_of(body: Vec<Stmt>, functions: Vec<Function>) -> (Vec<Stmt>, usize) {
    let mech = mechanism(body, functions);
    assert!(nmc::ir::valid::validate(&mech, Default::default()).is_empty());
    let mut m = mech.clone();
    cse::eliminate_common(&mut m);
    let found = nmc::ir::valid::validate(&m, Default::default());
    assert!(found.is_empty(), "{:?}", found[0].message);
    let want = run(&mech, false);
    assert_eq!(want, run(&m, false), "{}", nmc::ir::print::print(&m));
    assert_eq!(want, run(&mech, true), "JIT");
    let body = m.kernels[0].body.clone();
    let n = count_math(&body, MathFn::Exp);
    (body, n)
}

#[test]
fn cse_reuses_a_value_across_statements() {
    let (body, n) = cse_of(
        vec![
            set(A, bin(BinOp::Mul, e(), c(2.0))),
            set(B, bin(BinOp::Sub, e(), fld(A))),
        ],
        vec![],
    );
    assert_eq!(n, 1, "{body:?}");
    // Inside one statement too.
    let (body, n) = cse_of(vec![set(A, bin(BinOp::Mul, e(), e()))], vec![]);
    assert_eq!(n, 1, "{body:?}");
}

#[test]
fn cse_does_not_reuse_across_an_assignment_to_an_operand() {
    let (body, n) = cse_of(
        vec![
            set(A, e()),
            set(X, bin(BinOp::Add, fld(X), c(1.0))),
            set(B, e()),
        ],
        vec![],
    );
    assert_eq!(n, 2, "{body:?}");
    // An assignment to something else does not stop it.
    let (body, n) = cse_of(vec![set(A, e()), set(FLAG, c(3.0)), set(B, e())], vec![]);
    assert_eq!(n, 1, "{body:?}");
}

#[test]
fn cse_does_not_reuse_a_value_of_one_branch_elsewhere() {
    let branch = |then: Vec<Stmt>, otherwise: Vec<Stmt>| Stmt::If {
        cond: fld(FLAG),
        then,
        otherwise,
    };
    // Computed in `then`, needed after the `if`.
    let (body, n) = cse_of(vec![branch(vec![set(A, e())], vec![]), set(B, e())], vec![]);
    assert_eq!(n, 2, "{body:?}");
    // Computed in both branches.
    let (body, n) = cse_of(vec![branch(vec![set(A, e())], vec![set(B, e())])], vec![]);
    assert_eq!(n, 2, "{body:?}");
    // Computed before the `if`: reused inside it.
    let (body, n) = cse_of(vec![set(A, e()), branch(vec![set(B, e())], vec![])], vec![]);
    assert_eq!(n, 1, "{body:?}");
    // ... but not after a branch that may change x.
    let (body, n) = cse_of(
        vec![
            set(A, e()),
            branch(vec![set(X, c(2.0))], vec![]),
            set(B, e()),
        ],
        vec![],
    );
    assert_eq!(n, 2, "{body:?}");
}

#[test]
fn cse_respects_loops_and_conditional_operands() {
    let i = || Expr::Load(Place::Local(LocalId::new(0)));
    // x changes in the loop: the exp inside is not the one before it.
    let (body, n) = cse_of(
        vec![
            set(A, e()),
            Stmt::Assign(Place::Local(LocalId::new(0)), c(0.0)),
            Stmt::While {
                cond: bin(BinOp::Lt, i(), c(2.0)),
                body: vec![
                    set(B, bin(BinOp::Add, fld(B), e())),
                    set(X, bin(BinOp::Mul, fld(X), c(0.5))),
                    Stmt::Assign(Place::Local(LocalId::new(0)), bin(BinOp::Add, i(), c(1.0))),
                ],
            },
        ],
        vec![],
    );
    assert_eq!(n, 2, "{body:?}");
    // The right side of `&&` is evaluated only sometimes: it does not
    // define a value for later statements.
    let (body, n) = cse_of(
        vec![
            set(A, bin(BinOp::And, fld(FLAG), bin(BinOp::Gt, e(), c(1.0)))),
            set(B, e()),
        ],
        vec![],
    );
    assert_eq!(n, 2, "{body:?}");
}

#[test]
fn cse_does_not_reuse_across_a_call_that_writes() {
    // bump(p): x = x + p
    let bump = Function {
        name: "bump".into(),
        params: 1,
        locals: vec!["p".into(), "result".into()],
        result: LocalId::new(1),
        body: vec![set(
            X,
            bin(
                BinOp::Add,
                fld(X),
                Expr::Load(Place::Local(LocalId::new(0))),
            ),
        )],
        returns_value: false,
    };
    let (body, n) = cse_of(
        vec![
            set(A, e()),
            Stmt::Eval(Expr::Call(FuncId::new(0), vec![c(1.0)])),
            set(B, e()),
        ],
        vec![bump],
    );
    assert_eq!(n, 2, "{body:?}");
}

#[test]
fn cse_keeps_the_order_of_operations() {
    // (x/3 + 1) appears; (1 + x/3) is a different computation in floating
    // point terms only by order, and must not be taken for it.
    let other = exp(bin(BinOp::Add, c(1.0), bin(BinOp::Div, fld(X), c(3.0))));
    let (body, n) = cse_of(vec![set(A, e()), set(B, other)], vec![]);
    assert_eq!(n, 2, "{body:?}");
}

fn fold_one(e: Expr) -> Expr {
    let mut m = mechanism(vec![set(A, e)], vec![]);
    fold::fold_constants(&mut m);
    match &m.kernels[0].body[0] {
        Stmt::Assign(_, e) => e.clone(),
        s => panic!("{s:?}"),
    }
}

#[test]
fn folding_gives_the_ieee_value() {
    assert_eq!(fold_one(bin(BinOp::Div, c(1.0), c(3.0))), c(1.0 / 3.0));
    let Expr::Const(third) = fold_one(bin(BinOp::Div, c(1.0), c(3.0))) else {
        panic!("not folded");
    };
    assert_eq!(third.to_bits(), 0x3fd5_5555_5555_5555);
    // 27/5 rounds to the double nearest 5.4, as at run time.
    assert_eq!(fold_one(bin(BinOp::Div, c(27.0), c(5.0))), c(5.4));
    // Nested, with negation: -(1) / 2 - 0.1 * 3.
    let nested = bin(
        BinOp::Sub,
        bin(BinOp::Div, Expr::Unary(UnOp::Neg, Box::new(c(1.0))), c(2.0)),
        bin(BinOp::Mul, c(0.1), c(3.0)),
    );
    assert_eq!(fold_one(nested), c(-0.5 - 0.1 * 3.0));
    assert_eq!(fold_one(Expr::Unary(UnOp::Neg, Box::new(c(0.0)))), c(-0.0));
    // Comparisons and logic give 1 or 0.
    assert_eq!(fold_one(bin(BinOp::Lt, c(2.0), c(3.0))), c(1.0));
    assert_eq!(fold_one(bin(BinOp::Eq, c(f64::NAN), c(f64::NAN))), c(0.0));
    assert_eq!(fold_one(bin(BinOp::And, c(2.0), c(0.0))), c(0.0));
    assert_eq!(fold_one(Expr::Unary(UnOp::Not, Box::new(c(0.0)))), c(1.0));
}

#[test]
fn folding_leaves_math_functions_and_pow_to_run_time() {
    let e = exp(c(1.0));
    assert_eq!(fold_one(e.clone()), e);
    let p = bin(BinOp::Pow, c(2.0), c(0.5));
    assert_eq!(fold_one(p.clone()), p);
    // Their constant arguments are folded.
    assert_eq!(fold_one(exp(bin(BinOp::Div, c(1.0), c(4.0)))), exp(c(0.25)));
}

#[test]
fn division_by_a_power_of_two_becomes_a_multiplication() {
    assert_eq!(
        fold_one(bin(BinOp::Div, fld(X), c(4.0))),
        bin(BinOp::Mul, fld(X), c(0.25))
    );
    assert_eq!(
        fold_one(bin(BinOp::Div, fld(X), c(0.5))),
        bin(BinOp::Mul, fld(X), c(2.0))
    );
    assert_eq!(
        fold_one(bin(BinOp::Div, fld(X), c(-2.0))),
        bin(BinOp::Mul, fld(X), c(-0.5))
    );
    // Not a power of two: the division stays.
    for d in [3.0, 5.0, 0.001, 0.0] {
        let q = bin(BinOp::Div, fld(X), c(d));
        assert_eq!(fold_one(q.clone()), q, "x / {d}");
    }
    // Same bits for awkward x: the rewritten kernel against the original.
    let body = vec![
        set(A, bin(BinOp::Div, fld(X), c(4.0))),
        set(
            B,
            bin(BinOp::Div, bin(BinOp::Mul, fld(X), c(1e-308)), c(8.0)),
        ),
    ];
    let mech = mechanism(body, vec![]);
    let mut m = mech.clone();
    fold::fold_constants(&mut m);
    assert_ne!(m, mech);
    assert_eq!(run(&mech, false), run(&m, false));
}
