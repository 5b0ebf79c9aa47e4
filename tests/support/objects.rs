//! The objects of the test API server: get, list (label and field selectors), create, update
//! (PUT), delete, and PATCH as JSON merge patch, strategic merge patch, JSON patch and
//! server-side apply, for every kind `discovery::KINDS` names, by namespace, with the API
//! server's rules:
//!
//! - every object is decoded into its k8s-openapi type and stored as that type encodes it, so a
//!   malformed object is refused (`400`), unknown fields are dropped, or refused under
//!   `fieldValidation=Strict` (as Helm 4 sends), and what a test reads back is real API JSON;
//! - `uid`, `creationTimestamp`, `resourceVersion` (one counter, bumped only by writes that change
//!   something), `generation` (kinds with a spec controllers act on) are the server's; `status` of
//!   kinds with a status subresource is kept across writes and dropped on create;
//! - `metadata.managedFields` records field ownership in the `FieldsV1` format (`fields.rs`):
//!   an apply owns what it applies, gives up what it no longer applies (which is removed unless
//!   another manager owns it), and conflicts (`409`) with another manager's different value
//!   unless `force=true`; other writes take the fields they change;
//! - `dryRun=All` runs every step and stores nothing;
//! - Secret `stringData` folds into `data`; `immutable` Secrets and `ConfigMaps`, Deployment and
//!   Job selectors, and `StatefulSet` and `PersistentVolumeClaim` specs outside the fields the API
//!   allows to change are refused with `422` as kube-apiserver refuses them.
//!
//! Not modelled: defaulting (no `clusterIP`, no default `strategy`), admission, controllers,
//! finalizers, watches and `deletecollection`. Any request the server cannot answer is printed on
//! stderr (`test API server: …`) and recorded in [`Store::unhandled`], so a gap shows up at once.
//!
//! Secrets, Deployments and Pods stay in the typed maps of [`State`] that older tests use; every
//! other kind lives in [`Store::objects`].

use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Secret};
use serde_json::{json, Map, Value};

use super::discovery::{self, ServedKind};
use super::fields::{self, FieldSet, Manager};
use super::{json_response, percent_decode, selector_matches, status, Response, State};
use super::{patch, protobuf};

/// Objects of the kinds `State` does not keep typed, and the requests nobody answered.
#[derive(Default)]
pub struct Store {
    /// By (qualified resource such as `configmaps` or `statefulsets.apps`, namespace, name).
    pub objects: BTreeMap<(String, String, String), Value>,
    /// `METHOD target: why` of every request the server could not answer.
    pub unhandled: Vec<String>,
    /// The warnings kube-apiserver would have sent back (unknown fields dropped).
    pub warnings: Vec<String>,
}

/// Records and prints a request the server does not serve, and answers it `code`.
pub(super) fn unhandled(
    state: &mut State,
    method: &str,
    target: &str,
    code: u16,
    why: &str,
) -> Response {
    use std::io::Write as _;
    let line = format!("{method} {target}: {why}");
    let _ = writeln!(std::io::stderr(), "test API server: not served: {line}");
    state.store.unhandled.push(line);
    let reason = if code == 404 {
        "NotFound"
    } else {
        "MethodNotAllowed"
    };
    status(
        code,
        reason,
        format!("the test API server does not serve this request: {why}"),
        json!({}),
    )
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .expect("timestamp")
}

impl State {
    /// The stored object, as the API returns it.
    pub fn object(&self, kind: &ServedKind, namespace: &str, name: &str) -> Option<Value> {
        let key = (namespace.to_string(), name.to_string());
        match (kind.group, kind.resource) {
            ("", "secrets") => self.secrets.get(&key).map(json_of),
            ("apps", "deployments") => self.deployments.get(&key).map(json_of),
            ("", "pods") => self.pods.get(&key).map(json_of),
            _ => self
                .store
                .objects
                .get(&(kind.qualified(), key.0, key.1))
                .cloned(),
        }
    }

    /// The objects of one kind, in one namespace or all, ordered by namespace and name.
    pub fn objects_of(&self, kind: &ServedKind, namespace: Option<&str>) -> Vec<Value> {
        fn pick<T: serde::Serialize>(
            map: &BTreeMap<(String, String), T>,
            namespace: Option<&str>,
        ) -> Vec<Value> {
            map.iter()
                .filter(|((ns, _), _)| namespace.is_none_or(|n| n == ns))
                .map(|(_, o)| json_of(o))
                .collect()
        }
        match (kind.group, kind.resource) {
            ("", "secrets") => pick(&self.secrets, namespace),
            ("apps", "deployments") => pick(&self.deployments, namespace),
            ("", "pods") => pick(&self.pods, namespace),
            _ => {
                let q = kind.qualified();
                self.store
                    .objects
                    .iter()
                    .filter(|((r, ns, _), _)| *r == q && namespace.is_none_or(|n| n == ns))
                    .map(|(_, v)| v.clone())
                    .collect()
            }
        }
    }

