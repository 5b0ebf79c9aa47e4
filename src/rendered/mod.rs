//! Manifest streams: what Helm renders (`--rendered`) and live objects given offline
//! (`--deployed-manifests`).
//!
//! A stream is read once through the bounded reader ([`crate::input::Kind::ManifestStream`]) and
//! parsed once: `helm template` and `helm get manifest` print YAML documents with
//! `# Source: harbor/templates/…` comments; `helm install|upgrade --dry-run` print the release
//! first (`NAME:`, `LAST DEPLOYED:` … `HOOKS:`, `MANIFEST:`) and its `NOTES:` last, which are
//! blanked byte for byte so that lines and columns stay those of the file; `-o json` prints the
//! release as JSON with the manifest in a string, which becomes a source of its own
//! (`FILE#manifest`). `kubectl get -o yaml` output (`List` with `items`) is read too, and so is
//! the JSON `List` of the release's live workloads and claims read from the API server
//! ([`crate::kube::read_live_workloads`]), as a stream named `cluster://NS`.
//!
//! The stream is registered in [`Sources`] and every Secret value in it is redacted before
//! anything is rendered: the rendered Secrets hold every credential of the release. Pod specs
//! are read by [`pods`]. This module reads files and standard input only; judging is done by
//! the rules in [`crate::checks`], which see the stream through
//! [`crate::checks::Context::with_rendered`].

pub mod pods;
mod stream;

use std::collections::HashMap;

use crate::input::{Kind, STDIN_NAME};
use crate::values::{
    parse_named, secrets_in_documents, Node, SecretObject, SourceId, SourceOrigin, Sources, Span,
    Value,
};

pub use pods::{PodSpec, SecretRef, SecretRefVia};

/// Why a stream could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Refused by the bounded reader (not a regular file, too large, binary).
    #[error(transparent)]
    Input(#[from] crate::input::Error),
    /// Not YAML (the message names the file, line and column), or a Secret in it is malformed.
    #[error(transparent)]
    Values(#[from] crate::values::Error),
    /// A document is not a Kubernetes object.
    #[error("{file}:{line}: {reason}")]
    Invalid {
        /// The stream as the user named it.
        file: String,
        /// 1-based line of the document.
        line: usize,
        /// What is wrong (never a value from the stream).
        reason: String,
    },
    /// Nothing in the stream is a Kubernetes object.
    #[error("{file}: no Kubernetes object found (expected the output of `helm template`, `helm upgrade --dry-run` or `helm get manifest`)")]
    Empty {
        /// The stream as the user named it.
        file: String,
    },
}

/// One object of a stream.
#[derive(Debug, Clone)]
pub struct Object {
    /// `kind`.
    pub kind: String,
    /// `apiVersion`.
    pub api_version: String,
    /// `metadata.name`.
    pub name: String,
    /// The template that rendered it (`harbor/templates/core/core-dpl.yaml`), from the
    /// `# Source:` comment before it.
    pub template: Option<String>,
    /// Where the object starts (its `apiVersion` or `kind` key).
    pub span: Option<Span>,
    /// The whole object.
    pub node: Node,
}

impl Object {
    /// `rendered://deployment/harbor-core`: how findings name it when no line is known.
    pub fn address(&self) -> String {
        format!(
            "rendered://{}/{}",
            self.kind.to_ascii_lowercase(),
            self.name
        )
    }

    /// The pod template of a workload (`Deployment`, `StatefulSet`, `DaemonSet`, `Job`,
    /// `CronJob`, `ReplicaSet`, `Pod`).
    pub fn pod_spec(&self) -> Option<PodSpec<'_>> {
        let spec = match self.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" | "ReplicaSet" => {
                self.node.get_path("spec.template.spec")
            }
            "CronJob" => self.node.get_path("spec.jobTemplate.spec.template.spec"),
            "Pod" => self.node.get("spec"),
            _ => None,
        }?;
        Some(PodSpec { object: self, spec })
    }

    /// `spec.replicas` (1 when absent, as the API server defaults it).
    pub fn replicas(&self) -> i64 {
        match self.node.get_path("spec.replicas").map(|n| &n.value) {
            Some(Value::Number(n) | Value::String(n)) => n.parse().unwrap_or(1),
            _ => 1,
        }
    }
}

