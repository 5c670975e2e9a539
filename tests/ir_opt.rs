//! The IR specialisation passes (`ir::opt`) keep every observable result
//! bit for bit: for every mechanism in models/ and tests/corpus/, the
//! reference interpreter runs the original and the specialised mechanism
//! over the same random data (init, then current/state steps) and every
//! persistent field, global, node array, ion array someone reads, NET_RECEIVE
//! argument and engine call must be identical; so must the JIT's run of
//! the same specialisation.

mod common;
use common::bin;

use std::collections::BTreeSet;

use nmc::back::cranelift::{self, CompiledMechanism};
use nmc::back::math::MathMode;
use nmc::back::{EngineCall, Env, Event, MechanismData, NodeData, RecordingEngine, Shared, interp};
use nmc::ir::opt::{self, Specialization};
use nmc::ir::{Expr, FieldId, FieldKind, FuncId, KernelKind, LocalId, Mechanism, Stmt};

const INSTANCES: usize = 5;
const NODES: usize = 3;

/// A small deterministic generator (splitmix64) for the random data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// Data for `mech`: random states, v in -100..60, plausible ion values.
fn setup(mech: &Mechanism, seed: u64) -> (MechanismData, NodeData) {
    let mut rng = Rng(seed);
    let mut data = MechanismData::new(mech, INSTANCES);
    let nodes_of: Vec<u32> = (0..INSTANCES).map(|i| (i % NODES) as u32).collect();
    assert!(data.set_node_index(&nodes_of));
    for (id, field) in mech.fields_with_ids() {
        if field.kind == FieldKind::State {
            let slot = data.layout().field_slot[id];
            for col in slot..slot + field.len.max(1) {
                for i in 0..INSTANCES {
                    data.set_value(col, i, rng.next());
                }
            }
        }
    }
    let mut nodes = NodeData::new(NODES);
    for v in &mut nodes.v {
        *v = rng.range(-100.0, 60.0);
    }
    for (_, name) in data.layout().ion_vars.clone() {
        let u = rng.next();
        let value = if name.starts_with('e') {
            -100.0 + 200.0 * u
        } else if name.starts_with('i') || name.starts_with('d') {
            0.0
        } else {
            0.01 + 10.0 * u
        };
        nodes.add_ion(&name, value);
    }
    (data, nodes)
}

/// The kernels of an instance's life, the step twice.
fn sequence(mech: &Mechanism) -> Vec<KernelKind> {
    let mut kinds: Vec<KernelKind> = mech.kernels.iter().map(|k| k.kind).collect();
    let order = |k: &KernelKind| match k {
        KernelKind::Before(_) => 0,
        KernelKind::Init => 1,
        KernelKind::NetReceiveInit => 2,
        KernelKind::Current => 3,
        KernelKind::State => 4,
        KernelKind::NetReceive => 5,
        KernelKind::After(_) => 6,
    };
    kinds.sort_by_key(order);
    let step: Vec<KernelKind> = kinds
        .iter()
        .copied()
        .filter(|k| !matches!(k, KernelKind::Init | KernelKind::NetReceiveInit))
        .collect();
    kinds.extend(step.iter().copied());
    kinds.extend(step);
    kinds
}

/// What one run leaves that someone may observe.
type Snapshot = Vec<(String, u64)>;

/// Runs `mech`'s kernels on data made for `layout_of` (the original)
/// and snapshots after every kernel: the fields in `keep`, globals,
/// global arrays, node arrays, ion arrays except `unread`, shared values
/// and NET_RECEIVE arguments; plus the engine calls.
fn run(
    layout_of: &Mechanism,
    mech: &Mechanism,
    seed: u64,
    keep: &BTreeSet<FieldId>,
    unread: &BTreeSet<String>,
) -> Result<(Vec<Snapshot>, Vec<EngineCall>), String> {
    run_on(layout_of, Backend::Interp(mech), seed, keep, unread)
}

