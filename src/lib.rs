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
pub mod duration;
pub mod fsio;
pub mod input;
pub mod kube;
pub mod pki;
pub mod progress;
pub mod redact;
pub mod rendered;
pub mod report;
pub mod values;

pub use commands::Outcome;

/// Runs a parsed command line.
pub fn run(cli: cli::Cli) -> anyhow::Result<Outcome> {
    commands::dispatch(cli.command, cli.color)
}

/// What `main` prints for an error: the headline after `error:` and one line per cause, each
/// the cause's own message, without the repetitions a wrapped error carries (`cannot read
/// kubeconfig: X` over `X`) and without causes that add nothing (`environment variable not
/// found`). An unreachable cluster is the whole story: its one line (server and reason) is the
/// headline, whatever the command was doing.
pub fn error_lines(e: &anyhow::Error) -> (String, Vec<String>) {
    for cause in e.chain() {
        if let Some(unreachable @ kube::Error::Unreachable { .. }) = cause.downcast_ref() {
            return (unreachable.to_string(), Vec::new());
        }
    }
    let headline = e.to_string();
    let mut shown: Vec<String> = vec![headline.clone()];
    let mut causes = Vec::new();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        let redundant = text.is_empty()
            || text == "environment variable not found"
            || shown
                .iter()
                .any(|s| s == &text || s.ends_with(&format!(": {text}")));
        if !redundant {
            causes.push(text.clone());
        }
        shown.push(text);
    }
    (headline, causes)
}

/// Says visibly why a test is skipped: libtest captures `eprintln!` of passing tests, but not
/// direct writes to the process's stderr.
#[cfg(test)]
pub(crate) fn test_skip(reason: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}
