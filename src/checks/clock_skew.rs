//! `clock-skew`: the nodes that run core, registry and jobservice disagree on the time by more
//! than the Harbor version tolerates.

use super::{Context, Findings, Rule};
use crate::chart::behaviour::has_jwt_leeway;
use crate::chart::Release;
use crate::clock::{format_seconds, pairwise, Method, Skew};
use crate::report::{Finding, Origin, Severity};

/// Pairwise clock skew above the version's limits.
pub struct ClockSkew;

/// The skew limits of one Harbor version, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockLimits {
    /// Warn above this.
    pub warn: f64,
    /// Fail above this.
    pub fail: f64,
    /// The version that decided them (the stricter of running and target), if known.
    pub decided_by: Option<Release>,
    /// Whether that version validates tokens with a 60 s leeway.
    pub leeway: bool,
}

/// Before 2.11 there is no leeway: JWT times are whole seconds, so a verifier lagging the
/// issuer by `d` (< 1 s) rejects about a fraction `d` of fresh tokens.
const STRICT: (f64, f64) = (0.05, 0.5);
/// From 2.11 the leeway is 60 s.
const LEEWAY: (f64, f64) = (10.0, 30.0);

/// The limits for an upgrade from `from` to `to`: the stricter of the two, because the running
/// version validates tokens until the last old pod is gone (and again after a rollback), and the
/// target validates them after. Unknown versions count as strict.
pub fn clock_limits(from: Option<Release>, to: Option<Release>) -> ClockLimits {
    let strict = [from, to]
        .into_iter()
        .flatten()
        .find(|r| !has_jwt_leeway(r.harbor));
    let (decided_by, leeway) = match (strict, from.or(to)) {
        (Some(r), _) => (Some(r), false),
        (None, Some(r)) => (Some(to.unwrap_or(r)), true),
        (None, None) => (None, false),
    };
    let (warn, fail) = if leeway { LEEWAY } else { STRICT };
    ClockLimits {
        warn,
        fail,
        decided_by,
        leeway,
    }
}

