//! The NMODL syntax tree. Every node carries the [`Span`] it was parsed from,
//! so later passes can point at the exact source text. The tree keeps what
//! the user wrote (including unit annotations); it is not yet typed or solved.

use crate::diag::Span;

/// A name as written, with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name (NMODL names are case-sensitive).
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// A unit as written between parentheses, e.g. `mA/cm2` from `(mA/cm2)`.
/// The `units` module gives it meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitText {
    /// The text inside the parentheses, trimmed (`/mV`, `1`, `degC`).
    pub text: String,
    /// Span of the text including the parentheses.
    pub span: Span,
}

/// A numeric literal with its source text (kept for exact printing).
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    /// The value.
    pub value: f64,
    /// The literal as written (`1e-4`, `.5`).
    pub text: String,
    /// Where it was written.
    pub span: Span,
}

/// A whole `.mod` file, with INCLUDEd files spliced in place.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// Top-level items in source order.
    pub items: Vec<Item>,
    /// The whole file.
    pub span: Span,
}

/// A top-level item with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What the item is.
    pub kind: ItemKind,
    /// From the keyword to the closing brace.
    pub span: Span,
}

/// The kinds of top-level items (blocks) of NMODL.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    /// `TITLE text to end of line`.
    Title(String),
    /// `DEFINE NAME 4`: an integer constant usable as an array size.
    Define {
        /// The defined name.
        name: Ident,
        /// Its value.
        value: Number,
    },
    /// `INCLUDE "file"`. The included file's items follow this item directly
    /// in [`Module::items`]; `resolved` says whether it was found.
    Include {
        /// The path as written.
        path: String,
        /// Whether the file was found and parsed.
        resolved: bool,
    },
    /// `NEURON { ... }`: the mechanism's interface to NEURON.
    Neuron(Vec<NeuronStmt>),
    /// `UNITS { ... }`: named units and physical constants.
    Units(Vec<UnitDef>),
    /// PARAMETER, CONSTANT, ASSIGNED, STATE, INDEPENDENT or DEPEND declarations.
    Declare {
        /// Which declaration block.
        kind: DeclKind,
        /// The declarations in it.
        decls: Vec<VarDecl>,
    },
    /// `INITIAL { ... }`.
    Initial(Block),
    /// `BREAKPOINT { ... }`.
    Breakpoint(Block),
    /// `DERIVATIVE`, `KINETIC`, `LINEAR`, `NONLINEAR` or `DISCRETE` named blocks.
    Solvable {
        /// Which kind of equation block.
        kind: SolvableKind,
        /// Its name, referred to by SOLVE.
        name: Ident,
        /// `SOLVEFOR a, b`: the unknowns of a LINEAR/NONLINEAR block (empty:
        /// every STATE its equations mention).
        solvefor: Vec<Ident>,
        /// Its body.
        body: Block,
    },
    /// `PROCEDURE name(args) { ... }`.
    Procedure(FuncDef),
    /// `FUNCTION name(args) (unit) { ... }`.
    Function(FuncDef),
    /// `FUNCTION_TABLE name(args) (unit)`: a function whose values are
    /// supplied from hoc/Python at run time.
    FunctionTable {
        /// Its name.
        name: Ident,
        /// Arguments with optional units.
        params: Vec<Param>,
        /// Return unit.
        unit: Option<UnitText>,
    },
    /// `NET_RECEIVE (w, ...) { ... }`.
    NetReceive {
        /// Per-connection arguments (the first is the weight).
        params: Vec<Param>,
        /// Body; may contain a nested `INITIAL` statement.
        body: Block,
    },
    /// `BEFORE BREAKPOINT { ... }` and similar.
    Before {
        /// BREAKPOINT, SOLVE, INITIAL or STEP.
        when: Ident,
        /// Body.
        body: Block,
    },
    /// `AFTER SOLVE { ... }` and similar.
    After {
        /// BREAKPOINT, SOLVE, INITIAL or STEP.
        when: Ident,
        /// Body.
        body: Block,
    },
    /// `CONSTRUCTOR { ... }` (almost always VERBATIM C).
    Constructor(Block),
    /// `DESTRUCTOR { ... }`.
    Destructor(Block),
    /// Top-level `VERBATIM ... ENDVERBATIM` C code.
    Verbatim(String),
    /// Top-level `UNITSOFF`: unit checking off until UNITSON.
    UnitsOff,
    /// Top-level `UNITSON`.
    UnitsOn,
}

