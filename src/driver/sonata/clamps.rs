//! Inputs of module `IClamp` (BMTK's `IClampMod`), at
//! `<section_name>[section_index](section_dist)` of every cell of the
//! input's node set, by default soma(0.5). BMTK creates them when the run
//! starts, after every synapse, so they come last among a cell's point
//! processes.
//!
//! - `current_clamp`: one `IClamp` per `(amp, delay, duration)` (scalars
//!   or equal-length lists).
//! - `csv`/`file` and `nwb`/`allen`: one IClamp whose `amp` NEURON steps
//!   through a waveform (`Vector.play(&amp, dt)`, see
//!   [`crate::sonata::clamp_files`]). nmc gives it as an `IClampPlay`
//!   (IClamp plus a NET_RECEIVE setting amp to the weight): its first
//!   sample as the starting `amp`, then per distinct later amplitude one
//!   spike train of the times it starts, shared by the cells, and one
//!   connection (delay 0, weight the amplitude) to each clamp.

use super::e1502;
use crate::diag::Diagnostic;
use crate::net::{Connection, Location, Network, PointProcess, Source, SpikeTrain};
use crate::sonata::clamp_files::{
    CsvColumns, NwbSweep, Waveform, read_csv_waveform, read_nwb_waveform, sweep_name,
};
use crate::sonata::config::{InputConfig, SimulationConfig};
use crate::sonata::node_sets::select;
use crate::sonata::nodes::NodePopulation;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A number or a list of numbers, as a list.
fn numbers(v: &Value) -> Option<Vec<f64>> {
    match v {
        Value::Array(a) => a.iter().map(Value::as_f64).collect(),
        x => x.as_f64().map(|n| vec![n]),
    }
}

/// The `input_type`s of module `IClamp`.
pub(super) const CLAMP_TYPES: &[&str] = &["current_clamp", "csv", "file", "nwb", "allen"];

/// What one input injects into each of its cells.
enum Injection {
    /// `(amp, delay, duration)` pulses, one IClamp each.
    Pulses(Vec<(f64, f64, f64)>),
    /// One played IClamp.
    Played(Waveform),
}

/// Reads what `input` injects.
fn injection(
    config: &SimulationConfig,
    input: &InputConfig,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Injection, Diagnostic> {
    let bad = |what: String| {
        e1502(format!(
            "`{}` input `{}`: {what}",
            config.path.display(),
            input.name
        ))
    };
    let p = &input.params;
    let text = |key: &str, default: &'static str| -> Result<String, Diagnostic> {
        match p.get(key) {
            None => Ok(default.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(v) => Err(bad(format!("`{key}` is `{v}`, not a text"))),
        }
    };
    let number = |key: &str| -> Result<Option<f64>, Diagnostic> {
        match p.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| bad(format!("`{key}` is `{v}`, not a number"))),
        }
    };
    let file = || {
        input
            .file
            .clone()
            .ok_or_else(|| bad(format!("input_type `{}` needs a `file`", input.input_type)))
    };
    let wave = match input.input_type.as_str() {
        "current_clamp" => {
            let list = |key: &str| {
                p.get(key)
                    .ok_or_else(|| bad(format!("no `{key}`")))
                    .and_then(|v| {
                        numbers(v).ok_or_else(|| bad(format!("`{key}` is `{v}`, not numbers")))
                    })
            };
            let (amps, delays, durs) = (list("amp")?, list("delay")?, list("duration")?);
            if amps.len() != delays.len() || amps.len() != durs.len() {
                return Err(bad(
                    "amp, delay and duration must be lists of the same length".into(),
                ));
            }
            let pulses = amps
                .into_iter()
                .zip(delays)
                .zip(durs)
                .map(|((a, d), u)| (a, d, u))
                .collect();
            return Ok(Injection::Pulses(pulses));
        }
        "csv" | "file" => {
            let (sep, ts, amps) = (
                text("separator", " ")?,
                text("timestamps_column", "timestamps")?,
                text("amplitudes_column", "amps")?,
            );
            let cols = CsvColumns {
                separator: &sep,
                timestamps: &ts,
                amplitudes: &amps,
            };
            read_csv_waveform(&file()?, &cols)?
        }
        "nwb" | "allen" => {
            let sweep = p
                .get("sweep_id")
                .ok_or_else(|| bad("no `sweep_id`".into()))?;
            let sweep = sweep_name(sweep)
                .ok_or_else(|| bad(format!("sweep_id `{sweep}` is not a sweep number or name")))?;
            let window = match p.get("sweep_window") {
                None | Some(Value::Null) => None,
                Some(v) => match numbers(v).as_deref() {
                    Some(&[a, b]) => Some((a, b)),
                    _ => {
                        return Err(bad(format!(
                            "sweep_window `{v}` must be [start_time, stop_time]"
                        )));
                    }
                },
            };
            let s = NwbSweep {
                sweep,
                downsample: number("downsample")?,
                window,
                offset: number("delay")?.unwrap_or(0.0),
            };
            read_nwb_waveform(&file()?, &s)?
        }
        other => {
            return Err(bad(format!(
                "input_type `{other}` of module IClamp is not one BMTK knows ({})",
                CLAMP_TYPES.join(", ")
            )));
        }
    };
    for n in &wave.notes {
        warnings.push(Diagnostic::warning(
            "W1508",
            format!("input `{}`: {n}", input.name),
        ));
    }
    if !(wave.dt.is_finite() && wave.dt > 0.0) {
        return Err(bad(format!(
            "the waveform's interval {} ms is not a time step",
            wave.dt
        )));
    }
    Ok(Injection::Played(wave))
}