/// A parsed manifest stream.
#[derive(Debug, Clone)]
pub struct Stream {
    /// The stream as the user named it (`<stdin>` for `-`).
    pub name: String,
    /// The source the objects' spans point into (the manifest of a JSON release).
    pub source: SourceId,
    /// Every object, in stream order (items of a `List` expanded).
    pub objects: Vec<Object>,
    /// The Secrets among them, decoded (values redacted in [`Sources`]).
    pub secrets: Vec<SecretObject>,
    /// The chart version, when the stream says it (`-o json` of a dry run).
    pub chart_version: Option<String>,
    /// Object index by kind and name, so that lookups cost the same in any stream size.
    by_name: HashMap<(String, String), usize>,
    /// Secret index by name.
    secret_by_name: HashMap<String, usize>,
}

/// Workload kinds whose pods reference Secrets.
const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicaSet",
    "Pod",
];

impl Stream {
    /// The object of `kind` named `name`.
    pub fn object(&self, kind: &str, name: &str) -> Option<&Object> {
        self.by_name
            .get(&(kind.to_string(), name.to_string()))
            .map(|&i| &self.objects[i])
    }

    /// Every object of `kind`.
    pub fn of_kind<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = &'s Object> + 's {
        self.objects.iter().filter(move |o| o.kind == kind)
    }

    /// The Secret named `name`.
    pub fn secret(&self, name: &str) -> Option<&SecretObject> {
        self.secret_by_name.get(name).map(|&i| &self.secrets[i])
    }

    /// The stream without its objects of `kinds` (another source holds them: the API
    /// server's lists replace a deployed manifest's objects of the kinds it listed).
    #[must_use]
    pub fn without_kinds(mut self, kinds: &[&str]) -> Self {
        self.objects.retain(|o| !kinds.contains(&o.kind.as_str()));
        self.by_name.clear();
        for (i, o) in self.objects.iter().enumerate() {
            self.by_name
                .entry((o.kind.clone(), o.name.clone()))
                .or_insert(i);
        }
        self
    }

    /// `cluster://harbor/persistentvolumeclaim/data-harbor-redis-0`: where an object of a
    /// stream read from the API server (named `cluster://NS`) lives; the stream's address of
    /// it otherwise.
    pub fn address_of(&self, object: &Object) -> String {
        if self.name.starts_with("cluster://") {
            format!(
                "{}/{}/{}",
                self.name,
                object.kind.to_ascii_lowercase(),
                object.name
            )
        } else {
            object.address()
        }
    }

    /// Every workload (objects with a pod template).
    pub fn workloads(&self) -> impl Iterator<Item = &Object> {
        self.objects
            .iter()
            .filter(|o| WORKLOADS.contains(&o.kind.as_str()))
    }

    /// Harbor core's Deployment: the one with a container named `core` (or the Deployment
    /// named `*-core`).
    pub fn core(&self) -> Option<&Object> {
        let deployments = || self.of_kind("Deployment");
        deployments()
            .find(|d| d.pod_spec().is_some_and(|p| p.container("core").is_some()))
            .or_else(|| deployments().find(|d| d.name.ends_with("-core")))
    }

    /// `<fullname>` of the release: core's Deployment name without `-core`.
    pub fn fullname(&self) -> Option<&str> {
        self.core()?.name.strip_suffix("-core")
    }

    /// The workload of a component (`core`, `jobservice`, `registry`, `database`):
    /// `<fullname>-<component>`.
    pub fn component(&self, component: &str) -> Option<&Object> {
        let name = format!("{}-{component}", self.fullname()?);
        self.workloads().find(|w| w.name == name)
    }

    /// The Harbor version core's image is tagged with (`2.10.2` of `goharbor/harbor-core:v2.10.2`).
    pub fn harbor_version(&self) -> Option<&str> {
        let image = self.core()?.pod_spec()?.container("core")?.get("image")?;
        let tag = image.as_str()?.rsplit_once(':')?.1;
        Some(tag.strip_prefix('v').unwrap_or(tag))
    }

    /// The Secret and key behind environment variable `var` of a workload's containers, and
    /// where the reference is written: a `secretKeyRef`, else an `envFrom` Secret of the stream
    /// that has the key.
    pub fn env_secret<'s>(&'s self, workload: &'s Object, var: &str) -> Option<SecretRef<'s>> {
        let pod = workload.pod_spec()?;
        let refs = pod.secret_refs();
        if let Some(r) = refs.iter().find(|r| r.env.as_deref() == Some(var)) {
            return Some(r.clone());
        }
        refs.into_iter()
            .find(|r| {
                r.via == SecretRefVia::EnvFrom
                    && self
                        .secret(r.secret)
                        .is_some_and(|s| s.data.contains_key(var))
            })
            .map(|mut r| {
                r.key = Some(var.to_string());
                r
            })
    }
}

