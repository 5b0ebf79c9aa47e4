//! Format-preserving edits of values files: byte-range replacements on the original text, never
//! a re-serialisation.
//!
//! An edit replaces the bytes of one scalar (or inserts one `key: value` entry where the key is
//! missing) and leaves every other byte alone: comments, key order, indentation, blank lines,
//! quoting of other keys, anchors, CRLF line endings, a byte order mark and a missing final line
//! break all survive. New text uses the file's own line endings and indentation.
//!
//! Every call of [`edit`] re-parses its result and compares it with the original tree with the
//! requested changes applied: if anything else differs (an anchored value that is also aliased
//! elsewhere, a `|+` block that would swallow a neighbour's blank line …) the edit is refused.
//! [`reverse_edits`] gives the edits that turn the result back into the original bytes, which
//! is what a rollback file records.
//!
//! Paths are absolute inside one document of a stream; [`values_roots`] says where the Harbor
//! values sit in each document (the document itself, `spec.values` of a Flux `HelmRelease`,
//! `spec.source.helm.valuesObject` of an Argo CD `Application`, or a `--values-root` key).

use std::fmt;
use std::ops::Range;

use super::doc_kind::{chart_name, is_argo_application, is_flux_release};
use super::yaml::resolve_plain;
use super::{parse_documents, Entry, Node, ScalarStyle, SourceId, Value};

/// One step of a path inside a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A path inside a document, printed as `spec.values.core.tokenKey` or `spec.sources[1].helm`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DocPath(pub Vec<Seg>);

impl DocPath {
    /// The path of dotted keys (`core.tokenKey`); an empty string is the document root.
    #[must_use]
    pub fn keys(dotted: &str) -> Self {
        DocPath(
            dotted
                .split('.')
                .filter(|k| !k.is_empty())
                .map(|k| Seg::Key(k.to_string()))
                .collect(),
        )
    }

    /// This path followed by `rest`.
    #[must_use]
    pub fn join(&self, rest: &DocPath) -> Self {
        let mut segs = self.0.clone();
        segs.extend(rest.0.iter().cloned());
        DocPath(segs)
    }

    /// The path with `prefix` removed, if it starts with it.
    pub fn strip_prefix(&self, prefix: &DocPath) -> Option<DocPath> {
        self.0
            .strip_prefix(prefix.0.as_slice())
            .map(|rest| DocPath(rest.to_vec()))
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<root>");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Why an edit was not made. Messages name paths and positions, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The text to edit is not valid YAML.
    #[error("{line}:{column}: invalid YAML: {message}")]
    Parse {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// A change names a document the stream does not have.
    #[error("the file has no YAML document #{doc}")]
    NoDocument {
        /// 0-based document index.
        doc: usize,
    },
    /// A sequence index on the path does not exist.
    #[error("`{path}` does not exist")]
    NotFound {
        /// The path up to the missing step.
        path: DocPath,
    },
    /// The value at the path is a map or a list.
    #[error("{line}:{column}: `{path}` is a {found}, not a single value")]
    NotAScalar {
        /// The path.
        path: DocPath,
        /// 1-based line of the value.
        line: usize,
        /// 1-based column of the value.
        column: usize,
        /// `map` or `list`.
        found: &'static str,
    },
    /// A step of the path is a scalar or list, so no key can be added under it.
    #[error("{line}:{column}: `{path}` is a {found}, not a map")]
    NotAMap {
        /// The path of the offending node.
        path: DocPath,
        /// 1-based line of the node.
        line: usize,
        /// 1-based column of the node.
        column: usize,
        /// What it is instead.
        found: &'static str,
    },
    /// The value is an alias (`*name`) or comes from a merge key: editing it would edit the
    /// anchored value too.
    #[error("{line}:{column}: `{path}` is an alias of an anchored value; edit the anchor by hand")]
    Alias {
        /// The path.
        path: DocPath,
        /// 1-based line of the key.
        line: usize,
        /// 1-based column of the key.
        column: usize,
    },
    /// Argo CD `helm.values` holds the values as one YAML string.
    #[error("`{path}` holds the values as one embedded string; convert it to `valuesObject` or edit it by hand")]
    EmbeddedValues {
        /// Where the string is.
        path: DocPath,
    },
    /// `--values-root` names a key no plain document has.
    #[error("no document has the values root `{key}`")]
    ValuesRoot {
        /// The dotted key.
        key: String,
    },
    /// The values of a document are not a map.
    #[error("document #{doc}: values must be a map, found a {found}")]
    ValuesNotAMap {
        /// 0-based document index.
        doc: usize,
        /// What was found.
        found: &'static str,
    },
    /// Only scalars can be written.
    #[error("`{path}`: only single values can be written, not a {found}")]
    UnsupportedValue {
        /// The path.
        path: DocPath,
        /// `map` or `list`.
        found: &'static str,
    },
    /// Two edits touch the same bytes.
    #[error("two edits overlap at byte {at}")]
    Overlap {
        /// Byte offset where they meet.
        at: usize,
    },
    /// An edit's range is outside the text or splits a character.
    #[error("an edit's range {start}..{end} is not a valid range of the text")]
    BadRange {
        /// Start of the range.
        start: usize,
        /// End of the range.
        end: usize,
    },
    /// The edited text no longer parses: the edit is refused.
    #[error("the edited file would not parse ({message}); nothing was changed")]
    Reparse {
        /// The parser's description.
        message: String,
    },
    /// The edited text parses, but something besides the intended paths changed.
    #[error("the edit would also change `{path}` (document #{doc}); nothing was changed")]
    Unintended {
        /// 0-based document index.
        doc: usize,
        /// The first path found to differ.
        path: DocPath,
    },
}

impl From<super::Error> for EditError {
    fn from(e: super::Error) -> Self {
        match e {
            super::Error::Yaml {
                line,
                column,
                message,
                ..
            } => EditError::Parse {
                line,
                column,
                message,
            },
            other => EditError::Parse {
                line: 1,
                column: 1,
                message: other.to_string(),
            },
        }
    }
}

/// Replace the bytes `range` of a text with `replacement` (like ruff's `Edit`).
#[derive(Clone, PartialEq, Eq)]
pub struct Edit {
    /// Byte range of the original text.
    pub range: Range<usize>,
    /// The new bytes.
    pub replacement: String,
}

impl fmt::Debug for Edit {
    // Replacements may hold secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Edit({:?} -> {} bytes)",
            self.range,
            self.replacement.len()
        )
    }
}

