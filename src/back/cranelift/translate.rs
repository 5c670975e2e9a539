//! IR bodies → Cranelift IR. One [`Translator`] builds one function: a
//! kernel (looping over instances), a FUNCTION/PROCEDURE, or a WATCH test.
//! The statement and expression semantics are those listed in
//! [`crate::back::interp`]; every operation is emitted in the
//! interpreter's order so results agree bit for bit.

use std::collections::{BTreeMap, HashMap};

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block, BlockArg, FuncRef, InstBuilder, MemFlagsData, Signature, StackSlot,
    StackSlotData, StackSlotKind, Type, Value, types,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Module};

use super::promote::Promotion;
use super::uses::{Uses, is_pure, node_slot};
use crate::back::abi::{builtin_code, offsets};
use crate::back::layout::Layout;
use crate::back::math::{self, MathMode};
use crate::ir::{
    BinOp, Expr, FieldId, FieldKind, GlobalId, LocalId, MathFn, Mechanism, Place, SharedVar, Stmt,
    UnOp,
};

/// Module-level ids every translated function may call.
pub(super) struct Ids {
    /// Imported math functions by symbol.
    pub math: HashMap<&'static str, FuncId>,
    /// User FUNCTION/PROCEDUREs by index (`None`: inlined everywhere,
    /// not compiled on its own).
    pub user: Vec<Option<FuncId>>,
    /// Whether each user function is inlined at its call sites.
    pub inline: Vec<bool>,
    /// Which math functions kernels use.
    pub mode: MathMode,
    /// Fields a kernel must leave in memory when it writes them
    /// ([`crate::ir::opt::Specialized::persistent`]); field promotion to
    /// registers may skip storing the others.
    pub persistent: std::collections::BTreeSet<FieldId>,
}

/// Where an assignable place lives once resolved.
#[derive(Clone, Copy)]
enum Lval {
    /// In memory at this address.
    Mem(Value),
    /// A local variable.
    Var(Variable),
    /// A local kept in the body's frame of locals, at this byte offset.
    Frame(i32),
}

/// Where one IR local lives.
#[derive(Clone, Copy)]
enum LocalHome {
    /// In a Cranelift variable (a register, or spilled by the allocator).
    Var(Variable),
    /// In the frame of locals ([`Translator::frame`]), at this byte offset.
    Frame(i32),
}

/// Where a large body's frame of locals is.
#[derive(Clone, Copy)]
enum Frame {
    /// In this function's stack slot, of this many locals (a kernel's).
    Slot(StackSlot, usize),
    /// At this address (a part of a kernel: the kernel's slot).
    At(Value),
}

/// Statements a part of a large kernel holds at most (counting the
/// statements nested in `if`s and loops).
const PART_STMTS: usize = 400;

/// Runs of fewer statements than this between two statements that stay in
/// the kernel are not worth a call.
const PART_MIN_STMTS: usize = 16;

/// A part of a large kernel to compile as a function of its own,
/// `(args, instance, frame) -> ()`.
pub(super) struct Part {
    /// Its id in the module.
    pub id: FuncId,
    /// Its symbol.
    pub name: String,
    /// Its statements.
    pub body: Vec<Stmt>,
}

/// Bodies that use more locals than this keep them in a stack slot rather
/// than in Cranelift variables: a KINETIC scheme of hundreds of states
/// has thousands of matrix entries live across its Newton loop, and the
/// register allocator's time grows much faster than linearly in them (a
/// 189-state scheme took seconds), while a load or store of the frame
/// costs what the allocator's own spills would.
pub(super) const FRAME_LOCALS_ABOVE: usize = 1024;

/// Builds one function.
pub(super) struct Translator<'f, 'm> {
    /// The builder.
    pub b: FunctionBuilder<'f>,
    module: &'m mut JITModule,
    mech: &'m Mechanism,
    layout: &'m Layout,
    ids: &'m Ids,
    refs: HashMap<FuncId, FuncRef>,
    ptr: Type,
    args: Value,
    /// Current instance (i64) and its byte offset in a column.
    inst: Value,
    ioff: Value,
    /// Byte offset of the instance's node in node arrays, when used.
    noff: Option<Value>,
    locals: Vec<LocalHome>,
    /// The frame of the locals not kept in variables, if any.
    frame: Option<Frame>,
    /// When set, statement lists are cut into parts compiled as functions
    /// of their own, named after this prefix; the parts made so far.
    parts: Option<(String, Vec<Part>)>,
    /// Where `Return` jumps.
    exit: Block,
    columns: Value,
    field_base: BTreeMap<FieldId, Value>,
    node_base: HashMap<usize, Value>,
    ion_base: HashMap<usize, Value>,
    array_base: HashMap<usize, Value>,
    globals: Option<Value>,
    net_args: Option<Value>,
    memo: Option<HashMap<String, Value>>,
    /// Addresses of the current instance's elements of hoisted fields.
    field_addr: HashMap<FieldId, Value>,
    /// What lives in variables for one instance (empty outside kernels).
    promotion: Promotion,
    /// Variables of promoted fields, node arrays (by slot) and ion
    /// variables (by layout slot).
    promoted_fields: HashMap<FieldId, Variable>,
    promoted_nodes: BTreeMap<usize, Variable>,
    promoted_ions: BTreeMap<usize, Variable>,
    /// First instance of the kernel loop (0 when unset).
    loop_start: Option<Value>,
    promoted_globals: BTreeMap<GlobalId, Variable>,
}

type R<T> = Result<T, String>;

impl Ids {
    /// The imported library function `symbol` (e.g. `exp`), declared for
    /// every module by `build`.
    pub fn math_fn(&self, symbol: &str) -> R<FuncId> {
        self.math
            .get(symbol)
            .copied()
            .ok_or_else(|| format!("math function {symbol} not declared"))
    }
}

fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl<'f, 'm> Translator<'f, 'm> {
    /// Starts a function whose entry block already received its params;
    /// `args` is the block pointer. Loads the base pointers `uses` needs.
    pub fn new(
        mut b: FunctionBuilder<'f>,
        module: &'m mut JITModule,
        mech: &'m Mechanism,
        layout: &'m Layout,
        ids: &'m Ids,
        args: Value,
        uses: &Uses,
    ) -> R<Self> {
        let ptr = module.target_config().pointer_type();
        let columns = b.ins().load(ptr, flags(), args, offsets::COLUMNS);
        let mut field_base = BTreeMap::new();
        for &id in &uses.fields {
            let slot = *layout
                .field_slot
                .get(id)
                .ok_or_else(|| format!("field {id} does not exist"))?;
            let base = b.ins().load(ptr, flags(), columns, (slot * 8) as i32);
            field_base.insert(id, base);
        }
        let mut node_base = HashMap::new();
        for &k in &uses.nodes {
            let base = b
                .ins()
                .load(ptr, flags(), args, offsets::NODES + 8 * k as i32);
            node_base.insert(k, base);
        }
        let mut ion_base = HashMap::new();
        if !uses.ions.is_empty() {
            let ions = b.ins().load(ptr, flags(), args, offsets::IONS);
            for (ion, name) in &uses.ions {
                let slot = layout.ion_slot(*ion, name).ok_or_else(|| {
                    format!("ion variable {name} of ion {ion} is not in the layout")
                })?;
                let base = b.ins().load(ptr, flags(), ions, (slot * 8) as i32);
                ion_base.insert(slot, base);
            }
        }
        let mut array_base = HashMap::new();
        if !uses.arrays.is_empty() {
            let arrays = b.ins().load(ptr, flags(), args, offsets::GLOBAL_ARRAYS);
            for &id in &uses.arrays {
                if mech.global_arrays.get(id).is_none_or(|a| a.len == 0) {
                    return Err(format!("global array {id} does not exist or is empty"));
                }
                let base = b.ins().load(ptr, flags(), arrays, (id * 8) as i32);
                array_base.insert(id, base);
            }
        }
        let globals = Some(b.ins().load(ptr, flags(), args, offsets::GLOBALS));
        let net_args = Some(b.ins().load(ptr, flags(), args, offsets::NET_ARGS));
        let zero = b.ins().iconst(types::I64, 0);
        let exit = b.create_block();
        Ok(Translator {
            b,
            module,
            mech,
            layout,
            ids,
            refs: HashMap::new(),
            ptr,
            args,
            inst: zero,
            ioff: zero,
            noff: None,
            locals: Vec::new(),
            frame: None,
            parts: None,
            exit,
            columns,
            field_base,
            node_base,
            ion_base,
            array_base,
            globals,
            net_args,
            memo: None,
            field_addr: HashMap::new(),
            promotion: Promotion::default(),
            promoted_fields: HashMap::new(),
            promoted_nodes: BTreeMap::new(),
            promoted_ions: BTreeMap::new(),
            loop_start: None,
            promoted_globals: BTreeMap::new(),
        })
    }

    /// The block `Return` jumps to.
    pub fn exit_block(&self) -> Block {
        self.exit
    }

    /// Sets where `Return` jumps.
    pub fn set_exit(&mut self, exit: Block) {
        self.exit = exit;
    }

    /// Declares `n` f64 locals.
    pub fn declare_locals(&mut self, n: usize) {
        self.locals = (0..n)
            .map(|_| LocalHome::Var(self.b.declare_var(types::F64)))
            .collect();
    }

    /// Declares the `n` f64 locals of `body` (a kernel's), keeping them in
    /// a frame (a stack slot) when `body` uses more than
    /// [`FRAME_LOCALS_ABOVE`]; true when it does.
    pub fn declare_body_locals(&mut self, n: usize, body: &[Stmt]) -> bool {
        let mut used = vec![false; n];
        let mut copy = body.to_vec();
        crate::ir::solve::symbolic::map_places_stmts(&mut copy, &mut |p: &mut Place| {
            if let Place::Local(l) = p
                && let Some(u) = used.get_mut(l.index())
            {
                *u = true;
            }
        });
        let count = used.iter().filter(|&&u| u).count();
        if count <= FRAME_LOCALS_ABOVE {
            self.declare_locals(n);
            return false;
        }
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            (count * 8) as u32,
            3,
        ));
        let mut next: i32 = 0;
        self.locals = used
            .iter()
            .map(|&u| {
                if u {
                    next += 1;
                    LocalHome::Frame((next - 1) * 8)
                } else {
                    LocalHome::Var(self.b.declare_var(types::F64))
                }
            })
            .collect();
        self.frame = Some(Frame::Slot(slot, count));
        true
    }

    /// The frame offset of each local (`None`: not in the frame).
    pub fn frame_offsets(&self) -> Vec<Option<i32>> {
        self.locals
            .iter()
            .map(|h| match h {
                LocalHome::Frame(off) => Some(*off),
                LocalHome::Var(_) => None,
            })
            .collect()
    }

    /// Declares the locals of a part of a kernel: those at `offsets` in
    /// the kernel's frame, which is at `frame`; the rest in variables.
    pub fn declare_part_locals(&mut self, offsets: &[Option<i32>], frame: Value) {
        self.locals = offsets
            .iter()
            .map(|off| match off {
                Some(off) => LocalHome::Frame(*off),
                None => LocalHome::Var(self.b.declare_var(types::F64)),
            })
            .collect();
        self.frame = Some(Frame::At(frame));
    }

    /// Cuts statement lists from here on into parts of at most
    /// [`PART_STMTS`] statements, each a function named `prefix::part<k>`
    /// (needs the locals in a frame).
    pub fn cut_into_parts(&mut self, prefix: String) {
        self.parts = Some((prefix, Vec::new()));
    }

    /// The parts made, to compile after this function.
    pub fn take_parts(&mut self) -> Vec<Part> {
        self.parts
            .as_mut()
            .map(|(_, parts)| std::mem::take(parts))
            .unwrap_or_default()
    }

    /// Sets every local kept in a variable to 0.
    pub fn zero_locals(&mut self) {
        let zero = self.b.ins().f64const(0.0);
        for &home in &self.locals {
            if let LocalHome::Var(var) = home {
                self.b.def_var(var, zero);
            }
        }
    }

    /// Sets every local to 0: those in variables, and those in this
    /// function's frame slot by a loop over it.
    fn zero_all_locals(&mut self) {
        self.zero_locals();
        if let Some(Frame::Slot(slot, count)) = self.frame {
            let zero = self.b.ins().f64const(0.0);
            let base = self.b.ins().stack_addr(self.ptr, slot, 0);
            let end = self.b.ins().iadd_imm_s(base, (count * 8) as i64);
            let (head, next) = (self.b.create_block(), self.b.create_block());
            let at = self.b.append_block_param(head, self.ptr);
            self.b.ins().jump(head, &[BlockArg::Value(base)]);
            self.b.switch_to_block(head);
            self.b.ins().store(flags(), zero, at, 0);
            let at1 = self.b.ins().iadd_imm_s(at, 8);
            let more = self.b.ins().icmp(IntCC::UnsignedLessThan, at1, end);
            self.b
                .ins()
                .brif(more, head, &[BlockArg::Value(at1)], next, &[]);
            self.b.seal_block(head);
            self.b.switch_to_block(next);
            self.b.seal_block(next);
        }
    }

    /// Sets local `l` to `v`.
    pub fn def_local(&mut self, l: usize, v: Value) -> R<()> {
        let home = *self
            .locals
            .get(l)
            .ok_or_else(|| format!("local {l} does not exist"))?;
        let lval = self.local_lval(home);
        self.store(lval, v);
        Ok(())
    }

    /// The value of local `l`.
    pub fn use_local(&mut self, l: LocalId) -> R<Value> {
        let home = *self
            .locals
            .get(l.index())
            .ok_or_else(|| format!("local {l} does not exist"))?;
        let lval = self.local_lval(home);
        Ok(self.load(lval))
    }

    fn local_lval(&self, home: LocalHome) -> Lval {
        match home {
            LocalHome::Var(var) => Lval::Var(var),
            LocalHome::Frame(off) => Lval::Frame(off),
        }
    }

    /// Makes `inst` (i64) the current instance; loads its node when
    /// `node_index` is set.
    pub fn set_instance(&mut self, inst: Value, node_index: bool) {
        self.inst = inst;
        self.ioff = self.b.ins().ishl_imm_u(inst, 3);
        // One address per field and instance, so Cranelift sees repeated
        // accesses as the same location (store-to-load forwarding).
        self.field_addr = self
            .field_base
            .iter()
            .map(|(&id, &base)| (id, base))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(id, base)| (id, self.b.ins().iadd(base, self.ioff)))
            .collect();
        self.noff = if node_index {
            let index = self
                .b
                .ins()
                .load(self.ptr, flags(), self.args, offsets::NODE_INDEX);
            let off = self.b.ins().ishl_imm_u(inst, 2);
            let addr = self.b.ins().iadd(index, off);
            let node = self.b.ins().uload32(flags(), addr, 0);
            Some(self.b.ins().ishl_imm_u(node, 3))
        } else {
            None
        };
    }

    /// Translates a statement list; false when control cannot fall through.
    pub fn body(&mut self, body: &[Stmt]) -> R<()> {
        if self.parts.is_none() {
            for stmt in body {
                self.stmt(stmt)?;
            }
            return Ok(());
        }
        // Runs of statements go into parts; a statement too large for a
        // part (its `if`s and loops cut in turn) or with a `Return` (which
        // leaves the kernel's instance) stays here.
        let mut run: Vec<&Stmt> = Vec::new();
        let mut run_size = 0;
        for stmt in body {
            let n = size(stmt);
            if n <= PART_STMTS && !returns(stmt) {
                if run_size + n > PART_STMTS {
                    self.part(std::mem::take(&mut run))?;
                    run_size = 0;
                }
                run.push(stmt);
                run_size += n;
            } else {
                self.part(std::mem::take(&mut run))?;
                run_size = 0;
                self.stmt(stmt)?;
            }
        }
        self.part(run)
    }

    /// Compiles `stmts` as a part of their own and calls it here (short
    /// runs stay here).
    fn part(&mut self, stmts: Vec<&Stmt>) -> R<()> {
        let total: usize = stmts.iter().map(|s| size(s)).sum();
        if total < PART_MIN_STMTS {
            for s in stmts {
                self.stmt(s)?;
            }
            return Ok(());
        }
        let frame = match self.frame {
            Some(Frame::Slot(slot, _)) => self.b.ins().stack_addr(self.ptr, slot, 0),
            Some(Frame::At(at)) => at,
            None => return Err("parts of a body without a frame of locals".into()),
        };
        let Some((prefix, parts)) = &self.parts else {
            return Err("no parts".into());
        };
        let name = format!("{prefix}::part{}", parts.len());
        let mut sig = self.module.make_signature();
        sig.params.push(AbiParam::new(self.ptr));
        sig.params.push(AbiParam::new(types::I64));
        sig.params.push(AbiParam::new(self.ptr));
        let id = self
            .module
            .declare_function(&name, cranelift_module::Linkage::Local, &sig)
            .map_err(|e| e.to_string())?;
        let body = stmts.into_iter().cloned().collect();
        if let Some((_, parts)) = &mut self.parts {
            parts.push(Part { id, name, body });
        }
        let f = self.func_ref(id);
        let (args, inst) = (self.args, self.inst);
        self.b.ins().call(f, &[args, inst, frame]);
        Ok(())
    }

    /// Jumps to a fresh block that nothing reaches (after `Return`).
    fn jump_dead(&mut self, target: Block) {
        self.b.ins().jump(target, &[]);
        let dead = self.b.create_block();
        self.b.switch_to_block(dead);
        self.b.seal_block(dead);
    }

    fn stmt(&mut self, stmt: &Stmt) -> R<()> {
        match stmt {
            Stmt::Assign(place, value) => {
                let v = self.expr_top(value)?;
                let lval = self.resolve(place)?;
                self.store(lval, v);
            }
            Stmt::Accumulate(place, value) => {
                let v = self.expr_top(value)?;
                let lval = self.resolve(place)?;
                let old = self.load(lval);
                let sum = self.b.ins().fadd(old, v);
                self.store(lval, sum);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.expr_top(cond)?;
                let t = self.truth(c);
                let (then_block, else_block, merge) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                self.b.ins().brif(t, then_block, &[], else_block, &[]);
                for (block, stmts) in [(then_block, then), (else_block, otherwise)] {
                    self.b.switch_to_block(block);
                    self.b.seal_block(block);
                    self.body(stmts)?;
                    self.b.ins().jump(merge, &[]);
                }
                self.b.switch_to_block(merge);
                self.b.seal_block(merge);
            }
            Stmt::While { cond, body } => {
                let (head, inner, after) = (
                    self.b.create_block(),
                    self.b.create_block(),
                    self.b.create_block(),
                );
                self.b.ins().jump(head, &[]);
                self.b.switch_to_block(head);
                let c = self.expr_top(cond)?;
                let t = self.truth(c);
                self.b.ins().brif(t, inner, &[], after, &[]);
                self.b.switch_to_block(inner);
                self.b.seal_block(inner);
                self.body(body)?;
                self.b.ins().jump(head, &[]);
                self.b.seal_block(head);
                self.b.switch_to_block(after);
                self.b.seal_block(after);
            }
            Stmt::Eval(e) => {
                self.expr_top(e)?;
            }
            Stmt::Return => {
                let exit = self.exit;
                self.jump_dead(exit);
            }
            Stmt::NetSend { delay, flag } => {
                let d = self.expr_top(delay)?;
                let f = self.expr_top(flag)?;
                let sig = self.sig(&[self.ptr, types::I64, types::F64, types::F64], None);
                self.callback(offsets::NET_SEND, sig, &[d, f])?;
            }
            Stmt::NetEvent(t) | Stmt::NetMove(t) => {
                let at = if matches!(stmt, Stmt::NetEvent(_)) {
                    offsets::NET_EVENT
                } else {
                    offsets::NET_MOVE
                };
                let v = self.expr_top(t)?;
                let sig = self.sig(&[self.ptr, types::I64, types::F64], None);
                self.callback(at, sig, &[v])?;
            }
            Stmt::WatchOn { id, flag } => {
                if *id >= self.mech.watches.len() {
                    return Err(format!("watch {id} does not exist"));
                }
                let f = self.expr_top(flag)?;
                let w = self.b.ins().iconst(types::I64, *id as i64);
                let sig = self.sig(&[self.ptr, types::I64, types::I64, types::F64], None);
                self.callback(offsets::WATCH_ON, sig, &[w, f])?;
            }
            Stmt::Print { format, args } => {
                let id = self
                    .layout
                    .format_id(format)
                    .ok_or_else(|| "printf format missing from the layout".to_string())?;
                let values = args
                    .iter()
                    .map(|a| self.expr_top(a))
                    .collect::<R<Vec<_>>>()?;
                let (p, n) = self.spill(&values);
                let id = self.b.ins().iconst(types::I64, id as i64);
                let sig = self.sig(
                    &[self.ptr, types::I64, types::I64, self.ptr, types::I64],
                    None,
                );
                self.callback(offsets::PRINTF, sig, &[id, p, n])?;
            }
            // A TABLE not replaced by the table pass: compute directly, as
            // NEURON does with usetable = 0.
            Stmt::Table { .. } => {}
            Stmt::Equation { .. }
            | Stmt::Solve { .. }
            | Stmt::Ode { .. }
            | Stmt::Reaction(_)
            | Stmt::Conserve { .. } => {
                return Err("statement not solved before the back end".to_string());
            }
        }
        Ok(())
    }

    /// A signature with the module's calling convention.
    fn sig(&self, params: &[Type], ret: Option<Type>) -> Signature {
        let mut sig = self.module.make_signature();
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.returns.extend(ret.map(AbiParam::new));
        sig
    }

    /// Calls the engine callback at block offset `at` with
    /// `(engine, instance, rest...)`.
    fn callback(&mut self, at: i32, sig: Signature, rest: &[Value]) -> R<Option<Value>> {
        self.flush_written()?;
        let f = self.b.ins().load(self.ptr, flags(), self.args, at);
        let engine = self
            .b
            .ins()
            .load(self.ptr, flags(), self.args, offsets::ENGINE);
        let sigref = self.b.import_signature(sig);
        let mut call_args = vec![engine, self.inst];
        call_args.extend_from_slice(rest);
        let call = self.b.ins().call_indirect(sigref, f, &call_args);
        let result = self.b.inst_results(call).first().copied();
        self.reload_promoted()?;
        Ok(result)
    }

    /// Stores values in a stack slot; returns its address and the count.
    fn spill(&mut self, values: &[Value]) -> (Value, Value) {
        let n = self.b.ins().iconst(types::I64, values.len() as i64);
        if values.is_empty() {
            return (self.b.ins().iconst(self.ptr, 0), n);
        }
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            (values.len() * 8) as u32,
            3,
        ));
        for (k, &v) in values.iter().enumerate() {
            self.b.ins().stack_store(self.ptr, v, slot, (k * 8) as i32);
        }
        (self.b.ins().stack_addr(self.ptr, slot, 0), n)
    }

    /// i8 truth of an f64 (non-zero, NaN included, is true).
    fn truth(&mut self, v: Value) -> Value {
        let zero = self.b.ins().f64const(0.0);
        self.b.ins().fcmp(FloatCC::NotEqual, v, zero)
    }

    /// 1.0 or 0.0 from an i8 truth value.
    fn as_f64(&mut self, t: Value) -> Value {
        let one = self.b.ins().f64const(1.0);
        let zero = self.b.ins().f64const(0.0);
        self.b.ins().select(t, one, zero)
    }

    fn load(&mut self, lval: Lval) -> Value {
        match lval {
            Lval::Mem(addr) => self.b.ins().load(types::F64, flags(), addr, 0),
            Lval::Var(var) => self.b.use_var(var),
            Lval::Frame(off) => match self.frame {
                Some(Frame::Slot(slot, _)) => {
                    let ptr = self.ptr;
                    self.b.ins().stack_load(ptr, types::F64, slot, off)
                }
                Some(Frame::At(base)) => self.b.ins().load(types::F64, flags(), base, off),
                None => self.b.ins().f64const(0.0),
            },
        }
    }

    fn store(&mut self, lval: Lval, v: Value) {
        match lval {
            Lval::Mem(addr) => {
                self.b.ins().store(flags(), v, addr, 0);
            }
            Lval::Var(var) => self.b.def_var(var, v),
            Lval::Frame(off) => match self.frame {
                Some(Frame::Slot(slot, _)) => {
                    let ptr = self.ptr;
                    self.b.ins().stack_store(ptr, v, slot, off);
                }
                Some(Frame::At(base)) => {
                    self.b.ins().store(flags(), v, base, off);
                }
                None => {}
            },
        }
    }

    /// Truncates and clamps an f64 index into `0..len`, as a byte offset.
    fn index_offset(&mut self, index: &Expr, len: usize) -> R<Value> {
        let x = self.expr(index)?;
        let k = self.b.ins().fcvt_to_uint_sat(types::I64, x);
        let max = self
            .b
            .ins()
            .iconst(types::I64, len.saturating_sub(1) as i64);
        let k = self.b.ins().umin(k, max);
        Ok(self.b.ins().ishl_imm_u(k, 3))
    }

    fn resolve(&mut self, place: &Place) -> R<Lval> {
        let ptr = self.ptr;
        Ok(match place {
            Place::Field(id, index) => {
                let field = self
                    .mech
                    .fields
                    .get(id.index())
                    .ok_or_else(|| format!("field {id} does not exist"))?;
                let pointer = field.kind == FieldKind::Pointer;
                if index.is_none()
                    && let Some(&var) = self.promoted_fields.get(id)
                {
                    return Ok(Lval::Var(var));
                }
                let len = field.len.max(1);
                let addr = match index {
                    None => *self
                        .field_addr
                        .get(id)
                        .ok_or_else(|| format!("field {id} was not hoisted"))?,
                    Some(e) => {
                        let off = self.index_offset(e, len)?;
                        let slot = self.layout.field_slot.get(*id).copied().unwrap_or(0);
                        let at = self.b.ins().iadd(self.columns, off);
                        let base = self.b.ins().load(ptr, flags(), at, (slot * 8) as i32);
                        self.b.ins().iadd(base, self.ioff)
                    }
                };
                if pointer {
                    Lval::Mem(self.b.ins().load(ptr, flags(), addr, 0))
                } else {
                    Lval::Mem(addr)
                }
            }
            Place::Global(g) => {
                if g.index() >= self.mech.globals.len() {
                    return Err(format!("global {g} does not exist"));
                }
                if let Some(&var) = self.promoted_globals.get(g) {
                    return Ok(Lval::Var(var));
                }
                let base = self.globals.ok_or("no globals")?;
                Lval::Mem(self.b.ins().iadd_imm_s(base, (g.index() * 8) as i64))
            }
            Place::Local(l) => self.local_lval(
                *self
                    .locals
                    .get(l.index())
                    .ok_or_else(|| format!("local {l} does not exist"))?,
            ),
            Place::Node(which) => {
                if let Some(&var) = self.promoted_nodes.get(&node_slot(*which)) {
                    return Ok(Lval::Var(var));
                }
                let base = *self
                    .node_base
                    .get(&node_slot(*which))
                    .ok_or("node array not hoisted")?;
                let noff = self.noff.ok_or("node index not loaded")?;
                Lval::Mem(self.b.ins().iadd(base, noff))
            }
            Place::Ion(ion, name) => {
                let slot = self
                    .layout
                    .ion_slot(*ion, name)
                    .ok_or_else(|| format!("ion variable {name} is not in the layout"))?;
                if let Some(&var) = self.promoted_ions.get(&slot) {
                    return Ok(Lval::Var(var));
                }
                let base = *self.ion_base.get(&slot).ok_or("ion array not hoisted")?;
                let noff = self.noff.ok_or("node index not loaded")?;
                Lval::Mem(self.b.ins().iadd(base, noff))
            }
            Place::GlobalArray(id, index) => {
                let len = self.mech.global_arrays.get(*id).map_or(0, |a| a.len);
                let base = *self
                    .array_base
                    .get(id)
                    .ok_or_else(|| format!("global array {id} was not hoisted"))?;
                let off = self.index_offset(index, len)?;
                Lval::Mem(self.b.ins().iadd(base, off))
            }
            Place::Shared(s) => {
                let at = match s {
                    SharedVar::T => offsets::T,
                    SharedVar::Dt => offsets::DT,
                    SharedVar::Celsius => offsets::CELSIUS,
                    SharedVar::Flag => offsets::FLAG,
                };
                Lval::Mem(self.b.ins().iadd_imm_s(self.args, at as i64))
            }
            Place::NetArg(k) => {
                let base = self.net_args.ok_or("no net args")?;
                Lval::Mem(self.b.ins().iadd_imm_s(base, (*k * 8) as i64))
            }
        })
    }

    /// Translates a statement-level expression, sharing equal pure
    /// subexpressions (math calls) when the whole expression is pure.
    fn expr_top(&mut self, e: &Expr) -> R<Value> {
        self.memo = is_pure(e).then(HashMap::new);
        let v = self.expr(e);
        self.memo = None;
        v
    }

    fn expr(&mut self, e: &Expr) -> R<Value> {
        if !matches!(e, Expr::Const(_))
            && let Some(c) = const_value(e, self.ids.mode)
        {
            return Ok(self.b.ins().f64const(c));
        }
        Ok(match e {
            Expr::Const(c) => self.b.ins().f64const(*c),
            Expr::Load(place) => {
                let lval = self.resolve(place)?;
                self.load(lval)
            }
            Expr::Unary(UnOp::Neg, a) => {
                let a = self.expr(a)?;
                self.b.ins().fneg(a)
            }
            Expr::Unary(UnOp::Not, a) => {
                let a = self.expr(a)?;
                let zero = self.b.ins().f64const(0.0);
                let t = self.b.ins().fcmp(FloatCC::Equal, a, zero);
                self.as_f64(t)
            }
            Expr::Binary(op @ (BinOp::And | BinOp::Or), a, b) => self.short_circuit(*op, a, b)?,
            Expr::Binary(op, a, b) => {
                let a = self.expr(a)?;
                let b = self.expr(b)?;
                self.binary(*op, a, b)?
            }
            Expr::Math(f, args) => {
                if let Some(memo) = &self.memo {
                    let key = format!("{e:?}");
                    if let Some(&v) = memo.get(&key) {
                        return Ok(v);
                    }
                    let v = self.math(*f, args)?;
                    if let Some(memo) = &mut self.memo {
                        memo.insert(key, v);
                    }
                    v
                } else {
                    self.math(*f, args)?
                }
            }
            Expr::Call(id, args) => {
                let f = self
                    .mech
                    .functions
                    .get(id.index())
                    .ok_or_else(|| format!("function {id} does not exist"))?;
                if args.len() != f.params {
                    return Err(format!("{} takes {} arguments", f.name, f.params));
                }
                let mut values = vec![self.args, self.inst];
                for a in args {
                    values.push(self.expr(a)?);
                }
                if self.ids.inline.get(id.index()).copied().unwrap_or(false) {
                    return self.inline_call(f, &values[2..]);
                }
                let fid = self
                    .ids
                    .user
                    .get(id.index())
                    .copied()
                    .flatten()
                    .ok_or("function not declared")?;
                let fref = self.func_ref(fid);
                self.flush_written()?;
                let call = self.b.ins().call(fref, &values);
                let result = self
                    .b
                    .inst_results(call)
                    .first()
                    .copied()
                    .ok_or("no result")?;
                self.reload_promoted()?;
                result
            }
            Expr::Builtin(kind, args) => {
                let values = args.iter().map(|a| self.expr(a)).collect::<R<Vec<_>>>()?;
                let (p, n) = self.spill(&values);
                let code = self.b.ins().iconst(types::I64, builtin_code(*kind) as i64);
                let sig = self.value_sig();
                self.callback(offsets::RANDOM, sig, &[code, p, n])?
                    .ok_or("no result")?
            }
            Expr::FunctionTable(t, args) => {
                if *t >= self.mech.function_tables.len() {
                    return Err(format!("FUNCTION_TABLE {t} does not exist"));
                }
                let values = args.iter().map(|a| self.expr(a)).collect::<R<Vec<_>>>()?;
                let (p, n) = self.spill(&values);
                let table = self.b.ins().iconst(types::I64, *t as i64);
                let sig = self.value_sig();
                self.callback(offsets::FUNCTION_TABLE, sig, &[table, p, n])?
                    .ok_or("no result")?
            }
        })
    }

    fn value_sig(&self) -> Signature {
        self.sig(
            &[self.ptr, types::I64, types::I64, self.ptr, types::I64],
            Some(types::F64),
        )
    }

    fn func_ref(&mut self, id: FuncId) -> FuncRef {
        if let Some(&r) = self.refs.get(&id) {
            return r;
        }
        let r = self.module.declare_func_in_func(id, self.b.func);
        self.refs.insert(id, r);
        r
    }

    fn short_circuit(&mut self, op: BinOp, a: &Expr, b: &Expr) -> R<Value> {
        let a = self.expr(a)?;
        let ta = self.truth(a);
        let (rhs, merge) = (self.b.create_block(), self.b.create_block());
        let result = self.b.append_block_param(merge, types::F64);
        let fixed = self
            .b
            .ins()
            .f64const(if op == BinOp::And { 0.0 } else { 1.0 });
        let fixed = [BlockArg::Value(fixed)];
        if op == BinOp::And {
            self.b.ins().brif(ta, rhs, &[], merge, &fixed);
        } else {
            self.b.ins().brif(ta, merge, &fixed, rhs, &[]);
        }
        self.b.switch_to_block(rhs);
        self.b.seal_block(rhs);
        let bv = self.expr(b)?;
        let tb = self.truth(bv);
        let r = self.as_f64(tb);
        self.b.ins().jump(merge, &[BlockArg::Value(r)]);
        self.b.switch_to_block(merge);
        self.b.seal_block(merge);
        Ok(result)
    }

    fn binary(&mut self, op: BinOp, a: Value, b: Value) -> R<Value> {
        let cc = match op {
            BinOp::Add => return Ok(self.b.ins().fadd(a, b)),
            BinOp::Sub => return Ok(self.b.ins().fsub(a, b)),
            BinOp::Mul => return Ok(self.b.ins().fmul(a, b)),
            BinOp::Div => return Ok(self.b.ins().fdiv(a, b)),
            BinOp::Pow => {
                return self.call_math(math::implementation(MathFn::Pow).symbol(), &[a, b]);
            }
            BinOp::Lt => FloatCC::LessThan,
            BinOp::Le => FloatCC::LessThanOrEqual,
            BinOp::Gt => FloatCC::GreaterThan,
            BinOp::Ge => FloatCC::GreaterThanOrEqual,
            BinOp::Eq => FloatCC::Equal,
            BinOp::Ne | BinOp::And | BinOp::Or => FloatCC::NotEqual,
        };
        let t = self.b.ins().fcmp(cc, a, b);
        Ok(self.as_f64(t))
    }

    fn math(&mut self, f: MathFn, args: &[Expr]) -> R<Value> {
        let imp = math::implementation(f);
        if args.len() != imp.arity() {
            return Err(format!("{f:?} takes {} arguments", imp.arity()));
        }
        let values = args.iter().map(|a| self.expr(a)).collect::<R<Vec<_>>>()?;
        let x = values[0];
        // IEEE-exact operations are inlined; they give the libm result.
        Ok(match f {
            MathFn::Sqrt => self.b.ins().sqrt(x),
            MathFn::Fabs => self.b.ins().fabs(x),
            MathFn::Floor => self.b.ins().floor(x),
            MathFn::Ceil => self.b.ins().ceil(x),
            MathFn::Exp if self.ids.mode == MathMode::Fast => {
                super::fast_math::emit_exp(&mut self.b, x)
            }
            _ => self.call_math(imp.symbol(), &values)?,
        })
    }

    fn call_math(&mut self, symbol: &str, values: &[Value]) -> R<Value> {
        let fid = self.ids.math_fn(symbol)?;
        let fref = self.func_ref(fid);
        let call = self.b.ins().call(fref, values);
        self.b
            .inst_results(call)
            .first()
            .copied()
            .ok_or_else(|| "no result".to_string())
    }

    /// Makes the kernel loop start at instance `start` (i64) instead of 0,
    /// after a loop that did the instances before it.
    pub fn set_loop_start(&mut self, start: Value) {
        self.loop_start = Some(start);
    }

    /// Emits the instance loop of a kernel: `0..count` (from the loop start
    /// when set) or the event
    /// target when `single`), zeroing locals per instance, `Return`
    /// continuing with the next instance. Ends with a return. Promoted
    /// fields are loaded and stored per instance, promoted globals once
    /// around the loop.
    pub fn kernel_loop(&mut self, body: &[Stmt], node_index: bool, single: bool) -> R<()> {
        self.load_globals()?;
        if single {
            let target = self
                .b
                .ins()
                .load(types::I64, flags(), self.args, offsets::TARGET);
            let done = self.b.create_block();
            self.set_exit(done);
            self.set_instance(target, node_index);
            self.begin_instance()?;
            self.zero_all_locals();
            self.body(body)?;
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(done);
            self.b.seal_block(done);
            self.end_instance()?;
            self.store_globals()?;
            self.b.ins().return_(&[]);
            return Ok(());
        }
        let count = self
            .b
            .ins()
            .load(types::I64, flags(), self.args, offsets::COUNT);
        let (head, inner, next, done) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        let i = self.b.append_block_param(head, types::I64);
        let zero = match self.loop_start {
            Some(start) => start,
            None => self.b.ins().iconst(types::I64, 0),
        };
        self.b.ins().jump(head, &[BlockArg::Value(zero)]);
        self.b.switch_to_block(head);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, i, count);
        self.b.ins().brif(more, inner, &[], done, &[]);
        self.b.switch_to_block(inner);
        self.b.seal_block(inner);
        self.set_exit(next);
        self.set_instance(i, node_index);
        self.begin_instance()?;
        self.zero_all_locals();
        self.body(body)?;
        self.b.ins().jump(next, &[]);
        self.b.switch_to_block(next);
        self.b.seal_block(next);
        self.end_instance()?;
        let i1 = self.b.ins().iadd_imm_s(i, 1);
        self.b.ins().jump(head, &[BlockArg::Value(i1)]);
        self.b.seal_block(head);
        self.b.switch_to_block(done);
        self.b.seal_block(done);
        self.store_globals()?;
        self.b.ins().return_(&[]);
        Ok(())
    }
}

