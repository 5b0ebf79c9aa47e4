//! `keys generate`: a `kubernetes.io/tls` Secret manifest with a fresh token key pair, for
//! `core.secretName` — the way to pin the token key outside the values.
//!
//! Printing the manifest (and so the private key) to standard output is the purpose of this
//! command when `--out` is not given; a hint on standard error suggests `--out`.

use anyhow::{anyhow, bail};
use base64::Engine as _;

use super::keys_rotate::now_unix;
use super::{print, Outcome};
use crate::cli::GenerateArgs;
use crate::fsio::create_private_file;
use crate::pki::{generate_token_pair, TokenPairSpec};

/// Runs `keys generate`.
pub fn run(args: &GenerateArgs) -> anyhow::Result<Outcome> {
    if !is_dns_subdomain(&args.secret_name) {
        bail!(
            "`{}` is not a valid Secret name: use lowercase letters, digits, `-` and `.` (at most 253 characters)",
            args.secret_name
        );
    }
    if let Some(ns) = &args.namespace {
        if !is_dns_label(ns) {
            bail!("`{ns}` is not a valid namespace name: use lowercase letters, digits and `-` (at most 63 characters)");
        }
    }
    if let Some(out) = &args.out {
        if out.exists() || out.is_symlink() {
            bail!(
                "{} already exists: refusing to overwrite it; nothing written",
                out.display()
            );
        }
    }
    let spec = TokenPairSpec {
        bits: usize::try_from(args.bits).unwrap_or(usize::MAX),
        days: args.days,
        now: now_unix(),
    };
    let step = crate::progress::Step::spinner(format!("generating an RSA-{} key", spec.bits));
    let pair = generate_token_pair(spec, &mut rand_core::OsRng)?;
    drop(step);
    let manifest = manifest(&args.secret_name, args.namespace.as_deref(), &pair);
    let next = format!(
        "next: `kubectl apply -f` the manifest, set `core.secretName: {}` in the values and leave `core.tokenKey`/`core.tokenCert` blank",
        args.secret_name
    );
    if let Some(out) = &args.out {
        create_private_file(out, manifest.as_bytes()).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow!(
                    "{} already exists: refusing to overwrite it; nothing written",
                    out.display()
                )
            } else {
                anyhow!(e).context(format!("cannot write {}", out.display()))
            }
        })?;
        crate::note!(
                "wrote {} (mode 0600): Secret `{}` of type kubernetes.io/tls with a new RSA {}-bit token key and certificate",
                out.display(),
                args.secret_name,
                args.bits
            );
        crate::note!("{next}");
    } else {
        crate::note!("hint: the manifest holds a private key; prefer `--out FILE` (written with mode 0600) to keep it out of terminals, scrollback and logs");
        crate::note!("{next}");
        print(&manifest)?;
    }
    Ok(Outcome::Clean)
}

fn manifest(name: &str, namespace: Option<&str>, pair: &crate::pki::TokenPair) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    let namespace = namespace.map_or_else(String::new, |ns| format!("  namespace: {ns}\n"));
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n{namespace}type: kubernetes.io/tls\ndata:\n  tls.crt: {}\n  tls.key: {}\n",
        b64(&pair.cert_pem),
        b64(&pair.key_pem)
    )
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kubernetes() {
        assert!(is_dns_subdomain("harbor-token"));
        assert!(is_dns_subdomain("a.b-c"));
        assert!(!is_dns_subdomain("Harbor"));
        assert!(!is_dns_subdomain("-x"));
        assert!(!is_dns_subdomain("a..b"));
        assert!(is_dns_label("harbor"));
        assert!(!is_dns_label("a.b"));
    }
}
