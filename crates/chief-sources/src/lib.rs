//! chief-sources
