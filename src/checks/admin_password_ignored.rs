//! `admin-password-ignored`: `harborAdminPassword` differs from the live one, which Harbor ignores.

use super::{Context, Findings, Rule};
use crate::report::Severity;

/// `harborAdminPassword` differs from the live one.
pub struct AdminPasswordIgnored;

impl Rule for AdminPasswordIgnored {
    fn id(&self) -> &'static str {
        "admin-password-ignored"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "`harborAdminPassword` differs from the live one: Harbor ignores it after the first start"
    }
    fn explain(&self) -> &'static str {
        "Core applies `HARBOR_ADMIN_PASSWORD` only while the admin user has no password yet, that is on \
the first start. Changing `harborAdminPassword` later updates the Secret and restarts core, but \
the admin password stays what it is in the database. Not an error, but whoever changed the \
value probably expects a new password.\n\n**Fix:** change the admin password in the UI or API; \
keep the value in sync only for documentation."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(live) = ctx.live_core("HARBOR_ADMIN_PASSWORD") else {
            return;
        };
        let key = ctx
            .setting("existingSecretAdminPasswordKey")
            .unwrap_or("HARBOR_ADMIN_PASSWORD");
        let Ok(new) = ctx.effective(
            "harborAdminPassword",
            Some("existingSecretAdminPassword"),
            key,
        ) else {
            return;
        };
        if new.bytes.as_ref() == live {
            return;
        }
        out.push(
            new.finding(self.id(), self.severity(), "`harborAdminPassword` differs from the live Secret, but Harbor applies it only on the first start")
                .path("harborAdminPassword")
                .help("change the admin password in the Harbor UI or API; the value here has no effect on a running installation"),
        );
    }
}