/// The declaration blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclKind {
    /// `PARAMETER`: set by the user, constant during a run.
    Parameter,
    /// `CONSTANT`: fixed by the model.
    Constant,
    /// `ASSIGNED`: computed by the mechanism or supplied by NEURON (v, ena, ...).
    Assigned,
    /// `STATE`: integrated by SOLVE blocks.
    State,
    /// `INDEPENDENT`: the independent variable (t), with FROM/TO/WITH.
    Independent,
    /// `DEPEND`: legacy dependent variables.
    Depend,
}

/// One declared variable, e.g. `gbar = 0.1 (S/cm2) <0, 1e9>` or `x[4] (mM)`.
#[derive(Clone, Debug, PartialEq)]
pub struct VarDecl {
    /// The variable's name.
    pub name: Ident,
    /// Array length for `x[4]` (a number or a DEFINE'd name).
    pub array: Option<ArrayLen>,
    /// Default value (`= 0.1`).
    pub value: Option<Number>,
    /// Declared unit.
    pub unit: Option<UnitText>,
    /// `<lo, hi>` limits.
    pub limits: Option<(Number, Number)>,
    /// `FROM a TO b WITH n` (INDEPENDENT, some STATE/PARAMETER forms).
    pub from_to: Option<FromToWith>,
    /// `START v` (STATE initial value, legacy).
    pub start: Option<Number>,
    /// The whole declaration.
    pub span: Span,
}

/// An array length.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayLen {
    /// A literal length.
    Number(Number),
    /// A DEFINE'd name.
    Name(Ident),
}

/// `FROM a TO b WITH n` in a declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct FromToWith {
    /// Lower bound.
    pub from: Number,
    /// Upper bound.
    pub to: Number,
    /// Number of intervals.
    pub with: Option<Number>,
}

/// Equation blocks that SOLVE can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SolvableKind {
    /// `DERIVATIVE`: `x' = f(x)`.
    Derivative,
    /// `KINETIC`: reaction schemes.
    Kinetic,
    /// `LINEAR`: linear algebraic system.
    Linear,
    /// `NONLINEAR`: nonlinear algebraic system.
    NonLinear,
    /// `DISCRETE`: difference equations (legacy).
    Discrete,
}

/// One line of a UNITS block.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitDef {
    /// What is defined.
    pub kind: UnitDefKind,
    /// The whole line.
    pub span: Span,
}

/// The forms a UNITS definition takes.
#[derive(Clone, Debug, PartialEq)]
pub enum UnitDefKind {
    /// `(mV) = (millivolt)`: a new unit name.
    Alias {
        /// The new name (text inside the first parentheses).
        name: UnitText,
        /// What it means.
        unit: UnitText,
    },
    /// `FARADAY = (faraday) (coulomb)` or `PI = (pi) (1)` or
    /// `FARADAY = 96485.3 (coulomb)`: a named constant.
    Constant {
        /// The constant's name.
        name: Ident,
        /// A physical constant given as a unit (`(faraday)`), if so.
        factor: Option<UnitText>,
        /// A literal value, if so.
        value: Option<Number>,
        /// The unit the constant is expressed in.
        unit: Option<UnitText>,
    },
}

/// A statement of the NEURON block.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronStmt {
    /// What it declares.
    pub kind: NeuronStmtKind,
    /// The whole statement.
    pub span: Span,
}

/// The statements of the NEURON block.
#[derive(Clone, Debug, PartialEq)]
pub enum NeuronStmtKind {
    /// `SUFFIX name`: a density mechanism.
    Suffix(Ident),
    /// `POINT_PROCESS Name`.
    PointProcess(Ident),
    /// `ARTIFICIAL_CELL Name`.
    ArtificialCell(Ident),
    /// `USEION na READ ena WRITE ina VALENCE 1`.
    UseIon {
        /// Ion name.
        ion: Ident,
        /// Variables read.
        read: Vec<Ident>,
        /// Variables written.
        write: Vec<Ident>,
        /// Valence, if given.
        valence: Option<Number>,
    },
    /// `RANGE a, b`.
    Range(Vec<Ident>),
    /// `GLOBAL a, b`.
    Global(Vec<Ident>),
    /// `NONSPECIFIC_CURRENT i`.
    NonspecificCurrent(Vec<Ident>),
    /// `ELECTRODE_CURRENT i`.
    ElectrodeCurrent(Vec<Ident>),
    /// `POINTER p`.
    Pointer(Vec<Ident>),
    /// `BBCOREPOINTER p`.
    BbcorePointer(Vec<Ident>),
    /// `EXTERNAL a`.
    External(Vec<Ident>),
    /// `THREADSAFE` (optionally with names).
    ThreadSafe(Vec<Ident>),
    /// `RANDOM r` (NEURON 9 random streams).
    Random(Vec<Ident>),
    /// `REPRESENTS ontology-id`.
    Represents(String),
}

