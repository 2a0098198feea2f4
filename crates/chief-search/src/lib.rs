//! chief-search
