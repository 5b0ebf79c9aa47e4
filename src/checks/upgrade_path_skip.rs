//! `upgrade-path-skip`: more than one Harbor minor skipped in one upgrade.

use super::{Context, Findings, Rule};
use crate::chart::behaviour::{
    internal_database_starts_empty, is_supported_hop, postgres, upgrade_hops,
};
use crate::chart::catalog;
use crate::report::{Finding, Severity};

/// More than one Harbor minor skipped in one hop.
pub struct UpgradePathSkip;

impl Rule for UpgradePathSkip {
    fn id(&self) -> &'static str {
        "upgrade-path-skip"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "more than one Harbor minor is skipped in one upgrade; prints the hops, and says when the internal PostgreSQL would start an empty cluster"
    }
    fn explain(&self) -> &'static str {
        "Harbor's upgrade guide covers a migration from two minors back at most (2.8 → 2.10, \
2.9 → 2.11): one `helm upgrade` may skip one minor, not more. Longer jumps are untested \
migrations. With the internal database it is worse: each `harbor-db` image upgrades only the \
PostgreSQL major just before its own, so going from Harbor 2.8 or older (PostgreSQL 13) straight \
to 2.11 or newer (PostgreSQL 15, which upgrades only from 14) finds no data directory it can \
upgrade and initialises an **empty** cluster. Core then migrates an empty schema and Harbor looks \
freshly installed: projects, users and replication rules seem gone (the old data is still on the \
volume, untouched).\n\n**Fix:** upgrade in the hops the finding prints (each at most one minor \
further, at the newest patch of that minor), letting every hop start completely and checking \
each with `preflight check --from … --to …`. `docs/upgrade-paths.md` has the table."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let (Some(from), Some(to)) = (ctx.settings.from, ctx.settings.to) else {
            out.skip(
                self.id(),
                "no `--from`: the upgrade path and PostgreSQL major changes are not judged, and removed keys are judged against the last release that had them",
            );
            return;
        };
        if to.harbor <= from.harbor || is_supported_hop(from.harbor, to.harbor) {
            return;
        }
        let hops = upgrade_hops(from, to, &catalog().latest_of_each_minor());
        let path: Vec<String> = std::iter::once(from)
            .chain(hops.iter().copied())
            .map(|r| r.harbor.to_string())
            .collect();
        let charts: Vec<String> = std::iter::once(from)
            .chain(hops.iter().copied())
            .map(|r| r.chart.to_string())
            .collect();
        let skipped = to.harbor.minor - from.harbor.minor - 1;
        let mut finding = Finding::new(
            self.id(),
            self.severity(),
            format!(
                "{} → {} skips {skipped} Harbor minors; at most one may be skipped per upgrade",
                from.describe(),
                to.describe()
            ),
        )
        .note(format!("upgrade in hops: {}", path.join(" → ")))
        .note(format!("charts: {}", charts.join(" → ")))
        .help(format!(
            "upgrade {} and run `harbor-upgrade preflight check --from … --to …` before each hop",
            path.join(" → ")
        ));
        let internal = ctx.setting("database.type") == Some("internal");
        if internal && internal_database_starts_empty(from.harbor, to.harbor) {
            let (old, new) = (postgres(from.harbor), postgres(to.harbor));
            let majors = match (old, new) {
                (Some(o), Some(n)) => format!(" (PostgreSQL {} → {})", o.major, n.major),
                _ => String::new(),
            };
            finding = finding.note(format!(
                "with the internal database{majors} the new `harbor-db` image finds no data it can upgrade and starts an empty PostgreSQL cluster: Harbor would come up empty, as if freshly installed"
            ));
            if let Some(span) = ctx.field("database.type").span() {
                finding = finding.path("database.type").at(Some(span));
            }
        }
        out.push(finding);
    }
}