impl Translator<'_, '_> {
    /// Keeps what `plan` lists in variables from here on (kernels only:
    /// [`Translator::kernel_loop`] loads and stores them per instance).
    pub fn promote(&mut self, plan: Promotion) -> R<()> {
        for &id in &plan.fields {
            if !self.field_base.contains_key(&id) {
                return Err(format!("field {id} was not hoisted"));
            }
            let var = self.b.declare_var(types::F64);
            self.promoted_fields.insert(id, var);
        }
        for &slot in &plan.nodes {
            if !self.node_base.contains_key(&slot) {
                return Err("node array not hoisted".into());
            }
            let var = self.b.declare_var(types::F64);
            self.promoted_nodes.insert(slot, var);
        }
        for (ion, name) in &plan.ions {
            let slot = self
                .layout
                .ion_slot(*ion, name)
                .ok_or_else(|| format!("ion variable {name} is not in the layout"))?;
            if !self.ion_base.contains_key(&slot) {
                return Err("ion array not hoisted".into());
            }
            let var = self.b.declare_var(types::F64);
            self.promoted_ions.insert(slot, var);
        }
        for &g in &plan.globals {
            let var = self.b.declare_var(types::F64);
            self.promoted_globals.insert(g, var);
        }
        self.promotion = plan;
        Ok(())
    }

