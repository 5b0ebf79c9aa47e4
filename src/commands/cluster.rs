//! Glue for the commands that read a release from the cluster: resolve the release, read its
//! Helm record (Secret or `ConfigMap` storage driver) and live Secrets through `kube/`, and turn them into the values and
//! [`SecretObject`]s the checks read, each with a virtual source so findings point at it
//! (`helm://harbor/harbor/values:3:1`, `cluster://harbor/secret/harbor-core:9:3`).

use anyhow::Context as _;
use base64::Engine as _;
use k8s_openapi::api::core::v1::Secret;
use serde_json::{json, Map, Value as Json};

use super::inputs::{self, Inputs};
use crate::checks::{ClusterFacts, DeniedRead};
use crate::cli::{ClusterArgs, ValuesArgs};
use crate::kube::{self, names, Cluster, ClusterOptions, HelmRelease};
use crate::values::emit::to_yaml;
use crate::values::{
    merge_into, parse_named, secrets_from_text, Node, SecretObject, SourceOrigin, Sources, Value,
};

/// Whether any cluster flag was given: then the command reads the cluster.
pub fn wants_cluster(args: &ClusterArgs) -> bool {
    args.release.is_some()
        || args.namespace.is_some()
        || args.kubeconfig.is_some()
        || args.context.is_some()
        || args.request_timeout.is_some()
}

/// The runtime for the cluster reads: one thread is plenty for a handful of requests.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The cluster flags, parsed.
pub fn options(args: &ClusterArgs) -> anyhow::Result<ClusterOptions> {
    let request_timeout = match &args.request_timeout {
        Some(text) => kube::parse_request_timeout(text).map_err(anyhow::Error::msg)?,
        None => None,
    };
    Ok(ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
        request_timeout,
    })
}

/// The release named by `--release`, or the only Harbor release of the namespace.
pub async fn resolve_release(cluster: &Cluster, given: Option<&str>) -> anyhow::Result<String> {
    if let Some(name) = given {
        return Ok(name.to_string());
    }
    let found = kube::detect_releases(cluster).await.with_context(|| {
        format!(
            "cannot find the Harbor release in namespace `{}`; name it with `--release`",
            cluster.namespace
        )
    })?;
    match found.as_slice() {
        [] => anyhow::bail!(
            "no Harbor release in namespace `{}` (no Deployment labelled `component=core` with `app=harbor` or `chart=harbor`); name it with `--release` or choose the namespace with `-n`",
            cluster.namespace
        ),
        [one] => Ok(one.release.clone()),
        several => anyhow::bail!(
            "namespace `{}` has several Harbor releases: {}; choose one with `--release`",
            cluster.namespace,
            several
                .iter()
                .map(|d| format!("`{}`", d.release))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A Secret read from the cluster, as the checks see it: written out as YAML under the virtual
/// name `cluster://NS/secret/NAME` and read back, so values are redacted like a file's.
pub fn secret_object(secret: &Secret, sources: &mut Sources) -> anyhow::Result<SecretObject> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let namespace = secret.metadata.namespace.clone().unwrap_or_default();
    let address = format!("cluster://{namespace}/secret/{name}");
    let text = to_yaml(&manifest_json(secret, false));
    let mut objects = secrets_from_text(&address, &text, SourceOrigin::Cluster, sources)
        .with_context(|| format!("cannot read Secret `{name}` from the cluster"))?;
    objects
        .pop()
        .with_context(|| format!("Secret `{name}` from the cluster is empty"))
}

/// A Secret as `kubectl get -o yaml` would print it, without server-managed metadata;
/// `labels_and_annotations` keeps those (backups), minus the last-applied annotation, which
/// repeats every value.
pub fn manifest_json(secret: &Secret, labels_and_annotations: bool) -> Json {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(secret.metadata.name));
    metadata.insert("namespace".into(), json!(secret.metadata.namespace));
    if labels_and_annotations {
        if let Some(labels) = secret.metadata.labels.as_ref().filter(|l| !l.is_empty()) {
            metadata.insert("labels".into(), json!(labels));
        }
        let annotations: Map<String, Json> = secret
            .metadata
            .annotations
            .iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != "kubectl.kubernetes.io/last-applied-configuration")
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        if !annotations.is_empty() {
            metadata.insert("annotations".into(), Json::Object(annotations));
        }
    }
    let data: Map<String, Json> = secret
        .data
        .iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                json!(base64::engine::general_purpose::STANDARD.encode(&v.0)),
            )
        })
        .collect();
    let mut object = Map::new();
    object.insert("apiVersion".into(), json!("v1"));
    object.insert("kind".into(), json!("Secret"));
    object.insert("metadata".into(), Json::Object(metadata));
    object.insert(
        "type".into(),
        json!(secret.type_.clone().unwrap_or_else(|| "Opaque".into())),
    );
    if secret.immutable == Some(true) {
        object.insert("immutable".into(), json!(true));
    }
    object.insert("data".into(), Json::Object(data));
    Json::Object(object)
}

