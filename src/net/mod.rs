//! The concrete network: cells with their sections, inserted mechanisms
//! and point processes, spike sources, connections, run settings and
//! recordings. Front ends (NDL, SONATA) build a [`Network`]; the engine
//! (`sim`) runs one. Everything is in NEURON's units: um, ms, mV, nA,
//! uS, S/cm2, uF/cm2, ohm*cm, degC.

pub mod circuit;
mod connections;
pub mod geometry;
pub mod partition;

pub use connections::Connections;

use std::collections::BTreeMap;
use std::sync::Arc;

/// Index of a [`Cell`] in [`Network::cells`].
pub type CellId = usize;

/// A whole model ready to simulate.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Network {
    /// Real cells, in gid order.
    pub cells: Vec<Cell>,
    /// Spike trains given as lists of times (virtual cells, stimuli).
    pub trains: Vec<SpikeTrain>,
    /// NetCon-style connections, in creation order.
    pub connections: Connections,
    /// Run conditions.
    pub run: RunSettings,
    /// Values to record every step.
    pub records: Vec<Record>,
}

/// One cell: a tree of sections. A cell with no sections is an
/// artificial cell (NEURON's `ARTIFICIAL_CELL`: NetStim, IntFire1, ...):
/// its one point process is the ARTIFICIAL_CELL instance, it spikes when
/// that instance's NET_RECEIVE calls `net_event(t)` (recorded at exactly
/// t), and connections may target it like a synapse.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    /// Global id (SONATA node id), used in spike output.
    pub gid: u64,
    /// Population name (for output grouping).
    pub population: String,
    /// Sections; a section's parent must come before it.
    pub sections: Vec<Section>,
    /// Point processes placed on the cell (synapses, IClamps).
    pub point_processes: Vec<PointProcess>,
    /// Where spikes are detected (NEURON: the NetCon source, soma(0.5)).
    pub spike_site: Location,
}

/// A position on a cell: section index and x in [0, 1].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Location {
    /// Index into [`Cell::sections`].
    pub section: usize,
    /// Arc position along the section, 0 to 1.
    pub x: f64,
}

/// An unbranched cable.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Name (`soma`, `dend[2]`).
    pub name: String,
    /// Length (um). With 3-d points, the path length through them.
    pub length: f64,
    /// Diameter (um), uniform along the section (unused with 3-d points).
    pub diam: f64,
    /// Number of segments.
    pub nseg: usize,
    /// Specific membrane capacitance (uF/cm2).
    pub cm: f64,
    /// Axial resistivity (ohm*cm).
    pub ra: f64,
    /// `Some((parent, x))`: this section's 0 end connects to `parent(x)`.
    pub parent: Option<(usize, f64)>,
    /// Density mechanisms with parameter overrides.
    pub mechanisms: Vec<Insert>,
    /// Ion variables set on this section, e.g. `("ena", 50.0)`.
    pub ion_values: BTreeMap<String, f64>,
    /// 3-d points `[x, y, z, diam]` (um) in single precision, as NEURON
    /// keeps them. With two or more, segment areas, diameters and axial
    /// resistances come from them (a traced morphology), not from
    /// `length` and `diam` (a cylinder).
    pub pt3d: Vec<[f32; 4]>,
}

/// Arc length (um) at each 3-d point, as NEURON's `nrn_pt3dmodified`: the
/// coordinate differences in single precision, the distances and their
/// running sum in double.
pub fn pt3d_arcs(pts: &[[f32; 4]]) -> Vec<f64> {
    let mut arc = Vec::with_capacity(pts.len());
    let mut s = 0.0f64;
    for (i, p) in pts.iter().enumerate() {
        if i > 0 {
            let q = &pts[i - 1];
            let t1 = f64::from(p[0] - q[0]);
            let t2 = f64::from(p[1] - q[1]);
            let t3 = f64::from(p[2] - q[2]);
            s += (t1 * t1 + t2 * t2 + t3 * t3).sqrt();
        }
        arc.push(s);
    }
    arc
}

impl Default for Section {
    /// NEURON's defaults: L = 100 um, diam = 500 um, nseg = 1, cm = 1, Ra = 35.4.
    fn default() -> Self {
        Section {
            name: "soma".into(),
            length: 100.0,
            diam: 500.0,
            nseg: 1,
            cm: 1.0,
            ra: 35.4,
            parent: None,
            mechanisms: Vec::new(),
            ion_values: BTreeMap::new(),
            pt3d: Vec::new(),
        }
    }
}

/// A density mechanism inserted into a section.
#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    /// Mechanism name (SUFFIX).
    pub mechanism: String,
    /// Parameter values overriding the defaults.
    pub params: BTreeMap<String, f64>,
}

