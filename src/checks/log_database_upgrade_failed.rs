//! `log-database-upgrade-failed`: the internal database pod cannot start after the upgrade
//! (PostgreSQL major upgrade or `initdb`).

use super::log_common::{hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose;
use crate::report::Severity;

/// `initdb` and in-place PostgreSQL upgrade failures of the internal database in the logs.
pub struct LogDatabaseUpgradeFailed;

impl Rule for LogDatabaseUpgradeFailed {
    fn id(&self) -> &'static str {
        "log-database-upgrade-failed"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show the internal database failing to upgrade PostgreSQL or initialise its data directory"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** the internal database pod's (`harbor-database`, image `harbor-db`) startup \
errors: `initdb: error: program \"postgres\" is needed by initdb but was not found`, `initdb: error: \
directory \"/var/lib/postgresql/data/pgdata\" exists but is not empty`, `popen failure: Cannot \
allocate memory`, `data directory \"…\" has group or world access`, `database files are \
incompatible with server` (harbor#20584, #20800, #19368, harbor-helm#1811, #876).\n\n\
**Cause:** Harbor 2.9 moved the internal database from PostgreSQL 13 to 14 and 2.11 to 15; \
the new image upgrades the data directory in place at its first start, in copy mode, which \
needs the old binaries, free space for a second copy, memory, and a data directory owned by \
postgres with mode 0700. Skipping a major (13 → 15), a full volume, a memory limit or changed \
volume permissions stop it, and the pod crash-loops while core cannot connect.\n\n\
**Fix:** read the database pod's log (`kubectl logs -n NS POD --previous`); restore the \
volume or the `pg_dump` taken before the upgrade, fix the cause (upgrade one major at a time, \
free space, raise the memory limit, `chmod 0700` the data directory), and start again. See \
`docs/runbook-database-upgrade.md`. `preflight check` warns before the upgrade \
(`database-major-upgrade`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!("{n} the internal database failing to start after the upgrade (PostgreSQL upgrade or initdb)"),
            &hits,
            scan,
            ctx.sources,
        );
        out.push(
            finding
                .note("likely cause: the in-place PostgreSQL major upgrade (13 → 14 in Harbor 2.9, 14 → 15 in 2.11) lacked space, memory or permissions, or skipped a major")
                .help("restore the database volume or dump taken before the upgrade, fix the cause, and upgrade one PostgreSQL major at a time: docs/runbook-database-upgrade.md"),
        );
    }
}