    /// Address of the current instance's element of promoted field `id`.
    fn promoted_addr(&self, id: FieldId) -> R<(Variable, Value)> {
        let var = *self
            .promoted_fields
            .get(&id)
            .ok_or_else(|| format!("field {id} is not promoted"))?;
        let addr = *self
            .field_addr
            .get(&id)
            .ok_or_else(|| format!("field {id} was not hoisted"))?;
        Ok((var, addr))
    }

    /// Loads the promoted node and ion values of the current instance.
    fn load_promoted_arrays(&mut self) -> R<()> {
        if self.promoted_nodes.is_empty() && self.promoted_ions.is_empty() {
            return Ok(());
        }
        let noff = self.noff.ok_or("node index not loaded")?;
        let arrays: Vec<(Variable, Value)> = self
            .promoted_nodes
            .iter()
            .map(|(slot, &var)| (var, self.node_base[slot]))
            .chain(
                self.promoted_ions
                    .iter()
                    .map(|(slot, &var)| (var, self.ion_base[slot])),
            )
            .collect();
        for (var, base) in arrays {
            let addr = self.b.ins().iadd(base, noff);
            let v = self.b.ins().load(types::F64, flags(), addr, 0);
            self.b.def_var(var, v);
        }
        Ok(())
    }

    /// Loads what an instance may read before assigning it.
    fn begin_instance(&mut self) -> R<()> {
        for id in self.promotion.load.clone() {
            let (var, addr) = self.promoted_addr(id)?;
            let v = self.b.ins().load(types::F64, flags(), addr, 0);
            self.b.def_var(var, v);
        }
        self.load_promoted_arrays()
    }

