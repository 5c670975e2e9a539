//! SONATA node populations: `/nodes/<population>/{node_id, node_type_id,
//! node_group_id, node_group_index}` plus per-group columns, and the node
//! types CSV (space-separated, double quotes around values with spaces).
//! Also the small HDF5 and CSV helpers the edge and input readers share.
//!
//! Diagnostic codes (shared by the SONATA reader): `E1501` a file cannot be
//! read; `E1502` a file holds something the reader cannot map (the message
//! names the file, row and value); `W1501` something BMTK would ignore or a
//! likely slip in the input.

use crate::diag::Diagnostic;
use hdf5_metno as hdf5;
use std::collections::BTreeMap;
use std::path::Path;

/// A table read from a SONATA types CSV: a header and rows of text cells.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypeTable {
    /// Column names.
    pub header: Vec<String>,
    /// Rows keyed by the type id column (`node_type_id` / `edge_type_id`).
    pub rows: BTreeMap<i64, BTreeMap<String, String>>,
}

impl TypeTable {
    /// The value of `column` for type `id`, if both exist and it is not `NULL`/empty.
    pub fn get(&self, id: i64, column: &str) -> Option<&str> {
        self.rows
            .get(&id)
            .and_then(|r| r.get(column))
            .map(String::as_str)
            .filter(|s| !s.is_empty() && *s != "NULL" && *s != "None")
    }
}

