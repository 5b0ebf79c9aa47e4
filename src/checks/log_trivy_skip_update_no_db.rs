//! `log-trivy-skip-update-no-db`: Trivy is told to skip the database update and has no usable
//! database.

use super::log_common::{any, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `--skip-update cannot be specified on the first run`, `The local DB has an old schema
/// version` in the trivy pod's log.
pub struct LogTrivySkipUpdateNoDb;

impl Rule for LogTrivySkipUpdateNoDb {
    fn id(&self) -> &'static str {
        "log-trivy-skip-update-no-db"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show Trivy told to skip the database update (`trivy.skipUpdate`) with no usable database in its cache"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** Trivy's errors inside the adapter's `Scan failed` lines: `The first run cannot \
skip downloading DB` then `database error: --skip-update cannot be specified on the first run` \
(Trivy before 0.48; later `--skip-db-update`), or `The local DB has an old schema version which \
is not supported by the current version of Trivy CLI` (harbor#11985, #15307, #18204, \
harbor-scanner-trivy#226, #299).\n\n\
**Cause:** `trivy.skipUpdate: true` sets `SCANNER_TRIVY_SKIP_UPDATE`, so Trivy never downloads \
its database and expects `trivy.db` and `metadata.json` in `/home/scanner/.cache/trivy/db` on \
the trivy volume. A new volume after the upgrade (a changed storage class or size recreated the \
claim), a copy never made, or an offline copy of an older schema (`trivy-db` v1 after an \
adapter upgrade) leaves every scan failing.\n\n\
**Fix:** copy a current database into the cache (`oras pull ghcr.io/aquasecurity/trivy-db:2`, \
then `trivy.db` and `metadata.json` into `/home/scanner/.cache/trivy/db`), or set \
`trivy.skipUpdate: false` so that Trivy downloads it (it then needs to reach `ghcr.io` or \
`mirror.gcr.io`: rule `log-trivy-db-download`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let schema = any(&hits, &[Kind::TrivyDbSchema]);
        let missing = any(&hits, &[Kind::TrivySkipUpdateNoDb]);
        let message = if missing {
            format!("{n} Trivy told to skip the database update with no database in its cache: every scan fails")
        } else {
            format!("{n} Trivy unable to read the database in its cache (an older schema): every scan fails")
        };
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            message,
            &hits,
            scan,
            ctx.sources,
        );
        if missing {
            finding = finding.note("likely cause: `trivy.skipUpdate: true` (`SCANNER_TRIVY_SKIP_UPDATE`) while `/home/scanner/.cache/trivy/db` of the trivy volume holds no `trivy.db` and `metadata.json`: a new volume after the upgrade, or the copy was never made");
        }
        if schema {
            finding = finding.note("likely cause: the database copied into the cache is of an older schema than this Trivy reads: after an adapter upgrade the offline copy must be `ghcr.io/aquasecurity/trivy-db:2`");
        }
        out.push(finding.help(
            "copy a current database (`oras pull ghcr.io/aquasecurity/trivy-db:2`: `trivy.db` and `metadata.json`) into `/home/scanner/.cache/trivy/db` on the trivy volume, or set `trivy.skipUpdate: false` so that Trivy downloads it",
        ));
    }
}
