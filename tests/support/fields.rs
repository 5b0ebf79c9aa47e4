//! Field paths and field ownership as server-side apply tracks them: the list semantics of the
//! built-in kinds (which lists merge by key, which are sets, which are atomic, as the
//! `+listType`/`+listMapKey` and `patchMergeKey` markers of `k8s.io/api` declare them), the set
//! of field paths an object sets, `metadata.managedFields` entries in the `FieldsV1` format, and
//! the bookkeeping of an `Update` operation. `patch.rs` applies changes with the same list
//! semantics; `objects.rs` calls both.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Replaced as a whole.
    Atomic,
    /// Items are identified by these fields (the first is the strategic-merge-patch key).
    Keyed(&'static [&'static str]),
    /// A set of scalars.
    Set,
}

const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// The semantics of the list at `names` (field names from the object root, list items
/// skipped): `["spec", "template", "spec", "containers", "env"]`.
pub fn list_type(names: &[String]) -> List {
    let n = names.len();
    let Some(last) = names.last().map(String::as_str) else {
        return List::Atomic;
    };
    let parent = n.checked_sub(2).map_or("", |i| names[i].as_str());
    let in_container = CONTAINER_LISTS.contains(&parent);
    match last {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "resourceClaims"
        | "schedulingGates"
            if parent == "spec" =>
        {
            List::Keyed(&["name"])
        }
        "imagePullSecrets" => List::Keyed(&["name"]),
        "hostAliases" => List::Keyed(&["ip"]),
        "topologySpreadConstraints" => List::Keyed(&["topologyKey", "whenUnsatisfiable"]),
        "env" if in_container => List::Keyed(&["name"]),
        "volumeMounts" if in_container => List::Keyed(&["mountPath"]),
        "volumeDevices" if in_container => List::Keyed(&["devicePath"]),
        "ports" if in_container => List::Keyed(&["containerPort", "protocol"]),
        // Service
        "ports" if n == 2 && parent == "spec" => List::Keyed(&["port", "protocol"]),
        "conditions" if parent == "status" => List::Keyed(&["type"]),
        "finalizers" if parent == "metadata" && n == 2 => List::Set,
        "ownerReferences" if parent == "metadata" && n == 2 => List::Keyed(&["uid"]),
        // ServiceAccount
        "secrets" if n == 1 => List::Keyed(&["name"]),
        _ => List::Atomic,
    }
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// A map key.
    Field(String),
    /// The item of a keyed list with these key values (`{"name":"core"}`, compact JSON in
    /// key order).
    Key(String),
    /// The item of a set with this value (compact JSON).
    Value(String),
}

/// A set of field paths. A path ending in `Key`/`Value` is the list item itself (`.` in
/// `FieldsV1`); other paths are leaves: scalars, atomic lists, empty maps.
pub type FieldSet = BTreeSet<Vec<Step>>;

/// The key of `item` in a keyed list, or `None` when it is not a map.
pub fn item_key(item: &Value, keys: &[&str]) -> Option<String> {
    let map = item.as_object()?;
    let parts: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            map.get(*k).map(|v| {
                format!(
                    "{}:{}",
                    serde_json::to_string(k).expect("key"),
                    serde_json::to_string(v).expect("value")
                )
            })
        })
        .collect();
    Some(format!("{{{}}}", parts.join(",")))
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).expect("json")
}

/// Fields that are not owned by anyone: identity and server-set metadata.
fn untracked(path: &[String]) -> bool {
    match path {
        [one] => matches!(one.as_str(), "apiVersion" | "kind"),
        [meta, field] if meta == "metadata" => matches!(
            field.as_str(),
            "name"
                | "namespace"
                | "uid"
                | "resourceVersion"
                | "generation"
                | "creationTimestamp"
                | "deletionTimestamp"
                | "deletionGracePeriodSeconds"
                | "managedFields"
                | "selfLink"
        ),
        _ => false,
    }
}

/// The field paths `object` sets; `status` is left out when it is a subresource.
pub fn field_set(object: &Value, skip_status: bool) -> FieldSet {
    let mut out = FieldSet::new();
    let mut names = Vec::new();
    let mut path = Vec::new();
    if let Some(map) = object.as_object() {
        for (k, v) in map {
            if skip_status && k == "status" {
                continue;
            }
            collect_field(k, v, &mut names, &mut path, &mut out);
        }
    }
    out
}

fn collect_field(
    key: &str,
    value: &Value,
    names: &mut Vec<String>,
    path: &mut Vec<Step>,
    out: &mut FieldSet,
) {
    names.push(key.to_string());
    if !untracked(names) {
        path.push(Step::Field(key.to_string()));
        collect(value, names, path, out);
        path.pop();
    }
    names.pop();
}

