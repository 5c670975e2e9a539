//! SONATA edge populations: `/edges/<population>/{source_node_id,
//! target_node_id (attribute node_population), edge_type_id,
//! edge_group_id, edge_group_index}` plus per-group columns (`syn_weight`,
//! `delay`, `sec_id`, `sec_x`, `nsyns`...), and the edge types CSV.

use super::nodes::{
    TypeTable, descriptor, h5_error, is_numeric, members, numeric_columns, read_int_column,
    read_type_table, string_attr,
};
use crate::diag::Diagnostic;
use hdf5_metno as hdf5;
use std::collections::BTreeMap;
use std::ops::Range;
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

/// Number of rows in `rows`.
fn count_rows(rows: &[Range<usize>]) -> usize {
    rows.iter().map(ExactSizeIterator::len).sum()
}

/// Reads rows `rows` (sorted, disjoint ranges) of a 1-D dataset, or all
/// of it, after checking that they fit in memory.
fn read_rows<T: hdf5::H5Type + Copy>(
    ds: &hdf5::Dataset,
    rows: Option<&[Range<usize>]>,
) -> hdf5::Result<Vec<T>> {
    let Some(rows) = rows else {
        return super::read_all(ds);
    };
    let n = count_rows(rows);
    crate::io::check_memory(n as f64 * std::mem::size_of::<T>() as f64).map_err(|m| {
        hdf5::Error::from(format!("{n} rows of dataset `{}`, which {m}", ds.name()))
    })?;
    let size = ds.size();
    let mut out = Vec::with_capacity(n);
    for r in rows.iter().filter(|r| !r.is_empty()) {
        if r.end > size {
            return Err(hdf5::Error::from(format!(
                "dataset `{}` has {size} rows, not rows {} to {}",
                ds.name(),
                r.start,
                r.end
            )));
        }
        let part = ds.read_slice_1d::<T, _>(r.clone())?;
        out.extend(part.iter().copied());
    }
    Ok(out)
}

/// An integer column (ids, indexes) at `rows`, or whole; a floating-point
/// or many-dimensional dataset is an error naming it.
fn int_rows(
    file: &Path,
    ds: &hdf5::Dataset,
    what: &str,
    rows: Option<&[Range<usize>]>,
) -> Result<Vec<i64>, Diagnostic> {
    if rows.is_none() {
        return read_int_column(file, ds, what);
    }
    if matches!(descriptor(ds), Some(hdf5::types::TypeDescriptor::Float(_))) || ds.ndim() != 1 {
        // The whole-column reader words the error.
        return read_int_column(file, ds, what);
    }
    read_rows::<i64>(ds, rows).map_err(|e| h5_error(file, what, e))
}

