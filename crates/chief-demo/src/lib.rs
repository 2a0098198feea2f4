//! chief-demo
