//! Property tests of the editor: on generated values documents (every scalar style, comments,
//! flow maps, nested maps, anchors, CRLF, a BOM, a missing final newline, Flux and umbrella
//! wrappers) and on every values file of `testdata/` and `../shared`, blanking the regenerable
//! credentials must give a file that parses, differs from the original tree only at the blanked
//! paths, does not change when blanked again, and rolls back to the original bytes.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;
use crate::values::edit_rollback::{parse_rollback, render_rollback, RollbackMeta};

/// The fields `keys reset` blanks.
const RESET_FIELDS: &[&str] = &[
    "core.tokenKey",
    "core.tokenCert",
    "core.secret",
    "jobservice.secret",
    "registry.secret",
    "core.xsrfKey",
];

fn is_set(node: &Node) -> bool {
    match &node.value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// The changes `keys reset` makes (every regenerable field that is set, in every values
/// document).
fn reset_changes(text: &str, values_root: Option<&str>) -> Vec<Change> {
    let docs = parse_documents(SourceId(0), text).expect("parses");
    let roots = values_roots(&docs, values_root).expect("values roots");
    let mut changes = Vec::new();
    for root in roots {
        let Some(values) = get(&docs[root.doc], &root.prefix) else {
            continue;
        };
        for field in RESET_FIELDS {
            if values.get_path(field).is_some_and(is_set) {
                changes.push(Change {
                    doc: root.doc,
                    path: root.prefix.join(&DocPath::keys(field)),
                    value: Value::String(String::new()),
                });
            }
        }
    }
    changes
}

/// Checks every property of a reset on one text; returns the reset text.
fn check_reset(text: &str, values_root: Option<&str>, what: &str) -> String {
    let original = parse_documents(SourceId(0), text).unwrap_or_else(|e| panic!("{what}: {e}"));
    let changes = reset_changes(text, values_root);
    let reset = edit(text, &changes).unwrap_or_else(|e| panic!("{what}: {e}"));
    // Re-parses, and differs only at the blanked paths.
    let reparsed = parse_documents(SourceId(0), &reset).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut expected = original.clone();
    for c in &changes {
        set_path(&mut expected[c.doc], &c.path.0, &c.value);
    }
    assert_eq!(reparsed.len(), expected.len(), "{what}");
    for (want, got) in expected.iter().zip(&reparsed) {
        assert_eq!(first_difference(want, got, &mut Vec::new()), None, "{what}");
    }
    // Nothing left to blank: resetting twice equals resetting once.
    assert!(reset_changes(&reset, values_root).is_empty(), "{what}");
    assert_eq!(edit(&reset, &[]).unwrap(), reset, "{what}");
    // Form survives.
    assert_eq!(
        reset.starts_with('\u{feff}'),
        text.starts_with('\u{feff}'),
        "{what}"
    );
    assert_eq!(reset.ends_with('\n'), text.ends_with('\n'), "{what}");
    let bare_lf = |t: &str| t.matches('\n').count() - t.matches("\r\n").count();
    if bare_lf(text) == 0 {
        assert_eq!(bare_lf(&reset), 0, "{what}: CRLF file got a bare LF");
    }
    // Rolls back to the original bytes, also through a rollback file.
    let reverse = reverse_edits(text, &reset);
    assert_eq!(apply_edits(&reset, &reverse).unwrap(), text, "{what}");
    let meta = RollbackMeta {
        command: "keys reset".into(),
        values_file: "/values.yaml".into(),
        sha256_before: crate::pki::sha256_hex(text.as_bytes()),
        sha256_after: crate::pki::sha256_hex(reset.as_bytes()),
        time: String::new(),
        tool: String::new(),
        values_root: values_root.map(str::to_string),
        values_at: None,
        reverse,
    };
    let old: Vec<(DocPath, Value)> = changes
        .iter()
        .map(|c| {
            let v = get(&original[c.doc], &c.path).map_or(Value::Null, |n| n.value.clone());
            (c.path.clone(), v)
        })
        .collect();
    let file = render_rollback(&meta, &old);
    let parsed = parse_rollback(&file).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        apply_edits(&reset, &parsed.meta.reverse).unwrap(),
        text,
        "{what}"
    );
    let sorted = |mut v: Vec<(DocPath, Value)>| {
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    // The overlay holds the old values (grouped by map, so in another order).
    assert!(
        sorted(parsed.values) == sorted(old),
        "{what}: the overlay does not hold the old values"
    );
    reset
}

// ---------------------------------------------------------------------------------------------
// Generated documents

/// How one value is written.
#[derive(Debug, Clone, Copy)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
    LiteralStrip,
    LiteralComment,
    Folded,
    EmptyBlockThenComment,
    Empty,
    EmptyComment,
    EmptyQuoted,
    Number,
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        Just(Style::Plain),
        Just(Style::Single),
        Just(Style::Double),
        Just(Style::Literal),
        Just(Style::LiteralStrip),
        Just(Style::LiteralComment),
        Just(Style::Folded),
        Just(Style::EmptyBlockThenComment),
        Just(Style::Empty),
        Just(Style::EmptyComment),
        Just(Style::EmptyQuoted),
        Just(Style::Number),
    ]
}

