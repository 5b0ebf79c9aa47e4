//! Chart-version knowledge: every release of the goharbor/harbor chart, the Harbor it ships, the
//! values keys it has, and what it does that decides the rules.
//!
//! Pure data and arithmetic, except [`read_chart`], which reads a chart from disk for `--chart`.
//! Chart 1.N.p ships Harbor 2.(N-4).p for every release from 1.4.0 to 1.19.1, including 1.5.6
//! (Harbor 2.1.6) and 1.7.1 (Harbor 2.3.1), which the chart repository tagged without `v`.
//!
//! - [`catalog()`]: the embedded table (`keys.tsv`, `defaults.tsv`), derived from each release's
//!   `values.yaml` by the generator in `generate.rs`.
//! - [`ChartView`]: one chart's keys and defaults, embedded or read with `--chart`.
//! - `behaviour`: token pair, secrets, `PostgreSQL`, JWT leeway, hops, renames, removed components.
//! - `defects`: releases with a known defect that breaks an upgrade.

pub mod behaviour;
mod catalog;
pub mod defects;
#[cfg(test)]
mod generate;
mod local;
mod paths_doc;
mod schema;
mod version;
mod view;

pub use catalog::{catalog, Catalog, KeyInfo, ReleaseSet};
pub use local::{read_chart, LocalChart};
pub use paths_doc::upgrade_paths_markdown;
pub use schema::{extract, is_open_map, KeyState, Presence, ValuesKeys};
pub use version::{parse_release, Release, Version, VersionError};
pub use view::ChartView;

/// Why a version or a chart could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not a version at all.
    #[error(transparent)]
    Version(#[from] VersionError),
    /// A number the 1.N ↔ 2.(N-4) rule cannot place (`3.0.0`, `1.2.0`).
    #[error("{why}; the newest release this tool knows is {newest}: for a newer chart, pass the chart itself with `--chart DIR|TGZ` (as `helm pull harbor/harbor --version VERSION` writes it)")]
    UnplacedVersion {
        /// Why the number is not a version of either.
        why: VersionError,
        /// `Harbor 2.15.1 (chart 1.19.1)`.
        newest: String,
    },
    /// A well-formed version that is not in the embedded table.
    #[error("{release} is not a release this tool knows; the newest it knows is {newest}: for a newer chart, pass the chart itself with `--chart DIR|TGZ` (as `helm pull harbor/harbor --version VERSION` writes it)")]
    UnknownRelease {
        /// `Harbor 2.16.0 (chart 1.20.0)`.
        release: String,
        /// `Harbor 2.15.1 (chart 1.19.1)`.
        newest: String,
    },
    /// A chart file or archive could not be read.
    #[error("cannot read chart {path}")]
    ChartIo {
        /// The path as given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A chart file or archive was refused by the bounded reader (not a regular file, over
    /// its size cap, binary).
    #[error(transparent)]
    Input(#[from] crate::input::Error),
    /// The chart is not usable.
    #[error("cannot use chart {path}: {reason}")]
    ChartInvalid {
        /// The path as given.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A YAML file of the chart is malformed.
    #[error("cannot use chart {path}")]
    ChartYaml {
        /// The path as given.
        path: String,
        /// The parse error.
        #[source]
        source: crate::values::Error,
    },
}

/// Parses a version (`2.10.2`, `v2.10.2`, `1.14.2`) and requires it to be a known release.
pub fn known_release(text: &str) -> Result<Release, Error> {
    let catalog = catalog();
    let newest = || {
        catalog
            .newest()
            .map_or_else(|| "none".to_string(), |r| r.describe())
    };
    let release = match parse_release(text) {
        Ok(release) => release,
        Err(why @ VersionError::Unknown(_)) => {
            return Err(Error::UnplacedVersion {
                why,
                newest: newest(),
            })
        }
        Err(e) => return Err(e.into()),
    };
    if catalog.index_of(release.chart).is_some() {
        return Ok(release);
    }
    Err(Error::UnknownRelease {
        release: release.describe(),
        newest: newest(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_releases_name_the_newest_and_suggest_chart() {
        assert_eq!(
            known_release("v2.10.2").ok().map(|r| r.chart),
            Some(Version::new(1, 14, 2))
        );
        for text in ["1.12.9", "2.16.0", "3.0.0", "1.2.0"] {
            let message = known_release(text).unwrap_err().to_string();
            assert!(
                message.contains("Harbor 2.15.1 (chart 1.19.1)"),
                "{message}"
            );
            assert!(message.contains("--chart"), "{message}");
        }
    }
}
