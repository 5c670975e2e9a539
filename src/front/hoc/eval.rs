//! Instantiating a template the way NEURON does: the template body runs
//! once at definition (it sizes `create` and `double` arrays; the values
//! it assigns do not reach instances, whose variables start at 0), then
//! every declared section is created with NEURON's defaults and `init()`
//! runs. Statements act on the accessed section (`soma { ... }`,
//! `forall`, `forsec`, `access`); range variables are resolved through
//! the mechanism catalogue. Work is bounded by a step and a call-depth
//! limit.

use super::ast::*;
use super::names::{RVar, ion_default};
use super::section::{Mech, Sec, seg_index};
use super::value::{self, EPSILON, Obj, Value};
use crate::diag::suggest::{closest, one_of};
use crate::diag::{Diagnostic, Span};
use crate::ir::MechKind;
use crate::ir::interface::Catalogue;
use std::collections::{BTreeSet, HashMap};

/// Statements one instantiation may run.
const STEP_LIMIT: u64 = 5_000_000;
/// Nested proc calls allowed.
const DEPTH_LIMIT: usize = 100;

pub(super) type R<T> = Result<T, Diagnostic>;

enum Flow {
    Next,
    Break,
    Continue,
    Return(Option<Value>),
}

struct Frame {
    args: Vec<Value>,
    locals: HashMap<String, Value>,
}

/// A section node, for `distance()`: the root point of a tree, a
/// segment center, or the 1 end of a section.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Node {
    Root(usize),
    Center(usize, usize),
    End(usize),
}

/// A section reference being resolved.
struct SecRefView<'r, 'a> {
    name: &'r Ident,
    index: Option<&'a Expr>,
    span: Span,
}

/// The interpreter state of one template instance.
pub(super) struct Interp<'a> {
    pub(super) cat: &'a dyn Catalogue,
    /// Ions some mechanism of the catalogue uses, found on first need
    /// (every mechanism's interface is compiled for it, so names are
    /// first tried against the ions NEURON always has and those of the
    /// mechanisms inserted so far; see [`Interp::is_ion`]).
    all_ions: std::cell::OnceCell<BTreeSet<String>>,
    template: &'a Template,
    procs: HashMap<String, (&'a [Stmt], bool)>,
    vars: HashMap<String, Value>,
    frames: Vec<Frame>,
    pub(super) secs: Vec<Sec>,
    /// Section arrays: first section and sizes (empty for a scalar section).
    arrays: HashMap<String, (usize, Vec<usize>)>,
    lists: Vec<Vec<usize>>,
    stack: Vec<usize>,
    access: Option<usize>,
    /// `distance()` origin: the section it was set on and its node.
    origin: Option<(usize, Node)>,
    steps: u64,
    defining: bool,
    pub(super) warnings: Vec<Diagnostic>,
}

fn err(
    code: &'static str,
    span: Span,
    msg: impl Into<String>,
    label: &str,
    help: &str,
) -> Diagnostic {
    Diagnostic::error(code, msg)
        .with_primary(span, label)
        .with_help(help)
}

fn unsupported(span: Span, what: &str, help: &str) -> Diagnostic {
    err(
        "E1610",
        span,
        format!("{what} is not supported in nmc cell templates"),
        "not supported",
        help,
    )
}

impl<'a> Interp<'a> {
    pub(super) fn new(template: &'a Template, cat: &'a dyn Catalogue) -> Self {
        Interp {
            cat,
            all_ions: std::cell::OnceCell::new(),
            template,
            procs: HashMap::new(),
            vars: HashMap::new(),
            frames: Vec::new(),
            secs: Vec::new(),
            arrays: HashMap::new(),
            lists: Vec::new(),
            stack: Vec::new(),
            access: None,
            origin: None,
            steps: 0,
            defining: true,
            warnings: Vec::new(),
        }
    }

    /// Runs the template body once (definition), creates the sections of
    /// one instance and runs its `init()`.
    pub(super) fn instantiate(&mut self) -> R<()> {
        let body: &'a [Stmt] = &self.template.body;
        let mut decls: Vec<(String, Vec<usize>, Span)> = Vec::new();
        for s in body {
            match &s.kind {
                StmtKind::Proc {
                    name,
                    is_func,
                    body,
                } => {
                    self.procs.insert(name.name.clone(), (body, *is_func));
                }
                StmtKind::Create(ds) => {
                    for d in ds {
                        let dims = self.dims(&d.dims)?;
                        decls.push((d.name.name.clone(), dims, d.name.span));
                    }
                }
                StmtKind::Double(ds) => {
                    for d in ds {
                        let dims = self.dims(&d.dims)?;
                        let n = dims.iter().product();
                        self.vars
                            .insert(d.name.name.clone(), Value::Arr(dims, vec![0.0; n]));
                    }
                }
                StmtKind::Objref(ds) => {
                    for d in ds {
                        if !d.dims.is_empty() {
                            return Err(unsupported(
                                d.name.span,
                                "an array of object references",
                                "use one `objref` per object",
                            ));
                        }
                        self.vars.insert(d.name.name.clone(), Value::Obj(Obj::Null));
                    }
                }
                StmtKind::Strdef(names) => {
                    for n in names {
                        self.vars.insert(n.name.clone(), Value::Str(String::new()));
                    }
                }
                StmtKind::Public(_)
                | StmtKind::External(_)
                | StmtKind::Empty
                | StmtKind::Print(_) => {}
                StmtKind::Assign {
                    target:
                        Expr {
                            kind:
                                ExprKind::Name {
                                    name,
                                    index,
                                    args: None,
                                },
                            ..
                        },
                    op: AssignOp::Set,
                    value,
                } if index.is_empty() && self.range_var(name, false)?.is_none() => {
                    let v = self.num(value)?;
                    self.vars.insert(name.name.clone(), Value::Num(v));
                }
                _ => {
                    return Err(unsupported(
                        s.span,
                        "a statement at template level other than a declaration or `name = value`",
                        "NEURON runs it once when it reads the template, not for each cell; move it into `proc init()`",
                    ));
                }
            }
        }
        // An instance's variables start at 0: values assigned while the
        // template was read only sized its arrays.
        for v in self.vars.values_mut() {
            if let Value::Num(x) = v {
                *x = 0.0;
            }
        }
        self.defining = false;
        for (name, dims, span) in decls {
            let first = self.secs.len();
            let n: usize = dims.iter().product();
            for k in 0..n {
                let shown = if dims.is_empty() {
                    name.clone()
                } else {
                    let mut idx = Vec::new();
                    let mut rest = k;
                    for d in dims.iter().rev() {
                        idx.push(rest % d);
                        rest /= d;
                    }
                    idx.iter()
                        .rev()
                        .map(|i| format!("[{i}]"))
                        .fold(name.clone(), |a, b| a + &b)
                };
                self.secs.push(Sec::new(shown, span));
            }
            self.arrays.insert(name, (first, dims));
        }
        if let Some((body, _)) = self.procs.get("init").copied() {
            self.frames.push(Frame {
                args: Vec::new(),
                locals: HashMap::new(),
            });
            let r = self.block(body);
            self.frames.pop();
            r?;
        }
        Ok(())
    }

    fn dims(&mut self, dims: &'a [Expr]) -> R<Vec<usize>> {
        let mut out = Vec::new();
        for d in dims {
            let v = self.num(d)?;
            let n = value::index(v);
            if !(1..=1_000_000).contains(&n) {
                return Err(err(
                    "E1607",
                    d.span,
                    format!("array size {v} is out of range"),
                    "must be between 1 and 1000000",
                    "give every array at least one element",
                ));
            }
            out.push(n as usize);
        }
        Ok(out)
    }

