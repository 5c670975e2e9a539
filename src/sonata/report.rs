//! SONATA compartment reports as BMTK's `CompartmentReport` writes and
//! reads them: root attributes `magic` (0x0A7A) and `version` ([0, 1]),
//! `/report/<population>/data` (samples x elements, float64, attributes
//! `variable` and `units`) and `/report/<population>/mapping/`
//! `{node_ids, element_ids, element_pos, index_pointer, time}` with `time` =
//! `[tstart, tstop, dt]` in ms. Written to a temporary file and renamed.

use hdf5_metno as hdf5;
use std::ops::Range;
use std::path::Path;

/// One report: a variable recorded on some cells, grouped by population.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Report name (the file is `<name>.h5`).
    pub name: String,
    /// What is recorded, as the user wrote it (`v`, `m_na_rtm`, `syn.g`).
    pub variable: String,
    /// Unit of the data (`mV`).
    pub unit: String,
    /// One group per population.
    pub groups: Vec<ReportGroup>,
}

/// The part of a report on one population.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportGroup {
    /// Population name.
    pub population: String,
    /// Node id (index within the population) of each recorded cell.
    pub node_ids: Vec<u64>,
    /// Cell `k` owns elements `index_pointer[k]..index_pointer[k + 1]`.
    pub index_pointer: Vec<u64>,
    /// Section index of each element.
    pub element_ids: Vec<u64>,
    /// Position along the section of each element.
    pub element_pos: Vec<f64>,
    /// The records (indexes into `Network::records` and the run's traces)
    /// holding the elements' values, in element order.
    pub records: Range<usize>,
}

/// Time axis of a report: start, stop, step (ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    /// First sample time (ms).
    pub tstart: f64,
    /// Stop time (ms).
    pub tstop: f64,
    /// Sampling step (ms).
    pub dt: f64,
}

/// Writes `report` to `path`; `traces[r]` holds the samples of record `r`.
pub fn write(
    path: &Path,
    report: &Report,
    traces: &[Vec<f64>],
    time: TimeAxis,
) -> Result<(), String> {
    write_from(path, report, traces, 0, time)
}

/// [`write`] leaving out the first `skip` samples of every trace.
pub fn write_from(
    path: &Path,
    report: &Report,
    traces: &[Vec<f64>],
    skip: usize,
    time: TimeAxis,
) -> Result<(), String> {
    let tmp = super::spikes::temp_path(path);
    let result = write_to(&tmp, report, traces, skip, time);
    match result {
        Ok(()) => std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", path.display())
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(format!("cannot write {}: {e}", path.display()))
        }
    }
}

fn write_to(
    path: &Path,
    report: &Report,
    traces: &[Vec<f64>],
    skip: usize,
    time: TimeAxis,
) -> hdf5::Result<()> {
    let file = super::write::h5::create(path)?;
    file.new_attr::<u32>()
        .create("magic")?
        .write_scalar(&0x0A7Au32)?;
    file.new_attr::<u32>()
        .shape(2)
        .create("version")?
        .write(&[0u32, 1])?;
    let root = file.create_group("report")?;
    for g in &report.groups {
        let pop = root.create_group(&g.population)?;
        let cols: Vec<&[f64]> = g
            .records
            .clone()
            .filter_map(|r| traces.get(r).map(|t| t.get(skip..).unwrap_or_default()))
            .collect();
        let steps = cols.iter().map(|c| c.len()).min().unwrap_or(0);
        let ds = pop
            .new_dataset::<f64>()
            .shape((steps, cols.len()))
            .create("data")?;
        // Rows (samples) in blocks of about 8 MB: the traces are columns,
        // and a transposed copy of a large report would double its memory.
        let block = (1 << 20) / cols.len().max(1);
        let block = block.clamp(1, steps.max(1));
        let mut data = Vec::with_capacity(block * cols.len());
        let mut s0 = 0;
        while s0 < steps {
            let s1 = (s0 + block).min(steps);
            data.clear();
            data.resize((s1 - s0) * cols.len(), 0.0);
            for (ci, c) in cols.iter().enumerate() {
                for (k, &x) in c[s0..s1].iter().enumerate() {
                    data[k * cols.len() + ci] = x;
                }
            }
            let view = ndarray::ArrayView2::from_shape((s1 - s0, cols.len()), &data)
                .map_err(|e| hdf5::Error::from(e.to_string().as_str()))?;
            ds.write_slice(view, (s0..s1, ..))?;
            s0 = s1;
        }
        unit_attr(&ds, &report.unit)?;
        let var: hdf5::types::VarLenUnicode = report
            .variable
            .parse()
            .map_err(|_| hdf5::Error::from("variable name"))?;
        ds.new_attr::<hdf5::types::VarLenUnicode>()
            .create("variable")?
            .write_scalar(&var)?;
        let m = pop.create_group("mapping")?;
        m.new_dataset_builder()
            .with_data(&g.node_ids)
            .create("node_ids")?;
        m.new_dataset_builder()
            .with_data(&g.index_pointer)
            .create("index_pointer")?;
        m.new_dataset_builder()
            .with_data(&g.element_ids)
            .create("element_ids")?;
        m.new_dataset_builder()
            .with_data(&g.element_pos)
            .create("element_pos")?;
        let t = m
            .new_dataset_builder()
            .with_data(&[time.tstart, time.tstop, time.dt])
            .create("time")?;
        unit_attr(&t, "ms")?;
    }
    file.close()
}

/// Sets the `units` string attribute.
pub(crate) fn unit_attr(ds: &hdf5::Dataset, unit: &str) -> hdf5::Result<()> {
    let u: hdf5::types::VarLenUnicode = unit.parse().map_err(|_| hdf5::Error::from("unit text"))?;
    ds.new_attr::<hdf5::types::VarLenUnicode>()
        .create("units")?
        .write_scalar(&u)
}
