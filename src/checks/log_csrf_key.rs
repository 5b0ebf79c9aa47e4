//! `log-csrf-key`: core's CSRF key is invalid (not 32 characters), or requests fail CSRF checks.

use super::log_common::{any, flags, hits, lines_that, of};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `Invalid CSRF key from environment`, `Invalid CSRF key length from the environment`,
/// `CSRF token invalid` in the logs.
pub struct LogCsrfKey;

impl Rule for LogCsrfKey {
    fn id(&self) -> &'static str {
        "log-csrf-key"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "logs show an invalid CSRF key (`core.xsrfKey` not 32 characters) or requests failing CSRF checks"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** `Invalid CSRF key from environment: KEY, generating random key...` (WARNING, \
Harbor up to 2.12; the line prints the key, which `harbor-upgrade` masks), \
`Invalid CSRF key length from the environment: … Please ensure the key length is 32 characters.` \
(ERROR, Harbor 2.13 and later), and gorilla/csrf's `CSRF token invalid` / \
`CSRF token not found in request` (403 in the UI).\n\n\
**Cause:** `CSRF_KEY` (from `core.xsrfKey` or `existingXsrfSecret`) must be exactly 32 \
characters. Up to 2.12 core then makes a random key per pod, so with more than one core replica UI \
requests fail depending on which pod answers; from 2.13 core refuses to work with it. \
`CSRF token invalid` alone also follows a key change while pods roll, or stale browser cookies.\n\n\
**Confirm:** `harbor-upgrade preflight check --release NAME` (rule `xsrf-key-length`).\n\n\
**Fix:** set `core.xsrfKey` to exactly 32 characters (pinned, so every render keeps it), restart \
core, and reload the UI."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let (severity, message) = if any(&hits, &[Kind::CsrfKeyLength]) {
            (Severity::Error, format!("{n} core refuses its CSRF key because it is not 32 characters (Harbor 2.13 and later): UI and API writes fail"))
        } else if any(&hits, &[Kind::CsrfKeyRandom]) {
            let pods = scan.pods(&of(&hits, &[Kind::CsrfKeyRandom]));
            let severity = if pods.len() > 1 {
                Severity::Error
            } else {
                Severity::Warning
            };
            (severity, format!("{n} core rejected its CSRF key (not 32 characters) and generated a random one per pod: with more than one core replica UI requests fail with `CSRF token invalid`"))
        } else {
            (Severity::Warning, format!("{n} requests failing CSRF validation: core pods use different CSRF keys, or browsers hold tokens from before a key change"))
        };
        out.push(
            diagnose::finding(self.id(), severity, message, &hits, scan, ctx.sources)
                .note(format!(
                    "cross-check: `harbor-upgrade preflight check{}` (rule `xsrf-key-length`)",
                    flags(ctx)
                ))
                .help("set `core.xsrfKey` (or the `existingXsrfSecret` key) to exactly 32 characters, pin it, restart core and reload the UI"),
        );
    }
}
