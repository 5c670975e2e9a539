//! SONATA files in and out: circuit and simulation configs, nodes, edges,
//! node sets and spike inputs read the way BMTK writes them; compartment
//! reports and spike files (HDF5) written the way BMTK writes them so its
//! tools and h5py read them. File formats only: turning them into a
//! network to run is the driver's job ([`crate::driver::sonata`]).

pub mod chunked;
pub mod clamp_files;
pub mod config;
pub mod edges;
pub mod inputs;
pub mod node_sets;
pub mod nodes;
pub mod report;
pub mod spikes;
pub mod write;
mod zlib;

use hdf5_metno as hdf5;

/// Reads a whole dataset after checking that the shape it declares fits
/// in memory (a file of a few kilobytes may declare 10^11 rows).
pub fn read_all<T: hdf5::H5Type>(ds: &hdf5::Dataset) -> hdf5::Result<Vec<T>> {
    let bytes = ds.size() as f64 * std::mem::size_of::<T>() as f64;
    crate::io::check_memory(bytes).map_err(|m| {
        hdf5::Error::from(format!(
            "dataset `{}` declares {} values, which {m}",
            ds.name(),
            ds.size()
        ))
    })?;
    ds.read_raw()
}

/// Reads a column of node ids: a floating-point dataset (whose numbers
/// would be truncated) is an error naming it.
pub fn read_ids(ds: &hdf5::Dataset) -> hdf5::Result<Vec<i64>> {
    let float = ds
        .dtype()
        .ok()
        .and_then(|t| t.to_descriptor().ok())
        .is_some_and(|d| matches!(d, hdf5::types::TypeDescriptor::Float(_)));
    if float {
        return Err(hdf5::Error::from(format!(
            "`{}` holds floating-point numbers: node ids must be integers",
            ds.name()
        )));
    }
    read_all(ds)
}

/// Spike columns checked row by row: node ids (read as int64) must not be
/// negative, timestamps must be finite. `what` names the group
/// (`/spikes/<population>`) in the message.
pub fn checked_spikes(what: &str, ids: Vec<i64>, times: &[f64]) -> Result<Vec<u64>, String> {
    if let Some((row, t)) = times.iter().enumerate().find(|(_, t)| !t.is_finite()) {
        return Err(format!(
            "{what}/timestamps row {row}: `{t}` is not a finite time"
        ));
    }
    ids.into_iter()
        .enumerate()
        .map(|(row, id)| {
            u64::try_from(id).map_err(|_| {
                format!("{what}/node_ids row {row}: `{id}` is not a node id (negative)")
            })
        })
        .collect()
}
