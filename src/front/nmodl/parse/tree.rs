//! Turning pest pairs into the AST: items, declarations and statements.
//! Every access to a child pair is checked; a mismatch with the grammar is
//! an internal error ([`Bug`]), never a panic.

use super::{Rule, internal};
use crate::diag::{Diagnostic, FileId, Span};
use crate::front::nmodl::ast::*;
use pest::iterators::{Pair, Pairs};

/// A pest pair of the NMODL grammar.
pub(super) type P<'i> = Pair<'i, Rule>;

/// The grammar and the builder disagree (a bug in nmc).
pub(super) struct Bug {
    span: Span,
    what: String,
}

impl Bug {
    /// The E0199 diagnostic for this bug.
    pub(super) fn into_diagnostic(self) -> Diagnostic {
        internal(self.span, &self.what)
    }
}

/// Result of a builder step.
pub(super) type R<T> = Result<T, Bug>;

/// Rules that carry no information in the tree: punctuation and keywords.
fn is_noise(r: Rule) -> bool {
    matches!(
        r,
        Rule::lbrace
            | Rule::rbrace
            | Rule::lparen
            | Rule::rparen
            | Rule::lbracket
            | Rule::rbracket
            | Rule::comma
            | Rule::assign
            | Rule::kw_define
            | Rule::kw_include
            | Rule::kw_neuron
            | Rule::kw_units
            | Rule::kw_initial
            | Rule::kw_breakpoint
            | Rule::kw_procedure
            | Rule::kw_function
            | Rule::kw_function_table
            | Rule::kw_net_receive
            | Rule::kw_before
            | Rule::kw_after
            | Rule::kw_constructor
            | Rule::kw_destructor
            | Rule::kw_local
            | Rule::kw_protect
            | Rule::kw_solve
            | Rule::kw_solvefor
            | Rule::kw_method
            | Rule::kw_steadystate
            | Rule::kw_iferror
            | Rule::kw_if
            | Rule::kw_else
            | Rule::kw_while
            | Rule::kw_from
            | Rule::kw_to
            | Rule::kw_by
            | Rule::kw_with
            | Rule::kw_start
            | Rule::kw_conserve
            | Rule::kw_compartment
            | Rule::kw_longitudinal_diffusion
            | Rule::kw_table
            | Rule::kw_watch
            | Rule::kw_conductance
            | Rule::kw_suffix
            | Rule::kw_point_process
            | Rule::kw_artificial_cell
            | Rule::kw_useion
            | Rule::kw_read
            | Rule::kw_write
            | Rule::kw_valence
            | Rule::kw_range
            | Rule::kw_global
            | Rule::kw_nonspecific_current
            | Rule::kw_electrode_current
            | Rule::kw_pointer
            | Rule::kw_bbcorepointer
            | Rule::kw_external
            | Rule::kw_threadsafe
            | Rule::kw_random
            | Rule::kw_represents
            | Rule::kw_for_netcons
            | Rule::kw_lag
            | Rule::kw_depend
    )
}

/// The meaningful children of a pair, with checked access.
pub(super) struct Kids<'i> {
    it: Pairs<'i, Rule>,
    peeked: Option<P<'i>>,
    parent: Span,
}

impl<'i> Kids<'i> {
    /// Takes the next meaningful child.
    #[allow(clippy::should_implement_trait)]
    pub(super) fn next(&mut self) -> Option<P<'i>> {
        if let Some(p) = self.peeked.take() {
            return Some(p);
        }
        self.it.by_ref().find(|p| !is_noise(p.as_rule()))
    }

    /// The rule of the next meaningful child, without taking it.
    pub(super) fn peek(&mut self) -> Option<Rule> {
        if self.peeked.is_none() {
            self.peeked = self.next();
        }
        self.peeked.as_ref().map(|p| p.as_rule())
    }

    /// Takes the next child, which must be a `rule`.
    pub(super) fn want(&mut self, rule: Rule) -> R<P<'i>> {
        match self.next() {
            Some(p) if p.as_rule() == rule => Ok(p),
            Some(p) => Err(Bug {
                span: self.parent,
                what: format!("expected {rule:?}, found {:?}", p.as_rule()),
            }),
            None => Err(Bug {
                span: self.parent,
                what: format!("expected {rule:?}, found nothing"),
            }),
        }
    }

    /// Takes the next child if it is a `rule`.
    pub(super) fn opt(&mut self, rule: Rule) -> Option<P<'i>> {
        if self.peek() == Some(rule) {
            self.next()
        } else {
            None
        }
    }

    /// Takes any next child, which must exist.
    pub(super) fn any(&mut self) -> R<P<'i>> {
        self.next().ok_or_else(|| Bug {
            span: self.parent,
            what: "missing child".to_string(),
        })
    }
}

