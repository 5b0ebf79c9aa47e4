//! What the `log-*` rules share: their hits, and the cluster flags to repeat in the commands a
//! finding suggests.

use std::fmt::Write as _;

use super::Context;
use crate::diagnose::{Hit, Kind, LogScan};
use crate::report::{Finding, Origin};
use crate::values::{SourceOrigin, Sources};

/// The scan and the hits of `rule`, or `None` when the run read no logs or none matched.
pub(super) fn hits<'a>(ctx: &Context<'a>, rule: &str) -> Option<(&'a LogScan, Vec<&'a Hit>)> {
    let scan = ctx.logs?;
    let hits = scan.hits_of(rule);
    (!hits.is_empty()).then_some((scan, hits))
}

/// `" --release NAME -n NS"` when the logs came from a cluster, else `""`.
pub(super) fn flags(ctx: &Context<'_>) -> String {
    match ctx.cluster {
        Some(c) => {
            let mut out = String::new();
            if let Some(r) = &c.release {
                let _ = write!(out, " --release {r}");
            }
            if !c.namespace.is_empty() {
                let _ = write!(out, " -n {}", c.namespace);
            }
            out
        }
        None => String::new(),
    }
}

/// Whether any hit is of one of `kinds`.
pub(super) fn any(hits: &[&Hit], kinds: &[Kind]) -> bool {
    hits.iter().any(|h| kinds.contains(&h.signature.kind))
}

/// The hits of one of `kinds`.
pub(super) fn of<'a>(hits: &[&'a Hit], kinds: &[Kind]) -> Vec<&'a Hit> {
    hits.iter()
        .copied()
        .filter(|h| kinds.contains(&h.signature.kind))
        .collect()
}

/// Event findings read from the API are the cluster's, not logs: `source` says `cluster`
/// (the same text piped in from `kubectl describe` stays `logs`).
pub(super) fn event_origin(finding: Finding, hits: &[&Hit], sources: &Sources) -> Finding {
    let from_cluster = hits
        .first()
        .is_some_and(|h| sources.get(h.span.source).origin == SourceOrigin::Cluster);
    if from_cluster {
        finding.from_object(Origin::Cluster, None)
    } else {
        finding
    }
}

/// The distinct details of `hits` (pods holding a volume, a missing Secret), in input order.
pub(super) fn details(hits: &[&Hit]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in hits {
        if let Some(d) = &h.detail {
            if !out.contains(d) {
                out.push(d.clone());
            }
        }
    }
    out
}

/// `3 lines show` / `1 line shows`: the subject of a message and its verb, agreeing.
pub(super) fn lines_that(n: usize, verb: &str) -> String {
    if n == 1 {
        format!("1 line {verb}s")
    } else {
        format!("{n} lines {verb}")
    }
}

#[cfg(test)]
mod tests {
    // Findings of one matching line read "1 line show …".
    #[test]
    fn one_line_shows_and_two_lines_show() {
        assert_eq!(super::lines_that(1, "show"), "1 line shows");
        assert_eq!(super::lines_that(2, "reject"), "2 lines reject");
    }
}