/// A point process (synapse, clamp) at a location.
#[derive(Clone, Debug, PartialEq)]
pub struct PointProcess {
    /// Mechanism name (POINT_PROCESS); shared, as the synapses of one
    /// connection type name the same mechanism.
    pub mechanism: SharedName,
    /// Where it sits.
    pub location: Location,
    /// Parameter values overriding the defaults; shared, since the many
    /// synapses of one connection type carry the same map.
    pub params: Arc<BTreeMap<String, f64>>,
}

/// A name many point processes share, in one pointer (8 bytes where an
/// `Arc<str>` takes 16): a network of 10^7 synapses names a few
/// mechanisms.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedName(Arc<String>);

impl SharedName {
    /// True when both are the same shared name (not merely equal texts).
    pub fn same(&self, other: &SharedName) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for SharedName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for SharedName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for SharedName {
    fn from(s: &str) -> Self {
        SharedName(Arc::new(s.to_string()))
    }
}

impl From<String> for SharedName {
    fn from(s: String) -> Self {
        SharedName(Arc::new(s))
    }
}

impl From<&String> for SharedName {
    fn from(s: &String) -> Self {
        SharedName(Arc::new(s.clone()))
    }
}

impl PartialEq<str> for SharedName {
    fn eq(&self, other: &str) -> bool {
        self.0.as_str() == other
    }
}

impl PartialEq<&str> for SharedName {
    fn eq(&self, other: &&str) -> bool {
        self.0.as_str() == *other
    }
}

impl std::fmt::Debug for SharedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl std::fmt::Display for SharedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A source of spikes with known times (a VecStim, a SONATA input node).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpikeTrain {
    /// Node id in the output, if any.
    pub gid: u64,
    /// Population name.
    pub population: String,
    /// Spike times (ms), ascending.
    pub times: Vec<f64>,
}

/// Where a connection's spikes come from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Source {
    /// A real cell: spikes when v at its spike site crosses the threshold upward.
    Cell(CellId),
    /// A spike train (index into [`Network::trains`]).
    Train(usize),
}

/// A NetCon: source, target point process, delay and weight vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// The presynaptic source.
    pub source: Source,
    /// Target cell.
    pub target_cell: CellId,
    /// Index into the target cell's point processes.
    pub target: usize,
    /// Weight (the first NET_RECEIVE argument; the others start at 0 and
    /// are set by the NET_RECEIVE INITIAL block).
    pub weight: f64,
    /// Delay (ms).
    pub delay: f64,
    /// Threshold (mV); NaN means the run's spike threshold.
    pub threshold: f64,
}

/// Run conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSettings {
    /// Start time (ms).
    pub tstart: f64,
    /// Stop time (ms).
    pub tstop: f64,
    /// Fixed time step (ms).
    pub dt: f64,
    /// Temperature (degC).
    pub celsius: f64,
    /// Initial membrane potential (mV).
    pub v_init: f64,
    /// Default NetCon threshold (mV).
    pub spike_threshold: f64,
}

impl Default for RunSettings {
    /// NEURON's defaults, except celsius (34 degC) and v_init (-75 mV), common in BMTK networks.
    fn default() -> Self {
        RunSettings {
            tstart: 0.0,
            tstop: 1000.0,
            dt: 0.025,
            celsius: 6.3,
            v_init: -65.0,
            spike_threshold: 10.0,
        }
    }
}

/// A value recorded every step.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Report name (groups records in the output).
    pub report: String,
    /// Cell.
    pub cell: CellId,
    /// Where on the cell.
    pub location: Location,
    /// What: `v`, or a mechanism variable.
    pub variable: Variable,
}

/// A recordable variable.
#[derive(Clone, Debug, PartialEq)]
pub enum Variable {
    /// Membrane potential at the location's node.
    Voltage,
    /// A range variable of a density mechanism at the location (`m_na_rtm`).
    Density {
        /// Mechanism name.
        mechanism: String,
        /// Variable name.
        name: String,
    },
    /// NEURON's `i_membrane` of `extracellular` at the location's node
    /// (mA/cm2): the membrane's ionic and capacitive current at the end
    /// of each step, as the linearised membrane equation gives it.
    MembraneCurrent,
    /// An ion variable at the location's node (`cai`, `ena`, `ik`).
    Ion {
        /// Variable name.
        name: String,
    },
    /// A variable of a point process of the cell.
    PointProcess {
        /// Index into the cell's point processes.
        index: usize,
        /// Variable name.
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_process_is_a_name_a_location_and_a_parameter_map() {
        // 10^7 synapses: every byte here is 10 MB.
        assert_eq!(std::mem::size_of::<PointProcess>(), 32);
        let name = SharedName::from("Exp2Syn");
        let twin = name.clone();
        assert_eq!(&*twin, "Exp2Syn");
        assert!(name == "Exp2Syn");
        assert_eq!(format!("{name} {twin:?}"), "Exp2Syn \"Exp2Syn\"");
        assert_eq!(name.as_ptr(), twin.as_ptr());
    }
}
