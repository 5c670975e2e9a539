//! The f64x2 translation of straight-line density kernels: a loop over
//! PAIRS of instances with every value an `f64x2` (lane 0 the even
//! instance, lane 1 the odd one), before the scalar loop of
//! [`super::translate`], which finishes what the pair loop leaves (up to
//! five last instances, or everything from a pair whose two instances
//! share a node when that matters, see below). Each iteration does a
//! group of three pairs, statement by statement interleaved, so the CPU
//! has three independent dependency chains to overlap (the kernels are
//! long chains of divisions and `exp`s); kernels with the node hazard
//! below do one pair. A state kernel whose body is one chain too long for
//! the CPU to overlap even so (rates, then the cnexp update from them)
//! runs in two passes over blocks of 32 groups (see [`Fission`]).
//!
//! Results equal the scalar kernel's bit for bit:
//! - `fadd`, `fsub`, `fmul`, `fdiv`, `sqrt`, `fneg`, `fabs` round each lane
//!   as the scalar instruction does; there is no fma contraction;
//!   comparisons become lane masks selecting 1.0 or 0.0;
//! - library math (`exp` in exact mode, `pow`, `log`, ...) is called once
//!   per lane with the scalar's symbol; fast-mode `exp` is the inline
//!   [`super::fast_math::emit_exp_x2_in_range`] on both lanes, which gives
//!   the scalar bits for arguments within |x| ~354; a group with any
//!   argument beyond runs its body again with
//!   [`super::fast_math::emit_exp_x2`] (the scalar operations, lane by
//!   lane) before anything of it is stored;
//! - fields are per instance, so each is loaded once (a vector load at the
//!   pair's offset), kept in a register while the body runs and stored
//!   once at the end when written and persistent;
//! - node and ion arrays are gathered lane by lane through the node index.
//!   When the kernel reads no node or ion array it writes, its writes into
//!   them are deferred to the end of the body and done lane 0 first, each
//!   lane's in statement order: exactly the scalar order, even when both
//!   instances sit on one node. Otherwise (an array both read and written)
//!   writes happen in place lane by lane, and a pair whose instances share
//!   a node leaves the rest to the scalar loop. (A second copy of the
//!   body for pairs on consecutive nodes, with 16-byte node loads and
//!   stores, measured no faster on `kernel_bench`, whose nodes are all
//!   consecutive, nor on the seed network, and doubled the code to
//!   compile: there is one body.)
//!
//! Eligible ([`check`]): density mechanisms' and point processes' INITIAL,
//! current and state kernels whose bodies, with the FUNCTIONs and
//! PROCEDUREs they call inlined, have no branch, loop, `return`, engine service (events,
//! printf, WATCH, random numbers, FUNCTION_TABLE), indexed field, global
//! array, POINTER field or write to a global or shared scalar, and no call
//! inside `&&` / `||` (which the scalar code evaluates lazily).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    Block, BlockArg, Endianness, FuncRef, InstBuilder, MemFlagsData, Value, types,
};
use cranelift_frontend::FunctionBuilder;
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Module};

use super::translate::{Ids, const_value};
use super::uses::{Uses, is_pure, node_slot};
use crate::back::abi::offsets;
use crate::back::fast_math::RANGE_BITS;
use crate::back::layout::Layout;
use crate::back::math::{self, MathMode};
use crate::ir::{
    self as ir, BinOp, Expr, FieldId, FieldKind, GlobalId, Kernel, KernelKind, LocalId, MathFn,
    MechKind, Mechanism, Place, SharedVar, Stmt, UnOp,
};

type R<T> = Result<T, String>;

const VEC: types::Type = types::F64X2;

/// Which `exp` the pair loop emits inline (a group whose arguments leave
/// its window is redone without it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InlineExp {
    /// nmc's own, in fast math mode.
    Fast,
    /// The C library's rebuilt, in exact math mode.
    Library,
}

impl InlineExp {
    /// log2 of the width of the accepted window of window values.
    fn window_bits(self) -> u32 {
        match self {
            InlineExp::Fast => RANGE_BITS,
            InlineExp::Library => crate::back::libm_exp::WINDOW_BITS,
        }
    }
}

/// The inline `exp` of `mode`: the library's only when the host's `exp`
/// is the function [`crate::back::libm_exp`] rebuilds.
fn inline_exp(mode: MathMode) -> Option<InlineExp> {
    match mode {
        MathMode::Fast => Some(InlineExp::Fast),
        MathMode::Exact => crate::back::libm_exp::host_matches().then_some(InlineExp::Library),
    }
}

/// A node array (by ABI slot) or an ion variable array (by layout slot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Array {
    Node(usize),
    Ion(usize),
}

/// A value every instance shares: a mechanism global or a shared scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Uniform {
    Global(GlobalId),
    Shared(SharedVar),
}

/// What an eligible kernel touches (found by [`check`]).
#[derive(Debug, Default)]
pub(super) struct Scan {
    fields: BTreeSet<FieldId>,
    uniforms: Vec<Uniform>,
    read: BTreeSet<Array>,
    written: BTreeSet<Array>,
}

impl Scan {
    /// True when some node or ion array is both read and written.
    fn hazard(&self) -> bool {
        !self.read.is_disjoint(&self.written)
    }

    fn uses_nodes(&self) -> bool {
        !self.read.is_empty() || !self.written.is_empty()
    }
}

/// Whether `kernel` of `mech` gets the pair loop: `Ok` with what it
/// touches, or why not.
pub(super) fn check(
    mech: &Mechanism,
    kernel: &Kernel,
    layout: &Layout,
    inline: &[bool],
) -> R<Scan> {
    if mech.kind == MechKind::ArtificialCell {
        return Err("an artificial cell".into());
    }
    if !matches!(
        kernel.kind,
        KernelKind::Init | KernelKind::Current | KernelKind::State
    ) {
        return Err("only INITIAL, current and state kernels are vectorised".into());
    }
    let mut checker = Checker {
        mech,
        layout,
        inline,
        scan: Scan::default(),
    };
    checker.body(&kernel.body)?;
    Ok(checker.scan)
}

struct Checker<'a> {
    mech: &'a Mechanism,
    layout: &'a Layout,
    inline: &'a [bool],
    scan: Scan,
}