/// Formal parameter of a FUNCTION, PROCEDURE or NET_RECEIVE: `v (mV)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Its name.
    pub name: Ident,
    /// Its unit.
    pub unit: Option<UnitText>,
    /// The whole parameter.
    pub span: Span,
}

/// A FUNCTION or PROCEDURE definition.
#[derive(Clone, Debug, PartialEq)]
pub struct FuncDef {
    /// Its name.
    pub name: Ident,
    /// Its formal parameters.
    pub params: Vec<Param>,
    /// Return unit (functions only).
    pub unit: Option<UnitText>,
    /// The body. A function returns by assigning to its own name.
    pub body: Block,
}

/// `{ statements }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// The statements.
    pub stmts: Vec<Stmt>,
    /// From `{` to `}`.
    pub span: Span,
}

/// A statement with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What the statement does.
    pub kind: StmtKind,
    /// The whole statement.
    pub span: Span,
}

/// Statements inside blocks.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `LOCAL a, b[3]`.
    Local(Vec<LocalDecl>),
    /// `x = e` or `x[i] = e`; `protect` for `PROTECT x = e`.
    Assign {
        /// The assigned variable.
        target: LValue,
        /// The value.
        value: Expr,
        /// Written as `PROTECT x = e` (atomic update).
        protect: bool,
    },
    /// `x' = e` (or `x'' = e`): a differential equation.
    Derivative {
        /// The state (possibly indexed).
        target: LValue,
        /// Number of primes.
        order: u8,
        /// Right-hand side.
        value: Expr,
    },
    /// An expression evaluated for its effect, e.g. `rates(v)` or `net_send(0, 1)`.
    Expr(Expr),
    /// `if (c) { } else if (c) { } else { }`.
    If {
        /// The condition.
        cond: Expr,
        /// The block taken when true.
        then: Block,
        /// `else if` arms in order.
        else_ifs: Vec<(Expr, Block)>,
        /// The final `else` block.
        otherwise: Option<Block>,
    },
    /// `while (c) { }`.
    While {
        /// The condition.
        cond: Expr,
        /// The body.
        body: Block,
    },
    /// `FROM i = a TO b BY s { }`.
    FromTo {
        /// The loop variable.
        var: Ident,
        /// First value.
        from: Expr,
        /// Last value (inclusive).
        to: Expr,
        /// Step, default 1.
        by: Option<Expr>,
        /// The body.
        body: Block,
    },
    /// `SOLVE name METHOD m` / `SOLVE name STEADYSTATE m` / `SOLVE name`.
    Solve {
        /// The block solved.
        block: Ident,
        /// `METHOD m`.
        method: Option<Ident>,
        /// `STEADYSTATE m`.
        steadystate: Option<Ident>,
        /// `IFERROR { }`.
        if_error: Option<Block>,
    },
    /// `~ A + B <-> C (kf, kb)`, `~ A -> B (kf)` or `~ x << (flux)`.
    Reaction(Reaction),
    /// `~ lhs = rhs` in LINEAR/NONLINEAR blocks.
    Equation {
        /// Left side.
        lhs: Expr,
        /// Right side.
        rhs: Expr,
    },
    /// `CONSERVE A + B + C = total`.
    Conserve {
        /// The sum of (coefficient times) states.
        lhs: Expr,
        /// The conserved total.
        rhs: Expr,
    },
    /// `COMPARTMENT i, vol { states }` or `COMPARTMENT vol { states }`;
    /// `LONGITUDINAL_DIFFUSION` has the same shape.
    Compartment {
        /// True for LONGITUDINAL_DIFFUSION.
        longitudinal: bool,
        /// Index variable for array states.
        index: Option<Ident>,
        /// Volume (or diffusion constant) expression.
        volume: Expr,
        /// The states it applies to.
        states: Vec<Ident>,
    },
    /// `TABLE a, b DEPEND c, d FROM lo TO hi WITH n`.
    Table {
        /// The tabulated variables (empty for a FUNCTION's own table).
        names: Vec<Ident>,
        /// Variables the table must be rebuilt for when they change.
        depend: Vec<Ident>,
        /// Lower bound of the argument.
        from: Expr,
        /// Upper bound of the argument.
        to: Expr,
        /// Number of intervals.
        with: Expr,
    },
    /// `WATCH (cond) flag, (cond) flag`.
    Watch(Vec<(Expr, Expr)>),
    /// `INITIAL { }` nested in NET_RECEIVE.
    Initial(Block),
    /// `VERBATIM ... ENDVERBATIM` C code.
    Verbatim(String),
    /// `UNITSOFF`: unit checking off until UNITSON.
    UnitsOff,
    /// `UNITSON`.
    UnitsOn,
    /// `MUTEXLOCK` / `MUTEXUNLOCK` (thread locks; no effect in nmc).
    Mutex {
        /// True for MUTEXLOCK.
        lock: bool,
    },
    /// A bare `{ }` block.
    Block(Block),
    /// `CONDUCTANCE g` or `CONDUCTANCE g USEION na` hint.
    Conductance {
        /// The conductance variable.
        name: Ident,
        /// The ion it is the conductance of.
        ion: Option<Ident>,
    },
}