/// Splits one CSV line on spaces (or the given separator), honouring double quotes.
fn split_line(line: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in line.chars() {
        if ch == '"' {
            quoted = !quoted;
            any = true;
        } else if !quoted && (ch == sep || (sep == ' ' && ch == '\t')) {
            if any || !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            any = false;
        } else {
            cur.push(ch);
            any = true;
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Reads a types CSV whose id column is `id_column`.
pub fn read_type_table(path: &Path, id_column: &str) -> Result<TypeTable, Diagnostic> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::error("E1501", format!("cannot read `{shown}`: {e}")))?;
    let mut lines = crate::io::strip_bom(&text)
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, head)) = lines.next() else {
        return Err(Diagnostic::error("E1502", format!("`{shown}` is empty")));
    };
    let sep = if head.contains(' ') || head.contains('\t') {
        ' '
    } else {
        ','
    };
    let header = split_line(head, sep);
    let Some(id_col) = header.iter().position(|h| h == id_column) else {
        return Err(Diagnostic::error(
            "E1502",
            format!(
                "`{shown}` has no `{id_column}` column (columns: {})",
                header.join(", ")
            ),
        ));
    };
    let mut rows = BTreeMap::new();
    for (ln, line) in lines {
        let cells = split_line(line, sep);
        if cells.len() != header.len() {
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{shown}` line {}: {} values for {} columns",
                    ln + 1,
                    cells.len(),
                    header.len()
                ),
            ));
        }
        let id: i64 = cells[id_col].trim().parse().map_err(|_| {
            Diagnostic::error(
                "E1502",
                format!(
                    "`{shown}` line {}: `{id_column}` is `{}`, not an integer",
                    ln + 1,
                    cells[id_col]
                ),
            )
        })?;
        let row: BTreeMap<String, String> = header.iter().cloned().zip(cells).collect();
        if rows.insert(id, row).is_some() {
            return Err(Diagnostic::error(
                "E1502",
                format!("`{shown}` line {}: {id_column} {id} appears twice", ln + 1),
            ));
        }
    }
    Ok(TypeTable { header, rows })
}

/// An HDF5 error as a diagnostic naming the file and what was being read.
pub(crate) fn h5_error(path: &Path, what: &str, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        "E1501",
        format!("cannot read {what} from `{}`: {e}", path.display()),
    )
}

/// Reads an integer column (node ids, type ids, group ids and indexes):
/// a floating-point dataset (whose numbers would be truncated) or one of
/// more than one dimension is an error naming `file` and the dataset.
pub(crate) fn read_int_column(
    file: &Path,
    ds: &hdf5::Dataset,
    what: &str,
) -> Result<Vec<i64>, Diagnostic> {
    if matches!(descriptor(ds), Some(hdf5::types::TypeDescriptor::Float(_))) {
        return Err(Diagnostic::error(
            "E1502",
            format!(
                "`{}` {what} holds floating-point numbers: node ids, type ids and group indexes must be integers",
                file.display()
            ),
        ));
    }
    if ds.ndim() != 1 {
        return Err(Diagnostic::error(
            "E1502",
            format!(
                "`{}` {what} has shape {:?}: a column must have one dimension",
                file.display(),
                ds.shape()
            ),
        ));
    }
    if let Some(v) = super::chunked::read_numbers::<i64>(ds) {
        return Ok(v);
    }
    super::read_all::<i64>(ds).map_err(|e| h5_error(file, what, e))
}

/// [`read_int_column`] of the dataset `name` of group `g`.
pub(crate) fn int_column(
    file: &Path,
    g: &hdf5::Group,
    name: &str,
    what: &str,
) -> Result<Vec<i64>, Diagnostic> {
    let ds = g.dataset(name).map_err(|e| h5_error(file, what, e))?;
    read_int_column(file, &ds, what)
}

/// Reads a 1-D numeric dataset as f64.
pub(crate) fn read_floats(ds: &hdf5::Dataset) -> hdf5::Result<Vec<f64>> {
    if let Some(v) = super::chunked::read_numbers::<f64>(ds) {
        return Ok(v);
    }
    super::read_all::<f64>(ds)
}

/// Reads a string attribute (variable-length UTF-8 or ASCII).
pub(crate) fn string_attr(ds: &hdf5::Location, name: &str) -> Option<String> {
    let a = ds.attr(name).ok()?;
    if let Ok(s) = a.read_scalar::<hdf5::types::VarLenUnicode>() {
        return Some(s.as_str().to_string());
    }
    if let Ok(s) = a.read_scalar::<hdf5::types::VarLenAscii>() {
        return Some(s.as_str().to_string());
    }
    None
}

/// The element type of a dataset, as HDF5 describes it (`None` when the
/// type cannot be described, e.g. a compound type).
pub(crate) fn descriptor(ds: &hdf5::Dataset) -> Option<hdf5::types::TypeDescriptor> {
    ds.dtype().ok().and_then(|t| t.to_descriptor().ok())
}

/// True for integer and floating point element types.
pub(crate) fn is_numeric(d: &hdf5::types::TypeDescriptor) -> bool {
    use hdf5::types::TypeDescriptor as T;
    matches!(d, T::Integer(_) | T::Unsigned(_) | T::Float(_))
}

/// True for string element types (fixed or variable length).
fn is_text(d: &hdf5::types::TypeDescriptor) -> bool {
    use hdf5::types::TypeDescriptor as T;
    matches!(
        d,
        T::FixedAscii(_) | T::FixedUnicode(_) | T::VarLenAscii | T::VarLenUnicode
    )
}

/// The names of a group's members, an error naming `file` and the group
/// when they cannot be listed.
pub(crate) fn members(g: &hdf5::Group, file: &Path) -> Result<Vec<String>, Diagnostic> {
    g.member_names().map_err(|e| h5_error(file, &g.name(), e))
}

/// The numeric 1-D datasets of a group, as f64 columns. A numeric column
/// that exists but cannot be read (a damaged file, a shape larger than
/// memory) is an error naming `file` and the dataset, never a column
/// silently missing.
pub(crate) fn numeric_columns(
    g: &hdf5::Group,
    file: &Path,
) -> Result<BTreeMap<String, Vec<f64>>, Diagnostic> {
    let mut out = BTreeMap::new();
    for n in members(g, file)? {
        let Ok(ds) = g.dataset(&n) else { continue };
        if !descriptor(&ds).is_some_and(|d| is_numeric(&d)) {
            continue;
        }
        if ds.ndim() != 1 {
            // `positions` (n x 3) is read on its own; any other numeric
            // table would be a column silently missing.
            if n == "positions" {
                continue;
            }
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{}` {} has shape {:?}: a column must have one dimension",
                    file.display(),
                    ds.name(),
                    ds.shape()
                ),
            ));
        }
        let v = read_floats(&ds).map_err(|e| h5_error(file, &ds.name(), e))?;
        out.insert(n, v);
    }
    Ok(out)
}

/// The text 1-D datasets of a group (strings of any kind), as columns; a
/// text column that exists but cannot be read is an error naming `file`
/// and the dataset.
pub(crate) fn text_columns(
    g: &hdf5::Group,
    file: &Path,
) -> Result<BTreeMap<String, Vec<String>>, Diagnostic> {
    let mut out = BTreeMap::new();
    for n in members(g, file)? {
        let Ok(ds) = g.dataset(&n) else { continue };
        if ds.ndim() != 1 || !descriptor(&ds).is_some_and(|d| is_text(&d)) {
            continue;
        }
        let v = if let Ok(v) = super::read_all::<hdf5::types::VarLenUnicode>(&ds) {
            v.iter().map(|s| s.as_str().to_string()).collect()
        } else if let Ok(v) = super::read_all::<hdf5::types::VarLenAscii>(&ds) {
            v.iter().map(|s| s.as_str().to_string()).collect()
        } else if let Ok(v) = super::read_all::<hdf5::types::FixedAscii<1024>>(&ds) {
            v.iter().map(|s| s.as_str().to_string()).collect()
        } else {
            super::read_all::<hdf5::types::FixedUnicode<1024>>(&ds)
                .map_err(|e| h5_error(file, &ds.name(), e))?
                .iter()
                .map(|s| s.as_str().to_string())
                .collect()
        };
        out.insert(n, v);
    }
    Ok(out)
}

