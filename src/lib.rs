//! `harbor-upgrade`: pre-flight checks, key backup and safe credential repair for upgrades of
//! Harbor installed with the goharbor/harbor Helm chart.
//!
//! Data flows one way: sources (values files, Secret manifests, the cluster) → a prepared
//! [`checks::Context`] → pure rules → [`report::Finding`]s → one renderer. `main.rs` only parses
//! arguments and maps the result of [`run`] to an exit status.

pub mod backup;
pub mod chart;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod diagnose;
pub mod fsio;
pub mod input;
pub mod kube;
pub mod pki;
pub mod progress;
pub mod report;
pub mod values;

pub use commands::Outcome;

/// Runs a parsed command line.
pub fn run(cli: cli::Cli) -> anyhow::Result<Outcome> {
    commands::dispatch(cli.command, cli.color)
}

/// Says visibly why a test is skipped: libtest captures `eprintln!` of passing tests, but not
/// direct writes to the process's stderr.
#[cfg(test)]
pub(crate) fn test_skip(reason: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}