impl Checker<'_> {
    fn body(&mut self, body: &[Stmt]) -> R<()> {
        body.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&mut self, stmt: &Stmt) -> R<()> {
        match stmt {
            Stmt::Assign(place, e) | Stmt::Accumulate(place, e) => {
                self.expr(e)?;
                self.place(place, true)
            }
            Stmt::Eval(e) => self.expr(e),
            // The scalar code skips an unreplaced TABLE too.
            Stmt::Table { .. } => Ok(()),
            Stmt::If { .. } | Stmt::While { .. } => Err("has a branch or loop".into()),
            Stmt::Return => Err("has a return".into()),
            _ => Err("uses an engine service".into()),
        }
    }

    fn place(&mut self, place: &Place, write: bool) -> R<()> {
        if let Some(array) = array_of(self.layout, place)? {
            if write {
                self.scan.written.insert(array);
            } else {
                self.scan.read.insert(array);
            }
            return Ok(());
        }
        let uniform = match place {
            Place::Field(id, None) => {
                let field = self
                    .mech
                    .fields
                    .get(id.index())
                    .ok_or_else(|| format!("field {id} does not exist"))?;
                if field.kind == FieldKind::Pointer {
                    return Err("uses a POINTER field".into());
                }
                self.scan.fields.insert(*id);
                return Ok(());
            }
            Place::Local(_) => return Ok(()),
            Place::Global(g) if g.index() < self.mech.globals.len() => Uniform::Global(*g),
            Place::Shared(s) => Uniform::Shared(*s),
            _ => {
                return Err(
                    "uses an indexed field, a global array or a NET_RECEIVE argument".into(),
                );
            }
        };
        if write {
            return Err("writes a global or shared value".into());
        }
        if !self.scan.uniforms.contains(&uniform) {
            self.scan.uniforms.push(uniform);
        }
        Ok(())
    }

    fn expr(&mut self, e: &Expr) -> R<()> {
        match e {
            Expr::Const(_) => Ok(()),
            Expr::Load(place) => self.place(place, false),
            Expr::Unary(_, a) => self.expr(a),
            Expr::Binary(op, a, b) => {
                if matches!(op, BinOp::And | BinOp::Or) && (has_call(a) || has_call(b)) {
                    return Err("calls a function inside && or ||".into());
                }
                self.expr(a)?;
                self.expr(b)
            }
            Expr::Math(_, args) => args.iter().try_for_each(|a| self.expr(a)),
            Expr::Call(id, args) => {
                let f = self
                    .mech
                    .functions
                    .get(id.index())
                    .ok_or_else(|| format!("function {id} does not exist"))?;
                if !self.inline.get(id.index()).copied().unwrap_or(false) {
                    return Err(format!("calls `{}`, which is not inlined", f.name));
                }
                args.iter().try_for_each(|a| self.expr(a))?;
                self.body(&f.body)
            }
            Expr::Builtin(..) | Expr::FunctionTable(..) => {
                Err("uses random numbers or a FUNCTION_TABLE".into())
            }
        }
    }
}

/// The node or ion array `place` is in, if any.
fn array_of(layout: &Layout, place: &Place) -> R<Option<Array>> {
    Ok(match place {
        Place::Node(which) => Some(Array::Node(node_slot(*which))),
        Place::Ion(ion, name) => {
            Some(Array::Ion(layout.ion_slot(*ion, name).ok_or_else(
                || format!("ion variable {name} is not in the layout"),
            )?))
        }
        _ => None,
    })
}

fn has_call(e: &Expr) -> bool {
    match e {
        Expr::Const(_) | Expr::Load(_) => false,
        Expr::Unary(_, a) => has_call(a),
        Expr::Binary(_, a, b) => has_call(a) || has_call(b),
        Expr::Math(_, args) => args.iter().any(has_call),
        Expr::Call(..) | Expr::Builtin(..) | Expr::FunctionTable(..) => true,
    }
}

fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Vector loads and stores: in bounds, not necessarily 16-byte aligned.
fn vflags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

/// Pairs per group when the kernel has no node hazard (see [`emit_pairs`]).
const GROUP: usize = 3;

/// Groups per block when the body is split in two passes (see
/// [`Fission`]).
const BLOCK_GROUPS: i64 = 32;

/// A body split in two passes over each block of groups: the first part
/// of the statements for every group of the block, then the rest. A state
/// kernel's body is one long dependency chain per pair (rates through
/// `exp`, a time constant through a division, then the cnexp `exp` of
/// that), longer than the CPU's instruction window can overlap for more
/// than about two pairs; run in two passes, each pass's chains are half
/// as long and independent across groups, so the window holds several.
/// The values the second part needs from the first (fields the first
/// assigns and locals) go through a stack buffer, one 16-byte vector per
/// pair. Per instance the same operations run in the same order, so the
/// results are the same bits.
struct Fission {
    /// Statements of the first pass (`body[..cut]`).
    cut: usize,
    /// Fields the first part assigns and the second reads.
    fields: Vec<FieldId>,
    /// Locals the first part assigns and the second reads.
    locals: Vec<LocalId>,
}

impl Fission {
    /// The split of `kernel`'s body, if worth one: before the first
    /// statement that assigns a STATE, when both parts call a math
    /// function and the kernel writes no node or ion array.
    fn plan(mech: &Mechanism, kernel: &Kernel, scan: &Scan, inline: &[bool]) -> Option<Fission> {
        if !scan.written.is_empty() {
            return None;
        }
        let is_state = |p: &Place| {
            matches!(p, Place::Field(id, None)
                if mech.fields.get(id.index()).is_some_and(|f| f.kind == FieldKind::State))
        };
        let cut = kernel.body.iter().position(|s| match s {
            Stmt::Assign(p, _) | Stmt::Accumulate(p, _) => is_state(p),
            _ => false,
        })?;
        let (first, second) = kernel.body.split_at(cut);
        let math = |stmts: &[Stmt]| stmts.iter().any(|s| calls_math(s, None));
        if cut == 0 || !math(first) || !math(second) {
            return None;
        }
        let bodies: Vec<Option<&[Stmt]>> = mech
            .functions
            .iter()
            .zip(inline)
            .map(|(f, &yes)| yes.then_some(f.body.as_slice()))
            .collect();
        let assigned = Uses::of(first, &[], &bodies).written;
        let read = Uses::of(second, &[], &bodies).fields;
        let fields = assigned.intersection(&read).copied().collect();
        let mut assigned_locals = BTreeSet::new();
        for s in first {
            if let Stmt::Assign(Place::Local(l), _) | Stmt::Accumulate(Place::Local(l), _) = s {
                assigned_locals.insert(*l);
            }
        }
        let mut read_locals = BTreeSet::new();
        for s in second {
            if let Stmt::Accumulate(Place::Local(l), _) = s {
                read_locals.insert(*l);
            }
            for e in stmt_exprs(s) {
                local_reads(e, &mut read_locals);
            }
        }
        let locals = assigned_locals
            .intersection(&read_locals)
            .copied()
            .collect();
        Some(Fission {
            cut,
            fields,
            locals,
        })
    }