/// Who runs the kernels.
#[derive(Clone, Copy)]
enum Backend<'a> {
    /// The reference interpreter on this mechanism.
    Interp(&'a Mechanism),
    /// Compiled kernels.
    Jit(&'a CompiledMechanism),
}

fn run_on(
    layout_of: &Mechanism,
    backend: Backend<'_>,
    seed: u64,
    keep: &BTreeSet<FieldId>,
    unread: &BTreeSet<String>,
) -> Result<(Vec<Snapshot>, Vec<EngineCall>), String> {
    let (mut data, mut nodes) = setup(layout_of, seed);
    let mut shared = Shared {
        t: 1.5,
        dt: 0.025,
        celsius: 6.3,
        flag: 1.0,
    };
    let mut engine = RecordingEngine::new();
    let mut args = vec![0.05; layout_of.net_receive_args.len().max(4)];
    let mut snaps = Vec::new();
    for kind in sequence(layout_of) {
        let event =
            matches!(kind, KernelKind::NetReceive | KernelKind::NetReceiveInit).then(|| Event {
                target: 1,
                args: &mut args,
            });
        let mut env = Env {
            nodes: &mut nodes,
            shared: &mut shared,
            engine: &mut engine,
            event,
        };
        match backend {
            Backend::Interp(mech) => interp::run_kernel(mech, kind, &mut data, &mut env),
            Backend::Jit(compiled) => compiled.run(kind, &mut data, &mut env),
        }
        .map_err(|e| format!("{kind:?}: {e}"))?;
        let mut snap = Snapshot::new();
        for (id, field) in layout_of.fields_with_ids() {
            if !keep.contains(&id) {
                continue;
            }
            let slot = data.layout().field_slot[id];
            for col in slot..slot + field.len.max(1) {
                for i in 0..data.count() {
                    let v = data.value(col, i).unwrap_or(f64::NAN);
                    snap.push((
                        format!("{}[{}] of {i}", field.name, col - slot),
                        v.to_bits(),
                    ));
                }
            }
        }
        for (g, v) in data.globals().iter().enumerate() {
            snap.push((format!("global {g}"), v.to_bits()));
        }
        for a in 0..layout_of.global_arrays.len() {
            for (k, v) in data.global_array(a).unwrap_or(&[]).iter().enumerate() {
                snap.push((format!("global array {a}[{k}]"), v.to_bits()));
            }
        }
        for (name, array) in [("v", &nodes.v), ("rhs", &nodes.rhs), ("diag", &nodes.diag)] {
            for (k, v) in array.iter().enumerate() {
                snap.push((format!("{name} of node {k}"), v.to_bits()));
            }
        }
        for (name, array) in &nodes.ions {
            if unread.contains(name) {
                continue;
            }
            for (k, v) in array.iter().enumerate() {
                snap.push((format!("{name} of node {k}"), v.to_bits()));
            }
        }
        snap.push(("t".into(), shared.t.to_bits()));
        for (k, v) in args.iter().enumerate() {
            snap.push((format!("net arg {k}"), v.to_bits()));
        }
        snaps.push(snap);
    }
    Ok((snaps, engine.calls))
}

/// Every `.mod` file under `dir`, compiled; files the pipeline rejects are
/// skipped (their own tests cover that).
fn mechanisms(dir: &str) -> Vec<(String, Mechanism)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "mod"));
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let mut map = nmc::diag::SourceMap::new();
        let outcome = nmc::driver::pipeline::compile_file(&mut map, &path);
        if !outcome.failed()
            && let Some(m) = outcome.mechanism
        {
            out.push((path.display().to_string(), m));
        }
    }
    out
}

/// The aggressive specialisation: nothing observed, every unindexed
/// parameter constant at its default, every written ion current (and its
/// conductance) unread.
fn aggressive(mech: &Mechanism) -> Specialization {
    let constants = mech
        .fields_with_ids()
        .filter(|(_, f)| f.kind == FieldKind::Parameter && f.len == 1)
        .map(|(id, f)| (id, f.default))
        .collect();
    let mut unread = BTreeSet::new();
    for ion in &mech.ions {
        let current = format!("i{}", ion.name);
        if ion.write.contains(&current) {
            unread.insert(current);
            unread.insert(format!("di{}dv", ion.name));
        }
    }
    Specialization {
        observed: Some(BTreeSet::new()),
        constants,
        unread_ion_vars: unread,
        hoist: false,
    }
}

