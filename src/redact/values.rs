//! Secret ranges of a values tree: by the credential catalogue (`secretKey`, `core.tokenKey`,
//! …), by key name anywhere (`*password*`, `passphrase`, `accessKey`), by an environment
//! variable entry whose name is a secret's (`{name: DB_PASSWORD, value: …}`), and by the shape
//! of the value itself (credentials in a URL, `password=` inside a string, JWTs, base64 blobs).
//!
//! Values files, Flux `HelmRelease` and Argo CD `Application` documents (including
//! `helm.values` held as one string), `--set`, `--set-string` and `--set-file` all go through
//! [`redact_tree`] before and after they are merged, so that a value another source replaces is
//! still masked where it is written.

use std::collections::HashSet;

use crate::checks::fields::{credential_field, looks_secret, FieldKind};
use crate::values::{Node, Sources, Span, Value};

/// Whether a key name, anywhere in the values, holds a secret.
pub fn secret_key_name(key: &str) -> bool {
    if looks_secret(key) {
        return true;
    }
    let lower = key.to_ascii_lowercase();
    ["passphrase", "pwd", "cookie", "dsn"]
        .iter()
        .any(|w| lower.contains(w))
        && !lower.ends_with("name")
        && !lower.ends_with("file")
        && !lower.ends_with("path")
}

/// Whether a path of the Harbor values is a secret by the catalogue (certificates are public).
pub fn catalogued(path: &str) -> Option<bool> {
    credential_field(path).map(|f| f.kind != FieldKind::TokenCert)
}

/// Whether a map is an environment variable entry whose value is a secret:
/// `{name: REGISTRY_PASSWORD, value: …}` (the chart's `extraEnvVars`).
pub fn is_secret_env_entry(node: &Node) -> bool {
    node.get("value").is_some()
        && node
            .get("name")
            .and_then(Node::as_str)
            .is_some_and(|name| super::is_secret_key(name) || secret_key_name(name))
}

/// Whether a value's text has the shape of a secret by the line rule (a URL with a password,
/// `password=x`, a JWT, a long base64 blob).
pub fn shape_is_secret(value: &str) -> bool {
    value
        .split('\n')
        .any(|l| !super::secret_ranges(l).is_empty())
}

/// Marks every secret range of the values tree `node` (at dotted `path`, `""` for the root)
/// in `sources`.
pub fn redact_tree(node: &Node, path: &str, sources: &mut Sources) {
    for span in secret_spans(node, path, sources) {
        sources.redact(span);
    }
}

/// The secret ranges of the values tree `node` (at dotted `path`), for [`Sources::redact`].
pub fn secret_spans(node: &Node, path: &str, sources: &Sources) -> Vec<Span> {
    let mut walker = Walker {
        sources,
        marks: Vec::new(),
        scanned: HashSet::new(),
    };
    walker.walk(node, path, false);
    walker.marks
}

struct Walker<'a> {
    sources: &'a Sources,
    marks: Vec<Span>,
    /// Written texts already judged by shape: the scalars of an Argo CD `helm.values` string
    /// without an exact position mapping all share the string's span, scanned once.
    scanned: HashSet<(usize, usize, usize)>,
}

impl Walker<'_> {
    fn walk(&mut self, node: &Node, path: &str, secret: bool) {
        match &node.value {
            Value::Map(entries) => {
                let env = !secret && is_secret_env_entry(node);
                for entry in entries {
                    let child = if path.is_empty() {
                        entry.key.clone()
                    } else {
                        format!("{path}.{}", entry.key)
                    };
                    let secret = secret
                        || (env && entry.key == "value")
                        || catalogued(&child).unwrap_or_else(|| secret_key_name(&entry.key));
                    self.walk(&entry.node, &child, secret);
                }
            }
            Value::Seq(items) => {
                for item in items {
                    self.walk(item, path, secret);
                }
            }
            _ => {
                let Some(span) = node.span else { return };
                if secret {
                    self.marks.push(span);
                } else if self.scanned.insert((span.source.0, span.start, span.end)) {
                    self.shape(span);
                }
            }
        }
    }

    /// The secret-shaped ranges of a scalar's written text.
    fn shape(&mut self, span: Span) {
        let Some((_, file)) = self.sources.iter().nth(span.source.0) else {
            return;
        };
        let Some(raw) = file.text.get(span.start..span.end) else {
            return;
        };
        let mut at = span.start;
        for line in raw.split('\n') {
            for r in super::secret_ranges(line) {
                self.marks.push(Span {
                    start: at + r.start,
                    end: at + r.end,
                    ..span
                });
            }
            at += line.len() + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{parse_documents, SourceOrigin};

    fn redacted(text: &str) -> Vec<String> {
        let mut sources = Sources::new();
        let id = sources.add("v.yaml", text, SourceOrigin::ValuesFile);
        let doc = parse_documents(id, text).unwrap().remove(0);
        redact_tree(&doc, "", &mut sources);
        sources
            .redactions(id)
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
    }

    #[test]
    fn catalogue_key_name_env_entry_and_shape() {
        let got = redacted(
            "secretKey: abcdefghijklmnop\ncore:\n  tokenCert: CERT\n  extraEnvVars:\n  - name: MY_PASSWORD\n    value: envpw\n  - name: LOG_LEVEL\n    value: debug\n  passphrase: phrase\n  url: postgres://u:dsnpw@db/x\n",
        );
        assert!(got.contains(&"abcdefghijklmnop".to_string()), "{got:?}");
        assert!(got.contains(&"envpw".to_string()), "{got:?}");
        assert!(got.contains(&"phrase".to_string()), "{got:?}");
        assert!(got.contains(&"dsnpw".to_string()), "{got:?}");
        assert!(!got.iter().any(|g| g == "CERT" || g == "debug"), "{got:?}");
    }
}
