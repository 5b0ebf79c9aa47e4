//! The set of values keys one chart's `values.yaml` declares.
//!
//! A key is *active* when it is a real mapping key of the parsed file and *commented* when it is
//! only written as `# key: …` but read by the templates (`existingSecretAdminPassword` in
//! 1.12.0–1.17.4, the S3 credentials, `caBundleSecretName` …). Both count as valid keys.
//!
//! Commented keys are found by scanning comment lines rather than kept in a hand-written list:
//! the chart documents every optional key that way, and the scan keeps working for a chart this
//! tool has never seen (`--chart`). To tell keys from prose and examples, a comment counts only
//! when it reads `# key:` with a lowercase identifier, sits exactly at the indentation of its
//! parent's children (and not above a deeper key), is not inside a commented list item (`# - name: …` and its continuation
//! lines), and is the first level of its comment block (the lines nested under a commented key
//! are that key's example value, e.g. `# resources:` / `#   requests:`).
//!
//! Free-form maps ("open" keys) end the walk: their children are user data (annotations, labels,
//! resources …), not chart keys.

use std::collections::BTreeMap;

use crate::values::{parse_documents, Error, Node, SourceId, Value};

/// Whether a key is a real key of the file or only a documented comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Presence {
    /// A mapping key of the parsed `values.yaml`.
    Active,
    /// Written only as `# key: …` in `values.yaml`, read by the templates.
    Commented,
}

/// One key of one chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyState {
    /// Active or commented.
    pub presence: Presence,
    /// A free-form map: the chart passes its children through (`toYaml`), so they are not keys.
    pub open: bool,
}

/// The keys one `values.yaml` declares, by dotted path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValuesKeys {
    /// Every key, active or commented.
    pub keys: BTreeMap<String, KeyState>,
    /// Scalar defaults of the active keys, as Helm sees them (`None` for `null`).
    pub defaults: BTreeMap<String, Option<String>>,
}

/// Last path segments whose maps are Kubernetes objects passed through by the templates even
/// though the chart fills in an example (`trivy.resources`, `containerSecurityContext`).
const NAMED_OPEN: &[&str] = &["resources", "containerSecurityContext"];

impl ValuesKeys {
    /// The state of a key.
    pub fn get(&self, path: &str) -> Option<KeyState> {
        self.keys.get(path).copied()
    }
}

/// Whether the children of a map value are free-form: empty by default, named like a
/// Kubernetes pass-through object, or keyed by annotation-like names (`a.b/c`).
pub fn is_open_map(path: &str, node: &Node) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    match &node.value {
        Value::Map(entries) => {
            entries.is_empty()
                || NAMED_OPEN.contains(&last)
                || entries.iter().any(|e| e.key.contains(['.', '/']))
        }
        _ => false,
    }
}

/// Where an active key is written: line, indentation and path.
struct KeyLine {
    indent: usize,
    path: String,
    /// The key's value is a free-form map or a list: comments below it are its examples.
    closed: bool,
}

/// Reads the keys of one `values.yaml` text; `name` is used in error messages.
pub fn extract(text: &str) -> Result<ValuesKeys, Error> {
    let docs = parse_documents(SourceId(0), text)?;
    let mut out = ValuesKeys::default();
    // Active keys by the line they start on (the first key of a line wins: flow maps).
    let mut lines: BTreeMap<usize, KeyLine> = BTreeMap::new();
    if let Some(root) = docs.first() {
        walk(root, "", &mut out, &mut lines);
    }
    scan_comments(text, &lines, &mut out);
    Ok(out)
}

fn walk(node: &Node, prefix: &str, out: &mut ValuesKeys, lines: &mut BTreeMap<usize, KeyLine>) {
    let Value::Map(entries) = &node.value else {
        return;
    };
    for entry in entries {
        let path = if prefix.is_empty() {
            entry.key.clone()
        } else {
            format!("{prefix}.{}", entry.key)
        };
        let open = is_open_map(&path, &entry.node);
        let closed = open || matches!(entry.node.value, Value::Seq(_));
        if let Some(span) = entry.key_span {
            lines.entry(span.line).or_insert_with(|| KeyLine {
                indent: span.column.saturating_sub(1),
                path: path.clone(),
                closed,
            });
        }
        out.keys.insert(
            path.clone(),
            KeyState {
                presence: Presence::Active,
                open,
            },
        );
        match &entry.node.value {
            Value::Map(_) if !open => walk(&entry.node, &path, out, lines),
            Value::Map(_) | Value::Seq(_) => {}
            Value::Null => {
                out.defaults.insert(path, None);
            }
            Value::Bool(b) => {
                out.defaults.insert(path, Some(b.to_string()));
            }
            Value::Number(s) | Value::String(s) => {
                out.defaults.insert(path, Some(s.clone()));
            }
        }
    }
}

