//! Pod templates of rendered workloads: the Secrets and keys their containers and volumes
//! reference, and the Secret key mounted at a path.

use super::Object;
use crate::values::{Node, Span, Value};

/// The pod template of one workload.
#[derive(Debug, Clone, Copy)]
pub struct PodSpec<'a> {
    /// The workload.
    pub object: &'a Object,
    /// Its `spec.template.spec`.
    pub spec: &'a Node,
}

/// How a pod refers to a Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretRefVia {
    /// `envFrom[].secretRef`: every key becomes a variable; only existence matters.
    EnvFrom,
    /// `env[].valueFrom.secretKeyRef`: one key.
    SecretKeyRef,
    /// A `secret` volume (or a `projected` volume's `secret` source), with `items` naming keys.
    Volume,
}

/// One reference from a pod template to a Secret (and a key of it).
#[derive(Debug, Clone)]
pub struct SecretRef<'a> {
    /// The workload.
    pub object: &'a Object,
    /// The Secret's name.
    pub secret: &'a str,
    /// The key, for `secretKeyRef` and volume `items`.
    pub key: Option<String>,
    /// `optional: true`: the pod starts without it.
    pub optional: bool,
    /// How it is referenced.
    pub via: SecretRefVia,
    /// The environment variable, for `secretKeyRef`.
    pub env: Option<String>,
    /// Where the reference is written (the Secret's name).
    pub span: Option<Span>,
}

fn seq(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items,
        _ => &[],
    }
}

fn is_true(node: Option<&Node>) -> bool {
    matches!(node.map(|n| &n.value), Some(Value::Bool(true)))
        || node.and_then(Node::as_str) == Some("true")
}

impl<'a> PodSpec<'a> {
    /// Every container and init container.
    pub fn containers(&self) -> impl Iterator<Item = &'a Node> {
        seq(self.spec.get("initContainers"))
            .iter()
            .chain(seq(self.spec.get("containers")))
    }

    /// The container named `name`.
    pub fn container(&self, name: &str) -> Option<&'a Node> {
        self.containers()
            .find(|c| c.get("name").and_then(Node::as_str) == Some(name))
    }

    /// The pod's volumes.
    pub fn volumes(&self) -> &'a [Node] {
        seq(self.spec.get("volumes"))
    }

    /// Every Secret reference of the pod template, in document order.
    pub fn secret_refs(&self) -> Vec<SecretRef<'a>> {
        let mut out = Vec::new();
        let object = self.object;
        let reference = |name: &'a Node, key: Option<String>, optional, via, env| {
            name.as_str().map(|secret| SecretRef {
                object,
                secret,
                key,
                optional,
                via,
                env,
                span: name.span,
            })
        };
        for container in self.containers() {
            for from in seq(container.get("envFrom")) {
                if let Some(r) = from.get("secretRef") {
                    if let Some(name) = r.get("name") {
                        out.extend(reference(
                            name,
                            None,
                            is_true(r.get("optional")),
                            SecretRefVia::EnvFrom,
                            None,
                        ));
                    }
                }
            }
            for env in seq(container.get("env")) {
                let Some(r) = env.get_path("valueFrom.secretKeyRef") else {
                    continue;
                };
                if let Some(name) = r.get("name") {
                    out.extend(reference(
                        name,
                        r.get("key").and_then(Node::as_str).map(str::to_string),
                        is_true(r.get("optional")),
                        SecretRefVia::SecretKeyRef,
                        env.get("name").and_then(Node::as_str).map(str::to_string),
                    ));
                }
            }
        }
        for volume in self.volumes() {
            let mut secrets: Vec<(&Node, &Node)> = Vec::new();
            if let Some(s) = volume.get("secret") {
                if let Some(name) = s.get("secretName") {
                    secrets.push((s, name));
                }
            }
            for source in seq(volume.get_path("projected.sources")) {
                if let Some(s) = source.get("secret") {
                    if let Some(name) = s.get("name") {
                        secrets.push((s, name));
                    }
                }
            }
            for (s, name) in secrets {
                let optional = is_true(s.get("optional"));
                let items = seq(s.get("items"));
                if items.is_empty() {
                    out.extend(reference(name, None, optional, SecretRefVia::Volume, None));
                }
                for item in items {
                    let key = item.get("key").and_then(Node::as_str).map(str::to_string);
                    out.extend(reference(name, key, optional, SecretRefVia::Volume, None));
                }
            }
        }
        out
    }

    /// The Secret and key mounted at `path` by any container: a `secret` volume mounted there
    /// with `subPath` (mapped through the volume's `items`).
    pub fn mounted_secret(&self, path: &str) -> Option<(&'a str, String, Option<Span>)> {
        let mount = self.containers().find_map(|c| {
            seq(c.get("volumeMounts"))
                .iter()
                .find(|m| m.get("mountPath").and_then(Node::as_str) == Some(path))
        })?;
        let volume_name = mount.get("name").and_then(Node::as_str)?;
        let sub_path = mount.get("subPath").and_then(Node::as_str)?;
        let volume = self
            .volumes()
            .iter()
            .find(|v| v.get("name").and_then(Node::as_str) == Some(volume_name))?;
        let secret = volume.get("secret")?;
        let name_node = secret.get("secretName")?;
        let items = seq(secret.get("items"));
        let key = if items.is_empty() {
            sub_path.to_string()
        } else {
            items
                .iter()
                .find(|i| i.get("path").and_then(Node::as_str) == Some(sub_path))?
                .get("key")
                .and_then(Node::as_str)?
                .to_string()
        };
        Some((name_node.as_str()?, key, name_node.span))
    }
}
