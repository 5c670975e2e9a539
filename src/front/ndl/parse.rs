//! Parsing NDL text (grammar `grammar/ndl.pest`) into the spanned AST.
//! A pest failure becomes one diagnostic (E1101-E1103) pointing at the
//! offending token; a grammar/builder mismatch is E1199, never a panic.

use super::ast::*;
use crate::diag::suggest::closest;
use crate::diag::{Diagnostic, FileId, Span};
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest_derive::Parser;

/// The pest parser generated from `grammar/ndl.pest`.
#[derive(Parser)]
#[grammar = "../grammar/ndl.pest"]
pub struct NdlParser;

/// Words that start a top-level statement.
pub const TOP_KEYWORDS: &[&str] = &[
    "network",
    "mechanisms",
    "use",
    "seed",
    "cell",
    "population",
    "synapse",
    "input",
    "node_set",
    "stimulus",
    "connect",
    "run",
    "output",
];

/// Parses `src` (file `file`) into the AST, or reports the first syntax error.
pub fn parse(src: &str, file: FileId) -> Result<File, Diagnostic> {
    if let Some(d) = unclosed_brace(src, file) {
        return Err(d);
    }
    let mut pairs = NdlParser::parse(Rule::file, src).map_err(|e| syntax_error(&e, src, file))?;
    let root = pairs
        .next()
        .ok_or_else(|| internal(Span::new(file, 0, 0)))?;
    let b = Builder { file };
    let mut items = Vec::new();
    for p in root.into_inner().filter(|q| !is_keyword(q.as_rule())) {
        if p.as_rule() == Rule::EOI {
            continue;
        }
        items.push(b.item(p)?);
    }
    Ok(File { items })
}

fn internal(span: Span) -> Diagnostic {
    Diagnostic::error("E1199", "internal parser error (a bug in nmc)")
        .with_primary(span, "while reading this")
        .with_help("please report this file to the nmc developers")
}

/// Finds a `{` never closed (E1102) or a stray `}` (E1101), skipping strings
/// and comments, so the message names the brace rather than the end of file.
fn unclosed_brace(src: &str, file: FileId) -> Option<Diagnostic> {
    let b = src.as_bytes();
    let mut stack: Vec<usize> = Vec::new();
    // Open `(`, `[` and `{`, and the run of `-` signs in a row.
    let mut nest: Vec<usize> = Vec::new();
    let mut signs = 0usize;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'-' && !b[i].is_ascii_whitespace() {
            signs = 0;
        }
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'(' | b'[' | b'{' | b'-' => {
                if b[i] == b'{' {
                    stack.push(i);
                }
                let sign = b[i] == b'-';
                if sign {
                    signs += 1;
                } else {
                    nest.push(i);
                }
                if nest.len() + signs > MAX_NESTING {
                    return Some(
                        Diagnostic::error(
                            "E1104",
                            format!("nested too deeply (more than {MAX_NESTING} levels of brackets, braces or signs)"),
                        )
                        .with_primary(Span::new(file, i, i + 1), "nesting limit reached here")
                        .with_help("split the expression or the block"),
                    );
                }
                i += 1;
                continue;
            }
            b')' | b']' => {
                nest.pop();
            }
            b'}' => {
                nest.pop();
                if stack.pop().is_none() {
                    return Some(
                        Diagnostic::error("E1101", "`}` with no `{` to close")
                            .with_primary(Span::new(file, i, i + 1), "nothing to close here")
                            .with_help("remove this `}` or add the `{` it closes"),
                    );
                }
            }
            _ => {}
        }
        i += 1;
    }
    let open = *stack.last()?;
    let line_start = src[..open].rfind('\n').map_or(0, |p| p + 1);
    let head = src[line_start..open].trim();
    let head_span = Span::new(
        file,
        line_start + (src[line_start..open].len() - src[line_start..open].trim_start().len()),
        open,
    );
    let mut d = Diagnostic::error("E1102", "unclosed `{`: a block is missing its `}`")
        .with_primary(
            Span::new(file, open, open + 1),
            "this block is never closed",
        );
    if !head.is_empty() {
        d = d.with_secondary(head_span, "in this statement");
    }
    Some(d.with_help("add `}` at the end of the block"))
}

