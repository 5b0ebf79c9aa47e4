//! What `values-key-removed`, `values-key-unknown` and `values-key-unsupported` share: every key
//! the values set, judged against the target chart, the source chart and every known release.
//!
//! The walk reports the topmost key that is wrong and does not descend below it (one finding for
//! `notary:` rather than one per notary setting). It descends only into maps whose children are
//! chart keys: free-form maps (annotations, labels, resources …), scalars, lists and `null`
//! values end it. `core.tokenKey`/`core.tokenCert` belong to `token-key-ignored`.

use std::fmt::Write as _;

use crate::chart::{behaviour, catalog, ChartView, Release};
use crate::values::{Entry, Value};

use super::Context;

/// Sections whose unknown children are not reported: the registry storage drivers take options
/// the chart's `values.yaml` does not list.
const DRIVER_SECTIONS: &[&str] = &[
    "persistence.imageChartStorage.filesystem",
    "persistence.imageChartStorage.azure",
    "persistence.imageChartStorage.gcs",
    "persistence.imageChartStorage.s3",
    "persistence.imageChartStorage.swift",
    "persistence.imageChartStorage.oss",
];

/// Keys read although no `values.yaml` mentions them: `global` is Helm's, passed to every chart;
/// the name helpers read `nameOverride` and `fullnameOverride` (`harbor-facts.md` §4).
const TEMPLATE_ONLY: &[&str] = &["global", "nameOverride", "fullnameOverride"];

/// Keys another rule owns.
const OWNED_ELSEWHERE: &[&str] = &["core.tokenKey", "core.tokenCert"];

/// A key the values set.
#[derive(Debug)]
pub(super) struct SetKey<'a> {
    /// Dotted path.
    pub path: String,
    /// The entry (its key span is where findings point).
    pub entry: &'a Entry,
    /// Keys set below it, for notes.
    pub below: Vec<String>,
}

/// What is wrong with a set key.
#[derive(Debug)]
pub(super) enum Verdict {
    /// No known chart release has it.
    Unknown {
        /// The closest real key.
        suggestion: Option<String>,
    },
    /// Older charts had it, the target does not.
    Removed {
        /// The chart it was judged against: the source chart (`--from`), or the newest release
        /// before the target that had it.
        had_it: Release,
        /// Whether `had_it` is the source chart given with `--from`.
        from_source: bool,
    },
    /// Only charts newer than the target have it.
    Unsupported {
        /// The first release that has it.
        first: Release,
    },
}

/// Every set key that is wrong for the target, topmost only, in document order.
pub(super) fn judge<'a>(ctx: &Context<'a>) -> Vec<(SetKey<'a>, Verdict)> {
    let mut out = Vec::new();
    let judge = Judge {
        target: ctx.target(),
        source: ctx.source(),
        local: ctx.local_chart(),
    };
    judge.walk(ctx.values, "", &mut out);
    out
}

struct Judge<'a> {
    target: Option<ChartView<'a>>,
    source: Option<ChartView<'a>>,
    local: Option<&'a crate::chart::LocalChart>,
}

