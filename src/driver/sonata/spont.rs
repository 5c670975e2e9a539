//! `syn_activity` inputs (BMTK's spontaneous synaptic activity). With one
//! in the config, BMTK 1.2.0 builds every cell with its own VecStim
//! playing the input's `timestamps`, and each connection between real
//! cells (not those from virtual nodes) changes: when the source node
//! matches `precell_filter` and the target `postcell_filter` (every key
//! equal to the value, or among a list of values; `population` is the
//! node's population unless it has such an attribute) the NetCon comes
//! from the target cell's VecStim instead, with the edge's weight and
//! delay; otherwise it stays on the source cell with weight 0. The
//! input's `node_set` is not used. A source matching `precell_filter`
//! onto a point cell stops BMTK 1.2.0 (its `PointProcessCellSpontSyns`
//! reads a variable it never set), so nmc reports it.

use super::e1502;
use crate::diag::Diagnostic;
use crate::net::{Network, Source, SpikeTrain};
use crate::sonata::config::{InputConfig, SimulationConfig};
use crate::sonata::node_sets::is_text_type_column;
use crate::sonata::nodes::NodePopulation;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The spontaneous activity of a run.
pub(super) struct Spont {
    pre: Map<String, Value>,
    post: Map<String, Value>,
    /// Spike times each cell's VecStim delivers (VecStim's arithmetic).
    times: Vec<f64>,
    /// Cell → its VecStim's train, made when first needed.
    train_of: HashMap<usize, usize>,
    /// `(pre?, population, node id)` → whether it matches that filter.
    matched: HashMap<(bool, String, u64), bool>,
    /// Population → node id → row, made when first needed.
    rows: HashMap<String, HashMap<u64, usize>>,
}

/// A node attribute as Python sees it: text or number.
enum Attr {
    Text(String),
    Num(f64),
}

impl Spont {
    /// Reads a `syn_activity` input.
    pub(super) fn new(
        config: &SimulationConfig,
        input: &InputConfig,
        tstart: f64,
    ) -> Result<Spont, Diagnostic> {
        let bad = |what: String| {
            Diagnostic::error(
                "E1507",
                format!("`{}` input `{}`: {what}", config.path.display(), input.name),
            )
        };
        if input.module != "syn_activity" {
            return Err(bad(format!(
                "input_type `syn_activity` needs module `syn_activity`, not `{}`",
                input.module
            )));
        }
        let filter = |key: &str, required: bool| match input.params.get(key) {
            Some(Value::Object(m)) => Ok(m.clone()),
            None if !required => Ok(Map::new()),
            Some(v) => Err(bad(format!(
                "{key} must be an object of node attributes, not `{v}`"
            ))),
            None => Err(bad(format!("no `{key}`"))),
        };
        let (pre, post) = (
            filter("precell_filter", true)?,
            filter("postcell_filter", false)?,
        );
        let times: Vec<f64> = match input.params.get("timestamps") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| x.as_f64().filter(|t| t.is_finite()))
                .collect::<Option<Vec<f64>>>()
                .ok_or_else(|| bad("timestamps must be numbers (ms)".into()))?,
            Some(v) => vec![
                v.as_f64()
                    .filter(|t| t.is_finite())
                    .ok_or_else(|| bad(format!("timestamps `{v}` is not a time (ms)")))?,
            ],
            None => return Err(bad("no `timestamps`".into())),
        };
        if let Some(w) = times.windows(2).find(|w| w[1] < w[0]) {
            return Err(bad(format!(
                "timestamps must not decrease ({} after {}): NEURON's VecStim stops the run",
                w[1], w[0]
            )));
        }
        let mut times = times;
        super::vecstim_times(tstart, &mut times);
        Ok(Spont {
            pre,
            post,
            times,
            train_of: HashMap::new(),
            matched: HashMap::new(),
            rows: HashMap::new(),
        })
    }

    /// The source and weight of a connection from node `src` onto node
    /// `trg` (the cell `cell`, a point cell when `point`): from a real
    /// cell, the target cell's VecStim when both filters match, else
    /// weight 0; from a train, unchanged.
    pub(super) fn rewire(
        &mut self,
        pops: &[NodePopulation],
        (src, trg): ((&str, u64), (&str, u64)),
        (cell, point): (usize, bool),
        (source, weight): (Source, f64),
        net: &mut Network,
    ) -> Result<(Source, f64), Diagnostic> {
        if !matches!(source, Source::Cell(_)) {
            return Ok((source, weight));
        }
        if !self.node_matches(pops, src, true)? {
            return Ok((source, 0.0));
        }
        if point {
            return Err(Diagnostic::error(
                "E1507",
                format!(
                    "syn_activity: node {} of `{}` matches precell_filter and connects to point cell {} of `{}`; BMTK 1.2.0 stops there (PointProcessCellSpontSyns reads `trg_node` before setting it), so nmc has no reference to follow",
                    src.1, src.0, trg.1, trg.0
                ),
            ));
        }
        if self.node_matches(pops, trg, false)? {
            Ok((Source::Train(self.train(cell, net)), weight))
        } else {
            Ok((source, 0.0))
        }
    }

    /// True when node `id` of `pop` matches the pre- (`pre`) or
    /// postsynaptic filter.
    fn node_matches(
        &mut self,
        pops: &[NodePopulation],
        (pop, id): (&str, u64),
        pre: bool,
    ) -> Result<bool, Diagnostic> {
        let key = (pre, pop.to_string(), id);
        if let Some(&m) = self.matched.get(&key) {
            return Ok(m);
        }
        let Some(p) = pops.iter().find(|p| p.name == pop) else {
            return Err(e1502(format!("syn_activity: no node population `{pop}`")));
        };
        let rows = self.rows.entry(pop.to_string()).or_insert_with(|| {
            p.node_ids
                .iter()
                .enumerate()
                .map(|(k, &n)| (n, k))
                .collect()
        });
        let Some(&k) = rows.get(&id) else {
            return Err(e1502(format!(
                "syn_activity: population `{pop}` has no node {id}"
            )));
        };
        let (filter, what) = if pre {
            (&self.pre, "precell_filter")
        } else {
            (&self.post, "postcell_filter")
        };
        let m = matches(filter, p, k, what)?;
        self.matched.insert(key, m);
        Ok(m)
    }

    /// The train of `cell`'s VecStim.
    fn train(&mut self, cell: usize, net: &mut Network) -> usize {
        *self.train_of.entry(cell).or_insert_with(|| {
            net.trains.push(SpikeTrain {
                gid: net.cells[cell].gid,
                population: String::new(),
                times: self.times.clone(),
            });
            net.trains.len() - 1
        })
    }
}

