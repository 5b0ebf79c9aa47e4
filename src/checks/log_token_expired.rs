//! `log-token-expired`: tokens rejected as expired, classified by golang-jwt v4's `expired by D`.

use super::log_common::{flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, classify_expiry, duration::parse_go_duration, ExpiryClass, Hit};
use crate::report::Severity;

/// `token is expired by D` / `token has invalid claims: token is expired` in the logs.
pub struct LogTokenExpired;

impl Rule for LogTokenExpired {
    fn id(&self) -> &'static str {
        "log-token-expired"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "logs reject tokens as expired: clock skew (seconds), a long push (minutes) or an expired credential (hours)"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** `parse token error, token is expired by D` (Harbor 2.5–2.10, golang-jwt v4, and \
robot tokens of Harbor 1.x) or `token has invalid claims: token is expired` (Harbor 2.11 and later, \
golang-jwt v5, which does not print D).\n\n\
**Cause, by D:**\n\
- seconds: the verifying pod's clock is ahead of the issuer's (an error; same remedy as \
`log-token-not-yet-valid`);\n\
- minutes to a few hours: an operation outlived the token, typically a push of large layers that \
took longer than the token lifetime (Harbor's \"Token Expiration (Minutes)\", 30 by default);\n\
- hours or days: an expired robot account token or client credential.\n\n\
Without D (Harbor ≥ 2.11) the log cannot tell these apart; expiries within the 60 s leeway are not \
logged at all.\n\n\
**Confirm:** `harbor-upgrade clock check --release NAME` for the first case; the push duration in \
the client's output for the second; the robot account's expiry in the UI for the third.\n\n\
**Fix:** synchronise clocks; raise the token expiration in Administration › Configuration › \
System Settings or push smaller layers; renew the robot account or credential. None of these is a \
key problem."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let mut classes: Vec<(ExpiryClass, Vec<&Hit>)> = Vec::new();
        for h in hits {
            let class = classify_expiry(h.detail.as_deref());
            match classes.iter_mut().find(|(c, _)| *c == class) {
                Some((_, v)) => v.push(h),
                None => classes.push((class, vec![h])),
            }
        }
        classes.sort_by_key(|(c, _)| *c);
        for (class, group) in classes {
            let range = range(&group);
            let n = lines_that(group.len(), "reject");
            let (severity, message, cause, help) = match class {
                ExpiryClass::Seconds => (
                    Severity::Error,
                    format!("{n} tokens as expired by only seconds ({range}): the clock of the pod that checks them is ahead of the issuer's"),
                    format!("likely cause: clock skew between nodes; cross-check with `harbor-upgrade clock check{}` (rule `clock-skew`)", flags(ctx)),
                    "synchronise the clocks of every node that runs Harbor (NTP or chrony); this is not a key problem",
                ),
                ExpiryClass::Minutes => (
                    Severity::Warning,
                    format!("{n} tokens expired by minutes ({range}): an operation such as a long push outlived the token lifetime"),
                    "likely cause: a push or pull that took longer than Harbor's token expiration (30 minutes by default); not a clock or key problem".to_string(),
                    "raise \"Token Expiration (Minutes)\" in Administration > Configuration > System Settings, or push smaller layers",
                ),
                ExpiryClass::Hours => (
                    Severity::Warning,
                    format!("{n} tokens expired by hours or days ({range}): a robot account token or client credential has expired"),
                    "likely cause: an expired robot account or stored client credential; not a clock or key problem".to_string(),
                    "renew the robot account secret (or create a new robot account with a suitable expiry) and update the clients that use it",
                ),
                ExpiryClass::Unknown => (
                    Severity::Warning,
                    format!("{n} tokens as expired; Harbor 2.11 and later does not log by how much, so the cause cannot be read from the log"),
                    format!("possible causes: a clock more than 60 s ahead (check with `harbor-upgrade clock check{}`), a push longer than the token lifetime, or an expired robot account", flags(ctx)),
                    "check the node clocks, the token expiration setting and the expiry of the robot accounts the failing clients use",
                ),
            };
            out.push(
                diagnose::finding(self.id(), severity, message, &group, scan, ctx.sources)
                    .note(cause)
                    .help(help),
            );
        }
    }
}

/// `3s`, or `25m6s to 41m2s`, from the durations of the group; `no duration` without any.
fn range(group: &[&Hit]) -> String {
    let mut durations: Vec<(f64, &str)> = group
        .iter()
        .filter_map(|h| {
            let d = h.detail.as_deref()?;
            Some((parse_go_duration(d)?, d))
        })
        .collect();
    durations.sort_by(|a, b| a.0.total_cmp(&b.0));
    match (durations.first(), durations.last()) {
        (Some(lo), Some(hi)) if lo.1 == hi.1 => lo.1.to_string(),
        (Some(lo), Some(hi)) => format!("{} to {}", lo.1, hi.1),
        _ => "no duration logged".to_string(),
    }
}