/// A group's `positions` table (n x 3, um), if it has one; an error
/// naming `file` when it has one of another shape or it cannot be read.
fn positions(g: &hdf5::Group, file: &Path) -> Result<Option<Vec<[f64; 3]>>, Diagnostic> {
    let Ok(ds) = g.dataset("positions") else {
        return Ok(None);
    };
    if ds.ndim() != 2 || ds.shape().get(1) != Some(&3) {
        return Err(Diagnostic::error(
            "E1502",
            format!(
                "`{}` {}: positions are a table of n rows and 3 columns (x, y, z), but its shape is {:?}",
                file.display(),
                ds.name(),
                ds.shape()
            ),
        ));
    }
    let flat = super::read_all::<f64>(&ds).map_err(|e| h5_error(file, &ds.name(), e))?;
    Ok(Some(
        flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect(),
    ))
}

/// The columns of one node group.
#[derive(Default)]
struct NodeGroup {
    numbers: BTreeMap<String, Vec<f64>>,
    texts: BTreeMap<String, Vec<String>>,
    positions: Option<Vec<[f64; 3]>>,
}

/// One node population.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodePopulation {
    /// Population name (the group under `/nodes`).
    pub name: String,
    /// The file it came from.
    pub file: std::path::PathBuf,
    /// The node types CSV.
    pub types_file: std::path::PathBuf,
    /// Node id of each node, in file order.
    pub node_ids: Vec<u64>,
    /// Node type id of each node.
    pub type_ids: Vec<i64>,
    /// Per-node numeric attributes from the node groups (`NaN` where a
    /// node's group lacks the column).
    pub columns: BTreeMap<String, Vec<f64>>,
    /// Per-node text attributes from the node groups (`None` where a
    /// node's group lacks the column).
    pub texts: BTreeMap<String, Vec<Option<String>>>,
    /// Position of each node (the group's `positions` table, um), `None`
    /// where its group has none; empty when no group has positions.
    pub positions: Vec<Option<[f64; 3]>>,
    /// The node types table.
    pub types: TypeTable,
}

impl NodePopulation {
    /// A text attribute of node `k` (from the types table).
    pub fn attr(&self, k: usize, column: &str) -> Option<&str> {
        self.type_ids
            .get(k)
            .and_then(|&t| self.types.get(t, column))
    }

    /// True when every node's model_type is `virtual`.
    pub fn is_virtual(&self) -> bool {
        !self.node_ids.is_empty()
            && (0..self.node_ids.len()).all(|k| self.attr(k, "model_type") == Some("virtual"))
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.node_ids.len()
    }

    /// True when the population has no node.
    pub fn is_empty(&self) -> bool {
        self.node_ids.is_empty()
    }
}

