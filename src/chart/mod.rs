//! Chart-version knowledge: versions of the goharbor/harbor chart and the Harbor they ship.
//!
//! Pure data and arithmetic; no I/O. Chart 1.N.p ships Harbor 2.(N-4).p for every release from
//! 1.4.0 to 1.19.1.

mod version;

pub use version::{parse_release, Release, Version, VersionError};
