//! Loading the values a user passes: files (`-f`, positional, `-` for standard input), then
//! `--set`, `--set-string` and `--set-file`, merged the way Helm 3 does.
//!
//! A file may hold plain values, a Flux `HelmRelease` (values under `spec.values`) or an Argo CD
//! `Application` (values under `spec.source.helm.valuesObject`, `spec.source.helm.values` or the
//! same under `spec.sources[*]`). Other Kubernetes objects in the same stream are ignored.
//! `--values-root KEY` selects a sub-tree of plain documents (umbrella charts); without it no
//! root is guessed. Every text read is added to [`Sources`] so findings can point into it.

use std::io::Read;

use crate::input::Kind;

use super::doc_kind::{chart_name, is_argo_application, is_flux_release, object_type};
use super::merge::merge_into;
use super::set::{apply_set_within, SetBudget, SetKind};
use super::yaml::{parse_named, Positions};
use super::{Error, Node, SourceId, SourceOrigin, Sources, Span, Value};

/// What to load, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Values files in order (`-` is standard input).
    pub files: Vec<String>,
    /// `--set` arguments in order.
    pub set: Vec<String>,
    /// `--set-string` arguments in order.
    pub set_string: Vec<String>,
    /// `--set-file` arguments in order.
    pub set_file: Vec<String>,
    /// `--values-root`: dotted path of the Harbor values inside plain documents.
    pub values_root: Option<String>,
}

/// What kind of document values were taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// A plain values document.
    Plain,
    /// A Flux `HelmRelease` (`helm.toolkit.fluxcd.io/*`).
    FluxHelmRelease,
    /// An Argo CD `Application` (`argoproj.io/*`).
    ArgoApplication,
}

/// One document that contributed values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedDoc {
    /// The file it came from.
    pub source: SourceId,
    /// What kind of document it is.
    pub kind: DocKind,
    /// Where inside the document the values were taken from (`spec.values`,
    /// `spec.source.helm.valuesObject`, `spec.sources[1].helm.values`, `harbor` …), `None` for
    /// a plain document used whole.
    pub values_at: Option<String>,
    /// The chart version the document pins (Flux and Argo CD documents that install the Harbor
    /// chart).
    pub pinned: Option<super::doc_kind::PinnedChart>,
}

/// The merged user values and where they came from.
#[derive(Debug, Clone)]
pub struct Values {
    /// The effective user values (always a map); `null` nodes mean "deleted, chart default".
    pub root: Node,
    /// The documents that contributed, in merge order.
    pub docs: Vec<LoadedDoc>,
}