/// Lines of `key: value` at `indent`, content indented by `step` more.
fn entry_lines(
    key: &str,
    style: Style,
    words: &[String],
    indent: usize,
    step: usize,
) -> Vec<String> {
    let pad = " ".repeat(indent);
    let inner = " ".repeat(indent + step);
    let word = words.first().cloned().unwrap_or_else(|| "x".into());
    let block = |header: &str| {
        let mut v = vec![format!("{pad}{key}: {header}")];
        v.extend(words.iter().map(|w| format!("{inner}{w}")));
        v
    };
    match style {
        Style::Plain => vec![format!("{pad}{key}: v{word} tail")],
        Style::Single => vec![format!("{pad}{key}: '{word} it''s'")],
        Style::Double => vec![format!("{pad}{key}: \"{word}\\t\\\"q\\\"\" # quoted")],
        Style::Literal => block("|"),
        Style::LiteralStrip => block("|-"),
        Style::LiteralComment => block("| # pinned by hand"),
        Style::Folded => block(">"),
        Style::EmptyBlockThenComment => {
            vec![format!("{pad}{key}: |"), format!("{pad}# set {key} above")]
        }
        Style::Empty => vec![format!("{pad}{key}:")],
        Style::EmptyComment => vec![format!("{pad}{key}: # nothing yet")],
        Style::EmptyQuoted => vec![format!("{pad}{key}: \"\"")],
        Style::Number => vec![format!("{pad}{key}: 1234567890123456")],
    }
}

/// One section of the root map.
#[derive(Debug, Clone)]
enum Section {
    /// `name:` with entries in block style, comments and blank lines between them.
    Block {
        name: &'static str,
        entries: Vec<(&'static str, Style, Vec<String>)>,
        comment: bool,
        blank: bool,
        nested: bool,
    },
    /// `name: {key: value, …}` on one line.
    Flow {
        name: &'static str,
        entries: Vec<(&'static str, String)>,
    },
    /// Comments, blank lines, lists, flow maps, anchors and merge keys that must not change.
    Filler(u8),
}

fn words() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[A-Za-z0-9+/=]{1,24}", 1..4)
}

fn block_section(
    name: &'static str,
    keys: &'static [&'static str],
) -> impl Strategy<Value = Section> {
    (
        prop::collection::vec((prop::sample::select(keys), style(), words()), 1..5),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(entries, comment, blank, nested)| {
            // One entry per key: YAML allows duplicates, Helm takes the last, the editor
            // edits the last, but a generated duplicate says nothing new.
            let mut seen = Vec::new();
            let entries = entries
                .into_iter()
                .filter(|(k, _, _)| {
                    let fresh = !seen.contains(k);
                    seen.push(*k);
                    fresh
                })
                .collect();
            Section::Block {
                name,
                entries,
                comment,
                blank,
                nested,
            }
        })
}

fn flow_section(
    name: &'static str,
    keys: &'static [&'static str],
) -> impl Strategy<Value = Section> {
    prop::collection::vec(
        (
            prop::sample::select(keys),
            prop_oneof![
                "v[a-z0-9]{1,12}".prop_map(|s| s),
                "[a-z0-9]{0,12}".prop_map(|s| format!("\"{s}\"")),
                "[1-9][0-9]{0,6}".prop_map(|s| s),
            ],
        ),
        0..4,
    )
    .prop_map(move |entries| {
        let mut seen = Vec::new();
        let entries = entries
            .into_iter()
            .filter(|(k, _)| {
                let fresh = !seen.contains(k);
                seen.push(*k);
                fresh
            })
            .collect();
        Section::Flow { name, entries }
    })
}

const CORE_KEYS: &[&str] = &[
    "tokenKey",
    "tokenCert",
    "secret",
    "xsrfKey",
    "secretName",
    "replicas",
];
const SECRET_KEYS: &[&str] = &["secret", "existingSecret", "logLevel"];

fn section() -> impl Strategy<Value = Section> {
    prop_oneof![
        block_section("core", CORE_KEYS),
        flow_section("core", CORE_KEYS),
        block_section("jobservice", SECRET_KEYS),
        flow_section("jobservice", SECRET_KEYS),
        block_section("registry", SECRET_KEYS),
        flow_section("registry", SECRET_KEYS),
        (0u8..6).prop_map(Section::Filler),
    ]
}

