//! `tls-secret-invalid` and `tls-secret-expiring`: the TLS Secrets the values name for the
//! ingress (`expose.tls.secret.secretName`) and for internal TLS (`internalTLS.*.secretName`).
//!
//! The chart only mounts these; a certificate that does not belong to its key, has expired, or
//! is not issued by the `ca.crt` beside it breaks the component at start or its peers at the
//! first call. Secrets the chart generates itself (`certSource: auto`) are renewed on every
//! render and not judged.

use super::{Context, Findings, Rule};
use crate::pki::{self, fingerprint, format_unix, pair_matches, Validity};
use crate::report::{Finding, Origin, Severity};
use crate::values::{SecretEntry, SecretObject};

const INTERNAL: &[&str] = &["core", "jobservice", "registry", "portal", "trivy"];

/// The TLS Secrets the values name, with the naming path and whether `ca.crt` is required.
fn tls_secrets<'a>(ctx: &Context<'a>) -> Vec<(String, &'a SecretObject, bool)> {
    let mut out = Vec::new();
    if ctx.flag("expose.tls.enabled", true)
        && ctx.setting("expose.tls.certSource") == Some("secret")
    {
        if let Some(secret) = ctx
            .setting("expose.tls.secret.secretName")
            .and_then(|n| ctx.secret(n))
        {
            out.push(("expose.tls.secret.secretName".to_string(), secret, false));
        }
    }
    if ctx.flag("internalTLS.enabled", false)
        && ctx.setting("internalTLS.certSource") == Some("secret")
    {
        for component in INTERNAL {
            let path = format!("internalTLS.{component}.secretName");
            if let Some(secret) = ctx.setting(&path).and_then(|n| ctx.secret(n)) {
                out.push((path, secret, true));
            }
        }
    }
    out
}

fn finding(
    rule: &'static str,
    severity: Severity,
    secret: &SecretObject,
    key: &str,
    entry: Option<&SecretEntry>,
    path: &str,
    message: String,
) -> Finding {
    Finding::new(rule, severity, message)
        .at(entry.and_then(|e| e.span).or(secret.name_span))
        .from_object(
            Origin::Secret,
            Some(format!("`{key}` of Secret `{}`", secret.name)),
        )
        .path(path)
}

/// A TLS Secret's certificate is unusable.
pub struct TlsSecretInvalid;

impl Rule for TlsSecretInvalid {
    fn id(&self) -> &'static str {
        "tls-secret-invalid"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "a TLS Secret named by `expose.tls.secret.secretName` or `internalTLS.*.secretName` has a certificate that is unparseable, expired, not yet valid, not for its key, or not issued by its `ca.crt`"
    }
    fn explain(&self) -> &'static str {
        "With `expose.tls.certSource: secret` the ingress or nginx serves `tls.crt`/`tls.key` of the \
named Secret; with `internalTLS.certSource: secret` every component serves its own pair and \
trusts the others through `ca.crt`. The chart never looks inside these Secrets: a certificate \
that does not belong to its key fails the TLS handshake at start, an expired one is refused by \
clients, and an internal certificate that `ca.crt` did not issue makes core, jobservice and \
registry reject each other (`x509: certificate signed by unknown authority`).\n\n**Fix:** \
re-issue the certificate for the key in the Secret (and from the CA in `ca.crt` for internal \
TLS), then update the Secret before upgrading."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for (path, secret, _) in tls_secrets(ctx) {
            self.check_secret(ctx, &path, secret, out);
        }
    }
}

