//! Current-clamp waveforms read from files, as BMTK 1.2.0's bionet
//! `IClamp` module reads them: a CSV table (`input_type` `csv`/`file`) or
//! one sweep of an Allen Cell Types NWB file (`nwb`/`allen`). Either
//! becomes a [`Waveform`]: the amplitudes NEURON plays into one IClamp's
//! `amp` (`Vector.play(&amp, dt)`: sample k at time k*dt from 0, held
//! after the last), and the IClamp's `del` and `dur`.
//!
//! The arithmetic is BMTK's, including its single-precision steps on NWB
//! files whose sampling rate or data are `float32` (numpy keeps float32
//! when a Python number meets a float32 value).

use super::nodes::h5_error;
use crate::diag::Diagnostic;
use hdf5_metno as hdf5;
use std::path::Path;

/// A stepped current waveform for one IClamp.
#[derive(Clone, Debug, PartialEq)]
pub struct Waveform {
    /// Amplitude (nA) from time k*dt on (k = 0, 1, ...); the last holds.
    pub amps: Vec<f64>,
    /// Interval between samples (ms).
    pub dt: f64,
    /// The IClamp's `del` (ms).
    pub delay: f64,
    /// The IClamp's `dur` (ms).
    pub dur: f64,
    /// BMTK's warnings about how it reshaped the waveform.
    pub notes: Vec<String>,
}

impl Waveform {
    /// The times NEURON delivers the samples at: 0, then each the previous
    /// plus dt (NEURON's play events add dt to the last event's time).
    pub fn times(&self) -> Vec<f64> {
        let mut t = 0.0f64;
        let mut out = Vec::with_capacity(self.amps.len());
        for k in 0..self.amps.len() {
            if k > 0 {
                t += self.dt;
            }
            out.push(t);
        }
        out
    }
}

fn bad(path: &Path, msg: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error("E1507", format!("`{}` {msg}", path.display()))
}

/// Where a CSV waveform's columns are (BMTK's `separator`,
/// `timestamps_column`, `amplitudes_column`).
#[derive(Clone, Debug)]
pub struct CsvColumns<'a> {
    /// Field separator; a single space (BMTK's default) splits at runs of
    /// blanks.
    pub separator: &'a str,
    /// Column of the onset times (ms).
    pub timestamps: &'a str,
    /// Column of the amplitudes (nA).
    pub amplitudes: &'a str,
}

impl Default for CsvColumns<'_> {
    fn default() -> Self {
        CsvColumns {
            separator: " ",
            timestamps: "timestamps",
            amplitudes: "amps",
        }
    }
}

