//! `database-major-upgrade`: the internal `PostgreSQL` changes major version.

use super::{Context, Findings, Rule};
use crate::chart::behaviour::{internal_database_starts_empty, postgres};
use crate::report::{Finding, Severity};

/// The internal `PostgreSQL` changes major version on this upgrade.
pub struct DatabaseMajorUpgrade;

impl Rule for DatabaseMajorUpgrade {
    fn id(&self) -> &'static str {
        "database-major-upgrade"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "the internal PostgreSQL changes major version (13 → 14 at Harbor 2.9, 14 → 15 at 2.11): back up, and leave room for a second copy"
    }
    fn explain(&self) -> &'static str {
        "With `database.type: internal` the `harbor-db` image of Harbor 2.9 runs PostgreSQL 14 and \
that of 2.11 runs 15. At its first start the new image runs `pg_upgrade` from the previous major \
in copy mode: the data directory is copied, so the volume needs free space for a second copy of \
the database, and a failure (full disk, killed pod) leaves the upgrade to be retried. The old \
directory is deleted only after success. Core cannot connect until the database pod has \
finished, so the first start takes longer than usual.\n\n**Fix:** take a database backup \
(`pg_dump` from the database pod) before upgrading, check that the volume has at least as much \
free space as the database uses (`du -sh /var/lib/postgresql/data/pgdata` in the pod), and let \
the database pod finish before judging the rollout."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let (Some(from), Some(to)) = (ctx.settings.from, ctx.settings.to) else {
            return;
        };
        if ctx.setting("database.type") != Some("internal") || to.harbor <= from.harbor {
            return;
        }
        let (Some(old), Some(new)) = (postgres(from.harbor), postgres(to.harbor)) else {
            out.skip(
                self.id(),
                format!(
                    "the internal PostgreSQL major of Harbor {} or {} is not known to this tool",
                    from.harbor, to.harbor
                ),
            );
            return;
        };
        if old.major == new.major {
            return;
        }
        if internal_database_starts_empty(from.harbor, to.harbor) {
            out.push(
                Finding::new(
                    self.id(),
                    self.severity(),
                    format!(
                        "the internal PostgreSQL would go from {} to {} in one step, which no `harbor-db` image does: the Harbor {} image upgrades only from {}",
                        old.major,
                        new.major,
                        to.harbor,
                        new.upgrades_from.map_or_else(|| "nothing".to_string(), |m| m.to_string())
                    ),
                )
                .path("database.type")
                .at(ctx.field("database.type").span())
                .note("see `upgrade-path-skip`: go through Harbor 2.9 or 2.10 first, one major at a time")
                .help("back up the database (`pg_dump`), then upgrade in the hops `upgrade-path-skip` prints"),
            );
            return;
        }
        out.push(
            Finding::new(
                self.id(),
                self.severity(),
                format!(
                    "the internal PostgreSQL goes from {} to {} ({} → {}): the database is upgraded in copy mode at the first start",
                    old.major,
                    new.major,
                    from.describe(),
                    to.describe()
                ),
            )
            .path("database.type")
            .at(ctx.field("database.type").span())
            .note("`pg_upgrade` copies the data directory: the volume needs free space for a second copy of the database")
            .help("back up the database (`pg_dump`) and check the volume's free space before upgrading"),
        );
    }
}