    /// Stores the written persistent fields when an instance ends.
    fn end_instance(&mut self) -> R<()> {
        for id in self.promotion.store.clone() {
            let (var, addr) = self.promoted_addr(id)?;
            let v = self.b.use_var(var);
            self.b.ins().store(flags(), v, addr, 0);
        }
        Ok(())
    }

    /// Promoted globals with their addresses.
    fn promoted_global_addrs(&mut self, written_only: bool) -> R<Vec<(Variable, Value)>> {
        let base = self.globals.ok_or("no globals")?;
        let list: Vec<(GlobalId, Variable)> = self
            .promoted_globals
            .iter()
            .filter(|(g, _)| !written_only || self.promotion.written_globals.contains(g))
            .map(|(&g, &var)| (g, var))
            .collect();
        Ok(list
            .into_iter()
            .map(|(g, var)| (var, self.b.ins().iadd_imm_s(base, (g.index() * 8) as i64)))
            .collect())
    }

    /// Loads every promoted global (before the instance loop, after a
    /// barrier).
    fn load_globals(&mut self) -> R<()> {
        for (var, addr) in self.promoted_global_addrs(false)? {
            let v = self.b.ins().load(types::F64, flags(), addr, 0);
            self.b.def_var(var, v);
        }
        Ok(())
    }

