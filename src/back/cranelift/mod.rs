//! The Cranelift JIT back end: every kernel of a mechanism becomes one
//! native function `extern "C" fn(*mut KernelArgs)` that loops over all
//! instances; FUNCTION/PROCEDUREs become functions
//! `(args, instance, params...) -> f64`; WATCH conditions become
//! `(args, instance) -> f64`. Math calls go to the functions of
//! [`crate::back::math`], so results equal the interpreter's bit for bit.

mod fast_math;
mod libm_exp;
mod promote;
mod translate;
mod uses;
mod vector;

use std::collections::HashMap;

use cranelift_codegen::ir::{AbiParam, InstBuilder, UserFuncName, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};

use self::promote::Promotion;
use self::translate::{Ids, Translator};
use self::uses::Uses;
use super::abi::{Bridge, KernelArgs};
use super::data::{Env, MechanismData, NodeData, RunError, Shared};
use super::engine::Engine;
use super::layout::Layout;
use super::math::{self, MathMode};
use crate::diag::Diagnostic;
use crate::ir::opt::{self, Specialization};
use crate::ir::{KernelKind, Mechanism, Phase};

/// A compiled kernel.
type KernelFn = unsafe extern "C" fn(*mut KernelArgs);
/// A compiled WATCH condition.
type WatchFn = unsafe extern "C" fn(*mut KernelArgs, u64) -> f64;

/// The JIT module that owns a mechanism's machine code, kept only to free
/// the code when the mechanism is dropped.
struct OwnedCode(JITModule);

// SAFETY: the module is never used through a shared reference once its
// functions are finalised: it is only moved out and freed by `Drop`, which
// has exclusive access. Sharing a `CompiledMechanism` between threads
// shares the immutable machine code and the function pointers into it.
unsafe impl Sync for OwnedCode {}

/// A mechanism's kernels in machine code, callable through safe wrappers.
pub struct CompiledMechanism {
    module: Option<OwnedCode>,
    mech: Mechanism,
    layout: Layout,
    kernels: Vec<(KernelKind, KernelFn)>,
    watches: Vec<WatchFn>,
    mode: MathMode,
    /// No machine code yet (see [`CompiledMechanism::deferred`]).
    deferred: bool,
}

