//! `log-registry-http-secret`: registry pods with different (or random) HTTP secrets break
//! uploads that move between pods.

use super::log_common::{flags, hits, lines_that, of};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `error resolving upload: invalid secret`, `No HTTP secret provided` in the logs.
pub struct LogRegistryHttpSecret;

impl Rule for LogRegistryHttpSecret {
    fn id(&self) -> &'static str {
        "log-registry-http-secret"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "logs show registry pods without a shared HTTP secret: uploads fail across replicas"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** the registry's (distribution) `error resolving upload: invalid secret` (the \
client gets `BLOB_UPLOAD_INVALID` / `blob upload unknown`) and, at startup, \
`No HTTP secret provided - generated random secret. This may cause problems with uploads if multiple registries are behind a load-balancer.`\n\n\
**Cause:** the registry signs upload state with `REGISTRY_HTTP_SECRET` (`registry.secret`). A pod \
without it makes a random one; pods with different secrets reject each other's uploads. Charts \
before 1.14.0 passed `registry.existingSecret` only to registryctl, not to the registry container.\n\n\
**Confirm:** `harbor-upgrade preflight check --release NAME` (rule `secrets-regenerate`); more \
than one registry replica.\n\n\
**Fix:** pin `registry.secret` (16 characters) or `registry.existingSecret` with \
`REGISTRY_HTTP_SECRET` (chart 1.14.0 or later for the latter), then restart the registry pods."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let invalid = of(&hits, &[Kind::UploadInvalidSecret]);
        let (severity, message) = if invalid.is_empty() {
            (
                Severity::Warning,
                format!("{} registry pods started without `REGISTRY_HTTP_SECRET` and generated random ones: with more than one registry replica uploads fail", lines_that(hits.len(), "show")),
            )
        } else {
            (
                Severity::Error,
                format!("{} blob uploads rejected with `invalid secret`: registry pods use different HTTP secrets", lines_that(hits.len(), "show")),
            )
        };
        out.push(
            diagnose::finding(self.id(), severity, message, &hits, scan, ctx.sources)
                .note(format!(
                    "cross-check: `harbor-upgrade preflight check{}` (rule `secrets-regenerate`)",
                    flags(ctx)
                ))
                .help("pin `registry.secret` (16 characters) or `registry.existingSecret` (chart 1.14.0 or later), then restart the registry pods"),
        );
    }
}