/// Reads a CSV waveform: rows of onset time and amplitude, meant to be at
/// a constant interval (else BMTK plays them at the smallest). As BMTK: an onset after 0 gets a zero sample at time 0 (when
/// the onset is one interval) or the samples are repeated on the greatest
/// common divisor of the whole-ms onset and interval, zeros before; a
/// waveform not ending at 0 stops one interval after its last onset.
pub fn read_csv_waveform(path: &Path, cols: &CsvColumns) -> Result<Waveform, Diagnostic> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error(
            "E1501",
            format!("cannot read the current clamp `{}`: {e}", path.display()),
        )
    })?;
    let split = |line: &str| -> Vec<String> {
        if cols.separator == " " {
            line.split_whitespace().map(str::to_string).collect()
        } else {
            line.split(cols.separator)
                .map(|f| f.trim().to_string())
                .collect()
        }
    };
    let mut lines = crate::io::strip_bom(&text)
        .lines()
        .filter(|l| !l.trim().is_empty());
    let header = lines.next().map(split).unwrap_or_default();
    let col = |name: &str, key: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            bad(
                path,
                format!(
                    "has no column `{name}` (header {header:?}); name it with the input's `{key}`"
                ),
            )
        })
    };
    let (ct, ca) = (
        col(cols.timestamps, "timestamps_column")?,
        col(cols.amplitudes, "amplitudes_column")?,
    );
    let (mut ts, mut amps) = (Vec::new(), Vec::new());
    for (row, line) in lines.enumerate() {
        let f = split(line);
        let num = |c: usize, what: &str| {
            let s = f.get(c).map(String::as_str).unwrap_or("");
            s.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    bad(
                        path,
                        format!("row {}: {what} `{s}` is not a number", row + 1),
                    )
                })
        };
        ts.push(num(ct, "timestamp")?);
        amps.push(num(ca, "amplitude")?);
    }
    if ts.len() < 2 {
        return Err(bad(
            path,
            format!(
                "has {} rows; a current clamp table needs two or more",
                ts.len()
            ),
        ));
    }
    let mut dts: Vec<f64> = ts.windows(2).map(|w| w[1] - w[0]).collect();
    dts.sort_by(f64::total_cmp);
    dts.dedup_by(|a, b| a == b);
    let mut notes = Vec::new();
    let mut dt = dts[0];
    if dt <= 0.0 {
        return Err(bad(path, "timestamps must increase"));
    }
    if dts.len() > 1 {
        notes.push(format!(
            "timestamps are not evenly spaced (intervals {:?}): BMTK plays the amplitudes every {dt} ms, the smallest",
            &dts[..dts.len().min(4)]
        ));
    }
    let start = ts[0];
    if start < 0.0 {
        return Err(bad(path, format!("the first onset {start} ms is negative")));
    }
    let mut delays = ts;
    if start > 0.0 {
        if start - dt == 0.0 {
            amps.insert(0, 0.0);
            delays.insert(0, 0.0);
        } else {
            // BMTK truncates the interval and onset to whole ms here.
            if dt.fract() != 0.0 || start.fract() != 0.0 {
                return Err(bad(
                    path,
                    format!(
                        "the first onset {start} ms is not one interval ({dt} ms) and one of them is not a whole number of ms: BMTK would truncate them to whole ms and play the amplitudes at the wrong times; start the table at 0 or at one interval"
                    ),
                ));
            }
            let g = gcd(dt as u64, start as u64);
            let rep = (dt as u64 / g) as usize;
            let mut played = vec![0.0; (start as u64 / g) as usize];
            for &a in &amps {
                played.extend(std::iter::repeat_n(a, rep));
            }
            notes.push(format!(
                "the first onset {start} ms is not one interval ({dt} ms) from 0: BMTK plays the amplitudes every {g} ms from 0 instead, zero before {start} ms"
            ));
            amps = played;
            delays.insert(0, 0.0);
            dt = g as f64;
        }
    }
    let last = *delays.last().unwrap_or(&0.0);
    let dur = if amps.last().is_some_and(|&a| a != 0.0) {
        notes.push(format!(
            "the waveform does not end with 0 nA: BMTK stops it at {} ms, one interval after the last onset",
            last + dt
        ));
        last + dt
    } else {
        last
    };
    Ok(Waveform {
        amps,
        dt,
        delay: 0.0,
        dur,
        notes,
    })
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// What an NWB current clamp asks for (BMTK's `sweep_id`, `downsample`,
/// `sweep_window`, `delay`).
#[derive(Clone, Debug, Default)]
pub struct NwbSweep {
    /// The sweep group under `/epochs` (`Sweep_<n>` for a number).
    pub sweep: String,
    /// Keep every n-th sample so that they are this far apart (ms).
    pub downsample: Option<f64>,
    /// Keep the samples in [start, stop] ms of the sweep.
    pub window: Option<(f64, f64)>,
    /// When the IClamp starts (ms).
    pub offset: f64,
}

/// The sweep group name BMTK looks up for a `sweep_id`: a whole number
/// (`6`, `"6"`, `6.0`) names `Sweep_6`, anything else itself.
pub fn sweep_name(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => {
            let x = n.as_f64()?;
            x.is_finite().then(|| format!("Sweep_{}", x.trunc() as i64))
        }
        serde_json::Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                t.parse::<i64>()
                    .ok()
                    .map(|n| format!("Sweep_{n}"))
                    .or_else(|| Some(s.clone()))
            } else {
                Some(s.clone())
            }
        }
        _ => None,
    }
}

