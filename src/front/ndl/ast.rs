//! The NDL syntax tree: what the user wrote, with a span on every part.
//! Values keep their unit text; meaning (conversion, checks) comes later.

use crate::diag::Span;

/// A name as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The text.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A unit as written after a number (`mV`, `S/cm2`).
#[derive(Clone, Debug, PartialEq)]
pub struct UnitText {
    /// The text.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// A number with an optional unit: `-67 mV`, `1.25/200/3 uS`, `1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    /// The value of the arithmetic before the unit.
    pub value: f64,
    /// Where the number (expression) is.
    pub value_span: Span,
    /// The unit, when one is written.
    pub unit: Option<UnitText>,
    /// The whole quantity.
    pub span: Span,
    /// The arithmetic as a formula, when it names variables (`distance`)
    /// and so is evaluated per connection; `value` is NaN then.
    pub formula: Option<Expr>,
}

/// Arithmetic with variables and function calls: `0.5*exp(-distance/20)`.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number.
    Num(f64),
    /// A variable, such as `distance`.
    Var(Ident),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a op b` with op one of `+ - * /`.
    Bin(char, Box<Expr>, Box<Expr>),
    /// `f(a, b)`.
    Call(Ident, Vec<Expr>),
}

impl Expr {
    /// True when the expression names a variable somewhere.
    pub fn has_vars(&self) -> bool {
        match self {
            Expr::Num(_) => false,
            Expr::Var(_) => true,
            Expr::Neg(e) => e.has_vars(),
            Expr::Bin(_, a, b) => a.has_vars() || b.has_vars(),
            Expr::Call(_, args) => args.iter().any(Expr::has_vars),
        }
    }
}

/// `name(arg, key = arg)`: a rule, a distribution, a placement.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The function's name.
    pub name: Ident,
    /// Arguments in order, each optionally named.
    pub args: Vec<Arg>,
    /// The whole call.
    pub span: Span,
}

/// One argument of a [`Call`].
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    /// `key` of `key = value`, when named.
    pub name: Option<Ident>,
    /// The value.
    pub value: Value,
}

/// `[(x, y, z), ...] unit`.
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    /// The points with their spans.
    pub items: Vec<([f64; 3], Span)>,
    /// The unit written after `]`.
    pub unit: Option<UnitText>,
    /// The whole list.
    pub span: Span,
}

/// `[0]`, `[0..4]` (exclusive end) or `[0..=4]` (inclusive end).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Selector {
    /// First index.
    pub first: u64,
    /// One past the last index (`[3]` is `3..4`).
    pub end: u64,
    /// Where.
    pub span: Span,
}

/// A name with optional selector, member and position:
/// `soma(0.5)`, `Exc[0..4]`, `exc.g`, `all_to_all`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// The leading name.
    pub name: Ident,
    /// `[i]` or `[a..b]`.
    pub selector: Option<Selector>,
    /// `.member`.
    pub member: Option<Ident>,
    /// `(x)` with the span of the number.
    pub position: Option<(f64, Span)>,
    /// The whole reference.
    pub span: Span,
}

/// The right-hand side of `name = value`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `"text"`.
    Str {
        /// The text between the quotes.
        text: String,
        /// Where (including quotes).
        span: Span,
    },
    /// A number with an optional unit.
    Quantity(Quantity),
    /// `[1, 2, 3] ms`.
    List(List),
    /// One or more comma-separated references.
    Refs(Vec<Reference>),
    /// `name(args)`.
    Call(Call),
    /// `[(0, 0, 0), (1, 2, 3)] um`.
    Points(Points),
    /// `from "file" unit`.
    File {
        /// The path as written (relative to the `.ndl` file).
        path: String,
        /// Where the string is.
        path_span: Span,
        /// The unit of the numbers in the file.
        unit: Option<UnitText>,
        /// The whole value.
        span: Span,
    },
}

impl Value {
    /// The span of the whole value.
    pub fn span(&self) -> Span {
        match self {
            Value::Str { span, .. } => *span,
            Value::Quantity(q) => q.span,
            Value::List(l) => l.span,
            Value::Refs(r) => match (r.first(), r.last()) {
                (Some(a), Some(b)) => a.span.to(b.span),
                _ => Span::default(),
            },
            Value::Call(c) => c.span,
            Value::Points(p) => p.span,
            Value::File { span, .. } => *span,
        }
    }
}

/// A bracketed list of numbers sharing one unit.
#[derive(Clone, Debug, PartialEq)]
pub struct List {
    /// The numbers with their spans.
    pub items: Vec<(f64, Span)>,
    /// The unit written after `]`.
    pub unit: Option<UnitText>,
    /// The whole list.
    pub span: Span,
}

/// `name = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assign {
    /// The setting's name.
    pub name: Ident,
    /// Its value.
    pub value: Value,
    /// The whole statement.
    pub span: Span,
}

