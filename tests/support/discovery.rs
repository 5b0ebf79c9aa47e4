//! What the test API server says about itself, as kube-apiserver 1.33 does: `/version`, the
//! legacy discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/GROUP/VERSION`) that client-go
//! falls back to when the answer is plain `application/json` rather than aggregated discovery, and
//! the `OpenAPI` v3 documents (`/openapi/v3` and one per group version) with the PATCH operations
//! of every kind and their query parameters.
//!
//! `/openapi/v3` is served because kubectl's validation (which Helm 3 and Helm 4 use for `helm
//! install`, `upgrade` and `template --validate`) reads it to learn that the server validates
//! fields itself (`fieldValidation` on PATCH); then neither Helm validates on the client and
//! nothing fetches `/openapi/v2` (a protobuf document). The server does validate: every object is
//! decoded into its k8s-openapi type (`objects.rs`), and unknown fields are refused under
//! `fieldValidation=Strict`. The documents carry paths and operations, not component schemas:
//! nothing Helm does with these kinds reads them.
//!
//! The kinds are those the goharbor/harbor chart renders (Secrets, `ConfigMaps`, Services,
//! `PersistentVolumeClaims`, Deployments, `StatefulSets`, Ingresses, the migration Job), those
//! Helm itself writes (release Secrets or `ConfigMaps`, a Namespace with `--create-namespace`),
//! and those the tool reads (Pods, node Leases, the core/v1 Events of `diagnose`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions, GroupVersionForDiscovery,
    ServerAddressByClientCIDR,
};
use k8s_openapi::apimachinery::pkg::version::Info;
use serde_json::{json, Map, Value};

use super::{json_response, Response};

/// The Kubernetes version the server claims (the k8s-openapi API level the tests build with).
pub const MAJOR: &str = "1";
/// The minor version.
pub const MINOR: &str = "33";

/// How a kind's objects are validated: decoded into the k8s-openapi type and encoded again.
pub type Decode = fn(Value) -> Result<Value, String>;

/// One resource the server serves.
pub struct ServedKind {
    /// API group, `""` for the core group.
    pub group: &'static str,
    /// API version within the group.
    pub version: &'static str,
    /// Plural resource name in URLs (`secrets`).
    pub resource: &'static str,
    /// Singular resource name.
    pub singular: &'static str,
    /// `kind` of its objects.
    pub kind: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Short names kubectl accepts.
    pub short_names: &'static [&'static str],
    /// Whether writes to the object bump `metadata.generation` (kinds with a spec the
    /// controllers act on).
    pub generation: bool,
    /// Whether `status` is a subresource: writes to the object itself keep the stored status.
    pub status: bool,
    /// Subresources other than `status` (listed in discovery).
    pub subresources: &'static [&'static str],
    /// Decoder.
    pub decode: Decode,
}

impl ServedKind {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `secrets` or `deployments.apps`, as the API names a resource in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.resource.to_string()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }
}

fn typed<T: serde::de::DeserializeOwned + serde::Serialize>(value: Value) -> Result<Value, String> {
    let object: T = serde_json::from_value(value).map_err(|e| e.to_string())?;
    serde_json::to_value(&object).map_err(|e| e.to_string())
}

macro_rules! kind {
    ($group:literal, $version:literal, $resource:literal, $singular:literal, $kind:literal,
     $namespaced:literal, $short:expr, $generation:literal, $status:literal, $sub:expr, $ty:ty) => {
        ServedKind {
            group: $group,
            version: $version,
            resource: $resource,
            singular: $singular,
            kind: $kind,
            namespaced: $namespaced,
            short_names: $short,
            generation: $generation,
            status: $status,
            subresources: $sub,
            decode: typed::<$ty>,
        }
    };
}

