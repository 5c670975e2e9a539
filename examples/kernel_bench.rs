//! Kernel benchmark: the `current` and `state` kernels of `na_rtm` and
//! `k_rtm` (models/) advancing 10^6 instances by one time step, through the
//! Cranelift JIT (plain, and specialised as the simulator specialises them
//! for a run that records nothing: see [`run_spec`]), the interpreter, and
//! the same loops written by hand in Rust (the ceiling). Prints ns per
//! instance-step.
//!
//! Run with: `cargo run --release --example kernel_bench [instances]`
//! (`KB_WALL=1`: wall-clock time; `KB_ONLY=1State`: one kernel only;
//! `KB_SPEC_FAST_ONLY=1`: only the specialised fast-math kernels, for perf).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use nmc::back::cranelift::{self, CompiledMechanism};
use nmc::back::math::MathMode;
use nmc::back::{Env, MechanismData, NodeData, RecordingEngine, Shared, interp};
use nmc::diag::SourceMap;
use nmc::ir::opt::Specialization;
use nmc::ir::{KernelKind, Mechanism};

const STEPS: usize = 5;

/// Time this thread has spent on a CPU (s), from /proc/thread-self/schedstat,
/// so other processes competing for the cores do not inflate the numbers;
/// wall-clock time where that file does not exist or `KB_WALL` is set (on
/// an idle machine: finer, as some kernels count CPU time in 4 ms ticks).
struct Clock(Option<f64>, Instant);

impl Clock {
    fn cpu() -> Option<f64> {
        if std::env::var_os("KB_WALL").is_some() {
            return None;
        }
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
        Some(ns * 1e-9)
    }

    fn start() -> Clock {
        Clock(Self::cpu(), Instant::now())
    }

    fn elapsed(&self) -> f64 {
        match (self.0, Self::cpu()) {
            (Some(a), Some(b)) => b - a,
            _ => self.1.elapsed().as_secs_f64(),
        }
    }
}

fn load(file: &str) -> Result<Mechanism, String> {
    let mut map = SourceMap::new();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(file);
    let outcome = nmc::driver::pipeline::compile_file(&mut map, &path);
    match outcome.mechanism {
        Some(m) if !outcome.failed() => Ok(m),
        _ => Err(format!("{file} does not compile")),
    }
}

/// Nodes at spread-out voltages with the RTM reversal potentials.
fn nodes(n: usize) -> NodeData {
    let mut nodes = NodeData::new(n);
    for (i, v) in nodes.v.iter_mut().enumerate() {
        *v = -80.0 + 40.0 * (i % 1000) as f64 / 1000.0;
    }
    nodes.add_ion("ena", 50.0);
    nodes.add_ion("ek", -100.0);
    for name in ["ina", "ik", "dinadv", "dikdv"] {
        nodes.add_ion(name, 0.0);
    }
    nodes
}

/// Steps per timed block: enough that one block of `n` instances of the
/// JIT kernels takes about 0.2 s (10^6 instances: 10 steps), so that the
/// CPU-time clock's 4 ms ticks are 2% of it.
fn reps(n: usize) -> usize {
    (10_000_000 / n.max(1)).max(1)
}

/// One back end's way of running a kernel.
type Runner<'a> = dyn FnMut(usize, KernelKind, &mut MechanismData, &mut Env<'_>) + 'a;

/// Runs init once, then `steps` timed blocks of `reps` steps of (current,
/// current, state, state); returns the best time per step in seconds.
fn time_steps(
    mechs: &[Mechanism; 2],
    n: usize,
    steps: usize,
    reps: usize,
    run: &mut Runner<'_>,
) -> Result<f64, String> {
    let mut nodes = nodes(n);
    let mut data: Vec<MechanismData> = mechs.iter().map(|m| MechanismData::new(m, n)).collect();
    let mut shared = Shared::default();
    let mut engine = RecordingEngine::new();
    let mut env = Env {
        nodes: &mut nodes,
        shared: &mut shared,
        engine: &mut engine,
        event: None,
    };
    for (k, d) in data.iter_mut().enumerate() {
        run(k, KernelKind::Init, d, &mut env);
    }
    let mut best = f64::INFINITY;

    // For profiling one kernel: `KB_ONLY=0State` (mechanism 0 = na_rtm,
    // 1 = k_rtm; Current or State).
    let only = std::env::var("KB_ONLY").ok();
    for _ in 0..steps {
        let start = Clock::start();
        for _ in 0..reps {
            for kind in [KernelKind::Current, KernelKind::State] {
                for (k, d) in data.iter_mut().enumerate() {
                    if only.as_ref().is_none_or(|o| *o == format!("{k}{kind:?}")) {
                        run(k, kind, d, &mut env);
                    }
                }
            }
        }
        best = best.min(start.elapsed() / reps as f64);
    }
    black_box(&data);
    Ok(best)
}

