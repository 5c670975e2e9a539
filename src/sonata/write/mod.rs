//! `nmc build`'s writer: a [`Circuit`] and its run settings as the SONATA
//! folder BMTK 1.2.0 builds —
//!
//! ```text
//! DIR/circuit_config.json  simulation_config.json  node_sets.json
//! DIR/network/<pop>_nodes.h5  <pop>_node_types.csv
//! DIR/network/<src>_<trg>_edges.h5  <src>_<trg>_edge_types.csv
//! DIR/input/<input>.h5
//! DIR/components/templates/<Cell>.ndl  <Cell>.hoc
//! DIR/components/synaptic_models/<name>.json
//! DIR/components/point_neuron_models/<Cell>_<pop>.json
//! DIR/components/mechanisms/<used>.mod  VecStim.mod
//! DIR/run_bionet.py
//! ```
//!
//! with the names, dtypes, attributes and index groups of BMTK's files, so
//! both BMTK and `nmc run DIR/simulation_config.json` read it: the cells
//! as hoc templates ([`hoc`]) that NEURON and nmc both read, the used
//! mechanisms without NEURON's built-ins plus a VecStim for BMTK's spike
//! inputs ([`mechanisms`]), and BMTK's run script. Every file is written
//! under a temporary name and renamed.
//!
//! Diagnostic codes: `E1505` a folder or file cannot be written (names the
//! path and the system's reason); `E1506` the circuit holds something a
//! SONATA file cannot (names the population, row and value).

pub mod chunks;
pub mod config;
pub mod csv;
pub mod edges;
pub mod h5;
pub mod hoc;
pub mod mechanisms;
pub mod nodes;

use crate::diag::Diagnostic;
use crate::net::RunSettings;
use crate::net::circuit::Circuit;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The part of the simulation config that is not the circuit.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulationSettings {
    /// Run conditions (`run`, `conditions`).
    pub run: RunSettings,
    /// `output.spikes_file` (`spikes.h5`).
    pub spikes_file: String,
    /// `output.log_file` (`log.txt`), if any.
    pub log_file: Option<String>,
    /// Compartment reports (`reports`).
    pub reports: Vec<ReportConfig>,
    /// Current clamps (`current_clamp` inputs of module `IClamp`).
    pub clamps: Vec<ClampConfig>,
    /// `run.dL` (um): BMTK re-segments every section to
    /// `1 + 2 * int(L / (2 * dL))`; see [`config::dl_keeping`].
    pub dl: Option<f64>,
    /// The `.mod` files to copy into `components/mechanisms/`, which then
    /// becomes `mechanisms_dir` (with a VecStim for NEURON when the circuit
    /// has inputs); `None`: `mechanisms_dir` is the circuit's own folder.
    pub mechanisms: Option<Vec<mechanisms::ModSource>>,
}

impl Default for SimulationSettings {
    fn default() -> Self {
        SimulationSettings {
            run: RunSettings::default(),
            spikes_file: "spikes.h5".into(),
            log_file: Some("log.txt".into()),
            reports: Vec::new(),
            clamps: Vec::new(),
            dl: None,
            mechanisms: None,
        }
    }
}

/// One BMTK `membrane_report`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportConfig {
    /// Report name (key in `reports`, file `<name>.h5`).
    pub name: String,
    /// The cells, as a node set (`{"population": "net", "node_id": [0, 3]}`);
    /// written to `node_sets.json` as `<name>_cells`.
    pub cells: Value,
    /// `variable_name`: `v` or a range variable (`m_na_rtm`).
    pub variable: String,
    /// `sections`: `soma` or `all`.
    pub sections: String,
}

/// One BMTK `current_clamp` input (module `IClamp`): an IClamp of `amp`
/// nA from `delay` for `duration` ms on every cell of `cells`, at
/// `soma[0](section_dist)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ClampConfig {
    /// Input name (key in `inputs`); its cells are written to
    /// `node_sets.json` as `<name>_cells`.
    pub name: String,
    /// The cells, as a node set.
    pub cells: Value,
    /// `amp` (nA).
    pub amp: f64,
    /// `delay` (ms).
    pub delay: f64,
    /// `duration` (ms).
    pub duration: f64,
    /// `section_dist`: the position along the soma.
    pub section_dist: f64,
}

/// What [`write_circuit`] wrote, relative to its folder, in writing order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Written {
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// BMTK's run script of a built folder.
pub const RUN_BIONET: &str = include_str!("neuron/run_bionet.py");