    /// Bytes of the buffer per group.
    fn stride(&self, group: usize) -> i64 {
        ((self.fields.len() + self.locals.len()) * group * 16) as i64
    }
}

/// The expressions a (straight-line) statement evaluates.
fn stmt_exprs(s: &Stmt) -> Vec<&Expr> {
    match s {
        Stmt::Assign(_, e) | Stmt::Accumulate(_, e) | Stmt::Eval(e) => vec![e],
        _ => Vec::new(),
    }
}

/// Whether `s` calls a library math function (`only` that one, if
/// given). Calls of (inlined) FUNCTIONs and PROCEDUREs count as yes:
/// their bodies usually do.
fn calls_math(s: &Stmt, only: Option<MathFn>) -> bool {
    fn expr(e: &Expr, only: Option<MathFn>) -> bool {
        match e {
            Expr::Const(_) | Expr::Load(_) => false,
            Expr::Unary(_, a) => expr(a, only),
            Expr::Binary(_, a, b) => expr(a, only) || expr(b, only),
            Expr::Math(f, args) => {
                only.is_none_or(|o| o == *f) || args.iter().any(|a| expr(a, only))
            }
            Expr::Call(..) => true,
            Expr::Builtin(..) | Expr::FunctionTable(..) => false,
        }
    }
    stmt_exprs(s).into_iter().any(|e| expr(e, only))
}

/// Locals `e` reads (in the kernel's own frame: not inside callees).
fn local_reads(e: &Expr, out: &mut BTreeSet<LocalId>) {
    match e {
        Expr::Const(_) => {}
        Expr::Load(Place::Local(l)) => {
            out.insert(*l);
        }
        Expr::Load(_) => {}
        Expr::Unary(_, a) => local_reads(a, out),
        Expr::Binary(_, a, b) => {
            local_reads(a, out);
            local_reads(b, out);
        }
        Expr::Math(_, args) | Expr::Call(_, args) => {
            args.iter().for_each(|a| local_reads(a, out));
        }
        Expr::Builtin(..) | Expr::FunctionTable(..) => {}
    }
}

/// What every group's code shares: loop-invariant pointers and values.
struct Frame {
    field_base: BTreeMap<FieldId, Value>,
    array_base: BTreeMap<Array, Value>,
    uniforms: HashMap<Uniform, Value>,
    node_index: Value,
    /// Fast-mode `exp` anchor slot (see [`Vectorizer::anchor`]).
    anchor: Option<cranelift_codegen::ir::StackSlot>,
    ptr: types::Type,
    group: usize,
    defer: bool,
    written: BTreeSet<Array>,
    uses_nodes: bool,
    hazard: bool,
    /// Locals of the kernel (a split body's parts share them).
    locals: usize,
}

/// Where a group's pass takes values from or leaves them: the buffer
/// address of this group's slots and which fields and locals.
struct Carry<'a> {
    at: Value,
    plan: &'a Fission,
}

/// Where the pair loop splits `kernel`'s body in two passes (the index of
/// the first statement of the second), or `None` when it does not (see
/// [`Fission`]); `None` too when the kernel is not vectorised.
pub(super) fn split_point(
    mech: &Mechanism,
    kernel: &Kernel,
    layout: &Layout,
    inline: &[bool],
) -> Option<usize> {
    let scan = check(mech, kernel, layout, inline).ok()?;
    if scan.hazard() {
        return None;
    }
    Fission::plan(mech, kernel, &scan, inline).map(|f| f.cut)
}