/// Applies edits: sorted by position, overlapping edits refused.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, EditError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in sorted {
        let Range { start, end } = edit.range;
        if start < at {
            return Err(EditError::Overlap { at: start });
        }
        if start > end || text.get(at..start).is_none() || text.get(start..end).is_none() {
            return Err(EditError::BadRange { start, end });
        }
        out.push_str(&text[at..start]);
        out.push_str(&edit.replacement);
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// The edits that turn `after` back into `before`, in `after`'s coordinates: one per run of
/// changed lines, so unchanged lines are not repeated.
pub fn reverse_edits(before: &str, after: &str) -> Vec<Edit> {
    use similar::{Algorithm, DiffTag, TextDiff};
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .diff_lines(before, after);
    let offsets = |slices: &[&str]| {
        let mut v = Vec::with_capacity(slices.len() + 1);
        let mut at = 0;
        v.push(0);
        for s in slices {
            at += s.len();
            v.push(at);
        }
        v
    };
    let old_at = offsets(diff.old_slices());
    let new_at = offsets(diff.new_slices());
    let mut edits: Vec<Edit> = Vec::new();
    let mut pending: Option<(Range<usize>, Range<usize>)> = None;
    for op in diff.ops() {
        let (tag, old, new) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            if let Some((o, n)) = pending.take() {
                edits.push(Edit {
                    range: n,
                    replacement: before[o].to_string(),
                });
            }
            continue;
        }
        let o = old_at[old.start]..old_at[old.end];
        let n = new_at[new.start]..new_at[new.end];
        pending = Some(match pending {
            Some((po, pn)) => (po.start..o.end, pn.start..n.end),
            None => (o, n),
        });
    }
    if let Some((o, n)) = pending {
        edits.push(Edit {
            range: n,
            replacement: before[o].to_string(),
        });
    }
    edits
}

/// One value to write: a scalar at an absolute path of one document.
#[derive(Clone, PartialEq)]
pub struct Change {
    /// 0-based index of the document in the stream.
    pub doc: usize,
    /// Absolute path inside the document.
    pub path: DocPath,
    /// The new value: a string, number, boolean or null.
    pub value: Value,
}

impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Change(#{} {})", self.doc, self.path)
    }
}

/// Writes every change into `text`, then checks the result: it must parse, and its tree must
/// equal the original tree with exactly these changes made.
///
/// A missing key is inserted at the end of its map (and missing parent maps are created); a
/// `null` parent becomes a map.
pub fn edit(text: &str, changes: &[Change]) -> Result<String, EditError> {
    let docs = parse_documents(SourceId(0), text)?;
    Ok(edit_parsed(text, docs, changes)?.text)
}

/// An edited text and its parse (made to verify it; reuse it instead of parsing again).
#[derive(Debug)]
pub struct Edited {
    /// The new text.
    pub text: String,
    /// Its documents.
    pub docs: Vec<Node>,
}

/// [`edit`] for a text already parsed: `docs` must be the documents of `text` (they are taken,
/// and become the expected tree). The result is parsed once, to verify it, and that parse is
/// returned with it.
///
/// Every change is planned against the one parse of the original; only changes whose edits
/// meet (two keys inserted into the same missing map, say) are planned one after the other
/// against the text as edited so far, re-parsing it each time.
pub fn edit_parsed(
    text: &str,
    mut docs: Vec<Node>,
    changes: &[Change],
) -> Result<Edited, EditError> {
    for change in changes {
        if let Value::Map(_) | Value::Seq(_) = change.value {
            return Err(EditError::UnsupportedValue {
                path: change.path.clone(),
                found: Node::synthetic(change.value.clone()).type_name(),
            });
        }
    }
    let together = plan_together(text, &docs, changes).map(|edits| apply_edits(text, &edits));
    for change in changes {
        let target = docs
            .get_mut(change.doc)
            .ok_or(EditError::NoDocument { doc: change.doc })?;
        set_path(target, &change.path.0, &change.value);
    }
    let expected = docs;
    if let Some(Ok(current)) = together {
        if let Ok(reparsed) = verify(&expected, &current) {
            return Ok(Edited {
                text: current,
                docs: reparsed,
            });
        }
    }
    // The edits met, or their result did not verify: one change at a time.
    let current = edit_one_by_one(text, changes)?;
    let reparsed = verify(&expected, &current)?;
    Ok(Edited {
        text: current,
        docs: reparsed,
    })
}

/// The edits of every change planned against the one parse of `text`, or `None` if planning
/// failed or the edits of two changes touch (they must then be planned one after the other).
fn plan_together(text: &str, docs: &[Node], changes: &[Change]) -> Option<Vec<Edit>> {
    let mut all: Vec<(usize, Edit)> = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let doc = docs.get(change.doc)?;
        let edits = Planner::new(text)
            .plan(doc, &change.path, &change.value)
            .ok()?;
        all.extend(edits.into_iter().map(|e| (i, e)));
    }
    all.sort_by_key(|(_, e)| (e.range.start, e.range.end));
    let meet = all.windows(2).any(|w| {
        let ((a, ea), (b, eb)) = (&w[0], &w[1]);
        a != b && ea.range.end >= eb.range.start
    });
    (!meet).then(|| all.into_iter().map(|(_, e)| e).collect())
}

