//! `backup-credential-changed`: since the backup `verify --backup` compares with, a credential
//! changed in a way that breaks Harbor (the `DANGER` lines of `keys diff`).

use super::{Context, Findings, Rule};
use crate::report::{Finding, Origin, Severity};

/// A dangerous change against the backup.
pub struct BackupCredentialChanged;

/// One dangerous change `keys diff` found, by fingerprint only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupChange {
    /// The Secret.
    pub secret: String,
    /// The key, or `None` when the whole Secret is gone.
    pub key: Option<String>,
    /// Fingerprint in the backup.
    pub before: Option<String>,
    /// Fingerprint today.
    pub after: Option<String>,
    /// Why it breaks Harbor.
    pub why: String,
}

/// What comparing the live Secrets with a backup found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BackupFacts {
    /// The backup, as given.
    pub backup: String,
    /// When it was taken (RFC 3339).
    pub created_at: String,
    /// The dangerous changes (none: the backup matches or changed harmlessly).
    pub dangerous: Vec<BackupChange>,
}

impl Rule for BackupCredentialChanged {
    fn id(&self) -> &'static str {
        "backup-credential-changed"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "against the backup given to `verify`, `secretKey`, a database password or the token pair changed in a way that breaks Harbor"
    }
    fn explain(&self) -> &'static str {
        "`harbor-upgrade verify --backup BUNDLE` (and `harbor-upgrade upgrade`, with the backup it \
takes before Helm runs) compares every credential of the backup with the live Secrets, as \
`harbor-upgrade keys diff` does, by SHA-256 fingerprint. Rotations the chart makes on purpose \
(the token pair as a matching pair, inter-component secrets) are fine. Three changes are not: \
`secretKey` changed (replication, OIDC and LDAP credentials stored in the database decrypt to \
garbage), the database password changed (the database keeps the old one and core cannot \
connect), and a live token pair whose certificate was not made from its key (tokens fail \
verification with `crypto/rsa: verification error`). A Secret that held one of them and is \
gone counts too.\n\n\
**Fix:** put the backed-up values back (`harbor-upgrade keys restore BUNDLE --policy update`, \
or `helm upgrade … -f values-credentials.yaml` from the bundle), or roll the release back \
(`helm rollback RELEASE REVISION`); see docs/upgrade.md."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(facts) = ctx.cluster.and_then(|c| c.backup.as_ref()) else {
            return;
        };
        let namespace = ctx
            .cluster
            .map(|c| c.namespace.as_str())
            .unwrap_or_default();
        for change in &facts.dangerous {
            let what = match &change.key {
                Some(key) => format!("`{key}` of Secret `{}`", change.secret),
                None => format!("Secret `{}`", change.secret),
            };
            let mut finding = Finding::new(
                self.id(),
                self.severity(),
                format!(
                    "{what} against the backup {} (taken {}): {}",
                    facts.backup, facts.created_at, change.why
                ),
            )
            .from_object(
                Origin::Secret,
                Some(format!("cluster://{namespace}/secret/{}", change.secret)),
            )
            .help(format!(
                "restore it from the backup (`harbor-upgrade keys restore {} --policy update`) or roll the release back",
                facts.backup
            ));
            if let Some(before) = &change.before {
                finding = finding.note(format!("in the backup: {before}"));
            }
            if let Some(after) = &change.after {
                finding = finding.note(format!("live: {after}"));
            }
            out.push(finding);
        }
    }
}
