//! SONATA files in and out: circuit and simulation configs, nodes, edges,
//! node sets and spike inputs read the way BMTK writes them; compartment
//! reports and spike files (HDF5) written the way BMTK writes them so its
//! tools and h5py read them. File formats only: turning them into a
//! network to run is the driver's job ([`crate::driver::sonata`]).

pub mod config;
pub mod edges;
pub mod inputs;
pub mod node_sets;
pub mod nodes;
pub mod report;
pub mod spikes;
pub mod write;