/// Loads, unwraps and merges values files, then applies `--set`, `--set-string` and
/// `--set-file` in Helm's precedence (every `--set`, then every `--set-string`, then every
/// `--set-file`, whatever their order on the command line).
///
/// With `--values-root`, a plain document without that key contributes nothing; it is an error
/// ([`Error::ValuesRoot`]) only when no plain document has it. Flux and Argo CD documents are
/// not affected by `--values-root`.
pub fn load(
    opts: &LoadOptions,
    sources: &mut Sources,
    stdin: &mut dyn Read,
) -> Result<Values, Error> {
    let mut root = Node::synthetic(Value::Map(Vec::new()));
    let mut docs = Vec::new();
    let mut stdin_source: Option<SourceId> = None;
    let mut plain_without_root: Vec<String> = Vec::new();
    let mut plain_with_root = false;
    let mut secret_marks = Vec::new();

    for file in &opts.files {
        let source = if file == "-" {
            if let Some(id) = stdin_source {
                id
            } else {
                let text = read_stdin(stdin, Kind::ValuesFile)?;
                let id = sources.add(STDIN_NAME, text, SourceOrigin::Stdin);
                stdin_source = Some(id);
                id
            }
        } else {
            let text = read_file(file, Kind::ValuesFile)?;
            sources.add(file.clone(), text, SourceOrigin::ValuesFile)
        };
        // The text is parsed where it is kept: no copy of it.
        let file = sources.get(source);
        let (name, text) = (file.name.as_str(), file.text.as_str());
        let parsed = parse_named(source, name, text)?;
        let mut plain_seen = false;
        for (node, doc) in select_documents(parsed, name, text, source)? {
            // Helm reads a values file with one `yaml.Unmarshal`, which takes only the first
            // document; later plain documents never reach the chart.
            if doc.kind == DocKind::Plain {
                if plain_seen {
                    continue;
                }
                plain_seen = true;
            }
            let (node, doc) = match &opts.values_root {
                Some(key) if doc.kind == DocKind::Plain => {
                    let Some(sub) = node.get_path(key) else {
                        if !plain_without_root.iter().any(|n| n == name) {
                            plain_without_root.push(name.to_string());
                        }
                        continue;
                    };
                    plain_with_root = true;
                    let sub = as_values_map(sub.clone(), name)?;
                    (
                        sub,
                        LoadedDoc {
                            values_at: Some(key.clone()),
                            ..doc
                        },
                    )
                }
                _ => (node, doc),
            };
            // Redacted before the merge: a later file or `--set` may replace the value, which
            // stays written here.
            secret_marks.extend(crate::redact::values::secret_spans(&node, "", sources));
            merge_into(&mut root, node);
            docs.push(doc);
        }
    }
    for span in secret_marks {
        sources.redact(span);
    }
    if let Some(key) = &opts.values_root {
        if !plain_with_root && !plain_without_root.is_empty() {
            return Err(Error::ValuesRoot {
                file: plain_without_root.join(", "),
                key: key.clone(),
            });
        }
    }

    let flags = [
        (SetKind::Set, &opts.set),
        (SetKind::SetString, &opts.set_string),
        (SetKind::SetFile, &opts.set_file),
    ];
    let mut budget = SetBudget::default();
    for (kind, args) in flags {
        for (i, arg) in args.iter().enumerate() {
            let source = sources.add(kind.flag(), arg.clone(), SourceOrigin::Flag);
            apply_set_within(&mut root, kind, arg, source, i + 1, &mut budget)?;
        }
    }
    Ok(Values { root, docs })
}

/// The name standard input is shown as.
pub(crate) const STDIN_NAME: &str = crate::input::STDIN_NAME;

/// Reads standard input as text, within the cap of `kind`.
pub(crate) fn read_stdin(stdin: &mut dyn Read, kind: Kind) -> Result<String, Error> {
    Ok(crate::input::read_stdin_text(stdin, kind)?)
}

/// Reads a regular file as text, within the cap of `kind`; anything else is refused by name.
pub(crate) fn read_file(path: &str, kind: Kind) -> Result<String, Error> {
    Ok(crate::input::read_text(
        std::path::Path::new(path),
        path,
        kind,
    )?)
}

/// Turns the documents of one file into values maps.
fn select_documents(
    parsed: Vec<Node>,
    name: &str,
    text: &str,
    source: SourceId,
) -> Result<Vec<(Node, LoadedDoc)>, Error> {
    // A stream with several releases (harbor plus its database, say) contributes only the
    // Harbor ones when the chart name says which they are.
    let releases: Vec<&Node> = parsed
        .iter()
        .filter(|n| is_flux_release(n) || is_argo_application(n))
        .collect();
    let harbor_named = releases.len() > 1
        && releases
            .iter()
            .any(|n| chart_name(n).is_some_and(is_harbor_chart));

    let mut out = Vec::new();
    for node in parsed {
        if node.value == Value::Null {
            continue;
        }
        if !matches!(node.value, Value::Map(_)) {
            return Err(Error::NotAMap {
                file: name.to_string(),
                found: node.type_name(),
            });
        }
        if is_flux_release(&node) {
            if harbor_named && !chart_name(&node).is_some_and(is_harbor_chart) {
                continue;
            }
            let values = match node.get_path("spec.values") {
                Some(v) => as_values_map(v.clone(), name)?,
                None => Node::synthetic(Value::Map(Vec::new())),
            };
            let doc = LoadedDoc {
                source,
                kind: DocKind::FluxHelmRelease,
                values_at: Some("spec.values".to_string()),
                pinned: harbor_pin(&node),
            };
            out.push((values, doc));
        } else if is_argo_application(&node) {
            if harbor_named && !chart_name(&node).is_some_and(is_harbor_chart) {
                continue;
            }
            let (values, at) = argo_values(&node, name, text, source)?;
            let doc = LoadedDoc {
                source,
                kind: DocKind::ArgoApplication,
                values_at: at,
                pinned: harbor_pin(&node),
            };
            out.push((values, doc));
        } else if object_type(&node).is_some() {
            // Some other Kubernetes object (a Namespace, a HelmRepository …).
        } else {
            out.push((
                node,
                LoadedDoc {
                    source,
                    kind: DocKind::Plain,
                    values_at: None,
                    pinned: None,
                },
            ));
        }
    }
    Ok(out)
}