/// Reads the stream at `path` (`-` is standard input) through the bounded reader and parses it.
pub fn load(
    path: &str,
    sources: &mut Sources,
    stdin: &mut dyn std::io::Read,
) -> Result<Stream, Error> {
    let (name, text) = if path == "-" {
        (
            STDIN_NAME.to_string(),
            crate::input::read_stdin_text(stdin, Kind::ManifestStream)?,
        )
    } else {
        (
            path.to_string(),
            crate::input::read_text(std::path::Path::new(path), path, Kind::ManifestStream)?,
        )
    };
    parse(&name, text, sources)
}

/// Parses a stream that has no file of its own (a release's manifest read from the cluster),
/// registering it in `sources` under `name`; every Secret value in it is redacted.
pub fn parse(name: &str, text: String, sources: &mut Sources) -> Result<Stream, Error> {
    let source = sources.add(name, text, SourceOrigin::SecretFile);
    let text = &sources.get(source).text;
    let blanked = stream::blank_release_text(text);
    let docs = parse_named(source, name, blanked.as_deref().unwrap_or(text))?;
    if let Some(release) = stream::release_json(&docs) {
        // The release JSON repeats the values and the chart: nothing of it is ever shown.
        let len = sources.get(source).text.len();
        sources.redact(Span {
            source,
            start: 0,
            end: len,
            line: 1,
            column: 1,
        });
        let manifest_name = format!("{name}#manifest");
        let manifest = sources.add(&manifest_name, release.manifest, SourceOrigin::SecretFile);
        let docs = parse_named(manifest, &manifest_name, &sources.get(manifest).text)?;
        let mut stream = from_documents(&manifest_name, manifest, docs, sources)?;
        stream.name = name.to_string();
        stream.chart_version = release.chart_version;
        return Ok(stream);
    }
    from_documents(name, source, docs, sources)
}

/// The objects of parsed documents; the nodes move into them, nothing is copied.
fn from_documents(
    name: &str,
    source: SourceId,
    docs: Vec<Node>,
    sources: &mut Sources,
) -> Result<Stream, Error> {
    let secrets = secrets_in_documents(&docs, source, name, sources)?;
    let comments = stream::source_comments(&sources.get(source).text);
    let mut objects = Vec::new();
    for doc in docs {
        collect(doc, name, &comments, &mut objects)?;
    }
    if objects.is_empty() {
        return Err(Error::Empty {
            file: name.to_string(),
        });
    }
    // The first object of a kind and name is the one found (Helm never prints two).
    let mut by_name = HashMap::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        by_name.entry((o.kind.clone(), o.name.clone())).or_insert(i);
    }
    let mut secret_by_name = HashMap::with_capacity(secrets.len());
    for (i, s) in secrets.iter().enumerate() {
        secret_by_name.entry(s.name.clone()).or_insert(i);
    }
    Ok(Stream {
        name: name.to_string(),
        source,
        objects,
        secrets,
        chart_version: None,
        by_name,
        secret_by_name,
    })
}

fn collect(
    doc: Node,
    file: &str,
    comments: &[(usize, String)],
    out: &mut Vec<Object>,
) -> Result<(), Error> {
    let line = doc.span.map_or(0, |s| s.line);
    let invalid = |reason: String| Error::Invalid {
        file: file.to_string(),
        line,
        reason,
    };
    match &doc.value {
        Value::Null => return Ok(()),
        Value::Map(_) => {}
        other => {
            return Err(invalid(format!(
                "a document is a {}, not a Kubernetes object",
                other.type_name()
            )))
        }
    }
    let kind = match doc.get("kind").map(|n| &n.value) {
        Some(Value::String(kind)) => kind.clone(),
        Some(_) => return Err(invalid("`kind` is not a string".into())),
        None => {
            return Err(invalid(
                "a document has no `kind`: not a Kubernetes object".into(),
            ))
        }
    };
    if kind.ends_with("List") {
        let items = match doc.value {
            Value::Map(entries) => entries.into_iter().rev().find(|e| e.key == "items"),
            _ => None,
        };
        if let Some(Value::Seq(items)) = items.map(|e| e.node.value) {
            for item in items {
                collect(item, file, comments, out)?;
            }
        }
        return Ok(());
    }
    let name = doc
        .get_path("metadata.name")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    let span = doc
        .entry("apiVersion")
        .or_else(|| doc.entry("kind"))
        .and_then(|e| e.key_span)
        .or(doc.span);
    // The comment must be inside this document: after the object before it.
    let after = out.last().and_then(|o| o.span).map_or(0, |s| s.end);
    let template = span.and_then(|s| stream::template_before(comments, after, s.start));
    out.push(Object {
        kind,
        api_version: doc
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_string(),
        name,
        template,
        span,
        node: doc,
    });
    Ok(())
}

#[cfg(test)]
mod tests;