    /// Stores every written promoted global (after the instance loop,
    /// before a barrier).
    fn store_globals(&mut self) -> R<()> {
        for (var, addr) in self.promoted_global_addrs(true)? {
            let v = self.b.use_var(var);
            self.b.ins().store(flags(), v, addr, 0);
        }
        Ok(())
    }

    /// Before a call that may read fields or globals: stores every written
    /// one.
    fn flush_written(&mut self) -> R<()> {
        for id in self.promotion.written.clone() {
            let (var, addr) = self.promoted_addr(id)?;
            let v = self.b.use_var(var);
            self.b.ins().store(flags(), v, addr, 0);
        }
        self.store_globals()
    }

    /// After a call that may write fields, globals or arrays: reloads
    /// every promoted value.
    fn reload_promoted(&mut self) -> R<()> {
        let fields: Vec<FieldId> = self.promotion.fields.iter().copied().collect();
        for id in fields {
            let (var, addr) = self.promoted_addr(id)?;
            let v = self.b.ins().load(types::F64, flags(), addr, 0);
            self.b.def_var(var, v);
        }
        self.load_globals()?;
        self.load_promoted_arrays()
    }

    /// The value of a WATCH condition for the current instance (the
    /// condition holds when it is above 0).
    pub fn watch_value(&mut self, cond: &Expr) -> R<Value> {
        self.expr_top(cond)
    }