impl std::fmt::Debug for CompiledMechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledMechanism")
            .field("mechanism", &self.mech.name)
            .field(
                "kernels",
                &self.kernels.iter().map(|k| k.0).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Compiles every kernel, function and WATCH condition of `mech` in the
/// default math mode.
pub fn compile(mech: &Mechanism) -> Result<CompiledMechanism, Diagnostic> {
    compile_with(mech, MathMode::default())
}

/// Compiles every kernel, function and WATCH condition of `mech` with the
/// math functions of `mode`.
pub fn compile_with(mech: &Mechanism, mode: MathMode) -> Result<CompiledMechanism, Diagnostic> {
    compile_specialized(mech, mode, &Specialization::none())
}

/// Compiles `mech` with kernels made for one simulation's use of it
/// (see [`crate::ir::opt`]): same layout and entry points, same results in
/// every field and array `spec` leaves observable.
pub fn compile_specialized(
    mech: &Mechanism,
    mode: MathMode,
    spec: &Specialization,
) -> Result<CompiledMechanism, Diagnostic> {
    let mut built = build(mech, spec, false, mode)?;
    built
        .module
        .finalize_definitions()
        .map_err(|e| jit_error(mech, e.to_string()))?;
    let mut kernels = Vec::new();
    for (kind, id) in built.kernels {
        let code = built.module.get_finalized_function(id);
        // SAFETY: `id` was defined with the signature (pointer) -> () in
        // the host calling convention, which is `extern "C"`.
        let f = unsafe { std::mem::transmute::<*const u8, KernelFn>(code) };
        kernels.push((kind, f));
    }
    let mut watches = Vec::new();
    for id in built.watches {
        let code = built.module.get_finalized_function(id);
        // SAFETY: watch functions have the signature (pointer, i64) -> f64.
        let f = unsafe { std::mem::transmute::<*const u8, WatchFn>(code) };
        watches.push(f);
    }
    Ok(CompiledMechanism {
        module: Some(OwnedCode(built.module)),
        layout: Layout::of(&built.mech),
        mech: built.mech,
        kernels,
        watches,
        mode,
        deferred: false,
    })
}

/// The Cranelift IR of every function of `mech`, before optimisation, as
/// text (`nmc compile --emit clif`), in the default math mode.
pub fn clif_text(mech: &Mechanism) -> Result<String, Diagnostic> {
    clif_text_with(mech, MathMode::default())
}

/// [`clif_text`] for kernels compiled in `mode`.
pub fn clif_text_with(mech: &Mechanism, mode: MathMode) -> Result<String, Diagnostic> {
    clif_text_specialized(mech, mode, &Specialization::none())
}

/// [`clif_text`] for kernels specialised by `spec`.
pub fn clif_text_specialized(
    mech: &Mechanism,
    mode: MathMode,
    spec: &Specialization,
) -> Result<String, Diagnostic> {
    Ok(build(mech, spec, true, mode)?.text)
}

impl CompiledMechanism {
    /// `mech` with its data layout but no machine code yet: an engine that
    /// compiles kernels for its own run (specialised) builds its data with
    /// this and compiles each mechanism once, instead of compiling plain
    /// kernels first. It has no kernels until replaced by a compiled one.
    pub fn deferred(mech: &Mechanism, mode: MathMode) -> CompiledMechanism {
        CompiledMechanism {
            module: None,
            mech: mech.clone(),
            layout: Layout::of(mech),
            kernels: Vec::new(),
            watches: Vec::new(),
            mode,
            deferred: true,
        }
    }

    /// True for a [`CompiledMechanism::deferred`] mechanism (no machine code).
    pub fn is_deferred(&self) -> bool {
        self.deferred
    }

    /// The math mode the kernels were compiled in.
    pub fn math_mode(&self) -> MathMode {
        self.mode
    }

    /// The mechanism compiled.
    pub fn mechanism(&self) -> &Mechanism {
        &self.mech
    }

    /// True when the mechanism has a kernel of `kind`.
    /// (For a deferred mechanism: when its IR has one; it will once compiled.)
    pub fn has_kernel(&self, kind: KernelKind) -> bool {
        if self.deferred {
            return self.mech.kernels.iter().any(|k| k.kind == kind);
        }
        self.kernels.iter().any(|k| k.0 == kind)
    }

    /// Runs kernel `kind` over `data` (all instances, or the event's
    /// target for NET_RECEIVE kernels). A missing kernel does nothing.
    pub fn run(
        &self,
        kind: KernelKind,
        data: &mut MechanismData,
        env: &mut Env<'_>,
    ) -> Result<(), RunError> {
        let Some(&(_, f)) = self.kernels.iter().find(|k| k.0 == kind) else {
            return Ok(());
        };
        self.call(kind, data, env, |args| {
            // SAFETY: `args` was built by `KernelArgs::build` from data and
            // an env that passed `check` for this kernel, so every pointer
            // the kernel follows is valid and in bounds.
            unsafe { f(args) };
            0.0
        })?;
        Ok(())
    }

    /// Evaluates WATCH condition `watch` for `instance`: its value (the
    /// condition holds when it is above 0).
    pub fn eval_watch(
        &self,
        watch: usize,
        instance: usize,
        data: &mut MechanismData,
        env: &mut Env<'_>,
    ) -> Result<f64, RunError> {
        let f = *self
            .watches
            .get(watch)
            .ok_or_else(|| RunError::InvalidIr(format!("no watch {watch}")))?;
        if instance >= data.count() {
            return Err(RunError::TargetOutOfRange(instance));
        }
        self.call(KernelKind::Current, data, env, |args| {
            // SAFETY: as in `run`; `instance` is below the instance count.
            unsafe { f(args, instance as u64) }
        })
    }

    /// Validates `data` against this mechanism and `nodes` once and fills
    /// the argument block every later [`CompiledMechanism::run_prepared`]
    /// reuses: column, global-array and ion pointers are looked up here,
    /// not per call.
    pub fn prepare(
        &self,
        data: &mut MechanismData,
        nodes: &mut NodeData,
    ) -> Result<Prepared, RunError> {
        if data.layout() != &self.layout {
            return Err(RunError::WrongMechanism);
        }
        data.check_nodes(&self.mech, nodes)?;
        let mut bridge_engine = NullEngine;
        let mut bridge = Bridge {
            engine: &mut bridge_engine,
            formats: &self.layout.formats,
        };
        let mut args = KernelArgs::build(data, nodes, &Shared::default(), None, &mut bridge);
        args.engine = std::ptr::null_mut();
        Ok(Prepared {
            args,
            count: data.count(),
            owner: self as *const CompiledMechanism,
        })
    }

    /// Runs kernel `kind` like [`CompiledMechanism::run`], with the block
    /// `prepared` for `data`: per call only the node array pointers, the
    /// scalars, the event and the engine are set (and the event checked).
    ///
    /// # Safety
    /// `prepared` must come from [`CompiledMechanism::prepare`] of this
    /// mechanism with this `data` and `env.nodes`, and since then neither
    /// may have had an ion array added, removed, replaced or resized, nor
    /// a column or global array of `data` replaced or resized (values may
    /// change freely; the node arrays V, Rhs, Diag, Area, Diam are
    /// re-read and re-checked every call).
    pub unsafe fn run_prepared(
        &self,
        kind: KernelKind,
        prepared: &mut Prepared,
        data: &mut MechanismData,
        env: &mut Env<'_>,
    ) -> Result<(), RunError> {
        let Some(&(_, f)) = self.kernels.iter().find(|k| k.0 == kind) else {
            return Ok(());
        };
        if !std::ptr::eq(prepared.owner, self)
            || prepared.count != data.count()
            || !std::ptr::eq(prepared.args.columns, data.column_ptrs.as_ptr())
            || !data.nodes_cover(env.nodes)
        {
            return Err(RunError::WrongMechanism);
        }
        let Env {
            nodes,
            shared,
            engine,
            event,
        } = env;
        let args = &mut prepared.args;
        match event {
            Some(event) => {
                data.check_event(event)?;
                args.target = event.target as u64;
                args.net_args = event.args.as_mut_ptr();
            }
            None if matches!(kind, KernelKind::NetReceive | KernelKind::NetReceiveInit) => {
                return Err(RunError::NoEvent);
            }
            None => {
                args.target = 0;
                args.net_args = std::ptr::null_mut();
            }
        }
        args.nodes = [
            nodes.v.as_mut_ptr(),
            nodes.rhs.as_mut_ptr(),
            nodes.diag.as_mut_ptr(),
            nodes.area.as_mut_ptr(),
            nodes.diam.as_mut_ptr(),
        ];
        args.globals = data.globals_ptr();
        args.t = shared.t;
        args.dt = shared.dt;
        args.celsius = shared.celsius;
        args.flag = shared.flag;
        let mut bridge = Bridge {
            engine: &mut **engine,
            formats: &self.layout.formats,
        };
        args.engine = (&mut bridge as *mut Bridge<'_, '_>).cast();
        // SAFETY: the block was filled by `KernelArgs::build` after
        // `check_nodes` passed for this data and these nodes; the caller
        // guarantees the ion, column and global-array pointers are still
        // valid, the node arrays were re-read and re-checked above, the
        // event was checked, and `engine` points at a live bridge.
        unsafe { f(args) };
        args.engine = std::ptr::null_mut();
        args.net_args = std::ptr::null_mut();
        args.write_back(shared);
        Ok(())
    }

    fn call(
        &self,
        kind: KernelKind,
        data: &mut MechanismData,
        env: &mut Env<'_>,
        f: impl FnOnce(*mut KernelArgs) -> f64,
    ) -> Result<f64, RunError> {
        if data.layout() != &self.layout {
            return Err(RunError::WrongMechanism);
        }
        data.check(&self.mech, kind, env)?;
        let Env {
            nodes,
            shared,
            engine,
            event,
        } = env;
        let mut bridge = Bridge {
            engine: &mut **engine,
            formats: &self.layout.formats,
        };
        let mut args = KernelArgs::build(data, nodes, shared, event.as_mut(), &mut bridge);
        let value = f(&mut args);
        args.write_back(shared);
        Ok(value)
    }
}

/// A kernel argument block validated once for one [`MechanismData`] and
/// one [`NodeData`] (see [`CompiledMechanism::prepare`]).
#[derive(Debug)]
pub struct Prepared {
    args: KernelArgs,
    count: usize,
    owner: *const CompiledMechanism,
}

/// An engine for blocks that are never called (the engine pointer is set per call).
struct NullEngine;

impl Engine for NullEngine {
    fn net_send(&mut self, _: usize, _: f64, _: f64) {}
    fn net_event(&mut self, _: usize, _: f64) {}
    fn net_move(&mut self, _: usize, _: f64) {}
    fn watch_on(&mut self, _: usize, _: usize, _: f64) {}
    fn printf(&mut self, _: usize, _: &str, _: &[f64]) {}
    fn random(&mut self, _: usize, _: crate::ir::Builtin, _: &[f64]) -> f64 {
        0.0
    }
    fn function_table(&mut self, _: usize, _: usize, _: &[f64]) -> f64 {
        0.0
    }
}

impl Drop for CompiledMechanism {
    fn drop(&mut self) {
        if let Some(OwnedCode(module)) = self.module.take() {
            self.kernels.clear();
            self.watches.clear();
            // SAFETY: the only pointers into the module's code are in
            // `kernels` and `watches`, cleared above and never handed out.
            unsafe { module.free_memory() };
        }
    }
}

/// A builder for `func` with its entry block made, current and sealed,
/// and that block's parameters (the function's).
fn start_function<'a>(
    func: &'a mut cranelift_codegen::ir::Function,
    fctx: &'a mut FunctionBuilderContext,
) -> (FunctionBuilder<'a>, Vec<cranelift_codegen::ir::Value>) {
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let params = b.block_params(entry).to_vec();
    (b, params)
}

