//! Statement execution and expression evaluation for the interpreter.

use crate::back::data::{Env, MechanismData, RunError};
use crate::back::math;
use crate::ir::{BinOp, Expr, FieldId, FuncId, Mechanism, Place, SharedVar, Stmt, UnOp};

/// Deepest FUNCTION/PROCEDURE call nesting allowed.
const MAX_DEPTH: usize = 10_000;

/// One activation: the instance and the locals of the running body.
pub(super) struct Frame {
    /// The instance the body runs for.
    pub instance: usize,
    /// Local values.
    pub locals: Vec<f64>,
}

/// How a statement list ended.
#[derive(PartialEq)]
pub(super) enum Flow {
    /// Fell off the end.
    Normal,
    /// Hit `Return`.
    Return,
}

/// The interpreter's view of one kernel call.
pub(super) struct Machine<'m, 'd, 'e, 'a> {
    /// The mechanism.
    pub mech: &'m Mechanism,
    /// Its instance data.
    pub data: &'d mut MechanismData,
    /// The environment.
    pub env: &'e mut Env<'a>,
    /// Current FUNCTION/PROCEDURE call nesting.
    pub depth: usize,
    /// Which math functions to use.
    pub mode: math::MathMode,
}

fn invalid(what: impl Into<String>) -> RunError {
    RunError::InvalidIr(what.into())
}

fn truth(x: bool) -> f64 {
    if x { 1.0 } else { 0.0 }
}

/// The element index an f64 names in an array of `len` (len >= 1).
pub(crate) fn clamp_index(x: f64, len: usize) -> usize {
    (x as u64).min(len.saturating_sub(1) as u64) as usize
}

impl Machine<'_, '_, '_, '_> {
    pub(super) fn exec(&mut self, body: &[Stmt], frame: &mut Frame) -> Result<Flow, RunError> {
        for stmt in body {
            if self.stmt(stmt, frame)? == Flow::Return {
                return Ok(Flow::Return);
            }
        }
        Ok(Flow::Normal)
    }

    fn stmt(&mut self, stmt: &Stmt, frame: &mut Frame) -> Result<Flow, RunError> {
        let i = frame.instance;
        match stmt {
            Stmt::Assign(place, value) => {
                let value = self.eval(value, frame)?;
                self.store(place, value, frame)?;
            }
            Stmt::Accumulate(place, value) => {
                let value = self.eval(value, frame)?;
                let old = self.load(place, frame)?;
                self.store(place, old + value, frame)?;
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let branch = if self.eval(cond, frame)? != 0.0 {
                    then
                } else {
                    otherwise
                };
                return self.exec(branch, frame);
            }
            Stmt::While { cond, body } => {
                while self.eval(cond, frame)? != 0.0 {
                    if self.exec(body, frame)? == Flow::Return {
                        return Ok(Flow::Return);
                    }
                }
            }
            Stmt::Eval(e) => {
                self.eval(e, frame)?;
            }
            Stmt::Return => return Ok(Flow::Return),
            Stmt::NetSend { delay, flag } => {
                let delay = self.eval(delay, frame)?;
                let flag = self.eval(flag, frame)?;
                self.env.engine.net_send(i, delay, flag);
            }
            Stmt::NetEvent(t) => {
                let t = self.eval(t, frame)?;
                self.env.engine.net_event(i, t);
            }
            Stmt::NetMove(t) => {
                let t = self.eval(t, frame)?;
                self.env.engine.net_move(i, t);
            }
            Stmt::Print { format, args } => {
                let values = self.eval_args(args, frame)?;
                self.env.engine.printf(i, format, &values);
            }
            Stmt::WatchOn { id, flag } => {
                if *id >= self.mech.watches.len() {
                    return Err(invalid(format!("no watch {id}")));
                }
                let flag = self.eval(flag, frame)?;
                self.env.engine.watch_on(i, *id, flag);
            }
            // A TABLE not replaced by the table pass: compute directly, as
            // NEURON does with usetable = 0.
            Stmt::Table { .. } => {}
            Stmt::Equation { .. }
            | Stmt::Solve { .. }
            | Stmt::Ode { .. }
            | Stmt::Reaction(_)
            | Stmt::Conserve { .. } => {
                return Err(invalid("statement not solved before the back end"));
            }
        }
        Ok(Flow::Normal)
    }