    /// Seals everything and finishes the function.
    pub fn finish(self) {
        let config = self.module.target_config();
        let mut b = self.b;
        b.seal_all_blocks();
        b.finalize(config);
    }
}

impl Translator<'_, '_> {
    /// Translates a call of `f` with argument values `args` in place: the
    /// body runs with fresh locals, `Return` leaves the body.
    fn inline_call(&mut self, f: &crate::ir::Function, args: &[Value]) -> R<Value> {
        if f.params > f.locals.len() || (f.returns_value && f.result.index() >= f.locals.len()) {
            return Err(format!(
                "{}: parameters or result outside the locals",
                f.name
            ));
        }
        let memo = self.memo.take();
        let ret = self.b.create_block();
        let saved_exit = std::mem::replace(&mut self.exit, ret);
        let fresh: Vec<LocalHome> = (0..f.locals.len())
            .map(|_| LocalHome::Var(self.b.declare_var(types::F64)))
            .collect();
        let saved_locals = std::mem::replace(&mut self.locals, fresh);
        self.zero_locals();
        for (p, &v) in args.iter().enumerate() {
            self.def_local(p, v)?;
        }
        self.body(&f.body)?;
        self.b.ins().jump(ret, &[]);
        self.b.switch_to_block(ret);
        self.b.seal_block(ret);
        let result = if f.returns_value {
            self.use_local(f.result)?
        } else {
            self.b.ins().f64const(0.0)
        };
        self.locals = saved_locals;
        self.exit = saved_exit;
        self.memo = memo;
        Ok(result)
    }
}

