//! `token-key-inconsistent`: the core pods do not all sign with the same private key, or not
//! with the key the live Secret holds.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use super::{Context, Findings, Rule};
use crate::report::{Finding, Origin, Severity};

/// Core pods hold different token keys.
pub struct TokenKeyInconsistent;

/// The digest of `/etc/core/private_key.pem` in one core pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodKeyHash {
    /// The pod.
    pub pod: String,
    /// Lowercase hex SHA-256 of the file, or why it could not be read.
    pub sha256: Result<String, String>,
}

/// What hashing the mounted token key in the core pods found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenKeyFacts {
    /// One entry per running core pod.
    pub pods: Vec<PodKeyHash>,
    /// Why the pods were not read at all (exec forbidden, no running core pod).
    pub not_read: Option<String>,
}

/// Where core reads the token key (`TOKEN_PRIVATE_KEY_PATH`'s default, mounted by the chart from
/// `tls.key` of the core Secret or of `core.secretName`).
pub const TOKEN_KEY_PATH: &str = "/etc/core/private_key.pem";

/// Twelve hex digits: enough to tell keys apart, nothing to brute-force.
fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

impl Rule for TokenKeyInconsistent {
    fn id(&self) -> &'static str {
        "token-key-inconsistent"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the running core pods hold different token signing keys, or not the live Secret's"
    }
    fn explain(&self) -> &'static str {
        "Each core pod signs registry tokens with the key mounted at `/etc/core/private_key.pem` \
and checks tokens with its public half. When replicas hold different keys, a token issued by one \
pod and presented to another fails with `crypto/rsa: verification error` (Harbor 2.11 and later: \
`token signature is invalid: crypto/rsa: verification error`): intermittent 401s that vanish \
with one replica. It happens when a pod started before the Secret changed (a rotated or \
re-rendered `tls.key`) and another after.\n\n\
With a cluster, `preflight check` runs `sha256sum /etc/core/private_key.pem` in every running \
core pod through exec (only the digest leaves the pod) and compares the digests with each other \
(error) and with the SHA-256 of `tls.key` in the live Secret the chart mounts (warning when all \
pods agree but differ from the Secret: they will switch keys on their next restart). When exec \
is forbidden the check is skipped and `rbac-forbidden` names the missing permission.\n\n\
**Fix:** restart the core Deployment so that every pod mounts the current Secret \
(`kubectl -n NS rollout restart deployment/<fullname>-core`), and pin the key \
(`core.secretName` or `core.tokenKey`/`core.tokenCert`) so that upgrades stop changing it."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(cluster) = ctx.cluster else {
            return;
        };
        let Some(facts) = &cluster.token_keys else {
            return;
        };
        if let Some(reason) = &facts.not_read {
            out.skip(self.id(), reason.clone());
            return;
        }
        let mut by_hash: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for pod in &facts.pods {
            match &pod.sha256 {
                Ok(hash) => by_hash.entry(hash).or_default().push(&pod.pod),
                Err(reason) => out.skip(
                    self.id(),
                    format!("the token key of pod `{}` was not read: {reason}", pod.pod),
                ),
            }
        }
        let (secret_name, secret_hash) = live_key(ctx);
        let object = cluster
            .release
            .as_ref()
            .map(|r| format!("cluster://{}/release/{r}", cluster.namespace));
        let describe = |hash: &str, pods: &[&str]| {
            let mark = if secret_hash.as_deref() == Some(hash) {
                " (the live Secret's)"
            } else {
                ""
            };
            format!(
                "sha256 {}…{mark}: {}",
                short(hash),
                pods.iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        if by_hash.len() > 1 {
            let mut finding = Finding::new(
                self.id(),
                Severity::Error,
                format!(
                    "the {} core pods hold {} different token keys: tokens issued by one are rejected by the others with `crypto/rsa: verification error`",
                    by_hash.values().map(Vec::len).sum::<usize>(),
                    by_hash.len()
                ),
            )
            .from_object(Origin::Cluster, object)
            .help("restart the core Deployment so that every pod mounts the current key, and pin the key (`core.secretName`) so that upgrades stop changing it");
            for (hash, pods) in &by_hash {
                finding = finding.note(describe(hash, pods));
            }
            out.push(finding);
            return;
        }
        let Some((hash, pods)) = by_hash.iter().next() else {
            return;
        };
        match (&secret_name, &secret_hash) {
            (Some(name), Some(live)) if live != hash => out.push(
                Finding::new(
                    self.id(),
                    Severity::Warning,
                    format!(
                        "the core pods hold a token key (sha256 {}…) that is not `tls.key` of Secret `{name}` (sha256 {}…): they switch keys on their next restart",
                        short(hash),
                        short(live)
                    ),
                )
                .from_object(Origin::Cluster, object)
                .help("restart the core Deployment now so that all pods change key together, or restore the key the pods run with")
                .note(describe(hash, pods)),
            ),
            (_, None) => out.skip(
                self.id(),
                "the live Secret's `tls.key` was not read: the pods were only compared with each other",
            ),
            _ => {}
        }
    }
}

/// The Secret core mounts its key from, and the SHA-256 of its `tls.key`.
fn live_key(ctx: &Context<'_>) -> (Option<String>, Option<String>) {
    let secret = match ctx.setting("core.secretName") {
        Some(name) => ctx.secret(name),
        None => ctx.core_secret(),
    };
    let Some(secret) = secret else {
        return (None, None);
    };
    let hash = secret
        .data
        .get("tls.key")
        .map(|e| hex(&Sha256::digest(&e.bytes)));
    (Some(secret.name.clone()), hash)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