/// The signature function `id` was declared with.
fn declared_signature(module: &JITModule, id: FuncId) -> cranelift_codegen::ir::Signature {
    module
        .declarations()
        .get_function_decl(id)
        .signature
        .clone()
}

/// The result of translating a mechanism.
struct Built {
    /// The original mechanism with the fields specialisation added.
    mech: Mechanism,
    module: JITModule,
    kernels: Vec<(KernelKind, FuncId)>,
    watches: Vec<FuncId>,
    text: String,
}

fn jit_error(mech: &Mechanism, what: String) -> Diagnostic {
    Diagnostic::error(
        "E0802",
        format!("cannot compile mechanism `{}`: {what}", mech.name),
    )
    .with_note("this is a bug in nmc's code generator; please report it")
}

fn ir_error(mech: &Mechanism, name: &str, what: String) -> Diagnostic {
    Diagnostic::error(
        "E0801",
        format!(
            "cannot compile `{name}` of mechanism `{}`: {what}",
            mech.name
        ),
    )
}

/// The kernels of `mech` that [`compile_specialized`] with `spec` turns
/// into f64x2 loops over pairs of instances (the others, and an odd last
/// instance, run one instance at a time), each with `None`, or with the
/// reason it stays scalar.
pub fn vectorized_kernels(
    mech: &Mechanism,
    spec: &Specialization,
) -> Result<Vec<(KernelKind, Option<String>)>, Diagnostic> {
    let (layout, specialized, inline) = specialized_view(mech, spec)?;
    Ok(specialized
        .kernels
        .iter()
        .map(|k| {
            let why = pair_check(&specialized, k, &layout, &inline, spec).err();
            (k.kind, why)
        })
        .collect())
}

