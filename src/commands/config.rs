//! The configuration file `.harbor-upgrade.yaml` and the rule flags, resolved into one
//! [`Choice`] and the `--fail-on` that applies.
//!
//! ```yaml
//! select: [token-pair-mismatch, secret-key-changed]   # only these rules report
//! ignore: [values-key-unknown]                        # their findings are suppressed
//! severity:                                           # per-rule severity
//!   default-password: error
//! fail-on: warning                                    # unless --fail-on is given
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::{FailOn, RuleArgs};
use crate::input::{self, Kind};
use crate::report::choice::{known, Choice};
use crate::report::Severity;
use crate::values::{parse_named, Node, SourceId, SourceOrigin, Sources, Value};

/// The name looked for in the working directory and its parents.
pub const FILE_NAME: &str = ".harbor-upgrade.yaml";

/// The configuration file that applies: `--config`, else the nearest `.harbor-upgrade.yaml`
/// from the working directory up to the root of the git repository it is in (or the
/// filesystem's root outside one), else none.
fn find(args: &RuleArgs) -> anyhow::Result<Option<PathBuf>> {
    if args.no_config {
        return Ok(None);
    }
    if let Some(path) = &args.config {
        return Ok(Some(path.clone()));
    }
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    for dir in cwd.ancestors() {
        let path = dir.join(FILE_NAME);
        if path.is_file() {
            return Ok(Some(path));
        }
        // The configuration belongs to a repository: the search stops at its root.
        if dir.join(".git").exists() {
            break;
        }
    }
    Ok(None)
}

/// `file:line:column` of a node of the configuration.
fn place(name: &str, node: &Node) -> String {
    node.span.map_or_else(
        || name.to_string(),
        |s| format!("{name}:{}:{}", s.line, s.column),
    )
}

/// The rule IDs of a list (or one string) in the configuration.
fn rule_list(name: &str, key: &str, node: &Node) -> anyhow::Result<Vec<String>> {
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) => items.iter().collect(),
        Value::String(_) => vec![node],
        Value::Null => Vec::new(),
        _ => anyhow::bail!("{}: `{key}` must be a list of rule IDs", place(name, node)),
    };
    items
        .into_iter()
        .map(|item| {
            let id = item.as_str().with_context(|| {
                format!("{}: `{key}` must be a list of rule IDs", place(name, item))
            })?;
            Ok(known(id, &place(name, item))?)
        })
        .collect()
}

fn severity(name: &str, node: &Node) -> anyhow::Result<Severity> {
    match node.as_str() {
        Some("error") => Ok(Severity::Error),
        Some("warning") => Ok(Severity::Warning),
        Some("info") => Ok(Severity::Info),
        _ => anyhow::bail!(
            "{}: a severity is `error`, `warning` or `info`",
            place(name, node)
        ),
    }
}

/// The choice the configuration file makes, and its `fail-on`.
fn read(path: &Path) -> anyhow::Result<(Choice, Option<FailOn>)> {
    let name = path.display().to_string();
    let text = input::read_text(path, &name, Kind::ConfigFile)?;
    let mut sources = Sources::new();
    let id: SourceId = sources.add(name.clone(), text.clone(), SourceOrigin::ValuesFile);
    let docs = parse_named(id, &name, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut choice = Choice {
        inline: true,
        ..Choice::default()
    };
    let mut fail_on = None;
    let Some(root) = docs.into_iter().find(|d| d.value != Value::Null) else {
        return Ok((choice, None));
    };
    let Value::Map(entries) = &root.value else {
        anyhow::bail!(
            "{name}: the configuration must be a map (`select`, `ignore`, `severity`, `fail-on`)"
        );
    };
    for entry in entries {
        match entry.key.as_str() {
            "select" => choice.select = rule_list(&name, "select", &entry.node)?.into_iter().collect(),
            "ignore" => {
                for id in rule_list(&name, "ignore", &entry.node)? {
                    choice.ignore.insert(id, name.clone());
                }
            }
            "severity" => {
                let Value::Map(rules) = &entry.node.value else {
                    anyhow::bail!("{}: `severity` must map rule IDs to `error`, `warning` or `info`", place(&name, &entry.node));
                };
                for rule in rules {
                    let id = known(&rule.key, &place(&name, &rule.node))?;
                    choice.severity.insert(id, severity(&name, &rule.node)?);
                }
            }
            "fail-on" => {
                fail_on = Some(match entry.node.as_str() {
                    Some("error") => FailOn::Error,
                    Some("warning") => FailOn::Warning,
                    Some("never") => FailOn::Never,
                    _ => anyhow::bail!("{}: `fail-on` is `error`, `warning` or `never`", place(&name, &entry.node)),
                });
            }
            other => anyhow::bail!(
                "{}: unknown key `{other}` (the configuration has `select`, `ignore`, `severity`, `fail-on`)",
                place(&name, &entry.node)
            ),
        }
    }
    Ok((choice, fail_on))
}

/// The flags over the configuration file: `--select` replaces the file's `select`, `--ignore`
/// adds to its `ignore`, `--fail-on` wins over its `fail-on`, which wins over `default`.
pub(crate) fn resolve(
    args: &RuleArgs,
    fail_on: Option<FailOn>,
    default: FailOn,
) -> anyhow::Result<(Choice, FailOn)> {
    let (mut choice, file_fail_on) = match find(args)? {
        Some(path) => {
            let (choice, fail_on) = read(&path)?;
            crate::note!("note: rule choices from {}", path.display());
            (choice, fail_on)
        }
        None => (
            Choice {
                inline: true,
                ..Choice::default()
            },
            None,
        ),
    };
    if !args.select.is_empty() {
        choice.select = args
            .select
            .iter()
            .map(|id| known(id, "--select"))
            .collect::<Result<_, _>>()?;
    }
    for id in &args.ignore {
        choice
            .ignore
            .insert(known(id, "--ignore")?, "--ignore".into());
    }
    Ok((choice, fail_on.or(file_fail_on).unwrap_or(default)))
}