    fn eval_args(&mut self, args: &[Expr], frame: &mut Frame) -> Result<Vec<f64>, RunError> {
        args.iter().map(|a| self.eval(a, frame)).collect()
    }

    pub(super) fn eval(&mut self, expr: &Expr, frame: &mut Frame) -> Result<f64, RunError> {
        Ok(match expr {
            Expr::Const(c) => *c,
            Expr::Load(place) => self.load(place, frame)?,
            Expr::Unary(UnOp::Neg, a) => -self.eval(a, frame)?,
            Expr::Unary(UnOp::Not, a) => truth(self.eval(a, frame)? == 0.0),
            Expr::Binary(BinOp::And, a, b) => {
                truth(self.eval(a, frame)? != 0.0 && self.eval(b, frame)? != 0.0)
            }
            Expr::Binary(BinOp::Or, a, b) => {
                truth(self.eval(a, frame)? != 0.0 || self.eval(b, frame)? != 0.0)
            }
            Expr::Binary(op, a, b) => {
                let a = self.eval(a, frame)?;
                let b = self.eval(b, frame)?;
                math::binary(*op, a, b)
            }
            Expr::Math(f, args) => {
                let values = self.eval_args(args, frame)?;
                math::apply_in(self.mode, *f, &values).ok_or_else(|| {
                    invalid(format!(
                        "{f:?} takes {} arguments",
                        math::implementation(*f).arity()
                    ))
                })?
            }
            Expr::Call(id, args) => {
                let values = self.eval_args(args, frame)?;
                self.call(*id, &values, frame.instance)?
            }
            Expr::Builtin(b, args) => {
                let values = self.eval_args(args, frame)?;
                self.env.engine.random(frame.instance, *b, &values)
            }
            Expr::FunctionTable(t, args) => {
                if *t >= self.mech.function_tables.len() {
                    return Err(invalid(format!("no FUNCTION_TABLE {t}")));
                }
                let values = self.eval_args(args, frame)?;
                self.env.engine.function_table(frame.instance, *t, &values)
            }
        })
    }

    fn call(&mut self, id: FuncId, args: &[f64], instance: usize) -> Result<f64, RunError> {
        let mech = self.mech;
        let f = mech
            .functions
            .get(id.index())
            .ok_or_else(|| invalid(format!("no function {id}")))?;
        if args.len() != f.params || f.params > f.locals.len() {
            return Err(invalid(format!("{} takes {} arguments", f.name, f.params)));
        }
        if self.depth >= MAX_DEPTH {
            return Err(invalid(format!("calls of {} nest too deeply", f.name)));
        }
        let mut frame = Frame {
            instance,
            locals: vec![0.0; f.locals.len()],
        };
        frame.locals[..args.len()].copy_from_slice(args);
        self.depth += 1;
        let flow = self.exec(&f.body, &mut frame);
        self.depth -= 1;
        flow?;
        if f.returns_value {
            frame
                .locals
                .get(f.result.index())
                .copied()
                .ok_or_else(|| invalid(format!("{}: no result local", f.name)))
        } else {
            Ok(0.0)
        }
    }

    fn node(&self, instance: usize) -> Result<usize, RunError> {
        self.data
            .node_of(instance)
            .ok_or(RunError::TargetOutOfRange(instance))
    }

    fn field_column(
        &mut self,
        id: FieldId,
        index: &Option<Box<Expr>>,
        frame: &mut Frame,
    ) -> Result<usize, RunError> {
        let element = match index {
            Some(e) => {
                let len = self.mech.field(id).map_or(1, |f| f.len);
                clamp_index(self.eval(e, frame)?, len)
            }
            None => 0,
        };
        self.data
            .layout()
            .column(id, &self.mech.fields, element)
            .ok_or_else(|| invalid(format!("no field {id}")))
    }

