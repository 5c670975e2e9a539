//! The mechanism IR: what every back end (Cranelift JIT, interpreter)
//! consumes. One [`Mechanism`] is a structure-of-arrays field layout plus
//! kernels written as typed statements over those fields.
//!
//! Conventions that follow NEURON so numbers can match:
//! - `v` and ion variables (`ena`, `cai`, ...) are per-instance fields; a
//!   kernel starts by copying them in from the node/ion arrays
//!   ([`Place::Node`], [`Place::Ion`]) and ends by accumulating written ion
//!   currents back, as the C that nocmodl writes does.
//! - The `current` kernel evaluates the BREAKPOINT body twice, at v + 0.001
//!   and at v, and takes g = di/dv numerically; point-process currents are
//!   scaled by 100/area into mA/cm2.
//! - FUNCTION and PROCEDURE bodies are [`Function`]s that kernels call; they
//!   see the calling instance's fields.

mod ids;
pub mod interface;
pub mod opt;
pub mod print;
pub mod solve;
pub mod valid;

use crate::diag::Span;

pub use ids::{FieldId, FuncId, GlobalId, IdVec, IonId, LocalId};

/// One compiled mechanism.
#[derive(Clone, Debug, PartialEq)]
pub struct Mechanism {
    /// SUFFIX / POINT_PROCESS / ARTIFICIAL_CELL name.
    pub name: String,
    /// Density, point process or artificial cell.
    pub kind: MechKind,
    /// Ions used, in declaration order.
    pub ions: Vec<IonUse>,
    /// Per-instance values, one SoA array each (arrays `x[n]` take n slots).
    pub fields: Vec<Field>,
    /// Values shared by all instances (GLOBAL, CONSTANT, UNITS constants).
    pub globals: Vec<Global>,
    /// NET_RECEIVE argument names (the first is the weight); per connection.
    pub net_receive_args: Vec<String>,
    /// The kernels.
    pub kernels: Vec<Kernel>,
    /// FUNCTION and PROCEDURE bodies.
    pub functions: Vec<Function>,
    /// Mechanism-wide arrays (e.g. TABLE lookup tables), see [`Place::GlobalArray`].
    pub global_arrays: Vec<GlobalArray>,
    /// WATCH conditions as values, activated by [`Stmt::WatchOn`]: a
    /// condition holds when its value is above 0 (`a > b` is `a - b`); the
    /// engine evaluates the active ones each step and delivers a
    /// self-event when one turns positive.
    pub watches: Vec<Expr>,
    /// FUNCTION_TABLE names; their values are supplied at run time.
    pub function_tables: Vec<String>,
    /// RANDOM stream names (NEURON 9 random streams), one stream per
    /// instance each; the `Random*` builtins take the stream's index here
    /// as their first argument.
    pub randoms: Vec<String>,
}

impl Mechanism {
    /// The id of the field called `name`.
    pub fn field_id(&self, name: &str) -> Option<FieldId> {
        self.fields
            .iter()
            .position(|f| f.name == name)
            .map(FieldId::new)
    }

    /// The field of `id`, if the mechanism has it.
    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.get(id.index())
    }

    /// Every field with its id, in order.
    pub fn fields_with_ids(&self) -> impl DoubleEndedIterator<Item = (FieldId, &Field)> {
        self.fields
            .iter()
            .enumerate()
            .map(|(k, f)| (FieldId::new(k), f))
    }

    /// The global of `id`, if the mechanism has it.
    pub fn global(&self, id: GlobalId) -> Option<&Global> {
        self.globals.get(id.index())
    }

    /// The function of `id`, if the mechanism has it.
    pub fn function(&self, id: FuncId) -> Option<&Function> {
        self.functions.get(id.index())
    }

    /// The ion of `id`, if the mechanism uses it.
    pub fn ion(&self, id: IonId) -> Option<&IonUse> {
        self.ions.get(id.index())
    }

    /// Every field's id, in order.
    pub fn field_ids(&self) -> impl DoubleEndedIterator<Item = FieldId> + ExactSizeIterator {
        FieldId::all(self.fields.len())
    }
}

/// A mechanism-wide array of values (lookup tables).
#[derive(Clone, Debug, PartialEq)]
pub struct GlobalArray {
    /// Name for printing.
    pub name: String,
    /// Number of elements.
    pub len: usize,
}