/// [`vector::check`] for a kernel compiled with `spec`, except that the
/// INITIAL kernel of a run's specialised mechanism stays scalar: it runs
/// once per run, so a pair loop would cost more to compile (about a
/// quarter of a channel's machine code, with its interleaved inline
/// `exp`s) than it saves. Both loops give the same bits.
fn pair_check(
    mech: &Mechanism,
    kernel: &crate::ir::Kernel,
    layout: &Layout,
    inline: &[bool],
    spec: &Specialization,
) -> Result<vector::Scan, String> {
    if kernel.kind == KernelKind::Init && spec.observed.is_some() {
        return Err("INITIAL of a run's specialised kernels (runs once)".into());
    }
    vector::check(mech, kernel, layout, inline)
}

/// What the translator sees of `mech` compiled with `spec`: its layout,
/// the specialised mechanism, which functions are inlined.
fn specialized_view(
    mech: &Mechanism,
    spec: &Specialization,
) -> Result<(Layout, Mechanism, Vec<bool>), Diagnostic> {
    let specialized = opt::specialize(mech, spec).map_err(|e| jit_error(mech, e))?;
    let layout = Layout::of(&opt::with_added_fields(mech, &specialized.mech));
    let inline = uses::inlinable(&specialized.mech);
    Ok((layout, specialized.mech, inline))
}

