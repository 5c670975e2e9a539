//! Physical units (stub: being written).