/// The token at byte `pos`: a word, a number, one punctuation character or end of file.
fn token_at(src: &str, pos: usize) -> (usize, usize, String) {
    let rest = &src[pos..];
    let Some(c) = rest.chars().next() else {
        return (pos, pos, "end of file".into());
    };
    if c == '\n' || c == '\r' {
        return (pos, pos + 1, "end of line".into());
    }
    let len = if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len())
    } else {
        c.len_utf8()
    };
    (pos, pos + len, format!("`{}`", &rest[..len]))
}

fn describe(rule: &Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident | Rule::cells_ref | Rule::refs | Rule::reference => "a name",
        Rule::int => "a whole number",
        Rule::number | Rule::expr | Rule::term | Rule::factor | Rule::quantity => "a number",
        Rule::string => "a quoted string",
        Rule::unit => "a unit",
        Rule::value => "a value",
        Rule::assign => "a setting `name = value`",
        Rule::settings => "`{`",
        Rule::site | Rule::target_site => "a site such as `soma(0.5)`",
        Rule::selector => "`[`",
        Rule::list | Rule::train_list => "a list `[...]`",
        Rule::train_file => "`from \"file\"`",
        Rule::insert => "`insert`",
        Rule::ion => "`ion`",
        Rule::section => "`section`",
        Rule::topology => "`connect`",
        Rule::biophysics => "`biophysics`",
        Rule::morphology => "`from swc \"file.swc\"`",
        Rule::report => "`report`",
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::EOI => "end of file",
        Rule::position | Rule::tuple => "`(`",
        Rule::call | Rule::fcall => "a call such as `probability(0.1)`",
        Rule::arg | Rule::arg_name => "an argument",
        Rule::points => "a list of points `[(x, y, z), ...]`",
        Rule::from_file => "`from \"file\"`",
        Rule::poisson => "`poisson`",
        Rule::pattern_stim => "`PatternStim`",
        Rule::var => "a name",
        Rule::range_op => "`..`",
        _ => return None,
    })
}

fn syntax_error(e: &pest::error::Error<Rule>, src: &str, file: FileId) -> Diagnostic {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
    .min(src.len());
    let (s, end, found) = token_at(src, pos);
    let span = Span::new(file, s, end.max(s));
    let positives: Vec<Rule> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { message } => {
            return Diagnostic::error("E1101", format!("syntax error: {message}"))
                .with_primary(span, "here");
        }
    };
    let word = src[s..end.max(s)].to_string();
    let is_word = word.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let line_start = src[..s].rfind('\n').map_or(0, |p| p + 1);
    let first_on_line = src[line_start..s].trim().is_empty();
    let at_item = (first_on_line && positives.contains(&Rule::EOI))
        || positives.iter().any(|r| {
            matches!(
                r,
                Rule::network_name
                    | Rule::mechanisms
                    | Rule::use_file
                    | Rule::seed
                    | Rule::node_set
                    | Rule::cell
                    | Rule::population
                    | Rule::synapse
                    | Rule::input
                    | Rule::stimulus
                    | Rule::connection
                    | Rule::run
                    | Rule::output
            )
        });
    if at_item && is_word {
        let mut d = Diagnostic::error("E1103", format!("unknown statement `{word}`"))
            .with_primary(span, "not an NDL keyword");
        d = match closest(&word, TOP_KEYWORDS.iter().copied()) {
            Some(k) => d.with_help(format!("did you mean `{k}`?")),
            None => d.with_help(format!(
                "a statement starts with one of {}",
                TOP_KEYWORDS.join(", ")
            )),
        };
        return d;
    }
    // `population E = 1.5 of C`: the whole number ended at the `.`.
    let after_digit = s > 0 && src.as_bytes()[s - 1].is_ascii_digit();
    if after_digit && word.starts_with('.') && word[1..].starts_with(|c: char| c.is_ascii_digit()) {
        let start = src[..s]
            .rfind(|c: char| !c.is_ascii_digit())
            .map_or(0, |p| p + 1);
        let number = &src[start..end.max(s)];
        return Diagnostic::error(
            "E1101",
            format!("expected a whole number, found `{number}`"),
        )
        .with_primary(Span::new(file, start, end.max(s)), "not a whole number")
        .with_help("counts are whole numbers: write e.g. `2`");
    }
    let mut expected: Vec<&str> = Vec::new();
    for r in &positives {
        if let Some(w) = describe(r)
            && !expected.contains(&w)
        {
            expected.push(w);
        }
    }
    if expected.is_empty() {
        // Nothing nameable fits here: most often a statement ran on
        // into the next one on the same line.
        return Diagnostic::error("E1101", format!("cannot read the statement at {found}"))
            .with_primary(span, "not a statement that fits here")
            .with_help(
                "a statement ends at a newline or `;`: two on one line need a `;` between them",
            );
    }
    let list = match expected.len() {
        1 => expected[0].to_string(),
        n => format!("{} or {}", expected[..n - 1].join(", "), expected[n - 1]),
    };
    let mut d = Diagnostic::error("E1101", format!("expected {list}, found {found}"))
        .with_primary(span, format!("expected {list}"));
    if positives.contains(&Rule::unit) || found == "end of line" {
        d = d.with_help("statements end at a newline or `;`; a unit follows its number on the same line (`50 ms`)");
    } else if is_word && (positives.contains(&Rule::insert) || positives.contains(&Rule::section)) {
        let kws = ["insert", "ion", "section", "connect"];
        if let Some(k) = closest(&word, kws.iter().copied()) {
            d = d.with_help(format!("did you mean `{k}`?"));
        }
    }
    d
}