/// The three kinds of mechanism NEURON knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MechKind {
    /// Distributed over membrane area (`SUFFIX`); currents in mA/cm2.
    Density,
    /// Located at one point (`POINT_PROCESS`); currents in nA.
    PointProcess,
    /// Not in the cable equation at all (`ARTIFICIAL_CELL`).
    ArtificialCell,
}

/// An ion a mechanism reads or writes.
#[derive(Clone, Debug, PartialEq)]
pub struct IonUse {
    /// Ion name (`na`, `k`, `ca`, or a pseudo-ion such as `leak`).
    pub name: String,
    /// Ion variables read (`ena`, `cai`).
    pub read: Vec<String>,
    /// Ion variables written (`ina`, `cai`).
    pub write: Vec<String>,
    /// VALENCE, if given.
    pub valence: Option<f64>,
}

/// What a field holds, which decides who sets it.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// PARAMETER with RANGE visibility; `default` is its initial value.
    Parameter,
    /// ASSIGNED (computed by the mechanism).
    Assigned,
    /// STATE (integrated by the state kernel).
    State,
    /// The membrane potential at the instance's node, copied in by kernels.
    Voltage,
    /// An ion variable copied in from (read) or out to (write) the ion arrays.
    Ion {
        /// Which ion.
        ion: IonId,
    },
    /// A POINTER: a reference to another model's variable, set by the engine.
    Pointer,
}

/// One per-instance SoA array.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Name as in the source.
    pub name: String,
    /// Role.
    pub kind: FieldKind,
    /// Declared unit text, if any.
    pub unit: Option<String>,
    /// Default value for new instances.
    pub default: f64,
    /// Array length (1 for scalars).
    pub len: usize,
    /// Settable from outside (RANGE, or PARAMETER of a point process).
    pub range: bool,
}

/// One mechanism-wide value.
#[derive(Clone, Debug, PartialEq)]
pub struct Global {
    /// Name as in the source.
    pub name: String,
    /// Value before any user change.
    pub default: f64,
    /// Declared unit text, if any.
    pub unit: Option<String>,
    /// False for CONSTANT and UNITS constants.
    pub settable: bool,
}

/// Which kernel a body is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelKind {
    /// INITIAL (runs at finitialize, after v is set).
    Init,
    /// BREAKPOINT minus SOLVE: currents and conductances into the matrix.
    Current,
    /// The SOLVE blocks, solved: advances states by dt.
    State,
    /// NET_RECEIVE: one event for one instance.
    NetReceive,
    /// The INITIAL block inside NET_RECEIVE: runs once per connection.
    NetReceiveInit,
    /// A `BEFORE` block.
    Before(Phase),
    /// An `AFTER` block.
    After(Phase),
}

/// When a BEFORE/AFTER block runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Around the current computation.
    Breakpoint,
    /// Around the state update.
    Solve,
    /// Around INITIAL.
    Initial,
    /// Around the whole time step.
    Step,
}

/// One kernel: a body run for every instance (or, for NET_RECEIVE, for the
/// instance that receives an event).
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// Which kernel.
    pub kind: KernelKind,
    /// Local variables (names for printing).
    pub locals: Vec<String>,
    /// The statements.
    pub body: Vec<Stmt>,
}

/// A FUNCTION (returns a value) or PROCEDURE (returns 0).
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// Name as in the source.
    pub name: String,
    /// Parameter locals are `0..params`.
    pub params: usize,
    /// Locals including parameters; the return value is the local `result`.
    pub locals: Vec<String>,
    /// The local holding the result (FUNCTION assigns its own name).
    pub result: LocalId,
    /// The statements.
    pub body: Vec<Stmt>,
    /// True for FUNCTION, false for PROCEDURE.
    pub returns_value: bool,
}

/// Where a value lives.
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    /// A per-instance field; `index` for array fields.
    Field(FieldId, Option<Box<Expr>>),
    /// A mechanism-wide global.
    Global(GlobalId),
    /// A local of the current body.
    Local(LocalId),
    /// A per-node engine array at this instance's node.
    Node(NodeArray),
    /// An element of a mechanism-wide array.
    GlobalArray(usize, Box<Expr>),
    /// A per-node ion array at this instance's node, e.g. (`na`, `ena`).
    Ion(IonId, String),
    /// A value the engine shares with every kernel.
    Shared(SharedVar),
    /// The k-th NET_RECEIVE argument of the connection being delivered.
    NetArg(usize),
}