/// The pinned chart version of a document that installs the Harbor chart.
fn harbor_pin(node: &Node) -> Option<super::doc_kind::PinnedChart> {
    chart_name(node)
        .is_some_and(is_harbor_chart)
        .then(|| super::doc_kind::pinned_chart(node))
        .flatten()
}

fn is_harbor_chart(chart: &str) -> bool {
    chart == "harbor" || chart.ends_with("/harbor")
}

/// A values sub-tree as a map: `null` or absent is an empty map, anything else but a map is an
/// error.
fn as_values_map(node: Node, name: &str) -> Result<Node, Error> {
    match node.value {
        Value::Map(_) => Ok(node),
        Value::Null => Ok(Node {
            value: Value::Map(Vec::new()),
            span: node.span,
            style: None,
        }),
        _ => Err(Error::NotAMap {
            file: name.to_string(),
            found: node.type_name(),
        }),
    }
}

/// The Helm values of an Argo CD `Application`: `valuesObject` wins over the `values` string,
/// as in Argo CD; with `spec.sources`, the source whose chart is `harbor`, else the first one
/// with values.
fn argo_values(
    app: &Node,
    name: &str,
    text: &str,
    source: SourceId,
) -> Result<(Node, Option<String>), Error> {
    let mut candidates: Vec<(String, &Node)> = Vec::new();
    if let Some(src) = app.get_path("spec.source") {
        candidates.push(("spec.source".to_string(), src));
    }
    if let Some(Value::Seq(items)) = app.get_path("spec.sources").map(|n| &n.value) {
        for (i, item) in items.iter().enumerate() {
            candidates.push((format!("spec.sources[{i}]"), item));
        }
    }
    let has_values =
        |n: &Node| n.get_path("helm.valuesObject").is_some() || n.get_path("helm.values").is_some();
    let chosen = candidates
        .iter()
        .find(|(_, n)| {
            n.get("chart")
                .and_then(Node::as_str)
                .is_some_and(is_harbor_chart)
        })
        .filter(|(_, n)| has_values(n))
        .or_else(|| candidates.iter().find(|(_, n)| has_values(n)));
    let Some((path, src)) = chosen else {
        return Ok((Node::synthetic(Value::Map(Vec::new())), None));
    };
    if let Some(obj) = src.get_path("helm.valuesObject") {
        return Ok((
            as_values_map(obj.clone(), name)?,
            Some(format!("{path}.helm.valuesObject")),
        ));
    }
    let at = Some(format!("{path}.helm.values"));
    match src.get_path("helm.values") {
        Some(node) if node.as_str().is_some() => {
            Ok((parse_embedded(node, name, text, source)?, at))
        }
        Some(node) => Ok((as_values_map(node.clone(), name)?, at)),
        None => Ok((Node::synthetic(Value::Map(Vec::new())), at)),
    }
}

/// How positions inside an embedded YAML string map to the file.
enum Embedding {
    /// Inner offset + shift = outer offset (a one-line plain or quote-free quoted string).
    Shift(usize),
    /// Per inner line: (inner line start, outer line content start). Literal block scalars.
    Lines(Vec<(usize, usize)>),
    /// No exact mapping: every position is the whole string.
    Start(Span),
}