/// A whole `.ndl` file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// One top-level statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `network name`.
    Network(Ident),
    /// `mechanisms "folder"`.
    Mechanisms {
        /// The folder as written (relative to the `.ndl` file).
        path: String,
        /// Where the string is.
        span: Span,
    },
    /// `use "file.ndl"`: the cell types defined in another file.
    Use {
        /// The file as written (relative to this file).
        path: String,
        /// Where the string is.
        span: Span,
    },
    /// `seed N`: the seed of every random choice the build makes.
    Seed {
        /// The seed.
        value: u64,
        /// Where the number is.
        span: Span,
    },
    /// `node_set name { pop_name = Exc }`.
    NodeSet(NodeSetDef),
    /// `cell Name { ... }`.
    Cell(CellDef),
    /// `population Name = N of CellType`.
    Population(PopulationDef),
    /// `synapse name = Mechanism { ... }`.
    Synapse(SynapseDef),
    /// `input name = spikes [...] ms` or `spikes from "file" ms`.
    Input(InputDef),
    /// `stimulus mech at [cells.]section(x) { ... }`.
    Stimulus(StimulusDef),
    /// `connect source -> target { ... }`.
    Connect(ConnectDef),
    /// `run { ... }`.
    Run(Settings),
    /// `output { ... }`.
    Output(OutputDef),
}

/// A `{ name = value; ... }` block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    /// The assignments in order.
    pub assigns: Vec<Assign>,
    /// The whole block (or the keyword when the block is absent).
    pub span: Span,
}

/// A cell type.
#[derive(Clone, Debug, PartialEq)]
pub struct CellDef {
    /// Its name.
    pub name: Ident,
    /// Sections in source order.
    pub sections: Vec<SectionDef>,
    /// Mechanisms inserted into every section.
    pub inserts: Vec<InsertDef>,
    /// Ion settings for every section.
    pub ions: Vec<IonDef>,
    /// `connect child(0) to parent(x)` statements.
    pub topology: Vec<Topology>,
    /// `from swc "file.swc"`: the sections come from a morphology file,
    /// and each `section` block sets every section of its type.
    pub morphology: Option<MorphologySource>,
    /// `biophysics from "fit.json"` statements.
    pub biophysics: Vec<FileRef>,
    /// Settings of the whole cell (`nseg = dL(20 um)`, `cm`, `Ra`).
    pub properties: Vec<Assign>,
    /// The whole definition.
    pub span: Span,
}

/// `from swc "file.swc"` after a cell's name.
#[derive(Clone, Debug, PartialEq)]
pub struct MorphologySource {
    /// The file format as written (`swc`).
    pub format: Ident,
    /// The file.
    pub file: FileRef,
}

/// A quoted file name (relative to the `.ndl` file that writes it).
#[derive(Clone, Debug, PartialEq)]
pub struct FileRef {
    /// The path as written.
    pub path: String,
    /// Where the string is.
    pub span: Span,
}

/// `section name { L = ...; insert ...; ion ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct SectionDef {
    /// Its name.
    pub name: Ident,
    /// Geometry and passive properties (`L`, `diam`, `nseg`, `cm`, `Ra`).
    pub properties: Vec<Assign>,
    /// Mechanisms inserted into this section only.
    pub inserts: Vec<InsertDef>,
    /// Ion settings for this section only.
    pub ions: Vec<IonDef>,
    /// The whole definition.
    pub span: Span,
}