/// Per-node arrays of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeArray {
    /// Membrane potential (mV).
    V,
    /// Right-hand side of the cable matrix (accumulates -i, mA/cm2).
    Rhs,
    /// Diagonal of the cable matrix (accumulates di/dv, S/cm2).
    Diag,
    /// Node membrane area (um2).
    Area,
    /// Section diameter at the node (um).
    Diam,
}

/// Scalars every kernel can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SharedVar {
    /// Simulation time (ms); in NET_RECEIVE the event's delivery time.
    T,
    /// Time step (ms).
    Dt,
    /// Temperature (degC).
    Celsius,
    /// NET_RECEIVE flag (0 for NetCon events).
    Flag,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `place = value`.
    Assign(Place, Expr),
    /// `place += value` (accumulating into node and ion arrays).
    Accumulate(Place, Expr),
    /// Two-way branch.
    If {
        /// Condition (non-zero is true).
        cond: Expr,
        /// Taken when true.
        then: Vec<Stmt>,
        /// Taken when false.
        otherwise: Vec<Stmt>,
    },
    /// `while (cond) body`.
    While {
        /// Condition.
        cond: Expr,
        /// Body.
        body: Vec<Stmt>,
    },
    /// Evaluate an expression for its effect (a PROCEDURE call).
    Eval(Expr),
    /// Leave the kernel or function now (the VERBATIM `return;` idiom).
    Return,
    /// `net_send(delay, flag)`: a self-event to this instance.
    NetSend {
        /// Delay from now (ms).
        delay: Expr,
        /// Flag delivered with the event.
        flag: Expr,
    },
    /// `net_event(t)`: this artificial cell or synapse fires at t.
    NetEvent(Expr),
    /// `net_move(t)`: move the pending self-event to t.
    NetMove(Expr),
    /// `printf(format, args...)`.
    Print {
        /// The C format string.
        format: String,
        /// Values for the `%` conversions.
        args: Vec<Expr>,
    },
    /// `WATCH (cond) flag`: activate watch `id` of [`Mechanism::watches`].
    WatchOn {
        /// Index into the mechanism's watches.
        id: usize,
        /// Flag of the self-event delivered when the condition turns true.
        flag: Expr,
    },
    /// `~ lhs = rhs` of a LINEAR/NONLINEAR block before solving.
    Equation {
        /// Left side.
        lhs: Expr,
        /// Right side.
        rhs: Expr,
        /// The equation in the source.
        span: Span,
    },
    /// `SOLVE block METHOD m` (or `STEADYSTATE m`) before solving: `body` is
    /// the named block, lowered; the `solve` pass replaces this statement
    /// with explicit update statements.
    Solve {
        /// How to solve it.
        method: SolveMethod,
        /// The block's statements (with `Ode`, `Reaction`, `Conserve`, `Equation`).
        body: Vec<Stmt>,
        /// The block's `SOLVEFOR` unknowns (empty: all STATEs it mentions).
        solvefor: Vec<Place>,
        /// The SOLVE statement in the source.
        span: Span,
    },
    /// `TABLE outputs DEPEND depend FROM from TO to WITH with` at the start of
    /// a FUNCTION/PROCEDURE body before the table pass.
    Table {
        /// Values tabulated (empty: the FUNCTION's own result).
        outputs: Vec<Place>,
        /// Values whose change forces a rebuild.
        depend: Vec<Place>,
        /// Lowest argument.
        from: Expr,
        /// Highest argument.
        to: Expr,
        /// Number of intervals.
        with: usize,
        /// The TABLE statement in the source.
        span: Span,
    },
    /// `x' = rhs` before solving; `solve` replaces it by an update.
    Ode {
        /// The state.
        state: Place,
        /// The time derivative.
        rhs: Expr,
        /// The equation in the source.
        span: Span,
    },
    /// A KINETIC reaction before solving; `solve` turns reactions into ODEs.
    Reaction(Reaction),
    /// `CONSERVE sum = total` before solving.
    Conserve {
        /// `(coefficient, state)` terms of the sum.
        terms: Vec<(f64, Place)>,
        /// The total.
        total: Expr,
        /// The CONSERVE statement in the source.
        span: Span,
    },
}