impl TlsSecretInvalid {
    fn check_secret(
        &self,
        ctx: &Context<'_>,
        path: &str,
        secret: &SecretObject,
        out: &mut Findings,
    ) {
        let path = path.to_string();
        let crt = secret.data.get("tls.crt");
        let key = secret.data.get("tls.key");
        let Some(crt_entry) = crt else { return };
        let crt_text = String::from_utf8_lossy(&crt_entry.bytes);
        let chain = match pki::parse_certificates(&crt_text) {
            Ok(chain) => chain,
            Err(e) => {
                out.push(
                    finding(
                        self.id(),
                        self.severity(),
                        secret,
                        "tls.crt",
                        crt,
                        &path,
                        format!(
                            "`tls.crt` of Secret `{}` is not a usable certificate: {e}",
                            secret.name
                        ),
                    )
                    .help(format!(
                        "put the PEM certificate into `tls.crt` of Secret `{}`",
                        secret.name
                    )),
                );
                return;
            }
        };
        if let Some(key_entry) = key {
            match pki::parse_private_key(&String::from_utf8_lossy(&key_entry.bytes)) {
                Ok(info) if info.spki_der.is_some() && !pair_matches(&info, &chain.leaf) => {
                    out.push(
                            finding(self.id(), self.severity(), secret, "tls.crt", crt, &path, format!("the certificate in Secret `{}` does not belong to its `tls.key`", secret.name))
                                .note(format!("certificate public key: {}", fingerprint(&chain.leaf.spki_der)))
                                .note(format!("key's public key: {}", info.spki_der.as_deref().map(fingerprint).unwrap_or_default()))
                                .help("issue the certificate for this key, or put the matching key into `tls.key`"),
                        );
                }
                Ok(_) => {}
                Err(e) => out.push(
                    finding(
                        self.id(),
                        self.severity(),
                        secret,
                        "tls.key",
                        key,
                        &path,
                        format!(
                            "`tls.key` of Secret `{}` is not a usable private key: {e}",
                            secret.name
                        ),
                    )
                    .help("put the unencrypted PEM private key into `tls.key`"),
                ),
            }
        }
        match chain.leaf.validity(ctx.settings.now) {
            Validity::Expired { .. } => out.push(
                finding(
                    self.id(),
                    self.severity(),
                    secret,
                    "tls.crt",
                    crt,
                    &path,
                    format!(
                        "the certificate in Secret `{}` expired on {}",
                        secret.name,
                        format_unix(chain.leaf.not_after)
                    ),
                )
                .note(format!("subject: {}", chain.leaf.subject))
                .help("renew the certificate and update the Secret"),
            ),
            Validity::NotYetValid { .. } => out.push(
                finding(
                    self.id(),
                    self.severity(),
                    secret,
                    "tls.crt",
                    crt,
                    &path,
                    format!(
                        "the certificate in Secret `{}` is not valid before {}",
                        secret.name,
                        format_unix(chain.leaf.not_before)
                    ),
                )
                .help("check the clock of the machine that issued it, or re-issue it"),
            ),
            Validity::Valid { .. } => {}
        }
        self.check_ca(secret, crt, &crt_text, &chain.leaf.issuer, &path, out);
    }

    fn check_ca(
        &self,
        secret: &SecretObject,
        crt: Option<&SecretEntry>,
        crt_text: &str,
        issuer: &str,
        path: &str,
        out: &mut Findings,
    ) {
        let Some(ca) = secret.data.get("ca.crt") else {
            // Internal TLS needs it: `existing-secret-key-missing` reports its absence.
            return;
        };
        let ca_text = String::from_utf8_lossy(&ca.bytes);
        match pki::chains_to(crt_text, &ca_text) {
            Ok(Some(false)) => out.push(
                finding(
                    self.id(),
                    self.severity(),
                    secret,
                    "tls.crt",
                    crt,
                    path,
                    format!(
                        "the certificate in Secret `{}` is not issued by the CA in its `ca.crt`",
                        secret.name
                    ),
                )
                .note(format!("issuer: {issuer}"))
                .help(
                    "issue the certificate from the CA in `ca.crt`, or put that CA into `ca.crt`",
                ),
            ),
            Ok(_) => {}
            Err(e) => out.push(
                finding(
                    self.id(),
                    self.severity(),
                    secret,
                    "ca.crt",
                    Some(ca),
                    path,
                    format!(
                        "`ca.crt` of Secret `{}` is not a usable certificate: {e}",
                        secret.name
                    ),
                )
                .help("put the PEM CA certificate into `ca.crt`"),
            ),
        }
    }
}

/// A TLS Secret's certificate expires soon.
pub struct TlsSecretExpiring;

impl Rule for TlsSecretExpiring {
    fn id(&self) -> &'static str {
        "tls-secret-expiring"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "a TLS Secret named by the values has a certificate that expires within `--expiry-days`"
    }
    fn explain(&self) -> &'static str {
        "The chart does not renew certificates it did not generate. A certificate in the Secret named \
by `expose.tls.secret.secretName` or `internalTLS.*.secretName` that expires soon will break \
HTTPS or the calls between Harbor's components on that day, whatever the upgrade does.\n\n\
**Fix:** renew it (cert-manager does this when it owns the Secret) before it expires."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let window = i64::from(ctx.settings.expiry_days) * 86_400;
        for (path, secret, _) in tls_secrets(ctx) {
            let Some(crt) = secret.data.get("tls.crt") else {
                continue;
            };
            let Ok(chain) = pki::parse_certificates(&String::from_utf8_lossy(&crt.bytes)) else {
                continue;
            };
            if let Validity::Valid { expires_in } = chain.leaf.validity(ctx.settings.now) {
                if expires_in <= window {
                    out.push(
                        finding(
                            self.id(),
                            self.severity(),
                            secret,
                            "tls.crt",
                            Some(crt),
                            &path,
                            format!(
                                "the certificate in Secret `{}` expires on {} (in {} days)",
                                secret.name,
                                format_unix(chain.leaf.not_after),
                                expires_in / 86_400
                            ),
                        )
                        .help("renew the certificate and update the Secret"),
                    );
                }
            }
        }
    }
}
