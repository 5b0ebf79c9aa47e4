//! `upgrade-path-downgrade`: the target is older than the version running now.

use super::{Context, Findings, Rule};
use crate::report::{Finding, Severity};

/// Target older than source.
pub struct UpgradePathDowngrade;

impl Rule for UpgradePathDowngrade {
    fn id(&self) -> &'static str {
        "upgrade-path-downgrade"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the target version is older than the one running now (`--from`)"
    }
    fn explain(&self) -> &'static str {
        "Harbor migrates its database schema forward when core starts and has no down migrations; \
Harbor's upgrade guide states that the schema cannot be downgraded and that `helm rollback` is \
not supported. An older core against a newer schema fails at start or misbehaves, and an \
internal PostgreSQL that was already upgraded to a newer major cannot be read by the older \
image at all.\n\n**Fix:** to go back, restore the database backup taken before the upgrade \
together with the old chart version and its values; otherwise fix forward with a newer patch."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let (Some(from), Some(to)) = (ctx.settings.from, ctx.settings.to) else {
            return;
        };
        if to.harbor >= from.harbor {
            return;
        }
        out.push(
            Finding::new(
                self.id(),
                self.severity(),
                format!(
                    "{} is older than {}, which runs now: Harbor cannot migrate its database schema down",
                    to.describe(),
                    from.describe()
                ),
            )
            .help("restore the backup taken before the upgrade with the old chart, or stay on (or move forward from) the version that runs now"),
        );
    }
}