/// A folder or file that cannot be written (`E1505`).
pub(crate) fn write_error(path: &Path, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error("E1505", format!("cannot write `{}`: {e}", path.display()))
        .with_help("check that the folder exists or can be created and that you may write there (`nmc build -o DIR` picks another folder)")
}

/// Something the circuit holds that SONATA files cannot (`E1506`).
pub(crate) fn invalid(msg: String) -> Diagnostic {
    Diagnostic::error("E1506", msg)
}

/// A name used as a file name must be one plain component.
fn file_name(what: &str, name: &str) -> Result<(), Diagnostic> {
    let plain =
        !name.is_empty() && !name.contains(['/', '\\', '\0']) && name != "." && name != "..";
    if plain {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} `{name}` cannot be used as a file name"
        )))
    }
}

struct Out<'a> {
    dir: &'a Path,
    written: Written,
}

impl Out<'_> {
    fn mkdir(&self, rel: &str) -> Result<PathBuf, Diagnostic> {
        let p = self.dir.join(rel);
        std::fs::create_dir_all(&p).map_err(|e| write_error(&p, e))?;
        Ok(p)
    }

    fn text(&mut self, rel: PathBuf, text: &str) -> Result<(), Diagnostic> {
        let p = self.dir.join(&rel);
        crate::io::write_atomic(&p, text.as_bytes()).map_err(|e| write_error(&p, e))?;
        self.written.files.push(rel);
        Ok(())
    }

    fn json(&mut self, rel: PathBuf, v: &Value) -> Result<(), Diagnostic> {
        let mut s =
            serde_json::to_string_pretty(v).map_err(|e| write_error(&self.dir.join(&rel), e))?;
        s.push('\n');
        self.text(rel, &s)
    }

    fn h5(
        &mut self,
        rel: PathBuf,
        f: impl FnOnce(&Path) -> Result<(), Diagnostic>,
    ) -> Result<(), Diagnostic> {
        f(&self.dir.join(&rel))?;
        self.written.files.push(rel);
        Ok(())
    }
}

/// A node set name not yet in `sets`: `base`, else `base_2`, `base_3`...
fn free_name(sets: &BTreeMap<String, Value>, base: &str) -> String {
    if !sets.contains_key(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}_{i}"))
        .find(|n| !sets.contains_key(n))
        .unwrap_or_else(|| base.to_string())
}