/// The release's user-supplied values as a spanned tree in the virtual source
/// `helm://NS/RELEASE/values` (the values re-serialised as YAML), credentials redacted.
pub fn release_values(
    release: &HelmRelease,
    namespace: &str,
    sources: &mut Sources,
) -> anyhow::Result<Node> {
    let name = format!("helm://{namespace}/{}/values", release.name);
    let text = to_yaml(&release.config);
    let id = sources.add(name.clone(), text.clone(), SourceOrigin::Cluster);
    let node = parse_named(id, &name, &text)
        .with_context(|| format!("cannot read the values of release `{}`", release.name))?
        .into_iter()
        .next()
        .unwrap_or_else(|| Node::synthetic(Value::Map(Vec::new())));
    inputs::redact_values(&node, "", sources);
    Ok(node)
}

/// `HELM_DRIVER=sql`: Helm keeps the release records in a SQL database, which this tool does not
/// read (only the `secret` and `configmap` drivers store them in the namespace).
pub fn sql_driver_error() -> Option<String> {
    let driver = std::env::var("HELM_DRIVER").ok()?;
    driver.trim().eq_ignore_ascii_case("sql").then(|| {
        "`HELM_DRIVER=sql`: Helm's `sql` storage driver keeps releases in a database, which this tool does not read; only the `secret` (default) and `configmap` drivers are supported. Without the cluster, run `helm get values RELEASE > values.yaml` and check that file with the live Secrets (`--secret`)".to_string()
    })
}

/// What to say when no Secret nor `ConfigMap` holds a deployed revision of `release`.
pub fn no_release_record(release: &str, namespace: &str) -> String {
    format!(
        "release `{release}` has no deployed revision in namespace `{namespace}`: no Secret or ConfigMap labelled `owner=helm,name={release},status=deployed` (Helm's `secret` and `configmap` storage drivers); a release stored with `HELM_DRIVER=sql` is not supported"
    )
}

/// Everything a command reads about one release.
pub struct Gathered {
    /// Sources (files and virtual ones), effective values, Secrets (live ones first).
    pub inputs: Inputs,
    /// The connection.
    pub cluster: Cluster,
    /// The release name.
    pub release_name: String,
    /// The deployed revision, unless RBAC hid it.
    pub release: Option<HelmRelease>,
    /// `<fullname>` of the deployed release.
    pub fullname: String,
    /// The live Secrets as read (managed fields dropped).
    pub live: Vec<Secret>,
    /// The deployed revision's values (`helm get values`), unless RBAC hid the release.
    pub deployed_values: Option<Node>,
    /// Denied reads and the connection, for the checks.
    pub facts: ClusterFacts,
}

/// How the values given on the command line combine with the release's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValuesMode {
    /// As `helm upgrade` without flags: values given replace the release's; none given reuse them.
    Upgrade,
    /// As `helm upgrade --reuse-values`: values given are merged over the release's.
    Reuse,
}

