//! Rollback files: what `keys reset` and `keys rotate` replaced, in a form both Helm and
//! `keys rollback` can use.
//!
//! A rollback file is a Helm values overlay holding the old values of every edited field
//! (`helm upgrade -f values.yaml -f values.rollback.yaml` restores them), preceded by a comment
//! header. The metadata lives in YAML comments, so Helm never sees it: the values file's path,
//! its SHA-256 before and after the edit, the time, the tool version, and the reverse edits
//! (byte ranges of the edited file and the bytes they replaced, base64) that give the original
//! file back byte for byte while it is unchanged. Text in, text out: the commands do the I/O.

use std::fmt::Write as _;

use base64::Engine as _;

use super::edit::{double_quoted, literal_ok, render_key, DocPath, Edit, Seg};
use super::{parse_documents, Node, SourceId, Value};

/// The first metadata line; marks a file as a rollback file of this format version.
const MAGIC: &str = "harbor-upgrade-rollback: 1";

/// Everything a rollback file records besides the old values.
#[derive(Clone, PartialEq, Eq)]
pub struct RollbackMeta {
    /// The command that made the edit (`keys reset`).
    pub command: String,
    /// Absolute path of the edited values file.
    pub values_file: String,
    /// Lowercase hex SHA-256 of the values file before the edit.
    pub sha256_before: String,
    /// Lowercase hex SHA-256 of the values file after the edit.
    pub sha256_after: String,
    /// When the edit was made (RFC 3339).
    pub time: String,
    /// `harbor-upgrade 0.1.0`.
    pub tool: String,
    /// `--values-root` of the edit, if any: the overlay's paths start with it.
    pub values_root: Option<String>,
    /// Where the values sit in the edited file when it is not plain values (`spec.values` of a
    /// Flux `HelmRelease` …), for the header's advice.
    pub values_at: Option<String>,
    /// Edits that turn the edited file back into the original, in the edited file's
    /// coordinates. They hold secrets.
    pub reverse: Vec<Edit>,
}

impl std::fmt::Debug for RollbackMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RollbackMeta")
            .field("command", &self.command)
            .field("values_file", &self.values_file)
            .field("sha256_before", &self.sha256_before)
            .field("sha256_after", &self.sha256_after)
            .field("reverse", &self.reverse)
            .finish_non_exhaustive()
    }
}

/// Why a text is not a usable rollback file (never quotes its content).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollbackError {
    /// The metadata header is missing.
    #[error("not a harbor-upgrade rollback file (no `{MAGIC}` line in its comment header)")]
    NotARollbackFile,
    /// A metadata line is missing or malformed.
    #[error("rollback file metadata: {reason}")]
    Metadata {
        /// What is wrong.
        reason: String,
    },
    /// The overlay part is not valid YAML or not a map.
    #[error("rollback file values: {reason}")]
    Values {
        /// What is wrong.
        reason: String,
    },
}

/// A parsed rollback file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollback {
    /// The metadata.
    pub meta: RollbackMeta,
    /// The old values: paths as Helm sees them (with the values root, if any) and values.
    pub values: Vec<(DocPath, Value)>,
}