/// Emits the pair loop of `kernel` (which passed [`check`] with `scan`)
/// into `b`, whose current block is the function's entry with the block
/// pointer `args`. Leaves `b` in a fresh block and returns the instance
/// (i64) where the scalar loop must continue.
#[allow(clippy::too_many_arguments)]
pub(super) fn emit_pairs(
    b: &mut FunctionBuilder<'_>,
    module: &mut JITModule,
    mech: &Mechanism,
    layout: &Layout,
    ids: &Ids,
    args: Value,
    kernel: &Kernel,
    scan: Scan,
) -> R<Value> {
    let ptr = module.target_config().pointer_type();
    // Loop-invariant pointers and uniform values.
    let columns = b.ins().load(ptr, flags(), args, offsets::COLUMNS);
    let mut field_base = BTreeMap::new();
    for &id in &scan.fields {
        let slot = *layout
            .field_slot
            .get(id)
            .ok_or_else(|| format!("field {id} does not exist"))?;
        field_base.insert(id, b.ins().load(ptr, flags(), columns, (slot * 8) as i32));
    }
    let mut array_base = BTreeMap::new();
    let ions = b.ins().load(ptr, flags(), args, offsets::IONS);
    for &array in scan.read.union(&scan.written) {
        let base = match array {
            Array::Node(k) => b
                .ins()
                .load(ptr, flags(), args, offsets::NODES + 8 * k as i32),
            Array::Ion(slot) => b.ins().load(ptr, flags(), ions, (slot * 8) as i32),
        };
        array_base.insert(array, base);
    }
    let globals = b.ins().load(ptr, flags(), args, offsets::GLOBALS);
    let mut uniforms = HashMap::new();
    for &u in &scan.uniforms {
        let x = match u {
            Uniform::Global(g) => {
                b.ins()
                    .load(types::F64, flags(), globals, (g.index() * 8) as i32)
            }
            Uniform::Shared(s) => {
                let at = match s {
                    SharedVar::T => offsets::T,
                    SharedVar::Dt => offsets::DT,
                    SharedVar::Celsius => offsets::CELSIUS,
                    SharedVar::Flag => offsets::FLAG,
                };
                b.ins().load(types::F64, flags(), args, at)
            }
        };
        uniforms.insert(u, b.ins().splat(VEC, x));
    }
    let node_index = b.ins().load(ptr, flags(), args, offsets::NODE_INDEX);
    let count = b.ins().load(types::I64, flags(), args, offsets::COUNT);

    // Without a hazard, GROUP pairs per iteration, their statements
    // interleaved: independent dependency chains for the CPU to overlap
    // (kernels like na_rtm's state are latency-bound; measured with
    // kernel_bench on Zen 4: two pairs 25.6 ns per instance-step, three
    // 23.0, four 23.0 with more spills). With a hazard, one pair (whose
    // nodes are checked).
    let group = if scan.hazard() { 1 } else { GROUP };
    let step = 2 * group as i64;
    // Only fast-mode `exp`s use it.
    let anchor = inline_exp(ids.mode).is_some().then(|| {
        b.create_sized_stack_slot(cranelift_codegen::ir::StackSlotData::new(
            cranelift_codegen::ir::StackSlotKind::ExplicitSlot,
            16,
            4,
        ))
    });
    let frame = Frame {
        field_base,
        array_base,
        uniforms,
        node_index,
        anchor,
        ptr,
        group,
        defer: !scan.hazard(),
        written: scan.written.clone(),
        uses_nodes: scan.uses_nodes(),
        hazard: scan.hazard(),
        locals: kernel.locals.len(),
    };
    let fission = if scan.hazard() {
        None
    } else {
        Fission::plan(mech, kernel, &scan, &ids.inline)
    };
    let mut refs = HashMap::new();
    let mut emitter = GroupEmitter {
        module,
        mech,
        layout,
        ids,
        frame: &frame,
        refs: &mut refs,
    };

    // head(i): while i + step <= count.
    let (head, body, done) = (b.create_block(), b.create_block(), b.create_block());
    let i = b.append_block_param(head, types::I64);
    let rest = b.append_block_param(done, types::I64);
    let zero = b.ins().iconst(types::I64, 0);
    b.ins().jump(head, &[BlockArg::Value(zero)]);
    b.switch_to_block(head);
    let next = b.ins().iadd_imm_s(i, step);
    let more = b.ins().icmp(IntCC::UnsignedLessThanOrEqual, next, count);
    b.ins().brif(more, body, &[], done, &[BlockArg::Value(i)]);
    b.switch_to_block(body);
    b.seal_block(body);
    match &fission {
        None => {
            let exit = emitter.group(b, i, &kernel.body, None, None, done)?;
            b.switch_to_block(exit);
            b.seal_block(exit);
            b.ins().jump(head, &[BlockArg::Value(next)]);
        }
        Some(plan) => {
            // This block: up to BLOCK_GROUPS whole groups from i.
            let stride = plan.stride(group);
            let slot = b.create_sized_stack_slot(cranelift_codegen::ir::StackSlotData::new(
                cranelift_codegen::ir::StackSlotKind::ExplicitSlot,
                (stride * BLOCK_GROUPS).max(16) as u32,
                4,
            ));
            let buffer = b.ins().stack_addr(ptr, slot, 0);
            let left = b.ins().isub(count, i);
            let groups = b.ins().udiv_imm_u(left, step);
            let cap = b.ins().iconst(types::I64, BLOCK_GROUPS);
            let groups = b.ins().umin(groups, cap);
            let span = b.ins().imul_imm_s(groups, step);
            let end = b.ins().iadd(i, span);
            let (first, second) = kernel.body.split_at(plan.cut);
            let after_first = b.create_block();
            emitter.pass(b, i, end, buffer, stride, first, plan, true, after_first)?;
            b.switch_to_block(after_first);
            b.seal_block(after_first);
            let after_second = b.create_block();
            emitter.pass(b, i, end, buffer, stride, second, plan, false, after_second)?;
            b.switch_to_block(after_second);
            b.seal_block(after_second);
            b.ins().jump(head, &[BlockArg::Value(end)]);
        }
    }
    b.seal_block(head);
    b.switch_to_block(done);
    b.seal_block(done);
    Ok(rest)
}

/// Emits groups' code (see [`emit_pairs`]).
struct GroupEmitter<'a> {
    module: &'a mut JITModule,
    mech: &'a Mechanism,
    layout: &'a Layout,
    ids: &'a Ids,
    frame: &'a Frame,
    refs: &'a mut HashMap<FuncId, FuncRef>,
}

