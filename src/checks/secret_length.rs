//! `secret-length`: an inter-component secret is set but not 16 characters.

use super::{Context, Findings, Rule};
use crate::report::mask::describe_secret;
use crate::report::Severity;

/// `core.secret`, `jobservice.secret`, `registry.secret` set but not 16 characters.
pub struct SecretLength;

const FIELDS: &[(&str, &str, &str, &str)] = &[
    ("core.secret", "core.existingSecret", "", "secret"),
    (
        "jobservice.secret",
        "jobservice.existingSecret",
        "jobservice.existingSecretKey",
        "JOBSERVICE_SECRET",
    ),
    (
        "registry.secret",
        "registry.existingSecret",
        "registry.existingSecretKey",
        "REGISTRY_HTTP_SECRET",
    ),
];

impl Rule for SecretLength {
    fn id(&self) -> &'static str {
        "secret-length"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "`core.secret`, `jobservice.secret` or `registry.secret` is set but not 16 characters"
    }
    fn explain(&self) -> &'static str {
        "The chart documents these secrets as 16-character strings and generates them that way. \
Harbor accepts other lengths, but a different length almost always means a pasted value went \
wrong (a trailing newline from a `|` block, a truncated copy), and because core, jobservice and \
registryctl must agree byte for byte, such a value shows up as 401s between components \
(`unauthorized`, `Failed on load rest config`).\n\n**Fix:** use 16 characters, written as a quoted \
string or a `|-` block, or leave the field empty so the chart generates one."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for &(path, existing, key_path, default_key) in FIELDS {
            let key = ctx.setting(key_path).unwrap_or(default_key);
            let Ok(value) = ctx.effective(path, Some(existing), key) else {
                continue;
            };
            let chars = String::from_utf8_lossy(&value.bytes).chars().count();
            if value.bytes.is_empty() || chars == 16 {
                continue;
            }
            let mut finding = value
                .finding(
                    self.id(),
                    self.severity(),
                    format!("`{path}` is {chars} characters; the chart expects 16"),
                )
                .path(path)
                .note(format!("value: {}", describe_secret(&value.bytes)));
            if value.bytes.ends_with(b"\n") {
                finding =
                    finding.note("it ends with a line break: a `|` block keeps it, `|-` strips it");
            }
            out.push(finding.help(
                "use a 16-character value, or leave the field empty so the chart generates one",
            ));
        }
    }
}