/// Connects, finds the release, reads its record and its live Secrets, and loads the values
/// and `--secret` files given; the effective values follow `mode`.
pub async fn gather(
    cluster_args: &ClusterArgs,
    values_args: &ValuesArgs,
    mode: ValuesMode,
) -> anyhow::Result<Gathered> {
    if let Some(message) = sql_driver_error() {
        anyhow::bail!(message);
    }
    let cluster = kube::connect(&options(cluster_args)?).await?;
    let release_name = resolve_release(&cluster, cluster_args.release.as_deref()).await?;
    let given = inputs::gives_values(values_args);
    let mut inputs = inputs::load_any(values_args)?;
    let mut facts = ClusterFacts {
        server: cluster.server.clone(),
        namespace: cluster.namespace.clone(),
        release: Some(release_name.clone()),
        ..ClusterFacts::default()
    };

    let release = match kube::read_deployed_release(&cluster, &release_name).await {
        Ok(Some(release)) => Some(release),
        Ok(None) => anyhow::bail!(no_release_record(&release_name, &cluster.namespace)),
        Err(e) if e.forbidden().is_some() && given => {
            deny(&mut facts, &e, "the deployed values and chart version were not read; `--from` and the comparison with the deployed values are missing".into());
            None
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("cannot read release `{release_name}`"))
            )
        }
    };
    let deployed_values = match &release {
        Some(r) => Some(release_values(r, &cluster.namespace, &mut inputs.sources)?),
        None => None,
    };
    if let Some(deployed) = &deployed_values {
        match (given, mode) {
            (false, _) => inputs.values.root = deployed.clone(),
            (true, ValuesMode::Reuse) => {
                let mut root = deployed.clone();
                merge_into(
                    &mut root,
                    std::mem::replace(&mut inputs.values.root, Node::synthetic(Value::Null)),
                );
                inputs.values.root = root;
            }
            (true, ValuesMode::Upgrade) => {}
        }
    }
    let fullname = names::release_fullname(
        &release_name,
        deployed_values.as_ref().unwrap_or(&inputs.values.root),
    );

    // The chart's own Secrets, then every Secret the new or the deployed values name.
    let mut wanted = names::chart_secrets(&fullname);
    for values in std::iter::once(&inputs.values.root).chain(deployed_values.as_ref()) {
        for (_, name) in names::secrets_named_by(values) {
            if !wanted.contains(&name) {
                wanted.push(name);
            }
        }
    }
    let mut live = Vec::new();
    let mut live_objects = Vec::new();
    for name in &wanted {
        match kube::get_secret(&cluster, name).await {
            Ok(Some(secret)) => {
                live_objects.push(secret_object(&secret, &mut inputs.sources)?);
                live.push(secret);
            }
            Ok(None) => {}
            Err(e) if e.forbidden().is_some() => deny(
                &mut facts,
                &e,
                format!(
                    "Secret `{name}` was not read; the checks that compare with it did not run"
                ),
            ),
            Err(e) => return Err(e.into()),
        }
    }
    // Live Secrets come first: the cluster wins over a `--secret` file of the same name.
    live_objects.append(&mut inputs.secrets);
    inputs.secrets = live_objects;
    Ok(Gathered {
        inputs,
        cluster,
        release_name,
        release,
        fullname,
        live,
        deployed_values,
        facts,
    })
}

pub(super) fn deny(facts: &mut ClusterFacts, error: &kube::Error, consequence: String) {
    if let Some(request) = error.forbidden() {
        facts.denied.push(DeniedRead {
            verb: request.verb.to_string(),
            resource: request.resource.to_string(),
            name: request.name.clone(),
            namespace: request.namespace.clone(),
            address: request.address(),
            consequence,
        });
    }
}

/// One line on stderr saying what was read, never a value.
pub fn describe(g: &Gathered) -> String {
    // Names come from the cluster: printed with their control characters escaped.
    let text = match &g.release {
        Some(r) => format!(
            "read release `{}` revision {} (chart {}, Harbor {}) and {} Secret(s) from namespace `{}` at {}",
            r.name,
            r.revision,
            r.chart_version,
            r.app_version.as_deref().unwrap_or("?"),
            g.live.len(),
            g.cluster.namespace,
            g.cluster.server
        ),
        None => format!(
            "read {} Secret(s) of release `{}` from namespace `{}` at {}",
            g.live.len(),
            g.release_name,
            g.cluster.namespace,
            g.cluster.server
        ),
    };
    crate::redact::escape(&text).into_owned()
}