/// Builds the AST of one file from its pest tree.
pub(super) struct Builder<'s> {
    /// The file being built.
    pub(super) file: FileId,
    /// Its text.
    #[allow(dead_code)]
    pub(super) src: &'s str,
    /// Diagnostics found while building (limits, duplicate parts).
    pub(super) diags: Vec<Diagnostic>,
}

impl<'s> Builder<'s> {
    /// A builder for `file` whose text is `src`.
    pub(super) fn new(file: FileId, src: &'s str) -> Self {
        Builder {
            file,
            src,
            diags: Vec::new(),
        }
    }

    /// The span of a pair, without the whitespace and comments pest skips
    /// after its last token (when the rule ends in an absent optional part).
    pub(super) fn span(&self, p: &P<'_>) -> Span {
        Span::new(self.file, p.as_span().start(), self.end_of(p))
    }

    fn end_of(&self, p: &P<'_>) -> usize {
        let end = p.as_span().end();
        let Some(last) = p.clone().into_inner().last() else {
            return end;
        };
        let last_end = last.as_span().end();
        if last_end == end || self.src.get(last_end..end).is_some_and(is_trivia) {
            self.end_of(&last)
        } else {
            end
        }
    }

    /// The meaningful children of `p`.
    pub(super) fn kids<'i>(&self, p: P<'i>) -> Kids<'i> {
        let parent = self.span(&p);
        Kids {
            it: p.into_inner(),
            peeked: None,
            parent,
        }
    }

    /// A bug at `p`.
    pub(super) fn bug(&self, p: &P<'_>, what: &str) -> Bug {
        Bug {
            span: self.span(p),
            what: format!("{what} (rule {:?})", p.as_rule()),
        }
    }

    /// A bug at `span`.
    pub(super) fn bug_at(&self, span: Span, what: &str) -> Bug {
        Bug {
            span,
            what: what.to_string(),
        }
    }

    /// An identifier.
    pub(super) fn ident(&self, p: &P<'_>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    /// A `number` or `signed_number` (spaces after the sign are dropped).
    pub(super) fn number(&self, p: &P<'_>) -> R<Number> {
        let text: String = p.as_str().chars().filter(|c| !c.is_whitespace()).collect();
        let value = text
            .parse::<f64>()
            .map_err(|_| self.bug(p, "malformed number"))?;
        Ok(Number {
            value,
            text,
            span: self.span(p),
        })
    }

    /// A `unit` or `eunit`: the text inside the parentheses.
    pub(super) fn unit(&self, p: &P<'_>) -> UnitText {
        let s = p.as_str();
        let inner = s
            .strip_prefix('(')
            .and_then(|s| s.strip_suffix(')'))
            .unwrap_or(s);
        UnitText {
            text: inner.trim().to_string(),
            span: self.span(p),
        }
    }

    /// The whole file.
    pub(super) fn module(&mut self, top: P<'_>) -> R<Module> {
        let span = self.span(&top);
        let mut items = Vec::new();
        let mut kids = self.kids(top);
        while let Some(p) = kids.next() {
            match p.as_rule() {
                Rule::item => items.push(self.item(p)?),
                Rule::EOI => {}
                _ => return Err(self.bug(&p, "unexpected top-level pair")),
            }
        }
        Ok(Module { items, span })
    }

    fn item(&mut self, p: P<'_>) -> R<Item> {
        let span = self.span(&p);
        let mut kids = self.kids(p);
        let inner = kids.any()?;
        let kind = match inner.as_rule() {
            Rule::title => ItemKind::Title(raw_tail(&inner, "TITLE").trim().to_string()),
            Rule::verbatim => ItemKind::Verbatim(verbatim_text(&inner)),
            Rule::kw_unitson => ItemKind::UnitsOn,
            Rule::kw_unitsoff => ItemKind::UnitsOff,
            Rule::top_local => {
                // File-level LOCALs are static variables of the mechanism; the
                // AST has no node for them, so they are kept as (non-RANGE)
                // ASSIGNED variables, which NEURON also treats as file-wide.
                let local = self.kids(inner).want(Rule::local)?;
                let mut decls = Vec::new();
                let mut k = self.kids(local);
                while let Some(d) = k.next() {
                    let span = self.span(&d);
                    let mut dk = self.kids(d);
                    let name = self.ident(&dk.want(Rule::ident)?);
                    let array = match dk.opt(Rule::array_len) {
                        Some(a) => Some(self.array_len(a)?),
                        None => None,
                    };
                    decls.push(VarDecl {
                        name,
                        array,
                        value: None,
                        unit: None,
                        limits: None,
                        from_to: None,
                        start: None,
                        span,
                    });
                }
                ItemKind::Declare {
                    kind: DeclKind::Assigned,
                    decls,
                }
            }
            Rule::define => {
                let mut k = self.kids(inner);
                let name = self.ident(&k.want(Rule::ident)?);
                let value = self.number(&k.want(Rule::number)?)?;
                ItemKind::Define { name, value }
            }
            Rule::include => {
                let mut k = self.kids(inner);
                let s = k.want(Rule::string)?;
                ItemKind::Include {
                    path: string_text(&s),
                    resolved: false,
                }
            }
            Rule::neuron_block => {
                let mut stmts = Vec::new();
                let mut k = self.kids(inner);
                while let Some(s) = k.next() {
                    stmts.push(self.neuron_stmt(s)?);
                }
                ItemKind::Neuron(stmts)
            }
            Rule::units_block => {
                let mut defs = Vec::new();
                let mut k = self.kids(inner);
                while let Some(d) = k.next() {
                    defs.push(self.unit_def(d)?);
                }
                ItemKind::Units(defs)
            }
            Rule::declare_block => {
                let mut k = self.kids(inner);
                let kp = k.want(Rule::decl_kind)?;
                let kind = match kp.into_inner().next().map(|x| x.as_rule()) {
                    Some(Rule::kw_parameter) => DeclKind::Parameter,
                    Some(Rule::kw_constant) => DeclKind::Constant,
                    Some(Rule::kw_assigned) => DeclKind::Assigned,
                    Some(Rule::kw_state) => DeclKind::State,
                    Some(Rule::kw_independent) => DeclKind::Independent,
                    _ => DeclKind::Depend,
                };
                let mut decls = Vec::new();
                while let Some(d) = k.next() {
                    decls.push(self.var_decl(d)?);
                }
                ItemKind::Declare { kind, decls }
            }
            Rule::initial_block => {
                let mut k = self.kids(inner);
                ItemKind::Initial(self.block(k.want(Rule::block)?)?)
            }
            Rule::breakpoint_block => {
                let mut k = self.kids(inner);
                ItemKind::Breakpoint(self.block(k.want(Rule::block)?)?)
            }
            Rule::constructor => {
                let mut k = self.kids(inner);
                ItemKind::Constructor(self.block(k.want(Rule::block)?)?)
            }
            Rule::destructor => {
                let mut k = self.kids(inner);
                ItemKind::Destructor(self.block(k.want(Rule::block)?)?)
            }
            Rule::solvable_block => {
                let mut k = self.kids(inner);
                let kp = k.want(Rule::solvable_kind)?;
                let kind = match kp.into_inner().next().map(|x| x.as_rule()) {
                    Some(Rule::kw_derivative) => SolvableKind::Derivative,
                    Some(Rule::kw_kinetic) => SolvableKind::Kinetic,
                    Some(Rule::kw_linear) => SolvableKind::Linear,
                    Some(Rule::kw_nonlinear) => SolvableKind::NonLinear,
                    _ => SolvableKind::Discrete,
                };
                let name = self.ident(&k.want(Rule::ident)?);
                let solvefor = match k.opt(Rule::name_list) {
                    Some(list) => self.name_list(list),
                    None => Vec::new(),
                };
                let body = self.block(k.want(Rule::block)?)?;
                ItemKind::Solvable {
                    kind,
                    name,
                    solvefor,
                    body,
                }
            }
            Rule::procedure | Rule::function => {
                let is_fn = inner.as_rule() == Rule::function;
                let mut k = self.kids(inner);
                let name = self.ident(&k.want(Rule::ident)?);
                let params = match k.opt(Rule::params) {
                    Some(ps) => self.params(ps)?,
                    None => Vec::new(),
                };
                let unit = k.opt(Rule::unit).map(|u| self.unit(&u));
                let body = self.block(k.want(Rule::block)?)?;
                let def = FuncDef {
                    name,
                    params,
                    unit,
                    body,
                };
                if is_fn {
                    ItemKind::Function(def)
                } else {
                    ItemKind::Procedure(def)
                }
            }
            Rule::function_table => {
                let mut k = self.kids(inner);
                let name = self.ident(&k.want(Rule::ident)?);
                let params = match k.opt(Rule::params) {
                    Some(ps) => self.params(ps)?,
                    None => Vec::new(),
                };
                let unit = k.opt(Rule::unit).map(|u| self.unit(&u));
                ItemKind::FunctionTable { name, params, unit }
            }
            Rule::net_receive => {
                let mut k = self.kids(inner);
                let params = match k.opt(Rule::params) {
                    Some(ps) => self.params(ps)?,
                    None => Vec::new(),
                };
                let body = self.block(k.want(Rule::block)?)?;
                ItemKind::NetReceive { params, body }
            }
            Rule::before_block | Rule::after_block => {
                let before = inner.as_rule() == Rule::before_block;
                let mut k = self.kids(inner);
                let when = self.ident(&k.want(Rule::when)?);
                let body = self.block(k.want(Rule::block)?)?;
                if before {
                    ItemKind::Before { when, body }
                } else {
                    ItemKind::After { when, body }
                }
            }
            _ => return Err(self.bug(&inner, "unknown item")),
        };
        Ok(Item { kind, span })
    }

    fn neuron_stmt(&mut self, p: P<'_>) -> R<NeuronStmt> {
        let span = self.span(&p);
        let inner = self.kids(p).any()?;
        let rule = inner.as_rule();
        let mut k = self.kids(inner);
        let kind = match rule {
            Rule::suffix => NeuronStmtKind::Suffix(self.ident(&k.want(Rule::ident)?)),
            Rule::point_process => NeuronStmtKind::PointProcess(self.ident(&k.want(Rule::ident)?)),
            Rule::artificial_cell => {
                NeuronStmtKind::ArtificialCell(self.ident(&k.want(Rule::ident)?))
            }
            Rule::useion => {
                let ion = self.ident(&k.want(Rule::ident)?);
                let mut read = Vec::new();
                let mut write = Vec::new();
                let mut valence = None;
                while let Some(part) = k.next() {
                    let r = part.as_rule();
                    let mut pk = self.kids(part);
                    match r {
                        Rule::useion_read => read.extend(self.name_list(pk.want(Rule::name_list)?)),
                        Rule::useion_write => {
                            write.extend(self.name_list(pk.want(Rule::name_list)?))
                        }
                        Rule::useion_valence => {
                            valence = Some(self.number(&pk.want(Rule::signed_number)?)?)
                        }
                        // `REPRESENTS` on an ion is an annotation only.
                        _ => {}
                    }
                }
                NeuronStmtKind::UseIon {
                    ion,
                    read,
                    write,
                    valence,
                }
            }
            Rule::represents => {
                NeuronStmtKind::Represents(k.want(Rule::ontology_id)?.as_str().to_string())
            }
            Rule::threadsafe => NeuronStmtKind::ThreadSafe(match k.opt(Rule::name_list) {
                Some(l) => self.name_list(l),
                None => Vec::new(),
            }),
            _ => {
                let names = self.name_list(k.want(Rule::name_list)?);
                match rule {
                    Rule::range => NeuronStmtKind::Range(names),
                    Rule::global => NeuronStmtKind::Global(names),
                    Rule::nonspecific_current => NeuronStmtKind::NonspecificCurrent(names),
                    Rule::electrode_current => NeuronStmtKind::ElectrodeCurrent(names),
                    Rule::pointer => NeuronStmtKind::Pointer(names),
                    Rule::bbcorepointer => NeuronStmtKind::BbcorePointer(names),
                    Rule::external => NeuronStmtKind::External(names),
                    Rule::random => NeuronStmtKind::Random(names),
                    _ => {
                        return Err(Bug {
                            span,
                            what: format!("unknown NEURON statement {rule:?}"),
                        });
                    }
                }
            }
        };
        Ok(NeuronStmt { kind, span })
    }

    /// Names of a `name_list`.
    pub(super) fn name_list(&self, p: P<'_>) -> Vec<Ident> {
        self.kids(p)
            .it
            .filter(|x| x.as_rule() == Rule::ident)
            .map(|x| self.ident(&x))
            .collect()
    }

    fn unit_def(&mut self, p: P<'_>) -> R<UnitDef> {
        let span = self.span(&p);
        let inner = self.kids(p).any()?;
        let rule = inner.as_rule();
        let mut k = self.kids(inner);
        let kind = match rule {
            Rule::unit_alias => {
                let name = self.unit(&k.want(Rule::unit)?);
                let unit = self.unit(&k.want(Rule::unit)?);
                UnitDefKind::Alias { name, unit }
            }
            _ => {
                let name = self.ident(&k.want(Rule::ident)?);
                let (factor, value) = match k.peek() {
                    Some(Rule::unit) => (Some(self.unit(&k.any()?)), None),
                    _ => (None, Some(self.number(&k.want(Rule::signed_number)?)?)),
                };
                let unit = k.opt(Rule::unit).map(|u| self.unit(&u));
                UnitDefKind::Constant {
                    name,
                    factor,
                    value,
                    unit,
                }
            }
        };
        Ok(UnitDef { kind, span })
    }

    /// An array length `[4]` or `[N]`.
    pub(super) fn array_len(&self, p: P<'_>) -> R<ArrayLen> {
        let mut k = self.kids(p);
        let x = k.any()?;
        Ok(match x.as_rule() {
            Rule::ident => ArrayLen::Name(self.ident(&x)),
            _ => ArrayLen::Number(self.number(&x)?),
        })
    }

    fn var_decl(&mut self, p: P<'_>) -> R<VarDecl> {
        let span = self.span(&p);
        let mut k = self.kids(p);
        let name = self.ident(&k.want(Rule::ident)?);
        let array = match k.opt(Rule::array_len) {
            Some(a) => Some(self.array_len(a)?),
            None => None,
        };
        let mut d = VarDecl {
            name,
            array,
            value: None,
            unit: None,
            limits: None,
            from_to: None,
            start: None,
            span,
        };
        while let Some(part) = k.next() {
            let inner = self.kids(part).any()?;
            let pspan = self.span(&inner);
            let rule = inner.as_rule();
            let mut pk = self.kids(inner.clone());
            let dup = match rule {
                Rule::decl_value => {
                    let n = self.number(&pk.want(Rule::signed_number)?)?;
                    d.value.replace(n).is_some()
                }
                Rule::unit => d.unit.replace(self.unit(&inner)).is_some(),
                Rule::decl_limits => {
                    let lo = self.number(&pk.want(Rule::signed_number)?)?;
                    let hi = self.number(&pk.want(Rule::signed_number)?)?;
                    d.limits.replace((lo, hi)).is_some()
                }
                // The CVODE tolerance of a STATE is accepted and not kept.
                Rule::decl_tolerance => false,
                Rule::decl_from_to => {
                    let from = self.number(&pk.want(Rule::signed_number)?)?;
                    let to = self.number(&pk.want(Rule::signed_number)?)?;
                    let with = match pk.opt(Rule::number) {
                        Some(n) => Some(self.number(&n)?),
                        None => None,
                    };
                    d.from_to.replace(FromToWith { from, to, with }).is_some()
                }
                Rule::decl_start => {
                    let n = self.number(&pk.want(Rule::signed_number)?)?;
                    d.start.replace(n).is_some()
                }
                _ => return Err(self.bug(&inner, "unknown declaration part")),
            };
            if dup {
                self.diags.push(
                    Diagnostic::error(
                        "E0109",
                        format!(
                            "`{}` has this part ({}) twice in its declaration",
                            d.name.name,
                            part_name(rule)
                        ),
                    )
                    .with_primary(pspan, "second one here")
                    .with_secondary(d.name.span, "declared here")
                    .with_help("keep only one"),
                );
            }
        }
        Ok(d)
    }

    fn params(&mut self, p: P<'_>) -> R<Vec<Param>> {
        let mut out = Vec::new();
        let mut k = self.kids(p);
        while let Some(param) = k.next() {
            let span = self.span(&param);
            let mut pk = self.kids(param);
            let name = self.ident(&pk.want(Rule::ident)?);
            let unit = pk.opt(Rule::unit).map(|u| self.unit(&u));
            out.push(Param { name, unit, span });
        }
        Ok(out)
    }

    /// `{ statements }`.
    pub(super) fn block(&mut self, p: P<'_>) -> R<Block> {
        let span = self.span(&p);
        let mut stmts = Vec::new();
        let mut k = self.kids(p);
        while let Some(s) = k.next() {
            stmts.push(self.stmt(s)?);
        }
        Ok(Block { stmts, span })
    }

    fn lvalue(&mut self, p: P<'_>) -> R<LValue> {
        let span = self.span(&p);
        let mut k = self.kids(p);
        let name = self.ident(&k.want(Rule::ident)?);
        let index = match k.opt(Rule::expr) {
            Some(e) => Some(Box::new(self.expr(e)?)),
            None => None,
        };
        Ok(LValue { name, index, span })
    }

    fn stmt(&mut self, p: P<'_>) -> R<Stmt> {
        let span = self.span(&p);
        let inner = self.kids(p).any()?;
        let rule = inner.as_rule();
        let kind = match rule {
            Rule::verbatim => StmtKind::Verbatim(verbatim_text(&inner)),
            Rule::kw_unitson => StmtKind::UnitsOn,
            Rule::kw_unitsoff => StmtKind::UnitsOff,
            Rule::kw_mutexlock => StmtKind::Mutex { lock: true },
            Rule::kw_mutexunlock => StmtKind::Mutex { lock: false },
            Rule::block => StmtKind::Block(self.block(inner)?),
            _ => {
                let mut k = self.kids(inner.clone());
                self.stmt_kind(rule, &inner, &mut k)?
            }
        };
        Ok(Stmt { kind, span })
    }

    fn stmt_kind(&mut self, rule: Rule, inner: &P<'_>, k: &mut Kids<'_>) -> R<StmtKind> {
        Ok(match rule {
            Rule::local => {
                let mut decls = Vec::new();
                while let Some(d) = k.next() {
                    let mut dk = self.kids(d);
                    let name = self.ident(&dk.want(Rule::ident)?);
                    let array = match dk.opt(Rule::array_len) {
                        Some(a) => Some(self.array_len(a)?),
                        None => None,
                    };
                    decls.push(LocalDecl { name, array });
                }
                StmtKind::Local(decls)
            }
            Rule::assignment | Rule::protect => {
                let target = self.lvalue(k.want(Rule::lvalue)?)?;
                let value = self.expr(k.want(Rule::expr)?)?;
                StmtKind::Assign {
                    target,
                    value,
                    protect: rule == Rule::protect,
                }
            }
            Rule::derivative => {
                let target = self.lvalue(k.want(Rule::lvalue)?)?;
                let order = k.want(Rule::prime)?.as_str().len().min(255) as u8;
                let value = self.expr(k.want(Rule::expr)?)?;
                StmtKind::Derivative {
                    target,
                    order,
                    value,
                }
            }
            Rule::call_stmt => StmtKind::Expr(self.expr_any(k.want(Rule::call)?)?),
            Rule::if_stmt => {
                let cond = self.expr(k.want(Rule::expr)?)?;
                let then = self.block(k.want(Rule::block)?)?;
                let mut else_ifs = Vec::new();
                let mut otherwise = None;
                while let Some(x) = k.next() {
                    let r = x.as_rule();
                    let mut xk = self.kids(x);
                    if r == Rule::else_if {
                        let c = self.expr(xk.want(Rule::expr)?)?;
                        let b = self.block(xk.want(Rule::block)?)?;
                        else_ifs.push((c, b));
                    } else {
                        otherwise = Some(self.block(xk.want(Rule::block)?)?);
                    }
                }
                StmtKind::If {
                    cond,
                    then,
                    else_ifs,
                    otherwise,
                }
            }
            Rule::while_stmt => {
                let cond = self.expr(k.want(Rule::expr)?)?;
                let body = self.block(k.want(Rule::block)?)?;
                StmtKind::While { cond, body }
            }
            Rule::from_stmt => {
                let var = self.ident(&k.want(Rule::ident)?);
                let from = self.expr(k.want(Rule::expr)?)?;
                let to = self.expr(k.want(Rule::expr)?)?;
                let by = match k.opt(Rule::expr) {
                    Some(e) => Some(self.expr(e)?),
                    None => None,
                };
                let body = self.block(k.want(Rule::block)?)?;
                StmtKind::FromTo {
                    var,
                    from,
                    to,
                    by,
                    body,
                }
            }
            Rule::solve => {
                let block = self.ident(&k.want(Rule::ident)?);
                let mut method = None;
                let mut steadystate = None;
                let mut if_error = None;
                while let Some(x) = k.next() {
                    match x.as_rule() {
                        Rule::solve_method => {
                            method = Some(self.ident(&self.kids(x).want(Rule::ident)?))
                        }
                        Rule::solve_steadystate => {
                            steadystate = Some(self.ident(&self.kids(x).want(Rule::ident)?))
                        }
                        Rule::block => if_error = Some(self.block(x)?),
                        _ => return Err(self.bug(&x, "unknown SOLVE part")),
                    }
                }
                StmtKind::Solve {
                    block,
                    method,
                    steadystate,
                    if_error,
                }
            }
            Rule::table => {
                let names = match k.opt(Rule::name_list) {
                    Some(l) => self.name_list(l),
                    None => Vec::new(),
                };
                let depend = match k.opt(Rule::table_depend) {
                    Some(d) => {
                        let l = self.kids(d).want(Rule::name_list)?;
                        self.name_list(l)
                    }
                    None => Vec::new(),
                };
                let from = self.expr(k.want(Rule::expr)?)?;
                let to = self.expr(k.want(Rule::expr)?)?;
                let with = self.expr(k.want(Rule::expr)?)?;
                StmtKind::Table {
                    names,
                    depend,
                    from,
                    to,
                    with,
                }
            }
            Rule::conserve => {
                let lhs = self.expr(k.want(Rule::expr)?)?;
                let rhs = self.expr(k.want(Rule::expr)?)?;
                StmtKind::Conserve { lhs, rhs }
            }
            Rule::equation => {
                let lhs = self.expr(k.want(Rule::expr)?)?;
                let rhs = self.expr(k.want(Rule::expr)?)?;
                StmtKind::Equation { lhs, rhs }
            }
            Rule::compartment | Rule::longitudinal => {
                let mut bk = self.kids(k.want(Rule::compartment_body)?);
                let index = bk.opt(Rule::ident).map(|i| self.ident(&i));
                let volume = self.expr(bk.want(Rule::expr)?)?;
                let mut states = Vec::new();
                while let Some(s) = bk.next() {
                    states.push(self.ident(&s));
                }
                StmtKind::Compartment {
                    longitudinal: rule == Rule::longitudinal,
                    index,
                    volume,
                    states,
                }
            }
            Rule::watch => {
                let mut items = Vec::new();
                while let Some(w) = k.next() {
                    let mut wk = self.kids(w);
                    let c = self.expr(wk.want(Rule::expr)?)?;
                    let f = self.expr(wk.want(Rule::expr)?)?;
                    items.push((c, f));
                }
                StmtKind::Watch(items)
            }
            Rule::nested_initial => StmtKind::Initial(self.block(k.want(Rule::block)?)?),
            Rule::conductance => {
                let name = self.ident(&k.want(Rule::ident)?);
                let ion = k.opt(Rule::ident).map(|i| self.ident(&i));
                StmtKind::Conductance { name, ion }
            }
            Rule::for_netcons => {
                // The AST has no FOR_NETCONS node yet: it is kept as a block
                // whose first statement declares the loop's names as LOCALs.
                let params = self.params(k.want(Rule::params)?)?;
                let mut body = self.block(k.want(Rule::block)?)?;
                if !params.is_empty() {
                    let span = params[0].span.to(params[params.len() - 1].span);
                    let decls = params
                        .into_iter()
                        .map(|p| LocalDecl {
                            name: p.name,
                            array: None,
                        })
                        .collect();
                    body.stmts.insert(
                        0,
                        Stmt {
                            kind: StmtKind::Local(decls),
                            span,
                        },
                    );
                }
                StmtKind::Block(body)
            }
            Rule::lag => {
                // The AST has no LAG node yet: kept as a call `LAG(x, tau)`.
                let kw_span = Span::new(
                    self.file,
                    inner.as_span().start(),
                    inner.as_span().start() + 3,
                );
                let name = self.ident(&k.want(Rule::ident)?);
                let by = self.ident(&k.want(Rule::ident)?);
                let arg = |i: Ident| Expr {
                    span: i.span,
                    kind: ExprKind::Name(i),
                };
                StmtKind::Expr(Expr {
                    kind: ExprKind::Call {
                        name: Ident {
                            name: "LAG".to_string(),
                            span: kw_span,
                        },
                        args: vec![arg(name), arg(by)],
                    },
                    span: self.span(inner),
                })
            }
            Rule::reaction => StmtKind::Reaction(self.reaction(k)?),
            _ => return Err(self.bug(inner, "unknown statement")),
        })
    }

    fn react_side(&mut self, p: P<'_>) -> R<Vec<ReactTerm>> {
        let mut out = Vec::new();
        let mut k = self.kids(p);
        while let Some(t) = k.next() {
            let span = self.span(&t);
            let mut tk = self.kids(t);
            let coeff = match tk.opt(Rule::coeff) {
                Some(c) => match c.as_str().parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => {
                        self.diags.push(
                            Diagnostic::error("E0111", "stoichiometric coefficient is too large")
                                .with_primary(self.span(&c), "does not fit in 32 bits")
                                .with_help("a coefficient is a small whole number, as in `~ 2 ca <-> ca2 (kf, kb)`"),
                        );
                        1
                    }
                },
                None => 1,
            };
            let name = self.ident(&tk.want(Rule::ident)?);
            let index = match tk.opt(Rule::expr) {
                Some(e) => Some(Box::new(self.expr(e)?)),
                None => None,
            };
            out.push(ReactTerm {
                coeff,
                name,
                index,
                span,
            });
        }
        Ok(out)
    }

    fn reaction(&mut self, k: &mut Kids<'_>) -> R<Reaction> {
        let lhs = self.react_side(k.want(Rule::react_side)?)?;
        let arrow = k.any()?;
        let rule = arrow.as_rule();
        let mut ak = self.kids(arrow.clone());
        let kind = match rule {
            Rule::react_reversible => {
                let rhs = self.react_side(ak.want(Rule::react_side)?)?;
                let forward = self.expr(ak.want(Rule::expr)?)?;
                let backward = self.expr(ak.want(Rule::expr)?)?;
                ReactionKind::Reversible {
                    rhs,
                    forward,
                    backward,
                }
            }
            Rule::react_forward => {
                let rhs = match ak.opt(Rule::react_side) {
                    Some(s) => self.react_side(s)?,
                    None => Vec::new(),
                };
                let rate = self.expr(ak.want(Rule::expr)?)?;
                ReactionKind::Forward { rhs, rate }
            }
            Rule::react_flux => ReactionKind::Flux {
                flux: self.expr(ak.want(Rule::expr)?)?,
            },
            _ => return Err(self.bug(&arrow, "unknown reaction arrow")),
        };
        Ok(Reaction { lhs, kind })
    }
}