/// Every kind the server serves.
pub static KINDS: &[ServedKind] = &[
    kind!(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        false,
        &["ns"],
        false,
        true,
        &[],
        k8s_openapi::api::core::v1::Namespace
    ),
    kind!(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        true,
        &["cm"],
        false,
        false,
        &[],
        k8s_openapi::api::core::v1::ConfigMap
    ),
    kind!(
        "",
        "v1",
        "secrets",
        "secret",
        "Secret",
        true,
        &[],
        false,
        false,
        &[],
        k8s_openapi::api::core::v1::Secret
    ),
    kind!(
        "",
        "v1",
        "services",
        "service",
        "Service",
        true,
        &["svc"],
        false,
        true,
        &[],
        k8s_openapi::api::core::v1::Service
    ),
    kind!(
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        true,
        &["sa"],
        false,
        false,
        &[],
        k8s_openapi::api::core::v1::ServiceAccount
    ),
    kind!(
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        false,
        true,
        &[],
        k8s_openapi::api::core::v1::PersistentVolumeClaim
    ),
    kind!(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        true,
        &["po"],
        false,
        true,
        &["exec", "log"],
        k8s_openapi::api::core::v1::Pod
    ),
    kind!(
        "",
        "v1",
        "events",
        "event",
        "Event",
        true,
        &["ev"],
        false,
        false,
        &[],
        k8s_openapi::api::core::v1::Event
    ),
    kind!(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        true,
        &["deploy"],
        true,
        true,
        &[],
        k8s_openapi::api::apps::v1::Deployment
    ),
    kind!(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        true,
        &["sts"],
        true,
        true,
        &[],
        k8s_openapi::api::apps::v1::StatefulSet
    ),
    kind!(
        "batch",
        "v1",
        "jobs",
        "job",
        "Job",
        true,
        &[],
        true,
        true,
        &[],
        k8s_openapi::api::batch::v1::Job
    ),
    kind!(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "ingress",
        "Ingress",
        true,
        &["ing"],
        true,
        true,
        &[],
        k8s_openapi::api::networking::v1::Ingress
    ),
    kind!(
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "role",
        "Role",
        true,
        &[],
        false,
        false,
        &[],
        k8s_openapi::api::rbac::v1::Role
    ),
    kind!(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "rolebinding",
        "RoleBinding",
        true,
        &[],
        false,
        false,
        &[],
        k8s_openapi::api::rbac::v1::RoleBinding
    ),
    kind!(
        "coordination.k8s.io",
        "v1",
        "leases",
        "lease",
        "Lease",
        true,
        &[],
        false,
        false,
        &[],
        k8s_openapi::api::coordination::v1::Lease
    ),
];

/// The verbs every kind supports here (no watch, no deletecollection).
const VERBS: &[&str] = &["create", "delete", "get", "list", "patch", "update"];

/// The kind served at `group`/`version`/`resource`.
pub fn find(group: &str, version: &str, resource: &str) -> Option<&'static ServedKind> {
    KINDS
        .iter()
        .find(|k| k.group == group && k.version == version && k.resource == resource)
}

/// The kind of objects with this `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ServedKind> {
    KINDS
        .iter()
        .find(|k| k.api_version() == api_version && k.kind == kind)
}

/// The kinds of one group version, or `None` when the server does not serve it.
fn kinds_of(group: &str, version: &str) -> Option<Vec<&'static ServedKind>> {
    let kinds: Vec<&ServedKind> = KINDS
        .iter()
        .filter(|k| k.group == group && k.version == version)
        .collect();
    (!kinds.is_empty()).then_some(kinds)
}

/// The group versions served, in discovery order (core first).
fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for k in KINDS {
        if !out.contains(&(k.group, k.version)) {
            out.push((k.group, k.version));
        }
    }
    out
}

/// Answers a discovery, version or `OpenAPI` request, or `None` when `path` is none of those.
pub(super) fn respond(method: &str, path: &str, addr: &str) -> Option<Response> {
    if method != "GET" {
        return None;
    }
    let path = path.trim_end_matches('/');
    let value = match path {
        "/version" => serde_json::to_value(version()).expect("version"),
        "/api" => serde_json::to_value(APIVersions {
            versions: vec!["v1".into()],
            server_address_by_client_cidrs: vec![ServerAddressByClientCIDR {
                client_cidr: "0.0.0.0/0".into(),
                server_address: addr.into(),
            }],
        })
        .expect("api versions"),
        "/apis" => serde_json::to_value(groups()).expect("groups"),
        "/openapi/v3" => openapi_root(),
        _ => {
            if let Some(group) = path.strip_prefix("/apis/").filter(|g| !g.contains('/')) {
                let group = groups().groups.into_iter().find(|g| g.name == group)?;
                serde_json::to_value(group).expect("group")
            } else if let Some(gv) = path.strip_prefix("/openapi/v3/") {
                let (group, version) = split_gv(gv)?;
                openapi_document(group, version)?
            } else {
                let gv = path
                    .strip_prefix("/api/")
                    .filter(|gv| !gv.contains('/'))
                    .map(|v| ("", v))
                    .or_else(|| {
                        path.strip_prefix("/apis/")
                            .and_then(|gv| gv.split_once('/'))
                            .filter(|(_, v)| !v.contains('/'))
                    })?;
                serde_json::to_value(resources(gv.0, gv.1)?).expect("resources")
            }
        }
    };
    Some(json_response(200, &value))
}

fn split_gv(gv: &str) -> Option<(&str, &str)> {
    match gv.split('/').collect::<Vec<_>>().as_slice() {
        ["api", version] => Some(("", version)),
        ["apis", group, version] => Some((group, version)),
        _ => None,
    }
}

fn version() -> Info {
    Info {
        major: MAJOR.into(),
        minor: MINOR.into(),
        git_version: format!("v{MAJOR}.{MINOR}.0"),
        git_commit: "0000000000000000000000000000000000000000".into(),
        git_tree_state: "clean".into(),
        build_date: "2025-04-23T00:00:00Z".into(),
        go_version: "go1.24.2".into(),
        compiler: "gc".into(),
        platform: "linux/amd64".into(),
        ..Default::default()
    }
}