fn collect(value: &Value, names: &mut Vec<String>, path: &mut Vec<Step>, out: &mut FieldSet) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                collect_field(k, v, names, path, out);
            }
        }
        Value::Array(items) => match list_type(names) {
            List::Atomic => {
                out.insert(path.clone());
            }
            List::Keyed(keys) => {
                for item in items {
                    let Some(key) = item_key(item, keys) else {
                        continue;
                    };
                    path.push(Step::Key(key));
                    out.insert(path.clone());
                    if let Some(map) = item.as_object() {
                        for (k, v) in map {
                            collect_field(k, v, names, path, out);
                        }
                    }
                    path.pop();
                }
            }
            List::Set => {
                for item in items {
                    path.push(Step::Value(compact(item)));
                    out.insert(path.clone());
                    path.pop();
                }
            }
        },
        _ => {
            out.insert(path.clone());
        }
    }
}

/// The value at `path` in `object`.
pub fn value_at<'a>(object: &'a Value, path: &[Step]) -> Option<&'a Value> {
    let mut names: Vec<String> = Vec::new();
    let mut current = object;
    for step in path {
        current = match step {
            Step::Field(f) => {
                names.push(f.clone());
                current.as_object()?.get(f)?
            }
            Step::Key(key) => {
                let List::Keyed(keys) = list_type(&names) else {
                    return None;
                };
                current
                    .as_array()?
                    .iter()
                    .find(|item| item_key(item, keys).as_deref() == Some(key))?
            }
            Step::Value(v) => current
                .as_array()?
                .iter()
                .find(|item| compact(item) == *v)?,
        };
    }
    Some(current)
}

/// Removes `path` from `object`; maps left empty by the removal go too (up to `keep`, the
/// paths still owned by someone).
pub fn remove_path(object: &mut Value, path: &[Step], keep: &FieldSet) {
    let mut names = Vec::new();
    remove_in(object, path, &mut names, &mut Vec::new(), keep);
}

fn remove_in(
    current: &mut Value,
    path: &[Step],
    names: &mut Vec<String>,
    walked: &mut Vec<Step>,
    keep: &FieldSet,
) {
    let Some((step, rest)) = path.split_first() else {
        return;
    };
    match step {
        Step::Field(f) => {
            let Some(map) = current.as_object_mut() else {
                return;
            };
            if rest.is_empty() {
                map.remove(f);
                return;
            }
            names.push(f.clone());
            walked.push(step.clone());
            if let Some(child) = map.get_mut(f) {
                remove_in(child, rest, names, walked, keep);
                let empty = child.as_object().is_some_and(Map::is_empty);
                if empty && !keep.contains(walked.as_slice()) {
                    map.remove(f);
                }
            }
            walked.pop();
            names.pop();
        }
        Step::Key(key) => {
            let List::Keyed(keys) = list_type(names) else {
                return;
            };
            let Some(items) = current.as_array_mut() else {
                return;
            };
            let Some(i) = items
                .iter()
                .position(|item| item_key(item, keys).as_deref() == Some(key))
            else {
                return;
            };
            if rest.is_empty() {
                items.remove(i);
            } else {
                walked.push(step.clone());
                remove_in(&mut items[i], rest, names, walked, keep);
                walked.pop();
            }
        }
        Step::Value(v) => {
            if let Some(items) = current.as_array_mut() {
                items.retain(|item| compact(item) != *v);
            }
        }
    }
}

/// The `FieldsV1` form of a set: nested `f:<field>`, `k:<key>`, `v:<value>` maps, `.` for a
/// list item itself, `{}` for a leaf.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut node = &mut root;
        for step in path {
            let name = match step {
                Step::Field(f) => format!("f:{f}"),
                Step::Key(k) => format!("k:{k}"),
                Step::Value(v) => format!("v:{v}"),
            };
            node = node
                .entry(name)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("fields node");
        }
        if matches!(path.last(), Some(Step::Key(_) | Step::Value(_))) {
            node.insert(".".into(), Value::Object(Map::new()));
        }
    }
    Value::Object(root)
}

/// The set a `FieldsV1` document describes.
pub fn from_fields_v1(fields: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    walk_fields_v1(fields, &mut Vec::new(), &mut out);
    out
}