/// The number of statements in `s`, those nested in it included.
fn size(s: &Stmt) -> usize {
    match s {
        Stmt::If {
            then, otherwise, ..
        } => 1 + then.iter().chain(otherwise).map(size).sum::<usize>(),
        Stmt::While { body, .. } => 1 + body.iter().map(size).sum::<usize>(),
        _ => 1,
    }
}

/// True when `s` is or holds a `Return`.
fn returns(s: &Stmt) -> bool {
    match s {
        Stmt::Return => true,
        Stmt::If {
            then, otherwise, ..
        } => then.iter().chain(otherwise).any(returns),
        Stmt::While { body, .. } => body.iter().any(returns),
        _ => false,
    }
}

/// The value of an expression made of constants only, computed with the
/// interpreter's operations (so folding changes no bit of any result).
pub(super) fn const_value(e: &Expr, mode: MathMode) -> Option<f64> {
    let value = |e| const_value(e, mode);
    match e {
        Expr::Const(c) => Some(*c),
        Expr::Unary(UnOp::Neg, a) => Some(-value(a)?),
        Expr::Unary(UnOp::Not, a) => Some(if value(a)? == 0.0 { 1.0 } else { 0.0 }),
        Expr::Binary(op, a, b) => Some(math::binary(*op, value(a)?, value(b)?)),
        Expr::Math(f, args) => {
            let values = args.iter().map(value).collect::<Option<Vec<_>>>()?;
            math::apply_in(mode, *f, &values)
        }
        _ => None,
    }
}
