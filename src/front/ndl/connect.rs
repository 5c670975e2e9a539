//! Connections between populations: rules, weights, delays, sites.
//!
//! ```text
//! connect Exc -> PV {
//!   rule = probability(0.1, self = false)   // all_to_all, one_to_one(offset = 0, wrap = false),
//!                                           // fixed_indegree(k), probability(0.5*exp(-distance/20))
//!   synapse = exc                           // one synapse instance per connection (as BMTK)
//!   weight = lognormal(mean = 2 nS, sd = 1 nS, lower = -2, upper = 2)   // or 2 nS, or a formula
//!   delay = 0.5 ms                          // or a formula: (0.5 + distance/300) ms
//!   on = soma(0.5)                          // or random(dend, apic, distance = [50, 300] um)
//! }
//! ```
//!
//! Every rule makes the connections onto each target cell on its own,
//! sources in order, drawing its choices and then each connection's
//! weight and delay from the stream of that (statement, target cell)
//! ([`random::per_target`]): targets are shared out over threads and
//! ranks, and the network is the same for any split. Each statement is
//! checked and planned ([`Plan`]) in turn; once all are,
//! [`Ctx::place_connections`] makes the synapses and NetCons directly, in
//! the order a SONATA reader creates them from the written circuit.

use super::ast::*;
use super::formula;
use super::lower::{Ctx, quantity, single_ref, unknown_setting};
use super::quantity::{Expect, convert};
use super::random::{self, Lognormal, Stream};
use super::runs::Runs;
use crate::diag::suggest::{closest, one_of};
use crate::diag::{Diagnostic, Span};
use crate::net::{Connection, Location, PointProcess, Source};
use rand::rngs::StdRng;
use std::collections::BTreeMap;

/// What one `connect` statement contributes to the circuit: an edge type.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct EdgeTypeDef {
    /// Edge population: 0 for sources among the real cells, 1 + k for input k.
    pub(super) rank: usize,
    /// Source node population (the `network` name or the input's).
    pub(super) source_population: String,
    /// `pop_name=='Exc'`.
    pub(super) source_query: String,
    /// `pop_name=='PV'`.
    pub(super) target_query: String,
    /// The synapse type's name.
    pub(super) synapse: String,
    /// Its mechanism.
    pub(super) mechanism: crate::net::SharedName,
    /// Its parameters (converted).
    pub(super) params: std::sync::Arc<BTreeMap<String, f64>>,
    /// The weight when the same for every edge.
    pub(super) weight: Option<f64>,
    /// The delay when the same for every edge.
    pub(super) delay: Option<f64>,
    /// The target section's name.
    pub(super) section: String,
    /// NetCon threshold (mV), NaN for the run's.
    pub(super) threshold: f64,
}

/// A weight or delay: one number, a formula, or a distribution.
enum Amount {
    Const(f64),
    /// The formula and the factor of its unit.
    Formula(Expr, f64),
    Lognormal(Lognormal),
}

/// A connection rule.
enum Rule {
    AllToAll { autapses: bool },
    Probability { p: Amount, autapses: bool },
    OneToOne { offset: i64, wrap: bool },
    FixedIndegree { k: usize, autapses: bool },
}

const RULES: &[&str] = &["all_to_all", "probability", "one_to_one", "fixed_indegree"];

/// The sources or targets of a statement.
struct Side {
    /// Spike sources, one per node.
    sources: Vec<Source>,
    /// Cell index of each node (real cells only).
    cells: Vec<Option<usize>>,
    /// Positions, when known.
    positions: Option<Vec<[f64; 3]>>,
    /// 0 for real cells, 1 + k for input k.
    rank: usize,
    /// Node population name.
    population: String,
    /// `pop_name=='X'`.
    query: String,
}

