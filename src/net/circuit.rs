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
    pub edges: Edges,
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

/// A column of per-edge values that stores one value while every edge has
/// the same (bit for bit) and a list only once two differ: the section,
/// position, `nsyns` and per-edge weight of most networks are constant.
#[derive(Clone, Debug, PartialEq)]
enum Column<T> {
    Same(T),
    Each(Vec<T>),
}

/// Values compared bit for bit (a `-0.0` is not a `0.0`, a NaN is itself),
/// so a [`Column`] gives back exactly what was pushed.
trait Bits: Copy {
    fn same(self, other: Self) -> bool;
}

impl Bits for u64 {
    fn same(self, other: Self) -> bool {
        self == other
    }
}

impl Bits for f64 {
    fn same(self, other: Self) -> bool {
        self.to_bits() == other.to_bits()
    }
}

impl Bits for Option<f64> {
    fn same(self, other: Self) -> bool {
        match (self, other) {
            (None, None) => true,
            (Some(a), Some(b)) => a.same(b),
            _ => false,
        }
    }
}

impl<T: Bits> Column<T> {
    /// Appends `v` after `len` values.
    fn push(&mut self, len: usize, v: T) {
        match self {
            Column::Same(x) if len == 0 => *x = v,
            Column::Same(x) if x.same(v) => {}
            Column::Same(x) => {
                let mut each = Vec::with_capacity(len + 1);
                each.resize(len, *x);
                each.push(v);
                *self = Column::Each(each);
            }
            Column::Each(each) => each.push(v),
        }
    }

    fn get(&self, k: usize) -> T {
        match self {
            Column::Same(x) => *x,
            Column::Each(each) => each[k],
        }
    }
}

/// The edges of one population, stored as columns (about 20 bytes an
/// edge: source, target, an index into the population's few edge type
/// ids, and whatever per-edge value is not the same for all): a network
/// of 10^7 edges is built and written without a list of 80-byte records.
#[derive(Clone, PartialEq)]
pub struct Edges {
    source: Vec<u64>,
    target: Vec<u64>,
    /// Each edge's index into `type_ids`.
    type_index: Vec<u32>,
    /// The distinct edge type ids, in order of first use.
    type_ids: Vec<u64>,
    syn_weight: Column<Option<f64>>,
    delay: Column<Option<f64>>,
    sec_id: Column<u64>,
    sec_x: Column<f64>,
    nsyns: Column<u64>,
}

impl Default for Edges {
    fn default() -> Self {
        Edges {
            source: Vec::new(),
            target: Vec::new(),
            type_index: Vec::new(),
            type_ids: Vec::new(),
            syn_weight: Column::Same(None),
            delay: Column::Same(None),
            sec_id: Column::Same(0),
            sec_x: Column::Same(0.0),
            nsyns: Column::Same(0),
        }
    }
}

impl Edges {
    /// No edges.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of edges.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// Makes room for `n` more edges.
    pub fn reserve(&mut self, n: usize) {
        self.source.reserve(n);
        self.target.reserve(n);
        self.type_index.reserve(n);
    }

    /// Appends `e`.
    pub fn push(&mut self, e: Edge) {
        let n = self.len();
        // Edges of one type come in runs: the last type is tried first.
        let ti = match self.type_index.last() {
            Some(&i) if self.type_ids[i as usize] == e.edge_type_id => i,
            _ => match self.type_ids.iter().position(|&t| t == e.edge_type_id) {
                Some(i) => i as u32,
                None => {
                    self.type_ids.push(e.edge_type_id);
                    (self.type_ids.len() - 1) as u32
                }
            },
        };
        self.source.push(e.source);
        self.target.push(e.target);
        self.type_index.push(ti);
        self.syn_weight.push(n, e.syn_weight);
        self.delay.push(n, e.delay);
        self.sec_id.push(n, e.sec_id);
        self.sec_x.push(n, e.sec_x);
        self.nsyns.push(n, e.nsyns);
    }

    /// Edge `k`, if there is one.
    pub fn get(&self, k: usize) -> Option<Edge> {
        (k < self.len()).then(|| self.at(k))
    }

    /// Edge `k` (`k` < `len`).
    fn at(&self, k: usize) -> Edge {
        Edge {
            source: self.source[k],
            target: self.target[k],
            edge_type_id: self.type_ids[self.type_index[k] as usize],
            syn_weight: self.syn_weight.get(k),
            delay: self.delay.get(k),
            sec_id: self.sec_id.get(k),
            sec_x: self.sec_x.get(k),
            nsyns: self.nsyns.get(k),
        }
    }

    /// The edges in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Edge> + '_ {
        (0..self.len()).map(|k| self.at(k))
    }

    /// Source node id of each edge.
    pub fn sources(&self) -> &[u64] {
        &self.source
    }

    /// Target node id of each edge.
    pub fn targets(&self) -> &[u64] {
        &self.target
    }

    /// The distinct edge type ids the edges use.
    pub fn type_ids(&self) -> &[u64] {
        &self.type_ids
    }

    /// Edge `k`'s index into [`Edges::type_ids`].
    pub fn type_index(&self, k: usize) -> usize {
        self.type_index[k] as usize
    }

    /// True when some edge has its own weight.
    pub fn any_weight(&self) -> bool {
        match &self.syn_weight {
            Column::Same(w) => w.is_some() && !self.is_empty(),
            Column::Each(_) => true,
        }
    }

    /// True when some edge has its own delay.
    pub fn any_delay(&self) -> bool {
        match &self.delay {
            Column::Same(d) => d.is_some() && !self.is_empty(),
            Column::Each(_) => true,
        }
    }
}

impl std::fmt::Debug for Edges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl FromIterator<Edge> for Edges {
    fn from_iter<I: IntoIterator<Item = Edge>>(iter: I) -> Self {
        let mut edges = Edges::new();
        for e in iter {
            edges.push(e);
        }
        edges
    }
}

impl From<Vec<Edge>> for Edges {
    fn from(v: Vec<Edge>) -> Self {
        v.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Edges {
    type Item = Edge;
    type IntoIter = Box<dyn Iterator<Item = Edge> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_give_back_what_was_pushed_bit_for_bit() {
        let edge = |k: u64| Edge {
            source: k,
            target: k / 2,
            edge_type_id: 100 + k % 3,
            syn_weight: (k == 3).then_some(-0.0),
            delay: Some(if k == 4 { f64::NAN } else { 1.0 }),
            sec_id: 0,
            sec_x: if k == 2 { -0.0 } else { 0.0 },
            nsyns: 1,
        };
        let all: Vec<Edge> = (0..6).map(edge).collect();
        let edges = Edges::from(all.clone());
        assert_eq!(edges.len(), 6);
        assert_eq!(edges.type_ids(), [100, 101, 102]);
        assert!(edges.any_weight() && edges.any_delay());
        for (k, e) in edges.iter().enumerate() {
            assert_eq!(e.source, all[k].source);
            assert_eq!(e.edge_type_id, all[k].edge_type_id);
            assert_eq!(
                e.syn_weight.map(f64::to_bits),
                all[k].syn_weight.map(f64::to_bits)
            );
            assert_eq!(e.delay.map(f64::to_bits), all[k].delay.map(f64::to_bits));
            assert_eq!(e.sec_x.to_bits(), all[k].sec_x.to_bits());
        }
        assert!(edges.get(6).is_none());
        // All alike: one stored value, no per-edge weight.
        let same = Edges::from(vec![edge(0), edge(1)]);
        assert!(!same.any_weight() && same.any_delay());
        assert!(matches!(same.sec_x, Column::Same(_)));
    }
}