/// Writes a rollback file: header, metadata, then the old values as a Helm overlay.
///
/// `values` are paths as Helm sees them and the values they had; for a path set twice the
/// last one wins.
pub fn render_rollback(meta: &RollbackMeta, values: &[(DocPath, Value)]) -> String {
    let mut out = String::new();
    let file = &meta.values_file;
    let name = std::path::Path::new(file)
        .file_name()
        .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
    let _ = writeln!(
        out,
        "# Rollback file written by `harbor-upgrade {}`: the values it replaced in\n# {file}\n# as a Helm values overlay.\n#",
        meta.command
    );
    out.push_str("# Put them back into the values file (byte for byte while it is unchanged):\n");
    out.push_str("#   harbor-upgrade keys rollback THIS_FILE\n");
    let _ = writeln!(
        out,
        "# (kept in another directory than {name}: add `--values {file}`)"
    );
    out.push_str("# or apply them on top of the edited file at deploy time:\n");
    let _ = writeln!(
        out,
        "#   helm upgrade RELEASE harbor/harbor -f {name} -f THIS_FILE"
    );
    if let Some(at) = &meta.values_at {
        let _ = writeln!(
            out,
            "# ({name} keeps Harbor's values under `{at}`: these go there, or into a `valuesFrom` source.)"
        );
    }
    out.push_str(
        "#\n# It holds secrets: keep it private, out of version control, and delete it once the\n",
    );
    out.push_str(
        "# upgrade works. The lines below are metadata for `harbor-upgrade keys rollback`.\n#\n",
    );
    let _ = writeln!(out, "# {MAGIC}");
    let _ = writeln!(out, "# command: {}", meta.command);
    let _ = writeln!(out, "# values-file: {file}");
    let _ = writeln!(out, "# sha256-before: {}", meta.sha256_before);
    let _ = writeln!(out, "# sha256-after: {}", meta.sha256_after);
    let _ = writeln!(out, "# time: {}", meta.time);
    let _ = writeln!(out, "# tool: {}", meta.tool);
    if let Some(root) = &meta.values_root {
        let _ = writeln!(out, "# values-root: {root}");
    }
    if let Some(at) = &meta.values_at {
        let _ = writeln!(out, "# values-at: {at}");
    }
    for edit in &meta.reverse {
        let _ = writeln!(
            out,
            "# reverse-edit: {} {}",
            edit.range.start, edit.range.end
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(edit.replacement.as_bytes());
        for chunk in b64.as_bytes().chunks(76) {
            let _ = writeln!(out, "#   {}", String::from_utf8_lossy(chunk));
        }
    }
    out.push_str(&render_overlay(values));
    out
}

/// The old values as a YAML map in block style (`{}` when there are none).
fn render_overlay(values: &[(DocPath, Value)]) -> String {
    // A small ordered tree: children in first-seen order, the last value wins.
    #[derive(Default)]
    struct Tree {
        children: Vec<(String, Tree)>,
        value: Option<Value>,
    }
    fn insert(tree: &mut Tree, keys: &[String], value: &Value) {
        let Some((first, rest)) = keys.split_first() else {
            tree.value = Some(value.clone());
            return;
        };
        let at = if let Some(at) = tree.children.iter().position(|(k, _)| k == first) {
            at
        } else {
            tree.children.push((first.clone(), Tree::default()));
            tree.children.len() - 1
        };
        insert(&mut tree.children[at].1, rest, value);
    }
    fn emit(tree: &Tree, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        for (key, child) in &tree.children {
            let key = render_key(key);
            match &child.value {
                Some(value) if child.children.is_empty() => {
                    let _ = write!(out, "{pad}{key}:");
                    match value {
                        Value::String(s) if s.contains('\n') && literal_fits(s) => {
                            let header = if s.ends_with('\n') { "|" } else { "|-" };
                            let _ = writeln!(out, " {header}");
                            for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                                if line.is_empty() {
                                    out.push('\n');
                                } else {
                                    let _ = writeln!(out, "{pad}  {line}");
                                }
                            }
                        }
                        Value::String(s) => {
                            let _ = writeln!(out, " {}", double_quoted(s));
                        }
                        Value::Number(n) => {
                            let _ = writeln!(out, " {n}");
                        }
                        Value::Bool(b) => {
                            let _ = writeln!(out, " {b}");
                        }
                        _ => out.push_str(" \"\"\n"),
                    }
                }
                _ => {
                    let _ = writeln!(out, "{pad}{key}:");
                    emit(child, indent + 2, out);
                }
            }
        }
    }
    let mut tree = Tree::default();
    for (path, value) in values {
        let keys: Vec<String> = path
            .0
            .iter()
            .map(|s| match s {
                Seg::Key(k) => k.clone(),
                Seg::Index(i) => i.to_string(),
            })
            .collect();
        insert(&mut tree, &keys, value);
    }
    if tree.children.is_empty() {
        return "{}\n".to_string();
    }
    let mut out = String::new();
    emit(&tree, 0, &mut out);
    out
}

fn literal_fits(s: &str) -> bool {
    literal_ok(s)
}