/// Parses the YAML held in a string node (Argo CD `helm.values`) with spans in the outer file.
///
/// Spans are exact for a one-line plain or quoted string without escapes and for a literal
/// block scalar (`|`); for any other style every span points at the start of the string.
fn parse_embedded(node: &Node, name: &str, text: &str, source: SourceId) -> Result<Node, Error> {
    let inner = node.as_str().unwrap_or_default();
    let embedding = embedding_of(node, inner, text);
    let outer = Positions::new(text);
    let map_offset = |p: usize| -> usize {
        match &embedding {
            Embedding::Shift(shift) => p + shift,
            Embedding::Lines(lines) => {
                let k = lines
                    .partition_point(|&(start, _)| start <= p)
                    .saturating_sub(1);
                lines.get(k).map_or(p, |&(inner_start, outer_start)| {
                    outer_start + (p - inner_start)
                })
            }
            Embedding::Start(span) => span.start,
        }
    };
    let docs = match parse_named(source, name, inner) {
        Ok(docs) => docs,
        Err(Error::Yaml {
            file,
            line,
            column,
            message,
        }) => {
            let offset = offset_of(inner, line, column);
            let (line, column) = outer.line_col(map_offset(offset));
            return Err(Error::Yaml {
                file,
                line,
                column,
                message,
            });
        }
        Err(e) => return Err(e),
    };
    let remap = |span: &mut Span| match &embedding {
        Embedding::Start(start) => *span = *start,
        _ => *span = outer.span(source, map_offset(span.start), map_offset(span.end)),
    };
    let mut root = Node::synthetic(Value::Map(Vec::new()));
    for mut doc in docs {
        if doc.value == Value::Null {
            continue;
        }
        if !matches!(doc.value, Value::Map(_)) {
            return Err(Error::NotAMap {
                file: name.to_string(),
                found: doc.type_name(),
            });
        }
        walk_spans(&mut doc, &remap);
        merge_into(&mut root, doc);
    }
    Ok(root)
}

fn walk_spans(node: &mut Node, f: &dyn Fn(&mut Span)) {
    if let Some(span) = node.span.as_mut() {
        f(span);
    }
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| walk_spans(n, f)),
        Value::Map(entries) => {
            for entry in entries {
                if let Some(span) = entry.key_span.as_mut() {
                    f(span);
                }
                walk_spans(&mut entry.node, f);
            }
        }
        _ => {}
    }
}

/// Byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    text[line_start..]
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| line_start + i)
}

fn embedding_of(node: &Node, inner: &str, text: &str) -> Embedding {
    let Some(span) = node.span else {
        return Embedding::Shift(0);
    };
    // Without an exact mapping every position is the whole string: a secret inside it masks
    // all of it, and a finding underlines it.
    let fallback = Embedding::Start(span);
    let raw = text.get(span.start..span.end).unwrap_or_default();
    match node.style {
        Some(super::ScalarStyle::Plain) if raw == inner => Embedding::Shift(span.start),
        Some(super::ScalarStyle::SingleQuoted | super::ScalarStyle::DoubleQuoted)
            if raw.len() >= 2 && raw.get(1..raw.len() - 1) == Some(inner) =>
        {
            Embedding::Shift(span.start + 1)
        }
        Some(super::ScalarStyle::Literal) => {
            literal_lines(raw, span.start, inner).unwrap_or(fallback)
        }
        _ => fallback,
    }
}