impl StmtKind {
    /// The blocks nested directly in this statement (an `if`'s branches, a
    /// loop's or `INITIAL`'s body, a `SOLVE`'s `IFERROR`), in source order.
    pub fn nested_blocks(&self) -> Vec<&Block> {
        match self {
            StmtKind::If {
                then,
                else_ifs,
                otherwise,
                ..
            } => std::iter::once(then)
                .chain(else_ifs.iter().map(|(_, b)| b))
                .chain(otherwise)
                .collect(),
            StmtKind::While { body, .. }
            | StmtKind::FromTo { body, .. }
            | StmtKind::Initial(body)
            | StmtKind::Block(body) => vec![body],
            StmtKind::Solve {
                if_error: Some(b), ..
            } => vec![b],
            _ => Vec::new(),
        }
    }
}

/// One name in a LOCAL statement.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalDecl {
    /// The local's name.
    pub name: Ident,
    /// Array length, if an array.
    pub array: Option<ArrayLen>,
}

/// Something that can be assigned to: `x` or `x[i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct LValue {
    /// The variable.
    pub name: Ident,
    /// Index for array elements.
    pub index: Option<Box<Expr>>,
    /// The whole target.
    pub span: Span,
}

/// A KINETIC reaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    /// Left side terms.
    pub lhs: Vec<ReactTerm>,
    /// The arrow and its rates.
    pub kind: ReactionKind,
}

/// A term such as `2 A` or `ca[i]` in a reaction.
#[derive(Clone, Debug, PartialEq)]
pub struct ReactTerm {
    /// Stoichiometric coefficient (default 1).
    pub coeff: u32,
    /// The state.
    pub name: Ident,
    /// Index into an array state.
    pub index: Option<Box<Expr>>,
    /// The whole term.
    pub span: Span,
}

/// The kinds of reaction.
#[derive(Clone, Debug, PartialEq)]
pub enum ReactionKind {
    /// `<-> rhs (kf, kb)`.
    Reversible {
        /// Right side terms.
        rhs: Vec<ReactTerm>,
        /// Forward rate.
        forward: Expr,
        /// Backward rate.
        backward: Expr,
    },
    /// `-> rhs (kf)`; rhs may be empty (`~ A -> (k)` is a sink).
    Forward {
        /// Right side terms.
        rhs: Vec<ReactTerm>,
        /// Rate.
        rate: Expr,
    },
    /// `<< (flux)`: an explicit flux into the left-side state.
    Flux {
        /// Flux expression.
        flux: Expr,
    },
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// The whole expression.
    pub span: Span,
}

/// Expression forms.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal number.
    Number(Number),
    /// A string literal (printf formats, table names).
    Str(String),
    /// A variable.
    Name(Ident),
    /// `x[i]`.
    Index {
        /// The array.
        name: Ident,
        /// The index.
        index: Box<Expr>,
    },
    /// `f(a, b)`.
    Call {
        /// The function.
        name: Ident,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `-e` or `!e`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        operand: Box<Expr>,
    },
    /// `a op b`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// An expression with a unit annotation: `0.062 (/mV)`, `(mg / 3.57 (mM))` has
    /// one inside. Scales nothing; tells the unit checker the expression's unit.
    WithUnit {
        /// The annotated expression.
        expr: Box<Expr>,
        /// The unit.
        unit: UnitText,
    },
    /// `x'` used inside an expression (rare; derivative of a state).
    Prime {
        /// The state.
        name: Ident,
        /// Number of primes.
        order: u8,
    },
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-`.
    Neg,
    /// `!`.
    Not,
}

/// Binary operators, in NMODL's precedence classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `^` (right-associative).
    Pow,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `&&`.
    And,
    /// `||`.
    Or,
}

impl BinaryOp {
    /// The operator as written in NMODL.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }
}
