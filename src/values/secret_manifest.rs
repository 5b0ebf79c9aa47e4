//! Kubernetes Secret manifests given with `--secret`, as `kubectl get secret -o yaml|json`
//! prints them: one Secret, a `List` (or `SecretList`) with `items`, or several YAML documents.
//!
//! `data` values are decoded from base64 and `stringData` values override them, as the API
//! server does. Every value range — and the `kubectl.kubernetes.io/last-applied-configuration`
//! annotation, which repeats the Secret in clear — is registered with [`Sources::redact`] so
//! that no renderer ever prints it.

use std::collections::BTreeMap;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::load::{read_file, read_stdin, STDIN_NAME};
use super::yaml::parse_named;
use super::{Error, Node, SourceId, SourceOrigin, Sources, Span, Value};
use crate::input::Kind;

/// Annotation in which `kubectl apply` keeps the whole object, secret values included.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Standard base64 that also accepts missing padding (the line breaks are removed first).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEntry {
    /// The decoded bytes.
    pub bytes: Vec<u8>,
    /// Where the (encoded) value is written; redacted in [`Sources`].
    pub span: Option<Span>,
    /// The value came from `stringData` (clear text) rather than `data` (base64).
    pub from_string_data: bool,
}

/// One Secret object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretObject {
    /// `metadata.name` (empty if absent).
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: Option<String>,
    /// `type` (`Opaque`, `kubernetes.io/tls` …).
    pub secret_type: Option<String>,
    /// The file it was read from.
    pub source: SourceId,
    /// Where `metadata.name` is written.
    pub name_span: Option<Span>,
    /// The keys, `stringData` already applied over `data`.
    pub data: BTreeMap<String, SecretEntry>,
}

/// Reads the Secrets in a file (`-` is standard input, shown as `<stdin>`).
///
/// The text is added to `sources` with origin [`SourceOrigin::SecretFile`] (also for standard
/// input, so that it is known to hold secrets). Objects that are not Secrets are ignored; a
/// file without any Secret is [`Error::NoSecret`].
pub fn load_secret_file(
    path: &str,
    sources: &mut Sources,
    stdin: &mut dyn std::io::Read,
) -> Result<Vec<SecretObject>, Error> {
    let (name, text) = if path == "-" {
        (
            STDIN_NAME.to_string(),
            read_stdin(stdin, Kind::SecretManifest)?,
        )
    } else {
        (path.to_string(), read_file(path, Kind::SecretManifest)?)
    };
    secrets_from_source(name, text, SourceOrigin::SecretFile, sources)
}

/// Reads the Secrets in a text that has no file of its own (a live Secret written out as YAML),
/// adding it to `sources` under `name` with `origin`; redacted like a file.
pub fn secrets_from_text(
    name: &str,
    text: &str,
    origin: SourceOrigin,
    sources: &mut Sources,
) -> Result<Vec<SecretObject>, Error> {
    secrets_from_source(name.to_string(), text.to_string(), origin, sources)
}

/// [`secrets_from_text`] for a text the caller owns: it moves into `sources` and is parsed
/// there, never copied.
fn secrets_from_source(
    name: String,
    text: String,
    origin: SourceOrigin,
    sources: &mut Sources,
) -> Result<Vec<SecretObject>, Error> {
    let source = sources.add(name.clone(), text, origin);
    let docs = parse_named(source, &name, &sources.get(source).text)?;
    let secrets = secrets_in_documents(&docs, source, &name, sources)?;
    if secrets.is_empty() {
        return Err(Error::NoSecret { file: name });
    }
    Ok(secrets)
}

/// The Secrets among documents already parsed from `source` (named `name` in errors), their
/// values redacted in `sources`; objects that are not Secrets are ignored, and none is fine.
pub fn secrets_in_documents(
    docs: &[Node],
    source: SourceId,
    name: &str,
    sources: &mut Sources,
) -> Result<Vec<SecretObject>, Error> {
    let mut objects = Vec::new();
    for doc in docs {
        collect(doc, false, &mut objects);
    }
    // Redact first, so that nothing leaks even if a later key turns out to be malformed.
    for object in &objects {
        redact_object(object, sources);
    }
    objects
        .into_iter()
        .map(|node| secret_from(node, source, name))
        .collect()
}