impl Ctx<'_> {
    /// Runs one `connect` statement (the `index`-th): resolves its
    /// settings and plans the rule (counting its connections when
    /// counting for the cut); [`Ctx::place_connections`] makes them.
    pub(super) fn connect(&mut self, c: &ConnectDef, index: usize) {
        const KNOWN: &[&str] = &[
            "synapse",
            "weight",
            "delay",
            "on",
            "rule",
            "threshold",
            "seed",
        ];
        let mut syn: Option<String> = None;
        let mut weight_a = None;
        let mut delay_a = None;
        let mut on: Option<Site> = None;
        let mut random_on = None;
        let mut rule_v: Option<&Value> = None;
        let mut threshold = f64::NAN;
        let mut seed = None;
        let mut ok = true;
        for a in &c.settings.assigns {
            match a.name.name.as_str() {
                "synapse" => match single_ref(a, self.out) {
                    Some(r) if self.synapses.contains_key(&r.name.name) => {
                        syn = Some(r.name.name.clone())
                    }
                    // Its definition's error was reported already.
                    Some(r) if self.failed_names.contains(&r.name.name) => ok = false,
                    Some(r) => {
                        let names: Vec<&str> = self.synapses.keys().map(|s| s.as_str()).collect();
                        let mut d = Diagnostic::error(
                            "E1204",
                            format!("unknown synapse `{}`", r.name.name),
                        )
                        .with_primary(r.name.span, "no `synapse` of this name");
                        d = match closest(&r.name.name, names.iter().copied()) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!("define it first: `synapse {} = Exp2Syn {{ tau1 = 0.5 ms; tau2 = 3 ms; e = 0 mV }}`", r.name.name)),
                        };
                        self.out.push(d);
                    }
                    None => {}
                },
                "weight" => weight_a = Some(a),
                "delay" => delay_a = Some(a),
                "threshold" => match self.fixed(a, "mV") {
                    Some(t) => threshold = t,
                    None => ok = false,
                },
                "seed" => match self.arg_int(&a.value, "seed", 0) {
                    Some(n) => seed = Some(n as u64),
                    None => ok = false,
                },
                "on" => match &a.value {
                    Value::Call(call) if call.name.name == "random" => {
                        random_on = self.random_sites_rule(call);
                        ok &= random_on.is_some();
                    }
                    Value::Refs(r) if r.len() == 1 && r[0].position.is_some() => {
                        on = self.indexed_site(&r[0]);
                        ok &= on.is_some();
                    }
                    Value::Call(call) if call.args.len() == 1 && call.args[0].name.is_none() => {
                        match &call.args[0].value {
                            Value::Quantity(q) if q.formula.is_none() && q.unit.is_none() => {
                                on = Some(Site {
                                    section: call.name.clone(),
                                    x: q.value,
                                    x_span: q.value_span,
                                    span: call.span,
                                })
                            }
                            other => {
                                self.out.push(
                                    Diagnostic::error(
                                        "E1305",
                                        "a site's position is a plain number between 0 and 1",
                                    )
                                    .with_primary(other.span(), "not a position"),
                                );
                                ok = false;
                            }
                        }
                    }
                    other => {
                        self.out.push(
                            Diagnostic::error("E1305", "`on` takes a site such as `soma(0.5)`")
                                .with_primary(other.span(), "not a site"),
                        );
                        ok = false;
                    }
                },
                "rule" => rule_v = Some(&a.value),
                _ => {
                    self.out.push(unknown_setting(a, "a connection", KNOWN));
                    ok = false;
                }
            }
        }
        // Onto an artificial cell: the NetCon targets the cell itself.
        let art_target = self
            .pops
            .iter()
            .find(|p| p.name == c.target.name.name)
            .filter(|p| p.count > 0 && p.sections.is_empty())
            .and_then(|p| self.net.cells.get(p.first_cell))
            .filter(|cell| cell.sections.is_empty())
            .and_then(|cell| cell.point_processes.first())
            .map(|pp| pp.mechanism.to_string());
        if let (Some(art), Some(a)) = (
            &art_target,
            c.settings.assigns.iter().find(|a| a.name.name == "synapse"),
        ) {
            self.out.push(
                Diagnostic::error(
                    "E1208",
                    format!(
                        "`{}` is a population of artificial cells (`{art}`): a connection targets the cell itself, with no synapse",
                        c.target.name.name
                    ),
                )
                .with_primary(a.name.span, "no synapse onto an artificial cell")
                .with_help("remove `synapse = ...`; the weight is the cell's NET_RECEIVE weight"),
            );
            ok = false;
        }
        for (have, name, example) in [
            (
                art_target.is_some() || c.settings.assigns.iter().any(|a| a.name.name == "synapse"),
                "synapse",
                "synapse = exc",
            ),
            (weight_a.is_some(), "weight", "weight = 0.5 nS"),
            (delay_a.is_some(), "delay", "delay = 1 ms"),
        ] {
            if !have {
                self.out.push(
                    Diagnostic::error("E1208", format!("the connection has no `{name}`"))
                        .with_primary(c.settings.span, format!("`{name}` missing"))
                        .with_help(format!("add `{example}`")),
                );
            }
        }
        let delay = delay_a.and_then(|a| self.delay(a));
        let rule = match rule_v {
            None => Some(Rule::AllToAll { autapses: true }),
            Some(v) => self.rule(v),
        };
        let source = self.side(&c.source, true);
        let target = self.side(&c.target, false);
        let (Some(wa), Some(da)) = (weight_a, delay_a) else {
            return;
        };
        let (syn, mech, params) = match &art_target {
            Some(art) => {
                let id = Ident {
                    name: art.clone(),
                    span: c.target.span,
                };
                let Some(m) = self.mechanism(&id, crate::ir::MechKind::ArtificialCell) else {
                    return;
                };
                (String::new(), m, BTreeMap::new())
            }
            None => {
                let Some(syn) = syn else {
                    return;
                };
                let Some(st) = self.synapses.get(&syn) else {
                    return;
                };
                (syn, st.mech.clone(), st.params.clone())
            }
        };
        let weight = self.weight(wa, &mech);
        let (Some(weight), Some(delay), Some(rule), Some(source), Some(target)) =
            (weight, delay, rule, source, target)
        else {
            return;
        };
        if !ok {
            return;
        }
        // `distance` needs positions on both sides.
        for (amount, what) in [
            (Some(&weight), "weight"),
            (Some(&delay), "delay"),
            (
                match &rule {
                    Rule::Probability { p, .. } => Some(p),
                    _ => None,
                },
                "probability",
            ),
        ] {
            if let Some(Amount::Formula(e, _)) = amount
                && let Some(v) = find_var(e, "distance")
                && (source.positions.is_none() || target.positions.is_none())
            {
                let side = if source.positions.is_none() {
                    &c.source
                } else {
                    &c.target
                };
                self.out.push(
                    Diagnostic::error(
                        "E1208",
                        format!(
                            "the {what} uses `distance`, but `{}` has no positions",
                            side.name.name
                        ),
                    )
                    .with_primary(v.span, "needs positions")
                    .with_secondary(side.span, "no positions")
                    .with_help(
                        "give the population `positions = cuboid(...)` (inputs have no positions)",
                    ),
                );
                return;
            }
        }
        let base = match seed {
            Some(s) => s,
            None => random::stream_seed(self.seed, Stream::Connect(index)),
        };
        let at = rule_v.map_or(c.span, Value::span);
        // Connections at most (pairs, values, the network's connection and
        // its synapse with parameters), checked before drawing them.
        let (ns, nt) = (source.sources.len() as f64, target.sources.len() as f64);
        let most = match &rule {
            Rule::AllToAll { .. } => ns * nt,
            Rule::Probability {
                p: Amount::Const(p),
                ..
            } => ns * nt * p.clamp(0.0, 1.0),
            Rule::Probability {
                p: Amount::Formula(e, f),
                ..
            } => ns * nt * mean_probability(e, *f, &source, &target),
            Rule::Probability { .. } => 0.0,
            Rule::OneToOne { .. } => ns.min(nt),
            Rule::FixedIndegree { k, .. } => *k as f64 * nt,
        };
        // What a synapse takes at the least: while the network is built,
        // its point process and packed connection (32 + 24), made straight
        // from the rule (labels and edge types are kept per run of equal
        // ones); the engine's tables, about as large, replace them as the
        // network is taken over. Parameter maps are shared per connection
        // type. Only networks that cannot fit even so are refused.
        let per_edge = 56.0;
        if !self.memory_for(
            most * per_edge,
            &format!(
                "`connect {} -> {}` makes {} {} connections, which",
                self.text_of(c.source.span),
                self.text_of(c.target.span),
                if matches!(
                    &rule,
                    Rule::Probability {
                        p: Amount::Formula(..),
                        ..
                    }
                ) {
                    "about"
                } else {
                    "up to"
                },
                crate::units::format_number(most.round())
            ),
            at,
        ) {
            return;
        }
        // The statement's settings that the edge type records.
        let constant = |a: &Amount| match a {
            Amount::Const(x) => Some(*x),
            _ => None,
        };
        let (w_const, d_const) = (constant(&weight), constant(&delay));
        let Some(mut plan) = self.plan(c, at, rule, source, target, base) else {
            return;
        };
        plan.weight = Some(weight);
        plan.delay = Some(delay);
        plan.delay_span = da.value.span();
        plan.edge_type = self.edge_types.len() as u32;
        if !self.counts.is_empty() {
            // Counting each cell's incoming connections (for the cut over
            // ranks): the rules without draws count every target; a rule
            // that draws counts the targets of this rank's slice, summed
            // over ranks afterwards. Weights, delays and sites are drawn
            // (and checked) when the connections are made.
            self.count_connections(&plan, index);
            return;
        }
        // The site of every target cell when fixed (`on = soma(0.5)`),
        // located before any draw: an unknown section is reported for
        // every rank alike.
        let ncells = self.net.cells.len();
        let mut sites = Vec::with_capacity(plan.tgt.cells.len());
        for &tc in &plan.tgt.cells {
            let Some(tc) = tc.filter(|&tc| tc < ncells) else {
                return;
            };
            let location = if art_target.is_some() || random_on.is_some() {
                Location::default()
            } else if let Some(s) = &on {
                match self.locate(tc, s) {
                    Some(l) => l,
                    None => return,
                }
            } else {
                Location { section: 0, x: 0.5 }
            };
            sites.push(location);
        }
        plan.sites = sites;
        // The section the statement's synapses sit on (the cells of a
        // target population share their sections' names).
        let mut section_name = String::new();
        if let Some(r) = &random_on {
            section_name = r.first_type().to_string();
        } else if let (Some(Some(tc)), Some(l)) = (plan.tgt.cells.first(), plan.sites.first())
            && let Some(sec) = self.net.cells[*tc].sections.get(l.section)
        {
            section_name = sec.name.clone();
        }
        if section_name.is_empty() {
            section_name = match &on {
                Some(s) if !s.section.name.is_empty() => s.section.name.clone(),
                _ => "soma".into(),
            };
        }
        plan.random_on = random_on;
        // A statement that selects nobody: known now when the connections
        // were counted over ranks, else once they are made.
        let empty = Diagnostic::warning(
            "W1101",
            format!(
                "`connect {} -> {}` makes no connection: {} selects no pair",
                self.text_of(c.source.span),
                self.text_of(c.target.span),
                match rule_v {
                    Some(v) => format!("rule `{}`", self.text_of(v.span())),
                    None => "`all_to_all`".into(),
                }
            ),
        )
        .with_primary(rule_v.map_or(c.span, Value::span), "selects nobody")
        .with_help("check the rule's arguments and the populations' sizes");
        match &self.keep {
            Some(_) if self.totals.get(index).copied().unwrap_or(0) == 0 => self.out.push(empty),
            Some(_) => {}
            None => plan.empty = Some(empty),
        }
        self.edge_types.push(EdgeTypeDef {
            rank: plan.src.rank,
            source_population: plan.src.population.clone(),
            source_query: plan.src.query.clone(),
            target_query: plan.tgt.query.clone(),
            synapse: syn,
            mechanism: mech.name.as_str().into(),
            params: params.into(),
            weight: w_const,
            delay: d_const,
            section: section_name,
            threshold,
        });
        self.plans.push(plan);
    }

    /// The nodes of one side of a statement: a population (optionally
    /// indexed) or, as a source, an input.
    fn side(&mut self, r: &CellsRef, source: bool) -> Option<Side> {
        if source && let Some(k) = self.inputs.iter().position(|i| i.name == r.name.name) {
            let (first, count) = (self.inputs[k].first_train, self.inputs[k].count);
            let range = match r.selector {
                None => 0..count,
                Some(s) if (s.end as usize) <= count && s.first < s.end => {
                    s.first as usize..s.end as usize
                }
                Some(s) => {
                    self.out.push(
                        Diagnostic::error(
                            "E1304",
                            format!(
                                "input `{}` has {count} nodes (indexes 0..{count})",
                                r.name.name
                            ),
                        )
                        .with_primary(s.span, "outside the input or empty"),
                    );
                    return None;
                }
            };
            return Some(Side {
                sources: range.clone().map(|i| Source::Train(first + i)).collect(),
                cells: range.map(|_| None).collect(),
                positions: None,
                rank: 1 + k,
                population: r.name.name.clone(),
                query: format!("pop_name=='{}'", r.name.name),
            });
        }
        if !self.pops.iter().any(|p| p.name == r.name.name) {
            if self.failed_names.contains(&r.name.name) {
                return None;
            }
            let names: Vec<&str> = self
                .pops
                .iter()
                .map(|p| p.name.as_str())
                .chain(
                    self.inputs
                        .iter()
                        .filter(|_| source)
                        .map(|i| i.name.as_str()),
                )
                .collect();
            let (what, label) = if source {
                ("source", "not a population or input")
            } else if self.inputs.iter().any(|i| i.name == r.name.name) {
                ("target", "an input cannot be a target")
            } else {
                ("target", "not a population")
            };
            let mut d = Diagnostic::error("E1204", format!("unknown {what} `{}`", r.name.name))
                .with_primary(r.name.span, label);
            d = match closest(&r.name.name, names.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("{what}s are {}", one_of(&names))),
            };
            self.out.push(d);
            return None;
        }
        let cells = self.select(r)?;
        let p = self.pops.iter().find(|p| p.name == r.name.name)?;
        let positions = (!p.positions.is_empty()).then(|| {
            cells
                .iter()
                .map(|&c| p.positions[c - p.first_cell])
                .collect()
        });
        Some(Side {
            sources: cells.iter().map(|&c| Source::Cell(c)).collect(),
            cells: cells.iter().map(|&c| Some(c)).collect(),
            positions,
            rank: 0,
            population: self.node_pop.clone(),
            query: format!("pop_name=='{}'", p.name),
        })
    }

    /// `weight = 2 nS`, a formula `0.5*exp(-distance/50) nS`, or
    /// `lognormal(mean, sd, lower, upper)`; in the synapse's weight unit.
    fn weight(&mut self, a: &Assign, mech: &crate::ir::interface::MechInfo) -> Option<Amount> {
        let origin = Some(match &mech.weight_unit {
            Some(u) => format!(
                "`{}` takes its weight in ({u}) (NET_RECEIVE in {})",
                mech.name,
                mech.file.display()
            ),
            None => format!(
                "`{}` declares no unit for its weight (NET_RECEIVE in {})",
                mech.name,
                mech.file.display()
            ),
        });
        let e = Expect {
            name: "weight",
            unit: mech.weight_unit.as_deref(),
            origin,
        };
        match &a.value {
            Value::Call(c) if c.name.name == "lognormal" => {
                let args = self.call_args(c, &["mean", "sd", "lower", "upper"])?;
                let (Some(mv), Some(sv)) = (args[0], args[1]) else {
                    self.out.push(
                        Diagnostic::error("E1212", "`lognormal` needs `mean` and `sd`")
                            .with_primary(c.span, "missing mean or sd")
                            .with_help("e.g. `lognormal(mean = 2 nS, sd = 1 nS, lower = -2, upper = 2)` (bounds in units of the log's sd)"),
                    );
                    return None;
                };
                let mean = self.convert_arg(mv, &e)?;
                let sd = self.convert_arg(sv, &e)?;
                let lower = match args[2] {
                    Some(v) => Some(self.arg_number(v, "lower", None)?),
                    None => None,
                };
                let upper = match args[3] {
                    Some(v) => Some(self.arg_number(v, "upper", None)?),
                    None => None,
                };
                if let (Some(l), Some(u)) = (lower, upper)
                    && l > u
                {
                    self.out.push(
                        Diagnostic::error("E1304", "the lower bound is above the upper bound")
                            .with_primary(c.span, "empty range"),
                    );
                    return None;
                }
                match Lognormal::new(mean, sd, lower, upper) {
                    Some(l) => Some(Amount::Lognormal(l)),
                    None => {
                        self.out.push(
                            Diagnostic::error("E1304", "a lognormal needs mean > 0 and sd >= 0")
                                .with_primary(c.span, "unusable mean or sd"),
                        );
                        None
                    }
                }
            }
            Value::Call(c) => {
                self.out.push(
                    Diagnostic::error("E1212", format!("unknown weight distribution `{}`", c.name.name))
                        .with_primary(c.name.span, "not a distribution")
                        .with_help("weights are a number with a unit, a formula, or `lognormal(mean, sd, lower, upper)`"),
                );
                None
            }
            _ => self.amount_of(a, &e),
        }
    }

    fn delay(&mut self, a: &Assign) -> Option<Amount> {
        let e = Expect {
            name: "delay",
            unit: Some("ms"),
            origin: None,
        };
        let x = self.amount_of(a, &e)?;
        if let Amount::Const(d) = x
            && d < 0.0
        {
            self.out.push(
                Diagnostic::error("E1304", "a delay cannot be negative")
                    .with_primary(a.value.span(), "negative"),
            );
            return None;
        }
        Some(x)
    }

    /// A number or a formula, converted.
    fn amount_of(&mut self, a: &Assign, e: &Expect) -> Option<Amount> {
        match &a.value {
            Value::Quantity(q) => self.quantity_amount(q, e),
            _ => quantity(a, self.out).and(None),
        }
    }

    fn quantity_amount(&mut self, q: &Quantity, e: &Expect) -> Option<Amount> {
        match &q.formula {
            None => match convert(q, e) {
                Ok((x, w)) => {
                    self.out.extend(w);
                    Some(Amount::Const(x))
                }
                Err(d) => {
                    self.out.push(d);
                    None
                }
            },
            Some(f) => {
                let factor = self.factor(q.value_span, q.unit.as_ref(), e)?;
                // Check names now, with a dummy distance.
                if let Err(d) = formula::eval(f, &|v| (v == "distance").then_some(1.0)) {
                    self.out.push(d);
                    return None;
                }
                Some(Amount::Formula(f.clone(), factor))
            }
        }
    }

    fn convert_arg(&mut self, v: &Value, e: &Expect) -> Option<f64> {
        match v {
            Value::Quantity(q) if q.formula.is_none() => match convert(q, e) {
                Ok((x, w)) => {
                    self.out.extend(w);
                    Some(x)
                }
                Err(d) => {
                    self.out.push(d);
                    None
                }
            },
            other => {
                self.out.push(
                    Diagnostic::error("E1305", format!("`{}` takes a number with a unit", e.name))
                        .with_primary(other.span(), "not a number"),
                );
                None
            }
        }
    }

    /// The rule of `rule = ...`.
    fn rule(&mut self, v: &Value) -> Option<Rule> {
        let (name, call): (&Ident, Option<&Call>) = match v {
            Value::Refs(r) if r.len() == 1 && r[0].selector.is_none() && r[0].member.is_none() => {
                (&r[0].name, None)
            }
            Value::Call(c) => (&c.name, Some(c)),
            other => {
                self.out.push(
                    Diagnostic::error(
                        "E1305",
                        "`rule` takes a rule such as `all_to_all` or `probability(0.1)`",
                    )
                    .with_primary(other.span(), "not a rule")
                    .with_help(format!("rules are {}", one_of(RULES))),
                );
                return None;
            }
        };
        let empty = Call {
            name: name.clone(),
            args: Vec::new(),
            span: name.span,
        };
        let c = call.unwrap_or(&empty);
        match name.name.as_str() {
            "all_to_all" => {
                let a = self.call_args(c, &["self"])?;
                let autapses = match a[0] {
                    Some(v) => self.arg_bool(v, "self")?,
                    None => true,
                };
                Some(Rule::AllToAll { autapses })
            }
            "probability" => {
                let a = self.call_args(c, &["p", "self"])?;
                let Some(pv) = a[0] else {
                    self.out.push(
                        Diagnostic::error("E1212", "`probability` needs its probability")
                            .with_primary(c.span, "no probability")
                            .with_help("e.g. `probability(0.1)` or `probability(0.5*exp(-distance/20))` (distance in um)"),
                    );
                    return None;
                };
                let e = Expect {
                    name: "p",
                    unit: Some("1"),
                    origin: None,
                };
                let p = match pv {
                    Value::Quantity(q) => self.quantity_amount(q, &e)?,
                    other => {
                        self.out.push(
                            Diagnostic::error(
                                "E1305",
                                "a probability is a plain number or a formula",
                            )
                            .with_primary(other.span(), "not a probability"),
                        );
                        return None;
                    }
                };
                if let Amount::Const(x) = p
                    && !(0.0..=1.0).contains(&x)
                {
                    self.out.push(
                        Diagnostic::error(
                            "E1304",
                            format!("a probability must be between 0 and 1, not {x}"),
                        )
                        .with_primary(pv.span(), "outside [0, 1]"),
                    );
                    return None;
                }
                let autapses = match a[1] {
                    Some(v) => self.arg_bool(v, "self")?,
                    None => true,
                };
                Some(Rule::Probability { p, autapses })
            }
            "one_to_one" => {
                let a = self.call_args(c, &["offset", "wrap"])?;
                let offset = match a[0] {
                    Some(v) => self.arg_int(v, "offset", i64::MIN / 4)?,
                    None => 0,
                };
                let wrap = match a[1] {
                    Some(v) => self.arg_bool(v, "wrap")?,
                    None => false,
                };
                Some(Rule::OneToOne { offset, wrap })
            }
            "fixed_indegree" => {
                let a = self.call_args(c, &["k", "self"])?;
                let Some(kv) = a[0] else {
                    self.out.push(
                        Diagnostic::error("E1212", "`fixed_indegree` needs its in-degree")
                            .with_primary(c.span, "no in-degree")
                            .with_help(
                                "e.g. `fixed_indegree(10)`: each target gets 10 distinct sources",
                            ),
                    );
                    return None;
                };
                let k = self.arg_int(kv, "k", 0)? as usize;
                let autapses = match a[1] {
                    Some(v) => self.arg_bool(v, "self")?,
                    None => true,
                };
                Some(Rule::FixedIndegree { k, autapses })
            }
            other => {
                let mut d =
                    Diagnostic::error("E1207", format!("unknown connection rule `{other}`"))
                        .with_primary(name.span, "not a rule");
                d = match closest(other, RULES.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("rules are {}", one_of(RULES))),
                };
                self.out.push(d);
                None
            }
        }
    }

    /// What the rule of one statement needs to draw the connections onto
    /// any one target on its own: which source is each target itself,
    /// `one_to_one`'s sources per target. Reports the problems that do not
    /// depend on draws (too few sources for `fixed_indegree`, W1102 for a
    /// `one_to_one` that is not one), the same on every rank.
    fn plan(
        &mut self,
        c: &ConnectDef,
        at: Span,
        rule: Rule,
        src: Side,
        tgt: Side,
        base: u64,
    ) -> Option<Plan> {
        // The source index of each real cell among the sources.
        let mut source_of: BTreeMap<usize, u32> = BTreeMap::new();
        for (s, cell) in src.cells.iter().enumerate() {
            if let Some(cell) = cell {
                source_of.entry(*cell).or_insert(s as u32);
            }
        }
        let self_of: Vec<Option<u32>> = tgt
            .cells
            .iter()
            .map(|t| t.and_then(|t| source_of.get(&t).copied()))
            .collect();
        let mut plan = Plan {
            rule,
            weight: None,
            delay: None,
            src,
            tgt,
            base,
            self_of,
            one_starts: Vec::new(),
            one_sources: Vec::new(),
            sites: Vec::new(),
            delay_span: c.span,
            edge_type: 0,
            random_on: None,
            empty: None,
        };
        let (ns, nt) = (plan.src.sources.len(), plan.tgt.sources.len());
        match &plan.rule {
            Rule::FixedIndegree { k, autapses } => {
                let short = (0..nt)
                    .map(|t| ns - usize::from(!*autapses && plan.self_of[t].is_some()))
                    .find(|&n| *k > n);
                if let Some(n) = short {
                    self.out.push(
                        Diagnostic::error(
                            "E1304",
                            format!(
                                "`fixed_indegree({k})` needs {k} distinct sources per target, but there are {n}"
                            ),
                        )
                        .with_primary(c.source.span, format!("{n} sources"))
                        .with_help("lower k, or allow self-connections"),
                    );
                    return None;
                }
            }
            Rule::OneToOne { offset, wrap } => {
                // Source i reaches target i + offset: the sources of each
                // target, in source order.
                let target_of = |s: usize| {
                    let t = s as i64 + offset;
                    let t = if *wrap && nt > 0 {
                        t.rem_euclid(nt as i64)
                    } else {
                        t
                    };
                    (t >= 0 && t < nt as i64).then_some(t as usize)
                };
                let mut hits = vec![0u32; nt + 1];
                let mut dropped = 0;
                for s in 0..ns {
                    match target_of(s) {
                        Some(t) => hits[t + 1] += 1,
                        None => dropped += 1,
                    }
                }
                let unconnected: Vec<usize> = (0..nt).filter(|&t| hits[t + 1] == 0).collect();
                let doubled: Vec<usize> = (0..nt).filter(|&t| hits[t + 1] > 1).collect();
                for t in 0..nt {
                    hits[t + 1] += hits[t];
                }
                let mut next = hits.clone();
                let mut sources = vec![0u32; hits[nt] as usize];
                for s in 0..ns {
                    if let Some(t) = target_of(s) {
                        sources[next[t] as usize] = s as u32;
                        next[t] += 1;
                    }
                }
                let (offset, one) = (*offset, (hits, sources));
                if !unconnected.is_empty() || !doubled.is_empty() {
                    let mut parts = Vec::new();
                    if !unconnected.is_empty() {
                        parts.push(format!(
                            "{} of {nt} targets get no source (first: {})",
                            unconnected.len(),
                            unconnected[0]
                        ));
                    }
                    if !doubled.is_empty() {
                        parts.push(format!(
                            "{} targets get more than one (first: {})",
                            doubled.len(),
                            doubled[0]
                        ));
                    }
                    if dropped > 0 {
                        parts.push(format!("{dropped} sources map outside the targets"));
                    }
                    self.out.push(
                        Diagnostic::warning(
                            "W1102",
                            format!(
                                "`one_to_one` from `{}` ({ns}) to `{}` ({nt}) with offset {offset}: {}",
                                c.source.name.name,
                                c.target.name.name,
                                parts.join("; ")
                            ),
                        )
                        .with_primary(at, "not a one-to-one map")
                        .with_help("source i reaches target i + offset; make the sizes match, or set the offset (and `wrap = true` to map around)"),
                    );
                }
                (plan.one_starts, plan.one_sources) = one;
            }
            Rule::AllToAll { .. } | Rule::Probability { .. } => {}
        }
        Some(plan)
    }

    /// Adds the statement's connections onto each cell to the counts of
    /// the cut (see [`Ctx::counts`]): without drawing where the rule
    /// allows, else by drawing the choices (not the values) of the targets
    /// in this rank's slice, on the run's threads.
    fn count_connections(&mut self, plan: &Plan, index: usize) {
        let ncells = self.net.cells.len();
        let total = ncells + index;
        let mut drawn: Vec<(usize, usize, usize)> = Vec::new();
        for (t, cell) in plan.tgt.cells.iter().enumerate() {
            let Some(cell) = cell.filter(|&c| c < ncells) else {
                continue;
            };
            match plan.count(t) {
                Some(n) => {
                    self.counts[cell] += n as u64;
                    if let Some(x) = self.counts.get_mut(total) {
                        *x += n as u64;
                    }
                }
                None if self.count_slice.as_ref().is_none_or(|r| r.contains(&cell)) => {
                    drawn.push((t, cell, 0))
                }
                None => {}
            }
        }
        if drawn.is_empty() {
            return;
        }
        // Errors are reported when the connections are made.
        // A choice that fails counts none (making the connection reports it).
        on_threads(self.threads, &mut drawn, |(t, cell, n), scratch| {
            let mut rng = random::per_target(plan.base, *cell);
            *n = match plan.select(*t, &mut rng, scratch) {
                Ok(()) => scratch.chosen.len(),
                Err(_) => 0,
            };
        });
        for (_, cell, n) in drawn {
            self.drawn[cell] += n as u64;
            if let Some(x) = self.drawn.get_mut(total) {
                *x += n as u64;
            }
        }
    }

    /// Makes the connections of every statement ([`Ctx::plans`]) onto the
    /// cells this process keeps, in SONATA reader order: edge population
    /// (recurrent, then each input), target cell, then statement and rule
    /// order. The connections onto each (statement, cell) are drawn from
    /// their own stream, so the cells are shared out over the run's
    /// threads: the connections onto each cell are counted first (drawing
    /// only the choices of the rules that draw them), every list is
    /// allocated at its final length, then each thread fills its cells'
    /// parts, with no list in between. Sites drawn per connection (`on =
    /// random(...)`) are drawn last, cell by cell in the same order, from
    /// each cell's own stream. The edge type of each connection is kept
    /// for the SONATA record.
    pub(super) fn place_connections(&mut self) {
        let plans = std::mem::take(&mut self.plans);
        let ncells = self.net.cells.len();
        let keep = self.keep.clone().unwrap_or(0..ncells);
        let keep = keep.start.min(ncells)..keep.end.min(ncells);
        let nk = keep.len();
        // The edge populations in creation order; each statement's target
        // index of every kept cell.
        let mut ranks: Vec<usize> = plans.iter().map(|p| p.src.rank).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let of_rank = |r: usize| {
            plans
                .iter()
                .enumerate()
                .filter(move |(_, p)| p.src.rank == r)
        };
        let t_of: Vec<Vec<u32>> = plans
            .iter()
            .map(|p| {
                let mut v = vec![u32::MAX; nk];
                for (t, c) in p.tgt.cells.iter().enumerate() {
                    if let Some(c) = c.filter(|c| keep.contains(c)) {
                        v[c - keep.start] = t as u32;
                    }
                }
                v
            })
            .collect();
        // Connections per statement and kept cell (a choice that fails
        // counts none; making the connections reports it).
        let mut counts: Vec<Vec<u32>> = vec![vec![0; nk]; plans.len()];
        for (pi, p) in plans.iter().enumerate() {
            let mut drawn = Vec::new();
            for (k, &t) in t_of[pi].iter().enumerate() {
                if t == u32::MAX {
                    continue;
                }
                match p.count(t as usize) {
                    Some(n) => counts[pi][k] = n as u32,
                    None => drawn.push((t as usize, k, 0usize)),
                }
            }
            on_threads(self.threads, &mut drawn, |(t, k, n), scratch| {
                let mut rng = random::per_target(p.base, keep.start + *k);
                *n = match p.select(*t, &mut rng, scratch) {
                    Ok(()) => scratch.chosen.len(),
                    Err(_) => 0,
                };
            });
            for (_, k, n) in drawn {
                counts[pi][k] = n as u32;
            }
        }
        // Where the connections of (edge population, kept cell) start.
        let mut total = 0usize;
        let mut starts: Vec<Vec<usize>> = Vec::with_capacity(ranks.len());
        for &r in &ranks {
            let v: Vec<usize> = (0..=nk)
                .map(|k| {
                    let at = total;
                    if k < nk {
                        total += of_rank(r)
                            .map(|(pi, _)| counts[pi][k] as usize)
                            .sum::<usize>();
                    }
                    at
                })
                .collect();
            starts.push(v);
        }
        // Each edge type's shared parts.
        let names: Vec<String> = self.edge_types.iter().map(|e| e.synapse.clone()).collect();
        let label_of: Vec<u32> = names.iter().map(|n| self.label(n)).collect();
        let types: Vec<EdgeShared> = self
            .edge_types
            .iter()
            .zip(&label_of)
            .map(|(e, &label)| EdgeShared {
                mechanism: e.mechanism.clone(),
                params: e.params.clone(),
                threshold: e.threshold,
                label,
            })
            .collect();
        // Every list at its final length.
        let before: Vec<usize> = (0..nk)
            .map(|k| self.net.cells[keep.start + k].point_processes.len())
            .collect();
        let per_cell: Vec<usize> = (0..nk)
            .map(|k| counts.iter().map(|c| c[k] as usize).sum())
            .collect();
        for (k, &n) in per_cell.iter().enumerate() {
            let cell = &mut self.net.cells[keep.start + k];
            if n > 0 && !cell.sections.is_empty() {
                cell.point_processes.reserve_exact(n);
            }
        }
        self.net.connections.reserve(total);
        // Makes the connections of edge population `ri` onto a run of kept
        // cells (the first is kept cell `from`), handing each to `sink`
        // (connection, edge type) in creation order; notes each
        // statement's first error in `errors` (and makes no more of its
        // connections).
        let fill = |ri: usize,
                    from: usize,
                    cells: &mut [crate::net::Cell],
                    labels: &mut [Runs<u32>],
                    errors: &mut [Option<(usize, Diagnostic)>],
                    sink: &mut dyn FnMut(Connection, u32)| {
            let mut scratch = Scratch::default();
            for (i, cell) in cells.iter_mut().enumerate() {
                let k = from + i;
                for (pi, p) in of_rank(ranks[ri]) {
                    let t = t_of[pi][k];
                    if t == u32::MAX || counts[pi][k] == 0 || errors[pi].is_some() {
                        continue;
                    }
                    let et = &types[p.edge_type as usize];
                    let mut labels = labels.get_mut(i);
                    let mut rng = random::per_target(p.base, keep.start + k);
                    let made = p.fill(
                        t as usize,
                        &mut rng,
                        &mut scratch,
                        |source, weight, delay, location| {
                            let target = if cell.sections.is_empty() {
                                0
                            } else {
                                cell.point_processes.push(PointProcess {
                                    mechanism: et.mechanism.clone(),
                                    location,
                                    params: et.params.clone(),
                                });
                                if let Some(l) = labels.as_deref_mut() {
                                    l.push(et.label);
                                }
                                cell.point_processes.len() - 1
                            };
                            let c = Connection {
                                source,
                                target_cell: keep.start + k,
                                target,
                                weight,
                                delay,
                                threshold: et.threshold,
                            };
                            sink(c, p.edge_type);
                        },
                    );
                    if let Err(d) = made {
                        errors[pi] = Some((k, d));
                    }
                }
            }
        };
        let threads = self.threads.clamp(1, nk.max(1));
        // Each thread's list of a round's connections, kept from round to
        // round (fresh lists would be fresh pages every round).
        let mut buffers: Vec<Vec<Connection>> = (0..threads).map(|_| Vec::new()).collect();
        let mut errors: Vec<Option<(usize, Diagnostic)>> = (0..plans.len()).map(|_| None).collect();
        for (ri, s) in starts.iter().enumerate() {
            if threads == 1 {
                // One thread: straight into the network.
                let (conns, kinds) = (&mut self.net.connections, &mut self.edge_type_of);
                let labels = match self.pp_labels.get_mut(keep.clone()) {
                    Some(l) => l,
                    None => &mut [],
                };
                let cells = &mut self.net.cells[keep.clone()];
                fill(ri, 0, cells, labels, &mut errors, &mut |c, e| {
                    conns.push(c);
                    kinds.push(e);
                });
                continue;
            }
            // Rounds of cells holding about a sixteenth of the edge
            // population's connections, at most 2^17 (7 MB waiting to
            // join), each cut into one run per thread; a round's
            // connections join the network in order after it.
            let size = ((s[nk] - s[0]) / 16).clamp(1, 1 << 17);
            let mut k0 = 0;
            while k0 < nk {
                let mut k1 = k0 + 1;
                while k1 < nk && s[k1] - s[k0] < size {
                    k1 += 1;
                }
                let round = s[k1] - s[k0];
                let mut bounds = vec![k0];
                for k in k0 + 1..k1 {
                    if bounds.len() < threads && (s[k] - s[k0]) * threads >= round * bounds.len() {
                        bounds.push(k);
                    }
                }
                bounds.push(k1);
                let range = keep.start + k0..keep.start + k1;
                let mut cells_left = &mut self.net.cells[range.clone()];
                let mut labels_left: &mut [Runs<u32>] = match self.pp_labels.get_mut(range) {
                    Some(l) => l,
                    None => &mut [],
                };
                let mut jobs = Vec::with_capacity(bounds.len() - 1);
                for (w, buffer) in bounds.windows(2).zip(&mut buffers) {
                    let n = w[1] - w[0];
                    let (a, b) = std::mem::take(&mut cells_left).split_at_mut(n);
                    let m = n.min(labels_left.len());
                    let (la, lb) = std::mem::take(&mut labels_left).split_at_mut(m);
                    (cells_left, labels_left) = (b, lb);
                    let mut cs = std::mem::take(buffer);
                    cs.clear();
                    cs.reserve(s[w[1]] - s[w[0]]);
                    jobs.push((w[0], a, la, cs));
                }
                let fill = &fill;
                let nplans = plans.len();
                let parts: Vec<_> = std::thread::scope(|scope| {
                    let handles: Vec<_> = jobs
                        .into_iter()
                        .map(|(from, cells, labels, mut cs)| {
                            scope.spawn(move || {
                                let mut errs: Vec<Option<(usize, Diagnostic)>> =
                                    (0..nplans).map(|_| None).collect();
                                let mut es = Runs::default();
                                fill(ri, from, cells, labels, &mut errs, &mut |c, e| {
                                    cs.push(c);
                                    es.push(e);
                                });
                                (errs, cs, es)
                            })
                        })
                        .collect();
                    handles.into_iter().filter_map(|h| h.join().ok()).collect()
                });
                for ((errs, cs, mut es), buffer) in parts.into_iter().zip(&mut buffers) {
                    for (e, found) in errors.iter_mut().zip(errs) {
                        if e.is_none() {
                            *e = found;
                        }
                    }
                    self.net.connections.extend(cs.iter().cloned());
                    self.edge_type_of.append(&mut es);
                    *buffer = cs;
                }
                k0 = k1;
            }
        }
        // Each statement's first failing connection, in statement order.
        let mut failed = false;
        for (_, d) in errors.into_iter().flatten() {
            self.out.push(d);
            failed = true;
        }
        if failed {
            return;
        }
        for (pi, p) in plans.iter().enumerate() {
            if let Some(d) = &p.empty
                && counts[pi].iter().all(|&n| n == 0)
            {
                self.out.push(d.clone());
            }
        }
        // Drawn sites, cell by cell in creation order.
        if !plans.iter().any(|p| p.random_on.is_some()) {
            return;
        }
        for k in 0..nk {
            let cell = keep.start + k;
            if self.net.cells[cell].sections.is_empty() {
                continue;
            }
            let mut at = before[k];
            for &r in &ranks {
                for (pi, p) in of_rank(r) {
                    let n = counts[pi][k] as usize;
                    if let Some(rs) = &p.random_on {
                        for j in at..at + n {
                            let Some(l) = self.random_site(cell, rs, p.edge_type as usize) else {
                                return;
                            };
                            if let Some(pp) = self.net.cells[cell].point_processes.get_mut(j) {
                                pp.location = l;
                            }
                        }
                    }
                    at += n;
                }
            }
        }
    }
}

