//! `preflight rules`: list every rule.

use std::fmt::Write as _;

use serde_json::json;

use super::{print, Outcome};
use crate::checks::RULES;
use crate::cli::{ListFormat, RulesArgs};

/// Prints the rule list.
pub fn run(args: &RulesArgs) -> anyhow::Result<Outcome> {
    let text = match args.output {
        ListFormat::Text => {
            let width = RULES.iter().map(|r| r.id().len()).max().unwrap_or(0);
            let mut out = String::new();
            for rule in RULES {
                let _ = writeln!(
                    out,
                    "{:<width$}  {:<7}  {}",
                    rule.id(),
                    rule.severity().as_str(),
                    rule.summary()
                );
            }
            out
        }
        ListFormat::Json => {
            let rules: Vec<_> = RULES
                .iter()
                .map(|r| json!({ "id": r.id(), "severity": r.severity(), "summary": r.summary(), "docs": crate::report::docs_anchor(r.id()) }))
                .collect();
            let mut text = serde_json::to_string_pretty(
                &json!({ "schemaVersion": crate::report::JSON_SCHEMA_VERSION, "rules": rules }),
            )?;
            text.push('\n');
            text
        }
    };
    print(&text)?;
    Ok(Outcome::Clean)
}