/// Writes `circuit` with `sim` into the folder `dir` (created if needed).
pub fn write_circuit(
    dir: &Path,
    circuit: &Circuit,
    sim: &SimulationSettings,
) -> Result<Written, Diagnostic> {
    // Cells with 3-d points (read from a morphology) would need their
    // morphology and Import3d in the template: not written yet.
    for (name, cell) in &circuit.cells {
        if cell.sections.iter().any(|s| !s.pt3d.is_empty()) {
            return Err(invalid(format!(
                "cell type `{name}` is read from a morphology file, which `nmc build` cannot write as a SONATA cell template yet; run the .ndl file with `nmc run`"
            )));
        }
    }
    let mut out = Out {
        dir,
        written: Written::default(),
    };
    out.mkdir("network")?;
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut node_files = Vec::new();
    for p in &circuit.node_populations {
        file_name("node population", &p.name)?;
        if sizes.insert(&p.name, p.nodes.len()).is_some() {
            return Err(invalid(format!(
                "node population `{}` appears twice",
                p.name
            )));
        }
        let pair = config::FilePair {
            file: format!("{}_nodes.h5", p.name),
            types: format!("{}_node_types.csv", p.name),
        };
        let csv = nodes::node_types_csv(p)?;
        out.h5(Path::new("network").join(&pair.file), |path| {
            nodes::write_nodes(path, p)
        })?;
        out.text(Path::new("network").join(&pair.types), &csv)?;
        node_files.push(pair);
    }
    crate::io::trace("build: nodes written");
    let mut edge_files = Vec::new();
    let mut edge_names: Vec<&str> = Vec::new();
    for e in &circuit.edge_populations {
        file_name("edge population", &e.name)?;
        if edge_names.contains(&e.name.as_str()) {
            return Err(invalid(format!(
                "edge population `{}` appears twice",
                e.name
            )));
        }
        edge_names.push(&e.name);
        let size = |pop: &str| {
            sizes.get(pop).copied().ok_or_else(|| {
                invalid(format!(
                    "edge population `{}` connects node population `{pop}`, which the circuit does not have",
                    e.name
                ))
            })
        };
        let (ns, nt) = (size(&e.source_population)?, size(&e.target_population)?);
        // BMTK's file names: `<src>_<trg>_edges.h5` for `<src>_to_<trg>`.
        let stem = if e.name == format!("{}_to_{}", e.source_population, e.target_population) {
            format!("{}_{}", e.source_population, e.target_population)
        } else {
            e.name.clone()
        };
        let pair = config::FilePair {
            file: format!("{stem}_edges.h5"),
            types: format!("{stem}_edge_types.csv"),
        };
        let csv = edges::edge_types_csv(e)?;
        out.h5(Path::new("network").join(&pair.file), |path| {
            edges::write_edges(path, e, ns, nt)
        })?;
        out.text(Path::new("network").join(&pair.types), &csv)?;
        crate::io::trace("build: edges written");
        edge_files.push(pair);
    }

    // Components: cell templates and synapse parameter files.
    out.mkdir("components/templates")?;
    for (name, text) in &circuit.cell_templates {
        file_name("cell template", name)?;
        out.text(
            Path::new("components/templates").join(format!("{name}.ndl")),
            text,
        )?;
        if let Some(cell) = circuit.cells.get(name) {
            out.text(
                Path::new("components/templates").join(format!("{name}.hoc")),
                &hoc::hoc_template(name, cell, &format!("{name}.ndl")),
            )?;
        }
    }
    out.mkdir("components/synaptic_models")?;
    for (name, params) in &circuit.synapse_params {
        file_name("synapse parameter file", name)?;
        out.json(
            Path::new("components/synaptic_models").join(name),
            &Value::Object(params.clone()),
        )?;
    }

    // Artificial cells' parameters (`model_type` `point_process` nodes).
    if !circuit.point_params.is_empty() {
        out.mkdir(config::POINT_MODELS_DIR)?;
    }
    for (name, params) in &circuit.point_params {
        file_name("point cell parameter file", name)?;
        out.json(
            Path::new(config::POINT_MODELS_DIR).join(name),
            &Value::Object(params.clone()),
        )?;
    }

    // Inputs, each fed to its population through a node set.
    let mut node_sets = circuit.node_sets.clone();
    let mut inputs = Vec::new();
    if !circuit.inputs.is_empty() {
        out.mkdir("input")?;
    }
    for input in &circuit.inputs {
        file_name("input", &input.name)?;
        if !sizes.contains_key(input.population.as_str()) {
            return Err(invalid(format!(
                "input `{}` feeds node population `{}`, which the circuit does not have",
                input.name, input.population
            )));
        }
        let file = format!("{}.h5", input.name);
        let mut by_pop = BTreeMap::new();
        by_pop.insert(input.population.clone(), input.spikes.clone());
        out.h5(Path::new("input").join(&file), |path| {
            super::spikes::write(path, &by_pop).map_err(|e| write_error(path, e))
        })?;
        let want = json!({ "population": input.population });
        let node_set = match node_sets.iter().find(|(_, v)| **v == want) {
            Some((k, _)) => k.clone(),
            None => {
                let k = free_name(&node_sets, &input.population);
                node_sets.insert(k.clone(), want);
                k
            }
        };
        inputs.push(config::InputEntry {
            name: input.name.clone(),
            file,
            node_set,
        });
    }
    let mut clamps = Vec::new();
    for c in &sim.clamps {
        let k = free_name(&node_sets, &format!("{}_cells", c.name));
        node_sets.insert(k.clone(), c.cells.clone());
        clamps.push((c.clone(), k));
    }
    let mut reports = Vec::new();
    for r in &sim.reports {
        let k = free_name(&node_sets, &format!("{}_cells", r.name));
        node_sets.insert(k.clone(), r.cells.clone());
        reports.push((r.clone(), k));
    }

    let has_inputs = circuit.node_populations.iter().any(|p| p.is_virtual);
    let mechanisms = match &sim.mechanisms {
        Some(sources) => mechanisms::write_mechanisms(&mut out, sources, has_inputs)?
            .then(|| PathBuf::from(mechanisms::DIR)),
        // The circuit's folder as it is.
        None => circuit
            .mechanisms_dir
            .as_deref()
            .map(|m| config::relative_path(dir, m)),
    };
    out.text(PathBuf::from("run_bionet.py"), RUN_BIONET)?;
    out.json(
        PathBuf::from("node_sets.json"),
        &Value::Object(node_sets.into_iter().collect()),
    )?;
    out.json(
        PathBuf::from("circuit_config.json"),
        &config::circuit_config(
            &node_files,
            &edge_files,
            mechanisms.as_deref(),
            !circuit.point_params.is_empty(),
        ),
    )?;
    out.json(
        PathBuf::from("simulation_config.json"),
        &config::simulation_config(sim, &inputs, &clamps, &reports),
    )?;
    Ok(out.written)
}
