//! A SONATA-shaped record of a built network: node populations with their
//! node types, edge populations with their edge types, synapse parameter
//! files, cell templates, node sets and input spike trains, as BMTK 1.2.0
//! would store them. The NDL builder fills one beside the concrete
//! [`super::Network`]; `nmc build` writes it to disk (`sonata::write`), and
//! reading those files back must give the same network.
//!
//! Ids follow SONATA: node ids count from 0 within each node population,
//! edge rows are in file order, and every table row keeps the id it will
//! have in the files.

use std::collections::BTreeMap;

/// Everything `nmc build` writes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Circuit {
    /// Node populations (real cells first, then virtual inputs).
    pub node_populations: Vec<NodePopulation>,
    /// Edge populations, named `<source>_to_<target>` as BMTK does.
    pub edge_populations: Vec<EdgePopulation>,
    /// Cell templates by name: the NDL text of a complete `cell Name {...}`
    /// definition, written to `components/templates/<Name>.ndl` and
    /// referenced by node types as `hoc:<Name>`.
    pub cell_templates: BTreeMap<String, String>,
    /// The cell each template describes, by template name: written as a
    /// hoc template (`components/templates/<Name>.hoc`) for NEURON, which
    /// nmc reads too. A template without an entry is written as NDL only.
    pub cells: BTreeMap<String, crate::net::Cell>,
    /// Synapse parameter files by file name (`Exc2PV.json`), written to
    /// `components/synaptic_models/`: the JSON object of `dynamics_params`
    /// (keys as BMTK's builders read them: `erev` for `exp2syn`, the
    /// mechanism's own names otherwise).
    pub synapse_params: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Parameter files of artificial cells (`model_type` `point_process`)
    /// by file name (`IntFire1_lif.json`), written to
    /// `components/point_neuron_models/`: the JSON object of the node
    /// type's `dynamics_params` (`tau` and `refrac` in seconds for
    /// `nrn:IntFire1`, BMTK's setter; NEURON's names and units otherwise).
    pub point_params: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Folder of `.mod` files the network's mechanisms come from, if any
    /// (becomes the circuit's `mechanisms_dir`).
    pub mechanisms_dir: Option<std::path::PathBuf>,
    /// The `.mod` files of the mechanisms the network uses (paths under
    /// `<built-in>` for nmc's own built-ins): what `nmc build` copies into
    /// the folder it writes for BMTK + NEURON.
    pub mechanism_files: Vec<std::path::PathBuf>,
    /// Named node sets (`node_sets.json`), e.g. `{"pop_name": "Exc"}`.
    pub node_sets: BTreeMap<String, serde_json::Value>,
    /// Spike inputs for virtual populations (`input/<name>.h5`).
    pub inputs: Vec<InputSpikes>,
}

/// One node population: `/nodes/<name>` plus its node types CSV.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodePopulation {
    /// Population name (`network`, `extnet`).
    pub name: String,
    /// True for inputs (`model_type` `virtual`, no cells).
    pub is_virtual: bool,
    /// Node types of this population (rows of `<name>_node_types.csv`).
    pub node_types: Vec<NodeType>,
    /// Nodes in node id order (`nodes[k].node_id == k`).
    pub nodes: Vec<Node>,
}

/// One row of a node types CSV.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeType {
    /// `node_type_id` (BMTK numbers from 100).
    pub node_type_id: u64,
    /// `pop_name`: the NDL population name.
    pub pop_name: String,
    /// `model_type`: `biophysical` or `virtual`.
    pub model_type: String,
    /// `model_template`: `hoc:<CellType>` for real cells, `None` for
    /// virtual ones.
    pub model_template: Option<String>,
    /// Further columns (name → text), e.g. user properties constant over the
    /// population.
    pub extra: BTreeMap<String, String>,
}

/// One node: a row of `/nodes/<pop>/0/...`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Node {
    /// SONATA node id (its index in the population).
    pub node_id: u64,
    /// Its node type.
    pub node_type_id: u64,
    /// Position (um), when the population has positions (`x`, `y`, `z`
    /// columns).
    pub position: Option<[f64; 3]>,
    /// Further per-node columns (user properties).
    pub attributes: BTreeMap<String, Attribute>,
}

/// A per-node or per-edge column value.
#[derive(Clone, Debug, PartialEq)]
pub enum Attribute {
    /// A number (written as float64).
    Number(f64),
    /// A text (written as a variable-length UTF-8 string).
    Text(String),
}

/// One edge population: `/edges/<name>` plus its edge types CSV.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgePopulation {
    /// Population name (`network_to_network`).
    pub name: String,
    /// Node population of the sources.
    pub source_population: String,
    /// Node population of the targets.
    pub target_population: String,
    /// Edge types (rows of `<source>_<target>_edge_types.csv`).
    pub edge_types: Vec<EdgeType>,
    /// Edges in file order (sorted by target node id, then by the order
    /// the rules made them, as BMTK writes them).
    pub edges: Vec<Edge>,
}

/// One row of an edge types CSV: one NDL `connect` statement.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdgeType {
    /// `edge_type_id` (BMTK numbers from 100).
    pub edge_type_id: u64,
    /// `source_query`, e.g. `pop_name=='Exc'`.
    pub source_query: String,
    /// `target_query`, e.g. `pop_name=='PV'`.
    pub target_query: String,
    /// `model_template`: `exp2syn` for Exp2Syn (BMTK's built-in), else the
    /// point-process mechanism name.
    pub model_template: String,
    /// `dynamics_params`: a key of [`Circuit::synapse_params`].
    pub dynamics_params: String,
    /// `syn_weight` when every edge of the type has the same weight
    /// (otherwise each [`Edge::syn_weight`] is set).
    pub syn_weight: Option<f64>,
    /// `delay` (ms) when constant over the type.
    pub delay: Option<f64>,
    /// `target_sections`, e.g. `['soma']`.
    pub target_sections: Vec<String>,
    /// `distance_range` (um), as BMTK writes it.
    pub distance_range: Option<[f64; 2]>,
}

/// One edge: a NetCon with its own synapse instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Edge {
    /// Source node id (in the source population).
    pub source: u64,
    /// Target node id (in the target population).
    pub target: u64,
    /// Its edge type.
    pub edge_type_id: u64,
    /// Per-edge weight, when the type has none.
    pub syn_weight: Option<f64>,
    /// Per-edge delay (ms), when the type has none.
    pub delay: Option<f64>,
    /// Section index on the target cell (`afferent_section_id`/`sec_id`).
    pub sec_id: u64,
    /// Position along that section, 0..1 (`afferent_section_pos`/`sec_x`).
    pub sec_x: f64,
    /// Number of synapses the edge stands for (BMTK's `nsyns`), 1 here.
    pub nsyns: u64,
}

/// Spike trains of one virtual population, written as a SONATA spike
/// file (`/spikes/<population>/{node_ids, timestamps}`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InputSpikes {
    /// Input name in `simulation_config.json` and file stem.
    pub name: String,
    /// The virtual node population the spikes belong to.
    pub population: String,
    /// `(node_id, time in ms)`, sorted by time.
    pub spikes: Vec<(u64, f64)>,
}
