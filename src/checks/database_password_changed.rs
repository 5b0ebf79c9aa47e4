//! `database-password-changed`: the internal database password differs from the live one.

use super::{Context, FieldState, Findings, Rule};
use crate::pki::fingerprint;
use crate::report::Severity;

/// Internal DB password differs from the live one.
pub struct DatabasePasswordChanged;

impl Rule for DatabasePasswordChanged {
    fn id(&self) -> &'static str {
        "database-password-changed"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the internal database password differs from the live one: core cannot connect"
    }
    fn explain(&self) -> &'static str {
        "The internal PostgreSQL applies `POSTGRES_PASSWORD` only when it creates its data directory. \
A later change of `database.internal.password` updates the Secrets that core reads, but not the \
role inside the database, so core (and the migration job) fail with `failed to initialize \
database` / `password authentication failed for user \"postgres\"` and Harbor does not start. \
The usual cause is an install with a custom password upgraded without it, so the default \
`changeit` comes back.\n\n**Fix:** set `database.internal.password` to the live value (from \
`<fullname>-database`, key `POSTGRES_PASSWORD`). To really change it, run `ALTER USER postgres \
PASSWORD '…'` inside the database first."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if ctx.setting("database.type").unwrap_or("internal") != "internal" {
            return;
        }
        let live = ctx
            .sibling_secret("-database")
            .and_then(|s| s.data.get("POSTGRES_PASSWORD").map(|e| (s, e)))
            .map(|(s, e)| (s.name.clone(), e.bytes.as_slice()))
            .or_else(|| {
                ctx.live_core("POSTGRESQL_PASSWORD").map(|b| {
                    (
                        ctx.core_secret()
                            .map(|s| s.name.clone())
                            .unwrap_or_default(),
                        b,
                    )
                })
            });
        let Some((secret_name, live)) = live else {
            if !ctx.secrets.is_empty() {
                out.skip(self.id(), "no live `<fullname>-database` or `<fullname>-core` Secret with the database password was given");
            }
            return;
        };
        // An explicit empty value makes chart 1.14+ look the live password up: nothing changes.
        if ctx.field("database.internal.password").state() == FieldState::Str("")
            && ctx
                .rendered_credential("database.internal.password")
                .is_none()
        {
            return;
        }
        let Ok(new) = ctx.effective("database.internal.password", None, "") else {
            return;
        };
        if new.bytes.as_ref() == live {
            return;
        }
        let what = if new.is_default {
            "`database.internal.password` is not set, so the chart default"
        } else {
            "`database.internal.password`"
        };
        out.push(
            new.finding(self.id(), self.severity(), format!("{what} differs from the password of the running database (Secret `{secret_name}`)"))
                .path("database.internal.password")
                .note(format!("new: {}, live: {}", fingerprint(&new.bytes), fingerprint(live)))
                .help(format!("set `database.internal.password` to the live value from Secret `{secret_name}`; to change it, run `ALTER USER postgres PASSWORD ...` inside the database first")),
        );
    }
}