/// The kernels of `mech` whose f64x2 loop (as [`compile_specialized`]
/// with `spec` builds it) runs in two passes over each block of instances,
/// with the index of the first statement of the second pass (a state
/// kernel's rates, then its update: see `vector.rs`).
pub fn split_kernels(
    mech: &Mechanism,
    spec: &Specialization,
) -> Result<Vec<(KernelKind, usize)>, Diagnostic> {
    let (layout, specialized, inline) = specialized_view(mech, spec)?;
    Ok(specialized
        .kernels
        .iter()
        .filter_map(|k| {
            pair_check(&specialized, k, &layout, &inline, spec).ok()?;
            vector::split_point(&specialized, k, &layout, &inline).map(|cut| (k.kind, cut))
        })
        .collect())
}

/// The symbol name of a kernel function.
pub fn kernel_name(kind: KernelKind) -> String {
    let phase = |p: Phase| match p {
        Phase::Breakpoint => "breakpoint",
        Phase::Solve => "solve",
        Phase::Initial => "initial",
        Phase::Step => "step",
    };
    match kind {
        KernelKind::Init => "kernel_init".into(),
        KernelKind::Current => "kernel_current".into(),
        KernelKind::State => "kernel_state".into(),
        KernelKind::NetReceive => "kernel_net_receive".into(),
        KernelKind::NetReceiveInit => "kernel_net_receive_init".into(),
        KernelKind::Before(p) => format!("kernel_before_{}", phase(p)),
        KernelKind::After(p) => format!("kernel_after_{}", phase(p)),
    }
}

fn new_module(mech: &Mechanism) -> Result<JITModule, Diagnostic> {
    let err = |e: String| jit_error(mech, e);
    let mut flags = settings::builder();
    // Cranelift's IR verifier checks nmc's code generation, not the user's
    // input: the test suite runs it on every kernel it compiles
    // (`NMC_VERIFY_JIT=1`, set by scripts/test), debug builds always; a
    // release run skips it (about 10% of the seed's load time).
    let verify = cfg!(debug_assertions) || std::env::var_os("NMC_VERIFY_JIT").is_some();
    for (name, value) in [
        ("opt_level", "speed"),
        ("enable_verifier", if verify { "true" } else { "false" }),
        ("use_colocated_libcalls", "false"),
        ("is_pic", "false"),
    ] {
        flags.set(name, value).map_err(|e| err(e.to_string()))?;
    }
    let isa = cranelift_native::builder()
        .map_err(|e| err(e.to_string()))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| err(e.to_string()))?;
    let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
    for f in math::ALL {
        let imp = math::implementation(f);
        builder.symbol(imp.symbol(), imp.address());
    }
    Ok(JITModule::new(builder))
}

