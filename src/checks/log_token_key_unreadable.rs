//! `log-token-key-unreadable`: core cannot read or use its token signing key, so token issuance
//! fails with HTTP 500.

use super::log_common::{flags, hits, lines_that, of};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `unable to get PrivateKey from PEM type`, `failed to read private key`,
/// `unable to decode private key PEM`, `Unexpected error when creating the token` in the logs.
pub struct LogTokenKeyUnreadable;

impl Rule for LogTokenKeyUnreadable {
    fn id(&self) -> &'static str {
        "log-token-key-unreadable"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show core cannot use its token key (PKCS#8 PEM, missing or not PEM): `/service/token` answers 500"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** `Unexpected error when creating the token, error: unable to get PrivateKey from PEM type: PRIVATE KEY` \
(the key is PKCS#8), `unable to decode private key PEM: unable to find PEM encoded data` (the key \
file holds no PEM: empty, badly indented `|` block, wrong Secret key) or \
`failed to read private key …` followed by `failed to get default options` (the file is missing \
or unreadable).\n\n\
**Cause:** Harbor issues tokens with libtrust, which accepts only `RSA PRIVATE KEY` (PKCS#1) or \
`EC PRIVATE KEY` PEM; `openssl req -newkey rsa:2048 -nodes -keyout tls.key` writes PKCS#8 \
`PRIVATE KEY`. `docker login` then gets `500 Internal Server Error`.\n\n\
**Confirm:** `harbor-upgrade preflight check --release NAME` or `harbor-upgrade keys inspect` \
(rules `token-key-not-pkcs1`, `token-key-invalid`, `token-pair-incomplete`, \
`existing-secret-key-missing`).\n\n\
**Fix:** convert the key with `openssl rsa -in tls.key -out tls.key -traditional` (OpenSSL 3), \
or write a fresh PKCS#1 pair with `harbor-upgrade keys rotate VALUES` or `keys generate`, then \
restart core."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let pem_types: Vec<String> = {
            let mut t: Vec<String> = of(&hits, &[Kind::PemType])
                .iter()
                .filter_map(|h| h.detail.clone())
                .collect();
            t.sort();
            t.dedup();
            t
        };
        let n = lines_that(hits.len(), "show");
        let only_creation = hits.iter().all(|h| h.signature.kind == Kind::TokenCreate);
        let (message, rule) = if only_creation {
            (format!("{n} core's token service failing to create tokens (`Unexpected error when creating the token`): `/service/token` answers 500; the rest of each line names the reason"), "token-key-invalid")
        } else if pem_types.iter().any(|t| t == "PRIVATE KEY") {
            (format!("{n} core cannot issue tokens: the token key is PKCS#8 (`PRIVATE KEY`) and Harbor needs PKCS#1 `RSA PRIVATE KEY`, so `/service/token` answers 500"), "token-key-not-pkcs1")
        } else if !pem_types.is_empty() {
            (format!("{n} core cannot issue tokens: the token key file holds PEM type `{}`, not `RSA PRIVATE KEY`", pem_types.join("`, `")), "token-key-invalid")
        } else {
            (format!("{n} core cannot read its token key: the key file is missing, empty or not PEM, so token issuance fails"), "token-key-invalid")
        };
        out.push(
            diagnose::finding(self.id(), self.severity(), message, &hits, scan, ctx.sources)
                .note(format!(
                    "cross-check: `harbor-upgrade preflight check{}` (rules `{rule}`, `token-pair-incomplete`, `existing-secret-key-missing`)",
                    flags(ctx)
                ))
                .help("write the key as PKCS#1 (`openssl rsa -in tls.key -out tls.key -traditional`) or make a fresh pair with `harbor-upgrade keys rotate VALUES`, then restart core"),
        );
    }
}