/// Reads every population of a nodes file with its types CSV.
pub fn read_nodes(file: &Path, types_file: &Path) -> Result<Vec<NodePopulation>, Diagnostic> {
    let types = read_type_table(types_file, "node_type_id")?;
    let h5 = hdf5::File::open(file).map_err(|e| h5_error(file, "the nodes", e))?;
    let root = h5
        .group("nodes")
        .map_err(|e| h5_error(file, "group /nodes", e))?;
    let names = root
        .member_names()
        .map_err(|e| h5_error(file, "group /nodes", e))?;
    let mut out = Vec::new();
    for name in names {
        let g = root
            .group(&name)
            .map_err(|e| h5_error(file, &format!("/nodes/{name}"), e))?;
        let what = |c: &str| format!("/nodes/{name}/{c}");
        let type_ids = int_column(file, &g, "node_type_id", &what("node_type_id"))?;
        let n = type_ids.len();
        let node_ids: Vec<u64> = if g.link_exists("node_id") {
            let ids = int_column(file, &g, "node_id", &what("node_id"))?;
            let mut out = Vec::with_capacity(ids.len());
            for (row, id) in ids.into_iter().enumerate() {
                out.push(u64::try_from(id).map_err(|_| {
                    Diagnostic::error(
                        "E1502",
                        format!(
                            "`{}` {}: row {row} is {id}",
                            file.display(),
                            what("node_id")
                        ),
                    )
                })?);
            }
            out
        } else {
            (0..n as u64).collect()
        };
        if node_ids.len() != n {
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{}` population `{name}`: {} node ids but {n} node type ids",
                    file.display(),
                    node_ids.len()
                ),
            ));
        }
        for (row, t) in type_ids.iter().enumerate() {
            if !types.rows.contains_key(t) {
                return Err(Diagnostic::error(
                    "E1502",
                    format!(
                        "`{}` {} row {row}: node type {t} is not in `{}`",
                        file.display(),
                        what("node_type_id"),
                        types_file.display()
                    ),
                ));
            }
        }
        let mut columns: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut texts: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        let mut pos: Vec<Option<[f64; 3]>> = Vec::new();
        if g.link_exists("node_group_id") != g.link_exists("node_group_index") {
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{}` population `{name}` has only one of `node_group_id` and `node_group_index`",
                    file.display()
                ),
            ));
        }
        if g.link_exists("node_group_id") && g.link_exists("node_group_index") {
            let gid = int_column(file, &g, "node_group_id", &what("node_group_id"))?;
            let gix = int_column(file, &g, "node_group_index", &what("node_group_index"))?;
            if gid.len() != n || gix.len() != n {
                return Err(Diagnostic::error(
                    "E1502",
                    format!(
                        "`{}` population `{name}`: {n} node type ids, {} node group ids, {} node group indexes",
                        file.display(),
                        gid.len(),
                        gix.len()
                    ),
                ));
            }
            let mut groups: BTreeMap<i64, NodeGroup> = BTreeMap::new();
            for k in 0..n {
                let grp = match groups.entry(gid[k]) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        let Ok(gg) = g.group(&gid[k].to_string()) else {
                            return Err(Diagnostic::error(
                                "E1502",
                                format!(
                                    "`{}` {} row {k}: group `{}` does not exist in /nodes/{name}",
                                    file.display(),
                                    what("node_group_id"),
                                    gid[k]
                                ),
                            ));
                        };
                        e.insert(NodeGroup {
                            numbers: numeric_columns(&gg, file)?,
                            texts: text_columns(&gg, file)?,
                            positions: positions(&gg, file)?,
                        })
                    }
                };
                if gix[k] < 0 {
                    return Err(Diagnostic::error(
                        "E1502",
                        format!(
                            "`{}` {} row {k}: {} is not a row index",
                            file.display(),
                            what("node_group_index"),
                            gix[k]
                        ),
                    ));
                }
                // A node's row must exist in every column of its group.
                let rows = grp
                    .numbers
                    .values()
                    .map(Vec::len)
                    .chain(grp.texts.values().map(Vec::len))
                    .chain(grp.positions.as_ref().map(Vec::len))
                    .min();
                if let Some(rows) = rows
                    && usize::try_from(gix[k]).map_or(true, |i| i >= rows)
                {
                    return Err(Diagnostic::error(
                        "E1502",
                        format!(
                            "`{}` {} row {k}: {} is not a row of group {} (its columns have {rows} rows)",
                            file.display(),
                            what("node_group_index"),
                            gix[k],
                            gid[k]
                        ),
                    ));
                }
                scatter_group_row(&mut columns, &grp.numbers, gix[k], k, n);
                let at = usize::try_from(gix[k]).ok();
                for (col, vals) in &grp.texts {
                    texts.entry(col.clone()).or_insert_with(|| vec![None; n])[k] =
                        at.and_then(|i| vals.get(i)).cloned();
                }
                if let Some(p) = &grp.positions {
                    if pos.is_empty() {
                        pos = vec![None; n];
                    }
                    pos[k] = at.and_then(|i| p.get(i)).copied();
                }
            }
        }
        out.push(NodePopulation {
            name,
            file: file.to_path_buf(),
            types_file: types_file.to_path_buf(),
            node_ids,
            type_ids,
            columns,
            texts,
            positions: pos,
            types: types.clone(),
        });
    }
    Ok(out)
}

/// Copies row `k` of a SONATA group (its element `group_index` in every
/// numeric column of the group) into the population-wide `columns`, which
/// hold `n` rows each and NaN where a row's group lacks the column.
pub(super) fn scatter_group_row(
    columns: &mut BTreeMap<String, Vec<f64>>,
    group: &BTreeMap<String, Vec<f64>>,
    group_index: i64,
    k: usize,
    n: usize,
) {
    for (col, vals) in group {
        let v = usize::try_from(group_index)
            .ok()
            .and_then(|i| vals.get(i))
            .copied()
            .unwrap_or(f64::NAN);
        columns
            .entry(col.clone())
            .or_insert_with(|| vec![f64::NAN; n])[k] = v;
    }
}

#[cfg(test)]
mod tests {
    use super::split_line;

    #[test]
    fn splits_quoted_values() {
        assert_eq!(
            split_line(r#"100 pop_name=='Exc' "[0.0, 999.9]" ['soma'] a.json"#, ' '),
            vec![
                "100",
                "pop_name=='Exc'",
                "[0.0, 999.9]",
                "['soma']",
                "a.json"
            ]
        );
    }
}