impl Judge<'_> {
    fn walk<'v>(
        &self,
        node: &'v crate::values::Node,
        prefix: &str,
        out: &mut Vec<(SetKey<'v>, Verdict)>,
    ) {
        let Value::Map(entries) = &node.value else {
            return;
        };
        for entry in entries {
            if matches!(entry.node.value, Value::Null) {
                // Helm deletes `null` keys: nothing is set.
                continue;
            }
            let path = if prefix.is_empty() {
                entry.key.clone()
            } else {
                format!("{prefix}.{}", entry.key)
            };
            if OWNED_ELSEWHERE.contains(&path.as_str()) {
                continue;
            }
            let verdict = if self.known(&path) {
                self.judge_known(&path)
            } else if DRIVER_SECTIONS.contains(&prefix) {
                None
            } else {
                Some(Verdict::Unknown {
                    suggestion: self.suggest(&path),
                })
            };
            match verdict {
                Some(verdict) => out.push((
                    SetKey {
                        below: set_below(&entry.node, &path),
                        path,
                        entry,
                    },
                    verdict,
                )),
                None if matches!(entry.node.value, Value::Map(_))
                    && !self.open(&path)
                    && self.has_children(&path) =>
                {
                    self.walk(&entry.node, &path, out);
                }
                None => {}
            }
        }
    }

    fn known(&self, path: &str) -> bool {
        TEMPLATE_ONLY.contains(&path)
            || catalog().key(path).is_some()
            || self.local.is_some_and(|c| c.keys.get(path).is_some())
    }

    fn open(&self, path: &str) -> bool {
        catalog().key(path).is_some_and(|k| k.open)
            || self
                .local
                .and_then(|c| c.keys.get(path))
                .is_some_and(|k| k.open)
    }

    fn has_children(&self, path: &str) -> bool {
        let prefix = format!("{path}.");
        catalog().has_children(path)
            || self.local.is_some_and(|c| {
                c.keys
                    .keys
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|(k, _)| k.starts_with(&prefix))
            })
    }

    /// `None` when the target has the key (or there is no target to judge against).
    fn judge_known(&self, path: &str) -> Option<Verdict> {
        let target = self.target?;
        if target.has(path) {
            return None;
        }
        if let Some(source) = self.source.filter(|s| s.has(path)) {
            return Some(Verdict::Removed {
                had_it: source.release,
                from_source: true,
            });
        }
        let c = catalog();
        let info = c.key(path)?;
        let releases = c.releases();
        let having: Vec<usize> = info.active.iter().chain(info.commented.iter()).collect();
        let older = having
            .iter()
            .copied()
            .filter(|&i| releases[i].chart < target.release.chart)
            .max();
        let newer = having
            .iter()
            .copied()
            .filter(|&i| releases[i].chart > target.release.chart)
            .min();
        match (older, newer) {
            (Some(i), _) => Some(Verdict::Removed {
                had_it: releases[i],
                from_source: false,
            }),
            (None, Some(i)) => Some(Verdict::Unsupported { first: releases[i] }),
            (None, None) => None,
        }
    }

    /// The closest real key: a sibling with a similar name (edit distance, or a long common
    /// start such as `replicaCount` → `replicas`), the same name under a related parent, or a
    /// similar full path. Keys of the target chart win ties.
    fn suggest(&self, path: &str) -> Option<String> {
        let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
        let lower = last.to_ascii_lowercase();
        let mut candidates: Vec<&str> = catalog().keys().map(|k| k.path.as_str()).collect();
        if let Some(local) = self.local {
            candidates.extend(local.keys.keys.keys().map(String::as_str));
        }
        let in_target = |p: &str| self.target.is_some_and(|t| t.has(p));
        let rank = |p: &str, distance: usize| (distance, !in_target(p), p.len());
        let sibling = candidates
            .iter()
            .filter_map(|p| {
                let (pp, pl) = p.rsplit_once('.').unwrap_or(("", p));
                if pp != parent {
                    return None;
                }
                let pl = pl.to_ascii_lowercase();
                let distance = strsim::levenshtein(&lower, &pl);
                let common = lower
                    .chars()
                    .zip(pl.chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                let shorter = lower.len().min(pl.len());
                let similar = distance <= (last.len() / 4).max(2)
                    || (common >= 5 && common * 10 >= shorter * 6);
                similar.then_some((*p, distance))
            })
            .min_by_key(|(p, d)| rank(p, *d));
        if let Some((p, _)) = sibling {
            return Some(p.to_string());
        }
        // The same name elsewhere: under a parent sharing the first segment, or anywhere for a
        // top-level key (`tokenKey` → `core.tokenKey`).
        let first = path.split('.').next().unwrap_or(path);
        let moved = candidates
            .iter()
            .filter(|p| p.rsplit('.').next() == Some(last) && **p != path)
            .filter(|p| parent.is_empty() || p.split('.').next() == Some(first))
            .min_by_key(|p| {
                let shared = p
                    .split('.')
                    .zip(path.split('.'))
                    .take_while(|(a, b)| a == b)
                    .count();
                (std::cmp::Reverse(shared), rank(p, 0))
            });
        if let Some(p) = moved {
            return Some((*p).to_string());
        }
        candidates
            .iter()
            .map(|p| (*p, strsim::levenshtein(path, p)))
            .filter(|(_, d)| *d <= (path.len() / 6).max(1))
            .min_by_key(|(p, d)| rank(p, *d))
            .map(|(p, _)| p.to_string())
    }
}

/// Leaf keys set below a map, for notes (`null` excluded).
fn set_below(node: &crate::values::Node, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Value::Map(entries) = &node.value {
        for e in entries {
            if matches!(e.node.value, Value::Null) {
                continue;
            }
            let child = format!("{path}.{}", e.key);
            match &e.node.value {
                Value::Map(m) if !m.is_empty() => out.extend(set_below(&e.node, &child)),
                _ => out.push(child),
            }
        }
    }
    out
}

/// `` `a`, `b`, `c` and 4 more ``.
pub(super) fn list_keys(keys: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = keys
        .iter()
        .take(SHOWN)
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > SHOWN {
        let _ = write!(text, " and {} more", keys.len() - SHOWN);
    }
    text
}

/// Where the removed key or the keys below it went, as `old → new` pairs.
pub(super) fn renames(key: &SetKey<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut consider = |p: &str| {
        if let Some(new) = behaviour::renamed_to(p) {
            if !out.iter().any(|(old, _)| old == p) {
                out.push((p.to_string(), new.join("` and `")));
            }
        }
    };
    consider(&key.path);
    for leaf in &key.below {
        // Every level between the reported key and the leaf: `expose.ingress.harbor` reports
        // `expose.ingress.harbor.annotations.<name>`, and the rename is of `….annotations`.
        let mut end = key.path.len();
        while let Some(dot) = leaf[end + 1..].find('.') {
            end += 1 + dot;
            consider(&leaf[..end]);
        }
        consider(leaf);
    }
    out
}