fn build(
    original: &Mechanism,
    spec: &Specialization,
    want_text: bool,
    mode: MathMode,
) -> Result<Built, Diagnostic> {
    // Fast math mode also gets the rewrites that change last bits.
    let specialized = match mode {
        MathMode::Exact => opt::specialize(original, spec),
        MathMode::Fast => opt::relax::specialize_fast(original, spec),
    }
    .map_err(|e| jit_error(original, e))?;
    // Slots come from the original mechanism (specialised kernels may
    // mention fewer ion variables, the data is laid out for all of them)
    // with the fields specialisation added after its own.
    let extended = opt::with_added_fields(original, &specialized.mech);
    let layout = Layout::of(&extended);
    let mech = &specialized.mech;
    let mut module = new_module(mech)?;
    let err = |e: cranelift_module::ModuleError| jit_error(mech, e.to_string());
    let ptr = module.target_config().pointer_type();

    // Imports and declarations.
    let mut math_ids = HashMap::new();
    for f in math::ALL {
        let imp = math::implementation(f);
        let mut sig = module.make_signature();
        sig.params
            .extend((0..imp.arity()).map(|_| AbiParam::new(types::F64)));
        sig.returns.push(AbiParam::new(types::F64));
        let id = module
            .declare_function(imp.symbol(), Linkage::Import, &sig)
            .map_err(err)?;
        math_ids.insert(imp.symbol(), id);
    }
    // A function that cannot reach itself is inlined at every call site
    // (kernels, WATCH conditions and other functions alike), so nothing
    // calls it: only the others are compiled on their own.
    let inline = uses::inlinable(mech);
    let mut user = Vec::new();
    for (k, f) in mech.functions.iter().enumerate() {
        if inline.get(k).copied().unwrap_or(false) {
            user.push(None);
            continue;
        }
        let mut sig = module.make_signature();
        sig.params.push(AbiParam::new(ptr));
        sig.params.push(AbiParam::new(types::I64));
        sig.params
            .extend((0..f.params).map(|_| AbiParam::new(types::F64)));
        sig.returns.push(AbiParam::new(types::F64));
        let name = format!("fn{k}_{}", f.name);
        user.push(Some(
            module
                .declare_function(&name, Linkage::Local, &sig)
                .map_err(err)?,
        ));
    }
    let inline_bodies: Vec<Option<&[crate::ir::Stmt]>> = mech
        .functions
        .iter()
        .zip(&inline)
        .map(|(f, &yes)| yes.then_some(f.body.as_slice()))
        .collect();
    let ids = Ids {
        math: math_ids,
        user,
        inline,
        mode,
        persistent: specialized.persistent.clone(),
    };

    let mut ctx = module.make_context();
    let mut fctx = FunctionBuilderContext::new();
    let mut text = String::new();
    let mut define = |module: &mut JITModule,
                      ctx: &mut cranelift_codegen::Context,
                      id: FuncId,
                      name: &str|
     -> Result<(), Diagnostic> {
        if want_text {
            text.push_str(&format!("; {name}\n{}\n", ctx.func.display()));
        } else {
            module
                .define_function(id, ctx)
                .map_err(|e| jit_error(mech, format!("{name}: {e:?}")))?;
        }
        module.clear_context(ctx);
        Ok(())
    };

    // FUNCTION and PROCEDURE bodies.
    for (k, f) in mech.functions.iter().enumerate() {
        let Some(id) = ids.user[k] else { continue };
        let name = format!("fn{k}_{}", f.name);
        ctx.func.signature = declared_signature(&module, id);
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        {
            let (b, params) = start_function(&mut ctx.func, &mut fctx);
            let uses = Uses::of(&f.body, &[], &inline_bodies);
            let fail = |e: String| ir_error(mech, &f.name, e);
            let mut t = Translator::new(b, &mut module, mech, &layout, &ids, params[0], &uses)
                .map_err(fail)?;
            if f.params > f.locals.len()
                || f.result.index() >= f.locals.len().max(1) && f.returns_value
            {
                return Err(fail("parameters or result outside the locals".into()));
            }
            t.declare_locals(f.locals.len());
            t.zero_locals();
            for (p, &v) in params[2..].iter().enumerate() {
                t.def_local(p, v).map_err(fail)?;
            }
            t.set_instance(params[1], uses.node_index);
            let ret = t.exit_block();
            t.body(&f.body).map_err(fail)?;
            t.b.ins().jump(ret, &[]);
            t.b.switch_to_block(ret);
            t.b.seal_block(ret);
            let r = if f.returns_value {
                t.use_local(f.result).map_err(fail)?
            } else {
                t.b.ins().f64const(0.0)
            };
            t.b.ins().return_(&[r]);
            t.finish();
        }
        define(&mut module, &mut ctx, id, &name)?;
    }

    // Kernels.
    let mut kernels = Vec::new();
    for kernel in &mech.kernels {
        let name = kernel_name(kernel.kind);
        let mut sig = module.make_signature();
        sig.params.push(AbiParam::new(ptr));
        // The mechanism in the symbol, so that profilers reading the JIT's
        // perf map tell the kernels of different mechanisms apart.
        let symbol = format!("{}::{name}", mech.name);
        let id = module
            .declare_function(&symbol, Linkage::Local, &sig)
            .map_err(err)?;
        ctx.func.signature = sig;
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        let mut vectorized = false;
        let parts;
        let frame;
        {
            let (mut b, params) = start_function(&mut ctx.func, &mut fctx);
            let args = params[0];
            let uses = Uses::of(&kernel.body, &[], &inline_bodies);
            let fail = |e: String| ir_error(mech, &name, e);
            // Eligible kernels do pairs of instances in f64x2 first; the
            // scalar loop below finishes from where that loop stopped.
            let start = match pair_check(mech, kernel, &layout, &ids.inline, spec) {
                Ok(scan) => Some(
                    vector::emit_pairs(
                        &mut b,
                        &mut module,
                        mech,
                        &layout,
                        &ids,
                        args,
                        kernel,
                        scan,
                    )
                    .map_err(fail)?,
                ),
                Err(_) => None,
            };
            let mut t =
                Translator::new(b, &mut module, mech, &layout, &ids, args, &uses).map_err(fail)?;
            if let Some(start) = start {
                t.set_loop_start(start);
                vectorized = true;
            }
            // A large body keeps its locals in a frame and is cut into
            // parts (see `translate`); its fields stay in memory, so that
            // the parts see what the kernel wrote.
            if t.declare_body_locals(kernel.locals.len(), &kernel.body) {
                t.cut_into_parts(symbol.clone());
            } else {
                t.promote(Promotion::plan(
                    mech,
                    &kernel.body,
                    &uses,
                    &inline_bodies,
                    &ids.persistent,
                ))
                .map_err(fail)?;
            }
            let single = matches!(
                kernel.kind,
                KernelKind::NetReceive | KernelKind::NetReceiveInit
            );
            t.kernel_loop(&kernel.body, uses.node_index, single)
                .map_err(fail)?;
            parts = t.take_parts();
            frame = t.frame_offsets();
            t.finish();
        }
        let label = if vectorized {
            format!("{name} (f64x2 pairs, then one by one)")
        } else {
            name
        };
        define(&mut module, &mut ctx, id, &label)?;
        kernels.push((kernel.kind, id));
        for part in parts {
            ctx.func.signature = declared_signature(&module, part.id);
            ctx.func.name = UserFuncName::user(0, part.id.as_u32());
            {
                let (b, params) = start_function(&mut ctx.func, &mut fctx);
                let uses = Uses::of(&part.body, &[], &inline_bodies);
                let fail = |e: String| ir_error(mech, &part.name, e);
                let mut t = Translator::new(b, &mut module, mech, &layout, &ids, params[0], &uses)
                    .map_err(fail)?;
                t.declare_part_locals(&frame, params[2]);
                t.set_instance(params[1], uses.node_index);
                let ret = t.exit_block();
                t.body(&part.body).map_err(fail)?;
                t.b.ins().jump(ret, &[]);
                t.b.switch_to_block(ret);
                t.b.seal_block(ret);
                t.b.ins().return_(&[]);
                t.finish();
            }
            define(&mut module, &mut ctx, part.id, &part.name)?;
        }
    }

    // WATCH conditions.
    let mut watches = Vec::new();
    for (k, cond) in mech.watches.iter().enumerate() {
        let name = format!("watch{k}");
        let mut sig = module.make_signature();
        sig.params.push(AbiParam::new(ptr));
        sig.params.push(AbiParam::new(types::I64));
        sig.returns.push(AbiParam::new(types::F64));
        let id = module
            .declare_function(&name, Linkage::Local, &sig)
            .map_err(err)?;
        ctx.func.signature = sig;
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        {
            let (b, params) = start_function(&mut ctx.func, &mut fctx);
            let uses = Uses::of(&[], &[cond], &inline_bodies);
            let fail = |e: String| ir_error(mech, &name, e);
            let mut t = Translator::new(b, &mut module, mech, &layout, &ids, params[0], &uses)
                .map_err(fail)?;
            t.set_instance(params[1], uses.node_index);
            let v = t.watch_value(cond).map_err(fail)?;
            t.b.ins().return_(&[v]);
            t.finish();
        }
        define(&mut module, &mut ctx, id, &name)?;
        watches.push(id);
    }
    Ok(Built {
        mech: extended,
        module,
        kernels,
        watches,
        text,
    })
}
