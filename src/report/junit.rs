//! `-o junit`: a JUnit XML report for CI test views: one test case per rule that ran, failing
//! when the rule has findings at or above `--fail-on`, skipped when the rule could not run.

use std::fmt::Write as _;

use quick_xml::escape::escape;

use super::json::location;
use super::{fails, Finding, Report, Severity};
use crate::values::Sources;

/// XML-escaped text with control characters made visible (XML 1.0 forbids most of them).
fn xml(text: &str) -> String {
    escape(&*crate::redact::escape(text)).into_owned()
}

fn describe(f: &Finding, sources: &Sources) -> String {
    let mut text = format!("{}: {}", f.severity, f.message);
    if let Some(loc) = location(f, sources) {
        text = format!("{}:{}:{}: {text}", loc.file, loc.line, loc.column);
    }
    if let Some(object) = &f.object {
        let _ = write!(text, " ({object})");
    }
    if !f.help.is_empty() {
        let _ = write!(text, "\nhelp: {}", f.help);
    }
    text
}

/// Renders a report as JUnit XML; `threshold` is `--fail-on`.
pub fn render_junit(report: &Report, sources: &Sources, threshold: Option<Severity>) -> String {
    let mut cases = String::new();
    let (mut failures, mut skipped) = (0, 0);
    for &rule in &report.checked {
        let found: Vec<&Finding> = report.findings.iter().filter(|f| f.rule == rule).collect();
        let failing: Vec<&&Finding> = found.iter().filter(|f| fails(f, threshold)).collect();
        let passing: Vec<&&Finding> = found.iter().filter(|f| !fails(f, threshold)).collect();
        let skips: Vec<_> = report.skipped.iter().filter(|s| s.rule == rule).collect();
        let _ = write!(
            cases,
            "    <testcase name=\"{}\" classname=\"harbor-upgrade\"",
            xml(rule)
        );
        if failing.is_empty() && passing.is_empty() && skips.is_empty() {
            cases.push_str("/>\n");
            continue;
        }
        cases.push_str(">\n");
        if let Some(first) = failing.first() {
            failures += 1;
            let body: Vec<String> = failing.iter().map(|f| describe(f, sources)).collect();
            let _ = writeln!(
                cases,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                first.severity,
                xml(&if failing.len() == 1 {
                    first.message.clone()
                } else {
                    format!("{} findings; the first: {}", failing.len(), first.message)
                }),
                xml(&body.join("\n\n"))
            );
        } else if let Some(first) = skips.first() {
            skipped += 1;
            let _ = writeln!(cases, "      <skipped message=\"{}\"/>", xml(&first.reason));
        }
        if !passing.is_empty() {
            let body: Vec<String> = passing.iter().map(|f| describe(f, sources)).collect();
            let _ = writeln!(
                cases,
                "      <system-out>{}</system-out>",
                xml(&body.join("\n\n"))
            );
        }
        cases.push_str("    </testcase>\n");
    }
    let tests = report.checked.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"harbor-upgrade\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"harbor-upgrade\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">"
    );
    out.push_str("    <properties>\n");
    let _ = writeln!(
        out,
        "      <property name=\"version\" value=\"{}\"/>",
        env!("CARGO_PKG_VERSION")
    );
    for (name, value) in [("upgrade.from", &report.from), ("upgrade.to", &report.to)] {
        if let Some(value) = value {
            let _ = writeln!(
                out,
                "      <property name=\"{name}\" value=\"{}\"/>",
                xml(value)
            );
        }
    }
    out.push_str("    </properties>\n");
    out.push_str(&cases);
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
