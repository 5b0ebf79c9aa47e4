//! The patch formats the test API server accepts, applied to JSON objects: JSON merge patch
//! (RFC 7386), JSON patch (RFC 6902, which Helm 4 sends to move field ownership from client-side
//! to server-side apply), strategic merge patch (Helm 3's three-way patches, with the `$patch`,
//! `$retainKeys`, `$setElementOrder/` and `$deleteFromPrimitiveList/` directives), and the merge
//! step of server-side apply. Lists merge by the semantics of `fields::list_type`.

use serde_json::{Map, Value};

use super::fields::{item_key, list_type, List};

/// RFC 7386: maps merge, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let map = target.as_object_mut().expect("object");
    for (k, v) in patch {
        if v.is_null() {
            map.remove(k);
        } else {
            merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// RFC 6902 operations `add`, `remove`, `replace`, `move`, `copy` and `test`.
pub fn json_patch(target: &mut Value, operations: &Value) -> Result<(), String> {
    let ops = operations
        .as_array()
        .ok_or("a JSON patch is a list of operations")?;
    for op in ops {
        let name = op["op"].as_str().ok_or("operation without `op`")?;
        let path = op["path"].as_str().ok_or("operation without `path`")?;
        match name {
            "add" => add(target, path, op["value"].clone())?,
            "remove" => {
                take(target, path)?;
            }
            "replace" => {
                take(target, path)?;
                add(target, path, op["value"].clone())?;
            }
            "move" => {
                let from = op["from"].as_str().ok_or("`move` without `from`")?;
                let v = take(target, from)?;
                add(target, path, v)?;
            }
            "copy" => {
                let from = op["from"].as_str().ok_or("`copy` without `from`")?;
                let v = target
                    .pointer(from)
                    .cloned()
                    .ok_or_else(|| format!("`copy` from missing path {from}"))?;
                add(target, path, v)?;
            }
            "test" => {
                if target.pointer(path) != Some(&op["value"]) {
                    return Err(format!("test operation failed at {path}"));
                }
            }
            other => return Err(format!("unknown JSON patch operation `{other}`")),
        }
    }
    Ok(())
}

fn split_pointer(path: &str) -> Result<(String, String), String> {
    let (parent, last) = path
        .rsplit_once('/')
        .ok_or_else(|| format!("invalid JSON pointer {path}"))?;
    Ok((
        parent.to_string(),
        last.replace("~1", "/").replace("~0", "~"),
    ))
}

fn add(target: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *target = value;
        return Ok(());
    }
    let (parent, last) = split_pointer(path)?;
    let container = target
        .pointer_mut(&parent)
        .ok_or_else(|| format!("missing parent of {path}"))?;
    match container {
        Value::Object(map) => {
            map.insert(last, value);
        }
        Value::Array(items) => {
            if last == "-" {
                items.push(value);
            } else {
                let i: usize = last
                    .parse()
                    .map_err(|_| format!("invalid index in {path}"))?;
                if i > items.len() {
                    return Err(format!("index out of range in {path}"));
                }
                items.insert(i, value);
            }
        }
        _ => return Err(format!("parent of {path} is not a container")),
    }
    Ok(())
}

fn take(target: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = split_pointer(path)?;
    let container = target
        .pointer_mut(&parent)
        .ok_or_else(|| format!("missing parent of {path}"))?;
    match container {
        Value::Object(map) => map.remove(&last).ok_or_else(|| format!("missing {path}")),
        Value::Array(items) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("invalid index in {path}"))?;
            if i >= items.len() {
                return Err(format!("index out of range in {path}"));
            }
            Ok(items.remove(i))
        }
        _ => Err(format!("parent of {path} is not a container")),
    }
}

/// Applies a strategic merge patch to `target`.
pub fn strategic_merge_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let mut names = Vec::new();
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let patch = patch
        .as_object()
        .ok_or("a strategic merge patch is a map")?;
    if smp_map(target.as_object_mut().expect("object"), patch, &mut names)? {
        *target = Value::Object(Map::new());
    }
    Ok(())
}

