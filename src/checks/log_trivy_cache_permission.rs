//! `log-trivy-cache-permission`: the Trivy adapter cannot create or write its cache directory.

use super::log_common::{flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose;
use crate::report::Severity;

/// `mkdir /home/scanner/.cache/trivy: permission denied` in the trivy pod's log.
pub struct LogTrivyCachePermission;

impl Rule for LogTrivyCachePermission {
    fn id(&self) -> &'static str {
        "log-trivy-cache-permission"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show the Trivy adapter unable to create its cache directory (`permission denied`)"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** the adapter's fatal startup error `Error: checking config: creating trivy \
cache dir: mkdir /home/scanner/.cache/trivy: permission denied` (the trivy pod crash-loops, and \
`helm upgrade --wait` times out on it), or during a scan `mkdir \
/home/scanner/.cache/trivy/fanal: permission denied`, `failed to create cache dir: mkdir …: \
permission denied` (harbor#12933, harbor-helm#881, harbor-scanner-trivy#368).\n\n\
**Cause:** the chart runs the adapter as uid 10000 with `fsGroup: 10000` (fixed in the trivy \
StatefulSet's pod `securityContext`, not a values key), and mounts the volume \
`data-<fullname>-trivy-0` at `/home/scanner/.cache`. Storage that ignores `fsGroup` (hostPath, \
local volumes, many NFS provisioners) leaves the volume owned by root, and the adapter cannot \
create `trivy/` or `reports/` in it. A volume first written by another image (a restored \
backup, a reused claim) does the same.\n\n\
**Fix:** make the volume writable by uid/gid 10000: `chown -R 10000:10000` its contents once \
(from chart 1.15.0, an init container in `trivy.initContainers` running as root can do it on \
every start), or use a storage class that applies `fsGroup`; then delete the trivy pod so that \
the StatefulSet starts it again."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!("{n} the Trivy adapter unable to create its cache directory (`permission denied`): the scanner does not start and scans fail"),
            &hits,
            scan,
            ctx.sources,
        );
        out.push(
            finding
                .note("likely cause: the trivy volume (`data-<fullname>-trivy-0`, mounted at `/home/scanner/.cache`) is not writable by the adapter's uid 10000: its storage ignores the pod's `fsGroup: 10000`, or another image wrote it as root")
                .note(format!(
                    "confirm: `kubectl exec{} <trivy pod> -- ls -ln /home/scanner/.cache` shows the owner of the cache",
                    ns_flag(ctx)
                ))
                .help("make the volume writable by uid/gid 10000 (`chown -R 10000:10000` its contents, or from chart 1.15.0 an init container in `trivy.initContainers`), or use a storage class that applies `fsGroup`; then delete the trivy pod"),
        );
    }
}

/// ` -n NS` when the logs came from a cluster.
fn ns_flag(ctx: &Context<'_>) -> String {
    let all = flags(ctx);
    all.find(" -n ")
        .map_or(String::new(), |at| all[at..].to_string())
}
