//! chief-engine
