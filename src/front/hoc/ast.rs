//! The spanned syntax tree of a hoc file: templates, procs and the
//! statements and expressions inside them.

use crate::diag::Span;

/// A name with its place.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is written.
    pub span: Span,
}

/// A whole `.hoc` file.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// `begintemplate ... endtemplate` blocks, in file order.
    pub templates: Vec<Template>,
    /// Statements outside any template (not executed).
    pub top: Vec<Stmt>,
}

/// One `begintemplate Name ... endtemplate Name`.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// Its name.
    pub name: Ident,
    /// Statements of its body, procs and funcs included.
    pub body: Vec<Stmt>,
    /// From `begintemplate` to the end of `endtemplate Name`.
    pub span: Span,
}

/// A section named in a statement: `soma`, `dend[i+1]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SecRef {
    /// The section (array) name.
    pub name: Ident,
    /// Index into a section array.
    pub index: Option<Expr>,
    /// The whole reference.
    pub span: Span,
}

/// A statement and its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What it is.
    pub kind: StmtKind,
    /// Its text.
    pub span: Span,
}

/// Assignment operators.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AssignOp {
    /// `=`
    Set,
    /// `+=`
    Add,
    /// `-=`
    Sub,
    /// `*=`
    Mul,
    /// `/=`
    Div,
}

/// A name declared with a size: `dend[3]`, `x[n][2]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    /// The name.
    pub name: Ident,
    /// Sizes of each dimension (empty for a scalar).
    pub dims: Vec<Expr>,
}

/// What a `forsec` iterates over.
#[derive(Clone, Debug, PartialEq)]
pub enum ForsecWhat {
    /// Sections whose name matches a regular expression.
    Pattern(Expr),
    /// The sections of a `SectionList`.
    List(Expr),
}

/// The second point of `connect child(x), parent(y)`.
#[derive(Clone, Debug, PartialEq)]
pub enum ConnectTo {
    /// `parent(y)`.
    Section(SecRef, Expr),
    /// `y` on the currently accessed section.
    Here(Expr),
}

/// `connect child(x), parent(y)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Connect {
    /// The child section (`None`: the accessed one).
    pub child: Option<SecRef>,
    /// The end of the child that connects.
    pub child_x: Option<Expr>,
    /// Where it connects.
    pub to: ConnectTo,
}

/// Statements.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect (a call).
    Expr(Expr),
    /// `target op value`.
    Assign {
        /// What is assigned (a name, element, range variable or member).
        target: Expr,
        /// `=`, `+=`, ...
        op: AssignOp,
        /// The value.
        value: Expr,
    },
    /// `{ ... }`
    Block(Vec<Stmt>),
    /// `if (cond) then else otherwise`
    If {
        /// Condition.
        cond: Expr,
        /// Taken when nonzero.
        then: Box<Stmt>,
        /// Taken when zero.
        otherwise: Option<Box<Stmt>>,
    },
    /// `while (cond) body`
    While {
        /// Condition.
        cond: Expr,
        /// Body.
        body: Box<Stmt>,
    },
    /// `for var = from, to body` (both bounds included).
    ForRange {
        /// Loop variable.
        var: Ident,
        /// First value.
        from: Expr,
        /// Last value (included).
        to: Expr,
        /// Body.
        body: Box<Stmt>,
    },
    /// `for (init; cond; step) body`
    ForC {
        /// Run once first.
        init: Option<Box<Stmt>>,
        /// Checked before every pass.
        cond: Option<Expr>,
        /// Run after every pass.
        step: Option<Box<Stmt>>,
        /// Body.
        body: Box<Stmt>,
    },
    /// `for (x) body` (ends included) or `for (x, 0) body` (centers only).
    ForX {
        /// The position variable.
        var: Ident,
        /// Only segment centers.
        interior: bool,
        /// Body.
        body: Box<Stmt>,
    },
    /// `return` with an optional value.
    Return(Option<Expr>),
    /// `break`
    Break,
    /// `continue`
    Continue,
    /// `create a, b[n]`
    Create(Vec<Decl>),
    /// `double x[n]`
    Double(Vec<Decl>),
    /// `objref a, b` / `objectvar`
    Objref(Vec<Decl>),
    /// `strdef s`
    Strdef(Vec<Ident>),
    /// `public a, b`
    Public(Vec<Ident>),
    /// `external a, b`
    External(Vec<Ident>),
    /// `local a, b` (in a proc or func)
    Local(Vec<Ident>),
    /// `localobj a, b`
    LocalObj(Vec<Ident>),
    /// `proc name() { ... }` or `func name() { ... }`
    Proc {
        /// Its name.
        name: Ident,
        /// `func` (returns a value) rather than `proc`.
        is_func: bool,
        /// Body.
        body: Vec<Stmt>,
    },
    /// `insert mech`
    Insert(Ident),
    /// `uninsert mech`
    Uninsert(Ident),
    /// `connect child(x), parent(y)`
    Connect(Box<Connect>),
    /// `access sec`
    Access(SecRef),
    /// `sec statement`: run the statement with `sec` accessed.
    OnSection {
        /// The section.
        sec: SecRef,
        /// The statement.
        body: Box<Stmt>,
    },
    /// `forall statement`
    Forall(Box<Stmt>),
    /// `forsec "regex" statement` / `forsec list statement`
    Forsec {
        /// Which sections.
        what: ForsecWhat,
        /// Body.
        body: Box<Stmt>,
    },
    /// `ifsec "regex" statement`
    Ifsec {
        /// Pattern.
        pattern: Expr,
        /// Body.
        body: Box<Stmt>,
    },
    /// `print a, b` (prints nothing in nmc).
    Print(Vec<Expr>),
    /// A statement hoc has but nmc does not run (`iterator`, `stop`, ...).
    Unsupported(String),
    /// `;` or an empty line.
    Empty,
}

/// An expression and its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its text.
    pub span: Span,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `^`
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

/// Expressions.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
    /// `$1`, `$s1`, `$o1`.
    Arg(char, u32),
    /// `name`, `name[i]`, `name(args)`, `name[i](args)`.
    Name {
        /// The name.
        name: Ident,
        /// Indexes (`x[i][j]`).
        index: Vec<Expr>,
        /// Call or position arguments.
        args: Option<Vec<Expr>>,
    },
    /// `base.member`, `base.member(args)`, `base.member[i]`.
    Member {
        /// The object or section.
        base: Box<Expr>,
        /// The member.
        member: Ident,
        /// Indexes.
        index: Vec<Expr>,
        /// Call or position arguments.
        args: Option<Vec<Expr>>,
    },
    /// `new Class(args)`
    New {
        /// The class.
        class: Ident,
        /// Arguments.
        args: Vec<Expr>,
    },
    /// `-a`
    Neg(Box<Expr>),
    /// `!a`
    Not(Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
}