/// Writes the changes one after the other, re-parsing the text before each.
fn edit_one_by_one(text: &str, changes: &[Change]) -> Result<String, EditError> {
    let mut current = text.to_string();
    for change in changes {
        let docs = parse_documents(SourceId(0), &current).map_err(|e| EditError::Reparse {
            message: e.to_string(),
        })?;
        let doc = docs
            .get(change.doc)
            .ok_or(EditError::NoDocument { doc: change.doc })?;
        let edits = Planner::new(&current).plan(doc, &change.path, &change.value)?;
        current = apply_edits(&current, &edits)?;
    }
    Ok(current)
}

/// Parses `current` and checks that its tree is `expected`; returns the parse.
fn verify(expected: &[Node], current: &str) -> Result<Vec<Node>, EditError> {
    let reparsed = parse_documents(SourceId(0), current).map_err(|e| EditError::Reparse {
        message: e.to_string(),
    })?;
    if reparsed.len() != expected.len() {
        return Err(EditError::Reparse {
            message: format!("{} documents instead of {}", reparsed.len(), expected.len()),
        });
    }
    for (doc, (want, got)) in expected.iter().zip(&reparsed).enumerate() {
        if let Some(path) = first_difference(want, got, &mut Vec::new()) {
            return Err(EditError::Unintended {
                doc,
                path: DocPath(path),
            });
        }
    }
    Ok(reparsed)
}

/// Sets the value at `path` in a tree the way [`edit`] writes it: missing keys are appended,
/// `null` parents become maps.
fn set_path(node: &mut Node, path: &[Seg], value: &Value) {
    let Some((first, rest)) = path.split_first() else {
        node.value = value.clone();
        return;
    };
    match first {
        Seg::Key(key) => {
            if node.value == Value::Null {
                node.value = Value::Map(Vec::new());
            }
            if let Value::Map(entries) = &mut node.value {
                let at = if let Some(at) = entries.iter().rposition(|e| &e.key == key) {
                    at
                } else {
                    entries.push(Entry {
                        key: key.clone(),
                        key_span: None,
                        node: Node::synthetic(Value::Null),
                    });
                    entries.len() - 1
                };
                set_path(&mut entries[at].node, rest, value);
            }
        }
        Seg::Index(n) => {
            if let Value::Seq(items) = &mut node.value {
                if let Some(item) = items.get_mut(*n) {
                    set_path(item, rest, value);
                }
            }
        }
    }
}

/// The first path where two trees differ (ignoring positions and styles).
fn first_difference(a: &Node, b: &Node, path: &mut Vec<Seg>) -> Option<Vec<Seg>> {
    match (&a.value, &b.value) {
        (Value::Map(x), Value::Map(y)) => {
            for (i, ea) in x.iter().enumerate() {
                path.push(Seg::Key(ea.key.clone()));
                let found = match y.get(i) {
                    Some(eb) if eb.key == ea.key => first_difference(&ea.node, &eb.node, path),
                    _ => Some(path.clone()),
                };
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            if let Some(extra) = y.get(x.len()) {
                path.push(Seg::Key(extra.key.clone()));
                let found = path.clone();
                path.pop();
                return Some(found);
            }
            None
        }
        (Value::Seq(x), Value::Seq(y)) => {
            if x.len() != y.len() {
                return Some(path.clone());
            }
            for (i, (ia, ib)) in x.iter().zip(y).enumerate() {
                path.push(Seg::Index(i));
                let found = first_difference(ia, ib, path);
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (x, y) if x == y => None,
        _ => Some(path.clone()),
    }
}

/// Where the Harbor values sit in one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuesRoot {
    /// 0-based index of the document in the stream.
    pub doc: usize,
    /// Path of the values map inside the document (empty for a plain values document).
    pub prefix: DocPath,
}

/// The documents of a stream that hold Harbor values, and where, with the rules `values::load`
/// uses: plain documents (under `values_root` when given), Flux `HelmRelease` `spec.values`,
/// Argo CD `Application` `valuesObject`. Other Kubernetes objects are skipped; when a stream has
/// several releases and some install the `harbor` chart, only those count.
pub fn values_roots(
    docs: &[Node],
    values_root: Option<&str>,
) -> Result<Vec<ValuesRoot>, EditError> {
    let releases: Vec<&Node> = docs
        .iter()
        .filter(|n| is_flux_release(n) || is_argo_application(n))
        .collect();
    let harbor_named = releases.len() > 1
        && releases
            .iter()
            .any(|n| chart_name(n).is_some_and(is_harbor));
    let mut roots = Vec::new();
    let mut plain_without_root = false;
    for (doc, node) in docs.iter().enumerate() {
        match &node.value {
            Value::Null => continue,
            Value::Map(_) => {}
            _ => {
                return Err(EditError::ValuesNotAMap {
                    doc,
                    found: node.type_name(),
                })
            }
        }
        let release = is_flux_release(node) || is_argo_application(node);
        if release && harbor_named && !chart_name(node).is_some_and(is_harbor) {
            continue;
        }
        let prefix = if is_flux_release(node) {
            DocPath::keys("spec.values")
        } else if is_argo_application(node) {
            argo_prefix(node)?
        } else if node.get("apiVersion").and_then(Node::as_str).is_some()
            && node.get("kind").and_then(Node::as_str).is_some()
        {
            continue;
        } else if let Some(key) = values_root {
            if node.get_path(key).is_none() {
                plain_without_root = true;
                continue;
            }
            DocPath::keys(key)
        } else {
            DocPath::default()
        };
        if let Some(values) = get(node, &prefix) {
            if !matches!(values.value, Value::Map(_) | Value::Null) {
                return Err(EditError::ValuesNotAMap {
                    doc,
                    found: values.type_name(),
                });
            }
        }
        roots.push(ValuesRoot { doc, prefix });
    }
    if let Some(key) = values_root {
        if plain_without_root && roots.is_empty() {
            return Err(EditError::ValuesRoot {
                key: key.to_string(),
            });
        }
    }
    Ok(roots)
}

/// The node at an absolute path, if every step exists.
pub fn get<'n>(node: &'n Node, path: &DocPath) -> Option<&'n Node> {
    path.0.iter().try_fold(node, |n, seg| match seg {
        Seg::Key(k) => n.get(k),
        Seg::Index(i) => match &n.value {
            Value::Seq(items) => items.get(*i),
            _ => None,
        },
    })
}

