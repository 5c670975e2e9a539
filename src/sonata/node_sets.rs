//! Node sets (`node_sets.json`): which nodes a node set selects.

use super::nodes::NodePopulation;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// True when the node types table of `p` has a column `key` that pandas
/// reads as text (some value other than `NULL` is not a number).
pub fn is_text_type_column(p: &NodePopulation, key: &str) -> bool {
    p.types.header.iter().any(|h| h == key)
        && p.types.rows.values().any(|r| {
            r.get(key)
                .is_some_and(|v| v != "NULL" && !v.is_empty() && v.trim().parse::<f64>().is_err())
        })
}

/// True when node `k` of `p` has every attribute of the node set `obj`,
/// looked up as BMTK 1.2.0 does: the node's group columns first, then
/// its node type's. A text column of the node types table matches
/// nothing: BMTK compares the column's pandas dtype with the table's,
/// which differ for text under pandas 3 (`str` against `object`), so its
/// node sets never select by them (`{"model_type": "biophysical"}`
/// selects no node).
pub fn node_matches(p: &NodePopulation, k: usize, obj: &serde_json::Map<String, Value>) -> bool {
    obj.iter().all(|(key, want)| {
        let in_group = p.texts.contains_key(key) || p.columns.contains_key(key);
        if !in_group && is_text_type_column(p, key) {
            return false;
        }
        let have: Option<String> = match key.as_str() {
            "population" => Some(p.name.clone()),
            "node_id" => Some(p.node_ids[k].to_string()),
            _ => p
                .texts
                .get(key)
                .and_then(|c| c.get(k))
                .cloned()
                .flatten()
                .or_else(|| {
                    p.columns
                        .get(key)
                        .and_then(|c| c.get(k))
                        .filter(|x| !x.is_nan())
                        .map(|x| x.to_string())
                })
                .or_else(|| p.attr(k, key).map(str::to_string)),
        };
        let Some(have) = have else { return false };
        let matches = |w: &Value| match w {
            Value::String(s) => *s == have,
            Value::Number(x) => x
                .as_f64()
                .is_some_and(|x| have.parse::<f64>().is_ok_and(|h| h == x)),
            _ => false,
        };
        match want {
            Value::Array(a) => a.iter().any(matches),
            w => matches(w),
        }
    })
}

/// The `(population, node id)` pairs a node set selects: an object of
/// attribute = value(s), a list of node ids, or a list of node set names (their union, each
/// pair once, in first-seen order; compound sets nest at most 8 deep).
/// `None` when the node set has another form or names an unknown set.
/// Each named set is worked out once per call, so sets that name each
/// other many times over cost no more than their total size.
pub fn select(
    pops: &[NodePopulation],
    sets: &std::collections::BTreeMap<String, Value>,
    v: &Value,
    depth: usize,
) -> Option<Vec<(String, u64)>> {
    let mut memo = HashMap::new();
    select_memo(pops, sets, v, depth, &mut memo)
}

type Memo = HashMap<String, Option<Vec<(String, u64)>>>;

fn select_memo(
    pops: &[NodePopulation],
    sets: &std::collections::BTreeMap<String, Value>,
    v: &Value,
    depth: usize,
    memo: &mut Memo,
) -> Option<Vec<(String, u64)>> {
    match v {
        Value::Object(obj) => {
            let mut out = Vec::new();
            for p in pops {
                for k in 0..p.len() {
                    if node_matches(p, k, obj) {
                        out.push((p.name.clone(), p.node_ids[k]));
                    }
                }
            }
            Some(out)
        }
        // A list of numbers: BMTK's `{"node_id": [...]}`, those node ids in
        // every population.
        Value::Array(ids) if !ids.is_empty() && ids.iter().all(Value::is_u64) => {
            let mut out = Vec::new();
            for p in pops {
                for &n in &p.node_ids {
                    if ids.iter().any(|i| i.as_u64() == Some(n)) {
                        out.push((p.name.clone(), n));
                    }
                }
            }
            Some(out)
        }
        Value::Array(names) if depth < 8 => {
            let mut out = Vec::new();
            let mut seen = HashSet::new();
            for n in names {
                let name = n.as_str()?;
                let inner = match memo.get(name) {
                    Some(r) => r.clone(),
                    None => {
                        let r = sets
                            .get(name)
                            .and_then(|inner| select_memo(pops, sets, inner, depth + 1, memo));
                        memo.insert(name.to_string(), r.clone());
                        r
                    }
                }?;
                for x in inner {
                    if seen.insert(x.clone()) {
                        out.push(x);
                    }
                }
            }
            Some(out)
        }
        _ => None,
    }
}