/// What `nmc::sim` assumes for these kernels in a run like the
/// benchmark's (every instance at the defaults, nothing recorded, no
/// mechanism reading the ion currents): no field observed, every scalar
/// PARAMETER a constant, `ina`, `ik`, `dinadv`, `dikdv` unread.
fn run_spec(mech: &Mechanism) -> Specialization {
    Specialization::defaults_unobserved(mech, &["ina", "ik", "dinadv", "dikdv"])
}

fn main() -> Result<(), String> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mechs = [load("na_rtm.mod")?, load("k_rtm.mod")?];
    let start = Instant::now();
    let compiled: Vec<CompiledMechanism> = mechs
        .iter()
        .map(|m| cranelift::compile(m).map_err(|d| d.message))
        .collect::<Result<_, _>>()?;
    let compile_ms = start.elapsed().as_secs_f64() * 1e3;
    let fast: Vec<CompiledMechanism> = mechs
        .iter()
        .map(|m| cranelift::compile_with(m, MathMode::Fast).map_err(|d| d.message))
        .collect::<Result<_, _>>()?;

    let start = Instant::now();
    let spec: Vec<CompiledMechanism> = mechs
        .iter()
        .map(|m| cranelift::compile_specialized(m, MathMode::Exact, &run_spec(m)))
        .collect::<Result<_, _>>()
        .map_err(|d| d.message)?;
    let spec_ms = start.elapsed().as_secs_f64() * 1e3;
    let spec_fast: Vec<CompiledMechanism> = mechs
        .iter()
        .map(|m| cranelift::compile_specialized(m, MathMode::Fast, &run_spec(m)))
        .collect::<Result<_, _>>()
        .map_err(|d| d.message)?;

    if std::env::var_os("KB_FAST_ONLY").is_some() {
        // For profiling: only the fast-math JIT kernels.
        for _ in 0..20 {
            time_steps(&mechs, n, STEPS, reps(n), &mut |k, kind, d, env| {
                if let Err(e) = fast[k].run(kind, d, env) {
                    eprintln!("{e}");
                }
            })?;
        }
        return Ok(());
    }
    if std::env::var_os("KB_SPEC_FAST_ONLY").is_some() {
        // For profiling: only the specialised fast-math JIT kernels.
        for _ in 0..20 {
            time_steps(&mechs, n, STEPS, reps(n), &mut |k, kind, d, env| {
                if let Err(e) = spec_fast[k].run(kind, d, env) {
                    eprintln!("{e}");
                }
            })?;
        }
        return Ok(());
    }
    // A first pass whose figure is not in the table: glibc serves the
    // first large columns with mmap, every one page-aligned, and ~25
    // page-aligned streams collide in the cache (about 1.7x slower); after
    // they are freed glibc raises its mmap threshold and later columns
    // come from the heap at varied offsets. Every row then sees the same
    // allocator state.
    let cold = time_steps(&mechs, n, 2, reps(n), &mut |k, kind, d, env| {
        if let Err(e) = compiled[k].run(kind, d, env) {
            eprintln!("{e}");
        }
    })?;
    let jit = time_steps(&mechs, n, STEPS, reps(n), &mut |k, kind, d, env| {
        if let Err(e) = compiled[k].run(kind, d, env) {
            eprintln!("{e}");
        }
    })?;
    let jit_fast = time_steps(&mechs, n, STEPS, reps(n), &mut |k, kind, d, env| {
        if let Err(e) = fast[k].run(kind, d, env) {
            eprintln!("{e}");
        }
    })?;
    let jit_spec = time_steps(&mechs, n, STEPS, reps(n), &mut |k, kind, d, env| {
        if let Err(e) = spec[k].run(kind, d, env) {
            eprintln!("{e}");
        }
    })?;
    let jit_spec_fast = time_steps(&mechs, n, STEPS, reps(n), &mut |k, kind, d, env| {
        if let Err(e) = spec_fast[k].run(kind, d, env) {
            eprintln!("{e}");
        }
    })?;
    let hand = hand::time_steps(n, STEPS);
    let interp_n = (n / 20).max(1);
    let slow = time_steps(&mechs, interp_n, 2, 1, &mut |k, kind, d, env| {
        if let Err(e) = interp::run_kernel(&mechs[k], kind, d, env) {
            eprintln!("{e}");
        }
    })?;

    let per = |secs: f64, count: usize| secs * 1e9 / count as f64;
    println!(
        "na_rtm + k_rtm, current + state kernels, one step of {n} instances each (best of {STEPS})"
    );
    println!(
        "JIT compile of both mechanisms: {compile_ms:.1} ms plain, {spec_ms:.1} ms specialised"
    );
    println!();
    println!("| back end                  | ms per step | ns per instance-step |");
    println!("|---------------------------|------------:|---------------------:|");
    let rows = [
        ("JIT, exact math", jit),
        ("JIT, fast math", jit_fast),
        ("JIT specialised, exact", jit_spec),
        ("JIT specialised, fast", jit_spec_fast),
        ("hand-written Rust", hand),
    ];
    for (name, secs) in rows {
        println!(
            "| {name:<25} | {:11.2} | {:20.2} |",
            secs * 1e3,
            per(secs, n)
        );
    }
    println!(
        "| interpreter               | {:11.2} | {:20.2} |",
        slow * 1e3 * (n as f64 / interp_n as f64),
        per(slow, interp_n)
    );
    println!();
    println!(
        "JIT / hand-written: {:.2}x; interpreter / JIT: {:.0}x",
        jit / hand,
        per(slow, interp_n) / per(jit, n)
    );
    println!(
        "(instance-step: one node carrying na_rtm and k_rtm through current + state; on-CPU time; interpreter timed on {interp_n} instances)"
    );
    println!(
        "(first pass, not in the table: JIT exact math {:.2} ms per step with page-aligned mmap'd columns)",
        cold * 1e3
    );
    println!(
        "(specialised: as nmc::sim compiles them for a run recording nothing, every PARAMETER uniform, ion currents unread)"
    );
    Ok(())
}

