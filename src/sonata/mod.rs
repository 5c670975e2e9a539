//! SONATA input and output: circuit and simulation configs, nodes, edges
//! and spike inputs read the way BMTK writes them, their lowering to a
//! [`crate::net::Network`], and compartment reports and spike files
//! (HDF5) written the way BMTK writes them so its tools and h5py read them.

pub mod build;
pub mod config;
pub mod edges;
pub mod inputs;
pub mod nodes;
pub mod records;
pub mod report;
pub mod spikes;
pub mod write;
