//! Which findings a run reports: `--select` and `--ignore`, the configuration file
//! (`.harbor-upgrade.yaml`: `select`, `ignore`, per-rule `severity`, `fail-on`) and inline
//! suppression in values files (`# harbor-upgrade: ignore[rule-id]` on the key's line or the
//! line before). Suppressed findings leave the report's findings for its `suppressed` list, so
//! they are counted and can be shown, but never fail the run.

use std::collections::{BTreeMap, BTreeSet};

use super::{Finding, Report, Severity};
use crate::values::{SourceOrigin, Sources};

/// The marker of an inline suppression comment.
pub const INLINE: &str = "harbor-upgrade: ignore[";

/// A finding taken out of the report, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppressed {
    /// The finding as it would have been reported.
    pub finding: Finding,
    /// `--ignore`, the configuration file, or the comment's `file:line`.
    pub by: String,
}

/// The resolved choice of rules for one run.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// Only these rules report (empty: all).
    pub select: BTreeSet<String>,
    /// These rules' findings are suppressed, with where that was said.
    pub ignore: BTreeMap<String, String>,
    /// Severity per rule, overriding the rule's own.
    pub severity: BTreeMap<String, Severity>,
    /// Whether inline comments in values files count (`--no-inline-ignore` turns them off).
    pub inline: bool,
}

/// A rule ID that no rule has, and where it was written.
#[derive(Debug, thiserror::Error)]
#[error("{place}: unknown rule `{id}` (`harbor-upgrade preflight rules` lists them)")]
pub struct UnknownRule {
    /// The ID as written.
    pub id: String,
    /// Where: `--ignore`, `.harbor-upgrade.yaml:3:5`, `values.yaml:12`.
    pub place: String,
}

/// Checks an ID against the rule list (IDs are matched case-insensitively, as `explain` does).
pub fn known(id: &str, place: &str) -> Result<String, UnknownRule> {
    let lower = id.trim().to_ascii_lowercase();
    if crate::checks::RULES.iter().any(|r| r.id() == lower) || lower == "placeholder" {
        Ok(lower)
    } else {
        Err(UnknownRule {
            id: id.trim().to_string(),
            place: place.to_string(),
        })
    }
}

/// The rule IDs of an inline comment in `line`, if it has one: `# harbor-upgrade: ignore[a, b]`.
fn inline_ids(line: &str) -> Option<Vec<&str>> {
    let comment = &line[line.find('#')?..];
    let start = comment.find(INLINE)? + INLINE.len();
    let end = comment[start..].find(']')? + start;
    Some(comment[start..end].split(',').map(str::trim).collect())
}

/// The text of 1-based `line` of a source, without its line break.
fn line_text(sources: &Sources, id: crate::values::SourceId, line: usize) -> Option<&str> {
    let index = sources.line_index(id);
    let text = &sources.get(id).text;
    let start = index.line_start(line)?;
    let end = index.line_start(line + 1).unwrap_or(text.len());
    Some(text[start..end].trim_end_matches(['\n', '\r']))
}

impl Choice {
    /// Every inline comment of the values files must name known rules: an unknown ID is an
    /// error, like one on the command line.
    pub fn check_inline(&self, sources: &Sources) -> Result<(), UnknownRule> {
        if !self.inline {
            return Ok(());
        }
        for (id, file) in sources.iter() {
            if file.origin != SourceOrigin::ValuesFile {
                continue;
            }
            for (n, line) in file.text.lines().enumerate() {
                for rule in inline_ids(line).into_iter().flatten() {
                    known(rule, &format!("{}:{}", sources.get(id).name, n + 1))?;
                }
            }
        }
        Ok(())
    }

    /// Applies the choice to a finished report.
    pub fn apply(&self, report: &mut Report, sources: &Sources) {
        if !self.select.is_empty() {
            report.findings.retain(|f| self.select.contains(f.rule));
            report.skipped.retain(|s| self.select.contains(s.rule));
            report.checked.retain(|r| self.select.contains(*r));
        }
        for finding in &mut report.findings {
            if let Some(severity) = self.severity.get(finding.rule) {
                finding.severity = *severity;
            }
        }
        let (kept, suppressed): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut report.findings)
            .into_iter()
            .partition(|f| self.why_suppressed(f, sources).is_none());
        report
            .suppressed
            .extend(suppressed.into_iter().map(|finding| Suppressed {
                by: self.why_suppressed(&finding, sources).unwrap_or_default(),
                finding,
            }));
        report.findings = kept;
    }

    fn why_suppressed(&self, f: &Finding, sources: &Sources) -> Option<String> {
        if let Some(by) = self.ignore.get(f.rule) {
            return Some(by.clone());
        }
        if !self.inline {
            return None;
        }
        let span = f.span?;
        if sources.get(span.source).origin != SourceOrigin::ValuesFile {
            return None;
        }
        for line in [span.line, span.line.saturating_sub(1)] {
            let ids = line_text(sources, span.source, line).and_then(inline_ids);
            if ids.is_some_and(|ids| ids.iter().any(|id| id.eq_ignore_ascii_case(f.rule))) {
                return Some(format!("{}:{line}", sources.get(span.source).name));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_comments_name_rules() {
        assert_eq!(
            inline_ids(
                "  secretKey: x  # harbor-upgrade: ignore[secret-key-length, default-password]"
            ),
            Some(vec!["secret-key-length", "default-password"])
        );
        assert_eq!(inline_ids("# harbor-upgrade: ignore[]"), Some(vec![""]));
        assert_eq!(inline_ids("key: \"# not a comment\""), None);
        assert_eq!(inline_ids("key: value"), None);
    }

    #[test]
    fn unknown_rules_are_refused_with_their_place() {
        assert_eq!(
            known("Token-Pair-Mismatch", "--ignore").unwrap(),
            "token-pair-mismatch"
        );
        let e = known("token-pair-mismtach", ".harbor-upgrade.yaml:2:5").unwrap_err();
        assert_eq!(
            e.to_string(),
            ".harbor-upgrade.yaml:2:5: unknown rule `token-pair-mismtach` (`harbor-upgrade preflight rules` lists them)"
        );
    }
}