fn is_harbor(chart: &str) -> bool {
    chart == "harbor" || chart.ends_with("/harbor")
}

fn argo_prefix(app: &Node) -> Result<DocPath, EditError> {
    let mut candidates: Vec<(DocPath, &Node)> = Vec::new();
    if let Some(src) = app.get_path("spec.source") {
        candidates.push((DocPath::keys("spec.source"), src));
    }
    if let Some(Value::Seq(items)) = app.get_path("spec.sources").map(|n| &n.value) {
        for (i, item) in items.iter().enumerate() {
            let mut p = DocPath::keys("spec.sources");
            p.0.push(Seg::Index(i));
            candidates.push((p, item));
        }
    }
    let has_values =
        |n: &Node| n.get_path("helm.valuesObject").is_some() || n.get_path("helm.values").is_some();
    let chosen = candidates
        .iter()
        .find(|(_, n)| n.get("chart").and_then(Node::as_str).is_some_and(is_harbor))
        .filter(|(_, n)| has_values(n))
        .or_else(|| candidates.iter().find(|(_, n)| has_values(n)))
        .or_else(|| candidates.first());
    let Some((path, src)) = chosen else {
        return Ok(DocPath::keys("spec.source.helm.valuesObject"));
    };
    if src.get_path("helm.valuesObject").is_none() {
        if let Some(values) = src.get_path("helm.values") {
            if values.as_str().is_some() {
                return Err(EditError::EmbeddedValues {
                    path: path.join(&DocPath::keys("helm.values")),
                });
            }
        }
    }
    Ok(path.join(&DocPath::keys("helm.valuesObject")))
}

/// How a value is written.
enum Rendered {
    /// On the key's line.
    Inline(String),
    /// A literal block: the header (`|` or `|-`) and the content lines, without indentation.
    Block {
        header: &'static str,
        lines: Vec<String>,
    },
}

/// Plans the edits for one change against one text.
struct Planner<'t> {
    text: &'t str,
    nl: &'static str,
    step: usize,
}

impl<'t> Planner<'t> {
    fn new(text: &'t str) -> Self {
        let nl = match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        Planner { text, nl, step: 2 }
    }

    fn plan(mut self, doc: &Node, path: &DocPath, value: &Value) -> Result<Vec<Edit>, EditError> {
        self.step = indent_step(doc).unwrap_or(2);
        let mut node = doc;
        let mut flow = self.is_flow(doc);
        // Column (0-based, characters) of the key whose value `node` is; `None` at the root.
        let mut key_col: Option<usize> = None;
        for (i, seg) in path.0.iter().enumerate() {
            let here = DocPath(path.0[..i].to_vec());
            match seg {
                Seg::Index(n) => {
                    let Value::Seq(items) = &node.value else {
                        return Err(EditError::NotFound {
                            path: DocPath(path.0[..=i].to_vec()),
                        });
                    };
                    node = items.get(*n).ok_or_else(|| EditError::NotFound {
                        path: DocPath(path.0[..=i].to_vec()),
                    })?;
                    flow |= self.is_flow(node);
                    key_col = node.span.map(|s| s.column - 1);
                }
                Seg::Key(key) => match &node.value {
                    Value::Map(entries) => {
                        let Some(entry) = entries.iter().rev().find(|e| &e.key == key) else {
                            let rest: Vec<&str> = keys_of(&path.0[i..])
                                .ok_or_else(|| EditError::NotFound { path: path.clone() })?;
                            return self.insert_into_map(node, &rest, value, flow);
                        };
                        if i + 1 == path.0.len() {
                            return self.replace(entry, path, value, flow);
                        }
                        if let (Some(ks), Some(vs)) = (entry.key_span, entry.node.span) {
                            if vs.start < ks.end {
                                return Err(EditError::Alias {
                                    path: DocPath(path.0[..=i].to_vec()),
                                    line: ks.line,
                                    column: ks.column,
                                });
                            }
                        }
                        key_col = entry.key_span.map(|s| s.column - 1);
                        node = &entry.node;
                        flow |= self.is_flow(node);
                    }
                    Value::Null => {
                        let rest: Vec<&str> = keys_of(&path.0[i..])
                            .ok_or_else(|| EditError::NotFound { path: path.clone() })?;
                        return self.fill_null(node, key_col, &rest, value, flow, &here);
                    }
                    _ => {
                        let span = node.span.unwrap_or_else(dummy_span);
                        return Err(EditError::NotAMap {
                            path: here,
                            line: span.line,
                            column: span.column,
                            found: node.type_name(),
                        });
                    }
                },
            }
        }
        // The path is empty or ends in a sequence index.
        Err(EditError::NotFound { path: path.clone() })
    }

    fn is_flow(&self, node: &Node) -> bool {
        matches!(&node.value, Value::Map(_) | Value::Seq(_))
            && node
                .span
                .and_then(|s| self.text.as_bytes().get(s.start))
                .is_some_and(|b| matches!(b, b'{' | b'['))
    }