/// What the connections of one edge type share.
struct EdgeShared {
    mechanism: crate::net::SharedName,
    params: std::sync::Arc<BTreeMap<String, f64>>,
    threshold: f64,
    label: u32,
}

/// What one statement's rule needs to make the connections onto any one
/// target by itself (see [`Ctx::plan`]).
pub(super) struct Plan {
    rule: Rule,
    /// The weight and delay (absent while counting).
    weight: Option<Amount>,
    delay: Option<Amount>,
    src: Side,
    tgt: Side,
    /// The statement's stream seed ([`random::per_target`]).
    base: u64,
    /// Per target: the source that is the target cell itself, if any.
    self_of: Vec<Option<u32>>,
    /// `one_to_one`: the sources of target t are
    /// `one_sources[one_starts[t]..one_starts[t + 1]]`.
    one_starts: Vec<u32>,
    one_sources: Vec<u32>,
    /// Per target: where its synapses sit (filled in later when drawn).
    sites: Vec<Location>,
    /// The delay's span, for a negative delay.
    delay_span: Span,
    /// Index of the statement's edge type.
    edge_type: u32,
    /// Sites drawn per connection (`on = random(...)`).
    random_on: Option<super::morphology::RandomSites>,
    /// W1101, reported when the statement makes no connection.
    empty: Option<Diagnostic>,
}

