//! SONATA edge populations: `/edges/<population>/{source_node_id,
//! target_node_id (attribute node_population), edge_type_id,
//! edge_group_id, edge_group_index}` plus per-group columns (`syn_weight`,
//! `delay`, `sec_id`, `sec_x`, `nsyns`...), and the edge types CSV.

use super::nodes::{
    TypeTable, h5_error, numeric_columns, read_int_column, read_type_table, string_attr,
};
use crate::diag::Diagnostic;
use hdf5_metno as hdf5;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One edge population, in file (edge id) order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgePopulation {
    /// Population name (the group under `/edges`).
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// The edge types CSV.
    pub types_file: PathBuf,
    /// Node population of the sources.
    pub source_population: String,
    /// Node population of the targets.
    pub target_population: String,
    /// Source node id of each edge.
    pub source: Vec<u64>,
    /// Target node id of each edge.
    pub target: Vec<u64>,
    /// Edge type id of each edge.
    pub type_ids: Vec<i64>,
    /// Per-edge numeric attributes from the edge groups (`NaN` where an
    /// edge's group lacks the column).
    pub columns: BTreeMap<String, Vec<f64>>,
    /// Names of per-edge text columns (not used by the reader).
    pub text_columns: Vec<String>,
    /// The edge types table.
    pub types: TypeTable,
}

impl EdgePopulation {
    /// Number of edges.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// True when the population has no edge.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// A numeric attribute of edge `k`: its group column, else its type's.
    /// `Err` carries the text of a type value that is not a number.
    pub fn number(&self, k: usize, column: &str) -> Result<Option<f64>, String> {
        if let Some(v) = self.columns.get(column).and_then(|c| c.get(k))
            && !v.is_nan()
        {
            return Ok(Some(*v));
        }
        let Some(t) = self.type_ids.get(k) else {
            return Ok(None);
        };
        match self.types.get(*t, column) {
            None => Ok(None),
            Some(s) => s.trim().parse::<f64>().map(Some).map_err(|_| s.to_string()),
        }
    }

    /// A text attribute of edge `k` (from its type).
    pub fn text(&self, k: usize, column: &str) -> Option<&str> {
        self.type_ids
            .get(k)
            .and_then(|&t| self.types.get(t, column))
    }
}

/// Node ids read as `i64`, checked and reinterpreted in place (no copy).
fn unsigned(file: &Path, what: &str, v: Vec<i64>) -> Result<Vec<u64>, Diagnostic> {
    if let Some((row, x)) = v.iter().enumerate().find(|(_, x)| **x < 0) {
        return Err(Diagnostic::error(
            "E1502",
            format!(
                "`{}` {what} row {row}: {x} is not a node id",
                file.display()
            ),
        ));
    }
    // Same size and alignment: the standard library reuses the buffer.
    Ok(v.into_iter().map(|x| x as u64).collect())
}

/// Every group column of one population at once: the value of each edge
/// from the column of its group, NaN where its group lacks the column.
/// A NaN (or infinite) value written in a group is an error naming the
/// dataset and row, so that no edge silently takes its type's value.
fn group_columns(
    file: &Path,
    g: &hdf5::Group,
    name: &str,
    gid: &[i64],
    gix: &[i64],
    n: usize,
    text_columns: &mut Vec<String>,
) -> Result<BTreeMap<String, Vec<f64>>, Diagnostic> {
    if gid.len() != n || gix.len() != n {
        return Err(Diagnostic::error(
            "E1502",
            format!(
                "`{}` population `{name}`: {n} edges, {} edge group ids, {} edge group indexes",
                file.display(),
                gid.len(),
                gix.len()
            ),
        ));
    }
    if let Some(k) = (0..n).find(|&k| gid[k] < 0 || gix[k] < 0) {
        return Err(Diagnostic::error(
            "E1502",
            format!(
                "`{}` /edges/{name} row {k}: edge group {} index {} is negative",
                file.display(),
                gid[k],
                gix[k]
            ),
        ));
    }
    let mut ids: Vec<i64> = gid.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut groups: BTreeMap<i64, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for id in ids {
        let Ok(gg) = g.group(&id.to_string()) else {
            let k = gid.iter().position(|&x| x == id).unwrap_or(0);
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{}` /edges/{name}/edge_group_id row {k}: group `{id}` does not exist in /edges/{name}",
                    file.display()
                ),
            ));
        };
        let cols = numeric_columns(&gg, file)?;
        // Every edge of the group must have a row in each of its columns.
        let rows = cols.values().map(Vec::len).min();
        if let Some(rows) = rows
            && let Some(k) = (0..n)
                .find(|&k| gid[k] == id && usize::try_from(gix[k]).map_or(true, |i| i >= rows))
        {
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{}` /edges/{name}/edge_group_index row {k}: {} is not a row of group {id} (its columns have {rows} rows)",
                    file.display(),
                    gix[k]
                ),
            ));
        }
        for m in gg.member_names().unwrap_or_default() {
            if !cols.contains_key(&m) && !text_columns.contains(&m) {
                text_columns.push(m);
            }
        }
        for (col, vals) in &cols {
            if let Some(row) = vals.iter().position(|v| !v.is_finite()) {
                return Err(Diagnostic::error(
                    "E1502",
                    format!(
                        "`{}` /edges/{name}/{id}/{col} row {row}: `{}` is not a number an edge can use",
                        file.display(),
                        vals[row]
                    ),
                ));
            }
        }
        groups.insert(id, cols);
    }
    // One group whose rows are the edges in order (as BMTK writes them):
    // its columns are the edges' columns as they are.
    if groups.len() == 1
        && gix.iter().enumerate().all(|(k, &i)| i == k as i64)
        && let Some(cols) = groups.values_mut().next()
        && cols.values().all(|v| v.len() == n)
    {
        return Ok(std::mem::take(cols));
    }
    let mut names: Vec<&String> = groups.values().flat_map(|c| c.keys()).collect();
    names.sort_unstable();
    names.dedup();
    let mut columns = BTreeMap::new();
    for col in names {
        let mut out = vec![f64::NAN; n];
        for (k, x) in out.iter_mut().enumerate() {
            let (Some(id), Some(&ix)) = (gid.get(k), gix.get(k)) else {
                break;
            };
            if let Some(v) = groups
                .get(id)
                .and_then(|c| c.get(col))
                .and_then(|v| usize::try_from(ix).ok().and_then(|i| v.get(i)))
            {
                *x = *v;
            }
        }
        columns.insert(col.clone(), out);
    }
    Ok(columns)
}