fn render_section(section: &Section, indent: usize, step: usize, n: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    match section {
        Section::Block {
            name,
            entries,
            comment,
            blank,
            nested,
        } => {
            let mut lines = vec![format!("{pad}{name}: # section")];
            let inner = indent + step;
            for (i, (key, style, words)) in entries.iter().enumerate() {
                if *comment && i == 0 {
                    lines.push(format!("{}# about {key}", " ".repeat(inner)));
                }
                if *blank && i == 1 {
                    lines.push(String::new());
                }
                lines.extend(entry_lines(key, *style, words, inner, step));
            }
            if *nested {
                let p = " ".repeat(inner);
                let q = " ".repeat(inner + step);
                lines.push(format!("{p}image:"));
                lines.push(format!("{q}repository: goharbor/harbor-core"));
                lines.push(format!("{q}tag: v2.10.2"));
            }
            lines
        }
        Section::Flow { name, entries } => {
            let body = entries
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            vec![format!("{pad}{name}: {{{body}}}")]
        }
        Section::Filler(kind) => {
            let p = " ".repeat(indent + step);
            match kind {
                0 => vec![format!("{pad}# a comment line {n}"), String::new()],
                1 => vec![format!(
                    "{pad}expose{n}: {{type: ingress, tls: {{enabled: true}}}}"
                )],
                2 => vec![
                    format!("{pad}list{n}:"),
                    format!("{p}- a"),
                    format!("{p}- b: 1"),
                    format!("{p}  c: \"two\""),
                ],
                3 => vec![
                    format!("{pad}base{n}: &base{n}"),
                    format!("{p}x: 1"),
                    format!("{pad}copy{n}: *base{n}"),
                    format!("{pad}merged{n}:"),
                    format!("{p}<<: *base{n}"),
                    format!("{p}y: 2"),
                ],
                4 => vec![format!("{pad}secretKey{n}: \"not-a-secure-key\" # keep")],
                _ => vec![
                    format!("{pad}database{n}:"),
                    format!("{p}internal:"),
                    format!("{p}{}password: 'changeit'", " ".repeat(step)),
                ],
            }
        }
    }
}

/// How the values are wrapped.
#[derive(Debug, Clone, Copy)]
enum Wrap {
    Plain,
    Flux,
    Umbrella,
    AfterOtherDocument,
}

#[derive(Debug, Clone)]
struct GenDoc {
    sections: Vec<Section>,
    wrap: Wrap,
    step: usize,
    crlf: bool,
    bom: bool,
    final_newline: bool,
}

fn gen_doc() -> impl Strategy<Value = GenDoc> {
    (
        prop::collection::vec(section(), 1..7),
        prop_oneof![
            Just(Wrap::Plain),
            Just(Wrap::Flux),
            Just(Wrap::Umbrella),
            Just(Wrap::AfterOtherDocument)
        ],
        prop_oneof![Just(2usize), Just(4usize)],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(sections, wrap, step, crlf, bom, final_newline)| GenDoc {
            sections,
            wrap,
            step,
            crlf,
            bom,
            final_newline,
        })
}

impl GenDoc {
    /// The text and the `--values-root` it needs.
    fn render(&self) -> (String, Option<&'static str>) {
        let (mut lines, indent, root) = match self.wrap {
            Wrap::Plain => (vec!["# values".to_string()], 0, None),
            Wrap::AfterOtherDocument => (
                vec![
                    "apiVersion: v1".to_string(),
                    "kind: Namespace".to_string(),
                    "metadata: {name: harbor}".to_string(),
                    "---".to_string(),
                ],
                0,
                None,
            ),
            Wrap::Flux => (
                vec![
                    "apiVersion: helm.toolkit.fluxcd.io/v2".to_string(),
                    "kind: HelmRelease".to_string(),
                    "metadata:".to_string(),
                    format!("{}name: harbor", " ".repeat(self.step)),
                    "spec:".to_string(),
                    format!("{}values:", " ".repeat(self.step)),
                ],
                2 * self.step,
                None,
            ),
            Wrap::Umbrella => (
                vec!["harbor: # the subchart".to_string()],
                self.step,
                Some("harbor"),
            ),
        };
        let mut used = Vec::new();
        for (n, section) in self.sections.iter().enumerate() {
            // Each top-level section name once.
            let name = match section {
                Section::Block { name, .. } | Section::Flow { name, .. } => Some(*name),
                Section::Filler(_) => None,
            };
            if let Some(name) = name {
                if used.contains(&name) {
                    continue;
                }
                used.push(name);
            }
            lines.extend(render_section(section, indent, self.step, n));
        }
        if lines
            .iter()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            lines.push(format!("{}other: 1", " ".repeat(indent)));
        }
        let nl = if self.crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(nl);
        if self.final_newline {
            text.push_str(nl);
        }
        if self.bom {
            text.insert(0, '\u{feff}');
        }
        (text, root)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn reset_properties_hold_on_generated_documents(doc in gen_doc()) {
        let (text, root) = doc.render();
        prop_assume!(parse_documents(SourceId(0), &text).is_ok());
        check_reset(&text, root, &format!("{text:?}"));
    }

