//! SARIF 2.1.0, for code-scanning tools; locations point into the values files.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::json::{location, Tool};
use super::{docs_anchor, Report, Severity};
use crate::checks::RULES;
use crate::values::{SourceOrigin, Sources};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of the fingerprint in `partialFingerprints`.
const FINGERPRINT: &str = "harborUpgrade/v1";

/// What identifies a finding across commits: the rule, the file, the object, the values path
/// and the message, never the line or column, which move as the file is edited.
fn fingerprint(f: &super::Finding, sources: &Sources) -> String {
    use sha2::Digest as _;
    let file = f
        .span
        .map(|s| sources.get(s.source).name.clone())
        .unwrap_or_default();
    let mut hash = sha2::Sha256::new();
    for part in [
        f.rule,
        &file,
        f.object.as_deref().unwrap_or(""),
        f.values_path.as_deref().unwrap_or(""),
        &f.message,
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    crate::pki::hex_lower(&hash.finalize()[..16])
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Renders a report as a SARIF 2.1.0 log with one run.
pub fn render_sarif(report: &Report, sources: &Sources) -> String {
    let tool = Tool::this();
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "name": r.id(),
                "shortDescription": { "text": r.summary() },
                "fullDescription": { "text": r.explain() },
                "help": { "text": r.explain(), "markdown": r.explain() },
                "helpUri": docs_anchor(r.id()),
                "defaultConfiguration": { "level": level(r.severity()) },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = RULES.iter().position(|r| r.id() == f.rule);
            let mut message = f.message.clone();
            if !f.help.is_empty() {
                message = format!("{message}\nhelp: {}", f.help);
            }
            let mut result = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": message },
                "properties": { "valuesPath": f.values_path, "source": f.origin, "notes": f.notes },
            });
            if let Some(index) = rule_index {
                result["ruleIndex"] = json!(index);
            }
            result["partialFingerprints"] = json!({ FINGERPRINT: fingerprint(f, sources) });
            // Only real files are artifacts a code-scanning tool can open; `--set` and stdin
            // locations stay in the message.
            let file_location = f.span.filter(|s| {
                matches!(sources.get(s.source).origin, SourceOrigin::ValuesFile | SourceOrigin::SecretFile | SourceOrigin::LogFile)
            });
            if let (Some(_), Some(loc)) = (file_location, location(f, sources)) {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&loc.file) },
                        "region": { "startLine": loc.line, "startColumn": loc.column },
                    },
                    "logicalLocations": f.values_path.as_ref().map(|p| vec![json!({ "fullyQualifiedName": p, "kind": "member" })]).unwrap_or_default(),
                }]);
            } else if let Some(object) = &f.object {
                result["locations"] = json!([{ "logicalLocations": [{ "fullyQualifiedName": object, "kind": "resource" }] }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": tool.name,
                "version": tool.version,
                "semanticVersion": tool.version,
                "rules": rules,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": { "upgrade": { "from": report.from, "to": report.to } },
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// A relative URI reference for a path as the user gave it (percent-encoding spaces and the like).
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}
