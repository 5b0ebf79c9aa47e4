//! `version`: the tool's version and the data it carries (chart releases, log signatures).

use serde_json::json;

use super::{print, Outcome};
use crate::chart::catalog;
use crate::cli::{ListFormat, VersionArgs};
use crate::diagnose::signatures::{CHECKED_FROM, CHECKED_THROUGH};

/// Prints the version report.
pub fn run(args: &VersionArgs) -> anyhow::Result<Outcome> {
    let releases = catalog().releases();
    let (Some(first), Some(last)) = (releases.first(), releases.last()) else {
        anyhow::bail!("the embedded chart table is empty");
    };
    let version = env!("CARGO_PKG_VERSION");
    let text = match args.output {
        ListFormat::Text => format!(
            "harbor-upgrade {version}\n\
             chart releases: {} (Harbor {}) to {} (Harbor {}), {} releases\n\
             log signatures: checked against Harbor {CHECKED_FROM} to {CHECKED_THROUGH}\n",
            first.chart,
            first.harbor,
            last.chart,
            last.harbor,
            releases.len()
        ),
        ListFormat::Json => {
            let mut text = serde_json::to_string_pretty(&json!({
                "schemaVersion": crate::report::JSON_SCHEMA_VERSION,
                "version": version,
                "chart": {
                    "releases": releases.len(),
                    "first": { "chart": first.chart.to_string(), "harbor": first.harbor.to_string() },
                    "last": { "chart": last.chart.to_string(), "harbor": last.harbor.to_string() },
                },
                "logSignatures": { "harborFrom": CHECKED_FROM, "harborThrough": CHECKED_THROUGH },
            }))?;
            text.push('\n');
            text
        }
    };
    print(&text)?;
    Ok(Outcome::Clean)
}
