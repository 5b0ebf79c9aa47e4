//! `log-database-password`: core cannot log in to its database.

use super::log_common::{any, flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `password authentication failed for user`, `failed to initialize database` in the logs.
pub struct LogDatabasePassword;

impl Rule for LogDatabasePassword {
    fn id(&self) -> &'static str {
        "log-database-password"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show `password authentication failed` or `failed to initialize database`"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** core's (and the migration Job's) fatal `failed to initialize database: …`, whose \
cause from pgx contains PostgreSQL's `password authentication failed for user \"postgres\"` \
(SQLSTATE 28P01); the database pod logs `FATAL:  password authentication failed for user \"postgres\"`.\n\n\
**Cause:** the internal database keeps the password it was initialised with. A changed \
`database.internal.password` (default `changeit`) or external database password changes only what \
core sends; chart 1.14.0 also mangled `POSTGRES_PASSWORD` on upgrade. `failed to initialize \
database` without the password text has another cause (unreachable host, migration failure): \
read the rest of the line.\n\n\
**Confirm:** `harbor-upgrade preflight check --release NAME` (rules `database-password-changed`, \
`default-password`).\n\n\
**Fix:** set the password in the values back to the one the database has, or change it inside \
PostgreSQL (`ALTER USER postgres WITH PASSWORD '…'`) to match, then restart core."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let password = any(&hits, &[Kind::DatabasePassword]);
        let message = if password {
            format!("{n} PostgreSQL rejecting the database password: the password core sends differs from the one the database holds")
        } else {
            format!("{n} core could not initialise its database connection; the lines do not name the password, so read them for the cause")
        };
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            message,
            &hits,
            scan,
            ctx.sources,
        );
        if password {
            finding = finding.note("likely cause: `database.internal.password` (or the external password) changed, while the database keeps the password it was initialised with");
        }
        out.push(
            finding
                .note(format!(
                    "cross-check: `harbor-upgrade preflight check{}` (rules `database-password-changed`, `default-password`)",
                    flags(ctx)
                ))
                .help("set the password in the values back to the database's, or change it in PostgreSQL to match, then restart core"),
        );
    }
}