/// Per thread buffers, reused from target to target.
#[derive(Default)]
struct Scratch {
    /// The sources chosen for the current target, in rule order.
    chosen: Vec<u32>,
    /// `fixed_indegree`'s candidates.
    candidates: Vec<u32>,
}

impl Plan {
    /// The distance (um) between source `s` and target `t`, when both have
    /// positions.
    fn distance(&self, s: usize, t: usize) -> Option<f64> {
        match (&self.src.positions, &self.tgt.positions) {
            (Some(a), Some(b)) => {
                let (p, q) = (a[s], b[t]);
                Some(((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt())
            }
            _ => None,
        }
    }

    /// Whether source `s` is target `t` itself.
    fn is_self(&self, s: usize, t: usize) -> bool {
        self.self_of[t] == Some(s as u32)
    }

    /// The number of connections onto target `t` when the rule draws
    /// nothing to choose them.
    fn count(&self, t: usize) -> Option<usize> {
        let ns = self.src.sources.len();
        match &self.rule {
            Rule::AllToAll { autapses } => {
                Some(ns - usize::from(!*autapses && self.self_of[t].is_some()))
            }
            Rule::FixedIndegree { k, .. } => Some(*k),
            Rule::OneToOne { .. } => Some((self.one_starts[t + 1] - self.one_starts[t]) as usize),
            Rule::Probability { .. } => None,
        }
    }

    /// Chooses the sources of target `t` into `scratch.chosen`, in rule
    /// order, drawing from `rng` (the target's stream).
    fn select(&self, t: usize, rng: &mut StdRng, scratch: &mut Scratch) -> Result<(), Diagnostic> {
        let ns = self.src.sources.len();
        let chosen = &mut scratch.chosen;
        chosen.clear();
        match &self.rule {
            Rule::AllToAll { autapses } => {
                chosen
                    .extend((0..ns as u32).filter(|&s| *autapses || !self.is_self(s as usize, t)));
            }
            Rule::Probability { p, autapses } => {
                for s in 0..ns {
                    if !*autapses && self.is_self(s, t) {
                        continue;
                    }
                    let prob = value(p, self.distance(s, t), rng)?;
                    if random::uniform(rng) < prob {
                        chosen.push(s as u32);
                    }
                }
            }
            Rule::FixedIndegree { k, autapses } => {
                let cands = &mut scratch.candidates;
                cands.clear();
                cands.extend((0..ns as u32).filter(|&s| *autapses || !self.is_self(s as usize, t)));
                // Checked for every target before drawing (see `Ctx::plan`).
                let k = (*k).min(cands.len());
                for i in random::choose(rng, cands.len(), k) {
                    chosen.push(cands[i]);
                }
            }
            Rule::OneToOne { .. } => {
                let (a, b) = (self.one_starts[t] as usize, self.one_starts[t + 1] as usize);
                chosen.extend_from_slice(&self.one_sources[a..b]);
            }
        }
        Ok(())
    }

    /// Makes the connections onto target `t`, handing each to `emit`
    /// (source, weight, delay, site): the rule's choices, then each
    /// connection's weight and delay, all drawn from `rng` (the target
    /// cell's stream).
    fn fill(
        &self,
        t: usize,
        rng: &mut StdRng,
        scratch: &mut Scratch,
        mut emit: impl FnMut(Source, f64, f64, Location),
    ) -> Result<(), Diagnostic> {
        self.select(t, rng, scratch)?;
        let (Some(weight), Some(delay)) = (&self.weight, &self.delay) else {
            return Ok(());
        };
        let site = self.sites.get(t).copied().unwrap_or_default();
        for &s in &scratch.chosen {
            let s = s as usize;
            let d = self.distance(s, t);
            let w = value(weight, d, rng)?;
            let dl = value(delay, d, rng)?;
            if dl < 0.0 {
                return Err(Diagnostic::error(
                    "E1304",
                    format!("the delay is negative ({dl} ms) for a connection"),
                )
                .with_primary(self.delay_span, "negative delay")
                .with_help("delays are at least 0 ms"));
            }
            emit(self.src.sources[s], w, dl, site);
        }
        Ok(())
    }
}

/// Runs `work` on every item, on up to `threads` threads, each over a run
/// of consecutive items (with its own [`Scratch`]).
fn on_threads<T: Send>(
    threads: usize,
    items: &mut [T],
    work: impl Fn(&mut T, &mut Scratch) + Sync,
) {
    let run = |chunk: &mut [T]| {
        let mut scratch = Scratch::default();
        for item in chunk {
            work(item, &mut scratch);
        }
    };
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return run(items);
    }
    let per = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for chunk in items.chunks_mut(per) {
            scope.spawn(|| run(chunk));
        }
    });
}