/// The same kernels written by hand over plain SoA vectors, following the
/// IR nmc lowers na_rtm and k_rtm to (same operations, same order).
mod hand {
    use super::*;

    /// SoA columns of na_rtm.
    struct Na {
        gbar: Vec<f64>,
        mvh: Vec<f64>,
        mk: Vec<f64>,
        hvh: Vec<f64>,
        hk: Vec<f64>,
        v: Vec<f64>,
        ena: Vec<f64>,
        ina: Vec<f64>,
        minf: Vec<f64>,
        hinf: Vec<f64>,
        htau: Vec<f64>,
        mtau: Vec<f64>,
        m: Vec<f64>,
        h: Vec<f64>,
    }

    /// SoA columns of k_rtm.
    struct K {
        gbar: Vec<f64>,
        nvh: Vec<f64>,
        nk: Vec<f64>,
        v: Vec<f64>,
        ek: Vec<f64>,
        ik: Vec<f64>,
        ninf: Vec<f64>,
        ntau: Vec<f64>,
        n: Vec<f64>,
    }

    struct Nodes {
        v: Vec<f64>,
        rhs: Vec<f64>,
        diag: Vec<f64>,
        ena: Vec<f64>,
        ina: Vec<f64>,
        dinadv: Vec<f64>,
        ek: Vec<f64>,
        ik: Vec<f64>,
        dikdv: Vec<f64>,
        index: Vec<u32>,
    }

    fn na_rates(s: &mut Na, i: usize, vm: f64) {
        s.minf[i] = 1.0 / (1.0 + ((vm + s.mvh[i]) / s.mk[i]).exp());
        s.hinf[i] = 1.0 / (1.0 + ((vm + s.hvh[i]) / s.hk[i]).exp());
        let e1 = (-vm / 5.0 - 27.0 / 5.0).exp();
        s.htau[i] = (e1 + 1.0) / (0.128 * (e1 + 1.0) * (-vm / 18.0 - 25.0 / 9.0).exp() + 4.0);
        let e3 = (-vm / 4.0 - 27.0 / 2.0).exp();
        let e4 = (vm / 5.0 + 27.0 / 5.0).exp();
        s.mtau[i] = (1.0 - e3) * (1.0 - e4)
            / (-(1.0 - e3) * (0.28 * vm + 7.56) + (1.0 - e4) * (0.32 * vm + 17.28));
    }

    fn k_rates(s: &mut K, i: usize, vm: f64) {
        s.ninf[i] = 1.0 / (1.0 + ((vm + s.nvh[i]) / s.nk[i]).exp());
        let e1 = (-vm / 5.0 - 52.0 / 5.0).exp();
        s.ntau[i] =
            (1.0 - e1) / (0.032 * vm + 0.5 * (1.0 - e1) * (-vm / 40.0 - 57.0 / 40.0).exp() + 1.664);
    }