/// Runs original and specialised mechanism on a few random data sets and
/// requires identical observable results. Returns false when the
/// interpreter cannot run the original (e.g. it needs a POINTER target).
fn agree(name: &str, mech: &Mechanism, spec: &Specialization) -> bool {
    let specialized =
        opt::specialize(mech, spec).unwrap_or_else(|e| panic!("{name}: specialize: {e}"));
    let keep = &specialized.persistent;
    // Mechanisms the JIT rejects are covered by the interpreter only.
    let jit = cranelift::compile_specialized(mech, MathMode::Exact, spec).ok();
    for seed in 1..=4u64 {
        let Ok((want, want_calls)) = run(mech, mech, seed, keep, &spec.unread_ion_vars) else {
            return false;
        };
        let (got, got_calls) = run(mech, &specialized.mech, seed, keep, &spec.unread_ion_vars)
            .unwrap_or_else(|e| panic!("{name}: specialised run fails: {e}"));
        same(name, spec, seed, &want, &got, &want_calls, &got_calls);
        // The JIT compiles the specialised kernels (and promotes scratch
        // fields to registers): same observable bits.
        if let Some(compiled) = &jit {
            let (got, got_calls) = run_on(
                mech,
                Backend::Jit(compiled),
                seed,
                keep,
                &spec.unread_ion_vars,
            )
            .unwrap_or_else(|e| panic!("{name}: JIT run fails: {e}"));
            same(name, spec, seed, &want, &got, &want_calls, &got_calls);
        }
    }
    true
}

/// Asserts two runs' snapshots and engine calls are identical.
fn same(
    name: &str,
    spec: &Specialization,
    seed: u64,
    want: &[Snapshot],
    got: &[Snapshot],
    want_calls: &[EngineCall],
    got_calls: &[EngineCall],
) {
    {
        assert_eq!(want.len(), got.len());
        for (step, (w, g)) in want.iter().zip(got).enumerate() {
            assert_eq!(w.len(), g.len());
            for ((what, a), (_, b)) in w.iter().zip(g) {
                assert_eq!(
                    a,
                    b,
                    "{name} ({spec:?}), seed {seed}, kernel #{step}: {what}: {} vs {}",
                    f64::from_bits(*a),
                    f64::from_bits(*b)
                );
            }
        }
        assert_eq!(
            format!("{want_calls:?}"),
            format!("{got_calls:?}"),
            "{name}: engine calls differ"
        );
    }
}

fn agree_dir(dir: &str) {
    let mechs = mechanisms(dir);
    assert!(!mechs.is_empty(), "no mechanisms in {dir}");
    let mut tested = 0;
    for (name, mech) in &mechs {
        if agree(name, mech, &Specialization::none()) {
            assert!(agree(name, mech, &aggressive(mech)));
            tested += 1;
        } else {
            eprintln!("skipped (interpreter cannot run it): {name}");
        }
    }
    eprintln!("{dir}: {tested} of {} mechanisms agree", mechs.len());
    assert!(tested * 2 >= mechs.len(), "too few mechanisms ran");
}

#[test]
fn every_model_agrees_when_specialised() {
    agree_dir("models");
}

#[test]
fn every_builtin_agrees_when_specialised() {
    agree_dir("builtins");
}

#[test]
fn every_corpus_file_agrees_when_specialised() {
    agree_dir("tests/corpus");
}

fn model(name: &str) -> Mechanism {
    mechanisms("models")
        .into_iter()
        .find(|(p, _)| p.ends_with(name))
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("{name} compiles"))
}

/// The kernel of `kind` of `mech` (the test fails if there is none).
fn kernel(mech: &Mechanism, kind: KernelKind) -> &Kernel {
    mech.kernels
        .iter()
        .find(|k| k.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} kernel"))
}

fn calls_in(body: &[Stmt]) -> usize {
    let text = format!("{body:?}");
    text.matches("Call(").count()
}

#[test]
fn na_rtm_kernels_become_straight_line() {
    let mech = model("na_rtm.mod");
    let s = opt::specialize(&mech, &Specialization::none()).expect("specialises");
    for k in &s.mech.kernels {
        assert_eq!(calls_in(&k.body), 0, "{:?} still calls", k.kind);
    }
    // The functions stay for calls from elsewhere.
    assert_eq!(s.mech.functions, mech.functions);
    let state = kernel(&s.mech, KernelKind::State);
    assert!(state.locals.len() > 1, "rates' locals join the kernel");
}

#[test]
fn specialising_with_none_keeps_every_field() {
    let mech = model("na_rtm.mod");
    let s = opt::specialize(&mech, &Specialization::none()).expect("specialises");
    assert_eq!(s.persistent, mech.field_ids().collect());
}