fn groups() -> APIGroupList {
    let mut groups: Vec<APIGroup> = Vec::new();
    for (group, version) in group_versions() {
        if group.is_empty() {
            continue;
        }
        let gv = GroupVersionForDiscovery {
            group_version: format!("{group}/{version}"),
            version: version.into(),
        };
        match groups.iter_mut().find(|g| g.name == group) {
            Some(g) => g.versions.push(gv),
            None => groups.push(APIGroup {
                name: group.into(),
                preferred_version: Some(gv.clone()),
                versions: vec![gv],
                server_address_by_client_cidrs: None,
            }),
        }
    }
    APIGroupList { groups }
}

fn resources(group: &str, version: &str) -> Option<APIResourceList> {
    let kinds = kinds_of(group, version)?;
    let mut resources = Vec::new();
    for k in kinds {
        resources.push(APIResource {
            name: k.resource.into(),
            singular_name: k.singular.into(),
            namespaced: k.namespaced,
            kind: k.kind.into(),
            verbs: VERBS.iter().map(|v| (*v).to_string()).collect(),
            short_names: (!k.short_names.is_empty())
                .then(|| k.short_names.iter().map(|s| (*s).to_string()).collect()),
            ..Default::default()
        });
        let status: &[&str] = if k.status { &["status"] } else { &[] };
        for sub in status.iter().chain(k.subresources) {
            let (kind, verbs): (&str, &[&str]) = match *sub {
                "status" => (k.kind, &["get", "patch", "update"]),
                "exec" => ("PodExecOptions", &["create", "get"]),
                _ => ("Pod", &["get"]),
            };
            resources.push(APIResource {
                name: format!("{}/{sub}", k.resource),
                singular_name: String::new(),
                namespaced: k.namespaced,
                kind: kind.into(),
                verbs: verbs.iter().map(|v| (*v).to_string()).collect(),
                ..Default::default()
            });
        }
    }
    Some(APIResourceList {
        group_version: if group.is_empty() {
            version.into()
        } else {
            format!("{group}/{version}")
        },
        resources,
    })
}

fn openapi_prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn openapi_root() -> Value {
    let mut paths = Map::new();
    for (group, version) in group_versions() {
        let prefix = openapi_prefix(group, version);
        paths.insert(
            prefix.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{prefix}?hash=harbor-upgrade-test-{MAJOR}-{MINOR}")}),
        );
    }
    json!({ "paths": paths })
}

fn query_parameter(name: &str, description: &str, schema: &str) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": {"type": schema, "uniqueItems": true}})
}

/// The paths of one group version: for every kind the item path with get, put, patch and
/// delete, the collection path with get (list) and post, each tagged with the kind as
/// kube-apiserver tags them.
fn openapi_document(group: &str, version: &str) -> Option<Value> {
    let kinds = kinds_of(group, version)?;
    let write_params = || {
        vec![
            query_parameter(
                "dryRun",
                "When present, indicates that modifications should not be persisted.",
                "string",
            ),
            query_parameter(
                "fieldManager",
                "fieldManager is a name associated with the actor or entity that is making these changes.",
                "string",
            ),
            query_parameter(
                "fieldValidation",
                "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict.",
                "string",
            ),
        ]
    };
    let mut paths = Map::new();
    for k in kinds {
        let prefix = format!("/{}", openapi_prefix(group, version));
        let base = if k.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}", k.resource)
        } else {
            format!("{prefix}/{}", k.resource)
        };
        let gvk = json!({"group": group, "kind": k.kind, "version": version});
        let op = |verb: &str, action: &str, params: Vec<Value>| {
            json!({
                "operationId": format!("{verb}{}", k.kind),
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
                "parameters": params,
                "responses": {"200": {"description": "OK"}},
            })
        };
        let mut apply_params = write_params();
        apply_params.push(query_parameter(
            "force",
            "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people.",
            "boolean",
        ));
        let mut item = Map::new();
        item.insert("get".into(), op("read", "get", vec![]));
        item.insert("put".into(), op("replace", "put", write_params()));
        item.insert("patch".into(), op("patch", "patch", apply_params));
        item.insert("delete".into(), op("delete", "delete", vec![]));
        let mut path_params = vec![
            json!({"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}),
        ];
        if k.namespaced {
            path_params.push(json!({"name": "namespace", "in": "path", "required": true, "schema": {"type": "string"}}));
        }
        item.insert("parameters".into(), Value::Array(path_params));
        paths.insert(format!("{base}/{{name}}"), Value::Object(item));
        let mut collection = Map::new();
        collection.insert("get".into(), op("list", "list", vec![]));
        collection.insert("post".into(), op("create", "post", write_params()));
        paths.insert(base, Value::Object(collection));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": format!("v{MAJOR}.{MINOR}.0")},
        "paths": paths,
    }))
}