/// True when node `k` of `p` matches `filter`. A key the node lacks is
/// an error (BMTK stops with a KeyError).
fn matches(
    filter: &Map<String, Value>,
    p: &NodePopulation,
    k: usize,
    what: &str,
) -> Result<bool, Diagnostic> {
    for (name, want) in filter {
        let have = match attr(p, k, name) {
            Some(a) => a,
            None if name == "population" => Attr::Text(p.name.clone()),
            None => {
                return Err(Diagnostic::error(
                    "E1507",
                    format!(
                        "syn_activity: {what} key `{name}` is not an attribute of node {} of `{}` (`{}`, `{}`); BMTK stops with a KeyError",
                        p.node_ids[k],
                        p.name,
                        p.file.display(),
                        p.types_file.display()
                    ),
                ));
            }
        };
        let one = |w: &Value| match (w, &have) {
            (Value::String(s), Attr::Text(h)) => s == h,
            (Value::Number(x), Attr::Num(h)) => x.as_f64() == Some(*h),
            (Value::Bool(b), Attr::Num(h)) => f64::from(u8::from(*b)) == *h,
            _ => false,
        };
        let ok = match want {
            Value::Array(a) => a.iter().any(one),
            w => one(w),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Node `k`'s attribute `name`: its group's column, else its node type's
/// (text when pandas reads the types column as text), else `node_id`.
fn attr(p: &NodePopulation, k: usize, name: &str) -> Option<Attr> {
    if let Some(Some(s)) = p.texts.get(name).and_then(|c| c.get(k)) {
        return Some(Attr::Text(s.clone()));
    }
    if let Some(&x) = p.columns.get(name).and_then(|c| c.get(k))
        && !x.is_nan()
    {
        return Some(Attr::Num(x));
    }
    if p.types.header.iter().any(|h| h == name) {
        let v = p.attr(k, name)?;
        if is_text_type_column(p, name) {
            return Some(Attr::Text(v.to_string()));
        }
        return Some(Attr::Num(v.trim().parse::<f64>().unwrap_or(f64::NAN)));
    }
    (name == "node_id").then(|| Attr::Num(p.node_ids[k] as f64))
}
