//! `secret-key-length`: `secretKey` is not a valid AES key length.

use super::{Context, Findings, Rule};
use crate::report::mask::describe_secret;
use crate::report::Severity;
use crate::values::ScalarStyle;

/// `secretKey` not 16, 24 or 32 bytes.
pub struct SecretKeyLength;

impl Rule for SecretKeyLength {
    fn id(&self) -> &'static str {
        "secret-key-length"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "`secretKey` is not 16, 24 or 32 bytes (AES); a trailing newline from a `|` block counts"
    }
    fn explain(&self) -> &'static str {
        "Core uses the file `/etc/core/key` (the `secretKey` value, byte for byte, never trimmed) as \
an AES key for the credentials it stores in the database: registry endpoint passwords, the \
OIDC client secret, the LDAP search password, OIDC CLI secrets. AES accepts only 16, 24 or 32 \
bytes; any other length makes every encrypt and decrypt fail with `crypto/aes: invalid key size \
N`, so replication, proxy caches, OIDC and LDAP logins break. A value written as a `|` block \
keeps its final line break and is one byte too long (17 for a 16-character key).\n\n**Fix:** \
write the key as a quoted string, or as a `|-` block, with exactly 16, 24 or 32 bytes, and keep \
the value the installation was first set up with: changing the key makes stored credentials \
unreadable (`secret-key-changed`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Ok(key) = ctx.effective("secretKey", Some("existingSecretSecretKey"), "secretKey")
        else {
            return;
        };
        let len = key.bytes.len();
        if matches!(len, 16 | 24 | 32) {
            return;
        }
        let mut finding = key
            .finding(
                self.id(),
                self.severity(),
                format!("`secretKey` is {len} bytes; AES needs exactly 16, 24 or 32"),
            )
            .note(format!("value: {}", describe_secret(&key.bytes)));
        let from_block = ctx
            .field("secretKey")
            .node()
            .and_then(|n| n.style)
            .is_some_and(|s| matches!(s, ScalarStyle::Literal | ScalarStyle::Folded));
        if key.bytes.ends_with(b"\n") {
            let why = if from_block {
                "a `|` or `>` block keeps its final line break"
            } else {
                "it ends with a line break"
            };
            finding = finding
                .note(format!("{why}; without it the key is {} bytes", key.bytes.trim_ascii_end().len()))
                .help("write the key with `|-` (strip the final line break) or as a quoted string, keeping the bytes the installation uses today");
        } else {
            finding = finding.help("use the key the installation was set up with (16, 24 or 32 bytes); a new key makes stored credentials unreadable");
        }
        out.push(finding);
    }
}
