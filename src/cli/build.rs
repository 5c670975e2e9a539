//! `nmc build NET.ndl [-o DIR]`: check and build the network an `.ndl`
//! file describes and write it as the SONATA folder BMTK 1.2.0 would have
//! built (`sonata::write`), ready for `nmc run DIR/simulation_config.json`
//! or BMTK's bionet. The default folder is the `.ndl` file's own.

use super::{EXIT_ERRORS, EXIT_OK};
use crate::diag::{self, Diagnostic, SourceMap};
use crate::front::ndl::Experiment;
use crate::net::Variable;
use crate::net::circuit::Circuit;
use crate::sonata::write::{ClampConfig, ReportConfig, SimulationSettings, write_circuit};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Builds `file` and writes its SONATA form into `out_dir` (default: the
/// file's folder).
pub fn run(file: &Path, out_dir: Option<&Path>, quiet: bool, color: bool) -> i32 {
    let t0 = Instant::now();
    let mut map = SourceMap::new();
    let checked = crate::driver::ndl::check_file(&mut map, file).0;
    if !checked.diagnostics.is_empty() {
        eprint!("{}", diag::render_human(&map, &checked.diagnostics, color));
    }
    let Some(exp) = checked.experiment else {
        eprintln!("{}", diag::summary_line("checked", 1, &checked.diagnostics));
        return EXIT_ERRORS;
    };
    let dir = out_dir.map(Path::to_path_buf).unwrap_or_else(|| {
        file.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    });
    let circuit = exp.circuit();
    crate::io::trace("build: circuit made");
    let (mut settings, mut warnings) = simulation_settings(&exp, &circuit);
    match crate::driver::build::mechanism_sources(&circuit.mechanism_files) {
        Ok((sources, w)) => {
            settings.mechanisms = Some(sources);
            warnings.extend(w);
        }
        Err(d) => {
            eprint!("{}", diag::render_human(&map, &[d], color));
            return EXIT_ERRORS;
        }
    }
    if !warnings.is_empty() {
        eprint!("{}", diag::render_human(&map, &warnings, color));
    }
    // The circuit holds all that is written: the network (a point process
    // and a connection per synapse) goes before the files are.
    let name = exp.name.clone();
    drop(exp);
    crate::io::trace("build: network dropped");
    let written = match write_circuit(&dir, &circuit, &settings) {
        Ok(w) => w,
        Err(d) => {
            eprint!("{}", diag::render_human(&map, &[d], color));
            return EXIT_ERRORS;
        }
    };
    if !quiet {
        let c = &circuit;
        let real: usize = c
            .node_populations
            .iter()
            .filter(|p| !p.is_virtual)
            .map(|p| p.nodes.len())
            .sum();
        let edges: usize = c.edge_populations.iter().map(|e| e.edges.len()).sum();
        outln!(
            "built {}: {real} cells, {edges} edges in {} edge populations, {} inputs; wrote {} files to {} in {:.2} s",
            name.as_deref().unwrap_or("network"),
            c.edge_populations.len(),
            c.inputs.len(),
            written.files.len(),
            dir.display(),
            t0.elapsed().as_secs_f64()
        );
        outln!(
            "run it with: nmc run {}",
            dir.join("simulation_config.json").display()
        );
        if written
            .files
            .iter()
            .any(|f| f.starts_with(crate::sonata::write::mechanisms::DIR))
        {
            outln!(
                "or in BMTK + NEURON: cd {} && nrnivmodl && cd - && python {}",
                dir.join(crate::sonata::write::mechanisms::DIR).display(),
                dir.join("run_bionet.py").display()
            );
        } else {
            outln!(
                "or in BMTK + NEURON: python {}",
                dir.join("run_bionet.py").display()
            );
        }
    }
    EXIT_OK
}

/// The run settings, spike file and reports of the experiment as a SONATA
/// simulation config holds them. Reports SONATA's `membrane_report` cannot
/// express (point-process variables, some but not all sections) are left
/// out with a warning (`W1505`).
fn simulation_settings(
    exp: &Experiment,
    circuit: &Circuit,
) -> (SimulationSettings, Vec<Diagnostic>) {
    let mut warnings = Vec::new();
    let mut reports = Vec::new();
    let population = circuit
        .node_populations
        .iter()
        .find(|p| !p.is_virtual)
        .map_or_else(|| "network".to_string(), |p| p.name.clone());
    for r in &exp.output.reports {
        let records: Vec<_> = exp
            .network
            .records
            .iter()
            .filter(|x| x.report == r.name)
            .collect();
        let skip = |why: &str| {
            Diagnostic::warning(
                "W1505",
                format!(
                    "report `{}` is not written to the simulation config: {why}",
                    r.name
                ),
            )
        };
        if records
            .iter()
            .any(|x| matches!(x.variable, Variable::PointProcess { .. }))
        {
            warnings.push(skip(
                "SONATA membrane reports record section variables, not synapse variables",
            ));
            continue;
        }
        let cells: BTreeSet<usize> = records.iter().map(|x| x.cell).collect();
        let mut soma_only = true;
        let mut all = true;
        for &c in &cells {
            let Some(cell) = exp.network.cells.get(c) else {
                continue;
            };
            let secs: BTreeSet<usize> = records
                .iter()
                .filter(|x| x.cell == c)
                .map(|x| x.location.section)
                .collect();
            let soma = cell
                .sections
                .iter()
                .position(|s| s.name == "soma")
                .unwrap_or(0);
            soma_only &= secs.len() == 1 && secs.contains(&soma);
            all &= secs.len() == cell.sections.len();
        }
        let sections = if soma_only {
            "soma"
        } else if all {
            // BMTK 1.2 maps `sections: all` to the compartments of the
            // cell's SWC morphology; the built cells are hoc templates
            // without one, so BMTK could not run the folder.
            warnings.push(skip(
                "it records every section, and BMTK records `sections: all` through SWC morphologies, which the built hoc templates do not have",
            ));
            continue;
        } else {
            warnings.push(skip(
                "it records some sections of a cell; SONATA reports take `soma` or `all`",
            ));
            continue;
        };
        reports.push(ReportConfig {
            name: r.name.clone(),
            cells: json!({ "population": population, "node_id": cells.into_iter().collect::<Vec<_>>() }),
            variable: r.variable.clone(),
            sections: sections.into(),
        });
    }
    let clamps = clamps(exp, &population, &mut warnings);
    let sections: Vec<(f64, usize)> = exp
        .network
        .cells
        .iter()
        .flat_map(|c| c.sections.iter().map(|s| (s.length, s.nseg)))
        .collect();
    let dl = crate::sonata::write::config::dl_keeping(&sections);
    if dl.is_none() && !sections.is_empty() {
        warnings.push(Diagnostic::warning(
            "W1506",
            "no single run.dL gives every section its nseg under BMTK's rule nseg = 1 + 2*int(L/(2*dL)); the simulation config keeps BMTK's default dL = 20 um, so BMTK and nmc will re-segment the cells",
        ));
    }
    let settings = SimulationSettings {
        dl,
        run: exp.network.run.clone(),
        spikes_file: exp
            .output
            .spikes
            .clone()
            .unwrap_or_else(|| "spikes.h5".into()),
        reports,
        clamps,
        ..SimulationSettings::default()
    };
    (settings, warnings)
}

/// The stimuli of the experiment as BMTK `current_clamp` inputs: the
/// IClamps that no connection targets, grouped by site and parameters
/// into one input each. BMTK places them on `soma[0]`, so a stimulus
/// elsewhere, or of another mechanism, is left out with `W1505`.
fn clamps(exp: &Experiment, population: &str, warnings: &mut Vec<Diagnostic>) -> Vec<ClampConfig> {
    let net = &exp.network;
    // The point processes a connection targets, one flag each, cell
    // after cell (a network has millions of synapses: no hashing).
    let mut first = Vec::with_capacity(net.cells.len() + 1);
    first.push(0usize);
    for c in &net.cells {
        first.push(first.last().copied().unwrap_or(0) + c.point_processes.len());
    }
    let mut targeted = vec![false; first.last().copied().unwrap_or(0)];
    for c in &net.connections {
        if c.target
            < net
                .cells
                .get(c.target_cell)
                .map_or(0, |c| c.point_processes.len())
            && let Some(t) = targeted.get_mut(first[c.target_cell] + c.target)
        {
            *t = true;
        }
    }
    // (x, del, dur, amp) as bits -> cells, in first-seen order.
    let mut groups: Vec<([u64; 4], Vec<usize>)> = Vec::new();
    let mut skipped: BTreeSet<String> = BTreeSet::new();
    // Artificial cells (no sections) are nodes, not stimuli.
    for (ci, cell) in net.cells.iter().enumerate() {
        if cell.sections.is_empty() {
            continue;
        }
        for (pi, pp) in cell.point_processes.iter().enumerate() {
            if targeted[first[ci] + pi] {
                continue;
            }
            let at_soma = cell
                .sections
                .get(pp.location.section)
                .is_some_and(|s| s.name == "soma");
            if &*pp.mechanism != "IClamp" || !at_soma {
                skipped.insert(pp.mechanism.to_string());
                continue;
            }
            let p = |k: &str| pp.params.get(k).copied().unwrap_or(0.0);
            let key = [
                pp.location.x.to_bits(),
                p("del").to_bits(),
                p("dur").to_bits(),
                p("amp").to_bits(),
            ];
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, cells)) => cells.push(ci),
                None => groups.push((key, vec![ci])),
            }
        }
    }
    for m in skipped {
        warnings.push(Diagnostic::warning(
            "W1505",
            format!(
                "stimulus `{m}` is not written to the simulation config: BMTK's current clamps are IClamps on the soma"
            ),
        ));
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(k, (key, cells))| ClampConfig {
            name: if k == 0 {
                "iclamp".to_string()
            } else {
                format!("iclamp_{}", k + 1)
            },
            cells: json!({ "population": population, "node_id": cells }),
            section_dist: f64::from_bits(key[0]),
            delay: f64::from_bits(key[1]),
            duration: f64::from_bits(key[2]),
            amp: f64::from_bits(key[3]),
        })
        .collect()
}