    /// The `ConfigMaps` of a namespace.
    pub fn configmaps(&self, namespace: &str) -> Vec<k8s_openapi::api::core::v1::ConfigMap> {
        let kind = discovery::find("", "v1", "configmaps").expect("configmaps");
        self.objects_of(kind, Some(namespace))
            .into_iter()
            .map(|v| serde_json::from_value(v).expect("stored ConfigMap"))
            .collect()
    }

    /// Adds or replaces a `ConfigMap` (a Helm release record of the `configmap` driver, say),
    /// stamped like the API server does.
    pub fn put_configmap(&mut self, configmap: &k8s_openapi::api::core::v1::ConfigMap) {
        self.put_object(json_of(configmap));
    }

    /// Adds or replaces an object of any served kind (its `apiVersion` and `kind` say which),
    /// stamped like the API server does, as a test's fixture.
    pub fn put_object(&mut self, mut object: Value) {
        let api_version = object["apiVersion"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let kind_name = object["kind"].as_str().unwrap_or_default().to_string();
        let kind = discovery::by_kind(&api_version, &kind_name).unwrap_or_else(|| {
            panic!("the test API server does not serve {api_version} {kind_name}")
        });
        object = (kind.decode)(object).unwrap_or_else(|e| panic!("invalid {kind_name}: {e}"));
        let namespace = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let old = self.object(kind, &namespace, &name);
        let now = now();
        stamp(self, kind, old.as_ref(), &mut object, &now);
        fields::set_created_by(
            &mut object,
            "test-fixture",
            &kind.api_version(),
            &now,
            kind.status,
        );
        self.save(kind, &namespace, &name, object);
    }

    fn save(&mut self, kind: &ServedKind, namespace: &str, name: &str, object: Value) {
        let key = (namespace.to_string(), name.to_string());
        match (kind.group, kind.resource) {
            ("", "secrets") => {
                let s: Secret = serde_json::from_value(object).expect("stored Secret");
                self.secrets.insert(key, s);
            }
            ("apps", "deployments") => {
                let d: Deployment = serde_json::from_value(object).expect("stored Deployment");
                self.deployments.insert(key, d);
            }
            ("", "pods") => {
                let p: Pod = serde_json::from_value(object).expect("stored Pod");
                self.pods.insert(key, p);
            }
            _ => {
                self.store
                    .objects
                    .insert((kind.qualified(), key.0, key.1), object);
            }
        }
    }

    fn remove(&mut self, kind: &ServedKind, namespace: &str, name: &str) {
        let key = (namespace.to_string(), name.to_string());
        match (kind.group, kind.resource) {
            ("", "secrets") => {
                self.secrets.remove(&key);
            }
            ("apps", "deployments") => {
                self.deployments.remove(&key);
            }
            ("", "pods") => {
                self.pods.remove(&key);
            }
            _ => {
                self.store.objects.remove(&(kind.qualified(), key.0, key.1));
            }
        }
    }
}

fn json_of<T: serde::Serialize>(object: &T) -> Value {
    serde_json::to_value(object).expect("serialise object")
}

/// Where a request points.
struct Route {
    kind: &'static ServedKind,
    namespace: String,
    name: Option<String>,
    subresource: Option<String>,
}

fn route(path: &str) -> Option<Route> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    let (namespace, resource, tail) = match rest {
        ["namespaces", ns, resource, tail @ ..]
            if discovery::find(group, version, resource).is_some_and(|k| k.namespaced) =>
        {
            ((*ns).to_string(), *resource, tail)
        }
        [resource, tail @ ..] => (String::new(), *resource, tail),
        [] => return None,
    };
    let kind = discovery::find(group, version, resource)?;
    if tail.len() > 2 {
        return None;
    }
    Some(Route {
        kind,
        namespace,
        name: tail.first().map(|s| percent_decode(s)),
        subresource: tail.get(1).map(|s| (*s).to_string()),
    })
}

/// The request options of a write.
struct Options {
    dry_run: bool,
    manager: String,
    validation: String,
    force: bool,
}