    #[test]
    fn pem_values_can_be_written_then_reset(doc in gen_doc(), lines in prop::collection::vec("[A-Za-z0-9+/]{1,64}", 1..30)) {
        let (text, root) = doc.render();
        prop_assume!(parse_documents(SourceId(0), &text).is_ok());
        let pem = format!("-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n", lines.join("\n"));
        let docs = parse_documents(SourceId(0), &text).unwrap();
        let roots = values_roots(&docs, root).unwrap();
        let changes: Vec<Change> = roots
            .iter()
            .map(|r| Change { doc: r.doc, path: r.prefix.join(&DocPath::keys("core.tokenKey")), value: Value::String(pem.clone()) })
            .collect();
        let written = edit(&text, &changes).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let reparsed = parse_documents(SourceId(0), &written).unwrap();
        for r in &roots {
            let got = get(&reparsed[r.doc], &r.prefix.join(&DocPath::keys("core.tokenKey")));
            prop_assert_eq!(got.and_then(Node::as_str), Some(pem.as_str()));
        }
        let reset = check_reset(&written, root, &format!("{written:?}"));
        prop_assert!(!reset.contains("BEGIN RSA"));
    }
}

// ---------------------------------------------------------------------------------------------
// Real files

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/keys")
        .join(name);
    std::fs::read_to_string(path).expect("key fixture")
}

/// Pins a real key pair and secrets into every values document (inserting keys where the
/// file has none, as `--set-file` would set them), then checks every reset property.
fn check_file(path: &Path) {
    let what = path.display().to_string();
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipping {what}: not readable as text");
        return;
    };
    let Ok(docs) = parse_documents(SourceId(0), &text) else {
        eprintln!("skipping {what}: not valid YAML");
        return;
    };
    let roots = match values_roots(&docs, None) {
        Ok(roots) => roots,
        Err(e) => {
            eprintln!("skipping {what}: {e}");
            return;
        }
    };
    // As the file is.
    check_reset(&text, None, &what);
    // With everything pinned.
    let key = fixture("rsa2048.key");
    let cert = fixture("rsa2048.crt");
    let mut changes = Vec::new();
    for root in &roots {
        for (field, value) in [
            ("core.tokenKey", key.as_str()),
            ("core.tokenCert", cert.as_str()),
            ("core.secret", "Cr5tW8nQ1zX6vB3y"),
            ("jobservice.secret", "Jb4s9QxT2mV7cW1e"),
            ("registry.secret", "Rg7hK2pL9xQ4mZ8a"),
            ("core.xsrfKey", "p0W7eR4tY1uI8oP3aS6dF9gH2jK5lZ0x"),
        ] {
            changes.push(Change {
                doc: root.doc,
                path: root.prefix.join(&DocPath::keys(field)),
                value: Value::String(value.to_string()),
            });
        }
    }
    let pinned = match edit(&text, &changes) {
        Ok(pinned) => pinned,
        Err(e) => panic!("{what}: pinning failed: {e}"),
    };
    let reset = check_reset(&pinned, None, &format!("{what} (pinned)"));
    assert!(!reset.contains("PRIVATE KEY"), "{what}");
}

#[test]
fn reset_properties_hold_on_testdata() {
    let mut files = Vec::new();
    yaml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"),
        &mut files,
    );
    assert!(!files.is_empty());
    for file in files {
        check_file(&file);
    }
}

fn shared_files(test: &str, sub: &str) -> Option<Vec<PathBuf>> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if !base.is_dir() {
        crate::test_skip(&format!("{test}: {} is absent", base.display()));
        return None;
    }
    let mut files = Vec::new();
    yaml_files(&base.join(sub), &mut files);
    Some(files)
}

#[test]
fn reset_properties_hold_on_every_chart_default() {
    let Some(files) = shared_files(
        "reset_properties_hold_on_every_chart_default",
        "harbor-helm",
    ) else {
        return;
    };
    let files: Vec<_> = files
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "values.yaml"))
        .collect();
    assert!(files.len() > 10, "{files:?}");
    for file in files {
        check_file(&file);
    }
}

#[test]
fn reset_properties_hold_on_real_world_values() {
    let Some(files) = shared_files(
        "reset_properties_hold_on_real_world_values",
        "real-world-values",
    ) else {
        return;
    };
    assert!(!files.is_empty());
    for file in files {
        check_file(&file);
    }
}
