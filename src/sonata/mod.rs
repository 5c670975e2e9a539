//! SONATA output: compartment reports and spike files (HDF5), written the
//! way BMTK writes them so its tools and h5py read them.

pub mod report;
pub mod spikes;