/// The numeric columns of group `id` of population `name` at `rows`,
/// the group's rows being the edges' (checked by the caller).
fn group_rows(
    file: &Path,
    g: &hdf5::Group,
    name: &str,
    id: i64,
    rows: &[Range<usize>],
    text_columns: &mut Vec<String>,
) -> Result<BTreeMap<String, Vec<f64>>, Diagnostic> {
    let Ok(gg) = g.group(&id.to_string()) else {
        return Err(Diagnostic::error(
            "E1502",
            format!(
                "`{}` /edges/{name}/edge_group_id: group `{id}` does not exist in /edges/{name}",
                file.display()
            ),
        ));
    };
    let mut out = BTreeMap::new();
    for m in members(&gg, file)? {
        let Ok(ds) = gg.dataset(&m) else { continue };
        if !descriptor(&ds).is_some_and(|d| is_numeric(&d)) || ds.ndim() != 1 {
            if !text_columns.contains(&m) {
                text_columns.push(m);
            }
            continue;
        }
        let vals = read_rows::<f64>(&ds, Some(rows)).map_err(|e| h5_error(file, &ds.name(), e))?;
        if let Some(k) = vals.iter().position(|v| !v.is_finite()) {
            let row = rows.iter().flat_map(Clone::clone).nth(k).unwrap_or(k);
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{}` /edges/{name}/{id}/{m} row {row}: `{}` is not a number an edge can use",
                    file.display(),
                    vals[k]
                ),
            ));
        }
        out.insert(m, vals);
    }
    Ok(out)
}

/// Every group column of one population at once: the value of each edge
/// from the column of its group, NaN where its group lacks the column.
/// A NaN (or infinite) value written in a group is an error naming the
/// dataset and row, so that no edge silently takes its type's value.
fn group_columns(
    file: &Path,
    g: &hdf5::Group,
    name: &str,
    (gid, gix, n): (&[i64], &[i64], usize),
    rows: Option<&[Range<usize>]>,
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
    // The distinct group ids (edges of one group come in runs: no copy
    // and sort of the whole column).
    let mut distinct = std::collections::BTreeSet::new();
    let mut last = None;
    for &id in gid {
        if last != Some(id) {
            distinct.insert(id);
            last = Some(id);
        }
    }
    let ids: Vec<i64> = distinct.into_iter().collect();
    // No rows: the columns of every group, empty (as a whole read kept
    // to no edge has them).
    if rows.is_some() && n == 0 {
        let mut out = BTreeMap::new();
        for m in members(g, file)? {
            if m.parse::<i64>().is_ok() && g.group(&m).is_ok() {
                let rows = group_rows(file, g, name, m.parse().unwrap_or(0), &[], text_columns)?;
                out.extend(rows);
            }
        }
        return Ok(out);
    }
    // Some rows of one group whose rows are the edges (as BMTK writes
    // them): the group's columns are read at those rows only.
    if let (Some(rs), [id]) = (rows, ids.as_slice())
        && rs
            .iter()
            .flat_map(Clone::clone)
            .zip(gix)
            .all(|(e, &i)| i == e as i64)
    {
        return group_rows(file, g, name, *id, rs, text_columns);
    }
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
    read_edges_where(file, types_file, &mut |_, _| Ok(None))
}

/// Which edge ids of a population (by name and group) to read: sorted,
/// disjoint ranges, or `None` for all.
pub type RowsOf<'a> =
    dyn FnMut(&str, &hdf5::Group) -> Result<Option<Vec<Range<usize>>>, Diagnostic> + 'a;

/// Reads the populations of an edges file, each at the edge ids `rows`
/// gives it (sorted, disjoint ranges; `None`: all of them), in the order
/// of the file. `rows` is asked with the population's name and group.
pub fn read_edges_where(
    file: &Path,
    types_file: &Path,
    rows: &mut RowsOf<'_>,
) -> Result<Vec<EdgePopulation>, Diagnostic> {
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
        let rows = rows(&name, &g)?;
        let rows = rows.as_deref();
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
            int_rows(file, &src_ds, &what("source_node_id"), rows)?,
        )?;
        let target = unsigned(
            file,
            &what("target_node_id"),
            int_rows(file, &trg_ds, &what("target_node_id"), rows)?,
        )?;
        let type_ds = g
            .dataset("edge_type_id")
            .map_err(|e| h5_error(file, &what("edge_type_id"), e))?;
        let type_ids = int_rows(file, &type_ds, &what("edge_type_id"), rows)?;
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
                int_rows(file, &ds, &what(c), rows)
            };
            let gid = read("edge_group_id")?;
            let gix = read("edge_group_index")?;
            columns = group_columns(file, &g, &name, (&gid, &gix, n), rows, &mut text_columns)?;
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

/// An edge population's `indices/target_to_source` (as BMTK writes it):
/// per target node id a run of rows of `range_to_edge_id`, each an edge
/// id range `[start, end)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TargetIndex {
    /// Per target node id: `[first, end)` rows of `ranges`.
    node_to_range: Vec<[u64; 2]>,
    /// Edge id ranges.
    ranges: Vec<[u64; 2]>,
}

/// Reads a `[n, 2]` unsigned table of an index group.
fn pairs(file: &Path, g: &hdf5::Group, name: &str) -> Result<Vec<[u64; 2]>, Diagnostic> {
    let what = format!("{}/{name}", g.name());
    let ds = g.dataset(name).map_err(|e| h5_error(file, &what, e))?;
    let shape = ds.shape();
    if shape.len() != 2 || shape[1] != 2 {
        return Err(Diagnostic::error(
            "E1502",
            format!(
                "`{}` {what} has shape {shape:?}: an index table has two columns",
                file.display()
            ),
        ));
    }
    let flat: Vec<u64> = super::read_all(&ds).map_err(|e| h5_error(file, &what, e))?;
    Ok(flat.chunks_exact(2).map(|p| [p[0], p[1]]).collect())
}

impl TargetIndex {
    /// The index of the population group `g`, or None when it has no
    /// `indices/target_to_source`; a damaged index (a range past the
    /// `edges` edges) is an error naming it.
    pub fn read(file: &Path, g: &hdf5::Group, edges: usize) -> Result<Option<Self>, Diagnostic> {
        let Ok(ix) = g.group("indices/target_to_source") else {
            return Ok(None);
        };
        let index = TargetIndex {
            node_to_range: pairs(file, &ix, "node_id_to_range")?,
            ranges: pairs(file, &ix, "range_to_edge_id")?,
        };
        let bad = |what: &str, k: usize, p: [u64; 2]| {
            Diagnostic::error(
                "E1502",
                format!(
                    "`{}` {}/{what} row {k}: [{}, {}] is not a range of {}",
                    file.display(),
                    ix.name(),
                    p[0],
                    p[1],
                    if what == "node_id_to_range" {
                        "its range_to_edge_id rows"
                    } else {
                        "the population's edges"
                    }
                ),
            )
        };
        let nranges = index.ranges.len() as u64;
        if let Some((k, p)) = index
            .node_to_range
            .iter()
            .enumerate()
            .find(|(_, p)| p[0] > p[1] || p[1] > nranges)
        {
            return Err(bad("node_id_to_range", k, *p));
        }
        if let Some((k, p)) = index
            .ranges
            .iter()
            .enumerate()
            .find(|(_, p)| p[0] > p[1] || p[1] > edges as u64)
        {
            return Err(bad("range_to_edge_id", k, *p));
        }
        Ok(Some(index))
    }

    /// The edge id ranges of target node `id` (empty when it has none).
    fn of(&self, id: usize) -> impl Iterator<Item = Range<usize>> + '_ {
        let [a, b] = self.node_to_range.get(id).copied().unwrap_or([0, 0]);
        let rows = if a < b { a as usize..b as usize } else { 0..0 };
        self.ranges[rows]
            .iter()
            .map(|r| r[0] as usize..r[1] as usize)
    }

    /// Number of edges onto each target node id.
    pub fn counts(&self) -> Vec<u64> {
        (0..self.node_to_range.len())
            .map(|id| self.of(id).map(|r| r.len() as u64).sum())
            .collect()
    }

    /// The edge ids of the edges onto target node ids `targets`, in
    /// edge id order, as sorted disjoint ranges.
    pub fn edges_onto(&self, targets: Range<u64>) -> Vec<Range<usize>> {
        let end = targets.end.min(self.node_to_range.len() as u64);
        let mut all: Vec<Range<usize>> = (targets.start..end)
            .flat_map(|id| self.of(id as usize))
            .filter(|r| !r.is_empty())
            .collect();
        all.sort_unstable_by_key(|r| r.start);
        let mut out: Vec<Range<usize>> = Vec::with_capacity(all.len());
        for r in all {
            match out.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => out.push(r),
            }
        }
        out
    }
}

/// Number of edges of a population group (its `source_node_id` rows).
fn edge_count(file: &Path, g: &hdf5::Group) -> Result<usize, Diagnostic> {
    let what = format!("{}/source_node_id", g.name());
    let ds = g
        .dataset("source_node_id")
        .map_err(|e| h5_error(file, &what, e))?;
    Ok(ds.size())
}

impl EdgePopulation {
    /// Keeps the edges `keep` says yes to (by edge index), in order.
    pub fn retain(&mut self, keep: impl Fn(usize) -> bool) {
        let kept: Vec<bool> = (0..self.len()).map(keep).collect();
        fn filter<T: Copy>(v: &mut Vec<T>, kept: &[bool]) {
            let mut k = 0;
            v.retain(|_| {
                k += 1;
                kept.get(k - 1).copied().unwrap_or(false)
            });
        }
        filter(&mut self.source, &kept);
        filter(&mut self.target, &kept);
        filter(&mut self.type_ids, &kept);
        for c in self.columns.values_mut() {
            filter(c, &kept);
        }
    }
}

/// Reads the edges of a file onto some targets: for each population,
/// those whose target node id is in `targets(target population)` (every
/// edge when that is None), in edge id order, through the population's
/// `indices/target_to_source` when it has one; else the whole population
/// is read and filtered, and its name is in the second list returned.
pub fn read_edges_onto(
    file: &Path,
    types_file: &Path,
    targets: &dyn Fn(&str) -> Option<Range<u64>>,
) -> Result<(Vec<EdgePopulation>, Vec<String>), Diagnostic> {
    let mut unindexed = Vec::new();
    // Per population read through the whole file: its target range.
    let mut filter: Vec<(String, Range<u64>)> = Vec::new();
    let mut pops = read_edges_where(file, types_file, &mut |name, g| {
        let what = format!("/edges/{name}/target_node_id");
        let trg = g
            .dataset("target_node_id")
            .map_err(|e| h5_error(file, &what, e))?;
        let target_population = string_attr(&trg, "node_population").unwrap_or_default();
        let Some(range) = targets(&target_population) else {
            return Ok(None);
        };
        match TargetIndex::read(file, g, edge_count(file, g)?)? {
            Some(index) => Ok(Some(index.edges_onto(range))),
            None => {
                unindexed.push(name.to_string());
                filter.push((name.to_string(), range));
                Ok(None)
            }
        }
    })?;
    for p in &mut pops {
        if let Some((_, range)) = filter.iter().find(|(n, _)| *n == p.name) {
            let target = std::mem::take(&mut p.target);
            p.target = target.clone();
            p.retain(|k| range.contains(&target[k]));
        }
    }
    Ok((pops, unindexed))
}

/// Per population of an edges file, in file order: its name, its target
/// node population and, when it has `indices/target_to_source`, the
/// number of edges onto each target node id (read from the index alone,
/// no edge is read); what a run over ranks cuts the cells by before
/// each rank reads its own edges with [`read_edges_onto`].
pub type TargetCounts = (String, String, Option<Vec<u64>>);

/// The [`TargetCounts`] of every population of `file`.
pub fn target_counts(file: &Path) -> Result<Vec<TargetCounts>, Diagnostic> {
    let h5 = hdf5::File::open(file).map_err(|e| h5_error(file, "the edges", e))?;
    let root = h5
        .group("edges")
        .map_err(|e| h5_error(file, "group /edges", e))?;
    let names = root
        .member_names()
        .map_err(|e| h5_error(file, "group /edges", e))?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let g = root
            .group(&name)
            .map_err(|e| h5_error(file, &format!("/edges/{name}"), e))?;
        let what = format!("/edges/{name}/target_node_id");
        let trg = g
            .dataset("target_node_id")
            .map_err(|e| h5_error(file, &what, e))?;
        let target_population = string_attr(&trg, "node_population").unwrap_or_default();
        let counts = TargetIndex::read(file, &g, edge_count(file, &g)?)?.map(|i| i.counts());
        out.push((name, target_population, counts));
    }
    Ok(out)
}