impl Rule for ClockSkew {
    fn id(&self) -> &'static str {
        "clock-skew"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the clocks of the nodes that run core, registry and jobservice differ by more than the Harbor version tolerates"
    }
    fn explain(&self) -> &'static str {
        "Harbor's registry tokens carry `nbf`, `iat` and `exp` in whole seconds. A token issued on one \
node and checked on another whose clock lags is rejected as `token is not valid yet` or `token \
used before issued`: intermittent 401s on `docker login`, `pull` and `push`, and 500s in the UI, \
that disappear with one core replica.\n\n\
Limits, on the largest skew between two nodes that run core, registry or jobservice:\n\n\
| Harbor | leeway | warning above | error above |\n|---|---|---|---|\n\
| before 2.11 | none | 0.05 s | 0.5 s |\n| 2.11 and later | 60 s | 10 s | 30 s |\n\n\
Below 2.11 a verifier lagging by `d` seconds rejects about a fraction `d` of fresh tokens, so \
even 0.1 s shows. During an upgrade the running and the target version both validate tokens (and \
the running one again after a rollback), so the stricter of the two decides; an unknown version \
counts as before 2.11.\n\n\
The skew is judged at its upper bound: the difference of the two offsets plus both \
uncertainties. `clock check` reads each node's clock in a pod through exec (`date +%s%N`) and \
estimates the offset as NTP does (midpoint of the shortest round trip, uncertainty half of it). \
When exec is forbidden it falls back to the nodes' Leases, whose uncertainty is about half a \
second: when that alone is larger than the error limit, a skew that cannot be shown to be below \
it is a warning, not an error, unless even its lower bound exceeds the limit.\n\n\
**Fix:** run chrony or NTP on every node against the same sources, check `chronyc tracking` on \
the node that stands out, then run `harbor-upgrade clock check` again (see \
`docs/runbook-clock-skew.md`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(cluster) = ctx.cluster else {
            return;
        };
        let Some(clock) = &cluster.clock else {
            return;
        };
        for node in clock.nodes.iter().filter(|n| n.runs_token_components()) {
            if let Err(reason) = &node.result {
                out.skip(
                    self.id(),
                    format!("the clock of node `{}` was not read: {reason}", node.node),
                );
            }
        }
        let nodes = clock.token_nodes();
        let pairs = pairwise(&nodes);
        let Some(worst) = pairs.first() else {
            return;
        };
        let limits = clock_limits(ctx.settings.from, ctx.settings.to);
        let upper = worst.upper();
        if upper <= limits.warn {
            return;
        }
        let method_of = |name: &str| {
            clock
                .nodes
                .iter()
                .find(|n| n.node == name)
                .map(|n| n.method)
        };
        let lease = method_of(&worst.a) == Some(Method::Lease)
            || method_of(&worst.b) == Some(Method::Lease);
        let severity = if upper > limits.fail {
            // A measurement too coarse to resolve the limit cannot show a failure either, unless
            // even its lower bound is above it.
            if worst.uncertainty > limits.fail && worst.lower() <= limits.fail {
                Severity::Warning
            } else {
                Severity::Error
            }
        } else {
            Severity::Warning
        };
        let version = match limits.decided_by {
            Some(r) if limits.leeway => format!("{} (60 s leeway)", r.describe()),
            Some(r) => format!("{} (no leeway)", r.describe()),
            None => "an unknown Harbor version (judged as before 2.11, no leeway)".to_string(),
        };
        let limit = if severity == Severity::Error {
            limits.fail
        } else {
            limits.warn
        };
        let mut finding = Finding::new(
            self.id(),
            severity,
            format!(
                "nodes `{}` and `{}` differ by {} ± {} (up to {}), above the {} limit of {version}",
                worst.a,
                worst.b,
                format_seconds(worst.skew),
                format_seconds(worst.uncertainty),
                format_seconds(upper),
                format_seconds(limit),
            ),
        )
        .from_object(
            Origin::Cluster,
            cluster.release.as_ref().map(|r| {
                format!("cluster://{}/release/{r}", cluster.namespace)
            }),
        )
        .help(
            "synchronise the nodes' clocks (chrony or NTP on every node, same sources), then run `harbor-upgrade clock check` again",
        );
        if severity == Severity::Warning && upper > limits.fail {
            finding = finding.note(format!(
                "the measurement is too coarse to decide: its uncertainty ({}) exceeds the {} limit; allow `create` on `pods/exec` for a precise reading",
                format_seconds(worst.uncertainty),
                format_seconds(limits.fail)
            ));
        }
        if lease {
            finding = finding.note(
                "measured from the nodes' Lease renewals (exec was not allowed): assumes the kubelet's write reached the tool within 1 s",
            );
        }
        for other in pairs[1..]
            .iter()
            .filter(|p| p.upper() > limits.warn)
            .take(5)
        {
            finding = finding.note(pair_note(other));
        }
        out.push(finding);
    }
}

fn pair_note(p: &Skew) -> String {
    format!(
        "also `{}` and `{}`: {} ± {}",
        p.a,
        p.b,
        format_seconds(p.skew),
        format_seconds(p.uncertainty)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{known_release, Version};

    fn r(v: &str) -> Release {
        known_release(v).unwrap()
    }

    #[test]
    fn the_stricter_version_decides() {
        let l = clock_limits(Some(r("2.10.2")), Some(r("2.11.0")));
        assert!(!l.leeway);
        assert_eq!(l.decided_by.unwrap().harbor, Version::new(2, 10, 2));
        assert_eq!((l.warn, l.fail), STRICT);
        let l = clock_limits(Some(r("2.11.0")), Some(r("2.12.0")));
        assert!(l.leeway);
        assert_eq!(l.decided_by.unwrap().harbor, Version::new(2, 12, 0));
        assert_eq!((l.warn, l.fail), LEEWAY);
        let l = clock_limits(None, Some(r("2.11.0")));
        assert!(l.leeway);
        let l = clock_limits(None, None);
        assert!(!l.leeway && l.decided_by.is_none());
    }
}
