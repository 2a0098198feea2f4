//! chief-store