/// `insert mech { param = value; ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct InsertDef {
    /// The mechanism (SUFFIX) name.
    pub mechanism: Ident,
    /// Parameter values.
    pub params: Settings,
    /// The whole statement.
    pub span: Span,
}

/// `ion na { e = 50 mV }`.
#[derive(Clone, Debug, PartialEq)]
pub struct IonDef {
    /// The ion's name.
    pub ion: Ident,
    /// Values (`e`, `i` and `o` concentrations).
    pub values: Settings,
    /// The whole statement.
    pub span: Span,
}

/// `section(x)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    /// The section.
    pub section: Ident,
    /// The position along it.
    pub x: f64,
    /// Where the position is.
    pub x_span: Span,
    /// The whole site.
    pub span: Span,
}

/// `connect child(0) to parent(x)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    /// The child end.
    pub child: Site,
    /// Where it attaches.
    pub parent: Site,
    /// The whole statement.
    pub span: Span,
}

/// `population Name = N of CellType`.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationDef {
    /// Its name.
    pub name: Ident,
    /// How many cells.
    pub count: u64,
    /// Where the count is.
    pub count_span: Span,
    /// The cell type.
    pub cell_type: Ident,
    /// `{ positions = ...; column = value }`, when given.
    pub settings: Option<Settings>,
    /// The whole statement.
    pub span: Span,
}

/// `node_set name { key = value; ... }`: nodes whose columns match.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSetDef {
    /// Its name.
    pub name: Ident,
    /// The conditions (all must hold).
    pub settings: Settings,
    /// The whole statement.
    pub span: Span,
}

/// `synapse name = Mechanism { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct SynapseDef {
    /// Its name.
    pub name: Ident,
    /// The point-process mechanism.
    pub mechanism: Ident,
    /// Parameter values.
    pub params: Settings,
    /// The whole statement.
    pub span: Span,
}

/// Where an input's spike times come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Train {
    /// `spikes [10, 20] ms`.
    List(List),
    /// `spikes from "file.txt" ms`: one time per line.
    File {
        /// The path as written (relative to the `.ndl` file).
        path: String,
        /// Where the string is.
        path_span: Span,
        /// The unit of the times.
        unit: Option<UnitText>,
    },
    /// `poisson { count = 200; rate = 60 Hz; start = 0 ms; stop = 5 s; seed = 1 }`.
    Poisson(Settings),
    /// `PatternStim { times = [5, 7.5] ms; gids = [3, 0] }`: NEURON's
    /// PatternStim, (time, gid) pairs sorted by time; each gid is one train.
    Pattern(Settings),
}

/// `input name = spikes ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct InputDef {
    /// Its name.
    pub name: Ident,
    /// The times.
    pub train: Train,
    /// The whole statement.
    pub span: Span,
}

/// `Pop` or `Pop[0..4]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CellsRef {
    /// Population or input name.
    pub name: Ident,
    /// Which members.
    pub selector: Option<Selector>,
    /// The whole reference.
    pub span: Span,
}

/// `stimulus mech at [cells.]section(x) { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct StimulusDef {
    /// The point-process mechanism (`iclamp` means `IClamp`).
    pub mechanism: Ident,
    /// Which cells; `None` means every cell.
    pub cells: Option<CellsRef>,
    /// Where on each cell.
    pub site: Site,
    /// Parameter values.
    pub params: Settings,
    /// The whole statement.
    pub span: Span,
}

/// `connect source -> target { synapse = ...; weight = ...; ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectDef {
    /// An input or a population.
    pub source: CellsRef,
    /// A population.
    pub target: CellsRef,
    /// Settings.
    pub settings: Settings,
    /// The whole statement.
    pub span: Span,
}

/// `output { dir = ...; spikes = ...; report name { ... } }`.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputDef {
    /// Plain settings (`dir`, `spikes`).
    pub settings: Vec<Assign>,
    /// Reports.
    pub reports: Vec<ReportDef>,
    /// The whole block.
    pub span: Span,
}

/// `report name { cells = ...; sections = ...; variable = ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportDef {
    /// Its name.
    pub name: Ident,
    /// Settings.
    pub settings: Settings,
    /// The whole statement.
    pub span: Span,
}