/// A frame of the indentation stack while scanning lines.
struct Frame<'a> {
    indent: usize,
    path: &'a str,
    closed: bool,
    /// The indentation of the first active child seen so far.
    child_indent: Option<usize>,
}

/// State of the current run of consecutive comment lines.
#[derive(Default)]
struct CommentBlock {
    /// Key column of the first-level commented key of this block.
    key_column: Option<usize>,
    /// Column of the `-` of the commented list item being continued.
    list_dash: Option<usize>,
}

fn scan_comments(text: &str, lines: &BTreeMap<usize, KeyLine>, out: &mut ValuesKeys) {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut block = CommentBlock::default();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(key) = lines.get(&number) {
            while stack.last().is_some_and(|f| f.indent >= key.indent) {
                stack.pop();
            }
            if let Some(parent) = stack.last_mut() {
                parent.child_indent.get_or_insert(key.indent);
            }
            stack.push(Frame {
                indent: key.indent,
                path: &key.path,
                closed: key.closed,
                child_indent: None,
            });
            block = CommentBlock::default();
            continue;
        }
        let trimmed = line.trim_start();
        let Some(after_hash) = trimmed.strip_prefix('#') else {
            // Blank lines and non-key lines (list items, block scalar text) end a comment block.
            block = CommentBlock::default();
            continue;
        };
        let hash_column = line.len() - trimmed.len();
        let body = after_hash.trim_start_matches(' ');
        let body_column = hash_column + 1 + (after_hash.len() - body.len());
        if body.starts_with("- ") || body == "-" {
            block.list_dash = Some(body_column);
            continue;
        }
        let Some(key) = commented_key(body) else {
            continue;
        };
        if block.list_dash.is_some_and(|dash| body_column >= dash) {
            continue;
        }
        block.list_dash = None;
        match block.key_column {
            Some(column) if body_column > column => continue,
            _ => block.key_column = Some(body_column),
        }
        // The parent is the nearest active key indented less than the `#`.
        let parent = stack.iter().rev().find(|f| f.indent < hash_column);
        let (prefix, expected) = match parent {
            Some(f) if f.closed => continue,
            Some(f) => (f.path, f.child_indent.unwrap_or(hash_column)),
            None => ("", 0),
        };
        // A comment at a shallower column than the key after it sits inside that block (the
        // chart's own `# resources:` at column 0 under `exporter:` in 1.4–1.9): not a key.
        let next_indent = lines.range(number + 1..).next().map(|(_, k)| k.indent);
        if hash_column != expected || next_indent.is_some_and(|i| i > hash_column) {
            continue;
        }
        let path = if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        };
        out.keys.entry(path).or_insert(KeyState {
            presence: Presence::Commented,
            open: false,
        });
    }
}

/// Adds the keys a template reads that `values.yaml` neither sets nor documents, as
/// [`Presence::Commented`]: `.Values.core.gcTimeWindowHours` behind `hasKey .Values.core
/// "gcTimeWindowHours"` (1.5.0 and later), `.Values.core.resources` in 1.4.x, whose example sits
/// at column 0 where the comment scan cannot place it. A reference counts only when its parent
/// is a key of the chart (or the root) and no ancestor is a free-form map; references to a key
/// that moved ([`super::behaviour::renamed_to`]) are leftovers, not keys.
pub fn add_template_reads(keys: &mut ValuesKeys, template: &str) {
    for path in template_references(template) {
        if keys.keys.contains_key(&path) || super::behaviour::renamed_to(&path).is_some() {
            continue;
        }
        let mut ancestors = path.match_indices('.').map(|(i, _)| &path[..i]);
        let inside_known = ancestors.all(|a| keys.get(a).is_some_and(|k| !k.open));
        if !inside_known {
            continue;
        }
        let last = path.rsplit('.').next().unwrap_or(&path);
        keys.keys.insert(
            path.clone(),
            KeyState {
                presence: Presence::Commented,
                open: NAMED_OPEN.contains(&last),
            },
        );
    }
}

