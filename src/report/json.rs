//! The JSON envelope (`docs/json-output.md` is its contract).

use serde::Serialize;

use super::{
    docs_anchor, Finding, Origin, Report, Severity, Skipped, Summary, JSON_SCHEMA_VERSION,
};
use crate::values::Sources;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    schema_version: u32,
    tool: Tool,
    upgrade: Upgrade<'a>,
    findings: Vec<JsonFinding<'a>>,
    skipped: &'a [Skipped],
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<Vec<JsonSuppressed<'a>>>,
    summary: Summary,
}

/// A suppressed finding, listed with `--show-suppressed`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSuppressed<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    suppressed_by: &'a str,
}

#[derive(Serialize)]
pub(super) struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub(super) fn this() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Serialize)]
struct Upgrade<'a> {
    from: Option<&'a str>,
    to: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    help: &'a str,
    values_path: Option<&'a str>,
    location: Option<Location>,
    object: Option<&'a str>,
    source: Origin,
    notes: &'a [String],
    docs: String,
}

/// A position in a named file, as JSON and SARIF print it.
#[derive(Serialize)]
pub(super) struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

pub(super) fn location(f: &Finding, sources: &Sources) -> Option<Location> {
    f.span.map(|s| Location {
        file: sources.get(s.source).name.clone(),
        line: s.line,
        column: s.column,
    })
}

fn json_finding<'a>(f: &'a Finding, sources: &Sources) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule,
        severity: f.severity,
        message: &f.message,
        help: &f.help,
        values_path: f.values_path.as_deref(),
        location: location(f, sources),
        object: f.object.as_deref(),
        source: f.origin,
        notes: &f.notes,
        docs: docs_anchor(f.rule),
    }
}

/// Renders a report as one pretty-printed JSON document with a trailing newline.
pub fn render_json(report: &Report, sources: &Sources) -> String {
    let envelope = Envelope {
        schema_version: JSON_SCHEMA_VERSION,
        tool: Tool::this(),
        upgrade: Upgrade {
            from: report.from.as_deref(),
            to: report.to.as_deref(),
        },
        findings: report
            .findings
            .iter()
            .map(|f| json_finding(f, sources))
            .collect(),
        skipped: &report.skipped,
        suppressed: report.show_suppressed.then(|| {
            report
                .suppressed
                .iter()
                .map(|s| JsonSuppressed {
                    finding: json_finding(&s.finding, sources),
                    suppressed_by: &s.by,
                })
                .collect()
        }),
        summary: report.summary(),
    };
    let mut text = serde_json::to_string_pretty(&envelope).unwrap_or_else(|e| {
        // Serialising plain strings and numbers cannot fail; keep the output valid JSON anyway.
        format!("{{\"error\":\"{e}\"}}")
    });
    text.push('\n');
    text
}