impl GroupEmitter<'_> {
    /// One pass of a split body over the groups from `start` to `end`: a
    /// loop whose group `j` runs `stmts`, after the first pass leaving the
    /// carried values at `buffer + k` (k = stride per group), in the
    /// second taking them from there. Continues at `exit`.
    #[allow(clippy::too_many_arguments)]
    fn pass(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        start: Value,
        end: Value,
        buffer: Value,
        stride: i64,
        stmts: &[Stmt],
        plan: &Fission,
        first: bool,
        exit: Block,
    ) -> R<()> {
        let step = 2 * self.frame.group as i64;
        let (head, body) = (b.create_block(), b.create_block());
        let j = b.append_block_param(head, types::I64);
        let at = b.append_block_param(head, self.frame.ptr);
        b.ins()
            .jump(head, &[BlockArg::Value(start), BlockArg::Value(buffer)]);
        b.switch_to_block(head);
        let more = b.ins().icmp(IntCC::UnsignedLessThan, j, end);
        b.ins().brif(more, body, &[], exit, &[]);
        b.switch_to_block(body);
        b.seal_block(body);
        let carry = Carry { at, plan };
        let (carry_in, carry_out) = if first {
            (None, Some(&carry))
        } else {
            (Some(&carry), None)
        };
        let done = self.group(b, j, stmts, carry_in, carry_out, exit)?;
        b.switch_to_block(done);
        b.seal_block(done);
        let j1 = b.ins().iadd_imm_s(j, step);
        let at1 = b.ins().iadd_imm_s(at, stride);
        b.ins()
            .jump(head, &[BlockArg::Value(j1), BlockArg::Value(at1)]);
        b.seal_block(head);
        Ok(())
    }

    /// The code of the group at instance `i` in the current block: its
    /// node indices, then the body running `stmts` (with values carried
    /// in from and out to a split body's buffer), and, with an inline
    /// `exp`, the body again with the library's for a group whose
    /// arguments leave its window. Returns the block where both
    /// continue; with a hazard, a pair whose instances share a node jumps
    /// to `bail` with `i` instead.
    fn group(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        i: Value,
        stmts: &[Stmt],
        carry_in: Option<&Carry<'_>>,
        carry_out: Option<&Carry<'_>>,
        bail: Block,
    ) -> R<Block> {
        let f = self.frame;
        let group = f.group;
        let first = b.ins().ishl_imm_u(i, 3);
        let ioff: Vec<Value> = (0..group)
            .map(|j| b.ins().iadd_imm_s(first, 16 * j as i64))
            .collect();
        let noff: Vec<[Value; 2]> = if f.uses_nodes {
            let at = b.ins().ishl_imm_u(i, 2);
            let at = b.ins().iadd(f.node_index, at);
            let mut noff = Vec::new();
            for j in 0..group as i32 {
                let n0 = b.ins().uload32(flags(), at, 8 * j);
                let n1 = b.ins().uload32(flags(), at, 8 * j + 4);
                if f.hazard {
                    let apart = b.ins().icmp(IntCC::NotEqual, n0, n1);
                    let work = b.create_block();
                    b.ins().brif(apart, work, &[], bail, &[BlockArg::Value(i)]);
                    b.switch_to_block(work);
                    b.seal_block(work);
                }
                noff.push([b.ins().ishl_imm_u(n0, 3), b.ins().ishl_imm_u(n1, 3)]);
            }
            noff
        } else {
            ioff.iter().map(|&o| [o, o]).collect()
        };
        let exit = b.create_block();
        // Fast math: each body first with the range-free `exp`, and again
        // with the full one when an argument was out of its range (see
        // `fast_math::fast_exp_in_range`; same bits either way).
        let inline = inline_exp(self.ids.mode);
        let speculate = inline.is_some() && stmts.iter().any(|s| calls_math(s, Some(MathFn::Exp)));
        let layout = Layouts {
            ioff: &ioff,
            noff: &noff,
        };
        if !speculate {
            self.plain_body(b, &layout, stmts, carry_in, carry_out, exit)?;
            return Ok(exit);
        }
        let redo = b.create_block();
        let mut v = self.vectorizer(b, &layout, true);
        if let Some(c) = carry_in {
            v.take_carried(c)?;
        }
        v.body(stmts)?;
        let acc = v.range.ok_or("no range accumulator")?;
        let bits = inline.map_or(RANGE_BITS, InlineExp::window_bits);
        let high = v.b.ins().ushr_imm_u(acc, bits as i64);
        let commit = v.b.create_block();
        v.b.ins().brif(high, redo, &[], commit, &[]);
        v.b.switch_to_block(commit);
        v.b.seal_block(commit);
        if let Some(c) = carry_out {
            v.leave_carried(c)?;
        }
        v.finish_group()?;
        v.b.ins().jump(exit, &[]);
        *self.refs = std::mem::take(&mut v.refs);
        b.switch_to_block(redo);
        b.seal_block(redo);
        self.plain_body(b, &layout, stmts, carry_in, carry_out, exit)?;
        Ok(exit)
    }

    /// One group's body without speculation (library calls, or the full
    /// fast `exp`), ending with a jump to `exit`.
    #[allow(clippy::too_many_arguments)]
    fn plain_body(
        &mut self,
        b: &mut FunctionBuilder<'_>,
        layout: &Layouts<'_>,
        stmts: &[Stmt],
        carry_in: Option<&Carry<'_>>,
        carry_out: Option<&Carry<'_>>,
        exit: Block,
    ) -> R<()> {
        let mut v = self.vectorizer(b, layout, false);
        if let Some(c) = carry_in {
            v.take_carried(c)?;
        }
        v.body(stmts)?;
        if let Some(c) = carry_out {
            v.leave_carried(c)?;
        }
        v.finish_group()?;
        // All bodies call the same library functions through one import.
        *self.refs = std::mem::take(&mut v.refs);
        b.ins().jump(exit, &[]);
        Ok(())
    }

    /// A translator for one body of the group whose offsets `layout`
    /// gives; with `speculate`, fast `exp`s go without range handling and
    /// OR their window values into [`Vectorizer::range`].
    fn vectorizer<'s, 'f>(
        &'s mut self,
        b: &'s mut FunctionBuilder<'f>,
        layout: &Layouts<'_>,
        speculate: bool,
    ) -> Vectorizer<'s, 'f> {
        let f = self.frame;
        let zero_vec = {
            let z = b.ins().f64const(0.0);
            b.ins().splat(VEC, z)
        };
        let range = speculate.then(|| b.ins().iconst(types::I64, 0));
        Vectorizer {
            b,
            module: &mut *self.module,
            mech: self.mech,
            layout: self.layout,
            ids: self.ids,
            refs: std::mem::take(self.refs),
            written: f.written.clone(),
            field_base: f.field_base.clone(),
            array_base: f.array_base.clone(),
            uniforms: f.uniforms.clone(),
            ioff: layout.ioff.to_vec(),
            noff: layout.noff.to_vec(),
            fields: BTreeMap::new(),
            dirty: BTreeSet::new(),
            cache: BTreeMap::new(),
            defer: f.defer,
            deferred: Vec::new(),
            locals: vec![vec![zero_vec; f.group]; f.locals],
            memo: None,
            anchor: f.anchor,
            ptr: f.ptr,
            range,
        }
    }
}

/// A group's byte offsets: of each pair in the columns, of each pair's
/// two nodes in node arrays.
struct Layouts<'a> {
    ioff: &'a [Value],
    noff: &'a [[Value; 2]],
}

/// One `f64x2` per pair of the group.
type V = Vec<Value>;

