//! SONATA compartment reports as BMTK's `CompartmentReport` writes and
//! reads them: root attributes `magic` (0x0A7A) and `version` ([0, 1]),
//! `/report/<population>/data` (samples x elements, float64, attributes
//! `variable` and `units`) and `/report/<population>/mapping/`
//! `{node_ids, element_ids, element_pos, index_pointer, time}` with `time` =
//! `[tstart, tstop, dt]` in ms. Written to a temporary file and renamed.

use hdf5_metno as hdf5;
use std::ops::Range;
use std::path::{Path, PathBuf};

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
    let samples = report
        .groups
        .iter()
        .flat_map(|g| g.records.clone())
        .filter_map(|r| traces.get(r).map(|t| t.len().saturating_sub(skip)))
        .min()
        .unwrap_or(0);
    let mut w = ReportWriter::create(path, report, samples, skip, time)?;
    w.append(traces)?;
    w.finish()
}

/// A report file written while its samples arrive: [`ReportWriter::create`]
/// makes the file (in a temporary name) with its data sets sized for the
/// whole run and its mappings, [`ReportWriter::append`] writes the rows
/// the traces hold so far (the caller may then empty the traces, so a run
/// holds a batch of samples in memory rather than all of them), and
/// [`ReportWriter::finish`] checks that every row came, closes the file
/// and renames it. Dropped unfinished, it removes its temporary file.
pub struct ReportWriter {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<hdf5::File>,
    /// Per group: its data set and the records of its columns.
    groups: Vec<(hdf5::Dataset, Range<usize>)>,
    /// Rows written so far, and in all.
    rows: usize,
    total: usize,
    /// Leading samples still to leave out.
    skip: usize,
    /// A block of rows, row-major (reused).
    block: Vec<f64>,
}

impl ReportWriter {
    /// Creates the file for `report` with `samples` rows (groups with no
    /// element get none), leaving out the first `skip` samples that
    /// [`ReportWriter::append`] will see.
    pub fn create(
        path: &Path,
        report: &Report,
        samples: usize,
        skip: usize,
        time: TimeAxis,
    ) -> Result<ReportWriter, String> {
        let tmp = super::spikes::temp_path(path);
        let mut w = ReportWriter {
            path: path.to_path_buf(),
            tmp,
            file: None,
            groups: Vec::new(),
            rows: 0,
            total: samples,
            skip,
            block: Vec::new(),
        };
        w.open(report, time)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(w)
    }

