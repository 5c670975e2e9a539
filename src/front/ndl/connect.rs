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
//! Every rule enumerates targets in order and, for each, sources in order;
//! random choices draw from the statement's own seeded stream. Edges wait
//! in [`Pending`] until every statement has run, then
//! [`Ctx::place_connections`] creates synapses and NetCons in the order a
//! SONATA reader creates them from the written circuit.

use super::ast::*;
use super::formula;
use super::lower::{Ctx, quantity, single_ref, unknown_setting};
use super::quantity::{Expect, convert};
use super::random::{self, Lognormal, Stream};
use crate::diag::suggest::{closest, one_of};
use crate::diag::{Diagnostic, Span};
use crate::net::{Connection, Location, PointProcess, Source};
use rand::rngs::StdRng;
use std::collections::BTreeMap;

/// One connection made by a rule, waiting to be placed (what differs
/// between the connections of one statement; the rest is its
/// [`EdgeTypeDef`]).
#[derive(Clone, Debug)]
pub(super) struct Pending {
    /// Edge population: 0 for sources among the real cells, 1 + k for input k.
    pub(super) rank: u32,
    /// Index into [`Ctx::edge_types`].
    pub(super) edge_type: u32,
    /// Target cell.
    pub(super) target: u32,
    /// Section of the target cell the synapse sits on.
    pub(super) section: u32,
    /// Source.
    pub(super) source: Source,
    /// NetCon weight (in the synapse's weight unit).
    pub(super) weight: f64,
    /// Delay (ms).
    pub(super) delay: f64,
    /// Position along the section.
    pub(super) x: f64,
}

/// The queued connections, bucketed by edge population and target cell
/// (creation order: see [`Ctx::place_connections`]), each bucket in
/// statement and rule order.
#[derive(Clone, Debug, Default)]
pub(super) struct Queue {
    /// Per edge population, per target cell.
    buckets: Vec<Vec<Vec<Pending>>>,
    len: usize,
}

impl Queue {
    fn bucket(&mut self, rank: u32, target: usize) -> Option<&mut Vec<Pending>> {
        let rank = rank as usize;
        if self.buckets.len() <= rank {
            self.buckets.resize_with(rank + 1, Vec::new);
        }
        let cells = self.buckets.get_mut(rank)?;
        if cells.len() <= target {
            cells.resize_with(target + 1, Vec::new);
        }
        cells.get_mut(target)
    }

    /// Makes room, exactly, for one more connection of edge population
    /// `rank` onto each of `targets`.
    pub(super) fn reserve(&mut self, rank: usize, targets: impl Iterator<Item = usize>) {
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        for t in targets {
            *counts.entry(t).or_default() += 1;
        }
        for (t, n) in counts {
            if let Some(b) = self.bucket(rank as u32, t) {
                b.reserve_exact(n);
            }
        }
    }

    /// Queues `p`.
    pub(super) fn push(&mut self, p: Pending) {
        if let Some(b) = self.bucket(p.rank, p.target as usize) {
            b.push(p);
            self.len += 1;
        }
    }

    /// Number of queued connections.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Queued connections per target cell: (cell, count), a cell once per
    /// edge population.
    fn per_cell(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.buckets
            .iter()
            .flat_map(|cells| cells.iter().enumerate().map(|(c, b)| (c, b.len())))
    }

    /// The buckets in creation order.
    fn into_buckets(self) -> impl Iterator<Item = Vec<Pending>> {
        self.buckets.into_iter().flatten()
    }
}