/// The dotted paths a template reads: `.Values.a.b` (also `$.Values.a.b`), and `a.b.c` of
/// `hasKey .Values.a.b "c"`.
fn template_references(template: &str) -> Vec<String> {
    const MARK: &str = ".Values.";
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for (start, _) in template.match_indices(MARK) {
        let rest = &template[start + MARK.len()..];
        let end = rest
            .char_indices()
            .find(|&(i, c)| !(is_ident(c) || (c == '.' && rest[i + 1..].starts_with(is_ident))))
            .map_or(rest.len(), |(i, _)| i);
        let path = &rest[..end];
        if path.is_empty() {
            continue;
        }
        out.push(path.to_string());
        let has_key = template[..start]
            .trim_end_matches('$')
            .trim_end()
            .ends_with("hasKey");
        if has_key {
            let after = rest[end..].trim_start();
            if let Some(quoted) = after.strip_prefix('"') {
                let key: String = quoted.chars().take_while(|&c| is_ident(c)).collect();
                if !key.is_empty() && quoted[key.len()..].starts_with('"') {
                    out.push(format!("{path}.{key}"));
                }
            }
        }
    }
    out
}

/// `key` from `key: …` or `key:` when `key` is a lowercase-initial identifier (prose such as
/// `Note:` or `Example:` starts with a capital).
fn commented_key(body: &str) -> Option<&str> {
    let (key, rest) = body.split_once(':')?;
    let mut chars = key.chars();
    let first = chars.next()?;
    let identifier = (first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (identifier && (rest.is_empty() || rest.starts_with(' '))).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# Note: prose is not a key
expose:
  type: ingress
  # Example:
  #
  # - name: wait
  #   image: busybox
  ingress:
    annotations:
      nginx.ingress.kubernetes.io/proxy-body-size: \"0\"
    # caBundleSecretName:
persistence:
  imageChartStorage:
    s3:
      region: us-west-1
      #accesskey: awsaccesskey
      #secretkey: awssecretkey
core:
  replicas: 1
  # resources:
  #  requests:
  #    memory: 256Mi
  topologySpreadConstraints: []
  # - maxSkew: 1
  #   topologyKey: topology.kubernetes.io/zone
  tokenKey: |
# existingSecretAdminPassword:
existingSecretAdminPasswordKey: HARBOR_ADMIN_PASSWORD
";

    #[test]
    fn keys_only_templates_read_are_added_as_commented() {
        let mut keys =
            extract("core:\n  replicas: 1\n  podAnnotations: {}\njobservice:\n  jobLoggers: []\n")
                .unwrap();
        add_template_reads(
            &mut keys,
            "{{- if hasKey .Values.core \"gcTimeWindowHours\" }}\n  GC: \"{{ .Values.core.gcTimeWindowHours }}\"\n\
             {{ toYaml $.Values.core.resources | indent 10 }}\n{{ .Values.core.podAnnotations.foo }}\n\
             {{ .Values.nosuch.key }} {{ .Values.nameOverride }} {{ has \"file\" .Values.jobservice.jobLogger }}",
        );
        let state = |p: &str| keys.get(p).map(|k| (k.presence, k.open));
        assert_eq!(
            state("core.gcTimeWindowHours"),
            Some((Presence::Commented, false))
        );
        assert_eq!(state("core.resources"), Some((Presence::Commented, true)));
        assert_eq!(state("nameOverride"), Some((Presence::Commented, false)));
        assert_eq!(state("core.replicas"), Some((Presence::Active, false)));
        // Inside a free-form map, below an unknown key, or a renamed key's leftover: not keys.
        for p in [
            "core.podAnnotations.foo",
            "nosuch.key",
            "nosuch",
            "jobservice.jobLogger",
        ] {
            assert_eq!(state(p), None, "{p}");
        }
    }

    #[test]
    fn active_commented_and_open_keys() {
        let keys = extract(SAMPLE).unwrap();
        let commented: Vec<&str> = keys
            .keys
            .iter()
            .filter(|(_, s)| s.presence == Presence::Commented)
            .map(|(p, _)| p.as_str())
            .collect();
        assert_eq!(
            commented,
            vec![
                "core.resources",
                "existingSecretAdminPassword",
                "expose.ingress.caBundleSecretName",
                "persistence.imageChartStorage.s3.accesskey",
                "persistence.imageChartStorage.s3.secretkey",
            ]
        );
        assert!(keys.get("expose.ingress.annotations").unwrap().open);
        assert!(keys
            .get("expose.ingress.annotations.nginx.ingress.kubernetes.io/proxy-body-size")
            .is_none());
        assert_eq!(keys.defaults["core.replicas"].as_deref(), Some("1"));
        assert_eq!(keys.defaults["core.tokenKey"].as_deref(), Some(""));
        assert!(keys.get("core.topologyKey").is_none());
    }
}