fn options(query: &BTreeMap<String, String>, headers: &BTreeMap<String, String>) -> Options {
    // As kube-apiserver does: without `fieldManager`, the user agent up to its first `/`.
    let agent = headers
        .get("user-agent")
        .map(|ua| ua.split('/').next().unwrap_or_default().to_string())
        .unwrap_or_default();
    Options {
        dry_run: query.get("dryRun").is_some_and(|v| v == "All"),
        manager: query.get("fieldManager").cloned().unwrap_or(agent),
        validation: query
            .get("fieldValidation")
            .cloned()
            .unwrap_or_else(|| "Warn".into()),
        force: query.get("force").is_some_and(|v| v == "true"),
    }
}

fn parse_query(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Answers an object request.
pub(super) fn respond(
    state: &mut State,
    method: &str,
    target: &str,
    headers: &BTreeMap<String, String>,
    body: &[u8],
) -> Response {
    let (path, query_text) = target.split_once('?').unwrap_or((target, ""));
    let query = parse_query(query_text);
    let Some(route) = route(path) else {
        return unhandled(state, method, target, 404, "no such resource");
    };
    if let Some(sub) = &route.subresource {
        let why = format!("the `{sub}` subresource");
        return unhandled(state, method, target, 404, &why);
    }
    let verb = match (method, &route.name) {
        ("GET", Some(_)) => "get",
        ("GET", None) if query.get("watch").is_some_and(|w| w == "true" || w == "1") => {
            return unhandled(state, method, target, 405, "watch");
        }
        ("GET", None) => "list",
        ("POST", None) => "create",
        ("PUT", Some(_)) => "update",
        ("PATCH", Some(_)) => "patch",
        ("DELETE", Some(_)) => "delete",
        _ => return unhandled(state, method, target, 405, "this verb on this path"),
    };
    let kind = route.kind;
    let ns = route.namespace.clone();
    let name = route.name.clone();
    let denied = state.forbidden.iter().any(|(v, r, n)| {
        v == verb && r == kind.resource && n.as_deref().is_none_or(|n| Some(n) == name.as_deref())
    });
    if denied {
        let what = name.as_ref().map_or(String::new(), |n| {
            format!("{} \"{n}\" is forbidden: ", kind.resource)
        });
        let scope = if kind.namespaced {
            format!(" in the namespace \"{ns}\"")
        } else {
            " at the cluster scope".into()
        };
        return status(
            403,
            "Forbidden",
            format!(
                "{what}User \"system:serviceaccount:harbor:tester\" cannot {verb} resource \"{}\" in API group \"{}\"{scope}",
                kind.resource, kind.group
            ),
            json!({"name": name.as_deref().unwrap_or(""), "kind": kind.resource}),
        );
    }
    let opts = options(&query, headers);
    let content_type = headers
        .get("content-type")
        .map(|c| c.split(';').next().unwrap_or_default().trim().to_string())
        .unwrap_or_default();
    let result = match verb {
        "get" => get(state, kind, &ns, name.as_deref().unwrap_or_default()),
        "list" => Ok(list(state, kind, &route, &query)),
        "delete" => delete(
            state,
            kind,
            &ns,
            name.as_deref().unwrap_or_default(),
            &opts,
            body,
        ),
        _ => {
            let parsed = if content_type == protobuf::MEDIA_TYPE {
                protobuf::decode(body)
            } else if content_type.is_empty()
                || content_type == "application/json"
                || content_type.ends_with("+json")
                || content_type == "application/apply-patch+yaml"
            {
                serde_json::from_slice::<Value>(body).map_err(|e| e.to_string())
            } else {
                Err("not JSON".into())
            };
            let parsed = match parsed {
                Ok(parsed) => parsed,
                Err(e) => {
                    let why = format!("a body of type `{content_type}` it cannot read: {e}");
                    return unhandled(state, method, target, 415, &why);
                }
            };
            let name = name.as_deref().unwrap_or_default();
            match verb {
                "create" => create(state, kind, &ns, parsed, &opts),
                "update" => update(state, kind, &ns, name, parsed, &opts),
                _ => match content_type.as_str() {
                    "application/apply-patch+yaml" => apply(state, kind, &ns, name, parsed, &opts),
                    "application/merge-patch+json"
                    | "application/strategic-merge-patch+json"
                    | "application/json-patch+json" => {
                        patch_object(state, kind, &ns, name, &content_type, &parsed, &opts)
                    }
                    other => {
                        let why = format!("a patch of type `{other}`");
                        return unhandled(state, method, target, 415, &why);
                    }
                },
            }
        }
    };
    result.unwrap_or_else(|r| r)
}

fn not_found(kind: &ServedKind, name: &str) -> Response {
    status(
        404,
        "NotFound",
        format!("{} \"{name}\" not found", kind.qualified()),
        json!({"name": name, "group": kind.group, "kind": kind.resource}),
    )
}

fn bad_request(message: String) -> Response {
    status(400, "BadRequest", message, json!({}))
}

fn invalid(kind: &ServedKind, name: &str, field: &str, message: &str) -> Response {
    status(
        422,
        "Invalid",
        format!("{} \"{name}\" is invalid: {field}: {message}", kind.kind),
        json!({"name": name, "group": kind.group, "kind": kind.kind,
               "causes": [{"reason": "FieldValueInvalid", "message": message, "field": field}]}),
    )
}

fn get(state: &State, kind: &ServedKind, ns: &str, name: &str) -> Result<Response, Response> {
    state
        .object(kind, ns, name)
        .map(|v| json_response(200, &v))
        .ok_or_else(|| not_found(kind, name))
}

fn field_selector_matches(selector: &str, object: &Value) -> bool {
    selector.split(',').filter(|t| !t.is_empty()).all(|term| {
        let (field, want, equal) = match term.split_once("!=") {
            Some((f, v)) => (f, v, false),
            None => match term.split_once("==").or_else(|| term.split_once('=')) {
                Some((f, v)) => (f, v, true),
                None => return false,
            },
        };
        let pointer = format!("/{}", field.trim().replace('.', "/"));
        let have = object
            .pointer(&pointer)
            .and_then(Value::as_str)
            .unwrap_or("");
        (have == want.trim()) == equal
    })
}

fn list(
    state: &State,
    kind: &ServedKind,
    route: &Route,
    query: &BTreeMap<String, String>,
) -> Response {
    let labels = query.get("labelSelector").cloned().unwrap_or_default();
    let fields = query.get("fieldSelector").cloned().unwrap_or_default();
    let namespace =
        (kind.namespaced && !route.namespace.is_empty()).then_some(route.namespace.as_str());
    let items: Vec<Value> = state
        .objects_of(kind, namespace)
        .into_iter()
        .filter(|o| {
            let object_labels: Option<BTreeMap<String, String>> =
                serde_json::from_value(o["metadata"]["labels"].clone()).ok();
            selector_matches(&labels, object_labels.as_ref()) && field_selector_matches(&fields, o)
        })
        .collect();
    json_response(
        200,
        &json!({
            "kind": format!("{}List", kind.kind),
            "apiVersion": kind.api_version(),
            "metadata": {"resourceVersion": state.next_version.to_string()},
            "items": items,
        }),
    )
}

fn delete(
    state: &mut State,
    kind: &ServedKind,
    ns: &str,
    name: &str,
    opts: &Options,
    body: &[u8],
) -> Result<Response, Response> {
    let object = state
        .object(kind, ns, name)
        .ok_or_else(|| not_found(kind, name))?;
    // client-go sends `DeleteOptions` as the body: `dryRun` and preconditions may be there.
    let options: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let dry_run = opts.dry_run
        || options["dryRun"]
            .as_array()
            .is_some_and(|d| d.iter().any(|v| v == "All"));
    for field in ["uid", "resourceVersion"] {
        if let Some(want) = options["preconditions"][field].as_str() {
            if object["metadata"][field].as_str() != Some(want) {
                return Err(status(
                    409,
                    "Conflict",
                    format!(
                        "Precondition failed: {field} in precondition: {want}, {field} in object meta: {}",
                        object["metadata"][field].as_str().unwrap_or_default()
                    ),
                    json!({"name": name, "group": kind.group, "kind": kind.resource}),
                ));
            }
        }
    }
    if !dry_run {
        state.remove(kind, ns, name);
    }
    Ok(json_response(
        200,
        &json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": name, "group": kind.group, "kind": kind.resource,
                        "uid": object["metadata"]["uid"]},
        }),
    ))
}

