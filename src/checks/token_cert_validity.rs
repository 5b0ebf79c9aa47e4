//! `token-cert-expired`, `token-cert-not-yet-valid`, `token-cert-expiring`: the validity window
//! of the token certificate, judged at the injected `now`.

use super::{Context, Findings, Rule, TokenPair};
use crate::chart::behaviour::notary_reads_token_cert;
use crate::pki::{format_unix, Validity};
use crate::report::Severity;

/// Whether a component of the target chart reads the token certificate: notary-server does, in
/// charts up to 1.12 when notary is enabled (the default there). `None` when the target is unknown.
fn certificate_is_read(ctx: &Context<'_>) -> Option<bool> {
    let target = ctx.target()?;
    // Unset, `notary.enabled` takes the target chart's default (`true` up to 1.12).
    let default = target.default("notary.enabled") == Some("true");
    Some(notary_reads_token_cert(target.release.chart) && ctx.flag("notary.enabled", default))
}

fn severity(ctx: &Context<'_>) -> Severity {
    if certificate_is_read(ctx) == Some(true) {
        Severity::Error
    } else {
        Severity::Warning
    }
}

fn reader_note(ctx: &Context<'_>) -> &'static str {
    match certificate_is_read(ctx) {
        Some(true) => "notary-server of the target chart verifies tokens with this certificate",
        Some(false) => "no component of the target chart reads the certificate (only notary-server did, in charts up to 1.12); core signs with the key alone",
        None => "the certificate matters only where notary-server reads it (charts up to 1.12 with notary enabled); pass `--to` to decide",
    }
}

fn each_leaf<'c>(ctx: &'c Context<'_>) -> impl Iterator<Item = (&'c TokenPair<'c>, Validity)> + 'c {
    ctx.token_pairs.iter().filter_map(move |pair| {
        let chain = pair.cert_chain()?;
        Some((pair, chain.leaf.validity(ctx.settings.now)))
    })
}

/// The certificate has expired.
pub struct TokenCertExpired;

impl Rule for TokenCertExpired {
    fn id(&self) -> &'static str {
        "token-cert-expired"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the token certificate has expired (error where the target chart reads it, warning otherwise)"
    }
    fn explain(&self) -> &'static str {
        "Charts up to 1.12 with notary enabled mount `tls.crt` into notary-server as its token root \
certificate; an expired one breaks Docker Content Trust. From chart 1.13 no pod reads the \
certificate and core signs with the key alone, so expiry there is a warning: harmless for \
Harbor, but tools and people that check the pair will distrust it. The chart's own generated \
certificate lives 365 days.\n\n**Fix:** issue a new certificate for the same key (`openssl req \
-x509 -key tls.key -subj /CN=harbor-token-ca -days 3650 -out tls.crt`), which keeps issued \
tokens valid, or rotate the pair with `harbor-upgrade keys rotate`."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for (pair, validity) in each_leaf(ctx) {
            let (Validity::Expired { .. }, Some(material), Some(chain)) =
                (validity, &pair.cert, pair.cert_chain())
            else {
                continue;
            };
            out.push(
                material
                    .finding(self.id(), severity(ctx), format!("{} expired on {}", material.name(), format_unix(chain.leaf.not_after)))
                    .note(reader_note(ctx))
                    .help("issue a new certificate for the same key, or rotate the pair with `harbor-upgrade keys rotate`"),
            );
        }
    }
}

/// The certificate is not valid yet.
pub struct TokenCertNotYetValid;

impl Rule for TokenCertNotYetValid {
    fn id(&self) -> &'static str {
        "token-cert-not-yet-valid"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the token certificate is not valid yet (error where the target chart reads it, warning otherwise)"
    }
    fn explain(&self) -> &'static str {
        "A certificate whose `notBefore` lies in the future was made on a machine with a clock ahead \
of this one, or with a wrong start date. Where notary-server reads it (charts up to 1.12 with \
notary enabled) it is rejected until that time. A clock that far off on the machine that made \
it is worth a look too: Harbor's tokens are just as sensitive to skew (`token is not valid yet`).\n\n\
**Fix:** reissue the certificate with a start date in the past, and check the clocks."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for (pair, validity) in each_leaf(ctx) {
            let (Validity::NotYetValid { .. }, Some(material), Some(chain)) =
                (validity, &pair.cert, pair.cert_chain())
            else {
                continue;
            };
            out.push(
                material
                    .finding(self.id(), severity(ctx), format!("{} is not valid before {}", material.name(), format_unix(chain.leaf.not_before)))
                    .note(reader_note(ctx))
                    .help("reissue the certificate with a start date in the past, and check the clock of the machine that made it"),
            );
        }
    }
}

/// The certificate expires soon.
pub struct TokenCertExpiring;

impl Rule for TokenCertExpiring {
    fn id(&self) -> &'static str {
        "token-cert-expiring"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "the token certificate expires within `--expiry-days` (default 30)"
    }
    fn explain(&self) -> &'static str {
        "A reminder before `token-cert-expired` fires. Renew the certificate for the same key ahead \
of time; issued tokens stay valid because the key does not change."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let window = i64::from(ctx.settings.expiry_days) * 86_400;
        for (pair, validity) in each_leaf(ctx) {
            let (Validity::Valid { expires_in }, Some(material), Some(chain)) =
                (validity, &pair.cert, pair.cert_chain())
            else {
                continue;
            };
            if expires_in > window {
                continue;
            }
            out.push(
                material
                    .finding(
                        self.id(),
                        self.severity(),
                        format!(
                            "{} expires on {} (in {} days)",
                            material.name(),
                            format_unix(chain.leaf.not_after),
                            expires_in / 86_400
                        ),
                    )
                    .note(reader_note(ctx))
                    .help("issue a new certificate for the same key before it expires"),
            );
        }
    }
}