    fn step(&mut self, span: Span) -> R<()> {
        self.steps += 1;
        if self.steps > STEP_LIMIT {
            return Err(err(
                "E1613",
                span,
                format!("the template ran more than {STEP_LIMIT} statements"),
                "still running here",
                "check the loop conditions: a loop that never ends makes NEURON hang",
            ));
        }
        Ok(())
    }

    fn block(&mut self, body: &'a [Stmt]) -> R<Flow> {
        for s in body {
            match self.stmt(s)? {
                Flow::Next => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Next)
    }

    /// The accessed section.
    fn cur(&self, span: Span) -> R<usize> {
        self.stack.last().copied().or(self.access).ok_or_else(|| {
            err(
                "E1612",
                span,
                "no section is accessed here",
                "needs a section",
                "name the section first (`soma { ... }`, `soma[0] insert pas`), or write `access soma` before",
            )
        })
    }

    fn with_section(&mut self, sec: usize, body: &'a Stmt) -> R<Flow> {
        self.stack.push(sec);
        let r = self.stmt(body);
        self.stack.pop();
        r
    }

    fn full_name(&self, sec: usize) -> String {
        format!("{}[0].{}", self.template.name.name, self.secs[sec].name)
    }

    fn regex(&self, pat: &str, span: Span) -> R<regex::Regex> {
        regex::Regex::new(&format!("^(?:{pat})$")).map_err(|e| {
            err(
                "E1615",
                span,
                format!("this pattern is not a regular expression nmc can read: {e}"),
                "bad pattern",
                "section patterns are regular expressions; `[` and `]` match themselves, `<0-9>` is a class",
            )
        })
    }

    fn stmt(&mut self, s: &'a Stmt) -> R<Flow> {
        self.step(s.span)?;
        match &s.kind {
            StmtKind::Empty | StmtKind::Public(_) | StmtKind::External(_) => {}
            StmtKind::Expr(e) => {
                self.eval(e)?;
            }
            StmtKind::Print(items) => {
                for e in items {
                    self.eval(e)?;
                }
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value)?,
            StmtKind::Block(b) => return self.block(b),
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                if self.num(cond)? != 0.0 {
                    return self.stmt(then);
                } else if let Some(o) = otherwise {
                    return self.stmt(o);
                }
            }
            StmtKind::While { cond, body } => {
                while self.num(cond)? != 0.0 {
                    self.step(s.span)?;
                    match self.stmt(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
            }
            StmtKind::ForRange {
                var,
                from,
                to,
                body,
            } => {
                let end = self.num(to)? + EPSILON;
                let mut i = self.num(from)?;
                while i <= end {
                    self.set_scalar(var, i)?;
                    self.step(s.span)?;
                    match self.stmt(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                    i = self.get_scalar(var)? + 1.0;
                }
            }
            StmtKind::ForC {
                init,
                cond,
                step,
                body,
            } => {
                if let Some(i) = init {
                    self.stmt(i)?;
                }
                loop {
                    if let Some(c) = cond
                        && self.num(c)? == 0.0
                    {
                        break;
                    }
                    self.step(s.span)?;
                    match self.stmt(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                    if let Some(st) = step {
                        self.stmt(st)?;
                    }
                }
            }
            StmtKind::ForX {
                var,
                interior,
                body,
            } => {
                let sec = self.cur(s.span)?;
                let n = self.secs[sec].nseg;
                let mut xs: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) / n as f64).collect();
                if !interior {
                    xs.insert(0, 0.0);
                    xs.push(1.0);
                }
                for x in xs {
                    self.set_scalar(var, x)?;
                    match self.stmt(body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
            }
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => Some(self.eval(e)?),
                    None => None,
                };
                return Ok(Flow::Return(v));
            }
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
            StmtKind::Local(names) => {
                if let Some(f) = self.frames.last_mut() {
                    for n in names {
                        f.locals.insert(n.name.clone(), Value::Num(0.0));
                    }
                }
            }
            StmtKind::LocalObj(names) => {
                if let Some(f) = self.frames.last_mut() {
                    for n in names {
                        f.locals.insert(n.name.clone(), Value::Obj(Obj::Null));
                    }
                }
            }
            StmtKind::Create(_)
            | StmtKind::Double(_)
            | StmtKind::Objref(_)
            | StmtKind::Strdef(_)
            | StmtKind::Proc { .. } => {
                return Err(unsupported(
                    s.span,
                    "a declaration inside a proc",
                    "declare sections, arrays and objects at template level, outside the procs",
                ));
            }
            StmtKind::Insert(m) => self.insert(m)?,
            StmtKind::Uninsert(m) => {
                let sec = self.cur(m.span)?;
                self.density(m)?;
                self.secs[sec].mechs.retain(|x| x.name != m.name);
            }
            StmtKind::Connect(c) => self.connect(s.span, &c.child, &c.child_x, &c.to)?,
            StmtKind::Access(r) => {
                let sec = self.secref(r)?;
                self.access = Some(sec);
            }
            StmtKind::OnSection { sec, body } => {
                let i = self.secref(sec)?;
                return self.with_section(i, body);
            }
            StmtKind::Forall(body) => {
                for i in 0..self.secs.len() {
                    match self.with_section(i, body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
            }
            StmtKind::Forsec { what, body } => {
                let secs: Vec<usize> = match what {
                    ForsecWhat::Pattern(p) => {
                        let text = self.string(p)?;
                        let re = self.regex(
                            &format!(
                                "{}.*{}.*",
                                value::pattern(&format!("{}[0]", self.template.name.name)),
                                value::pattern(&text)
                            ),
                            p.span,
                        )?;
                        (0..self.secs.len())
                            .filter(|&i| re.is_match(&self.full_name(i)))
                            .collect()
                    }
                    ForsecWhat::List(e) => match self.eval(e)? {
                        Value::Obj(Obj::List(l)) => self.lists[l].clone(),
                        Value::Str(text) => {
                            let re = self.regex(
                                &format!(
                                    "{}.*{}.*",
                                    value::pattern(&format!("{}[0]", self.template.name.name)),
                                    value::pattern(&text)
                                ),
                                e.span,
                            )?;
                            (0..self.secs.len())
                                .filter(|&i| re.is_match(&self.full_name(i)))
                                .collect()
                        }
                        _ => {
                            return Err(err(
                                "E1614",
                                e.span,
                                "`forsec` needs a SectionList or a pattern string",
                                "not a SectionList",
                                "write `forsec all { ... }` with `all = new SectionList()`, or `forsec \"dend\" { ... }`",
                            ));
                        }
                    },
                };
                for i in secs {
                    match self.with_section(i, body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
            }
            StmtKind::Ifsec { pattern, body } => {
                let text = self.string(pattern)?;
                let sec = self.cur(s.span)?;
                let re = self.regex(&format!(".*{}.*", value::pattern(&text)), pattern.span)?;
                if re.is_match(&self.full_name(sec)) {
                    return self.stmt(body);
                }
            }
            StmtKind::Unsupported(k) => {
                return Err(unsupported(
                    s.span,
                    &format!("`{k}`"),
                    "cell templates may create sections, insert mechanisms and set values; remove this statement",
                ));
            }
        }
        Ok(Flow::Next)
    }

    fn frame_slot(&mut self, name: &str) -> Option<&mut Value> {
        self.frames.last_mut().and_then(|f| f.locals.get_mut(name))
    }

    fn set_scalar(&mut self, var: &Ident, v: f64) -> R<()> {
        if let Some(slot) = self.frame_slot(&var.name) {
            *slot = Value::Num(v);
            return Ok(());
        }
        if self.range_var(var, false)?.is_some() {
            return Err(err(
                "E1614",
                var.span,
                format!("`{}` is a range variable, not a loop variable", var.name),
                "cannot iterate with this",
                "use a plain name such as `i` for the loop",
            ));
        }
        self.vars.insert(var.name.clone(), Value::Num(v));
        Ok(())
    }

    fn get_scalar(&mut self, var: &Ident) -> R<f64> {
        match self.lookup(&var.name) {
            Some(Value::Num(x)) => Ok(x),
            _ => Err(err(
                "E1614",
                var.span,
                format!("loop variable `{}` no longer holds a number", var.name),
                "changed in the loop",
                "do not assign other values to the loop variable",
            )),
        }
    }

    // Sections.

    fn secref(&mut self, r: &'a SecRef) -> R<usize> {
        self.section(&r.name, r.index.as_ref(), r.span)
    }

    /// The section `name[index]`.
    fn section(&mut self, name: &Ident, index: Option<&'a Expr>, span: Span) -> R<usize> {
        let r = SecRefView { name, index, span };
        let Some((first, dims)) = self.arrays.get(&r.name.name).cloned() else {
            return Err(err(
                "E1611",
                r.name.span,
                format!("unknown section `{}`", r.name.name),
                "not created in this template",
                "create it at template level with `create`",
            ));
        };
        let k = match r.index {
            None => 0,
            Some(e) => {
                let v = self.num(e)?;
                let n: usize = dims.iter().product();
                let i = value::index(v);
                if dims.is_empty() || i < 0 || i as usize >= n {
                    let size = if dims.is_empty() {
                        format!("`{}` is not an array", r.name.name)
                    } else {
                        format!(
                            "`{}` has {n} section(s), {}[0] to {}[{}]",
                            r.name.name,
                            r.name.name,
                            r.name.name,
                            n.saturating_sub(1)
                        )
                    };
                    return Err(err(
                        "E1607",
                        r.span,
                        format!("section index {v} is out of range: {size}"),
                        "no such section",
                        "NEURON stops here with `subscript out of range`; check the loop bounds (`for i = 0, n-1`)",
                    ));
                }
                i as usize
            }
        };
        Ok(first + k)
    }

    /// Whether `ion` is an ion: one NEURON always has (na, k, ca), one a
    /// mechanism inserted so far uses, else one any mechanism of the
    /// catalogue uses (the last check compiles every mechanism's
    /// interface, so it comes last).
    pub(super) fn is_ion(&self, ion: &str) -> bool {
        if matches!(ion, "na" | "k" | "ca") {
            return true;
        }
        let inserted = self.secs.iter().flat_map(|s| &s.mechs).any(|m| {
            self.cat
                .find(&m.name)
                .is_some_and(|i| i.ions.iter().any(|x| x == ion))
        });
        inserted
            || self
                .all_ions
                .get_or_init(|| {
                    let mut ions = BTreeSet::new();
                    for kind in [MechKind::Density, MechKind::PointProcess] {
                        for n in self.cat.names_of(kind) {
                            if let Some(m) = self.cat.find(&n) {
                                ions.extend(m.ions.iter().cloned());
                            }
                        }
                    }
                    ions
                })
                .contains(ion)
    }

    fn insert(&mut self, m: &Ident) -> R<()> {
        let sec = self.cur(m.span)?;
        if let Some(ion) = m.name.strip_suffix("_ion")
            && self.is_ion(ion)
        {
            if !self.secs[sec].ions.iter().any(|i| i == ion) {
                self.secs[sec].ions.push(ion.to_string());
            }
            return Ok(());
        }
        let name = self.density(m)?;
        if !self.secs[sec].has_mech(&name) {
            self.secs[sec].mechs.push(Mech {
                name,
                params: Default::default(),
            });
        }
        Ok(())
    }

    /// The density mechanism `m` names.
    fn density(&self, m: &Ident) -> R<String> {
        match self.cat.find(&m.name) {
            Some(info) if info.name == m.name && info.kind == MechKind::Density => {
                Ok(info.name.clone())
            }
            Some(info) if info.name == m.name => Err(err(
                "E1605",
                m.span,
                format!("`{}` is not a density mechanism", m.name),
                "a point process or artificial cell",
                "only SUFFIX mechanisms can be inserted; point processes are placed by the network",
            )),
            _ => {
                if let Some(mut d) = self.cat.broken(&m.name) {
                    d.labels.insert(
                        0,
                        crate::diag::Label {
                            span: m.span,
                            message: "used here".into(),
                            primary: true,
                        },
                    );
                    return Err(d);
                }
                let names = self.cat.names_of(MechKind::Density);
                let help = match closest(&m.name, names.iter().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => {
                        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                        format!(
                            "the mechanisms of {} are {}",
                            self.cat.origin(),
                            one_of(&refs)
                        )
                    }
                };
                Err(err(
                    "E1605",
                    m.span,
                    format!("unknown mechanism `{}`", m.name),
                    "no such mechanism",
                    &help,
                ))
            }
        }
    }

    fn connect(
        &mut self,
        span: Span,
        child: &'a Option<SecRef>,
        child_x: &'a Option<Expr>,
        to: &'a ConnectTo,
    ) -> R<()> {
        let c = match child {
            Some(r) => self.secref(r)?,
            None => self.cur(span)?,
        };
        let cx = match child_x {
            Some(e) => self.position(e)?,
            None => 0.0,
        };
        let (p, px, pspan) = match to {
            ConnectTo::Section(r, x) => (self.secref(r)?, self.position(x)?, r.span),
            ConnectTo::Here(x) => (self.cur(span)?, self.position(x)?, x.span),
        };
        if cx != 0.0 {
            return Err(unsupported(
                child_x.as_ref().map(|e| e.span).unwrap_or(span),
                "connecting a section by its 1 end (or the middle)",
                "connect the child's 0 end: `connect child(0), parent(x)`",
            ));
        }
        let mut a = Some(p);
        while let Some(s) = a {
            if s == c {
                return Err(err(
                    "E1616",
                    pspan,
                    format!(
                        "connecting `{}` to `{}` makes a loop",
                        self.secs[c].name, self.secs[p].name
                    ),
                    "this section is already below the child",
                    "a cell is a tree: connect every section to one parent, the root last",
                ));
            }
            a = self.secs[s].parent.map(|t| t.0);
        }
        self.secs[c].parent = Some((p, px, cx));
        Ok(())
    }

    fn position(&mut self, e: &'a Expr) -> R<f64> {
        let x = self.num(e)?;
        if !(0.0..=1.0).contains(&x) {
            return Err(err(
                "E1607",
                e.span,
                format!("position {x} is outside the section"),
                "must be between 0 and 1",
                "positions along a section run from 0 to 1",
            ));
        }
        Ok(x)
    }

    // Range variables.

    /// What `name` means as a range variable, if anything.
    fn range_var(&self, name: &Ident, write: bool) -> R<Option<RVar>> {
        super::names::resolve(self.cat, &|ion| self.is_ion(ion), name, write)
    }

    fn read_range(&mut self, rv: &RVar, x: f64, span: Span) -> R<f64> {
        let sec = self.cur(span)?;
        let s = &self.secs[sec];
        let k = seg_index(s.nseg, x);
        Ok(match rv {
            RVar::L => s.length,
            RVar::Nseg => s.nseg as f64,
            RVar::Ra => s.ra,
            RVar::Diam => s.diam.values[k],
            RVar::Cm => s.cm.values[k],
            RVar::V => -65.0,
            RVar::Param { mech, var, default } => {
                let Some(m) = s.mechs.iter().find(|m| &m.name == mech) else {
                    return Err(self.not_inserted(sec, mech, span));
                };
                m.params.get(var).map(|p| p.values[k]).unwrap_or(*default)
            }
            RVar::Ion { ion, var } => {
                self.ion_present(sec, ion, var, span)?;
                match s.ion_values.get(var) {
                    Some(p) => p.values[k],
                    None => ion_default(ion, var).ok_or_else(|| {
                        err(
                            "E1609",
                            span,
                            format!("`{var}` is read before the template sets it"),
                            "its starting value is computed by NEURON",
                            &format!("set `{var}` before reading it"),
                        )
                    })?,
                }
            }
        })
    }

    fn not_inserted(&self, sec: usize, mech: &str, span: Span) -> Diagnostic {
        err(
            "E1608",
            span,
            format!(
                "mechanism `{mech}` is not inserted in section `{}`",
                self.secs[sec].name
            ),
            "not inserted here",
            &format!("insert it first (`insert {mech}`); NEURON stops with the same error"),
        )
    }

    fn ion_present(&self, sec: usize, ion: &str, var: &str, span: Span) -> R<()> {
        let s = &self.secs[sec];
        let present = s.ions.iter().any(|i| i == ion)
            || s.mechs.iter().any(|m| {
                self.cat
                    .find(&m.name)
                    .is_some_and(|info| info.ions.iter().any(|i| i == ion))
            });
        if present {
            Ok(())
        } else {
            Err(err(
                "E1609",
                span,
                format!(
                    "`{var}` needs the ion `{ion}`, but no mechanism using it is inserted in section `{}`",
                    s.name
                ),
                "ion not in this section",
                &format!(
                    "insert a mechanism that uses `{ion}` first (or `insert {ion}_ion`); NEURON stops with `{ion}_ion mechanism not inserted`"
                ),
            ))
        }
    }

    /// Sets a range variable on the accessed section: every segment, or
    /// the one at `x`.
    fn write_range(&mut self, rv: &RVar, x: Option<f64>, v: f64, span: Span) -> R<()> {
        let sec = self.cur(span)?;
        if let RVar::Param { mech, .. } = rv
            && !self.secs[sec].has_mech(mech)
        {
            return Err(self.not_inserted(sec, mech, span));
        }
        if let RVar::Ion { ion, var } = rv {
            self.ion_present(sec, ion, var, span)?;
        }
        let s = &mut self.secs[sec];
        let nseg = s.nseg;
        let set = |p: &mut super::section::PerSeg| {
            match x {
                Some(x) => p.values[seg_index(nseg, x)] = v,
                None => p.values.iter_mut().for_each(|e| *e = v),
            }
            p.set_at = Some(span);
        };
        match rv {
            RVar::L => {
                if !s.pt3d.is_empty() {
                    return Err(unsupported(
                        span,
                        "changing `L` of a section with 3-d points",
                        "give either `L` or 3-d points",
                    ));
                }
                if v <= 0.0 {
                    return Err(err(
                        "E1607",
                        span,
                        format!("L = {v} is not positive"),
                        "must be > 0",
                        "lengths are in um and positive",
                    ));
                }
                s.length = v;
            }
            RVar::Nseg => {
                let n = (v + EPSILON) as i64;
                if !(1..=32767).contains(&n) {
                    return Err(err(
                        "E1607",
                        span,
                        format!("nseg = {v} is out of range"),
                        "must be 1 to 32767",
                        "give each section at least one segment",
                    ));
                }
                s.set_nseg(n as usize);
            }
            RVar::Ra => s.ra = v,
            RVar::Diam => {
                if !s.pt3d.is_empty() {
                    if x.is_some() {
                        return Err(unsupported(
                            span,
                            "`diam(x)` on a section with 3-d points",
                            "set `diam` of the whole section",
                        ));
                    }
                    let f = v as f32;
                    s.pt3d.iter_mut().for_each(|p| p[3] = f);
                    set(&mut s.diam);
                    s.diam.values.iter_mut().for_each(|e| *e = f as f64);
                } else {
                    set(&mut s.diam);
                }
            }
            RVar::Cm => set(&mut s.cm),
            RVar::V => {}
            RVar::Param { mech, var, default } => {
                let Some(m) = s.mech_mut(mech) else {
                    return Ok(());
                };
                let p = m
                    .params
                    .entry(var.clone())
                    .or_insert_with(|| super::section::PerSeg {
                        values: vec![*default; nseg],
                        set_at: None,
                    });
                set(p);
            }
            RVar::Ion { var, ion } => {
                let d = ion_default(ion, var);
                if x.is_some() && d.is_none() && !s.ion_values.contains_key(var) {
                    return Err(unsupported(
                        span,
                        &format!("setting `{var}` at one position first"),
                        &format!("set `{var}` for the whole section"),
                    ));
                }
                let p = s
                    .ion_values
                    .entry(var.clone())
                    .or_insert_with(|| super::section::PerSeg {
                        values: vec![d.unwrap_or(v); nseg],
                        set_at: None,
                    });
                set(p);
            }
        }
        Ok(())
    }

    // Assignments.

    fn assign(&mut self, target: &'a Expr, op: AssignOp, value: &'a Expr) -> R<()> {
        let rhs = self.eval(value)?;
        let combine = |this: &mut Self, old: f64, span: Span| -> R<f64> {
            let new = this.as_num(&rhs, value.span)?;
            Ok(match op {
                AssignOp::Set => new,
                AssignOp::Add => old + new,
                AssignOp::Sub => old - new,
                AssignOp::Mul => old * new,
                AssignOp::Div => {
                    if new == 0.0 {
                        return Err(err(
                            "E1619",
                            span,
                            "division by zero",
                            "divides by 0",
                            "check the divisor",
                        ));
                    }
                    old / new
                }
            })
        };
        match &target.kind {
            ExprKind::Arg(_, n) => {
                let n = *n as usize;
                let len = self.frames.last().map_or(0, |f| f.args.len());
                if n == 0 || n > len {
                    return Err(self.missing_arg(target.span, n));
                }
                let old = self.frames.last().and_then(|f| f.args.get(n - 1)).cloned();
                let v = match (op, old) {
                    (AssignOp::Set, _) => rhs.clone(),
                    (_, Some(Value::Num(o))) => Value::Num(combine(self, o, target.span)?),
                    _ => rhs.clone(),
                };
                if let Some(f) = self.frames.last_mut() {
                    f.args[n - 1] = v;
                }
                Ok(())
            }
            ExprKind::Member {
                base,
                member,
                index,
                args,
            } => {
                let Some(sec) = self.member_section(base)? else {
                    return Err(unsupported(
                        target.span,
                        "setting a field of an object",
                        "set values of sections only",
                    ));
                };
                if !index.is_empty() {
                    return Err(unsupported(
                        target.span,
                        "an indexed section member",
                        "use `sec.name` or `sec.name(x)`",
                    ));
                }
                self.stack.push(sec);
                let r = self.assign_name(member, args, target.span, &rhs, op, &combine);
                self.stack.pop();
                r
            }
            ExprKind::Name { name, index, args } if index.is_empty() => {
                self.assign_name(name, args, target.span, &rhs, op, &combine)
            }
            ExprKind::Name { name, index, .. } => {
                let mut idx = Vec::new();
                for e in index {
                    idx.push(self.num(e)?);
                }
                let (dims, old) = match self.lookup(&name.name) {
                    Some(Value::Arr(d, data)) => {
                        let k = self.flat(&name.name, &d, &idx, target.span)?;
                        (d, data[k])
                    }
                    _ => {
                        return Err(err(
                            "E1611",
                            name.span,
                            format!("`{}` is not an array", name.name),
                            "indexed here",
                            &format!(
                                "declare it with `double {}[n]` at template level",
                                name.name
                            ),
                        ));
                    }
                };
                let k = self.flat(&name.name, &dims, &idx, target.span)?;
                let v = combine(self, old, target.span)?;
                if let Some(Value::Arr(_, data)) = self.lookup_mut(&name.name) {
                    data[k] = v;
                }
                Ok(())
            }
            _ => Err(err(
                "E1602",
                target.span,
                "cannot assign to this",
                "not a variable",
                "assign to a variable",
            )),
        }
    }

    #[allow(clippy::type_complexity)]
    fn assign_name(
        &mut self,
        name: &Ident,
        args: &'a Option<Vec<Expr>>,
        span: Span,
        rhs: &Value,
        op: AssignOp,
        combine: &dyn Fn(&mut Self, f64, Span) -> R<f64>,
    ) -> R<()> {
        if let Some(args) = args {
            let Some(rv) = self.range_var(name, true)? else {
                return Err(err(
                    "E1611",
                    name.span,
                    format!("`{}` is not a range variable", name.name),
                    "cannot be set at a position",
                    "only range variables (`diam`, `cm`, `gbar_leak`, ...) take a position `(x)`",
                ));
            };
            if args.len() != 1 {
                return Err(self.arg_count(span, &name.name, 1, args.len()));
            }
            let x = self.position(&args[0])?;
            let old = if op == AssignOp::Set {
                0.0
            } else {
                self.read_range(&rv, x, span)?
            };
            let v = combine(self, old, span)?;
            return self.write_range(&rv, Some(x), v, span);
        }
        // A local, an existing variable, a range variable, a new variable.
        let existing = self
            .frames
            .last()
            .and_then(|f| f.locals.get(&name.name))
            .or_else(|| self.vars.get(&name.name))
            .cloned();
        match existing {
            Some(Value::Num(old)) => {
                let v = combine(self, old, span)?;
                self.store(&name.name, Value::Num(v));
                Ok(())
            }
            Some(Value::Str(_)) | Some(Value::Obj(_)) if op == AssignOp::Set => {
                self.store(&name.name, rhs.clone());
                Ok(())
            }
            Some(_) => Err(err(
                "E1614",
                span,
                format!("`{}` cannot take this value", name.name),
                "wrong kind of value",
                "assign numbers to numbers, strings to `strdef`s and objects to `objref`s",
            )),
            None => {
                if let Some(rv) = self.range_var(name, true)? {
                    let old = if op == AssignOp::Set {
                        0.0
                    } else {
                        self.read_range(&rv, 0.5, span)?
                    };
                    let v = combine(self, old, span)?;
                    return self.write_range(&rv, None, v, span);
                }
                if super::names::is_global(&name.name) {
                    return Err(unsupported(
                        name.span,
                        &format!("setting NEURON's global `{}`", name.name),
                        "run settings (celsius, dt, tstop, v_init) come from the simulation config",
                    ));
                }
                if self.procs.contains_key(&name.name) || self.arrays.contains_key(&name.name) {
                    return Err(err(
                        "E1614",
                        name.span,
                        format!("`{}` is not a variable", name.name),
                        "a proc or section",
                        "use another name",
                    ));
                }
                let v = match rhs {
                    Value::Num(_) => Value::Num(combine(self, 0.0, span)?),
                    other => other.clone(),
                };
                if let Some(w) = self.near_miss(name) {
                    self.warnings.push(w);
                }
                self.store(&name.name, v);
                Ok(())
            }
        }
    }

    /// A warning when a new variable looks like a misspelt range variable
    /// (`gbar_lek` for `gbar_leak`).
    fn near_miss(&self, name: &Ident) -> Option<Diagnostic> {
        let (var, suffix) = name.name.split_once('_')?;
        let names = self.cat.names_of(MechKind::Density);
        let mech = closest(suffix, names.iter().map(String::as_str))?;
        let info = self.cat.find(mech)?;
        info.var(var).filter(|v| v.settable)?;
        Some(
            Diagnostic::warning(
                "W1603",
                format!(
                    "`{}` is a new variable of the template, not a range variable",
                    name.name
                ),
            )
            .with_primary(name.span, "no mechanism has this suffix")
            .with_help(format!("did you mean `{var}_{mech}`?")),
        )
    }

    fn store(&mut self, name: &str, v: Value) {
        if let Some(slot) = self.frames.last_mut().and_then(|f| f.locals.get_mut(name)) {
            *slot = v;
        } else {
            self.vars.insert(name.to_string(), v);
        }
    }

    fn lookup(&self, name: &str) -> Option<Value> {
        self.frames
            .last()
            .and_then(|f| f.locals.get(name))
            .or_else(|| self.vars.get(name))
            .cloned()
    }

    fn lookup_mut(&mut self, name: &str) -> Option<&mut Value> {
        if self
            .frames
            .last()
            .is_some_and(|f| f.locals.contains_key(name))
        {
            return self.frames.last_mut().and_then(|f| f.locals.get_mut(name));
        }
        self.vars.get_mut(name)
    }

    fn flat(&self, name: &str, dims: &[usize], idx: &[f64], span: Span) -> R<usize> {
        if dims.len() != idx.len() {
            return Err(err(
                "E1607",
                span,
                format!("`{name}` has {} dimension(s)", dims.len()),
                "wrong number of indexes",
                "give one index per dimension",
            ));
        }
        let mut k = 0usize;
        for (d, v) in dims.iter().zip(idx) {
            let i = value::index(*v);
            if i < 0 || i as usize >= *d {
                return Err(err(
                    "E1607",
                    span,
                    format!("index {v} of `{name}` is out of range 0 to {}", d - 1),
                    "out of range",
                    "NEURON stops here with `subscript out of range`",
                ));
            }
            k = k * d + i as usize;
        }
        Ok(k)
    }

    fn missing_arg(&self, span: Span, n: usize) -> Diagnostic {
        err(
            "E1614",
            span,
            format!("argument ${n} was not given"),
            "no such argument",
            "BMTK creates cells without arguments, so `init()` has none; pass values to other procs when calling them",
        )
    }

    fn arg_count(&self, span: Span, name: &str, want: usize, got: usize) -> Diagnostic {
        err(
            "E1614",
            span,
            format!("`{name}` takes {want} argument(s), {got} given"),
            "wrong number of arguments",
            &format!("call it with {want} argument(s)"),
        )
    }

    // Expressions.

    pub(super) fn num(&mut self, e: &'a Expr) -> R<f64> {
        let v = self.eval(e)?;
        self.as_num(&v, e.span)
    }

    fn as_num(&self, v: &Value, span: Span) -> R<f64> {
        match v {
            Value::Num(x) => Ok(*x),
            _ => Err(err(
                "E1614",
                span,
                "a number is needed here",
                "not a number",
                "use a numeric expression",
            )),
        }
    }

    fn string(&mut self, e: &'a Expr) -> R<String> {
        match self.eval(e)? {
            Value::Str(s) => Ok(s),
            _ => Err(err(
                "E1614",
                e.span,
                "a string is needed here",
                "not a string",
                "write a string such as \"dend\"",
            )),
        }
    }

    fn member_section(&mut self, base: &'a Expr) -> R<Option<usize>> {
        if let ExprKind::Name {
            name,
            index,
            args: None,
        } = &base.kind
            && self.arrays.contains_key(&name.name)
        {
            return self.section(name, index.first(), base.span).map(Some);
        }
        Ok(None)
    }

    fn eval(&mut self, e: &'a Expr) -> R<Value> {
        match &e.kind {
            ExprKind::Num(n) => Ok(Value::Num(*n)),
            ExprKind::Str(s) => Ok(Value::Str(s.clone())),
            ExprKind::Arg(_, n) => {
                let n = *n as usize;
                self.frames
                    .last()
                    .and_then(|f| if n >= 1 { f.args.get(n - 1) } else { None })
                    .cloned()
                    .ok_or_else(|| self.missing_arg(e.span, n))
            }
            ExprKind::Neg(a) => Ok(Value::Num(-self.num(a)?)),
            ExprKind::Not(a) => Ok(Value::Num(f64::from(self.num(a)? == 0.0))),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, e.span),
            ExprKind::New { class, args } => {
                for a in args {
                    self.eval(a)?;
                }
                if class.name == "SectionList" {
                    self.lists.push(Vec::new());
                    return Ok(Value::Obj(Obj::List(self.lists.len() - 1)));
                }
                if self
                    .cat
                    .find(&class.name)
                    .is_some_and(|m| m.kind != MechKind::Density)
                {
                    return Err(unsupported(
                        class.span,
                        &format!("creating the point process `{}` in a template", class.name),
                        "synapses and stimuli are placed by the network (edges, inputs), not by the cell template",
                    ));
                }
                Ok(Value::Obj(Obj::Other(class.name.clone())))
            }
            ExprKind::Member {
                base,
                member,
                index,
                args,
            } => {
                if let Some(sec) = self.member_section(base)? {
                    let inner = Expr {
                        kind: ExprKind::Name {
                            name: member.clone(),
                            index: index.clone(),
                            args: args.clone(),
                        },
                        span: e.span,
                    };
                    self.stack.push(sec);
                    let r = self.eval_tmp(&inner);
                    self.stack.pop();
                    return r;
                }
                let obj = self.eval(base)?;
                self.method(obj, member, args, e.span)
            }
            ExprKind::Name { name, index, args } => self.name(name, index, args, e.span),
        }
    }

    /// `sec.member` and `sec.member(x)` with `sec` accessed.
    fn eval_tmp(&mut self, e: &Expr) -> R<Value> {
        let ExprKind::Name { name, index, args } = &e.kind else {
            return Err(err(
                "E1602",
                e.span,
                "unexpected expression",
                "here",
                "simplify the expression",
            ));
        };
        if let Some(args) = args {
            let Some(rv) = self.range_var(name, false)? else {
                return Err(err(
                    "E1611",
                    name.span,
                    format!("`{}` is not a member of a section", name.name),
                    "unknown",
                    "sections have `L`, `diam`, `nseg`, `cm`, `Ra` and range variables",
                ));
            };
            if args.len() != 1 {
                return Err(self.arg_count(e.span, &name.name, 1, args.len()));
            }
            let x = match &args[0].kind {
                ExprKind::Num(n) => *n,
                _ => {
                    return Err(unsupported(
                        args[0].span,
                        "a computed position in `sec.var(x)`",
                        "write `sec { y = var(x) }`",
                    ));
                }
            };
            return Ok(Value::Num(self.read_range(&rv, x, e.span)?));
        }
        if !index.is_empty() {
            return Err(unsupported(
                e.span,
                "an indexed section member",
                "use `sec.name`",
            ));
        }
        match self.range_var(name, false)? {
            Some(rv) => Ok(Value::Num(self.read_range(&rv, 0.5, e.span)?)),
            None => Err(err(
                "E1611",
                name.span,
                format!("`{}` is not a member of a section", name.name),
                "unknown",
                "sections have `L`, `diam`, `nseg`, `cm`, `Ra` and range variables",
            )),
        }
    }

    fn method(
        &mut self,
        obj: Value,
        member: &Ident,
        args: &'a Option<Vec<Expr>>,
        span: Span,
    ) -> R<Value> {
        let argv = match args {
            Some(a) => {
                let mut v = Vec::new();
                for e in a {
                    v.push(self.eval(e)?);
                }
                v
            }
            None => Vec::new(),
        };
        match obj {
            Value::Obj(Obj::List(l)) => match member.name.as_str() {
                "append" if argv.is_empty() => {
                    let sec = self.cur(span)?;
                    self.lists[l].push(sec);
                    Ok(Value::Num(1.0))
                }
                "remove" if argv.is_empty() => {
                    let sec = self.cur(span)?;
                    self.lists[l].retain(|&s| s != sec);
                    Ok(Value::Num(1.0))
                }
                "unique" => {
                    let mut seen = BTreeSet::new();
                    self.lists[l].retain(|s| seen.insert(*s));
                    Ok(Value::Num(1.0))
                }
                "printnames" => Ok(Value::Num(1.0)),
                _ => Err(unsupported(
                    member.span,
                    &format!("`SectionList.{}`", member.name),
                    "nmc supports `append()`, `remove()`, `unique()` and `forsec list`",
                )),
            },
            Value::Obj(Obj::Null) => Err(err(
                "E1614",
                member.span,
                "the object reference is empty",
                "nil object",
                "assign it first, e.g. `all = new SectionList()`",
            )),
            Value::Obj(Obj::Other(class)) => Err(unsupported(
                member.span,
                &format!("using an object of class `{class}`"),
                "cell templates in nmc may use SectionLists only",
            )),
            _ => Err(err(
                "E1614",
                span,
                "not an object",
                "no members",
                "only objects have members",
            )),
        }
    }

    fn binary(&mut self, op: BinOp, a: &'a Expr, b: &'a Expr, span: Span) -> R<Value> {
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            let (x, y) = (self.eval(a)?, self.eval(b)?);
            if let (Value::Str(s), Value::Str(t)) = (&x, &y) {
                let eq = s == t;
                return Ok(Value::Num(f64::from(if op == BinOp::Eq {
                    eq
                } else {
                    !eq
                })));
            }
            let (x, y) = (self.as_num(&x, a.span)?, self.as_num(&y, b.span)?);
            let eq = x <= y + EPSILON && x >= y - EPSILON;
            return Ok(Value::Num(f64::from(if op == BinOp::Eq {
                eq
            } else {
                !eq
            })));
        }
        let x = self.num(a)?;
        let y = self.num(b)?;
        let v = match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => {
                if y == 0.0 {
                    return Err(err(
                        "E1619",
                        span,
                        "division by zero",
                        "divides by 0",
                        "check the divisor",
                    ));
                }
                x / y
            }
            BinOp::Rem => {
                if y <= 0.0 {
                    return Err(err(
                        "E1619",
                        span,
                        "`a % b` needs b > 0",
                        "b <= 0",
                        "hoc's `%` takes a positive divisor",
                    ));
                }
                value::cyclic(x, y)
            }
            BinOp::Pow => {
                let r = x.powf(y);
                if r.is_nan() {
                    return Err(err(
                        "E1619",
                        span,
                        "exponentiation out of domain",
                        "no real result",
                        "check the operands",
                    ));
                }
                r
            }
            BinOp::Lt => f64::from(x < y - EPSILON),
            BinOp::Le => f64::from(x <= y + EPSILON),
            BinOp::Gt => f64::from(x > y + EPSILON),
            BinOp::Ge => f64::from(x >= y - EPSILON),
            BinOp::And => f64::from(x != 0.0 && y != 0.0),
            BinOp::Or => f64::from(x != 0.0 || y != 0.0),
            BinOp::Eq | BinOp::Ne => 0.0,
        };
        Ok(Value::Num(v))
    }

    fn name(
        &mut self,
        name: &'a Ident,
        index: &'a [Expr],
        args: &'a Option<Vec<Expr>>,
        span: Span,
    ) -> R<Value> {
        if let Some(args) = args {
            if let Some((body, is_func)) = self.procs.get(&name.name).copied() {
                return self.call(body, is_func, args, span);
            }
            let mut argv = Vec::new();
            for a in args {
                argv.push(self.eval(a)?);
            }
            if let Some(v) = self.builtin(name, &argv, args, span)? {
                return Ok(v);
            }
            if let Some(rv) = self.range_var(name, false)? {
                if argv.len() != 1 {
                    return Err(self.arg_count(span, &name.name, 1, argv.len()));
                }
                let x = self.as_num(&argv[0], args[0].span)?;
                if !(0.0..=1.0).contains(&x) {
                    return Err(err(
                        "E1607",
                        args[0].span,
                        format!("position {x} is outside the section"),
                        "must be between 0 and 1",
                        "positions run from 0 to 1",
                    ));
                }
                return Ok(Value::Num(self.read_range(&rv, x, span)?));
            }
            let mut known: Vec<&str> = self.procs.keys().map(String::as_str).collect();
            known.extend(super::names::BUILTINS);
            let help = match closest(&name.name, known.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => "define it with `proc` or `func` in this template".into(),
            };
            return Err(err(
                "E1611",
                name.span,
                format!("unknown function `{}`", name.name),
                "not defined",
                &help,
            ));
        }
        if !index.is_empty() {
            let mut idx = Vec::new();
            for e in index {
                idx.push(self.num(e)?);
            }
            return match self.lookup(&name.name) {
                Some(Value::Arr(d, data)) => {
                    let k = self.flat(&name.name, &d, &idx, span)?;
                    Ok(Value::Num(data[k]))
                }
                _ => Err(err(
                    "E1611",
                    name.span,
                    format!("`{}` is not an array", name.name),
                    "indexed here",
                    "declare arrays with `double name[n]` at template level",
                )),
            };
        }
        if let Some(v) = self.lookup(&name.name) {
            if let Value::Arr(..) = v {
                return Err(err(
                    "E1614",
                    span,
                    format!("`{}` is an array", name.name),
                    "needs an index",
                    &format!("write `{}[i]`", name.name),
                ));
            }
            return Ok(v);
        }
        if let Some(c) = super::names::constant(&name.name) {
            return Ok(Value::Num(c));
        }
        if let Some(rv) = self.range_var(name, false)? {
            return Ok(Value::Num(self.read_range(&rv, 0.5, span)?));
        }
        if super::names::is_global(&name.name) {
            return Err(unsupported(
                name.span,
                &format!("reading NEURON's global `{}`", name.name),
                "run settings come from the simulation config",
            ));
        }
        if self.defining {
            return Err(err(
                "E1611",
                name.span,
                format!("undefined variable `{}`", name.name),
                "not set before this",
                "set it before using it",
            ));
        }
        let vars: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        let help = match closest(&name.name, vars) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("set `{}` before using it", name.name),
        };
        Err(err(
            "E1611",
            name.span,
            format!("undefined variable `{}`", name.name),
            "never set before this",
            &help,
        ))
    }

    fn call(&mut self, body: &'a [Stmt], is_func: bool, args: &'a [Expr], span: Span) -> R<Value> {
        if self.frames.len() >= DEPTH_LIMIT {
            return Err(err(
                "E1613",
                span,
                format!("calls nested more than {DEPTH_LIMIT} deep"),
                "called here",
                "a proc that calls itself needs a condition that ends the recursion",
            ));
        }
        let mut argv = Vec::new();
        for a in args {
            argv.push(self.eval(a)?);
        }
        self.frames.push(Frame {
            args: argv,
            locals: HashMap::new(),
        });
        let depth = self.stack.len();
        let r = self.block(body);
        self.stack.truncate(depth);
        self.frames.pop();
        match r? {
            Flow::Return(Some(v)) => Ok(v),
            _ => {
                let _ = is_func;
                Ok(Value::Num(0.0))
            }
        }
    }

    /// NEURON's built-in functions; `None` when `name` is not one.
    fn builtin(
        &mut self,
        name: &Ident,
        argv: &[Value],
        args: &[Expr],
        span: Span,
    ) -> R<Option<Value>> {
        let n = |k: usize| -> R<f64> {
            match argv.get(k) {
                Some(Value::Num(x)) => Ok(*x),
                _ => Err(err(
                    "E1614",
                    args.get(k).map_or(span, |a| a.span),
                    format!("`{}` needs a number as argument {}", name.name, k + 1),
                    "not a number",
                    "pass a number",
                )),
            }
        };
        let want = |k: usize| -> R<()> {
            if argv.len() == k {
                Ok(())
            } else {
                Err(err(
                    "E1614",
                    span,
                    format!(
                        "`{}` takes {k} argument(s), {} given",
                        name.name,
                        argv.len()
                    ),
                    "wrong number of arguments",
                    &format!("call it with {k} argument(s)"),
                ))
            }
        };
        let math = |f: fn(f64) -> f64| -> R<Option<Value>> {
            want(1)?;
            let r = f(n(0)?);
            if r.is_nan() {
                return Err(err(
                    "E1619",
                    span,
                    format!("`{}` argument out of domain", name.name),
                    "no real result",
                    "check the argument",
                ));
            }
            Ok(Some(Value::Num(r)))
        };
        match name.name.as_str() {
            "sin" => math(f64::sin),
            "cos" => math(f64::cos),
            "tan" => math(f64::tan),
            "atan" => math(f64::atan),
            "tanh" => math(f64::tanh),
            "sqrt" => math(f64::sqrt),
            "exp" => math(value::exp),
            "log" => math(|x| if x <= 0.0 { f64::NAN } else { x.ln() }),
            "log10" => math(|x| if x <= 0.0 { f64::NAN } else { x.log10() }),
            "abs" | "fabs" => math(f64::abs),
            "int" => math(value::integer),
            "atan2" => {
                want(2)?;
                Ok(Some(Value::Num(n(0)?.atan2(n(1)?))))
            }
            "strcmp" => {
                want(2)?;
                match (&argv[0], &argv[1]) {
                    (Value::Str(a), Value::Str(b)) => Ok(Some(Value::Num(match a.cmp(b) {
                        std::cmp::Ordering::Less => -1.0,
                        std::cmp::Ordering::Equal => 0.0,
                        std::cmp::Ordering::Greater => 1.0,
                    }))),
                    _ => Err(err(
                        "E1614",
                        span,
                        "`strcmp` compares two strings",
                        "not strings",
                        "pass two strings",
                    )),
                }
            }
            "numarg" => Ok(Some(Value::Num(
                self.frames.last().map_or(0, |f| f.args.len()) as f64,
            ))),
            "secname" => {
                let sec = self.cur(span)?;
                Ok(Some(Value::Str(self.full_name(sec))))
            }
            "issection" => {
                want(1)?;
                let Some(Value::Str(p)) = argv.first() else {
                    return Err(err(
                        "E1614",
                        span,
                        "`issection` needs a string",
                        "not a string",
                        "write `issection(\"dend.*\")`",
                    ));
                };
                let sec = self.cur(span)?;
                let re = self.regex(&value::pattern(p), span)?;
                Ok(Some(Value::Num(f64::from(
                    re.is_match(&self.full_name(sec)),
                ))))
            }
            "ismembrane" => {
                want(1)?;
                let Some(Value::Str(m)) = argv.first() else {
                    return Err(err(
                        "E1614",
                        span,
                        "`ismembrane` needs a string",
                        "not a string",
                        "write `ismembrane(\"pas\")`",
                    ));
                };
                let sec = self.cur(span)?;
                let s = &self.secs[sec];
                let has = s.has_mech(m)
                    || m.strip_suffix("_ion").is_some_and(|ion| {
                        s.ions.iter().any(|i| i == ion)
                            || s.mechs.iter().any(|x| {
                                self.cat
                                    .find(&x.name)
                                    .is_some_and(|i| i.ions.iter().any(|j| j == ion))
                            })
                    });
                Ok(Some(Value::Num(f64::from(has))))
            }
            "distance" => Ok(Some(Value::Num(self.distance(argv, args, span)?))),
            "define_shape" => {
                self.define_shape(span);
                Ok(Some(Value::Num(0.0)))
            }
            "pt3dadd" => {
                want(4)?;
                let p = [n(0)? as f32, n(1)? as f32, n(2)? as f32, n(3)? as f32];
                self.pt3dadd(p, span)?;
                Ok(Some(Value::Num(1.0)))
            }
            "pt3dclear" => {
                let sec = self.cur(span)?;
                self.secs[sec].pt3d.clear();
                Ok(Some(Value::Num(0.0)))
            }
            "n3d" => {
                let sec = self.cur(span)?;
                Ok(Some(Value::Num(self.secs[sec].pt3d.len() as f64)))
            }
            "load_file" | "xopen" | "nrn_load_dll" | "printf" | "psection" | "topology"
            | "print" => Ok(Some(Value::Num(1.0))),
            _ => Ok(None),
        }
    }

    fn pt3dadd(&mut self, p: [f32; 4], span: Span) -> R<()> {
        let sec = self.cur(span)?;
        let s = &mut self.secs[sec];
        if let Some(first) = s.pt3d.first()
            && first[3] != p[3]
        {
            return Err(unsupported(
                span,
                "3-d points with different diameters (a tapering section)",
                "give all points of a section the same diameter, or use `L` and `diam`",
            ));
        }
        s.pt3d.push(p);
        s.pt3d_at.get_or_insert(span);
        let d = p[3] as f64;
        s.diam.values.iter_mut().for_each(|v| *v = d);
        s.diam.set_at = Some(span);
        if s.pt3d.len() >= 2 {
            s.length = s.pt3d_length();
        }
        Ok(())
    }

    /// `define_shape()`: sections without 3-d points get them from `L`
    /// and `diam`, which rounds `diam` to single precision as NEURON does.
    fn define_shape(&mut self, span: Span) {
        for s in &mut self.secs {
            if !s.pt3d.is_empty() {
                continue;
            }
            let mut changed = false;
            for v in &mut s.diam.values {
                let r = *v as f32 as f64;
                changed |= r != *v;
                *v = r;
            }
            s.pt3d_at = Some(span);
            if changed {
                self.warnings.push(
                    Diagnostic::warning(
                        "W1602",
                        format!(
                            "`define_shape()` rounds `diam` of `{}` to single precision, as NEURON does",
                            s.name
                        ),
                    )
                    .with_primary(span, "3-d points made here")
                    .with_help("NEURON then computes areas from the 3-d points; nmc uses the rounded diameter in a cylinder, which can differ in the last digits"),
                );
            }
        }
    }

    fn node_exact(&self, sec: usize, x: f64) -> Node {
        if x <= 0.0 {
            self.parent_node(sec)
        } else if x >= 1.0 {
            Node::End(sec)
        } else {
            Node::Center(sec, seg_index(self.secs[sec].nseg, x))
        }
    }

    fn parent_node(&self, sec: usize) -> Node {
        match self.secs[sec].parent {
            Some((p, px, _)) => self.node_exact(p, px),
            None => Node::Root(sec),
        }
    }

    fn depth(&self, sec: usize) -> usize {
        let mut d = 0;
        let mut s = sec;
        while let Some((p, _, _)) = self.secs[s].parent {
            d += 1;
            s = p;
        }
        d
    }

    fn node_dist(&self, sec: usize, node: Node) -> f64 {
        let s = &self.secs[sec];
        if node == self.parent_node(sec) {
            0.0
        } else {
            match node {
                Node::End(_) => s.length,
                Node::Center(_, i) => s.length * ((i as f64 + 0.5) / s.nseg as f64),
                Node::Root(_) => 0.0,
            }
        }
    }

    /// NEURON's path distance between two nodes.
    fn topol_distance(
        &self,
        mut s1: Option<usize>,
        mut n1: Node,
        mut s2: Option<usize>,
        mut n2: Node,
    ) -> f64 {
        let mut d = 0.0;
        while s1 != s2 {
            let move_first = match (s1, s2) {
                (None, _) => false,
                (_, None) => true,
                (Some(a), Some(b)) => self.depth(a) > self.depth(b),
            };
            if move_first {
                let a = s1.unwrap_or(0);
                d += self.node_dist(a, n1);
                n1 = self.parent_node(a);
                s1 = self.secs[a].parent.map(|p| p.0);
            } else {
                let b = s2.unwrap_or(0);
                d += self.node_dist(b, n2);
                n2 = self.parent_node(b);
                s2 = self.secs[b].parent.map(|p| p.0);
            }
        }
        match s1 {
            None => {
                if n1 != n2 {
                    d = 1e20;
                }
            }
            Some(s) => {
                if n1 != n2 {
                    let x1 = self.node_dist(s, n1);
                    let x2 = self.node_dist(s, n2);
                    d += if x1 < x2 { x2 - x1 } else { x1 - x2 };
                }
            }
        }
        d
    }

    fn distance(&mut self, argv: &[Value], args: &[Expr], span: Span) -> R<f64> {
        let num = |k: usize| -> R<f64> {
            match argv.get(k) {
                Some(Value::Num(x)) => Ok(*x),
                _ => Err(err(
                    "E1614",
                    args.get(k).map_or(span, |a| a.span),
                    "`distance` needs numbers",
                    "not a number",
                    "write `distance(0, x)` to set the origin, `distance(x)` to measure",
                )),
            }
        };
        let sec = self.cur(span)?;
        let (mode, x) = match argv.len() {
            0 => (0, 0.0),
            1 => (1, num(0)?),
            2 => (num(0)? as i64, num(1)?),
            k => return Err(self.arg_count(span, "distance", 2, k)),
        };
        let x = x.clamp(0.0, 1.0);
        let node = self.node_exact(sec, x);
        if mode == 0 {
            self.origin = Some((sec, node));
            return Ok(0.0);
        }
        let Some((osec, origin)) = self.origin else {
            return Err(err(
                "E1614",
                span,
                "`distance` has no origin",
                "measured before an origin is set",
                "set the origin first with `soma distance(0, 0.5)`",
            ));
        };
        Ok(self.topol_distance(Some(osec), origin, Some(sec), node))
    }
}