/// Paths of `input` (a request body) that the typed object dropped: fields the kind does not
/// have.
fn unknown_fields(input: &Value, typed: &Value, path: &str, out: &mut Vec<String>) {
    match (input, typed) {
        (Value::Object(i), Value::Object(t)) => {
            for (k, v) in i {
                if v.is_null() {
                    continue;
                }
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match t.get(k) {
                    Some(tv) => unknown_fields(v, tv, &here, out),
                    None => out.push(here),
                }
            }
        }
        (Value::Array(i), Value::Array(t)) => {
            for (n, (iv, tv)) in i.iter().zip(t).enumerate() {
                unknown_fields(iv, tv, &format!("{path}[{n}]"), out);
            }
        }
        _ => {}
    }
}

/// The API server folds Secret `stringData` into `data`.
fn fold_string_data(kind: &ServedKind, object: &mut Value) {
    if !(kind.group.is_empty() && kind.resource == "secrets") {
        return;
    }
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = map.remove("stringData") else {
        return;
    };
    let data = map
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    let data = data.as_object_mut().expect("data");
    for (k, v) in string_data {
        let text = v.as_str().unwrap_or_default();
        data.insert(
            k,
            Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
        );
    }
}

/// Refuses (`400` under `Strict`) or reports the fields of `object` its kind does not have.
fn check_unknown(
    state: &mut State,
    kind: &ServedKind,
    object: &Value,
    typed: &Value,
    opts: &Options,
) -> Result<(), Response> {
    let mut unknown = Vec::new();
    unknown_fields(object, typed, "", &mut unknown);
    if unknown.is_empty() {
        return Ok(());
    }
    let list = unknown
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect::<Vec<_>>()
        .join(", ");
    match opts.validation.as_str() {
        "Strict" => Err(bad_request(format!("strict decoding error: {list}"))),
        "Ignore" => Ok(()),
        _ => {
            use std::io::Write as _;
            let name = object["metadata"]["name"].as_str().unwrap_or_default();
            let warning = format!("{} {name}: {list}", kind.kind);
            let _ = writeln!(
                std::io::stderr(),
                "test API server: warning: {warning} (dropped)"
            );
            state.store.warnings.push(warning);
            Ok(())
        }
    }
}