/// Adds the clamps of `inputs` to the cells of `net`.
pub(super) fn add_clamps(
    config: &SimulationConfig,
    inputs: &[&InputConfig],
    pops: &[NodePopulation],
    cell_of: &HashMap<(String, u64), usize>,
    net: &mut Network,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), Diagnostic> {
    for input in inputs {
        let bad = |what: String| {
            e1502(format!(
                "`{}` input `{}`: {what}",
                config.path.display(),
                input.name
            ))
        };
        let p = &input.params;
        let inject = injection(config, input, warnings)?;
        let section = p
            .get("section_name")
            .and_then(Value::as_str)
            .unwrap_or("soma");
        let index = p.get("section_index").map_or(Some(0.0), Value::as_f64);
        let Some(index) = index.filter(|i| *i >= 0.0 && i.fract() == 0.0) else {
            return Err(bad(
                "section_index must be a section number (distance ranges are not supported)".into(),
            ));
        };
        let x = p.get("section_dist").map_or(Some(0.5), Value::as_f64);
        let Some(x) = x.filter(|x| (0.0..=1.0).contains(x)) else {
            return Err(bad("section_dist must be a number in [0, 1]".into()));
        };
        let set = match &input.node_set {
            None => Value::Object(Default::default()),
            Some(ns) => match config.node_sets.get(ns) {
                Some(v) => v.clone(),
                None if pops.iter().any(|p| &p.name == ns) => {
                    serde_json::json!({ "population": ns })
                }
                None => return Err(bad(format!("node set `{ns}` is not defined"))),
            },
        };
        let Some(nodes) = select(pops, &config.node_sets, &set, 0) else {
            return Err(bad(format!("node set `{set}` is not one nmc can evaluate")));
        };
        let mut targets: Vec<usize> = nodes
            .iter()
            .filter_map(|n| cell_of.get(n).copied())
            .collect();
        targets.sort_unstable();
        targets.dedup();
        if targets.is_empty() {
            warnings.push(Diagnostic::warning(
                "W1501",
                format!(
                    "input `{}`: node set `{set}` selects no real cell, so (as in BMTK) it injects nothing{}",
                    input.name,
                    if set.is_object() {
                        " (BMTK 1.2.0 selects no node by a text column of a node types table; select by population or node_id)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        // A played waveform: its starting amplitude, and one train per
        // distinct later amplitude (created once, for every cell).
        let mut played: Option<(f64, Vec<(f64, usize)>)> = None;
        if let Injection::Played(w) = &inject
            && !targets.is_empty()
        {
            played = Some(play_trains(w, net));
        }
        for c in targets {
            let cell = &mut net.cells[c];
            // `soma[0]` names the first section called `soma` or `soma[0]`.
            let want = format!("{section}[{index}]");
            let sec = cell
                .sections
                .iter()
                .position(|s| s.name == want)
                .or_else(|| {
                    (index == 0.0)
                        .then(|| cell.sections.iter().position(|s| s.name == section))
                        .flatten()
                })
                .ok_or_else(|| bad(format!("cell {c} has no section `{want}`")))?;
            let location = Location { section: sec, x };
            let clamp = |mechanism: &str, amp: f64, del: f64, dur: f64| PointProcess {
                mechanism: mechanism.into(),
                location,
                params: BTreeMap::from([
                    ("amp".to_string(), amp),
                    ("del".to_string(), del),
                    ("dur".to_string(), dur),
                ])
                .into(),
            };
            match (&inject, &played) {
                (Injection::Pulses(pulses), _) => {
                    for &(amp, del, dur) in pulses {
                        cell.point_processes.push(clamp("IClamp", amp, del, dur));
                    }
                }
                (Injection::Played(w), Some((first, trains))) => {
                    let target = cell.point_processes.len();
                    cell.point_processes
                        .push(clamp("IClampPlay", *first, w.delay, w.dur));
                    for &(amp, train) in trains {
                        net.connections.push(Connection {
                            source: Source::Train(train),
                            target_cell: c,
                            target,
                            weight: amp,
                            delay: 0.0,
                            threshold: f64::NAN,
                        });
                    }
                }
                (Injection::Played(_), None) => {}
            }
        }
    }
    Ok(())
}

/// The starting amplitude of `w` (the last sample at or before the run's
/// start) and, for each distinct later amplitude, a new train of the times
/// it is set: `(amplitude, train index)`.
fn play_trains(w: &Waveform, net: &mut Network) -> (f64, Vec<(f64, usize)>) {
    let t0 = net.run.tstart;
    let times = w.times();
    let first = times
        .iter()
        .rposition(|&t| t < t0)
        .filter(|_| t0 > 0.0)
        .unwrap_or(0);
    let start = w.amps.get(first).copied().unwrap_or(0.0);
    let mut by_amp: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for (&a, &t) in w.amps.iter().zip(&times).skip(first + 1) {
        by_amp.entry(a.to_bits()).or_default().push(t);
    }
    let mut out = Vec::with_capacity(by_amp.len());
    for (bits, times) in by_amp {
        out.push((f64::from_bits(bits), net.trains.len()));
        net.trains.push(SpikeTrain {
            gid: 0,
            population: String::new(),
            times,
        });
    }
    (start, out)
}