    fn open(&mut self, report: &Report, time: TimeAxis) -> hdf5::Result<()> {
        let file = super::write::h5::create(&self.tmp)?;
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
            let cols = g.records.len();
            let rows = if cols == 0 { 0 } else { self.total };
            let ds = pop
                .new_dataset::<f64>()
                .shape((rows, cols))
                .create("data")?;
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
            self.groups.push((ds, g.records.clone()));
        }
        self.file = Some(file);
        Ok(())
    }

    /// Writes the rows `traces` hold (every trace of the report as long as
    /// the shortest; samples before the skip left out). The caller may
    /// then clear the traces: the next call starts at the row after.
    pub fn append(&mut self, traces: &[Vec<f64>]) -> Result<(), String> {
        let samples = self
            .groups
            .iter()
            .flat_map(|(_, r)| r.clone())
            .filter_map(|r| traces.get(r).map(Vec::len))
            .min()
            .unwrap_or(0);
        let Some((skip, n)) = self.admit(samples)? else {
            return Ok(());
        };
        self.write_rows(traces, skip, n)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        self.rows += n;
        Ok(())
    }

    /// Of `samples` new samples, how many to skip (those before the
    /// report's start still owed) and how many to write; None when none
    /// is written; an error when they overrun the samples expected.
    fn admit(&mut self, samples: usize) -> Result<Option<(usize, usize)>, String> {
        let skip = self.skip.min(samples);
        self.skip -= skip;
        let n = samples - skip;
        if n == 0 {
            return Ok(None);
        }
        if self.rows + n > self.total {
            return Err(format!(
                "cannot write {}: the run gave more than the {} samples expected",
                self.path.display(),
                self.total
            ));
        }
        Ok(Some((skip, n)))
    }

    /// [`ReportWriter::append`] for samples laid out row by row: `rows`
    /// holds one row of `width` values per sample, value `r` of a row
    /// being record `r`'s.
    pub fn append_rows(&mut self, rows: &[f64], width: usize) -> Result<(), String> {
        if width == 0 || self.groups.is_empty() {
            return Ok(());
        }
        let Some((skip, n)) = self.admit(rows.len() / width)? else {
            return Ok(());
        };
        let rows = &rows[skip * width..(skip + n) * width];
        self.write_row_major(rows, width, n)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        self.rows += n;
        Ok(())
    }

    fn write_row_major(&mut self, rows: &[f64], width: usize, n: usize) -> hdf5::Result<()> {
        for (ds, records) in &self.groups {
            if records.is_empty() {
                continue;
            }
            if records.end > width {
                return Err(hdf5::Error::from("a report names a record the run has not"));
            }
            let cols = records.len();
            self.block.clear();
            self.block.reserve(n * cols);
            for row in rows.chunks_exact(width).take(n) {
                self.block.extend_from_slice(&row[records.clone()]);
            }
            let view = ndarray::ArrayView2::from_shape((n, cols), &self.block)
                .map_err(|e| hdf5::Error::from(e.to_string().as_str()))?;
            let at = self.rows;
            ds.write_slice(view, (at..at + n, ..))?;
        }
        Ok(())
    }

    fn write_rows(&mut self, traces: &[Vec<f64>], skip: usize, n: usize) -> hdf5::Result<()> {
        for (ds, records) in &self.groups {
            let cols: Vec<&[f64]> = records
                .clone()
                .filter_map(|r| traces.get(r).map(|t| &t[skip..skip + n]))
                .collect();
            if cols.is_empty() {
                continue;
            }
            // Rows in blocks of about 8 MB: the traces are columns, and a
            // transposed copy of a large report would double its memory.
            let width = cols.len();
            let block = ((1 << 20) / width).clamp(1, n);
            let mut s0 = 0;
            while s0 < n {
                let s1 = (s0 + block).min(n);
                self.block.clear();
                self.block.resize((s1 - s0) * width, 0.0);
                // Eight columns at a time: a row's eight values share a
                // cache line.
                for (b, chunk) in cols.chunks(8).enumerate() {
                    for k in 0..s1 - s0 {
                        let row = &mut self.block[k * width + b * 8..][..chunk.len()];
                        for (x, c) in row.iter_mut().zip(chunk) {
                            *x = c[s0 + k];
                        }
                    }
                }
                let view = ndarray::ArrayView2::from_shape((s1 - s0, width), &self.block)
                    .map_err(|e| hdf5::Error::from(e.to_string().as_str()))?;
                let at = self.rows + s0;
                ds.write_slice(view, (at..at + s1 - s0, ..))?;
                s0 = s1;
            }
        }
        Ok(())
    }

    /// Closes the file and gives it its name, once every row is written.
    pub fn finish(mut self) -> Result<(), String> {
        // (A report whose groups have no element has no rows to wait for.)
        if self.rows != self.total && self.groups.iter().any(|(_, r)| !r.is_empty()) {
            return Err(format!(
                "cannot write {}: the run gave {} of the {} samples expected",
                self.path.display(),
                self.rows,
                self.total
            ));
        }
        self.groups.clear();
        let closed = match self.file.take() {
            Some(f) => f.close(),
            None => Ok(()),
        };
        closed.map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        std::fs::rename(&self.tmp, &self.path)
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))?;
        // Renamed: nothing left for `drop` to remove.
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for ReportWriter {
    fn drop(&mut self) {
        self.groups.clear();
        if let Some(f) = self.file.take() {
            let _ = f.close();
        }
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Sets the `units` string attribute.
pub(crate) fn unit_attr(ds: &hdf5::Dataset, unit: &str) -> hdf5::Result<()> {
    let u: hdf5::types::VarLenUnicode = unit.parse().map_err(|_| hdf5::Error::from("unit text"))?;
    ds.new_attr::<hdf5::types::VarLenUnicode>()
        .create("units")?
        .write_scalar(&u)
}