/// Decodes a request's object as its type (`400` when it does not decode), folding Secret
/// `stringData` into `data` and checking for unknown fields.
fn decode(
    state: &mut State,
    kind: &ServedKind,
    mut object: Value,
    opts: &Options,
) -> Result<Value, Response> {
    fold_string_data(kind, &mut object);
    let typed = (kind.decode)(object.clone()).map_err(|e| {
        bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: {e}",
            kind.kind, kind.version, kind.kind
        ))
    })?;
    check_unknown(state, kind, &object, &typed, opts)?;
    Ok(typed)
}

/// The request's object must be of the route's kind, in the route's namespace.
fn check_identity(
    kind: &ServedKind,
    ns: &str,
    object: &mut Value,
    url_name: Option<&str>,
) -> Result<(), Response> {
    let Some(map) = object.as_object_mut() else {
        return Err(bad_request("the body is not a JSON object".into()));
    };
    let api_version = map
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(v) = &api_version {
        if *v != kind.api_version() {
            return Err(bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({})",
                kind.api_version()
            )));
        }
    }
    if let Some(k) = map.get("kind").and_then(Value::as_str) {
        if k != kind.kind {
            return Err(bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                kind.kind
            )));
        }
    }
    map.insert("apiVersion".into(), Value::String(kind.api_version()));
    map.insert("kind".into(), Value::String(kind.kind.into()));
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(meta) = meta.as_object_mut() else {
        return Err(bad_request("metadata is not a map".into()));
    };
    if let Some(body_ns) = meta.get("namespace").and_then(Value::as_str) {
        if kind.namespaced && !body_ns.is_empty() && body_ns != ns {
            return Err(bad_request(
                "the namespace of the provided object does not match the namespace sent on the request".into(),
            ));
        }
    }
    if kind.namespaced {
        meta.insert("namespace".into(), Value::String(ns.into()));
    } else {
        meta.remove("namespace");
    }
    if let Some(url_name) = url_name {
        match meta.get("name").and_then(Value::as_str) {
            Some(n) if n != url_name => {
                return Err(bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({url_name})"
                )))
            }
            Some(_) => {}
            None => {
                meta.insert("name".into(), Value::String(url_name.into()));
            }
        }
    }
    Ok(())
}

fn meta_str(object: &Value, field: &str) -> Option<String> {
    object["metadata"][field].as_str().map(str::to_string)
}

/// Everything but `metadata` and `status`: what `generation` counts changes of.
fn spec_part(object: &Value) -> Value {
    let mut v = object.clone();
    if let Some(map) = v.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    v
}

/// The server's fields: identity and timestamps from the stored object, the next
/// `resourceVersion`, `generation`, and the stored `status` for kinds with a status subresource.
fn stamp(state: &mut State, kind: &ServedKind, old: Option<&Value>, object: &mut Value, now: &str) {
    state.next_version += 1;
    let version = state.next_version;
    let generation = match old {
        _ if !kind.generation => None,
        None => Some(1),
        Some(old) => {
            let before = old["metadata"]["generation"].as_i64().unwrap_or(1);
            Some(if spec_part(old) == spec_part(object) {
                before
            } else {
                before + 1
            })
        }
    };
    if kind.status {
        let map = object.as_object_mut().expect("object");
        match old.and_then(|o| o.get("status")) {
            Some(s) => {
                map.insert("status".into(), s.clone());
            }
            None => {
                map.remove("status");
            }
        }
    }
    let meta = object["metadata"].as_object_mut().expect("metadata");
    let uid = old
        .and_then(|o| meta_str(o, "uid"))
        .unwrap_or_else(|| format!("00000000-0000-4000-8000-{version:012}"));
    let created = old
        .and_then(|o| meta_str(o, "creationTimestamp"))
        .unwrap_or_else(|| now.to_string());
    meta.insert("uid".into(), Value::String(uid));
    meta.insert("creationTimestamp".into(), Value::String(created));
    meta.insert("resourceVersion".into(), Value::String(version.to_string()));
    match generation {
        Some(g) => meta.insert("generation".into(), json!(g)),
        None => meta.remove("generation"),
    };
}