/// Reads one sweep's stimulus from an Allen NWB file:
/// `/epochs/<sweep>/stimulus/timeseries/data` (A, played in nA) sampled at
/// `starting_time`'s attribute `rate` (Hz).
pub fn read_nwb_waveform(path: &Path, s: &NwbSweep) -> Result<Waveform, Diagnostic> {
    let file = hdf5::File::open(path).map_err(|e| h5_error(path, "the current clamp", e))?;
    let epochs = file
        .group("epochs")
        .map_err(|e| h5_error(path, "group /epochs", e))?;
    if !epochs.link_exists(&s.sweep) {
        let mut have = epochs.member_names().unwrap_or_default();
        have.truncate(8);
        return Err(bad(
            path,
            format!("has no sweep `/epochs/{}` (it has {have:?})", s.sweep),
        ));
    }
    let where_ = format!("/epochs/{}/stimulus/timeseries", s.sweep);
    let grp = file
        .group(&where_)
        .map_err(|e| h5_error(path, &format!("group {where_}"), e))?;
    let st = grp
        .dataset("starting_time")
        .map_err(|e| h5_error(path, &format!("{where_}/starting_time"), e))?;
    let rate_attr = st
        .attr("rate")
        .map_err(|e| h5_error(path, &format!("{where_}/starting_time attribute rate"), e))?;
    let single = |t: Result<hdf5::Datatype, hdf5::Error>| {
        matches!(
            t.ok().and_then(|t| t.to_descriptor().ok()),
            Some(hdf5::types::TypeDescriptor::Float(
                hdf5::types::FloatSize::U4
            ))
        )
    };
    let rate_single = single(rate_attr.dtype());
    let rate: f64 = rate_attr
        .read_scalar()
        .map_err(|e| h5_error(path, &format!("{where_}/starting_time attribute rate"), e))?;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(bad(
            path,
            format!("{where_}/starting_time: rate {rate} Hz is not a sampling rate"),
        ));
    }
    // numpy: 1000.0 / float32 stays float32.
    let mut dt = if rate_single {
        f64::from(1000.0f32 / rate as f32)
    } else {
        1000.0 / rate
    };
    let ds = grp
        .dataset("data")
        .map_err(|e| h5_error(path, &format!("{where_}/data"), e))?;
    let data_single = single(ds.dtype());
    let mut amps: Vec<f64> = if data_single {
        super::read_all::<f32>(&ds)
            .map_err(|e| h5_error(path, &format!("{where_}/data"), e))?
            .into_iter()
            .map(|a| f64::from(a * 1.0e9f32))
            .collect()
    } else {
        super::read_all::<f64>(&ds)
            .map_err(|e| h5_error(path, &format!("{where_}/data"), e))?
            .into_iter()
            .map(|a| a * 1.0e9)
            .collect()
    };
    if let Some(k) = amps.iter().position(|a| !a.is_finite()) {
        return Err(bad(path, format!("{where_}/data[{k}] is not a number")));
    }
    let mut delays: Vec<f64> = (0..amps.len()).map(|k| k as f64 * dt).collect();
    // dt stays float32 until downsampling replaces it.
    let mut dt_single = rate_single;
    if let Some(ds_ms) = s.downsample
        && ds_ms > dt
    {
        let ratio = if dt_single {
            f64::from((ds_ms as f32 / dt as f32).round_ties_even())
        } else {
            (ds_ms / dt).round_ties_even()
        };
        let stride = ratio as usize;
        if stride == 0 {
            return Err(bad(path, format!("downsample {ds_ms} ms gives no stride")));
        }
        amps = amps.into_iter().step_by(stride).collect();
        delays = delays.into_iter().step_by(stride).collect();
        dt = ds_ms;
        dt_single = false;
    }
    if let Some((w0, w1)) = s.window {
        if !(w0 >= 0.0 && w0 < w1) {
            return Err(bad(
                path,
                format!("sweep_window [{w0}, {w1}] must be [start, stop] with 0 <= start < stop"),
            ));
        }
        let beg = delays.iter().position(|&d| d >= w0);
        let end = delays.iter().rposition(|&d| d <= w1);
        let (Some(beg), Some(end)) = (beg, end) else {
            return Err(bad(
                path,
                format!(
                    "sweep_window [{w0}, {w1}] ms holds no sample of sweep `{}` ({} samples, {dt} ms apart)",
                    s.sweep,
                    delays.len()
                ),
            ));
        };
        let end = (end + 1).max(beg);
        amps = amps[beg..end].to_vec();
        delays = delays[beg..end].to_vec();
    }
    let n = delays.len();
    // BMTK: len(delays) * dt * 1000.0 (dt already in ms).
    let dur = if dt_single {
        f64::from(n as f32 * dt as f32 * 1000.0f32)
    } else {
        n as f64 * dt * 1000.0
    };
    Ok(Waveform {
        amps,
        dt,
        delay: s.offset,
        dur,
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn csv(text: &str) -> Result<Waveform, Diagnostic> {
        let dir = std::env::temp_dir().join(format!("nmc_clamp_csv_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let p = dir.join(format!("{}.csv", text.len()));
        std::fs::write(&p, text).expect("write");
        let w = read_csv_waveform(&p, &CsvColumns::default());
        let _ = std::fs::remove_file(&p);
        w
    }

    #[test]
    fn csv_onset_after_zero_is_regridded_as_bmtk() {
        let w = csv("timestamps amps\n800.0 0.15\n1300.0 0.0\n1800.0 0.175\n2300.0 0.0\n")
            .expect("reads");
        assert_eq!(w.dt, 100.0);
        assert_eq!(w.amps.len(), 28);
        assert!(w.amps[..8].iter().all(|&a| a == 0.0));
        assert_eq!(w.amps[8], 0.15);
        assert_eq!(w.amps[18], 0.175);
        assert_eq!((w.delay, w.dur), (0.0, 2300.0));
        // Onset one interval from 0: a zero sample first.
        let w = csv("timestamps amps\n50 1\n100 2\n").expect("reads");
        assert_eq!(
            (w.amps.clone(), w.dt, w.dur),
            (vec![0.0, 1.0, 2.0], 50.0, 150.0)
        );
        assert_eq!(w.notes.len(), 1);
        // Uneven intervals: BMTK 1.2.0 warns and plays at the smallest.
        let w = csv("timestamps amps\n0 1\n1 2\n3 0\n").expect("reads");
        assert_eq!((w.dt, w.dur), (1.0, 3.0));
        assert!(w.notes[0].contains("not evenly spaced"));
    }

    #[test]
    fn csv_mistakes_are_reported() {
        for (text, needle) in [
            ("timestamps amps\n0 1\n", "two or more"),
            ("time amps\n0 1\n1 2\n", "no column `timestamps`"),
            ("timestamps amps\n0 1\n1 x\n", "row 2: amplitude `x`"),
            ("timestamps amps\n-1 1\n0 2\n", "negative"),
            ("timestamps amps\n2 1\n1 2\n", "increase"),
            ("timestamps amps\n2.5 1\n3.0 0\n", "whole number"),
        ] {
            let e = csv(text).expect_err(text);
            assert_eq!(e.code, "E1507", "{text}");
            assert!(e.message.contains(needle), "{text}: {}", e.message);
        }
    }

    #[test]
    fn sweep_ids_name_groups_as_bmtk() {
        assert_eq!(sweep_name(&json!(6)).as_deref(), Some("Sweep_6"));
        assert_eq!(sweep_name(&json!("6")).as_deref(), Some("Sweep_6"));
        assert_eq!(sweep_name(&json!(6.0)).as_deref(), Some("Sweep_6"));
        assert_eq!(sweep_name(&json!("long")).as_deref(), Some("long"));
        assert_eq!(sweep_name(&json!([1])), None);
    }
}
