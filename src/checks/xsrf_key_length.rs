//! `xsrf-key-length`: `core.xsrfKey` is set but not 32 characters.

use super::{Context, Findings, Rule};
use crate::report::mask::describe_secret;
use crate::report::Severity;

/// `core.xsrfKey` set but not 32 characters.
pub struct XsrfKeyLength;

impl Rule for XsrfKeyLength {
    fn id(&self) -> &'static str {
        "xsrf-key-length"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "`core.xsrfKey` is set but not 32 characters"
    }
    fn explain(&self) -> &'static str {
        "Core's CSRF protection needs a 32-character key. Harbor up to 2.12 logs `Invalid CSRF key` and \
makes up a random key in each pod, so with several core replicas the UI fails at random with \
`CSRF token invalid`; from Harbor 2.13 core rejects every CSRF-protected request (`invalid CSRF \
key length from the environment`).\n\n**Fix:** set exactly 32 characters, or leave the field empty \
so the chart generates one (kept across upgrades by `lookup` from chart 1.14)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let key_name = ctx
            .setting("core.existingXsrfSecretKey")
            .unwrap_or("CSRF_KEY");
        let Ok(key) = ctx.effective("core.xsrfKey", Some("core.existingXsrfSecret"), key_name)
        else {
            return;
        };
        let chars = String::from_utf8_lossy(&key.bytes).chars().count();
        if key.bytes.is_empty() || chars == 32 {
            return;
        }
        out.push(
            key.finding(self.id(), self.severity(), format!("the CSRF key is {chars} characters; Harbor needs exactly 32"))
                .path("core.xsrfKey")
                .note(format!("value: {}", describe_secret(&key.bytes)))
                .help("set exactly 32 characters, or leave `core.xsrfKey` empty so the chart generates one"),
        );
    }
}
