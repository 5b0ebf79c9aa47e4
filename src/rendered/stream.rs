//! The text forms Helm prints a manifest in: the release printout of `--dry-run`, the JSON
//! release of `-o json`, and the `# Source:` comments before each document.

use crate::values::{Node, Value};

/// Section lines of `helm install|upgrade --dry-run` after which YAML documents follow.
const YAML_SECTIONS: &[&str] = &["HOOKS:", "MANIFEST:"];

/// Section lines after which free text or values follow (not part of the manifest).
const TEXT_SECTIONS: &[&str] = &["NOTES:", "USER-SUPPLIED VALUES:", "COMPUTED VALUES:"];

/// For the release printout of `helm install|upgrade --dry-run` (a `MANIFEST:` line), the text
/// with everything but the hook and manifest documents replaced by spaces, byte for byte, so
/// that offsets, lines and columns stay those of the file; `None` for a plain stream.
pub(super) fn blank_release_text(text: &str) -> Option<String> {
    if !text.lines().any(|l| l.trim_end() == "MANIFEST:") {
        return None;
    }
    let mut out = Vec::with_capacity(text.len());
    let mut in_yaml = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        let keep = if YAML_SECTIONS.contains(&bare) {
            in_yaml = true;
            false
        } else if TEXT_SECTIONS.contains(&bare) {
            in_yaml = false;
            false
        } else {
            in_yaml
        };
        if keep {
            out.extend_from_slice(line.as_bytes());
        } else {
            out.extend(
                line.bytes()
                    .map(|b| if b == b'\n' || b == b'\r' { b } else { b' ' }),
            );
        }
    }
    // Only ASCII spaces replaced whole lines, so the text is still UTF-8.
    String::from_utf8(out).ok()
}

/// The manifest of a release printed as JSON (`helm … --dry-run -o json`).
pub(super) struct ReleaseJson {
    /// The manifest, hook manifests appended as further documents.
    pub manifest: String,
    /// `chart.metadata.version`.
    pub chart_version: Option<String>,
}

/// The release in documents parsed from JSON: one map with a string `manifest` and no `kind`.
pub(super) fn release_json(docs: &[Node]) -> Option<ReleaseJson> {
    let [doc] = docs else {
        return None;
    };
    if doc.get("kind").is_some() {
        return None;
    }
    let mut manifest = doc.get("manifest")?.as_str()?.to_string();
    if let Some(Value::Seq(hooks)) = doc.get("hooks").map(|n| &n.value) {
        for hook in hooks {
            if let Some(text) = hook.get("manifest").and_then(Node::as_str) {
                if !manifest.ends_with('\n') {
                    manifest.push('\n');
                }
                manifest.push_str("---\n");
                manifest.push_str(text);
            }
        }
    }
    Some(ReleaseJson {
        manifest,
        chart_version: doc
            .get_path("chart.metadata.version")
            .and_then(Node::as_str)
            .map(str::to_string),
    })
}

/// `(byte offset, template path)` of every `# Source: …` line, in order.
pub(super) fn source_comments(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("# Source: ") {
            out.push((offset, path.trim_end().to_string()));
        }
        offset += line.len();
    }
    out
}

/// The template of the last `# Source:` comment between `after` and `offset` (the comment
/// that opens the document starting at `offset`).
pub(super) fn template_before(
    comments: &[(usize, String)],
    after: usize,
    offset: usize,
) -> Option<String> {
    let i = comments.partition_point(|(at, _)| *at < offset);
    let (at, path) = &comments[i.checked_sub(1)?];
    (*at >= after).then(|| path.clone())
}