/// Translates one group's body (one to three pairs, statement by
/// statement; every value a [`V`]).
struct Vectorizer<'a, 'f> {
    b: &'a mut FunctionBuilder<'f>,
    module: &'a mut JITModule,
    mech: &'a Mechanism,
    layout: &'a Layout,
    ids: &'a Ids,
    refs: HashMap<FuncId, FuncRef>,
    /// Arrays the kernel writes (their loads are never cached).
    written: BTreeSet<Array>,
    field_base: BTreeMap<FieldId, Value>,
    array_base: BTreeMap<Array, Value>,
    uniforms: HashMap<Uniform, Value>,
    /// Byte offset of each pair's first instance in a column.
    ioff: Vec<Value>,
    /// Byte offsets of each pair's two instances' nodes in node arrays.
    noff: Vec<[Value; 2]>,
    /// Current value of every field read or written so far.
    fields: BTreeMap<FieldId, V>,
    /// Fields written.
    dirty: BTreeSet<FieldId>,
    /// Gathered values of arrays the kernel does not write.
    cache: BTreeMap<Array, V>,
    /// Whether array writes wait for the end of the body.
    defer: bool,
    /// Deferred array writes `(array, accumulate, value)` in order.
    deferred: Vec<(Array, bool, V)>,
    locals: Vec<V>,
    memo: Option<HashMap<String, V>>,
    /// A 16-byte stack slot each fast `exp` result is stored to (see
    /// [`Vectorizer::anchor`]).
    anchor: Option<cranelift_codegen::ir::StackSlot>,
    ptr: types::Type,
    /// With range-free fast `exp`s: the OR of their window values so far
    /// (see `fast_math::fast_exp_in_range`), an `I64`.
    range: Option<Value>,
}

impl Vectorizer<'_, '_> {
    /// Pairs per group.
    fn group(&self) -> usize {
        self.ioff.len()
    }

    fn body(&mut self, body: &[Stmt]) -> R<()> {
        body.iter().try_for_each(|s| self.stmt(s))
    }

    fn stmt(&mut self, stmt: &Stmt) -> R<()> {
        match stmt {
            Stmt::Assign(place, e) => {
                let v = self.expr_top(e)?;
                self.assign(place, v, false)
            }
            Stmt::Accumulate(place, e) => {
                let v = self.expr_top(e)?;
                self.assign(place, v, true)
            }
            Stmt::Eval(e) => self.expr_top(e).map(|_| ()),
            Stmt::Table { .. } => Ok(()),
            _ => Err("statement not vectorisable".into()),
        }
    }

    fn local(&self, l: LocalId) -> R<V> {
        self.locals
            .get(l.index())
            .cloned()
            .ok_or_else(|| format!("local {l} does not exist"))
    }

    fn array_of(&self, place: &Place) -> R<Array> {
        array_of(self.layout, place)?.ok_or_else(|| "not a node or ion array".into())
    }