/// True when `s` holds only whitespace and comments.
fn is_trivia(s: &str) -> bool {
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return true;
        }
        if rest.starts_with(':') || rest.starts_with('?') {
            match rest.find('\n') {
                Some(i) => rest = &rest[i..],
                None => return true,
            }
        } else if let Some(after) = rest.strip_prefix("COMMENT") {
            match after.find("ENDCOMMENT") {
                Some(i) => rest = &after[i + "ENDCOMMENT".len()..],
                None => return false,
            }
        } else {
            return false;
        }
    }
}

/// Human name of a declaration part, for E0109.
fn part_name(rule: Rule) -> &'static str {
    match rule {
        Rule::decl_value => "default value",
        Rule::unit => "unit",
        Rule::decl_limits => "limits",
        Rule::decl_from_to => "FROM ... TO",
        _ => "START value",
    }
}

/// The text after a leading keyword of an atomic pair (TITLE).
fn raw_tail(p: &P<'_>, keyword: &str) -> String {
    p.as_str()
        .strip_prefix(keyword)
        .unwrap_or(p.as_str())
        .to_string()
}

/// The C text between VERBATIM and ENDVERBATIM.
fn verbatim_text(p: &P<'_>) -> String {
    let s = p.as_str();
    s.strip_prefix("VERBATIM")
        .and_then(|s| s.strip_suffix("ENDVERBATIM"))
        .unwrap_or(s)
        .to_string()
}

/// The contents of a string literal exactly as written between the quotes
/// (escapes such as `\n` are kept for the printf implementation).
pub(super) fn string_text(p: &P<'_>) -> String {
    let s = p.as_str();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .to_string()
}