    /// Byte offset of the line break ending the line that holds `pos` (before a `\r`), or the
    /// end of the text.
    fn line_end(&self, pos: usize) -> usize {
        let bytes = self.text.as_bytes();
        match bytes[pos.min(bytes.len())..]
            .iter()
            .position(|&b| b == b'\n')
        {
            Some(i) => {
                let nl = pos + i;
                if nl > pos && bytes[nl - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                }
            }
            None => bytes.len(),
        }
    }

    /// Moves an insertion point at a line end past the comment lines (and blank lines between
    /// them) that follow and are indented more than `indent`: an entry inserted before them
    /// would turn them into content of its block scalar.
    fn after_deeper_comments(&self, mut at: usize, indent: usize) -> usize {
        let mut probe = at;
        while probe < self.text.len() {
            let next = self.text[probe..]
                .find('\n')
                .map_or(self.text.len(), |i| probe + i + 1);
            if next >= self.text.len() && !self.text[probe..].contains('\n') {
                break;
            }
            let line_start = next;
            let line_end = self.line_end(line_start);
            let line = &self.text[line_start..line_end];
            let trimmed = line.trim_start_matches(' ');
            if trimmed.trim().is_empty() {
                probe = line_end;
                if line_end >= self.text.len() {
                    break;
                }
                continue;
            }
            if trimmed.starts_with('#') && line.len() - trimmed.len() > indent {
                at = line_end;
                probe = line_end;
                continue;
            }
            break;
        }
        at
    }

    /// Replaces the value of an existing entry.
    fn replace(
        &self,
        entry: &Entry,
        path: &DocPath,
        value: &Value,
        flow: bool,
    ) -> Result<Vec<Edit>, EditError> {
        let node = &entry.node;
        let span = node
            .span
            .ok_or_else(|| EditError::NotFound { path: path.clone() })?;
        if let Value::Map(_) | Value::Seq(_) = node.value {
            return Err(EditError::NotAScalar {
                path: path.clone(),
                line: span.line,
                column: span.column,
                found: node.type_name(),
            });
        }
        let key_span = entry.key_span.unwrap_or(span);
        if span.start < key_span.end {
            return Err(EditError::Alias {
                path: path.clone(),
                line: key_span.line,
                column: key_span.column,
            });
        }
        let bytes = self.text.as_bytes();
        let block = matches!(node.style, Some(ScalarStyle::Literal | ScalarStyle::Folded));
        // The indicator (or the whole inline value) and the content lines after the key line.
        let (indicator, content) = if block {
            let mut header_end = span.start + 1;
            while header_end < span.end
                && matches!(bytes.get(header_end), Some(b'0'..=b'9' | b'+' | b'-'))
            {
                header_end += 1;
            }
            let eol = self.line_end(header_end);
            (span.start..header_end, eol..span.end.max(eol))
        } else {
            let eol = self.line_end(span.end);
            (span.start..span.end, eol..eol)
        };
        let content_indent = if block && content.end > content.start {
            // Keep the indentation the block already has.
            self.text[content.start..content.end]
                .split('\n')
                .skip(1)
                .find(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start_matches(' ').len())
        } else {
            None
        };
        let key_col = key_span.column - 1;
        let indent = content_indent.unwrap_or(key_col + self.step);
        let old_style = node.style;
        let rendered = render(value, old_style, flow);
        let prefix = if indicator.start > 0 && bytes[indicator.start - 1] == b':' {
            " "
        } else {
            ""
        };
        let (head, body) = match rendered {
            Rendered::Inline(t) => (format!("{prefix}{t}"), String::new()),
            Rendered::Block { header, lines } => (
                format!("{prefix}{header}"),
                self.block_lines(&lines, indent),
            ),
        };
        Ok(merge_edits(vec![
            Edit {
                range: indicator,
                replacement: head,
            },
            Edit {
                range: content,
                replacement: body,
            },
        ]))
    }

    /// Content lines of a literal block, each after a line break.
    fn block_lines(&self, lines: &[String], indent: usize) -> String {
        let pad = " ".repeat(indent);
        let mut out = String::new();
        for line in lines {
            out.push_str(self.nl);
            if !line.is_empty() {
                out.push_str(&pad);
                out.push_str(line);
            }
        }
        out
    }

    /// Inserts `keys: value` (nested maps for several keys) at the end of a map.
    fn insert_into_map(
        &self,
        map: &Node,
        keys: &[&str],
        value: &Value,
        flow: bool,
    ) -> Result<Vec<Edit>, EditError> {
        let Value::Map(entries) = &map.value else {
            return Err(EditError::NotFound {
                path: DocPath::default(),
            });
        };
        let span = map.span.unwrap_or_else(dummy_span);
        if flow || self.text.as_bytes().get(span.start) == Some(&b'{') {
            let text = flow_entry(keys, value);
            let (at, text) = match entries.last() {
                Some(last) => {
                    let end = last
                        .node
                        .span
                        .map_or(span.end.saturating_sub(1), |s| s.end)
                        .max(last.key_span.map_or(0, |s| s.end));
                    (end, format!(", {text}"))
                }
                None => (span.start + 1, text),
            };
            return Ok(vec![Edit {
                range: at..at,
                replacement: text,
            }]);
        }
        let indent = entries
            .first()
            .and_then(|e| e.key_span)
            .map_or(0, |s| s.column - 1);
        // After the last line of the map (its last value may be a nested map or a block).
        let end = entries
            .iter()
            .filter_map(|e| e.node.span.map(|s| s.end).or(e.key_span.map(|s| s.end)))
            .max()
            .unwrap_or(span.end)
            .max(span.end);
        let at = self.after_deeper_comments(self.line_end(end), indent);
        let text = format!(
            "{}{}{}",
            self.nl,
            " ".repeat(indent),
            self.block_entry(keys, value, indent)
        );
        Ok(vec![Edit {
            range: at..at,
            replacement: text,
        }])
    }