    fn add(&mut self, a: &V, b: &V) -> V {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| self.b.ins().fadd(x, y))
            .collect()
    }

    fn assign(&mut self, place: &Place, v: V, accumulate: bool) -> R<()> {
        match place {
            Place::Field(id, None) => {
                let v = if accumulate {
                    let old = self.field(*id)?;
                    self.add(&old, &v)
                } else {
                    v
                };
                self.fields.insert(*id, v);
                self.dirty.insert(*id);
            }
            Place::Local(l) => {
                let v = if accumulate {
                    let old = self.local(*l)?;
                    self.add(&old, &v)
                } else {
                    v
                };
                *self
                    .locals
                    .get_mut(l.index())
                    .ok_or_else(|| format!("local {l} does not exist"))? = v;
            }
            Place::Node(_) | Place::Ion(..) => {
                let array = self.array_of(place)?;
                if self.defer {
                    self.deferred.push((array, accumulate, v));
                } else {
                    for (j, &x) in v.iter().enumerate() {
                        for lane in 0..2 {
                            self.write_lane(array, j, lane, accumulate, x)?;
                        }
                    }
                }
            }
            _ => return Err("place not vectorisable".into()),
        }
        Ok(())
    }

    /// Lane `lane` of `v` (of pair `pair`) into (or added to) `array` at
    /// its node.
    fn write_lane(
        &mut self,
        array: Array,
        pair: usize,
        lane: u8,
        accumulate: bool,
        v: Value,
    ) -> R<()> {
        let base = *self.array_base.get(&array).ok_or("array not loaded")?;
        let addr = self.b.ins().iadd(base, self.noff[pair][lane as usize]);
        let x = self.b.ins().extractlane(v, lane);
        let x = if accumulate {
            let old = self.b.ins().load(types::F64, flags(), addr, 0);
            self.b.ins().fadd(old, x)
        } else {
            x
        };
        self.b.ins().store(flags(), x, addr, 0);
        Ok(())
    }

    /// Takes the values a split body's first part left for this group
    /// (see [`Fission`]): the carried fields as current values (not
    /// written again unless reassigned), the carried locals.
    fn take_carried(&mut self, c: &Carry<'_>) -> R<()> {
        let mut offset = 0;
        let mut next = |v: &mut Self| {
            let x = v.b.ins().load(VEC, vflags(), c.at, offset);
            offset += 16;
            x
        };
        for &id in &c.plan.fields {
            let v: V = (0..self.group()).map(|_| next(self)).collect();
            self.fields.insert(id, v);
        }
        for &l in &c.plan.locals {
            let v: V = (0..self.group()).map(|_| next(self)).collect();
            *self
                .locals
                .get_mut(l.index())
                .ok_or_else(|| format!("local {l} does not exist"))? = v;
        }
        Ok(())
    }

    /// Leaves the values the second part of a split body needs, in the
    /// order [`Vectorizer::take_carried`] takes them.
    fn leave_carried(&mut self, c: &Carry<'_>) -> R<()> {
        let mut values = Vec::new();
        for &id in &c.plan.fields {
            values.extend(self.field(id)?);
        }
        for &l in &c.plan.locals {
            values.extend(self.local(l)?);
        }
        for (k, x) in values.into_iter().enumerate() {
            self.b.ins().store(vflags(), x, c.at, 16 * k as i32);
        }
        Ok(())
    }

    /// Ends the group: deferred array writes instance by instance (pair
    /// 0 lane 0, lane 1, pair 1 lane 0, ...), then the written fields that
    /// must stay in memory.
    fn finish_group(&mut self) -> R<()> {
        let deferred = std::mem::take(&mut self.deferred);
        for pair in 0..self.group() {
            for lane in 0..2 {
                for (array, accumulate, v) in &deferred {
                    self.write_lane(*array, pair, lane, *accumulate, v[pair])?;
                }
            }
        }
        for &id in &self.dirty {
            if !self.ids.persistent.contains(&id) {
                continue;
            }
            let (Some(&base), Some(v)) = (self.field_base.get(&id), self.fields.get(&id)) else {
                return Err(format!("field {id} not loaded"));
            };
            for (&x, &ioff) in v.iter().zip(&self.ioff) {
                let addr = self.b.ins().iadd(base, ioff);
                self.b.ins().store(vflags(), x, addr, 0);
            }
        }
        Ok(())
    }

    fn field(&mut self, id: FieldId) -> R<V> {
        if let Some(v) = self.fields.get(&id) {
            return Ok(v.clone());
        }
        let base = *self
            .field_base
            .get(&id)
            .ok_or_else(|| format!("field {id} not loaded"))?;
        let v: V = (0..self.group())
            .map(|j| {
                let addr = self.b.ins().iadd(base, self.ioff[j]);
                self.b.ins().load(VEC, vflags(), addr, 0)
            })
            .collect();
        self.fields.insert(id, v.clone());
        Ok(v)
    }

    fn uniform(&self, u: Uniform) -> R<V> {
        let x = *self.uniforms.get(&u).ok_or("uniform value not loaded")?;
        Ok(vec![x; self.group()])
    }

    fn load(&mut self, place: &Place) -> R<V> {
        Ok(match place {
            Place::Field(id, None) => self.field(*id)?,
            Place::Local(l) => self.local(*l)?,
            Place::Global(g) => self.uniform(Uniform::Global(*g))?,
            Place::Shared(s) => self.uniform(Uniform::Shared(*s))?,
            Place::Node(_) | Place::Ion(..) => {
                let array = self.array_of(place)?;
                if let Some(v) = self.cache.get(&array) {
                    return Ok(v.clone());
                }
                let base = *self.array_base.get(&array).ok_or("array not loaded")?;
                let mut v = Vec::with_capacity(self.group());
                for j in 0..self.group() {
                    let [o0, o1] = self.noff[j];
                    let a0 = self.b.ins().iadd(base, o0);
                    let a1 = self.b.ins().iadd(base, o1);
                    let x0 = self.b.ins().load(types::F64, flags(), a0, 0);
                    let x1 = self.b.ins().load(types::F64, flags(), a1, 0);
                    v.push(self.pack(x0, x1));
                }
                if !self.written.contains(&array) {
                    self.cache.insert(array, v.clone());
                }
                v
            }
            _ => return Err("place not vectorisable".into()),
        })
    }

    /// The vector `[x0, x1]`.
    fn pack(&mut self, x0: Value, x1: Value) -> Value {
        let v = self.b.ins().scalar_to_vector(VEC, x0);
        self.b.ins().insertlane(v, x1, 1)
    }

    fn splat1(&mut self, c: f64) -> Value {
        let x = self.b.ins().f64const(c);
        self.b.ins().splat(VEC, x)
    }

    fn splat(&mut self, c: f64) -> V {
        let x = self.splat1(c);
        vec![x; self.group()]
    }

    /// 1.0 where `mask` (an i64x2 lane mask per pair) is set, else 0.0.
    fn mask_to_f64(&mut self, mask: V) -> V {
        let (one, zero) = (self.splat1(1.0), self.splat1(0.0));
        mask.into_iter()
            .map(|m| {
                let m = self.b.ins().bitcast(
                    VEC,
                    MemFlagsData::new().with_endianness(Endianness::Little),
                    m,
                );
                self.b.ins().bitselect(m, one, zero)
            })
            .collect()
    }

    /// Lane masks of `a cc b`.
    fn fcmp(&mut self, cc: FloatCC, a: &V, b: &V) -> V {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| self.b.ins().fcmp(cc, x, y))
            .collect()
    }

    /// Lane masks of `v != 0` (NaN is true, as in the scalar code).
    fn truth(&mut self, v: &V) -> V {
        let zero = self.splat(0.0);
        self.fcmp(FloatCC::NotEqual, v, &zero)
    }

    fn expr_top(&mut self, e: &Expr) -> R<V> {
        self.memo = is_pure(e).then(HashMap::new);
        let v = self.expr(e);
        self.memo = None;
        v
    }

    fn expr(&mut self, e: &Expr) -> R<V> {
        if !matches!(e, Expr::Const(_))
            && let Some(c) = const_value(e, self.ids.mode)
        {
            return Ok(self.splat(c));
        }
        Ok(match e {
            Expr::Const(c) => self.splat(*c),
            Expr::Load(place) => self.load(place)?,
            Expr::Unary(UnOp::Neg, a) => {
                let a = self.expr(a)?;
                a.into_iter().map(|x| self.b.ins().fneg(x)).collect()
            }
            Expr::Unary(UnOp::Not, a) => {
                let a = self.expr(a)?;
                let zero = self.splat(0.0);
                let m = self.fcmp(FloatCC::Equal, &a, &zero);
                self.mask_to_f64(m)
            }
            Expr::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                // Both sides are free of effects (see `check`), so
                // evaluating the right one eagerly changes nothing.
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                let (ta, tb) = (self.truth(&a), self.truth(&b));
                let m = ta
                    .into_iter()
                    .zip(tb)
                    .map(|(x, y)| {
                        if *op == BinOp::And {
                            self.b.ins().band(x, y)
                        } else {
                            self.b.ins().bor(x, y)
                        }
                    })
                    .collect();
                self.mask_to_f64(m)
            }
            Expr::Binary(op, a, b) => {
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                self.binary(*op, &a, &b)?
            }
            Expr::Math(f, args) => {
                let key = self.memo.as_ref().map(|_| format!("{e:?}"));
                if let (Some(memo), Some(key)) = (&self.memo, &key)
                    && let Some(v) = memo.get(key)
                {
                    return Ok(v.clone());
                }
                let v = self.math(*f, args)?;
                if let (Some(memo), Some(key)) = (&mut self.memo, key) {
                    memo.insert(key, v.clone());
                }
                v
            }
            Expr::Call(id, args) => {
                let values = args.iter().map(|a| self.expr(a)).collect::<R<Vec<_>>>()?;
                self.inline_call(*id, values)?
            }
            Expr::Builtin(..) | Expr::FunctionTable(..) => {
                return Err("expression not vectorisable".into());
            }
        })
    }

    fn binary(&mut self, op: BinOp, a: &V, b: &V) -> R<V> {
        let arith = |op: BinOp, b: &mut FunctionBuilder<'_>, x: Value, y: Value| match op {
            BinOp::Add => Some(b.ins().fadd(x, y)),
            BinOp::Sub => Some(b.ins().fsub(x, y)),
            BinOp::Mul => Some(b.ins().fmul(x, y)),
            BinOp::Div => Some(b.ins().fdiv(x, y)),
            _ => None,
        };
        if matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div) {
            return a
                .iter()
                .zip(b)
                .map(|(&x, &y)| arith(op, self.b, x, y).ok_or_else(|| "not arithmetic".into()))
                .collect();
        }
        let cc = match op {
            BinOp::Pow => {
                let symbol = math::implementation(MathFn::Pow).symbol();
                return self.per_lane(symbol, &[a.clone(), b.clone()]);
            }
            BinOp::Lt => FloatCC::LessThan,
            BinOp::Le => FloatCC::LessThanOrEqual,
            BinOp::Gt => FloatCC::GreaterThan,
            BinOp::Ge => FloatCC::GreaterThanOrEqual,
            BinOp::Eq => FloatCC::Equal,
            _ => FloatCC::NotEqual,
        };
        let m = self.fcmp(cc, a, b);
        Ok(self.mask_to_f64(m))
    }

    fn math(&mut self, f: MathFn, args: &[Expr]) -> R<V> {
        let imp = math::implementation(f);
        if args.len() != imp.arity() {
            return Err(format!("{f:?} takes {} arguments", imp.arity()));
        }
        let values = args.iter().map(|a| self.expr(a)).collect::<R<Vec<_>>>()?;
        let x = values[0].clone();
        Ok(match f {
            MathFn::Sqrt => x.into_iter().map(|v| self.b.ins().sqrt(v)).collect(),
            MathFn::Fabs => x.into_iter().map(|v| self.b.ins().fabs(v)).collect(),
            MathFn::Floor | MathFn::Ceil => {
                let mut out = Vec::with_capacity(x.len());
                for v in x {
                    let lanes: Vec<Value> = (0..2u8)
                        .map(|lane| {
                            let s = self.b.ins().extractlane(v, lane);
                            if f == MathFn::Floor {
                                self.b.ins().floor(s)
                            } else {
                                self.b.ins().ceil(s)
                            }
                        })
                        .collect();
                    out.push(self.pack(lanes[0], lanes[1]));
                }
                out
            }
            MathFn::Exp if self.ids.mode == MathMode::Fast => x
                .into_iter()
                .map(|v| {
                    let e = match self.range {
                        Some(acc) => {
                            let (e, acc) = super::fast_math::emit_exp_x2_in_range(self.b, v, acc);
                            self.range = Some(acc);
                            e
                        }
                        None => super::fast_math::emit_exp_x2(self.b, v),
                    };
                    self.anchor(e);
                    e
                })
                .collect(),
            MathFn::Exp if self.range.is_some() => {
                let mut out = Vec::with_capacity(x.len());
                for v in x {
                    let acc = self.range.ok_or("no range accumulator")?;
                    let (e, acc) = super::libm_exp::emit_exp_x2_main(self.b, v, acc);
                    self.range = Some(acc);
                    self.anchor(e);
                    out.push(e);
                }
                out
            }
            _ => self.per_lane(imp.symbol(), &values)?,
        })
    }

    /// Stores `v` to a scratch stack slot nobody reads. Cranelift places
    /// each pure instruction just before its first use by an instruction
    /// with effects; the fast `exp`'s table loads are such instructions
    /// and its polynomial is pure, so without this every `exp` of the body
    /// would load its table entries early and finish only where its result
    /// is first needed, keeping ~4 vectors per `exp` alive meanwhile (most
    /// spilled to the stack and reloaded). The store makes each `exp`
    /// finish where it is written: one store instead of those spills.
    fn anchor(&mut self, v: Value) {
        if let Some(slot) = self.anchor {
            self.b.ins().stack_store(self.ptr, v, slot, 0);
        }
    }

    /// Calls the library function `symbol` once per lane of every pair.
    fn per_lane(&mut self, symbol: &str, values: &[V]) -> R<V> {
        let fid = self.ids.math_fn(symbol)?;
        let fref = match self.refs.get(&fid) {
            Some(&r) => r,
            None => {
                let r = self.module.declare_func_in_func(fid, self.b.func);
                self.refs.insert(fid, r);
                r
            }
        };
        let mut out = Vec::with_capacity(self.group());
        for pair in 0..self.group() {
            let mut lanes = Vec::with_capacity(2);
            for lane in 0..2u8 {
                let scalars: Vec<Value> = values
                    .iter()
                    .map(|v| self.b.ins().extractlane(v[pair], lane))
                    .collect();
                let call = self.b.ins().call(fref, &scalars);
                lanes.push(
                    self.b
                        .inst_results(call)
                        .first()
                        .copied()
                        .ok_or("no result")?,
                );
            }
            out.push(self.pack(lanes[0], lanes[1]));
        }
        Ok(out)
    }

    /// A FUNCTION or PROCEDURE call, in place: fresh zeroed locals, the
    /// parameters set, the body, the result local (0 for a PROCEDURE).
    fn inline_call(&mut self, id: ir::FuncId, args: Vec<V>) -> R<V> {
        let mech = self.mech;
        let f = mech
            .functions
            .get(id.index())
            .ok_or_else(|| format!("function {id} does not exist"))?;
        if args.len() != f.params
            || f.params > f.locals.len()
            || (f.returns_value && f.result.index() >= f.locals.len())
        {
            return Err(format!("{}: bad parameters or result", f.name));
        }
        let zero = self.splat(0.0);
        let mut fresh = vec![zero.clone(); f.locals.len()];
        for (slot, a) in fresh.iter_mut().zip(args) {
            *slot = a;
        }
        let saved = std::mem::replace(&mut self.locals, fresh);
        let memo = self.memo.take();
        self.body(&f.body)?;
        let result = if f.returns_value {
            self.local(f.result)?
        } else {
            zero
        };
        self.locals = saved;
        self.memo = memo;
        Ok(result)
    }
}