/// Counts `exp` calls a kernel makes per instance (straight-line bodies).
fn exps(body: &[Stmt]) -> usize {
    let mut n = 0;
    fn expr(e: &Expr, n: &mut usize) {
        match e {
            Expr::Math(nmc::ir::MathFn::Exp, args) => {
                *n += 1;
                args.iter().for_each(|a| expr(a, n));
            }
            Expr::Math(_, args) | Expr::Call(_, args) => args.iter().for_each(|a| expr(a, n)),
            Expr::Unary(_, a) => expr(a, n),
            Expr::Binary(_, a, b) => {
                expr(a, n);
                expr(b, n);
            }
            _ => {}
        }
    }
    for s in body {
        if let Stmt::Assign(_, e) | Stmt::Accumulate(_, e) = s {
            expr(e, &mut n);
        }
    }
    n
}

#[test]
fn emitted_ir_is_the_unspecialised_ir() {
    // `nmc compile --emit ir` prints the pipeline's mechanism, which calls
    // `rates`; specialisation happens only inside the JIT.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/na_rtm.mod");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["compile", "--emit", "ir"])
        .arg(&path)
        .output()
        .expect("nmc runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mech = model("na_rtm.mod");
    assert_eq!(text.trim_end(), nmc::ir::print::print(&mech).trim_end());
    assert!(text.contains("  rates(v)"), "{text}");
}

#[test]
fn inlined_state_kernel_keeps_its_exp_calls_without_specialisation() {
    let mech = model("na_rtm.mod");
    let s = opt::specialize(&mech, &Specialization::none()).expect("specialises");
    let state = kernel(&s.mech, KernelKind::State);
    // rates: 1 (minf) + 1 (hinf) + 2 (htau: its repeated exp computed
    // once by CSE) + 2 (mtau: each of its two exps appears twice); the
    // update: 1.
    assert_eq!(exps(&state.body), 7);
}

fn field_names(mech: &Mechanism, ids: &BTreeSet<FieldId>) -> Vec<String> {
    ids.iter().map(|&id| mech.fields[id].name.clone()).collect()
}

#[test]
fn na_rtm_with_nothing_observed_keeps_only_what_kernels_carry_over() {
    let mech = model("na_rtm.mod");
    let spec = aggressive(&mech);
    let s = opt::specialize(&mech, &spec).expect("specialises");
    assert_eq!(field_names(&mech, &s.persistent), ["minf", "h"]);
    // Without constants the parameters are read from memory, so they stay.
    let plain = Specialization {
        observed: Some(BTreeSet::new()),
        ..Specialization::none()
    };
    let p = opt::specialize(&mech, &plain).expect("specialises");
    assert_eq!(
        field_names(&mech, &p.persistent),
        [
            "gbar",
            "minfvhalf",
            "minfk",
            "hinfvhalf",
            "hinfk",
            "minf",
            "h"
        ]
    );
    let state = kernel(&s.mech, KernelKind::State);
    // mtau's exp calls are gone: minf 1, hinf 1, htau 2 (3 in the source,
    // one repeated), the update 1.
    assert_eq!(exps(&state.body), 5, "{}", nmc::ir::print::print(&s.mech));
    // The current kernel no longer accumulates ina/dinadv into the ion.
    let current = kernel(&s.mech, KernelKind::Current);
    let text = format!("{:?}", current.body);
    assert!(!text.contains("Accumulate(Ion("), "{text}");
    assert!(!text.contains("Field(3, None)"), "gbar folded: {text}");
}

#[test]
fn observed_fields_keep_their_stores() {
    let mech = model("na_rtm.mod");
    let mtau = mech.field_id("mtau").expect("mtau");
    let mut spec = aggressive(&mech);
    spec.observed = Some(BTreeSet::from([mtau]));
    let s = opt::specialize(&mech, &spec).expect("specialises");
    assert!(s.persistent.contains(&mtau));
    let state = kernel(&s.mech, KernelKind::State);
    // All 10 exps of the source but the 3 repeated ones (1 in htau, 2 in mtau).
    assert_eq!(exps(&state.body), 7);
}

#[test]
fn written_fields_are_not_folded_as_constants() {
    let mech = model("na_rtm.mod");
    let minf = mech.field_id("minf").expect("minf");
    let mut spec = aggressive(&mech);
    spec.constants.insert(minf, 0.5);
    let s = opt::specialize(&mech, &spec).expect("specialises");
    let current = kernel(&s.mech, KernelKind::Current);
    assert!(format!("{:?}", current.body).contains(&format!("Field({minf}, None)")));
}

// A hand-made mechanism exercising the corners of inlining and liveness:
// movable and unmovable calls, tail returns, recursion, locals that must
// start at 0 on every call, loops, early returns.

use nmc::ir::{BinOp, Field, Function, Kernel, MechKind, Place};

fn fld(id: FieldId) -> Expr {
    Expr::Load(Place::Field(id, None))
}

fn loc(l: usize) -> Expr {
    Expr::Load(Place::Local(LocalId::new(l)))
}

fn c(x: f64) -> Expr {
    Expr::Const(x)
}

fn call(f: FuncId, args: Vec<Expr>) -> Expr {
    Expr::Call(f, args)
}

fn set(p: Place, e: Expr) -> Stmt {
    Stmt::Assign(p, e)
}

fn func(name: &str, locals: &[&str], body: Vec<Stmt>) -> Function {
    Function {
        name: name.into(),
        params: 1,
        locals: locals.iter().map(|s| s.to_string()).collect(),
        result: LocalId::new(1),
        body,
        returns_value: true,
    }
}

const SQ: FuncId = FuncId::new(0);
const BUMP: FuncId = FuncId::new(1);
const EARLY: FuncId = FuncId::new(2);
const TAIL: FuncId = FuncId::new(3);
const REC: FuncId = FuncId::new(4);
const ACC: FuncId = FuncId::new(5);

fn corner_mechanism() -> Mechanism {
    let [a, b, cc, x] = [0, 1, 2, 3].map(FieldId::new);
    let field = |name: &str, kind: FieldKind| Field {
        name: name.into(),
        kind,
        unit: None,
        default: 0.25,
        len: 1,
        range: true,
    };
    let result = || Place::Local(LocalId::new(1));
    let p = || loc(0);
    let functions = vec![
        // sq(p) = p * p
        func(
            "sq",
            &["p", "sq"],
            vec![set(result(), bin(BinOp::Mul, p(), p()))],
        ),
        // bump(p): b = b + p; bump = b
        func(
            "bump",
            &["p", "bump"],
            vec![
                set(Place::Field(b, None), bin(BinOp::Add, fld(b), p())),
                set(result(), fld(b)),
            ],
        ),
        // early(p): if p > 0 { early = 1; return }; early = 2
        func(
            "early",
            &["p", "early"],
            vec![
                Stmt::If {
                    cond: bin(BinOp::Gt, p(), c(0.5)),
                    then: vec![set(result(), c(1.0)), Stmt::Return],
                    otherwise: vec![],
                },
                set(result(), c(2.0)),
            ],
        ),
        // tail(p): if p > 0.5 { tail = 1; return } else { tail = 2 }
        func(
            "tail",
            &["p", "tail"],
            vec![Stmt::If {
                cond: bin(BinOp::Gt, p(), c(0.5)),
                then: vec![set(result(), c(1.0)), Stmt::Return],
                otherwise: vec![set(result(), c(2.0)), Stmt::Return, set(result(), c(9.0))],
            }],
        ),
        // rec(p): if p > 0 { rec = rec(p - 1) + 1 }
        func(
            "rec",
            &["p", "rec"],
            vec![Stmt::If {
                cond: bin(BinOp::Gt, p(), c(0.0)),
                then: vec![set(
                    result(),
                    bin(
                        BinOp::Add,
                        call(REC, vec![bin(BinOp::Sub, p(), c(1.0))]),
                        c(1.0),
                    ),
                )],
                otherwise: vec![],
            }],
        ),
        // acc(p): t += p; acc = t + sq(t)
        func(
            "acc",
            &["p", "acc", "t"],
            vec![
                Stmt::Accumulate(Place::Local(LocalId::new(2)), p()),
                set(result(), bin(BinOp::Add, loc(2), call(SQ, vec![loc(2)]))),
            ],
        ),
    ];
    let body = vec![
        set(
            Place::Field(a, None),
            bin(
                BinOp::Add,
                call(SQ, vec![fld(x)]),
                call(SQ, vec![bin(BinOp::Add, fld(x), c(1.0))]),
            ),
        ),
        set(
            Place::Field(b, None),
            bin(BinOp::Add, fld(a), call(BUMP, vec![fld(x)])),
        ),
        set(Place::Field(cc, None), call(BUMP, vec![fld(a)])),
        set(
            Place::Field(a, None),
            bin(
                BinOp::Add,
                bin(BinOp::Mul, fld(b), call(BUMP, vec![fld(cc)])),
                call(SQ, vec![fld(a)]),
            ),
        ),
        set(
            Place::Field(cc, None),
            bin(
                BinOp::Add,
                bin(
                    BinOp::Add,
                    call(EARLY, vec![fld(x)]),
                    call(TAIL, vec![fld(x)]),
                ),
                call(REC, vec![c(3.0)]),
            ),
        ),
        set(Place::Local(LocalId::new(0)), c(0.0)),
        Stmt::While {
            cond: bin(BinOp::Lt, loc(0), c(3.0)),
            body: vec![
                Stmt::Accumulate(Place::Local(LocalId::new(1)), call(ACC, vec![loc(0)])),
                set(
                    Place::Local(LocalId::new(0)),
                    bin(BinOp::Add, loc(0), c(1.0)),
                ),
            ],
        },
        set(Place::Field(a, None), bin(BinOp::Add, fld(a), loc(1))),
        Stmt::If {
            cond: bin(
                BinOp::And,
                bin(BinOp::Gt, call(SQ, vec![fld(x)]), c(0.25)),
                call(BUMP, vec![c(1.0)]),
            ),
            then: vec![Stmt::Eval(call(BUMP, vec![c(2.0)]))],
            otherwise: vec![],
        },
        set(Place::Field(b, None), c(5.0)),
        Stmt::If {
            cond: bin(BinOp::Gt, fld(x), c(0.5)),
            then: vec![set(Place::Field(cc, None), c(1.0)), Stmt::Return],
            otherwise: vec![],
        },
        set(Place::Field(b, None), c(6.0)),
        set(Place::Field(cc, None), c(2.0)),
    ];
    Mechanism {
        name: "corners".into(),
        kind: MechKind::Density,
        ions: vec![],
        fields: vec![
            field("a", FieldKind::Assigned),
            field("b", FieldKind::Assigned),
            field("c", FieldKind::Assigned),
            field("x", FieldKind::State),
        ],
        globals: vec![],
        net_receive_args: vec![],
        kernels: vec![Kernel {
            kind: KernelKind::State,
            locals: vec!["i".into(), "sum".into()],
            body,
        }],
        functions,
        global_arrays: vec![],
        watches: vec![],
        function_tables: vec![],
        randoms: vec![],
    }
}

fn called(body: &[Stmt]) -> Vec<FuncId> {
    let text = format!("{body:?}");
    let mut out: Vec<FuncId> = text
        .match_indices("Call(")
        .filter_map(|(k, _)| {
            let rest = &text[k + 5..];
            rest[..rest.find(',')?].parse().ok().map(FuncId::new)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn corner_cases_inline_where_they_may_and_agree() {
    let mech = corner_mechanism();
    assert!(nmc::ir::valid::validate(&mech, Default::default()).is_empty());
    let s = opt::specialize(&mech, &Specialization::none()).expect("specialises");
    let body = &s.mech.kernels[0].body;
    // Left as calls: bump(x) beside a load (it writes b), and so the
    // statement's other calls (bump(cc), sq(a)); early (its Return skips
    // code) and rec (recursive), and so tail(x) beside them; in the `if`
    // condition sq (beside bump) and bump (right of `&&`).
    assert_eq!(
        called(body),
        vec![SQ, SQ, BUMP, BUMP, BUMP, EARLY, TAIL, REC],
        "{body:?}"
    );
    // x in and out of (0.5, 1): both sides of every branch.
    for seed in 1..=8 {
        let keep = (0..4).map(FieldId::new).collect();
        let none = BTreeSet::new();
        let want = run(&mech, &mech, seed, &keep, &none).expect("original runs");
        let got = run(&mech, &s.mech, seed, &keep, &none).expect("specialised runs");
        assert_eq!(want, got, "seed {seed}");
    }
    assert!(agree("corners", &mech, &Specialization::none()));
    // Nothing observed: a and c are scratch (each kernel run writes them
    // before reading); x is carried over, and b is read by bump, which is
    // still called.
    let spec = Specialization {
        observed: Some(BTreeSet::new()),
        ..Specialization::none()
    };
    assert_eq!(
        opt::specialize(&mech, &spec)
            .expect("specialises")
            .persistent,
        BTreeSet::from([1, 3].map(FieldId::new))
    );
    assert!(agree("corners", &mech, &spec));
    let spec = Specialization {
        observed: Some(BTreeSet::from([FieldId::new(2)])),
        ..Specialization::none()
    };
    assert!(agree("corners", &mech, &spec));
}
