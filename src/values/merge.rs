//! Helm 3 merging of several values files (`-f a.yaml -f b.yaml`).
//!
//! This mirrors `mergeMaps` in Helm's `pkg/cli/values/options.go`: maps merge deeply with the
//! overlay winning, everything else (lists, scalars, `null`) replaces. A `null` is kept as a
//! `Value::Null` node with its span: Helm later treats it as "delete the key, the chart default
//! applies", and the checks need to see where it was written (the `secret-not-string` rule).

use std::collections::{HashMap, HashSet};

use super::{Node, Value};

/// Merges `overlay` into `base` the way Helm merges `-f` files.
///
/// Maps merge key by key (overlay values win, new keys are appended in overlay order); lists
/// and scalars replace; a `null` in the overlay replaces too and stays in the tree as a
/// `Value::Null` node meaning "deleted, chart default applies". Replaced nodes keep the span of
/// the input that supplied them; a merged map takes the overlay's span and key span.
///
/// Duplicate keys inside one overlay map behave as in Helm's YAML parser: the later one
/// replaces the earlier one instead of merging into it. The result has one entry per key.
pub fn merge_into(base: &mut Node, overlay: Node) {
    match (&mut base.value, overlay.value) {
        (Value::Map(base_entries), Value::Map(overlay_entries)) => {
            // The map itself is now "last written" by the overlay.
            if overlay.span.is_some() {
                base.span = overlay.span;
            }
            dedup_keep_last(base_entries);
            // Where each key is in the base, and whether the overlay has written it yet: one
            // hash lookup per overlay key, so merging big maps stays linear.
            let mut index: HashMap<String, (usize, bool)> = base_entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), (i, false)))
                .collect();
            for entry in overlay_entries {
                if let Some((at, touched)) = index.get_mut(&entry.key) {
                    let existing = &mut base_entries[*at];
                    existing.key_span = entry.key_span.or(existing.key_span);
                    if *touched {
                        existing.node = entry.node;
                    } else {
                        *touched = true;
                        merge_into(&mut existing.node, entry.node);
                    }
                } else {
                    index.insert(entry.key.clone(), (base_entries.len(), true));
                    base_entries.push(entry);
                }
            }
        }
        (_, value) => {
            *base = Node {
                value,
                span: overlay.span,
                style: overlay.style,
            };
        }
    }
}

/// Removes earlier duplicates of a key, keeping the last one (the one Helm's parser keeps).
fn dedup_keep_last(entries: &mut Vec<super::Entry>) {
    let mut seen = HashSet::new();
    if entries.iter().all(|e| seen.insert(e.key.as_str())) {
        return;
    }
    let mut seen = HashSet::new();
    let mut kept: Vec<_> = entries
        .drain(..)
        .rev()
        .filter(|e| seen.insert(e.key.clone()))
        .collect();
    kept.reverse();
    *entries = kept;
}

/// Removes every `null` map value, recursively: the tree Helm hands to the chart after its
/// "null deletes the key" rule. The checks keep the nulls; this is for consumers that want the
/// effective user values only.
pub fn prune_nulls(node: &mut Node) {
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|e| e.node.value != Value::Null);
            for entry in entries {
                prune_nulls(&mut entry.node);
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(prune_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{parse_documents, SourceId};

    fn doc(id: usize, text: &str) -> Node {
        parse_documents(SourceId(id), text).unwrap().remove(0)
    }

    #[test]
    fn maps_merge_deeply_and_overlay_wins() {
        let mut base = doc(0, "a:\n  b: 1\n  c: 2\nkeep: x\n");
        merge_into(&mut base, doc(1, "a:\n  c: 3\n  d: 4\nnew: y\n"));
        assert_eq!(
            base.get_path("a.b").unwrap().value,
            Value::Number("1".into())
        );
        assert_eq!(
            base.get_path("a.c").unwrap().value,
            Value::Number("3".into())
        );
        assert_eq!(
            base.get_path("a.c").unwrap().span.unwrap().source,
            SourceId(1)
        );
        assert_eq!(
            base.get_path("a.b").unwrap().span.unwrap().source,
            SourceId(0)
        );
        assert_eq!(
            base.get_path("a.d").unwrap().value,
            Value::Number("4".into())
        );
        let keys: Vec<_> = base
            .as_map()
            .unwrap()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["a", "keep", "new"]);
    }

    #[test]
    fn lists_and_scalars_replace() {
        let mut base = doc(0, "l: [1, 2, 3]\ns: a\nm: {x: 1}\n");
        merge_into(&mut base, doc(1, "l: [9]\ns: {now: map}\nm: scalar\n"));
        let Value::Seq(items) = &base.get("l").unwrap().value else {
            panic!()
        };
        assert_eq!(items.len(), 1);
        assert!(base.get_path("s.now").is_some());
        assert_eq!(base.get("m").unwrap().as_str(), Some("scalar"));
    }

    #[test]
    fn null_is_kept_with_its_span() {
        let mut base = doc(0, "a:\n  b: secret\n");
        merge_into(&mut base, doc(1, "a:\n  b: null\n"));
        let b = base.get_path("a.b").unwrap();
        assert_eq!(b.value, Value::Null);
        assert_eq!(b.span.unwrap().source, SourceId(1));
        let mut pruned = base.clone();
        prune_nulls(&mut pruned);
        assert!(pruned.get_path("a.b").is_none());
        // A map over a null replaces it.
        merge_into(&mut base, doc(2, "a:\n  b:\n    c: 1\n"));
        assert!(base.get_path("a.b.c").is_some());
    }

    #[test]
    fn duplicate_keys_in_one_file_replace_instead_of_merging() {
        let mut base = Node::synthetic(Value::Map(Vec::new()));
        merge_into(&mut base, doc(0, "a:\n  x: 1\na:\n  y: 2\n"));
        assert_eq!(base.as_map().unwrap().len(), 1);
        assert!(base.get_path("a.x").is_none());
        assert!(base.get_path("a.y").is_some());
    }
}