/// True for the keyword tokens, which the builder skips.
fn is_keyword(r: Rule) -> bool {
    format!("{r:?}").starts_with("kw_")
}

/// Turns pest pairs into AST nodes.
struct Builder {
    file: FileId,
}

type R<T> = Result<T, Diagnostic>;

impl Builder {
    /// The pair's span without the trailing blanks pest may include.
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        let len = p.as_str().trim_end().len();
        Span::new(self.file, s.start(), s.start() + len)
    }

    fn ident(&self, p: Pair<Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn next<'a>(
        &self,
        it: &mut impl Iterator<Item = Pair<'a, Rule>>,
        at: Span,
    ) -> R<Pair<'a, Rule>> {
        it.next().ok_or_else(|| internal(at))
    }

    fn item(&self, p: Pair<Rule>) -> R<Item> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
        Ok(match rule {
            Rule::network_name => Item::Network(self.ident(self.next(&mut it, span)?)),
            Rule::mechanisms => {
                let s = self.next(&mut it, span)?;
                let (path, span) = self.string(s);
                Item::Mechanisms { path, span }
            }
            Rule::use_file => {
                let (path, span) = self.string(self.next(&mut it, span)?);
                Item::Use { path, span }
            }
            Rule::seed => {
                let n = self.next(&mut it, span)?;
                let nspan = self.span(&n);
                let value = n.as_str().parse::<u64>().map_err(|_| {
                    Diagnostic::error("E1304", "the seed is too large")
                        .with_primary(nspan, "not a usable seed")
                        .with_help("a seed is a whole number below 2^64")
                })?;
                Item::Seed { value, span: nspan }
            }
            Rule::node_set => {
                let name = self.ident(self.next(&mut it, span)?);
                let settings = self.settings(self.next(&mut it, span)?)?;
                Item::NodeSet(NodeSetDef {
                    name,
                    settings,
                    span,
                })
            }
            Rule::cell => Item::Cell(self.cell(it, span)?),
            Rule::population => {
                let name = self.ident(self.next(&mut it, span)?);
                let n = self.next(&mut it, span)?;
                let count_span = self.span(&n);
                let count = n.as_str().parse::<u64>().map_err(|_| {
                    Diagnostic::error("E1304", "population size is too large")
                        .with_primary(count_span, "not a usable count")
                })?;
                let cell_type = self.ident(self.next(&mut it, span)?);
                let settings = match it.next() {
                    Some(s) => Some(self.settings(s)?),
                    None => None,
                };
                Item::Population(PopulationDef {
                    name,
                    count,
                    count_span,
                    cell_type,
                    settings,
                    span,
                })
            }
            Rule::synapse => {
                let name = self.ident(self.next(&mut it, span)?);
                let mechanism = self.ident(self.next(&mut it, span)?);
                let params = match it.next() {
                    Some(s) => self.settings(s)?,
                    None => Settings {
                        assigns: Vec::new(),
                        span: mechanism.span,
                    },
                };
                Item::Synapse(SynapseDef {
                    name,
                    mechanism,
                    params,
                    span,
                })
            }
            Rule::input => {
                let name = self.ident(self.next(&mut it, span)?);
                let t = self.next(&mut it, span)?;
                let train = match t.as_rule() {
                    Rule::poisson => {
                        let st = self.next(
                            &mut t.into_inner().filter(|q| !is_keyword(q.as_rule())),
                            span,
                        )?;
                        Train::Poisson(self.settings(st)?)
                    }
                    Rule::pattern_stim => {
                        let st = self.next(
                            &mut t.into_inner().filter(|q| !is_keyword(q.as_rule())),
                            span,
                        )?;
                        Train::Pattern(self.settings(st)?)
                    }
                    Rule::train_list => {
                        let l = self.next(
                            &mut t.into_inner().filter(|q| !is_keyword(q.as_rule())),
                            span,
                        )?;
                        Train::List(self.list(l)?)
                    }
                    _ => {
                        let mut ti = t.into_inner().filter(|q| !is_keyword(q.as_rule()));
                        let (path, path_span) = self.string(self.next(&mut ti, span)?);
                        let unit = ti.next().map(|u| self.unit(u));
                        Train::File {
                            path,
                            path_span,
                            unit,
                        }
                    }
                };
                Item::Input(InputDef { name, train, span })
            }
            Rule::stimulus => {
                let mechanism = self.ident(self.next(&mut it, span)?);
                let ts = self.next(&mut it, span)?;
                let mut cells = None;
                let mut site = None;
                for q in ts.into_inner().filter(|q| !is_keyword(q.as_rule())) {
                    match q.as_rule() {
                        Rule::cells_ref => cells = Some(self.cells_ref(q)?),
                        _ => site = Some(self.site(q)?),
                    }
                }
                let site = site.ok_or_else(|| internal(span))?;
                let params = match it.next() {
                    Some(s) => self.settings(s)?,
                    None => Settings {
                        assigns: Vec::new(),
                        span: mechanism.span,
                    },
                };
                Item::Stimulus(StimulusDef {
                    mechanism,
                    cells,
                    site,
                    params,
                    span,
                })
            }
            Rule::connection => {
                let source = self.cells_ref(self.next(&mut it, span)?)?;
                let target = self.cells_ref(self.next(&mut it, span)?)?;
                let settings = self.settings(self.next(&mut it, span)?)?;
                Item::Connect(ConnectDef {
                    source,
                    target,
                    settings,
                    span,
                })
            }
            Rule::run => Item::Run(self.settings(self.next(&mut it, span)?)?),
            Rule::output => {
                let mut settings = Vec::new();
                let mut reports = Vec::new();
                for q in it {
                    match q.as_rule() {
                        Rule::assign => settings.push(self.assign(q)?),
                        Rule::report => {
                            let rspan = self.span(&q);
                            let mut ri = q.into_inner().filter(|q| !is_keyword(q.as_rule()));
                            let name = self.ident(self.next(&mut ri, rspan)?);
                            let settings = self.settings(self.next(&mut ri, rspan)?)?;
                            reports.push(ReportDef {
                                name,
                                settings,
                                span: rspan,
                            });
                        }
                        _ => return Err(internal(self.span(&q))),
                    }
                }
                Item::Output(OutputDef {
                    settings,
                    reports,
                    span,
                })
            }
            _ => return Err(internal(span)),
        })
    }

    fn cell<'a>(&self, mut it: impl Iterator<Item = Pair<'a, Rule>>, span: Span) -> R<CellDef> {
        let name = self.ident(self.next(&mut it, span)?);
        let mut cell = CellDef {
            name,
            sections: Vec::new(),
            inserts: Vec::new(),
            ions: Vec::new(),
            topology: Vec::new(),
            morphology: None,
            biophysics: Vec::new(),
            properties: Vec::new(),
            span,
        };
        for q in it {
            match q.as_rule() {
                Rule::morphology => {
                    let mspan = self.span(&q);
                    let mut mi = q.into_inner().filter(|q| !is_keyword(q.as_rule()));
                    let format = self.ident(self.next(&mut mi, mspan)?);
                    let (path, span) = self.string(self.next(&mut mi, mspan)?);
                    cell.morphology = Some(MorphologySource {
                        format,
                        file: FileRef { path, span },
                    });
                }
                Rule::biophysics => {
                    let bspan = self.span(&q);
                    let mut bi = q.into_inner().filter(|q| !is_keyword(q.as_rule()));
                    let (path, span) = self.string(self.next(&mut bi, bspan)?);
                    cell.biophysics.push(FileRef { path, span });
                }
                Rule::assign => cell.properties.push(self.assign(q)?),
                Rule::section => {
                    let sspan = self.span(&q);
                    let mut si = q.into_inner().filter(|q| !is_keyword(q.as_rule()));
                    let name = self.ident(self.next(&mut si, sspan)?);
                    let mut sec = SectionDef {
                        name,
                        properties: Vec::new(),
                        inserts: Vec::new(),
                        ions: Vec::new(),
                        span: sspan,
                    };
                    for r in si {
                        match r.as_rule() {
                            Rule::insert => sec.inserts.push(self.insert(r)?),
                            Rule::ion => sec.ions.push(self.ion(r)?),
                            Rule::assign => sec.properties.push(self.assign(r)?),
                            _ => return Err(internal(self.span(&r))),
                        }
                    }
                    cell.sections.push(sec);
                }
                Rule::insert => cell.inserts.push(self.insert(q)?),
                Rule::ion => cell.ions.push(self.ion(q)?),
                Rule::topology => {
                    let tspan = self.span(&q);
                    let mut ti = q.into_inner().filter(|q| !is_keyword(q.as_rule()));
                    let child = self.site(self.next(&mut ti, tspan)?)?;
                    let parent = self.site(self.next(&mut ti, tspan)?)?;
                    cell.topology.push(Topology {
                        child,
                        parent,
                        span: tspan,
                    });
                }
                _ => return Err(internal(self.span(&q))),
            }
        }
        Ok(cell)
    }

    fn insert(&self, p: Pair<Rule>) -> R<InsertDef> {
        let span = self.span(&p);
        let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
        let mechanism = self.ident(self.next(&mut it, span)?);
        let params = match it.next() {
            Some(s) => self.settings(s)?,
            None => Settings {
                assigns: Vec::new(),
                span: mechanism.span,
            },
        };
        Ok(InsertDef {
            mechanism,
            params,
            span,
        })
    }

    fn ion(&self, p: Pair<Rule>) -> R<IonDef> {
        let span = self.span(&p);
        let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
        let ion = self.ident(self.next(&mut it, span)?);
        let values = self.settings(self.next(&mut it, span)?)?;
        Ok(IonDef { ion, values, span })
    }

    fn site(&self, p: Pair<Rule>) -> R<Site> {
        let span = self.span(&p);
        let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
        let mut section = self.ident(self.next(&mut it, span)?);
        let mut e = self.next(&mut it, span)?;
        if e.as_rule() == Rule::selector {
            let sel = self.selector(e)?;
            section = indexed_section(&section, &sel)?;
            e = self.next(&mut it, span)?;
        }
        let x_span = self.span(&e);
        let x = self.constant(e)?;
        Ok(Site {
            section,
            x,
            x_span,
            span,
        })
    }

    fn cells_ref(&self, p: Pair<Rule>) -> R<CellsRef> {
        let span = self.span(&p);
        let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
        let name = self.ident(self.next(&mut it, span)?);
        let selector = match it.next() {
            Some(s) => Some(self.selector(s)?),
            None => None,
        };
        Ok(CellsRef {
            name,
            selector,
            span,
        })
    }

    fn selector(&self, p: Pair<Rule>) -> R<Selector> {
        let span = self.span(&p);
        let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
        let bad = |s: Span| {
            Diagnostic::error("E1304", "index is too large").with_primary(s, "not a usable index")
        };
        let a = self.next(&mut it, span)?;
        let first = a.as_str().parse::<u64>().map_err(|_| bad(self.span(&a)))?;
        let end = match it.next() {
            None => first.saturating_add(1),
            Some(op) => {
                let b = self.next(&mut it, span)?;
                let last = b.as_str().parse::<u64>().map_err(|_| bad(self.span(&b)))?;
                if op.as_str() == "..=" {
                    last.saturating_add(1)
                } else {
                    last
                }
            }
        };
        Ok(Selector { first, end, span })
    }

    fn settings(&self, p: Pair<Rule>) -> R<Settings> {
        let span = self.span(&p);
        let mut assigns = Vec::new();
        for a in p.into_inner().filter(|q| !is_keyword(q.as_rule())) {
            assigns.push(self.assign(a)?);
        }
        Ok(Settings { assigns, span })
    }

    fn assign(&self, p: Pair<Rule>) -> R<Assign> {
        let span = self.span(&p);
        let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
        let name = self.ident(self.next(&mut it, span)?);
        let v = self.next(&mut it, span)?;
        let value = self.value(v)?;
        Ok(Assign { name, value, span })
    }

    fn value(&self, v: Pair<Rule>) -> R<Value> {
        let span = self.span(&v);
        let v = self.next(
            &mut v.into_inner().filter(|q| !is_keyword(q.as_rule())),
            span,
        )?;
        let value = match v.as_rule() {
            Rule::call => {
                let cspan = self.span(&v);
                let mut ci = v.into_inner().filter(|q| !is_keyword(q.as_rule()));
                let name = self.ident(self.next(&mut ci, cspan)?);
                let mut args = Vec::new();
                for a in ci {
                    let mut ai = a.into_inner().filter(|q| !is_keyword(q.as_rule()));
                    let first = self.next(&mut ai, cspan)?;
                    let (name, value) = if first.as_rule() == Rule::arg_name {
                        let n = self.next(
                            &mut first.into_inner().filter(|q| !is_keyword(q.as_rule())),
                            cspan,
                        )?;
                        (Some(self.ident(n)), self.value(self.next(&mut ai, cspan)?)?)
                    } else {
                        (None, self.value(first)?)
                    };
                    args.push(Arg { name, value });
                }
                Value::Call(Call {
                    name,
                    args,
                    span: cspan,
                })
            }
            Rule::points => {
                let pspan = self.span(&v);
                let mut items = Vec::new();
                let mut unit = None;
                for q in v.into_inner().filter(|q| !is_keyword(q.as_rule())) {
                    match q.as_rule() {
                        Rule::tuple => {
                            let tspan = self.span(&q);
                            let mut xyz = [0.0; 3];
                            for (k, e) in q
                                .into_inner()
                                .filter(|q| !is_keyword(q.as_rule()))
                                .enumerate()
                                .take(3)
                            {
                                xyz[k] = self.constant(e)?;
                            }
                            items.push((xyz, tspan));
                        }
                        Rule::unit => unit = Some(self.unit(q)),
                        _ => return Err(internal(self.span(&q))),
                    }
                }
                Value::Points(Points {
                    items,
                    unit,
                    span: pspan,
                })
            }
            Rule::from_file => {
                let fspan = self.span(&v);
                let mut fi = v.into_inner().filter(|q| !is_keyword(q.as_rule()));
                let (path, path_span) = self.string(self.next(&mut fi, fspan)?);
                let unit = fi.next().map(|u| self.unit(u));
                Value::File {
                    path,
                    path_span,
                    unit,
                    span: fspan,
                }
            }
            Rule::string => {
                let (text, span) = self.string(v);
                Value::Str { text, span }
            }
            Rule::list => Value::List(self.list(v)?),
            Rule::quantity => Value::Quantity(self.quantity(v)?),
            Rule::refs => {
                let mut refs = Vec::new();
                for r in v.into_inner().filter(|q| !is_keyword(q.as_rule())) {
                    refs.push(self.reference(r)?);
                }
                Value::Refs(refs)
            }
            _ => return Err(internal(self.span(&v))),
        };
        Ok(value)
    }

    fn reference(&self, p: Pair<Rule>) -> R<Reference> {
        let span = self.span(&p);
        let mut r = Reference {
            name: Ident {
                name: String::new(),
                span,
            },
            selector: None,
            member: None,
            position: None,
            span,
        };
        for (i, q) in p
            .into_inner()
            .filter(|q| !is_keyword(q.as_rule()))
            .enumerate()
        {
            match q.as_rule() {
                Rule::ident if i == 0 => r.name = self.ident(q),
                Rule::ident => r.member = Some(self.ident(q)),
                Rule::selector => r.selector = Some(self.selector(q)?),
                Rule::position => {
                    let e = self.next(
                        &mut q.into_inner().filter(|q| !is_keyword(q.as_rule())),
                        span,
                    )?;
                    let s = self.span(&e);
                    r.position = Some((self.constant(e)?, s));
                }
                _ => return Err(internal(self.span(&q))),
            }
        }
        Ok(r)
    }

    fn string(&self, p: Pair<Rule>) -> (String, Span) {
        let span = self.span(&p);
        let s = p.as_str();
        let inner = s
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(s);
        (inner.to_string(), span)
    }

    fn unit(&self, p: Pair<Rule>) -> UnitText {
        UnitText {
            text: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn quantity(&self, p: Pair<Rule>) -> R<Quantity> {
        let span = self.span(&p);
        let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
        let e = self.next(&mut it, span)?;
        let value_span = self.span(&e);
        let tree = self.expr(e)?;
        let unit = it.next().map(|u| self.unit(u));
        // Names (variables, unknown functions) are resolved by the builder,
        // which knows where formulas are allowed.
        let (value, formula) = if tree.has_vars() {
            (f64::NAN, Some(tree))
        } else {
            match eval_const(&tree, value_span) {
                Ok(v) => (finite(v, value_span)?, None),
                Err(d) if d.code == "E1211" => (f64::NAN, Some(tree)),
                Err(d) => return Err(d),
            }
        };
        Ok(Quantity {
            value,
            value_span,
            unit,
            span,
            formula,
        })
    }

    fn list(&self, p: Pair<Rule>) -> R<List> {
        let span = self.span(&p);
        let mut items = Vec::new();
        let mut unit = None;
        for q in p.into_inner().filter(|q| !is_keyword(q.as_rule())) {
            match q.as_rule() {
                Rule::expr => {
                    let s = self.span(&q);
                    items.push((self.constant(q)?, s));
                }
                Rule::unit => unit = Some(self.unit(q)),
                _ => return Err(internal(self.span(&q))),
            }
        }
        Ok(List { items, unit, span })
    }

    /// Arithmetic that must not name variables, evaluated (`1.25/200/3`).
    fn constant(&self, p: Pair<Rule>) -> R<f64> {
        let span = self.span(&p);
        let tree = self.expr(p)?;
        if let Some(v) = first_var(&tree) {
            return Err(Diagnostic::error(
                "E1305",
                format!("`{}` cannot be used here: a plain number is needed", v.name),
            )
            .with_primary(v.span, "a variable")
            .with_help("variables such as `distance` are allowed in connection weights, delays and probabilities"));
        }
        finite(eval_const(&tree, span)?, span)
    }

    /// The syntax tree of arithmetic (E1104 when deeper than
    /// [`MAX_EXPR_DEPTH`]: every later pass walks it recursively).
    fn expr(&self, p: Pair<Rule>) -> R<Expr> {
        self.expr_depth(p).map(|(e, _)| e)
    }

    /// The tree and its depth.
    fn expr_depth(&self, p: Pair<Rule>) -> R<(Expr, usize)> {
        let span = self.span(&p);
        let (e, depth) = match p.as_rule() {
            Rule::expr | Rule::term => {
                let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
                let (mut acc, mut depth) = self.expr_depth(self.next(&mut it, span)?)?;
                while let Some(op) = it.next() {
                    let (rhs, d) = self.expr_depth(self.next(&mut it, span)?)?;
                    let c = op.as_str().chars().next().unwrap_or('+');
                    acc = Expr::Bin(c, Box::new(acc), Box::new(rhs));
                    depth = depth.max(d) + 1;
                    too_deep(depth, span)?;
                }
                (acc, depth)
            }
            Rule::factor => {
                let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
                let first = self.next(&mut it, span)?;
                match first.as_rule() {
                    Rule::neg => {
                        let (a, d) = self.expr_depth(self.next(&mut it, span)?)?;
                        (Expr::Neg(Box::new(a)), d + 1)
                    }
                    _ => self.expr_depth(first)?,
                }
            }
            Rule::var => {
                let id = self.next(
                    &mut p.into_inner().filter(|q| !is_keyword(q.as_rule())),
                    span,
                )?;
                (Expr::Var(self.ident(id)), 1)
            }
            Rule::fcall => {
                let mut it = p.into_inner().filter(|q| !is_keyword(q.as_rule()));
                let name = self.ident(self.next(&mut it, span)?);
                let mut args = Vec::new();
                let mut depth = 1;
                for a in it {
                    let (e, d) = self.expr_depth(a)?;
                    args.push(e);
                    depth = depth.max(d + 1);
                }
                (Expr::Call(name, args), depth)
            }
            Rule::number => p
                .as_str()
                .parse::<f64>()
                .map(|x| (Expr::Num(x), 1))
                .map_err(|_| {
                    Diagnostic::error("E1304", "not a usable number").with_primary(span, "here")
                })?,
            _ => return Err(internal(span)),
        };
        too_deep(depth, span)?;
        Ok((e, depth))
    }
}

/// The section `name[k]` of a selector `[k]` (a range is E1304).
pub(super) fn indexed_section(name: &Ident, sel: &Selector) -> R<Ident> {
    if sel.end != sel.first.saturating_add(1) {
        return Err(Diagnostic::error("E1304", "a site names one section")
            .with_primary(sel.span, "a range of sections")
            .with_help("write one index, e.g. `dend[3](0.5)`"));
    }
    Ok(Ident {
        name: format!("{}[{}]", name.name, sel.first),
        span: name.span.to(sel.span),
    })
}

/// Deepest expression tree accepted: a sum of this many terms, or this
/// many nested parentheses or signs (real formulas use under 20).
pub const MAX_EXPR_DEPTH: usize = 200;

/// Deepest nesting of `(`, `[` and `{`, or of signs (`- - -x`), that the
/// grammar is given: it descends recursively.
pub const MAX_NESTING: usize = 64;

/// E1104 when an expression tree is deeper than [`MAX_EXPR_DEPTH`].
fn too_deep(depth: usize, span: Span) -> R<()> {
    if depth <= MAX_EXPR_DEPTH {
        return Ok(());
    }
    Err(Diagnostic::error(
        "E1104",
        format!("expression is too long or nested too deeply (limit {MAX_EXPR_DEPTH} levels)"),
    )
    .with_primary(span, "this expression")
    .with_help("split it, or compute the value outside nmc and write the number"))
}

/// The first variable an expression names.
fn first_var(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Num(_) => None,
        Expr::Var(v) => Some(v),
        Expr::Neg(a) => first_var(a),
        Expr::Bin(_, a, b) => first_var(a).or_else(|| first_var(b)),
        Expr::Call(_, args) => args.iter().find_map(first_var),
    }
}

/// Evaluates an expression without variables (calls of known functions allowed).
fn eval_const(e: &Expr, span: Span) -> R<f64> {
    super::formula::eval(e, &|_| None).map_err(|d| {
        if d.primary_span().is_some() {
            d
        } else {
            d.with_primary(span, "here")
        }
    })
}

/// `x` itself when finite, else E1304.
fn finite(x: f64, span: Span) -> R<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(
            Diagnostic::error("E1304", "the value is not a finite number")
                .with_primary(span, "this evaluates to infinity or NaN")
                .with_help("check for a division by zero"),
        )
    }
}