/// The value of an amount for one connection at `distance`.
fn value(a: &Amount, distance: Option<f64>, rng: &mut StdRng) -> Result<f64, Diagnostic> {
    match a {
        Amount::Const(x) => Ok(*x),
        Amount::Lognormal(l) => Ok(l.draw(rng)),
        Amount::Formula(e, f) => {
            match formula::eval(e, &|v| if v == "distance" { distance } else { None }) {
                Ok(x) if x.is_finite() => Ok(x * f),
                Ok(_) => Err(Diagnostic::error(
                    "E1304",
                    "the formula is not a finite number for a connection",
                )
                .with_primary(first_span(e), "infinite or NaN here")
                .with_help("check for a division by zero or the log of a negative number")),
                Err(d) => Err(d),
            }
        }
    }
}

/// The first occurrence of variable `name`.
fn find_var<'e>(e: &'e Expr, name: &str) -> Option<&'e Ident> {
    match e {
        Expr::Num(_) => None,
        Expr::Var(v) => (v.name == name).then_some(v),
        Expr::Neg(a) => find_var(a, name),
        Expr::Bin(_, a, b) => find_var(a, name).or_else(|| find_var(b, name)),
        Expr::Call(_, args) => args.iter().find_map(|a| find_var(a, name)),
    }
}

