//! `preflight explain RULE`: one rule's documentation.

use super::{print, Outcome};
use crate::checks::{find_rule, RULES};
use crate::cli::ExplainArgs;

/// Prints the documentation of one rule; IDs are matched case-insensitively (as typed from a
/// report heading, `Token-Key-Rotates`); an unknown ID is an error that suggests the closest.
pub fn run(args: &ExplainArgs) -> anyhow::Result<Outcome> {
    let wanted = args.rule.trim().to_ascii_lowercase();
    let Some(rule) = find_rule(&wanted) else {
        let closest = RULES
            .iter()
            .map(|r| r.id())
            .min_by_key(|id| edit_distance(id, &wanted));
        let hint = closest
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        anyhow::bail!(
            "unknown rule `{}`{hint} (`harbor-upgrade preflight rules` lists them)",
            args.rule
        );
    };
    print(&format!(
        "{}\n\nDefault severity: {}. {}\n\n{}\n",
        rule.id(),
        rule.severity(),
        rule.summary(),
        rule.explain().trim()
    ))?;
    Ok(Outcome::Clean)
}

/// Levenshtein distance, for suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(super::edit_distance("kitten", "sitting"), 3);
        assert_eq!(super::edit_distance("", "abc"), 3);
    }
}