/// Reads every population of an edges file with its types CSV.
pub fn read_edges(file: &Path, types_file: &Path) -> Result<Vec<EdgePopulation>, Diagnostic> {
    let types = read_type_table(types_file, "edge_type_id")?;
    let h5 = hdf5::File::open(file).map_err(|e| h5_error(file, "the edges", e))?;
    let root = h5
        .group("edges")
        .map_err(|e| h5_error(file, "group /edges", e))?;
    let names = root
        .member_names()
        .map_err(|e| h5_error(file, "group /edges", e))?;
    let mut out = Vec::new();
    for name in names {
        let g = root
            .group(&name)
            .map_err(|e| h5_error(file, &format!("/edges/{name}"), e))?;
        let what = |c: &str| format!("/edges/{name}/{c}");
        let src_ds = g
            .dataset("source_node_id")
            .map_err(|e| h5_error(file, &what("source_node_id"), e))?;
        let trg_ds = g
            .dataset("target_node_id")
            .map_err(|e| h5_error(file, &what("target_node_id"), e))?;
        let source_population = string_attr(&src_ds, "node_population").ok_or_else(|| {
            Diagnostic::error(
                "E1502",
                format!(
                    "`{}` {} has no `node_population` attribute",
                    file.display(),
                    what("source_node_id")
                ),
            )
        })?;
        let target_population = string_attr(&trg_ds, "node_population").ok_or_else(|| {
            Diagnostic::error(
                "E1502",
                format!(
                    "`{}` {} has no `node_population` attribute",
                    file.display(),
                    what("target_node_id")
                ),
            )
        })?;
        let source = unsigned(
            file,
            &what("source_node_id"),
            read_int_column(file, &src_ds, &what("source_node_id"))?,
        )?;
        let target = unsigned(
            file,
            &what("target_node_id"),
            read_int_column(file, &trg_ds, &what("target_node_id"))?,
        )?;
        let type_ds = g
            .dataset("edge_type_id")
            .map_err(|e| h5_error(file, &what("edge_type_id"), e))?;
        let type_ids = read_int_column(file, &type_ds, &what("edge_type_id"))?;
        let n = source.len();
        if target.len() != n || type_ids.len() != n {
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{}` population `{name}`: {n} sources, {} targets, {} edge type ids",
                    file.display(),
                    target.len(),
                    type_ids.len()
                ),
            ));
        }
        let mut known = None;
        for (row, t) in type_ids.iter().enumerate() {
            if known == Some(*t) {
                continue;
            }
            if types.rows.contains_key(t) {
                known = Some(*t);
            } else {
                return Err(Diagnostic::error(
                    "E1502",
                    format!(
                        "`{}` {} row {row}: edge type {t} is not in `{}`",
                        file.display(),
                        what("edge_type_id"),
                        types_file.display()
                    ),
                ));
            }
        }
        let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut text_columns = Vec::new();
        if g.link_exists("edge_group_id") != g.link_exists("edge_group_index") {
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{}` population `{name}` has only one of `edge_group_id` and `edge_group_index`",
                    file.display()
                ),
            ));
        }
        if g.link_exists("edge_group_id") && g.link_exists("edge_group_index") {
            let read = |c: &str| {
                let ds = g.dataset(c).map_err(|e| h5_error(file, &what(c), e))?;
                read_int_column(file, &ds, &what(c))
            };
            let gid = read("edge_group_id")?;
            let gix = read("edge_group_index")?;
            columns = group_columns(file, &g, &name, &gid, &gix, n, &mut text_columns)?;
        }
        out.push(EdgePopulation {
            name,
            file: file.to_path_buf(),
            types_file: types_file.to_path_buf(),
            source_population,
            target_population,
            source,
            target,
            type_ids,
            columns,
            text_columns,
            types: types.clone(),
        });
    }
    Ok(out)
}