/// Finds Secret objects: top-level ones and items of `List`/`SecretList`.
fn collect<'n>(node: &'n Node, in_secret_list: bool, out: &mut Vec<&'n Node>) {
    let kind = node.get("kind").and_then(Node::as_str);
    match kind {
        Some("Secret") => out.push(node),
        None if in_secret_list && node.as_map().is_some() => out.push(node),
        Some(list) if list.ends_with("List") => {
            if let Some(Value::Seq(items)) = node.get("items").map(|n| &n.value) {
                for item in items {
                    collect(item, list == "SecretList", out);
                }
            }
        }
        _ => {}
    }
}

fn redact_object(object: &Node, sources: &mut Sources) {
    for field in ["data", "stringData"] {
        if let Some(entries) = object.get(field).and_then(Node::as_map) {
            for entry in entries {
                if let Some(span) = entry.node.span {
                    sources.redact(span);
                }
            }
        }
    }
    if let Some(span) = object
        .get_path("metadata.annotations")
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(|n| n.span)
    {
        sources.redact(span);
    }
}

fn secret_from(object: &Node, source: SourceId, file: &str) -> Result<SecretObject, Error> {
    let name_node = object.get_path("metadata.name");
    let name = name_node
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    let invalid = |reason: String| Error::InvalidSecret {
        file: file.to_string(),
        reason,
    };

    let mut data = BTreeMap::new();
    for (field, from_string_data) in [("data", false), ("stringData", true)] {
        let entries = match object.get(field).map(|n| &n.value) {
            None | Some(Value::Null) => continue,
            Some(Value::Map(entries)) => entries,
            Some(_) => {
                return Err(invalid(format!(
                    "`{field}` of Secret `{name}` is not a map"
                )))
            }
        };
        for entry in entries {
            let text = match &entry.node.value {
                Value::String(s) => s.as_str(),
                Value::Null => "",
                _ => {
                    return Err(invalid(format!(
                        "key `{}` in `{field}` of Secret `{name}` is not a string",
                        entry.key
                    )))
                }
            };
            let bytes = if from_string_data {
                text.as_bytes().to_vec()
            } else {
                let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                BASE64.decode(compact.as_bytes()).map_err(|_| {
                    invalid(format!(
                        "key `{}` in `data` of Secret `{name}` is not valid base64",
                        entry.key
                    ))
                })?
            };
            // stringData is applied after data, so it wins for the same key.
            data.insert(
                entry.key.clone(),
                SecretEntry {
                    bytes,
                    span: entry.node.span,
                    from_string_data,
                },
            );
        }
    }
    Ok(SecretObject {
        name,
        namespace: object
            .get_path("metadata.namespace")
            .and_then(Node::as_str)
            .map(str::to_string),
        secret_type: object
            .get("type")
            .and_then(Node::as_str)
            .map(str::to_string),
        source,
        name_span: name_node.and_then(|n| n.span),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> (Result<Vec<SecretObject>, Error>, Sources) {
        let mut sources = Sources::new();
        let result = load_secret_file("-", &mut sources, &mut text.as_bytes());
        (result, sources)
    }

    fn redacted_texts(sources: &Sources) -> Vec<String> {
        let text = &sources.get(SourceId(0)).text;
        sources
            .redactions(SourceId(0))
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
    }

    const YAML: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: harbor-core\n  namespace: harbor\n\
        \x20 annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {\"data\":{\"secret\":\"c2VjcmV0\"}}\n\
        type: Opaque\ndata:\n  secret: c2Vj\n    cmV0\n  tls.key: \"a2V5\"\n";

    #[test]
    fn yaml_secret_is_decoded_and_redacted() {
        let (result, sources) = load_str(YAML);
        let secrets = result.unwrap();
        assert_eq!(secrets.len(), 1);
        let s = &secrets[0];
        assert_eq!(s.name, "harbor-core");
        assert_eq!(s.namespace.as_deref(), Some("harbor"));
        assert_eq!(s.secret_type.as_deref(), Some("Opaque"));
        let name_span = s.name_span.unwrap();
        assert_eq!(
            &sources.get(s.source).text[name_span.start..name_span.end],
            "harbor-core"
        );
        assert_eq!(s.data["secret"].bytes, b"secret");
        assert_eq!(s.data["tls.key"].bytes, b"key");
        assert!(!s.data["secret"].from_string_data);
        assert_eq!(sources.get(s.source).origin, SourceOrigin::SecretFile);
        let redacted = redacted_texts(&sources);
        assert_eq!(redacted.len(), 3, "{redacted:?}");
        assert!(redacted
            .iter()
            .any(|r| r.contains("c2VjcmV0") && r.starts_with('|')));
        assert!(redacted.contains(&"c2Vj\n    cmV0".to_string()));
        assert!(redacted.contains(&"\"a2V5\"".to_string()));
    }

    #[test]
    fn json_secret() {
        let json = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"dmFsdWU="}}"#;
        let (result, sources) = load_str(json);
        let secrets = result.unwrap();
        assert_eq!(secrets[0].data["k"].bytes, b"value");
        assert_eq!(redacted_texts(&sources), ["\"dmFsdWU=\""]);
    }

    #[test]
    fn list_and_multi_document() {
        let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: a}\n  data: {x: eA==}\n\
                    - apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cm}\n  data: {y: plain}\n\
                    - apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n  stringData: {z: zz}\n";
        let (result, sources) = load_str(list);
        let secrets = result.unwrap();
        let names: Vec<_> = secrets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        // The ConfigMap's data is not a secret.
        assert_eq!(redacted_texts(&sources), ["eA==", "zz"]);

        let multi = "kind: Namespace\napiVersion: v1\nmetadata: {name: harbor}\n---\n\
                     kind: Secret\napiVersion: v1\nmetadata: {name: one}\n---\n\
                     kind: Secret\napiVersion: v1\nmetadata: {name: two}\ndata:\n";
        let (result, _) = load_str(multi);
        let secrets = result.unwrap();
        assert_eq!(secrets.len(), 2);
        assert!(secrets[1].data.is_empty());
    }

    #[test]
    fn string_data_overrides_data() {
        let text = "kind: Secret\nmetadata: {name: s}\ndata:\n  k: b2xk\n  only: b25seQ==\nstringData:\n  k: new\n";
        let (result, _) = load_str(text);
        let secret = &result.unwrap()[0];
        assert_eq!(secret.data["k"].bytes, b"new");
        assert!(secret.data["k"].from_string_data);
        assert_eq!(secret.data["only"].bytes, b"only");
    }

    #[test]
    fn bad_base64_names_secret_and_key_only() {
        let text = "kind: Secret\nmetadata: {name: harbor-core}\ndata:\n  secret: not*base64!\n";
        let (result, sources) = load_str(text);
        let err = result.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("harbor-core") && msg.contains("`secret`"),
            "{msg}"
        );
        assert!(!msg.contains("not*base64"), "{msg}");
        assert_eq!(redacted_texts(&sources), ["not*base64!"]);
    }

    #[test]
    fn file_without_secret() {
        let (result, _) = load_str("kind: ConfigMap\nmetadata: {name: x}\n");
        assert_eq!(result.unwrap_err().to_string(), "<stdin>: no Secret found");
        let (result, _) = load_str("");
        assert!(matches!(result, Err(Error::NoSecret { .. })));
    }

    #[test]
    fn reads_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.yaml");
        std::fs::write(&path, YAML).unwrap();
        let mut sources = Sources::new();
        let path = path.display().to_string();
        let secrets = load_secret_file(&path, &mut sources, &mut std::io::empty()).unwrap();
        assert_eq!(secrets[0].name, "harbor-core");
        assert_eq!(sources.get(SourceId(0)).name, path);
        let missing = dir.path().join("nope.yaml").display().to_string();
        assert!(matches!(
            load_secret_file(&missing, &mut sources, &mut std::io::empty()),
            Err(Error::Input(crate::input::Error::Io { .. }))
        ));
    }
}
