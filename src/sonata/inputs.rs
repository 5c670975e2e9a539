//! SONATA spike input files for virtual populations:
//! `/spikes/<population>/{node_ids, timestamps}` (or the older `gids`
//! name), times in ms.

use super::nodes::{h5_error, int_column, read_floats};
use crate::diag::Diagnostic;
use hdf5_metno as hdf5;
use std::collections::BTreeMap;
use std::path::Path;

/// Spike times per population and node id, each list ascending (ties
/// keep file order).
pub type SpikeInput = BTreeMap<String, BTreeMap<u64, Vec<f64>>>;

/// Reads a spike file.
pub fn read_spike_input(path: &Path) -> Result<SpikeInput, Diagnostic> {
    let file = hdf5::File::open(path).map_err(|e| h5_error(path, "the spikes", e))?;
    let root = file
        .group("spikes")
        .map_err(|e| h5_error(path, "group /spikes", e))?;
    let names = root
        .member_names()
        .map_err(|e| h5_error(path, "group /spikes", e))?;
    let mut out = SpikeInput::new();
    for pop in names {
        let g = root
            .group(&pop)
            .map_err(|e| h5_error(path, &format!("/spikes/{pop}"), e))?;
        let id_name = if g.link_exists("node_ids") {
            "node_ids"
        } else {
            "gids"
        };
        let ids = int_column(path, &g, id_name, &format!("/spikes/{pop}/{id_name}"))?;
        let times = g
            .dataset("timestamps")
            .and_then(|d| read_floats(&d))
            .map_err(|e| h5_error(path, &format!("/spikes/{pop}/timestamps"), e))?;
        if ids.len() != times.len() {
            return Err(Diagnostic::error(
                "E1502",
                format!(
                    "`{}` /spikes/{pop}: {} node ids but {} timestamps",
                    path.display(),
                    ids.len(),
                    times.len()
                ),
            ));
        }
        let trains = out.entry(pop.clone()).or_default();
        for (row, (id, t)) in ids.into_iter().zip(times).enumerate() {
            let Ok(id) = u64::try_from(id) else {
                return Err(Diagnostic::error(
                    "E1502",
                    format!(
                        "`{}` /spikes/{pop}/{id_name} row {row}: {id} is not a node id",
                        path.display()
                    ),
                ));
            };
            if !t.is_finite() {
                return Err(Diagnostic::error(
                    "E1502",
                    format!(
                        "`{}` /spikes/{pop}/timestamps row {row}: {t} is not a time",
                        path.display()
                    ),
                ));
            }
            trains.entry(id).or_default().push(t);
        }
        for list in trains.values_mut() {
            list.sort_by(f64::total_cmp);
        }
    }
    Ok(out)
}

/// Reads a BMTK spike CSV: space-separated columns `timestamps`,
/// `population` and `node_ids` (any order, header first).
pub fn read_spike_csv(path: &Path) -> Result<SpikeInput, Diagnostic> {
    let bad = |msg: String| Diagnostic::error("E1502", format!("`{}` {msg}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error(
            "E1501",
            format!("cannot read the spikes `{}`: {e}", path.display()),
        )
    })?;
    let mut lines = crate::io::strip_bom(&text)
        .lines()
        .filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| bad(format!("has no `{name}` column (header {header:?})")))
    };
    let (ct, cp, cn) = (col("timestamps")?, col("population")?, col("node_ids")?);
    let mut out = SpikeInput::new();
    for (row, line) in lines.enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let get = |c: usize| {
            f.get(c)
                .copied()
                .ok_or_else(|| bad(format!("row {row} has {} fields", f.len())))
        };
        let t: f64 = get(ct)?
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite())
            .ok_or_else(|| bad(format!("row {row}: timestamp `{}` is not a time", f[ct])))?;
        let id: u64 = get(cn)?
            .parse()
            .map_err(|_| bad(format!("row {row}: `{}` is not a node id", f[cn])))?;
        out.entry(get(cp)?.to_string())
            .or_default()
            .entry(id)
            .or_default()
            .push(t);
    }
    for trains in out.values_mut() {
        for list in trains.values_mut() {
            list.sort_by(f64::total_cmp);
        }
    }
    Ok(out)
}
