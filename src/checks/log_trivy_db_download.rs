//! `log-trivy-db-download`: Trivy cannot download its vulnerability database or its Java DB.

use super::log_common::{any, hits, lines_that, of};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `failed to download vulnerability DB`, `Java DB update failed` in the trivy pod's log.
pub struct LogTrivyDbDownload;

impl Rule for LogTrivyDbDownload {
    fn id(&self) -> &'static str {
        "log-trivy-db-download"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "logs show Trivy failing to download its vulnerability database (rate limit, no network)"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** Trivy's own error inside the adapter's `Scan failed` lines: `DB error: failed \
to download vulnerability DB: … OCI repository error: … GET \
https://ghcr.io/v2/aquasecurity/trivy-db/manifests/2: TOOMANYREQUESTS: retry-after: …` \
(ghcr.io's rate limit), `failed to list releases: GET \
https://api.github.com/repos/aquasecurity/trivy-db/releases: 403 API rate limit exceeded` \
(Trivy before 0.23, which downloaded from GitHub), `… dial tcp …: i/o timeout`, `Get \
\"https://ghcr.io/v2/\": Forbidden` (no route or a proxy refusing), and for images with JAR \
files `Java DB update failed` / `failed to download Java DB` (harbor#11031, #13354, #17473, \
#18454, #19759).\n\n\
**Cause:** Trivy downloads its database at a scan when the cached copy is past its `NextUpdate` \
time (the database is rebuilt every few hours; the Java DB is kept for 3 days); a new trivy \
volume after an upgrade has none. Every scan fails until a download succeeds. Pushes and pulls are not affected.\n\n\
**Fix:** rate-limited: retry later, set `trivy.gitHubToken` for the GitHub API (every chart), or \
from chart 1.18.0 list a mirror in `trivy.dbRepository` / `trivy.javaDBRepository` (the \
default puts `mirror.gcr.io` before `ghcr.io`). No network: let the pod reach the registry \
(`proxy.httpsProxy` with `trivy` in `proxy.components`), or run offline with `trivy.skipUpdate: \
true`, `trivy.skipJavaDBUpdate: true` (charts 1.13.3–1.13.5 and 1.14.1 and later) and \
`trivy.offlineScan: true`, with the databases copied into `/home/scanner/.cache/trivy` of the \
trivy volume."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let java = any(&hits, &[Kind::TrivyJavaDbDownload]);
        let vuln = of(&hits, &[Kind::TrivyDbDownload]);
        let what = match (vuln.is_empty(), java) {
            (false, true) => "its vulnerability database and its Java DB",
            (true, true) => "its Java DB",
            _ => "its vulnerability database",
        };
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!("{n} Trivy failing to download {what}: scans fail until a download succeeds"),
            &hits,
            scan,
            ctx.sources,
        );
        let class = |c: &str| hits.iter().any(|h| h.detail.as_deref() == Some(c));
        let rate = class("rate-limited");
        let unreachable = class("unreachable");
        if rate {
            finding = finding.note("likely cause: the registry rate-limited the download (`TOOMANYREQUESTS` from ghcr.io, `API rate limit exceeded` from GitHub): retry later, set `trivy.gitHubToken`, or from chart 1.18.0 list a mirror first in `trivy.dbRepository` / `trivy.javaDBRepository`");
        }
        if unreachable {
            finding = finding.note("likely cause: the trivy pod cannot reach the database registry (DNS, timeout, refused connection, a proxy's `Forbidden`): set `proxy.httpsProxy` with `trivy` in `proxy.components`, or run offline (`trivy.skipUpdate: true`, `trivy.offlineScan: true`, the database copied into the cache)");
        }
        if !rate && !unreachable {
            finding = finding.note("the lines do not say why the download failed: read the whole error in the example lines (rate limit, network, proxy, a registry that is not an OCI registry)");
        }
        if java {
            finding = finding.note("the Java DB is downloaded for images with JAR files: offline, also set `trivy.skipJavaDBUpdate: true` (charts 1.13.3–1.13.5 and 1.14.1 and later) with the Java DB copied into the cache");
        }
        out.push(finding.help(
            "let the trivy pod reach the database registry (or a mirror), or copy the databases into its cache and set `trivy.skipUpdate: true` and `trivy.offlineScan: true`; pushes and pulls are not affected meanwhile",
        ));
    }
}