/// Maps the lines of a literal block's value to the lines of its source text, checking that
/// each value line is the source line minus a common indentation.
fn literal_lines(raw: &str, raw_start: usize, inner: &str) -> Option<Embedding> {
    let body_at = raw.find('\n')? + 1;
    let mut outer_lines = Vec::new();
    let mut at = body_at;
    for line in raw[body_at..].split('\n') {
        outer_lines.push((raw_start + at, line.trim_end_matches('\r')));
        at += line.len() + 1;
    }
    let mut indent = None;
    let mut lines = Vec::new();
    let mut inner_at = 0;
    for (k, line) in inner.split('\n').enumerate() {
        if line.is_empty() {
            if let Some(&(outer_start, outer_line)) = outer_lines.get(k) {
                lines.push((
                    inner_at,
                    outer_start + outer_line.len().min(indent.unwrap_or(0)),
                ));
            }
            inner_at += 1;
            continue;
        }
        let &(outer_start, outer_line) = outer_lines.get(k)?;
        let pad = outer_line.len().checked_sub(line.len())?;
        if !outer_line.ends_with(line) || !outer_line[..pad].bytes().all(|b| b == b' ') {
            return None;
        }
        if *indent.get_or_insert(pad) != pad {
            return None;
        }
        lines.push((inner_at, outer_start + pad));
        inner_at += line.len() + 1;
    }
    Some(Embedding::Lines(lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str, opts: LoadOptions) -> Result<(Values, Sources), Error> {
        let mut sources = Sources::new();
        let opts = LoadOptions {
            files: vec!["-".to_string()],
            ..opts
        };
        let values = load(&opts, &mut sources, &mut text.as_bytes())?;
        Ok((values, sources))
    }

    fn slice<'s>(sources: &'s Sources, node: &Node) -> &'s str {
        let span = node.span.unwrap();
        &sources.get(span.source).text[span.start..span.end]
    }

    // Helm's `yaml.Unmarshal` reads only the first document of a values file.
    #[test]
    fn only_the_first_plain_document_counts() {
        let (values, _) = load_text("a: 1\n---\nb: 2\n", LoadOptions::default()).unwrap();
        assert!(values.root.get("a").is_some());
        assert!(values.root.get("b").is_none());
    }

    #[test]
    fn plain_file_from_stdin() {
        let (values, sources) =
            load_text("core:\n  secret: abc\n", LoadOptions::default()).unwrap();
        assert_eq!(
            values.root.get_path("core.secret").unwrap().as_str(),
            Some("abc")
        );
        assert_eq!(
            values.docs,
            [LoadedDoc {
                source: SourceId(0),
                kind: DocKind::Plain,
                values_at: None,
                pinned: None,
            }]
        );
        assert_eq!(sources.get(SourceId(0)).name, "<stdin>");
        assert_eq!(sources.get(SourceId(0)).origin, SourceOrigin::Stdin);
    }

    #[test]
    fn stdin_is_read_once() {
        let mut sources = Sources::new();
        let opts = LoadOptions {
            files: vec!["-".into(), "-".into()],
            ..LoadOptions::default()
        };
        let values = load(&opts, &mut sources, &mut "a: 1\n".as_bytes()).unwrap();
        assert_eq!(sources.iter().count(), 1);
        assert_eq!(values.docs.len(), 2);
    }

    #[test]
    fn empty_file_is_an_empty_map() {
        let (values, _) = load_text("# nothing here\n", LoadOptions::default()).unwrap();
        assert_eq!(values.root.as_map().map(<[_]>::len), Some(0));
        assert!(values.docs.is_empty());
    }

    #[test]
    fn non_map_document_is_an_error() {
        let err = load_text("- a\n- b\n", LoadOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "<stdin>: values must be a map, found a list"
        );
        let err = load_text("just text\n", LoadOptions::default()).unwrap_err();
        assert!(matches!(
            err,
            Error::NotAMap {
                found: "string",
                ..
            }
        ));
    }

    #[test]
    fn files_merge_in_order_and_sets_apply_in_helm_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(
            &a,
            "x: from-a\ny: from-a\nz: from-a\nw: from-a\nlist: [1, 2]\n",
        )
        .unwrap();
        std::fs::write(&b, "y: from-b\nlist: [3]\n").unwrap();
        let content = dir.path().join("content.txt");
        std::fs::write(&content, "from-file").unwrap();
        let opts = LoadOptions {
            files: vec![a.display().to_string(), b.display().to_string()],
            // --set-file wins over --set-string wins over --set, whatever the order given.
            set_file: vec![format!("w={}", content.display())],
            set_string: vec!["z=from-set-string,w=from-set-string".into()],
            set: vec!["z=from-set,w=from-set".into(), "v=1".into()],
            values_root: None,
        };
        let mut sources = Sources::new();
        let values = load(&opts, &mut sources, &mut std::io::empty()).unwrap();
        let root = &values.root;
        assert_eq!(root.get("x").unwrap().as_str(), Some("from-a"));
        assert_eq!(root.get("y").unwrap().as_str(), Some("from-b"));
        assert_eq!(root.get("z").unwrap().as_str(), Some("from-set-string"));
        assert_eq!(root.get("w").unwrap().as_str(), Some("from-file"));
        assert_eq!(root.get("v").unwrap().value, Value::Number("1".into()));
        let Value::Seq(list) = &root.get("list").unwrap().value else {
            panic!()
        };
        assert_eq!(list.len(), 1);
        let z = root.get("z").unwrap().span.unwrap();
        let z_source = sources.get(z.source);
        assert_eq!(z_source.name, "--set-string");
        assert_eq!(z_source.origin, SourceOrigin::Flag);
        assert_eq!(&z_source.text[z.start..z.end], "from-set-string");
        assert_eq!(sources.get(SourceId(0)).origin, SourceOrigin::ValuesFile);
        assert_eq!(sources.get(SourceId(0)).name, a.display().to_string());
    }

    #[test]
    fn file_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut sources = Sources::new();
        let load_one = |path: String, sources: &mut Sources| {
            let opts = LoadOptions {
                files: vec![path],
                ..LoadOptions::default()
            };
            load(&opts, sources, &mut std::io::empty())
        };
        let d = dir.path().display().to_string();
        assert_eq!(
            load_one(d.clone(), &mut sources).unwrap_err().to_string(),
            format!("{d} is a directory, not a values file: give a regular file, or `-` for standard input")
        );
        let missing = dir.path().join("missing.yaml").display().to_string();
        let err = load_one(missing.clone(), &mut sources).unwrap_err();
        assert_eq!(err.to_string(), format!("cannot read {missing}"));
        assert!(std::error::Error::source(&err).is_some());
        let bin = dir.path().join("bin.yaml");
        std::fs::write(&bin, b"a: \x00\x01").unwrap();
        let err = load_one(bin.display().to_string(), &mut sources).unwrap_err();
        assert!(
            matches!(err, Error::Input(crate::input::Error::Binary { .. })),
            "{err}"
        );
        let latin1 = dir.path().join("latin1.yaml");
        std::fs::write(&latin1, b"a: caf\xe9\n").unwrap();
        let err = load_one(latin1.display().to_string(), &mut sources).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} is not a text file (not valid UTF-8): a values file must be UTF-8 text",
                latin1.display()
            )
        );
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "a: ok\nb: [unclosed\n").unwrap();
        let err = load_one(bad.display().to_string(), &mut sources).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("{}:", bad.display())),
            "{err}"
        );
    }

    #[test]
    fn flux_helm_release_is_unwrapped() {
        let text = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: harbor\n---\n\
                    apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: harbor\n\
                    spec:\n  chart:\n    spec:\n      chart: harbor\n  values:\n    core:\n      secret: abcdefghijklmnop\n";
        let (values, sources) = load_text(text, LoadOptions::default()).unwrap();
        let secret = values.root.get_path("core.secret").unwrap();
        assert_eq!(slice(&sources, secret), "abcdefghijklmnop");
        assert!(values.root.get("apiVersion").is_none());
        assert_eq!(values.docs.len(), 1);
        assert_eq!(values.docs[0].kind, DocKind::FluxHelmRelease);
        assert_eq!(values.docs[0].values_at.as_deref(), Some("spec.values"));
        // No spec.values: an empty map.
        let text = "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nspec: {}\n";
        let (values, _) = load_text(text, LoadOptions::default()).unwrap();
        assert_eq!(values.root.as_map().map(<[_]>::len), Some(0));
    }

    #[test]
    fn several_releases_keep_the_harbor_one() {
        let text = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
                    spec:\n  chart:\n    spec:\n      chart: postgresql\n  values:\n    auth: {a: 1}\n---\n\
                    apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n\
                    spec:\n  chart:\n    spec:\n      chart: harbor\n  values:\n    core: {b: 2}\n";
        let (values, _) = load_text(text, LoadOptions::default()).unwrap();
        assert!(values.root.get("auth").is_none());
        assert!(values.root.get("core").is_some());
    }

    #[test]
    fn argo_application_values_object() {
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    chart: harbor\n\
                    \x20   helm:\n      valuesObject:\n        harborAdminPassword: pw\n";
        let (values, sources) = load_text(text, LoadOptions::default()).unwrap();
        assert_eq!(
            slice(&sources, values.root.get("harborAdminPassword").unwrap()),
            "pw"
        );
        assert_eq!(values.docs[0].kind, DocKind::ArgoApplication);
        assert_eq!(
            values.docs[0].values_at.as_deref(),
            Some("spec.source.helm.valuesObject")
        );
    }

    #[test]
    fn argo_multi_source_picks_harbor() {
        let text = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  sources:\n\
                    \x20 - repoURL: https://example.com/git\n    helm:\n      valuesObject: {other: 1}\n\
                    \x20 - chart: harbor\n    helm:\n      valuesObject: {mine: 2}\n";
        let (values, _) = load_text(text, LoadOptions::default()).unwrap();
        assert!(values.root.get("other").is_none());
        assert!(values.root.get("mine").is_some());
        assert_eq!(
            values.docs[0].values_at.as_deref(),
            Some("spec.sources[1].helm.valuesObject")
        );
    }

    #[test]
    fn argo_values_string_keeps_spans_for_literal_blocks() {
        let text = "apiVersion: argoproj.io/v1alpha1\r\nkind: Application\r\nspec:\r\n  source:\r\n    helm:\r\n\
                    \x20     values: |\r\n        core:\r\n\r\n          secret: \"s3cr3t\"\r\n        tag: v1\r\n";
        let (values, sources) = load_text(text, LoadOptions::default()).unwrap();
        let secret = values.root.get_path("core.secret").unwrap();
        assert_eq!(slice(&sources, secret), "\"s3cr3t\"");
        let span = secret.span.unwrap();
        assert_eq!((span.line, span.column), (9, 19));
        let key = values.root.entry("tag").unwrap().key_span.unwrap();
        assert_eq!(&sources.get(key.source).text[key.start..key.end], "tag");
        assert_eq!(
            values.docs[0].values_at.as_deref(),
            Some("spec.source.helm.values")
        );
    }

    #[test]
    fn argo_values_string_errors_point_into_the_file() {
        let text =
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    helm:\n\
                    \x20     values: |\n        a: ok\n        b: [unclosed\n";
        let err = load_text(text, LoadOptions::default()).unwrap_err();
        let Error::Yaml { line, .. } = err else {
            panic!("{err:?}")
        };
        assert!(line >= 8, "{line}");
    }

    #[test]
    fn argo_values_string_in_other_styles_points_at_the_string() {
        let text =
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    helm:\n\
                    \x20     values: \"a: 1\\nb: 2\\n\"\n";
        let (values, sources) = load_text(text, LoadOptions::default()).unwrap();
        let b = values.root.get("b").unwrap();
        assert_eq!(b.value, Value::Number("2".into()));
        let span = b.span.unwrap();
        assert_eq!(
            &sources.get(span.source).text[span.start..span.end],
            "\"a: 1\\nb: 2\\n\""
        );
    }

    #[test]
    fn values_root_selects_a_sub_tree() {
        let text = "harbor:\n  core:\n    secret: x\noidc:\n  enabled: true\n";
        let opts = LoadOptions {
            values_root: Some("harbor".into()),
            ..LoadOptions::default()
        };
        let (values, _) = load_text(text, opts).unwrap();
        assert!(values.root.get_path("core.secret").is_some());
        assert!(values.root.get("oidc").is_none());
        assert_eq!(values.docs[0].values_at.as_deref(), Some("harbor"));
        let opts = LoadOptions {
            values_root: Some("a.b".into()),
            ..LoadOptions::default()
        };
        let (values, _) = load_text("a:\n  b:\n    c: 1\n", opts).unwrap();
        assert!(values.root.get("c").is_some());
        let opts = LoadOptions {
            values_root: Some("harbor".into()),
            ..LoadOptions::default()
        };
        let err = load_text("core: {}\n", opts).unwrap_err();
        assert_eq!(err.to_string(), "<stdin>: --values-root `harbor` not found");
    }

    #[test]
    fn values_root_skips_files_without_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, "harbor:\n  x: 1\n").unwrap();
        std::fs::write(&b, "x: 2\n").unwrap();
        let opts = LoadOptions {
            files: vec![a.display().to_string(), b.display().to_string()],
            values_root: Some("harbor".into()),
            ..LoadOptions::default()
        };
        let values = load(&opts, &mut Sources::new(), &mut std::io::empty()).unwrap();
        assert_eq!(
            values.root.get("x").unwrap().value,
            Value::Number("1".into())
        );
        assert_eq!(values.docs.len(), 1);
    }

    #[test]
    fn set_errors_name_the_flag() {
        let opts = LoadOptions {
            set: vec!["a=1".into(), "b".into()],
            ..LoadOptions::default()
        };
        let err = load_text("", opts).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --set argument #2: key `b` has no value"
        );
    }

    /// The shared test data lives beside the crate (`../shared`); `test` skips, saying so,
    /// when it is absent.
    fn shared(test: &str, dir: &str) -> Option<Vec<std::path::PathBuf>> {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared")
            .join(dir);
        let Ok(entries) = std::fs::read_dir(&base) else {
            crate::test_skip(&format!("{test}: {} is absent", base.display()));
            return None;
        };
        let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        Some(paths)
    }

    #[test]
    fn every_chart_default_values_file_loads() {
        let Some(dirs) = shared("every_chart_default_values_file_loads", "harbor-helm") else {
            return;
        };
        let mut checked = 0;
        for dir in dirs {
            let file = dir.join("values.yaml");
            if !file.is_file() {
                continue;
            }
            let path = file.display().to_string();
            let mut sources = Sources::new();
            let opts = LoadOptions {
                files: vec![path.clone()],
                ..LoadOptions::default()
            };
            let values = load(&opts, &mut sources, &mut std::io::empty())
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(!values.root.as_map().unwrap().is_empty(), "{path}");
            if let Some(key) = values.root.get_path("core.tokenKey") {
                // Chart defaults write the token key as a literal block (empty or not).
                assert_eq!(
                    key.style,
                    Some(crate::values::ScalarStyle::Literal),
                    "{path}"
                );
                let text = slice(&sources, key);
                assert!(text.starts_with('|'), "{path}");
                if key.as_str() == Some("") {
                    assert_eq!(text, "|", "{path}");
                }
            }
            checked += 1;
        }
        assert!(checked > 0);
    }

    #[test]
    fn every_real_world_values_file_loads() {
        let Some(files) = shared("every_real_world_values_file_loads", "real-world-values") else {
            return;
        };
        let mut checked = 0;
        for file in files {
            if file.extension().and_then(|e| e.to_str()) != Some("yaml") {
                continue;
            }
            let path = file.display().to_string();
            let fname = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let umbrella = fname.starts_with("epam__") || fname.starts_with("injunweb__");
            let opts = LoadOptions {
                files: vec![path.clone()],
                values_root: umbrella.then(|| "harbor".to_string()),
                ..LoadOptions::default()
            };
            let mut sources = Sources::new();
            let values = load(&opts, &mut sources, &mut std::io::empty())
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(!values.root.as_map().unwrap().is_empty(), "{path}");
            if fname.contains("helmrelease") {
                assert_eq!(values.docs[0].kind, DocKind::FluxHelmRelease, "{path}");
            }
            checked += 1;
        }
        assert!(checked > 0);
    }
}
