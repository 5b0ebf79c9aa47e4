//! `token-cert-invalid`: the token certificate does not parse.

use super::{Context, Findings, Rule};
use crate::report::Severity;

/// Not a parseable X.509 certificate.
pub struct TokenCertInvalid;

impl Rule for TokenCertInvalid {
    fn id(&self) -> &'static str {
        "token-cert-invalid"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the token certificate is not a parseable X.509 certificate"
    }
    fn explain(&self) -> &'static str {
        "`core.tokenCert` (or `tls.crt` of the core Secret) must be a PEM `CERTIFICATE` made from the \
token key. In charts up to 1.12 notary-server loads it as its token root certificate and fails \
to start or to verify tokens when it does not parse; in later charts nothing reads it, but a \
certificate that does not parse usually means the value was pasted wrong (a private key in the \
certificate field, a cut-off block).\n\n**Fix:** supply the PEM certificate that belongs to the \
key (`openssl req -x509 -key tls.key -subj /CN=harbor-token-ca -days 3650 -out tls.crt`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for pair in &ctx.token_pairs {
            let (Some(material), Some(Err(e))) = (&pair.cert, &pair.parsed_cert) else {
                continue;
            };
            out.push(
                material
                    .finding(self.id(), self.severity(), format!("{} is not a usable certificate: {e}", material.name()))
                    .help("supply the PEM certificate made from the token key, or blank both token fields so the chart generates a pair"),
            );
        }
    }
}
