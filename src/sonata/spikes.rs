//! SONATA spike files: `/spikes/<population>/{timestamps, node_ids}`,
//! sorted by time (attribute `sorting` = `by_time`), timestamps in ms
//! (float64), node ids int64, root attributes `magic` and `version` as
//! BMTK writes them.
//! Written to a temporary file and renamed.

use hdf5_metno as hdf5;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The `magic` attribute of a SONATA file's root (0x0A7A).
pub const SONATA_MAGIC: u32 = 0x0A7A;

/// A temporary name next to `dest` (same directory, so rename is atomic).
pub fn temp_path(dest: &Path) -> PathBuf {
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    dir.join(format!(".{name}.tmp{}", std::process::id()))
}

/// Writes spikes grouped by population: `spikes[pop]` is a list of
/// `(node_id, time)`; each population's list is written sorted by time
/// (ties by node id). Populations with no spikes get empty datasets.
/// Datasets are chunked and gzip-compressed as h5py writes them for BMTK.
pub fn write(path: &Path, spikes: &BTreeMap<String, Vec<(u64, f64)>>) -> Result<(), String> {
    super::write::h5::write_file(path, |file| write_to(file, spikes)).map_err(|d| d.message)
}

fn write_to(file: &hdf5::File, spikes: &BTreeMap<String, Vec<(u64, f64)>>) -> hdf5::Result<()> {
    use super::write::h5::{dataset, string_attr};
    let root = file.create_group("spikes")?;
    for (pop, list) in spikes {
        let mut list = list.clone();
        list.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let g = root.create_group(pop)?;
        string_attr(&g, "sorting", "by_time")?;
        let times: Vec<f64> = list.iter().map(|s| s.1).collect();
        // int64, as BMTK writes node ids.
        let ids: Vec<i64> = list
            .iter()
            .map(|s| i64::try_from(s.0).unwrap_or(i64::MAX))
            .collect();
        let t = dataset(&g, "timestamps", &times)?;
        super::report::unit_attr(&t, "ms")?;
        dataset(&g, "node_ids", &ids)?;
    }
    Ok(())
}

/// Reads a spike file back: `(population, node_id, time)` for every spike.
pub fn read(path: &Path) -> Result<Vec<(String, u64, f64)>, String> {
    let inner = || -> hdf5::Result<Vec<(String, u64, f64)>> {
        let file = hdf5::File::open(path)?;
        let root = file.group("spikes")?;
        let mut out = Vec::new();
        for pop in root.member_names()? {
            let g = root.group(&pop)?;
            let t: Vec<f64> = super::read_all(&g.dataset("timestamps")?)?;
            let n: Vec<i64> = super::read_ids(&g.dataset("node_ids")?)?;
            let n = super::checked_spikes(&format!("/spikes/{pop}"), n, &t)?;
            for (id, time) in n.into_iter().zip(t) {
                out.push((pop.clone(), id, time));
            }
        }
        Ok(out)
    };
    inner().map_err(|e| format!("cannot read {}: {e}", path.display()))
}