/// A span inside the formula, for messages.
fn first_span(e: &Expr) -> Span {
    match e {
        Expr::Num(_) => Span::default(),
        Expr::Var(v) => v.span,
        Expr::Neg(a) => first_span(a),
        Expr::Bin(_, a, b) => {
            let s = first_span(a);
            if s == Span::default() {
                first_span(b)
            } else {
                s
            }
        }
        Expr::Call(f, _) => f.span,
    }
}

/// The mean of a probability formula over a deterministic sample of
/// (source, target) pairs, clamped to [0, 1]: an estimate of the share of
/// pairs connected, checked against memory before the pairs are drawn
/// (pairs where the formula fails count as 0; drawing reports them).
fn mean_probability(e: &Expr, factor: f64, src: &Side, tgt: &Side) -> f64 {
    const SAMPLES: usize = 1024;
    let (ns, nt) = (src.sources.len(), tgt.sources.len());
    if ns == 0 || nt == 0 {
        return 0.0;
    }
    let mut rng = random::seeded(0x6d65_6d6f_7279);
    let mut sum = 0.0;
    for _ in 0..SAMPLES {
        let s = ((random::uniform(&mut rng) * ns as f64) as usize).min(ns - 1);
        let t = ((random::uniform(&mut rng) * nt as f64) as usize).min(nt - 1);
        let d = match (&src.positions, &tgt.positions) {
            (Some(a), Some(b)) => {
                let (p, q) = (a[s], b[t]);
                Some(((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt())
            }
            _ => None,
        };
        if let Ok(x) = formula::eval(e, &|v| if v == "distance" { d } else { None })
            && x.is_finite()
        {
            sum += (x * factor).clamp(0.0, 1.0);
        }
    }
    sum / SAMPLES as f64
}