/// Merges `patch` into `target`; `true` when the patch deletes the map.
fn smp_map(
    target: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    names: &mut Vec<String>,
) -> Result<bool, String> {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("delete") => return Ok(true),
        Some("replace") => {
            *target = strip_directives(patch);
            return Ok(false);
        }
        Some(other) => return Err(format!("unknown patch directive `{other}`")),
        None => {}
    }
    if let Some(retain) = patch.get("$retainKeys") {
        let keep: Vec<&str> = retain
            .as_array()
            .ok_or("`$retainKeys` is not a list")?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        target.retain(|k, _| keep.contains(&k.as_str()));
    }
    let mut orders = Vec::new();
    for (key, value) in patch {
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            let drop = value
                .as_array()
                .ok_or("`$deleteFromPrimitiveList` is not a list")?;
            if let Some(Value::Array(items)) = target.get_mut(field) {
                items.retain(|i| !drop.contains(i));
            }
            continue;
        }
        if let Some(field) = key.strip_prefix("$setElementOrder/") {
            orders.push((field.to_string(), value));
            continue;
        }
        if key.starts_with('$') {
            continue;
        }
        if value.is_null() {
            target.remove(key);
            continue;
        }
        names.push(key.clone());
        let result: Result<(), String> = match (target.get_mut(key), value) {
            (Some(Value::Object(current)), Value::Object(p)) => {
                if smp_map(current, p, names)? {
                    target.remove(key);
                }
                Ok(())
            }
            (_, Value::Object(p)) => {
                let mut fresh = Map::new();
                if !smp_map(&mut fresh, p, names)? {
                    target.insert(key.clone(), Value::Object(fresh));
                }
                Ok(())
            }
            (current, Value::Array(p)) => {
                let mut items = match current {
                    Some(Value::Array(items)) => std::mem::take(items),
                    _ => Vec::new(),
                };
                smp_list(&mut items, p, names)?;
                target.insert(key.clone(), Value::Array(items));
                Ok(())
            }
            (_, v) => {
                target.insert(key.clone(), v.clone());
                Ok(())
            }
        };
        names.pop();
        result?;
    }
    for (field, order) in orders {
        names.push(field.clone());
        let kind = list_type(names);
        names.pop();
        if let (Some(Value::Array(items)), Some(order)) = (target.get_mut(&field), order.as_array())
        {
            reorder(items, order, kind);
        }
    }
    Ok(false)
}