    /// Turns a `null` value into a map holding `keys: value`.
    fn fill_null(
        &self,
        node: &Node,
        key_col: Option<usize>,
        keys: &[&str],
        value: &Value,
        flow: bool,
        here: &DocPath,
    ) -> Result<Vec<Edit>, EditError> {
        let span = node.span.unwrap_or_else(dummy_span);
        let Some(key_col) = key_col else {
            return Err(EditError::NotAMap {
                path: here.clone(),
                line: span.line,
                column: span.column,
                found: "null",
            });
        };
        if flow || span.end > span.start {
            // `key: ~`, `key: null` or inside a flow collection: write a flow map in its place.
            let prefix = if span.start > 0 && self.text.as_bytes()[span.start - 1] == b':' {
                " "
            } else {
                ""
            };
            return Ok(vec![Edit {
                range: span.start..span.end,
                replacement: format!("{prefix}{{{}}}", flow_entry(keys, value)),
            }]);
        }
        // `key:` with nothing after it (maybe a comment): the map goes on the next lines.
        let indent = key_col + self.step;
        let at = self.after_deeper_comments(self.line_end(span.start), key_col);
        Ok(vec![Edit {
            range: at..at,
            replacement: format!(
                "{}{}{}",
                self.nl,
                " ".repeat(indent),
                self.block_entry(keys, value, indent)
            ),
        }])
    }

    /// `a:\n  b: value` for keys `[a, b]`, the first key at column `indent` (not indented here).
    fn block_entry(&self, keys: &[&str], value: &Value, indent: usize) -> String {
        let Some((first, rest)) = keys.split_first() else {
            return String::new();
        };
        let mut out = render_key(first);
        out.push(':');
        if rest.is_empty() {
            match render(value, None, false) {
                Rendered::Inline(t) => {
                    out.push(' ');
                    out.push_str(&t);
                }
                Rendered::Block { header, lines } => {
                    out.push(' ');
                    out.push_str(header);
                    out.push_str(&self.block_lines(&lines, indent + self.step));
                }
            }
        } else {
            let inner = indent + self.step;
            out.push_str(self.nl);
            out.push_str(&" ".repeat(inner));
            out.push_str(&self.block_entry(rest, value, inner));
        }
        out
    }
}

fn dummy_span() -> super::Span {
    super::Span {
        source: SourceId(0),
        start: 0,
        end: 0,
        line: 1,
        column: 1,
    }
}

/// The keys of a path made only of keys.
fn keys_of(segs: &[Seg]) -> Option<Vec<&str>> {
    segs.iter()
        .map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect()
}

/// Drops empty no-op edits and joins an edit with the one that starts where it ends.
fn merge_edits(edits: Vec<Edit>) -> Vec<Edit> {
    let mut out: Vec<Edit> = Vec::new();
    for e in edits {
        if e.range.is_empty() && e.replacement.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.range.end == e.range.start => {
                last.range.end = e.range.end;
                last.replacement.push_str(&e.replacement);
            }
            _ => out.push(e),
        }
    }
    out
}

/// The indentation step of a document: how far the first nested block map is indented.
fn indent_step(node: &Node) -> Option<usize> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    for e in entries {
        if let (Some(ks), Value::Map(inner)) = (e.key_span, &e.node.value) {
            if let Some(first) = inner.first().and_then(|i| i.key_span) {
                if first.line > ks.line && first.column > ks.column {
                    return Some(first.column - ks.column);
                }
            }
        }
        if let Some(step) = indent_step(&e.node) {
            return Some(step);
        }
    }
    None
}

/// `{a: {b: "value"}}` without the outer braces.
fn flow_entry(keys: &[&str], value: &Value) -> String {
    match keys.split_first() {
        None => String::new(),
        Some((k, [])) => {
            let v = match render(value, None, true) {
                Rendered::Inline(t) => t,
                Rendered::Block { .. } => double_quoted(&scalar_text(value)),
            };
            format!("{}: {v}", render_key(k))
        }
        Some((k, rest)) => format!("{}: {{{}}}", render_key(k), flow_entry(rest, value)),
    }
}