/// What kube-apiserver refuses to change on an existing object.
fn check_immutable(
    kind: &ServedKind,
    name: &str,
    old: &Value,
    new: &Value,
) -> Result<(), Response> {
    let differs = |pointer: &str| old.pointer(pointer) != new.pointer(pointer);
    match (kind.group, kind.resource) {
        ("", "secrets" | "configmaps")
            if old["immutable"] == json!(true)
                && (differs("/data") || differs("/binaryData") || differs("/immutable")) =>
        {
            return Err(invalid(
                kind,
                name,
                "data",
                "Forbidden: field is immutable when `immutable` is set",
            ));
        }
        ("apps", "deployments") if differs("/spec/selector") => {
            return Err(invalid(
                kind,
                name,
                "spec.selector",
                &format!(
                    "Invalid value: {}: field is immutable",
                    new["spec"]["selector"]
                ),
            ));
        }
        ("apps", "statefulsets") => {
            let mutable = [
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ];
            let strip = |v: &Value| {
                let mut spec = v["spec"].clone();
                if let Some(m) = spec.as_object_mut() {
                    m.retain(|k, _| !mutable.contains(&k.as_str()));
                }
                spec
            };
            if strip(old) != strip(new) {
                return Err(invalid(kind, name, "spec", "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
            }
        }
        ("batch", "jobs") if differs("/spec/selector") || differs("/spec/template") => {
            return Err(invalid(
                kind,
                name,
                "spec.template",
                "Invalid value: field is immutable",
            ));
        }
        ("", "persistentvolumeclaims") => {
            let strip = |v: &Value| {
                let mut spec = v["spec"].clone();
                if let Some(m) = spec.as_object_mut() {
                    m.remove("resources");
                    m.remove("volumeAttributesClassName");
                }
                spec
            };
            if strip(old) != strip(new) {
                return Err(invalid(kind, name, "spec", "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Stores `object` (already decoded and with its managed fields) unless nothing changed or it is
/// a dry run; answers with what is (or would be) stored.
fn commit(
    state: &mut State,
    kind: &ServedKind,
    ns: &str,
    old: Option<&Value>,
    mut object: Value,
    opts: &Options,
    now: &str,
) -> Result<Response, Response> {
    let name = meta_str(&object, "name").unwrap_or_default();
    if let Some(old) = old {
        check_immutable(kind, &name, old, &object)?;
        let mut unchanged = object.clone();
        for field in ["resourceVersion", "uid", "creationTimestamp", "generation"] {
            unchanged["metadata"][field] = old["metadata"][field].clone();
            if old["metadata"].get(field).is_none() {
                if let Some(m) = unchanged["metadata"].as_object_mut() {
                    m.remove(field);
                }
            }
        }
        if kind.status {
            if let Some(m) = unchanged.as_object_mut() {
                match old.get("status") {
                    Some(s) => {
                        m.insert("status".into(), s.clone());
                    }
                    None => {
                        m.remove("status");
                    }
                }
            }
        }
        if unchanged == *old {
            return Ok(json_response(200, old));
        }
    }
    if opts.dry_run {
        let saved = state.next_version;
        stamp(state, kind, old, &mut object, now);
        state.next_version = saved;
        if let Some(m) = object["metadata"].as_object_mut() {
            match old {
                Some(o) => {
                    m.insert(
                        "resourceVersion".into(),
                        o["metadata"]["resourceVersion"].clone(),
                    );
                }
                None => {
                    m.remove("resourceVersion");
                }
            }
        }
    } else {
        stamp(state, kind, old, &mut object, now);
        state.save(kind, ns, &name, object.clone());
        super::rollout::settle(state, kind, ns, &name);
    }
    Ok(json_response(
        if old.is_some() { 200 } else { 201 },
        &object,
    ))
}

fn create(
    state: &mut State,
    kind: &ServedKind,
    ns: &str,
    mut object: Value,
    opts: &Options,
) -> Result<Response, Response> {
    check_identity(kind, ns, &mut object, None)?;
    if object["metadata"]["name"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        let Some(prefix) = meta_str(&object, "generateName") else {
            return Err(invalid(
                kind,
                "",
                "metadata.name",
                "Required value: name or generateName is required",
            ));
        };
        let suffix = format!("{:05x}", state.next_version + 1);
        object["metadata"]["name"] = Value::String(format!("{prefix}{suffix}"));
    }
    let name = meta_str(&object, "name").unwrap_or_default();
    if state.object(kind, ns, &name).is_some() {
        return Err(status(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", kind.qualified()),
            json!({"name": name, "group": kind.group, "kind": kind.resource}),
        ));
    }
    if object["metadata"]
        .get("resourceVersion")
        .is_some_and(|v| !v.is_null())
    {
        return Err(bad_request(
            "resourceVersion should not be set on objects to be created".into(),
        ));
    }
    let mut object = decode(state, kind, object, opts)?;
    let now = now();
    if kind.status {
        if let Some(m) = object.as_object_mut() {
            m.remove("status");
        }
    }
    fields::set_created_by(
        &mut object,
        &opts.manager,
        &kind.api_version(),
        &now,
        kind.status,
    );
    commit(state, kind, ns, None, object, opts, &now)
}

/// The managed fields of an update: as the request sets them when it changes them (Helm 4
/// rewrites Helm 3's entries this way), else the stored ones with the bookkeeping of this write.
fn update_managers(
    kind: &ServedKind,
    old: &Value,
    new: &mut Value,
    requested: Option<&Value>,
    opts: &Options,
    now: &str,
) {
    let stored = old["metadata"].get("managedFields");
    if let Some(requested) = requested.filter(|r| Some(*r) != stored) {
        new["metadata"]["managedFields"] = requested.clone();
        let managers = fields::managers(new);
        fields::set_managers(new, &managers);
        return;
    }
    let mut managers = fields::managers(old);
    fields::record_update(
        &mut managers,
        &opts.manager,
        &kind.api_version(),
        now,
        Some(old),
        new,
        kind.status,
    );
    fields::set_managers(new, &managers);
}

fn update(
    state: &mut State,
    kind: &ServedKind,
    ns: &str,
    name: &str,
    mut object: Value,
    opts: &Options,
) -> Result<Response, Response> {
    check_identity(kind, ns, &mut object, Some(name))?;
    let old = state
        .object(kind, ns, name)
        .ok_or_else(|| not_found(kind, name))?;
    let given = object["metadata"]["resourceVersion"]
        .as_str()
        .map(str::to_string);
    if given.is_some() && given != meta_str(&old, "resourceVersion") {
        return Err(conflict(kind, name));
    }
    let requested = object["metadata"]
        .get("managedFields")
        .filter(|v| !v.is_null())
        .cloned();
    let mut object = decode(state, kind, object, opts)?;
    let now = now();
    update_managers(kind, &old, &mut object, requested.as_ref(), opts, &now);
    commit(state, kind, ns, Some(&old), object, opts, &now)
}

fn conflict(kind: &ServedKind, name: &str) -> Response {
    status(
        409,
        "Conflict",
        format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            kind.qualified()
        ),
        json!({"name": name, "group": kind.group, "kind": kind.resource}),
    )
}

fn patch_object(
    state: &mut State,
    kind: &ServedKind,
    ns: &str,
    name: &str,
    content_type: &str,
    body: &Value,
    opts: &Options,
) -> Result<Response, Response> {
    let old = state
        .object(kind, ns, name)
        .ok_or_else(|| not_found(kind, name))?;
    let mut object = old.clone();
    match content_type {
        "application/merge-patch+json" => patch::merge_patch(&mut object, body),
        "application/json-patch+json" => patch::json_patch(&mut object, body).map_err(|e| {
            status(
                422,
                "Invalid",
                format!("the JSON patch cannot be applied: {e}"),
                json!({}),
            )
        })?,
        _ => patch::strategic_merge_patch(&mut object, body).map_err(bad_request)?,
    }
    if meta_str(&object, "resourceVersion") != meta_str(&old, "resourceVersion") {
        return Err(conflict(kind, name));
    }
    check_identity(kind, ns, &mut object, Some(name))?;
    let requested = object["metadata"].get("managedFields").cloned();
    let mut object = decode(state, kind, object, opts)?;
    let now = now();
    update_managers(kind, &old, &mut object, requested.as_ref(), opts, &now);
    commit(state, kind, ns, Some(&old), object, opts, &now)
}

/// Server-side apply of `config` by `opts.manager`.
fn apply(
    state: &mut State,
    kind: &ServedKind,
    ns: &str,
    name: &str,
    mut config: Value,
    opts: &Options,
) -> Result<Response, Response> {
    if opts.manager.is_empty() {
        return Err(status(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".into(),
            json!({}),
        ));
    }
    if config.get("apiVersion").is_none() || config.get("kind").is_none() {
        return Err(bad_request(
            "apiVersion and kind must be set in an applied configuration".into(),
        ));
    }
    patch::strip_nulls(&mut config);
    check_identity(kind, ns, &mut config, Some(name))?;
    if let Some(meta) = config["metadata"].as_object_mut() {
        // Set by the server; an applied configuration only names the object.
        for field in [
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
            "managedFields",
        ] {
            meta.remove(field);
        }
    }
    fold_string_data(kind, &mut config);
    // Unknown fields are judged on the configuration; whether required fields are there, on the
    // merged object below (a partial configuration need not decode on its own).
    if let Ok(typed) = (kind.decode)(config.clone()) {
        check_unknown(state, kind, &config, &typed, opts)?;
    }
    let old = state.object(kind, ns, name);
    let mut object = old.clone().unwrap_or_else(|| {
        let mut meta = Map::new();
        meta.insert("name".into(), Value::String(name.into()));
        if kind.namespaced {
            meta.insert("namespace".into(), Value::String(ns.into()));
        }
        json!({"apiVersion": kind.api_version(), "kind": kind.kind, "metadata": meta})
    });
    let mut managers = fields::managers(&object);
    let applied = fields::field_set(&config, kind.status);
    let is_me =
        |m: &Manager| m.name == opts.manager && m.operation == "Apply" && m.subresource.is_none();

    let mut conflicts: Vec<(String, String)> = Vec::new();
    for m in managers.iter_mut().filter(|m| !is_me(m)) {
        let mut lost = FieldSet::new();
        for path in m.fields.intersection(&applied) {
            if matches!(
                path.last(),
                Some(fields::Step::Key(_) | fields::Step::Value(_))
            ) {
                continue;
            }
            if fields::value_at(&object, path) != fields::value_at(&config, path) {
                conflicts.push((m.name.clone(), fields::display(path)));
                lost.insert(path.clone());
            }
        }
        if opts.force {
            m.fields.retain(|p| !lost.contains(p));
        }
    }
    if !conflicts.is_empty() && !opts.force {
        let lines: Vec<String> = conflicts
            .iter()
            .map(|(m, f)| format!("conflict with \"{m}\": {f}"))
            .collect();
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(m, f)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{m}\""), "field": f}))
            .collect();
        return Err(status(
            409,
            "Conflict",
            format!(
                "Apply failed with {} conflict(s): {}",
                conflicts.len(),
                lines.join("; ")
            ),
            json!({"name": name, "group": kind.group, "kind": kind.resource, "causes": causes}),
        ));
    }

    let previous: FieldSet = managers
        .iter()
        .filter(|m| is_me(m))
        .flat_map(|m| m.fields.clone())
        .collect();
    let others: FieldSet = managers
        .iter()
        .filter(|m| !is_me(m))
        .flat_map(|m| m.fields.clone())
        .collect();
    let mut keep = others.clone();
    keep.extend(applied.iter().cloned());
    for path in previous.difference(&applied) {
        let owned_elsewhere = others.iter().any(|o| fields::has_prefix(o, path));
        if !owned_elsewhere {
            fields::remove_path(&mut object, path, &keep);
        }
    }
    patch::apply_merge(&mut object, &config);
    // Unknown fields were judged on the configuration above; the stored object has none.
    let merged = Options {
        validation: "Ignore".into(),
        manager: opts.manager.clone(),
        ..*opts
    };
    let mut object = decode(state, kind, object, &merged)?;
    let now = now();
    let present = fields::field_set(&object, kind.status);
    for m in &mut managers {
        m.fields.retain(|p| present.contains(p));
    }
    match managers.iter_mut().find(|m| is_me(m)) {
        Some(m) => {
            if m.fields != applied
                || old
                    .as_ref()
                    .is_some_and(|o| spec_part(o) != spec_part(&object))
            {
                m.time = now.clone();
            }
            m.fields = applied;
            m.api_version = kind.api_version();
        }
        None => managers.push(Manager {
            name: opts.manager.clone(),
            operation: "Apply".into(),
            api_version: kind.api_version(),
            time: now.clone(),
            subresource: None,
            fields: applied,
        }),
    }
    fields::set_managers(&mut object, &managers);
    commit(state, kind, ns, old.as_ref(), object, opts, &now)
}