/// What one `connect` statement contributes to the circuit: an edge type.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct EdgeTypeDef {
    /// Edge population (as in [`Pending::rank`]).
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
    /// settings, applies the rule, queues the connections.
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
        let mut rng = match seed {
            Some(s) => random::seeded(s),
            None => random::generator(self.seed, Stream::Connect(index)),
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
        // What a synapse takes at the least, measured: while the network
        // is built, its queued entry (56 bytes, freed as the synapse is
        // made) then its point process and packed connection (40 + 40)
        // and labels (8); the engine's tables (about 40 more with the
        // rows of synapses that cannot share theirs) replace them as the
        // network is taken over. Parameter maps are shared per connection
        // type. Only networks that cannot fit even so are refused.
        let per_edge = 100.0;
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
        let Some(pairs) = self.pairs(c, at, &rule, &source, &target, &mut rng) else {
            return;
        };
        if pairs.is_empty() {
            self.out.push(
                Diagnostic::warning(
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
                .with_help("check the rule's arguments and the populations' sizes"),
            );
        }
        if !self.counts.is_empty() {
            // Counting each cell's incoming connections (for the cut over
            // ranks): the pairs are all it takes; the weights, delays and
            // sites are drawn (and checked) when the connections are made.
            for &(_, t) in &pairs {
                if let Some(n) = target.cells[t].and_then(|tc| self.counts.get_mut(tc)) {
                    *n += 1;
                }
            }
            return;
        }
        let site = on.unwrap_or(Site {
            section: Ident {
                name: String::new(),
                span: c.span,
            },
            x: 0.5,
            x_span: c.span,
            span: c.span,
        });
        let et = self.edge_types.len();
        let mut section_name = String::new();
        // Exactly this statement's connections more: the queue never
        // doubles past what the network needs.
        let keep = self.keep.clone();
        self.pending.reserve(
            source.rank,
            pairs
                .iter()
                .filter_map(|&(_, t)| target.cells[t])
                .filter(|tc| keep.as_ref().is_none_or(|k| k.contains(tc))),
        );
        let mut values: Vec<(f64, f64)> = Vec::with_capacity(pairs.len());
        for &(s, t) in &pairs {
            let d = match (&source.positions, &target.positions) {
                (Some(a), Some(b)) => {
                    let (p, q) = (a[s], b[t]);
                    Some(
                        ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2))
                            .sqrt(),
                    )
                }
                _ => None,
            };
            let Some(w) = self.amount(&weight, d, &mut rng) else {
                return;
            };
            let Some(dl) = self.amount(&delay, d, &mut rng) else {
                return;
            };
            if dl < 0.0 {
                self.out.push(
                    Diagnostic::error(
                        "E1304",
                        format!("the delay is negative ({dl} ms) for a connection"),
                    )
                    .with_primary(da.value.span(), "negative delay")
                    .with_help("delays are at least 0 ms"),
                );
                return;
            }
            values.push((w, dl));
        }
        for (&(s, t), &(w, dl)) in pairs.iter().zip(&values) {
            let Some(tc) = target.cells[t] else { return };
            let location = if art_target.is_some() {
                Location::default()
            } else if let Some(r) = &random_on {
                match self.random_site(tc, r, et) {
                    Some(l) => l,
                    None => return,
                }
            } else if site.section.name.is_empty() {
                Location { section: 0, x: 0.5 }
            } else {
                match self.locate(tc, &site) {
                    Some(l) => l,
                    None => return,
                }
            };
            if let Some(r) = &random_on {
                section_name = r.first_type().to_string();
            } else if section_name.is_empty()
                && let Some(sec) = self.net.cells[tc].sections.get(location.section)
            {
                section_name = sec.name.clone();
            }
            // Loading one rank's share: only the connections onto its
            // cells are kept (everything above is done for every pair, so
            // that every rank draws the same numbers and finds the same
            // errors).
            if keep.as_ref().is_some_and(|k| !k.contains(&tc)) {
                continue;
            }
            self.pending.push(Pending {
                rank: source.rank as u32,
                edge_type: et as u32,
                target: tc as u32,
                section: location.section as u32,
                source: source.sources[s],
                weight: w,
                delay: dl,
                x: location.x,
            });
        }
        if section_name.is_empty() {
            section_name = if site.section.name.is_empty() {
                "soma".into()
            } else {
                site.section.name.clone()
            };
        }
        let constant = |a: &Amount| match a {
            Amount::Const(x) => Some(*x),
            _ => None,
        };
        self.edge_types.push(EdgeTypeDef {
            rank: source.rank,
            source_population: source.population.clone(),
            source_query: source.query.clone(),
            target_query: target.query.clone(),
            synapse: syn,
            mechanism: mech.name.as_str().into(),
            params: params.into(),
            weight: constant(&weight),
            delay: constant(&delay),
            section: section_name,
            threshold,
        });
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

    /// The value of an amount for one connection at `distance`.
    fn amount(&mut self, a: &Amount, distance: Option<f64>, rng: &mut StdRng) -> Option<f64> {
        match a {
            Amount::Const(x) => Some(*x),
            Amount::Lognormal(l) => Some(l.draw(rng)),
            Amount::Formula(e, f) => {
                match formula::eval(e, &|v| if v == "distance" { distance } else { None }) {
                    Ok(x) if x.is_finite() => Some(x * f),
                    Ok(_) => {
                        self.out.push(
                            Diagnostic::error(
                                "E1304",
                                "the formula is not a finite number for a connection",
                            )
                            .with_primary(first_span(e), "infinite or NaN here")
                            .with_help(
                                "check for a division by zero or the log of a negative number",
                            ),
                        );
                        None
                    }
                    Err(d) => {
                        self.out.push(d);
                        None
                    }
                }
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

    /// The (source, target) index pairs the rule makes, target-major.
    fn pairs(
        &mut self,
        c: &ConnectDef,
        at: Span,
        rule: &Rule,
        src: &Side,
        tgt: &Side,
        rng: &mut StdRng,
    ) -> Option<Vec<(usize, usize)>> {
        let is_self = |s: usize, t: usize| src.cells[s].is_some() && src.cells[s] == tgt.cells[t];
        let (ns, nt) = (src.sources.len(), tgt.sources.len());
        let mut pairs = Vec::new();
        match rule {
            Rule::AllToAll { autapses } => {
                pairs.reserve_exact(ns * nt);
                for t in 0..nt {
                    for s in 0..ns {
                        if *autapses || !is_self(s, t) {
                            pairs.push((s, t));
                        }
                    }
                }
            }
            Rule::Probability { p, autapses } => {
                for t in 0..nt {
                    for s in 0..ns {
                        if !*autapses && is_self(s, t) {
                            continue;
                        }
                        let d = match (&src.positions, &tgt.positions) {
                            (Some(a), Some(b)) => Some(
                                ((a[s][0] - b[t][0]).powi(2)
                                    + (a[s][1] - b[t][1]).powi(2)
                                    + (a[s][2] - b[t][2]).powi(2))
                                .sqrt(),
                            ),
                            _ => None,
                        };
                        let prob = self.amount(p, d, rng)?;
                        if random::uniform(rng) < prob {
                            pairs.push((s, t));
                        }
                    }
                }
            }
            Rule::FixedIndegree { k, autapses } => {
                for t in 0..nt {
                    let cands: Vec<usize> =
                        (0..ns).filter(|&s| *autapses || !is_self(s, t)).collect();
                    if *k > cands.len() {
                        self.out.push(
                            Diagnostic::error(
                                "E1304",
                                format!(
                                    "`fixed_indegree({k})` needs {k} distinct sources per target, but there are {}",
                                    cands.len()
                                ),
                            )
                            .with_primary(c.source.span, format!("{} sources", cands.len()))
                            .with_help("lower k, or allow self-connections"),
                        );
                        return None;
                    }
                    for i in random::choose(rng, cands.len(), *k) {
                        pairs.push((cands[i], t));
                    }
                }
            }
            Rule::OneToOne { offset, wrap } => {
                let mut hits = vec![0usize; nt];
                let mut dropped = 0;
                for s in 0..ns {
                    let t = s as i64 + offset;
                    let t = if *wrap && nt > 0 {
                        t.rem_euclid(nt as i64)
                    } else {
                        t
                    };
                    if t < 0 || t >= nt as i64 {
                        dropped += 1;
                        continue;
                    }
                    hits[t as usize] += 1;
                    pairs.push((s, t as usize));
                }
                pairs.sort_by_key(|p| p.1);
                let unconnected: Vec<usize> = (0..nt).filter(|&t| hits[t] == 0).collect();
                let doubled: Vec<usize> = (0..nt).filter(|&t| hits[t] > 1).collect();
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
            }
        }
        Some(pairs)
    }

    /// Creates the queued synapses and NetCons in SONATA reader order:
    /// edge population (recurrent, then each input), target cell, then
    /// statement and rule order.
    /// Every list is reserved at its final length first, so that no list
    /// grows by doubling; the queue is freed afterwards. The edge type of
    /// each connection is kept for the SONATA record.
    pub(super) fn place_connections(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let mut per_cell = vec![0usize; self.net.cells.len()];
        for (cell, n) in pending.per_cell() {
            if let Some(m) = per_cell.get_mut(cell) {
                *m += n;
            }
        }
        // A cell's synapse lists are allocated, at their size, when its
        // first synapse is made: while the queue drains, the network grows
        // into the memory it frees instead of holding everything at once.
        self.net.connections.reserve(pending.len());
        self.edge_type_of.reserve_exact(pending.len());
        // Synapse labels by edge type, as indexes into `labels`.
        let names: Vec<String> = self.edge_types.iter().map(|e| e.synapse.clone()).collect();
        let label_of: Vec<u32> = names.iter().map(|n| self.label(n)).collect();
        // Bucket by bucket, each freed once its synapses exist: the queue
        // and the network never coexist whole.
        for p in pending.into_buckets().flatten() {
            let et = &self.edge_types[p.edge_type as usize];
            let tc = p.target as usize;
            let cell = &mut self.net.cells[tc];
            if cell.sections.is_empty() {
                // An artificial cell: the NetCon targets the cell itself.
                self.edge_type_of.push(p.edge_type);
                self.net.connections.push(Connection {
                    source: p.source,
                    target_cell: tc,
                    target: 0,
                    weight: p.weight,
                    delay: p.delay,
                    threshold: et.threshold,
                });
                continue;
            }
            if cell.point_processes.capacity() == 0 {
                let n = per_cell.get(tc).copied().unwrap_or(0);
                cell.point_processes.reserve_exact(n);
                if let Some(labels) = self.pp_labels.get_mut(tc) {
                    labels.reserve_exact(n);
                }
            }
            cell.point_processes.push(PointProcess {
                mechanism: et.mechanism.clone(),
                location: Location {
                    section: p.section as usize,
                    x: p.x,
                },
                params: et.params.clone(),
            });
            let target = cell.point_processes.len() - 1;
            self.pp_labels[tc].push(label_of[p.edge_type as usize]);
            self.edge_type_of.push(p.edge_type);
            self.net.connections.push(Connection {
                source: p.source,
                target_cell: tc,
                target,
                weight: p.weight,
                delay: p.delay,
                threshold: et.threshold,
            });
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
