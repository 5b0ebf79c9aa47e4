//! Findings and their renderers: rustc-like text, the versioned JSON envelope, SARIF 2.1.0.
//!
//! A finding is data, never an error. Renderers get the findings and the [`Sources`] they point
//! into; they never see a secret value, and when they show a source line they mask every byte
//! range that [`Sources`] marks as secret.

pub mod choice;
mod github;
mod json;
mod junit;
mod markdown;
/// How secrets are described and lines masked: the items of [`crate::redact`] renderers use.
pub mod mask {
    pub use crate::redact::{describe_secret, MaskedLine, REDACTED};
}
mod sarif;
mod text;

use std::fmt;

use serde::Serialize;

use crate::values::{Sources, Span};

pub use github::render_github;
pub use json::render_json;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use sarif::render_sarif;
pub use text::{render_text, Style};

/// Version of the JSON envelope; bumped only on incompatible changes.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing breaks.
    Info,
    /// Likely to break something or weaken security.
    Warning,
    /// Breaks authentication or data.
    Error,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of input a finding comes from (`source` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Helm values (files or `--set`).
    Values,
    /// A Secret manifest or a live Secret.
    Secret,
    /// Something read from the cluster.
    Cluster,
    /// Log lines.
    Logs,
    /// An object of the manifest stream Helm rendered (`--rendered`).
    Rendered,
}

/// One problem found by one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The rule ID, e.g. `token-pair-mismatch`.
    pub rule: &'static str,
    /// Severity of this occurrence (may differ from the rule's default, e.g. by version).
    pub severity: Severity,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// The values path concerned, e.g. `core.tokenCert`.
    pub values_path: Option<String>,
    /// Where in a source file, if anywhere.
    pub span: Option<Span>,
    /// An object outside the files, e.g. `secret/harbor-core` (virtual source).
    pub object: Option<String>,
    /// The kind of input.
    pub origin: Origin,
    /// Extra facts: kinds, sizes, fingerprints (never secret values).
    pub notes: Vec<String>,
}

impl Finding {
    /// A finding with the given rule, severity and message and nothing else yet.
    pub fn new(rule: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity,
            message: message.into(),
            help: String::new(),
            values_path: None,
            span: None,
            object: None,
            origin: Origin::Values,
            notes: Vec::new(),
        }
    }

    /// Sets the remedy.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    /// Sets the values path.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.values_path = Some(path.into());
        self
    }

    /// Sets the source location.
    #[must_use]
    pub fn at(mut self, span: Option<Span>) -> Self {
        self.span = span;
        self
    }

    /// Sets the origin and the virtual object.
    #[must_use]
    pub fn from_object(mut self, origin: Origin, object: Option<String>) -> Self {
        self.origin = origin;
        self.object = object;
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// A rule, or part of one, that could not be evaluated, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The rule ID.
    pub rule: &'static str,
    /// Why it was not evaluated.
    pub reason: String,
}

/// Everything one run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The version the upgrade starts from, if known.
    pub from: Option<String>,
    /// The version the upgrade goes to, if known.
    pub to: Option<String>,
    /// The findings, in a stable order.
    pub findings: Vec<Finding>,
    /// Checks that could not run.
    pub skipped: Vec<Skipped>,
    /// The IDs of the rules that ran, in rule order (`-o junit` has a test case for each).
    pub checked: Vec<&'static str>,
    /// Findings suppressed by `--ignore`, the configuration file or an inline comment.
    pub suppressed: Vec<choice::Suppressed>,
    /// Whether the renderers list the suppressed findings (`--show-suppressed`) or only count
    /// them.
    pub show_suppressed: bool,
}

/// Counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Number of errors.
    pub error: usize,
    /// Number of warnings.
    pub warning: usize,
    /// Number of infos.
    pub info: usize,
    /// Number of suppressed findings (not in the counts above).
    pub suppressed: usize,
}

impl Report {
    /// Sorts findings deterministically: by file position, then severity (worst first), then rule.
    pub fn sort(&mut self, sources: &Sources) {
        let _ = sources;
        self.findings.sort_by(|a, b| {
            let key = |f: &Finding| {
                (
                    f.span
                        .map_or((usize::MAX, 0, 0), |s| (s.source.0, s.line, s.column)),
                    std::cmp::Reverse(f.severity),
                    f.rule,
                    f.object.clone(),
                    f.message.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        self.findings.dedup();
    }

    /// Counts per severity.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            suppressed: self.suppressed.len(),
            ..Summary::default()
        };
        for f in &self.findings {
            match f.severity {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s
    }

    /// The worst severity present.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Whether a finding is at or above `threshold` (`None`: nothing fails).
pub fn fails(finding: &Finding, threshold: Option<Severity>) -> bool {
    threshold.is_some_and(|t| finding.severity >= t)
}

/// Where a rule is documented, as written into JSON and SARIF.
pub fn docs_anchor(rule: &str) -> String {
    format!("docs/rules.md#{rule}")
}