fn strip_directives(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| !k.starts_with('$'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn smp_list(
    target: &mut Vec<Value>,
    patch: &[Value],
    names: &mut Vec<String>,
) -> Result<(), String> {
    match list_type(names) {
        List::Atomic => {
            *target = patch.to_vec();
        }
        List::Set => {
            for v in patch {
                if !target.contains(v) {
                    target.push(v.clone());
                }
            }
        }
        List::Keyed(keys) => {
            let merge_key = keys[0];
            if patch
                .iter()
                .any(|p| p.get("$patch").and_then(Value::as_str) == Some("replace"))
            {
                *target = patch
                    .iter()
                    .filter(|p| p.get("$patch").is_none())
                    .cloned()
                    .collect();
                return Ok(());
            }
            for p in patch {
                let Some(pm) = p.as_object() else {
                    return Err("an item of a merged list is not a map".into());
                };
                let key = pm.get(merge_key).cloned().unwrap_or(Value::Null);
                let position = target.iter().position(|t| t.get(merge_key) == Some(&key));
                if pm.get("$patch").and_then(Value::as_str) == Some("delete") {
                    target.retain(|t| t.get(merge_key) != Some(&key));
                    continue;
                }
                if let Some(i) = position {
                    let Value::Object(current) = &mut target[i] else {
                        continue;
                    };
                    if smp_map(current, pm, names)? {
                        target.remove(i);
                    }
                } else {
                    let mut fresh = Map::new();
                    if !smp_map(&mut fresh, pm, names)? {
                        target.push(Value::Object(fresh));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Orders `items` as `order` lists them (by merge key, or by value for sets); items it does not
/// name keep their relative order after them.
fn reorder(items: &mut [Value], order: &[Value], kind: List) {
    let rank = |item: &Value| -> usize {
        let position = match kind {
            List::Keyed(keys) => order
                .iter()
                .position(|o| o.get(keys[0]).is_some() && o.get(keys[0]) == item.get(keys[0])),
            _ => order.iter().position(|o| o == item),
        };
        position.unwrap_or(order.len())
    };
    items.sort_by_key(rank);
}

/// The merge step of server-side apply: the applied configuration's fields replace the
/// object's, maps merge, keyed lists merge item by item, sets take the union.
pub fn apply_merge(target: &mut Value, config: &Value) {
    let mut names = Vec::new();
    apply_in(target, config, &mut names);
}

fn apply_in(target: &mut Value, config: &Value, names: &mut Vec<String>) {
    match (target, config) {
        (Value::Object(t), Value::Object(c)) => {
            for (k, cv) in c {
                names.push(k.clone());
                match t.get_mut(k) {
                    Some(tv) => apply_in(tv, cv, names),
                    None => {
                        t.insert(k.clone(), cv.clone());
                    }
                }
                names.pop();
            }
        }
        (Value::Array(t), Value::Array(c)) => match list_type(names) {
            List::Keyed(keys) => {
                let key = |item: &Value| item_key(item, keys).unwrap_or_else(|| item.to_string());
                *t = merge_lists(std::mem::take(t), c, key, names);
            }
            List::Set => *t = merge_lists(std::mem::take(t), c, Value::to_string, names),
            List::Atomic => *t = c.clone(),
        },
        (t, c) => *t = c.clone(),
    }
}

/// Merges the items of a keyed list or set in the order structured-merge-diff gives them
/// (`typed/merge.go`, `visitListItems`): live items the configuration does not name keep their
/// place, named ones follow the configuration's order, new ones come where the configuration
/// puts them.
fn merge_lists(
    live: Vec<Value>,
    config: &[Value],
    key: impl Fn(&Value) -> String,
    names: &mut Vec<String>,
) -> Vec<Value> {
    let lhs: Vec<String> = live.iter().map(&key).collect();
    let rhs: Vec<String> = config.iter().map(&key).collect();
    let mut shared = rhs
        .iter()
        .filter(|k| lhs.contains(k))
        .cloned()
        .collect::<Vec<_>>()
        .into_iter();
    let mut next_shared = shared.next();
    let mut merged: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(live.len().max(config.len()));
    let merge_item = |l: Option<&Value>, r: &Value, names: &mut Vec<String>| {
        let mut item = l.cloned().unwrap_or(Value::Null);
        if item.is_null() {
            item = r.clone();
        } else {
            apply_in(&mut item, r, names);
        }
        item
    };
    let (mut li, mut ri) = (0, 0);
    while li < lhs.len() || ri < rhs.len() {
        if li < lhs.len() && ri < rhs.len() {
            if lhs[li] == rhs[ri] {
                merged.push(lhs[li].clone());
                out.push(merge_item(Some(&live[li]), &config[ri], names));
                li += 1;
                ri += 1;
                next_shared = shared.next();
                continue;
            }
            if rhs.contains(&lhs[li]) && next_shared.as_ref().is_some_and(|n| *n != lhs[li]) {
                li += 1;
                continue;
            }
        }
        if li < lhs.len() {
            if !rhs.contains(&lhs[li]) {
                out.push(live[li].clone());
                li += 1;
                continue;
            } else if merged.contains(&lhs[li]) {
                li += 1;
            }
        }
        if ri < rhs.len() {
            let k = &rhs[ri];
            merged.push(k.clone());
            let l = lhs.iter().position(|x| x == k).map(|i| &live[i]);
            out.push(merge_item(l, &config[ri], names));
            if next_shared.as_ref() == Some(k) {
                next_shared = shared.next();
            }
            ri += 1;
        }
    }
    out
}

/// Drops `null` values, which an applied configuration uses for "not set".
pub fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            for v in map.values_mut() {
                strip_nulls(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}