    fn array_element(
        &mut self,
        id: usize,
        index: &Expr,
        frame: &mut Frame,
    ) -> Result<usize, RunError> {
        let len = self
            .mech
            .global_arrays
            .get(id)
            .map(|a| a.len)
            .filter(|&n| n > 0)
            .ok_or_else(|| invalid(format!("no global array {id}")))?;
        Ok(clamp_index(self.eval(index, frame)?, len))
    }

    fn load(&mut self, place: &Place, frame: &mut Frame) -> Result<f64, RunError> {
        let i = frame.instance;
        let missing = || invalid(format!("{place:?} is out of range"));
        match place {
            Place::Field(id, index) => {
                let column = self.field_column(*id, index, frame)?;
                self.data.value(column, i).ok_or_else(missing)
            }
            Place::Global(g) => self
                .data
                .globals()
                .get(g.index())
                .copied()
                .ok_or_else(missing),
            Place::Local(l) => frame.locals.get(l.index()).copied().ok_or_else(missing),
            Place::Node(which) => {
                let node = self.node(i)?;
                self.env
                    .nodes
                    .array(*which)
                    .get(node)
                    .copied()
                    .ok_or_else(missing)
            }
            Place::GlobalArray(id, index) => {
                let k = self.array_element(*id, index, frame)?;
                self.data
                    .global_array(*id)
                    .and_then(|a| a.get(k))
                    .copied()
                    .ok_or_else(missing)
            }
            Place::Ion(_, name) => {
                let node = self.node(i)?;
                self.env
                    .nodes
                    .ions
                    .get(name)
                    .and_then(|a| a.get(node))
                    .copied()
                    .ok_or_else(missing)
            }
            Place::Shared(s) => Ok(shared(self.env, *s)),
            Place::NetArg(k) => self
                .env
                .event
                .as_ref()
                .and_then(|e| e.args.get(*k))
                .copied()
                .ok_or_else(missing),
        }
    }

    fn store(&mut self, place: &Place, value: f64, frame: &mut Frame) -> Result<(), RunError> {
        let i = frame.instance;
        let missing = || invalid(format!("{place:?} is out of range"));
        let slot: &mut f64 = match place {
            Place::Field(id, index) => {
                let column = self.field_column(*id, index, frame)?;
                return if self.data.set_value(column, i, value) {
                    Ok(())
                } else {
                    Err(missing())
                };
            }
            Place::Global(g) => self
                .data
                .globals_mut()
                .get_mut(g.index())
                .ok_or_else(missing)?,
            Place::Local(l) => frame.locals.get_mut(l.index()).ok_or_else(missing)?,
            Place::Node(which) => {
                let node = self.node(i)?;
                self.env
                    .nodes
                    .array_mut(*which)
                    .get_mut(node)
                    .ok_or_else(missing)?
            }
            Place::GlobalArray(id, index) => {
                let k = self.array_element(*id, index, frame)?;
                self.data
                    .global_array_mut(*id)
                    .and_then(|a| a.get_mut(k))
                    .ok_or_else(missing)?
            }
            Place::Ion(_, name) => {
                let node = self.node(i)?;
                self.env
                    .nodes
                    .ions
                    .get_mut(name)
                    .and_then(|a| a.get_mut(node))
                    .ok_or_else(missing)?
            }
            Place::Shared(s) => shared_mut(self.env, *s),
            Place::NetArg(k) => self
                .env
                .event
                .as_mut()
                .and_then(|e| e.args.get_mut(*k))
                .ok_or_else(missing)?,
        };
        *slot = value;
        Ok(())
    }
}

fn shared(env: &Env<'_>, s: SharedVar) -> f64 {
    match s {
        SharedVar::T => env.shared.t,
        SharedVar::Dt => env.shared.dt,
        SharedVar::Celsius => env.shared.celsius,
        SharedVar::Flag => env.shared.flag,
    }
}

fn shared_mut<'s>(env: &'s mut Env<'_>, s: SharedVar) -> &'s mut f64 {
    match s {
        SharedVar::T => &mut env.shared.t,
        SharedVar::Dt => &mut env.shared.dt,
        SharedVar::Celsius => &mut env.shared.celsius,
        SharedVar::Flag => &mut env.shared.flag,
    }
}
