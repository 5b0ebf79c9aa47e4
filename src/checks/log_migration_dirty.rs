//! `log-migration-dirty`: core's schema migration stopped half-way and core refuses to start.

use super::log_common::{flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose;
use crate::report::Severity;

/// `Dirty database version N. Fix and force version.` in the logs.
pub struct LogMigrationDirty;

impl Rule for LogMigrationDirty {
    fn id(&self) -> &'static str {
        "log-migration-dirty"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show `Dirty database version N. Fix and force version.`: a schema migration stopped half-way"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** core at every start after the failure: `[ERROR] [/common/dao/pgsql.go:132]: \
Failed to upgrade schema, error: \"Dirty database version 50. Fix and force version.\"`, then \
`[FATAL] [/core/main.go:188]: failed to migrate: Dirty database version 50. Fix and force \
version.` (`failed to migrate the database, error: …` in newer releases; the text is \
golang-migrate's; harbor#19398, #18034, #14191, harbor-helm#1814).\n\n\
**Cause:** core migrates the schema when it starts on a new Harbor minor. The migration of \
version N began and did not finish: several core pods migrated at once (`core.replicas` > 1 \
without the chart's migration hook), a liveness probe killed core mid-migration, the database \
ran out of space, or a step failed. golang-migrate then marks `schema_migrations` dirty and \
refuses to go on, so core crash-loops.\n\n\
**Fix:** the safe way is to restore the database backup taken before the upgrade and upgrade \
again with one core replica (or `enableMigrateHelmHook: true`). When you know the migration \
N had fully applied (or you applied the rest of it by hand), clear the flag: in the database pod \
`psql -U postgres -d registry -c \"UPDATE schema_migrations SET dirty = false\"`, then restart \
core. See `docs/runbook-database-upgrade.md`. `preflight check` warns before the upgrade \
(`migration-unguarded`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!("{n} core refusing to start because a schema migration stopped half-way (`schema_migrations` is dirty)"),
            &hits,
            scan,
            ctx.sources,
        );
        out.push(
            finding
                .note("likely cause: several core pods migrated at once, or a probe killed core during the migration")
                .note(format!(
                    "before the next attempt: `harbor-upgrade preflight check{}` (rule `migration-unguarded`)",
                    flags(ctx)
                ))
                .help("restore the database backup and upgrade again with one core replica, or, if the migration had fully applied, clear the flag (`UPDATE schema_migrations SET dirty = false`) and restart core: docs/runbook-database-upgrade.md"),
        );
    }
}