    fn na_current(s: &mut Na, nd: &mut Nodes) {
        for i in 0..s.v.len() {
            let node = nd.index[i] as usize;
            s.ena[i] = nd.ena[node];
            s.v[i] = nd.v[node] + 0.001;
            s.m[i] = s.minf[i];
            s.ina[i] = s.gbar[i] * s.m[i] * s.m[i] * s.m[i] * s.h[i] * (s.v[i] - s.ena[i]);
            let i1 = s.ina[i];
            let dina = s.ina[i];
            s.v[i] = nd.v[node];
            s.m[i] = s.minf[i];
            s.ina[i] = s.gbar[i] * s.m[i] * s.m[i] * s.m[i] * s.h[i] * (s.v[i] - s.ena[i]);
            let rhs = s.ina[i];
            nd.dinadv[node] += (dina - s.ina[i]) / 0.001;
            let g = (i1 - rhs) / 0.001;
            nd.ina[node] += s.ina[i];
            nd.rhs[node] += -rhs;
            nd.diag[node] += g;
        }
    }

    fn k_current(s: &mut K, nd: &mut Nodes) {
        for i in 0..s.v.len() {
            let node = nd.index[i] as usize;
            s.ek[i] = nd.ek[node];
            s.v[i] = nd.v[node] + 0.001;
            let n = s.n[i];
            s.ik[i] = s.gbar[i] * n * n * n * n * (s.v[i] - s.ek[i]);
            let i1 = s.ik[i];
            let dik = s.ik[i];
            s.v[i] = nd.v[node];
            s.ik[i] = s.gbar[i] * n * n * n * n * (s.v[i] - s.ek[i]);
            let rhs = s.ik[i];
            nd.dikdv[node] += (dik - s.ik[i]) / 0.001;
            let g = (i1 - rhs) / 0.001;
            nd.ik[node] += s.ik[i];
            nd.rhs[node] += -rhs;
            nd.diag[node] += g;
        }
    }

    fn na_state(s: &mut Na, nd: &Nodes, dt: f64) {
        for i in 0..s.v.len() {
            let node = nd.index[i] as usize;
            s.v[i] = nd.v[node];
            s.ena[i] = nd.ena[node];
            na_rates(s, i, s.v[i]);
            let (htau, h) = (s.htau[i], s.h[i]);
            s.h[i] =
                h + (1.0 - (dt * (-1.0 / htau)).exp()) * (-(s.hinf[i] / htau) / (-1.0 / htau) - h);
        }
    }

    fn k_state(s: &mut K, nd: &Nodes, dt: f64) {
        for i in 0..s.v.len() {
            let node = nd.index[i] as usize;
            s.v[i] = nd.v[node];
            s.ek[i] = nd.ek[node];
            k_rates(s, i, s.v[i]);
            let (ntau, n) = (s.ntau[i], s.n[i]);
            s.n[i] =
                n + (1.0 - (dt * (-1.0 / ntau)).exp()) * (-(s.ninf[i] / ntau) / (-1.0 / ntau) - n);
        }
    }

    /// Best time of one step over `steps` steps, in seconds.
    pub fn time_steps(n: usize, steps: usize) -> f64 {
        let col = |x: f64| vec![x; n];
        let base = super::nodes(n);
        let mut nd = Nodes {
            v: base.v.clone(),
            rhs: col(0.0),
            diag: col(0.0),
            ena: col(50.0),
            ina: col(0.0),
            dinadv: col(0.0),
            ek: col(-100.0),
            ik: col(0.0),
            dikdv: col(0.0),
            index: (0..n as u32).collect(),
        };
        let mut na = Na {
            gbar: col(0.1),
            mvh: col(41.03),
            mk: col(-7.1),
            hvh: col(45.32),
            hk: col(4.04),
            v: col(0.0),
            ena: col(0.0),
            ina: col(0.0),
            minf: col(0.0),
            hinf: col(0.0),
            htau: col(0.0),
            mtau: col(0.0),
            m: col(0.0),
            h: col(0.0),
        };
        let mut k = K {
            gbar: col(0.08),
            nvh: col(40.8),
            nk: col(-11.03),
            v: col(0.0),
            ek: col(0.0),
            ik: col(0.0),
            ninf: col(0.0),
            ntau: col(0.0),
            n: col(0.0),
        };
        for i in 0..n {
            let v = nd.v[i];
            na_rates(&mut na, i, v);
            na.m[i] = na.minf[i];
            na.h[i] = na.hinf[i];
            k_rates(&mut k, i, v);
            k.n[i] = k.ninf[i];
        }
        let dt = Shared::default().dt;
        let mut best = f64::INFINITY;
        let reps = super::reps(n);
        for _ in 0..steps {
            let start = Clock::start();
            for _ in 0..reps {
                na_current(&mut na, &mut nd);
                k_current(&mut k, &mut nd);
                na_state(&mut na, &nd, dt);
                k_state(&mut k, &nd, dt);
            }
            best = best.min(start.elapsed() / reps as f64);
        }
        black_box((&na.h, &k.n, &nd.rhs));
        best
    }
}
