//! `migration-unguarded`: the upgrade crosses a Harbor minor, so core migrates the database
//! schema when it starts, and several core pods would do it at once.

use super::upgrade_values::{new_value, span_of, truthy};
use super::{Context, Findings, Rule};
use crate::report::{Finding, Severity};

/// A schema migration with `core.replicas` > 1 and no migration hook.
pub struct MigrationUnguarded;

impl Rule for MigrationUnguarded {
    fn id(&self) -> &'static str {
        "migration-unguarded"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "the upgrade crosses a Harbor minor (core migrates the schema at start) with `core.replicas` > 1 and the migration hook `enableMigrateHelmHook` off"
    }
    fn explain(&self) -> &'static str {
        "Every Harbor minor release changes the database schema, and core applies the migration \
when it starts. With several core replicas, the new pods start together: they race on the \
migration, or the liveness probe kills a pod in the middle of a long one. The migration table is \
then left marked dirty and every core pod stops with `failed to migrate: Dirty database version \
N. Fix and force version.` until the database is repaired by hand.\n\n\
From chart 1.9.0 the chart has `enableMigrateHelmHook` (default `false`): a `pre-upgrade` Job \
(`templates/core/core-pre-upgrade-job.yaml`) runs the migration once, before the core pods roll, \
and the pods find the schema current.\n\n\
**Fix:** back up the database first (`pg_dump` of the `registry` database, or a volume \
snapshot), then set `enableMigrateHelmHook: true`, or run \
the upgrade with `core.replicas: 1` and scale core up again once it is ready."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if let Some(rendered) = ctx.rendered() {
            super::rendered_workloads::migration_unguarded(
                self.id(),
                self.severity(),
                ctx,
                rendered,
                out,
            );
            return;
        }
        let (Some(from), Some(target)) = (ctx.settings.from, ctx.target()) else {
            return;
        };
        let to = target.release.harbor;
        if (from.harbor.major, from.harbor.minor) == (to.major, to.minor) || from.harbor > to {
            return;
        }
        let default_replicas = target
            .default("core.replicas")
            .and_then(|d| d.parse().ok())
            .unwrap_or(1);
        let replicas = ctx.number("core.replicas", default_replicas);
        if replicas <= 1 {
            return;
        }
        let has_hook = target.has("enableMigrateHelmHook");
        if has_hook && truthy(new_value(ctx, "enableMigrateHelmHook").as_deref()) {
            return;
        }
        let hook = if has_hook {
            "`enableMigrateHelmHook` is off"
        } else {
            "the target chart has no migration hook (`enableMigrateHelmHook` is in charts from 1.9.0)"
        };
        let help = if has_hook {
            "back up the database, then set `enableMigrateHelmHook: true` (a pre-upgrade Job migrates once before core rolls), or upgrade with `core.replicas: 1` and scale up afterwards"
        } else {
            "back up the database, then upgrade with `core.replicas: 1` and scale up afterwards"
        };
        out.push(
            Finding::new(
                self.id(),
                self.severity(),
                format!(
                    "Harbor {} → {to} migrates the database schema when core starts, `core.replicas` is {replicas} and {hook}",
                    from.harbor
                ),
            )
            .path("core.replicas")
            .at(span_of(ctx, "core.replicas"))
            .note("several core pods migrate at once, or a probe kills the migration; core then fails with `Dirty database version N. Fix and force version.`")
            .help(help),
        );
    }
}