/// Reads a rollback file.
pub fn parse_rollback(text: &str) -> Result<Rollback, RollbackError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut reverse: Vec<(usize, usize, String)> = Vec::new();
    let mut seen_magic = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        if comment.trim() == MAGIC {
            seen_magic = true;
            continue;
        }
        if !seen_magic {
            continue;
        }
        if let Some(chunk) = comment.strip_prefix("   ") {
            let Some(last) = reverse.last_mut() else {
                return Err(meta_err("base64 line before any `reverse-edit`"));
            };
            last.2.push_str(chunk.trim());
            continue;
        }
        let Some((key, value)) = comment.trim().split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        if key == "reverse-edit" {
            let mut parts = value.split_whitespace().map(str::parse::<usize>);
            match (parts.next(), parts.next(), parts.next()) {
                (Some(Ok(start)), Some(Ok(end)), None) if start <= end => {
                    reverse.push((start, end, String::new()));
                }
                _ => return Err(meta_err("malformed `reverse-edit` line")),
            }
        } else {
            fields.push((key.to_string(), value));
        }
    }
    if !seen_magic {
        return Err(RollbackError::NotARollbackFile);
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let need = |name: &str| field(name).ok_or_else(|| meta_err(&format!("no `{name}` line")));
    let hex = |name: &str| -> Result<String, RollbackError> {
        let v = need(name)?;
        if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(v.to_ascii_lowercase())
        } else {
            Err(meta_err(&format!("`{name}` is not a SHA-256")))
        }
    };
    let mut edits = Vec::new();
    for (start, end, b64) in reverse {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| meta_err("a `reverse-edit` is not valid base64"))?;
        let replacement =
            String::from_utf8(bytes).map_err(|_| meta_err("a `reverse-edit` is not text"))?;
        edits.push(Edit {
            range: start..end,
            replacement,
        });
    }
    let meta = RollbackMeta {
        command: field("command").unwrap_or_default(),
        values_file: need("values-file")?,
        sha256_before: hex("sha256-before")?,
        sha256_after: hex("sha256-after")?,
        time: field("time").unwrap_or_default(),
        tool: field("tool").unwrap_or_default(),
        values_root: field("values-root"),
        values_at: field("values-at"),
        reverse: edits,
    };
    let docs = parse_documents(SourceId(0), text).map_err(|e| RollbackError::Values {
        reason: e.to_string(),
    })?;
    let mut values = Vec::new();
    for doc in &docs {
        match &doc.value {
            Value::Map(_) => leaves(doc, &mut Vec::new(), &mut values),
            Value::Null => {}
            _ => {
                return Err(RollbackError::Values {
                    reason: format!("must be a map, found a {}", doc.type_name()),
                })
            }
        }
    }
    Ok(Rollback { meta, values })
}

fn meta_err(reason: &str) -> RollbackError {
    RollbackError::Metadata {
        reason: reason.to_string(),
    }
}

fn leaves(node: &Node, path: &mut Vec<Seg>, out: &mut Vec<(DocPath, Value)>) {
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                path.push(Seg::Key(e.key.clone()));
                leaves(&e.node, path, out);
                path.pop();
            }
        }
        Value::Seq(_) => {}
        v => out.push((DocPath(path.clone()), v.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> RollbackMeta {
        RollbackMeta {
            command: "keys reset".into(),
            values_file: "/tmp/x/values.yaml".into(),
            sha256_before: "a".repeat(64),
            sha256_after: "b".repeat(64),
            time: "2030-01-01T00:00:00Z".into(),
            tool: "harbor-upgrade 0.1.0".into(),
            values_root: Some("harbor".into()),
            values_at: None,
            reverse: vec![
                Edit {
                    range: 10..12,
                    replacement: "|\n    -----BEGIN X-----\n".repeat(20),
                },
                Edit {
                    range: 40..42,
                    replacement: "\"abc\"".into(),
                },
            ],
        }
    }

    #[test]
    fn round_trips() {
        let values = vec![
            (
                DocPath::keys("harbor.core.tokenKey"),
                Value::String("-----BEGIN X-----\nAAAA\n-----END X-----\n".into()),
            ),
            (
                DocPath::keys("harbor.core.secret"),
                Value::String("0123456789abcdef".into()),
            ),
            (
                DocPath::keys("harbor.registry.secret"),
                Value::Number("1234".into()),
            ),
        ];
        let text = render_rollback(&meta(), &values);
        assert!(text.contains("harbor:\n  core:\n    tokenKey: |\n      -----BEGIN X-----\n"));
        let parsed = parse_rollback(&text).unwrap();
        assert_eq!(parsed.meta, meta());
        assert_eq!(parsed.values, values);
    }

    #[test]
    fn empty_overlay_is_an_empty_map() {
        let text = render_rollback(&meta(), &[]);
        assert!(text.ends_with("\n{}\n"));
        assert!(parse_rollback(&text).unwrap().values.is_empty());
    }

    #[test]
    fn other_files_are_refused() {
        assert_eq!(
            parse_rollback("core:\n  secret: x\n"),
            Err(RollbackError::NotARollbackFile)
        );
        let text = render_rollback(&meta(), &[]).replace("sha256-after", "sha256-afterx");
        assert!(matches!(
            parse_rollback(&text),
            Err(RollbackError::Metadata { .. })
        ));
    }
}
