//! `htpasswd-invalid`: `registry.credentials.htpasswdString` is not a bcrypt line for the user.

use super::{Context, Findings, Rule};
use crate::report::Severity;

/// `registry.credentials.htpasswdString` not bcrypt or not `<username>:`.
pub struct HtpasswdInvalid;

/// Whether `hash` is a bcrypt hash as distribution's htpasswd reader accepts it.
fn is_bcrypt(hash: &str) -> bool {
    let b = hash.as_bytes();
    b.len() == 60
        && b[0] == b'$'
        && b[1] == b'2'
        && matches!(b[2], b'a' | b'b' | b'y')
        && b[3] == b'$'
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && b[6] == b'$'
        && b[7..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'/')
}

impl Rule for HtpasswdInvalid {
    fn id(&self) -> &'static str {
        "htpasswd-invalid"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "`registry.credentials.htpasswdString` is not a bcrypt line for `<username>:` and the registry password"
    }
    fn explain(&self) -> &'static str {
        "The registry authenticates core and jobservice with an htpasswd file, and distribution reads \
only bcrypt hashes. The line must start with `registry.credentials.username` (default \
`harbor_registry_user`) and a colon, and the hash must be the hash of the password core and \
jobservice send (`registry.credentials.password`, or `REGISTRY_PASSWD` of \
`registry.credentials.existingSecret`). A wrong user, a non-bcrypt hash (`{SHA}`, MD5 `$apr1$`) or \
a hash of another password makes every call from core to the registry fail with \
`authentication failure`, so pushes, pulls and GC break. Hashes with a bcrypt cost above 12 are \
not verified (it would take seconds).\n\n**Fix:** `htpasswd -nbBC10 harbor_registry_user 'PASSWORD'` with the same password \
as `registry.credentials.password`, or leave the field empty so the chart computes it."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let key = "REGISTRY_HTPASSWD";
        let Ok(line) = ctx.effective(
            "registry.credentials.htpasswdString",
            Some("registry.credentials.existingSecret"),
            key,
        ) else {
            return;
        };
        let text = String::from_utf8_lossy(&line.bytes);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            return;
        }
        let user = ctx
            .setting("registry.credentials.username")
            .unwrap_or("harbor_registry_user");
        let first = text.lines().next().unwrap_or_default();
        let problem = match first.split_once(':') {
            None => "it is not a `user:hash` line".to_string(),
            Some((u, _)) if u != user => {
                format!("it is for user `{u}`, but `registry.credentials.username` is `{user}`")
            }
            Some((_, hash)) if !is_bcrypt(hash) => {
                "the hash is not bcrypt (`$2y$…`); the registry reads only bcrypt".to_string()
            }
            Some((_, hash)) => match password_matches(ctx, hash) {
                Verdict::Matches => return,
                Verdict::Differs(from) => format!(
                    "its hash does not match {from}, which core and jobservice send: the registry answers them 401"
                ),
                Verdict::Unknown(why) => {
                    out.skip(self.id(), why);
                    return;
                }
            },
        };
        out.push(
            line.finding(self.id(), self.severity(), format!("the registry htpasswd line is invalid: {problem}"))
                .path("registry.credentials.htpasswdString")
                .help(format!("generate it with `htpasswd -nbBC10 {user} PASSWORD` using `registry.credentials.password`, or leave it empty so the chart computes it")),
        );
    }
}

/// Above this cost a bcrypt check takes seconds; such hashes are not verified.
const MAX_VERIFIED_COST: u32 = 12;

enum Verdict {
    Matches,
    /// The hash does not match the password from this place.
    Differs(&'static str),
    Unknown(String),
}

/// Checks the hash against the password core and jobservice use: the `REGISTRY_PASSWD` of the
/// existing Secret when one is named, else `registry.credentials.password` (or its default).
fn password_matches(ctx: &Context<'_>, hash: &str) -> Verdict {
    let cost: u32 = hash
        .get(4..6)
        .and_then(|c| c.parse().ok())
        .unwrap_or(u32::MAX);
    if cost > MAX_VERIFIED_COST {
        return Verdict::Unknown(format!(
            "the htpasswd hash has bcrypt cost {cost}; hashes above {MAX_VERIFIED_COST} are not verified against the password"
        ));
    }
    let (password, from) = match ctx.effective(
        "registry.credentials.password",
        Some("registry.credentials.existingSecret"),
        "REGISTRY_PASSWD",
    ) {
        Ok(p) if p.origin == crate::report::Origin::Secret => {
            (p, "`REGISTRY_PASSWD` of the existing Secret")
        }
        Ok(p) => (p, "`registry.credentials.password`"),
        Err(why) => return Verdict::Unknown(format!("the htpasswd hash was not verified: {why}")),
    };
    match bcrypt::verify(password.bytes.as_ref(), hash) {
        Ok(true) => Verdict::Matches,
        Ok(false) => Verdict::Differs(from),
        Err(e) => Verdict::Unknown(format!("the htpasswd hash could not be verified: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::is_bcrypt;

    #[test]
    fn bcrypt_shape() {
        assert!(is_bcrypt(
            "$2y$10$abcdefghijklmnopqrstuu5hK3G/ZDRv0tJyPYq3n1w4vZ6i5qJ0e"
        ));
        assert!(!is_bcrypt("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
        assert!(!is_bcrypt("$apr1$abc$def"));
    }
}