pub(crate) fn render_key(key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && key.as_bytes()[0].is_ascii_alphabetic()
        && resolve_plain(key) == Value::String(key.to_string());
    if simple {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) | Value::Number(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// How a scalar is written: an empty string as `""`, several lines as a `|` block (or `|-`)
/// outside flow collections, one line in the old style where that keeps the value, else
/// double-quoted.
fn render(value: &Value, old: Option<ScalarStyle>, flow: bool) -> Rendered {
    let s = match value {
        Value::Bool(b) => return Rendered::Inline(b.to_string()),
        Value::Number(n) => return Rendered::Inline(n.clone()),
        Value::String(s) => s,
        Value::Null | Value::Map(_) | Value::Seq(_) => return Rendered::Inline("null".to_string()),
    };
    if s.is_empty() {
        return Rendered::Inline("\"\"".to_string());
    }
    if s.contains('\n') {
        if !flow && literal_ok(s) {
            let (header, body) = match s.strip_suffix('\n') {
                Some(body) => ("|", body),
                None => ("|-", s.as_str()),
            };
            return Rendered::Block {
                header,
                lines: body.split('\n').map(str::to_string).collect(),
            };
        }
        return Rendered::Inline(double_quoted(s));
    }
    match old {
        Some(ScalarStyle::Plain) if plain_ok(s, flow) => Rendered::Inline(s.clone()),
        Some(ScalarStyle::SingleQuoted) if s.chars().all(|c| !c.is_control()) => {
            Rendered::Inline(format!("'{}'", s.replace('\'', "''")))
        }
        _ => Rendered::Inline(double_quoted(s)),
    }
}

/// Whether a multi-line string survives a literal block unchanged.
pub(crate) fn literal_ok(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    let Some(first) = body.split('\n').next() else {
        return false;
    };
    let last = body.rsplit('\n').next().unwrap_or_default();
    !first.trim().is_empty()
        && !first.starts_with([' ', '\t'])
        && !last.trim().is_empty()
        && !body.ends_with('\n')
        && s.chars()
            .all(|c| c == '\n' || c == '\t' || !(c.is_control() || is_special_char(c)))
}

fn is_special_char(c: char) -> bool {
    matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}')
}

/// Whether a one-line string can be written plain and still read back as the same string.
fn plain_ok(s: &str, flow: bool) -> bool {
    let first = s.chars().next().unwrap_or(' ');
    !s.is_empty()
        && s.trim() == s
        && !"-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !(flow && s.contains([',', '[', ']', '{', '}']))
        && s.chars()
            .all(|c| c != '\t' && !c.is_control() && !is_special_char(c))
        && resolve_plain(s) == Value::String(s.to_string())
}

/// A YAML double-quoted scalar on one line.
pub(crate) fn double_quoted(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_special_char(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, path: &str, value: &str) -> Result<String, EditError> {
        edit(
            text,
            &[Change {
                doc: 0,
                path: DocPath::keys(path),
                value: Value::String(value.to_string()),
            }],
        )
    }

    fn blank(text: &str, path: &str) -> String {
        set(text, path, "").unwrap()
    }

    const PEM: &str = "-----BEGIN X-----\nAAAA\nBBBB\n-----END X-----\n";

    #[test]
    fn blanks_every_scalar_style() {
        let cases = [
            (
                "a: 1\nk: plain value # c\nb: 2\n",
                "a: 1\nk: \"\" # c\nb: 2\n",
            ),
            ("k: 'single'\n", "k: \"\"\n"),
            ("k: \"dou\\\"ble\"\n", "k: \"\"\n"),
            ("k: |\n  l1\n  l2\nz: 1\n", "k: \"\"\nz: 1\n"),
            ("k: |-\n  l1\nz: 1\n", "k: \"\"\nz: 1\n"),
            ("k: >\n  folded\n  text\n\nz: 1\n", "k: \"\"\n\nz: 1\n"),
            ("k: | # why\n  l1\nz: 1\n", "k: \"\" # why\nz: 1\n"),
            ("k: multi\n  line\nz: 1\n", "k: \"\"\nz: 1\n"),
            ("k: 1234\n", "k: \"\"\n"),
        ];
        for (before, after) in cases {
            assert_eq!(blank(before, "k"), after, "{before:?}");
        }
    }

    #[test]
    fn keeps_crlf_bom_and_missing_final_newline() {
        let text = "\u{feff}# head\r\ncore:\r\n  tokenKey: |\r\n    AAA\r\n    BBB\r\n  secret: x # c\r\nlast: 1";
        let out = edit(
            text,
            &[
                Change {
                    doc: 0,
                    path: DocPath::keys("core.tokenKey"),
                    value: Value::String(String::new()),
                },
                Change {
                    doc: 0,
                    path: DocPath::keys("core.secret"),
                    value: Value::String(String::new()),
                },
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            "\u{feff}# head\r\ncore:\r\n  tokenKey: \"\"\r\n  secret: \"\" # c\r\nlast: 1"
        );
        // And a block goes back in with CRLF.
        let back = set(&out, "core.tokenKey", PEM).unwrap();
        assert_eq!(
            back,
            "\u{feff}# head\r\ncore:\r\n  tokenKey: |\r\n    -----BEGIN X-----\r\n    AAAA\r\n    BBBB\r\n    -----END X-----\r\n  secret: \"\" # c\r\nlast: 1"
        );
    }

    #[test]
    fn writes_pem_blocks_into_every_kind_of_value() {
        let cases = [
            (
                "core:\n  tokenKey: |\n  # comment\n  tokenCert: |\n",
                "core:\n  tokenKey: |\n    -----BEGIN X-----\n    AAAA\n    BBBB\n    -----END X-----\n  # comment\n  tokenCert: |\n",
            ),
            (
                "core:\n  tokenKey:\n  x: 1\n",
                "core:\n  tokenKey: |\n    -----BEGIN X-----\n    AAAA\n    BBBB\n    -----END X-----\n  x: 1\n",
            ),
            (
                "core:\n  tokenKey: \"\" # pin it\n",
                "core:\n  tokenKey: | # pin it\n    -----BEGIN X-----\n    AAAA\n    BBBB\n    -----END X-----\n",
            ),
            (
                "core:\n  tokenKey: |\n      old\n      key\n",
                "core:\n  tokenKey: |\n      -----BEGIN X-----\n      AAAA\n      BBBB\n      -----END X-----\n",
            ),
            (
                "core:\n  x: 1\n",
                "core:\n  x: 1\n  tokenKey: |\n    -----BEGIN X-----\n    AAAA\n    BBBB\n    -----END X-----\n",
            ),
            (
                "other: 1\n",
                "other: 1\ncore:\n  tokenKey: |\n    -----BEGIN X-----\n    AAAA\n    BBBB\n    -----END X-----\n",
            ),
            (
                "core: {x: 1}\n",
                "core: {x: 1, tokenKey: \"-----BEGIN X-----\\nAAAA\\nBBBB\\n-----END X-----\\n\"}\n",
            ),
            (
                "core:\n",
                "core:\n  tokenKey: |\n    -----BEGIN X-----\n    AAAA\n    BBBB\n    -----END X-----\n",
            ),
            (
                "core: ~\n",
                "core: {tokenKey: \"-----BEGIN X-----\\nAAAA\\nBBBB\\n-----END X-----\\n\"}\n",
            ),
        ];
        for (before, after) in cases {
            assert_eq!(
                set(before, "core.tokenKey", PEM).unwrap(),
                after,
                "{before:?}"
            );
        }
    }

    #[test]
    fn insertions_go_after_deeper_comments() {
        // Regression: an entry inserted before these comments made them content of its block.
        let text = "eso:\n  generic:\n    config: {}\n    #  gcpsm:\n\n    #    id: x\n# next\n";
        let out = set(text, "core.tokenKey", PEM).unwrap();
        assert!(
            out.starts_with("eso:\n  generic:\n    config: {}\n    #  gcpsm:\n\n    #    id: x\ncore:\n  tokenKey: |\n"),
            "{out}"
        );
        assert!(out.ends_with("-----END X-----\n# next\n"), "{out}");
    }

    #[test]
    fn chomping_follows_the_value() {
        let out = set("k: x\n", "k", "a\nb").unwrap();
        assert_eq!(out, "k: |-\n  a\n  b\n");
        let out = set("k: x\n", "k", " lead\nb\n").unwrap();
        assert_eq!(out, "k: \" lead\\nb\\n\"\n");
        let out = set("k: x\n", "k", "a\n\n").unwrap();
        assert_eq!(out, "k: \"a\\n\\n\"\n");
    }

    #[test]
    fn single_line_values_keep_the_old_style_when_they_can() {
        assert_eq!(set("k: old\n", "k", "new").unwrap(), "k: new\n");
        assert_eq!(set("k: old\n", "k", "true").unwrap(), "k: \"true\"\n");
        assert_eq!(set("k: 'old'\n", "k", "it's").unwrap(), "k: 'it''s'\n");
        assert_eq!(set("k: \"\"\n", "k", "new").unwrap(), "k: \"new\"\n");
        assert_eq!(set("k: |\n  x\n", "k", "new").unwrap(), "k: \"new\"\n");
    }

    #[test]
    fn inside_a_flux_release_and_a_sequence() {
        let text = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  values:\n    core:\n      secret: abc\n";
        let docs = parse_documents(SourceId(0), text).unwrap();
        let roots = values_roots(&docs, None).unwrap();
        assert_eq!(roots[0].prefix, DocPath::keys("spec.values"));
        let out = set(text, "spec.values.core.secret", "").unwrap();
        assert!(out.ends_with("      secret: \"\"\n"), "{out}");
        let text = "list:\n- name: a\n  k: v\n";
        let mut path = DocPath::keys("list");
        path.0.push(Seg::Index(0));
        path.0.push(Seg::Key("k".into()));
        let out = edit(
            text,
            &[Change {
                doc: 0,
                path,
                value: Value::String("a\nb\n".into()),
            }],
        )
        .unwrap();
        assert_eq!(out, "list:\n- name: a\n  k: |\n    a\n    b\n");
    }

    #[test]
    fn umbrella_roots_and_embedded_argo_values() {
        let text = "harbor:\n  core:\n    secret: x\n";
        let docs = parse_documents(SourceId(0), text).unwrap();
        let roots = values_roots(&docs, Some("harbor")).unwrap();
        assert_eq!(roots[0].prefix, DocPath::keys("harbor"));
        assert!(matches!(
            values_roots(&docs, Some("nope")),
            Err(EditError::ValuesRoot { .. })
        ));
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    chart: harbor\n    helm:\n      values: |\n        core: {}\n";
        let docs = parse_documents(SourceId(0), text).unwrap();
        assert!(matches!(
            values_roots(&docs, None),
            Err(EditError::EmbeddedValues { .. })
        ));
    }

    #[test]
    fn refuses_what_it_cannot_do_exactly() {
        // An anchored value that is aliased elsewhere would change in two places.
        let text = "a: &x secret\ncore:\n  secret: *x\n";
        assert!(matches!(
            set(text, "core.secret", ""),
            Err(EditError::Alias { .. })
        ));
        assert!(matches!(
            set(text, "a", ""),
            Err(EditError::Unintended { .. })
        ));
        let text = "core:\n  tokenKey:\n    nested: 1\n";
        assert!(matches!(
            set(text, "core.tokenKey", ""),
            Err(EditError::NotAScalar { line: 3, .. })
        ));
        assert!(matches!(
            set("core: 5\n", "core.secret", ""),
            Err(EditError::NotAMap { .. })
        ));
    }

    #[test]
    fn apply_refuses_overlaps() {
        let edits = [
            Edit {
                range: 0..3,
                replacement: "x".into(),
            },
            Edit {
                range: 2..4,
                replacement: "y".into(),
            },
        ];
        assert!(matches!(
            apply_edits("abcdef", &edits),
            Err(EditError::Overlap { .. })
        ));
        assert!(matches!(
            apply_edits(
                "ab",
                &[Edit {
                    range: 1..5,
                    replacement: String::new()
                }]
            ),
            Err(EditError::BadRange { .. })
        ));
    }

    #[test]
    fn reverse_edits_restore_the_original() {
        let before = "a: 1\r\nb: |\r\n  x\r\n  y\r\nc: 3";
        let after = blank(before, "b");
        let reverse = reverse_edits(before, &after);
        assert_eq!(reverse.len(), 1);
        assert_eq!(apply_edits(&after, &reverse).unwrap(), before);
        assert!(reverse_edits(before, before).is_empty());
    }

    #[test]
    fn errors_name_paths_not_values() {
        let err = set("a: &x hunter2\nb: *x\n", "a", "").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let dbg = format!(
            "{:?}",
            Edit {
                range: 0..1,
                replacement: "hunter2".into()
            }
        );
        assert!(!dbg.contains("hunter2"));
    }
}

#[cfg(test)]
#[path = "edit_proptest.rs"]
mod proptests;