/// A KINETIC reaction `lhs <-> rhs (forward, backward)`; a flux `~ x << (f)`
/// has one lhs term, no rhs terms, `forward` = f and no backward rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    /// `(stoichiometry, state)` on the left.
    pub lhs: Vec<(u32, Place)>,
    /// `(stoichiometry, state)` on the right.
    pub rhs: Vec<(u32, Place)>,
    /// Forward rate (or flux).
    pub forward: Expr,
    /// Backward rate, absent for `->` and `<<`.
    pub backward: Option<Expr>,
    /// True for `<<` (an explicit flux).
    pub flux: bool,
    /// COMPARTMENT volume factor per state, if declared.
    pub volumes: Vec<(Place, Expr)>,
    /// The reaction in the source.
    pub span: Span,
}

/// Integration methods of SOLVE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SolveMethod {
    /// Exact exponential step for ODEs linear in their own state.
    Cnexp,
    /// Backward Euler with Newton iterations.
    Derivimplicit,
    /// Forward Euler.
    Euler,
    /// Classical fourth-order Runge-Kutta (scopmath's `runge`).
    Runge,
    /// KINETIC schemes: backward Euler on the reaction ODEs, Newton solve.
    Sparse,
    /// `STEADYSTATE sparse`: the kinetic scheme's steady state.
    SteadyStateSparse,
    /// `STEADYSTATE derivimplicit`: the ODEs' steady state.
    SteadyStateDerivimplicit,
    /// LINEAR block: solve the linear system.
    Linear,
    /// NONLINEAR block: Newton's method.
    NonLinear,
    /// `SOLVE proc` naming a PROCEDURE (called every step) or no method.
    Procedure,
}

/// An expression; every value is an f64.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A constant.
    Const(f64),
    /// The value at a place.
    Load(Place),
    /// `-x` or `!x`.
    Unary(UnOp, Box<Expr>),
    /// `a op b`; comparisons and logic give 1.0 or 0.0.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A math function from libm.
    Math(MathFn, Vec<Expr>),
    /// A call to a FUNCTION or PROCEDURE of this mechanism.
    Call(FuncId, Vec<Expr>),
    /// A function the engine provides (random numbers).
    Builtin(Builtin, Vec<Expr>),
    /// A FUNCTION_TABLE lookup (index into [`Mechanism::function_tables`]).
    FunctionTable(usize, Vec<Expr>),
}

/// Functions provided by the engine rather than libm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `normrand(mean, sd)`.
    NormRand,
    /// `exprand(mean)`.
    ExpRand,
    /// `unirand()` in [0, 1).
    UniRand,
    /// `scop_random()` in [0, 1).
    ScopRandom,
    /// `set_seed(seed)`: restarts the engine's random stream from `seed`
    /// (value 0).
    SetSeed,
    /// `random_uniform(r)` in (0, 1), or `random_uniform(r, a, b)`.
    RandomUniform,
    /// `random_negexp(r)` (mean 1) or `random_negexp(r, mean)`.
    RandomNegexp,
    /// `random_normal(r)` (0, 1) or `random_normal(r, mean, sd)`.
    RandomNormal,
    /// `random_ipick(r)`: the next 32-bit word as a number.
    RandomIpick,
    /// `random_dpick(r)`: the same double as `random_uniform(r)`.
    RandomDpick,
    /// `random_setseq(r, x)`: sequence and word from x = seq * 4 + word.
    RandomSetseq,
    /// `random_setids(r, id1, id2, id3)`.
    RandomSetids,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// Negation.
    Neg,
    /// Logical not (1 when the operand is 0).
    Not,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^` (pow)
    Pow,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `&&`
    And,
    /// `||`
    Or,
}

/// Math functions the back ends provide (from libm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MathFn {
    /// e^x
    Exp,
    /// natural log
    Log,
    /// base-10 log
    Log10,
    /// square root
    Sqrt,
    /// absolute value
    Fabs,
    /// x^y
    Pow,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// tangent
    Tan,
    /// hyperbolic tangent
    Tanh,
    /// hyperbolic sine
    Sinh,
    /// hyperbolic cosine
    Cosh,
    /// arc sine
    Asin,
    /// arc cosine
    Acos,
    /// arc tangent
    Atan,
    /// two-argument arc tangent
    Atan2,
    /// floor
    Floor,
    /// ceiling
    Ceil,
    /// floating remainder
    Fmod,
    /// smaller of two
    Fmin,
    /// larger of two
    Fmax,
}