fn walk_fields_v1(node: &Value, path: &mut Vec<Step>, out: &mut FieldSet) {
    let Some(map) = node.as_object() else {
        return;
    };
    if map.is_empty() && !path.is_empty() {
        out.insert(path.clone());
        return;
    }
    for (name, child) in map {
        if name == "." {
            out.insert(path.clone());
            continue;
        }
        let step = if let Some(f) = name.strip_prefix("f:") {
            Step::Field(f.to_string())
        } else if let Some(k) = name.strip_prefix("k:") {
            Step::Key(k.to_string())
        } else if let Some(v) = name.strip_prefix("v:") {
            Step::Value(v.to_string())
        } else {
            continue;
        };
        path.push(step);
        walk_fields_v1(child, path, out);
        path.pop();
    }
}

/// Whether `path` starts with `prefix`.
pub fn has_prefix(path: &[Step], prefix: &[Step]) -> bool {
    path.len() >= prefix.len() && path[..prefix.len()] == *prefix
}

/// A human form of a path for conflict messages: `.spec.template.spec.containers[name="core"].image`.
pub fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            Step::Key(k) => {
                let parsed: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
                let parts: Vec<String> = parsed.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push('[');
                out.push_str(&parts.join(","));
                out.push(']');
            }
            Step::Value(v) => {
                out.push('[');
                out.push_str(v);
                out.push(']');
            }
        }
    }
    out
}

/// One `metadata.managedFields` entry.
#[derive(Debug, Clone)]
pub struct Manager {
    /// `helm`, `kubectl`, …
    pub name: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// The API version of the request that set the fields.
    pub api_version: String,
    /// When.
    pub time: String,
    /// `status` for the status subresource.
    pub subresource: Option<String>,
    /// The fields.
    pub fields: FieldSet,
}

/// The entries of an object (entries without `fieldsV1` own nothing).
pub fn managers(object: &Value) -> Vec<Manager> {
    let Some(entries) = object
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|e| {
            let text = |k: &str| {
                e.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            Manager {
                name: text("manager"),
                operation: text("operation"),
                api_version: text("apiVersion"),
                time: text("time"),
                subresource: e
                    .get("subresource")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                fields: e.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
            }
        })
        .collect()
}

/// Writes the entries into `object`, dropping those that own nothing.
pub fn set_managers(object: &mut Value, managers: &[Manager]) {
    let entries: Vec<Value> = managers
        .iter()
        .filter(|m| !m.fields.is_empty())
        .map(|m| {
            let mut e = Map::new();
            e.insert("manager".into(), Value::String(m.name.clone()));
            e.insert("operation".into(), Value::String(m.operation.clone()));
            e.insert("apiVersion".into(), Value::String(m.api_version.clone()));
            e.insert("time".into(), Value::String(m.time.clone()));
            e.insert("fieldsType".into(), Value::String("FieldsV1".into()));
            e.insert("fieldsV1".into(), to_fields_v1(&m.fields));
            if let Some(sub) = &m.subresource {
                e.insert("subresource".into(), Value::String(sub.clone()));
            }
            Value::Object(e)
        })
        .collect();
    let Some(meta) = object
        .as_object_mut()
        .and_then(|o| o.get_mut("metadata"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if entries.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(entries));
    }
}

/// The bookkeeping of a create, update or non-apply patch by `manager`: it takes the fields it
/// set or changed (from whoever owned them), and nobody keeps a field the object no longer has.
pub fn record_update(
    managers: &mut Vec<Manager>,
    manager: &str,
    api_version: &str,
    now: &str,
    old: Option<&Value>,
    new: &Value,
    skip_status: bool,
) {
    let new_set = field_set(new, skip_status);
    let old_set = old.map(|o| field_set(o, skip_status)).unwrap_or_default();
    let changed: FieldSet = new_set
        .iter()
        .filter(|p| !old_set.contains(*p) || old.and_then(|o| value_at(o, p)) != value_at(new, p))
        .cloned()
        .collect();
    for m in managers.iter_mut() {
        m.fields
            .retain(|p| new_set.contains(p) && !changed.contains(p));
    }
    if changed.is_empty() {
        return;
    }
    let entry = managers
        .iter_mut()
        .find(|m| m.name == manager && m.operation == "Update" && m.subresource.is_none());
    match entry {
        Some(m) => {
            m.fields.extend(changed);
            m.time = now.to_string();
            m.api_version = api_version.to_string();
        }
        None => managers.push(Manager {
            name: manager.to_string(),
            operation: "Update".into(),
            api_version: api_version.to_string(),
            time: now.to_string(),
            subresource: None,
            fields: changed,
        }),
    }
}

/// The managed fields of a new object written by `manager` (not an apply): it owns everything
/// the object sets.
pub fn set_created_by(
    object: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
    skip_status: bool,
) {
    let mut managers = Vec::new();
    record_update(
        &mut managers,
        manager,
        api_version,
        now,
        None,
        object,
        skip_status,
    );
    set_managers(object, &managers);
}
