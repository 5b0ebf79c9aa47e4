//! The rules: one file per rule (or small family), all registered in [`RULES`].
//!
//! Rules are pure: they read a prepared [`Context`] (effective values with spans, Secrets,
//! versions, `now`) and push [`Finding`]s. They never read files, the network or the clock.
//! A rule that cannot decide says so with [`Findings::skip`].

mod context;
pub mod fields;

mod admin_password_ignored;
mod backup_credential_changed;
mod chart_release_defect;
mod clock_skew;
mod database_major_upgrade;
mod database_password_changed;
mod default_password;
mod event_mount_failed;
mod event_scheduling_failed;
mod event_volume_multi_attach;
mod existing_secret;
mod external_database_too_old;
mod external_url_mismatch;
mod htpasswd_invalid;
mod jwt_no_leeway;
mod log_common;
mod log_csrf_key;
mod log_database_password;
mod log_database_upgrade_failed;
mod log_internal_secret_mismatch;
mod log_migration_dirty;
mod log_oidc_cli_secret_mismatch;
mod log_oidc_session_lost;
mod log_registry_credentials;
mod log_registry_http_secret;
mod log_secret_key_decrypt;
mod log_secret_key_length;
mod log_token_claims_invalid;
mod log_token_expired;
mod log_token_key_unreadable;
mod log_token_not_yet_valid;
mod log_token_signature_invalid;
mod log_trivy_cache_permission;
mod log_trivy_db_download;
mod log_trivy_skip_update_no_db;
mod migration_unguarded;
mod persistence_immutable_change;
mod placeholder;
mod rbac_forbidden;
mod redis_sentinel_address;
mod removed_component_data;
mod rendered_workloads;
mod reuse_values_stale;
mod rollout_failed;
mod rwo_rolling_update;
mod secret_key_changed;
mod secret_key_default;
mod secret_key_length;
mod secret_length;
mod secret_not_string;
mod secrets_regenerate;
mod tls_ca_regenerates;
mod tls_secret;
mod token_cert_invalid;
mod token_cert_validity;
mod token_key_changed;
mod token_key_ignored;
mod token_key_inconsistent;
mod token_key_invalid;
mod token_key_not_pkcs1;
mod token_key_not_rsa;
mod token_key_public;
mod token_key_rotates;
mod token_key_weak;
mod token_pair_incomplete;
mod token_pair_mismatch;
mod upgrade_path_downgrade;
mod upgrade_path_skip;
mod upgrade_values;
mod values_key_removed;
mod values_key_unknown;
mod values_key_unsupported;
mod values_keys;
mod xsrf_key_length;

use std::fmt::Write as _;

pub use backup_credential_changed::{BackupChange, BackupFacts};
pub use clock_skew::{clock_limits, ClockLimits};
pub use external_database_too_old::{parse_database_version, PgVersion};
pub use rollout_failed::FailedRollout;
pub use token_key_inconsistent::{PodKeyHash, TokenKeyFacts, TOKEN_KEY_PATH};

pub use context::{
    ClusterFacts, Context, DeniedRead, Effective, Field, FieldState, Material, Settings, TokenPair,
};

use crate::report::{Finding, Report, Severity, Skipped};

/// One rule: a stable ID, a default severity, its documentation and the check itself.
pub trait Rule: Sync {
    /// Stable kebab-case ID.
    fn id(&self) -> &'static str;
    /// The severity in DESIGN.md's table (a finding may differ, e.g. by target version).
    fn severity(&self) -> Severity;
    /// One line: when the rule fires.
    fn summary(&self) -> &'static str;
    /// Markdown: why it breaks Harbor and how to fix it.
    fn explain(&self) -> &'static str;
    /// Evaluates the rule.
    fn check(&self, ctx: &Context<'_>, out: &mut Findings);
}

/// Where rules put their results.
#[derive(Debug, Default)]
pub struct Findings {
    findings: Vec<Finding>,
    skipped: Vec<Skipped>,
}

impl Findings {
    /// Adds a finding.
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Records that `rule` could not be evaluated (or only partly), and why.
    pub fn skip(&mut self, rule: &'static str, reason: impl Into<String>) {
        let skipped = Skipped {
            rule,
            reason: reason.into(),
        };
        if !self.skipped.contains(&skipped) {
            self.skipped.push(skipped);
        }
    }
}

/// Every rule, in the order of DESIGN.md's tables.
pub static RULES: &[&dyn Rule] = &[
    &token_pair_incomplete::TokenPairIncomplete,
    &token_key_invalid::TokenKeyInvalid,
    &token_key_not_rsa::TokenKeyNotRsa,
    &token_key_not_pkcs1::TokenKeyNotPkcs1,
    &token_cert_invalid::TokenCertInvalid,
    &token_pair_mismatch::TokenPairMismatch,
    &token_cert_validity::TokenCertExpired,
    &token_cert_validity::TokenCertNotYetValid,
    &token_cert_validity::TokenCertExpiring,
    &token_key_weak::TokenKeyWeak,
    &token_key_public::TokenKeyPublic,
    &token_key_rotates::TokenKeyRotates,
    &secret_key_length::SecretKeyLength,
    &secret_key_default::SecretKeyDefault,
    &secret_key_changed::SecretKeyChanged,
    &xsrf_key_length::XsrfKeyLength,
    &secret_length::SecretLength,
    &secret_not_string::SecretNotString,
    &default_password::DefaultPassword,
    &database_password_changed::DatabasePasswordChanged,
    &admin_password_ignored::AdminPasswordIgnored,
    &secrets_regenerate::SecretsRegenerate,
    &htpasswd_invalid::HtpasswdInvalid,
    &existing_secret::ExistingSecretMissing,
    &existing_secret::ExistingSecretKeyMissing,
    &values_key_removed::ValuesKeyRemoved,
    &values_key_unknown::ValuesKeyUnknown,
    &values_key_unsupported::ValuesKeyUnsupported,
    &token_key_ignored::TokenKeyIgnored,
    &upgrade_path_downgrade::UpgradePathDowngrade,
    &upgrade_path_skip::UpgradePathSkip,
    &database_major_upgrade::DatabaseMajorUpgrade,
    &removed_component_data::RemovedComponentData,
    &jwt_no_leeway::JwtNoLeeway,
    &migration_unguarded::MigrationUnguarded,
    &rwo_rolling_update::RwoRollingUpdate,
    &persistence_immutable_change::PersistenceImmutableChange,
    &reuse_values_stale::ReuseValuesStale,
    &chart_release_defect::ChartReleaseDefect,
    &tls_ca_regenerates::TlsCaRegenerates,
    &external_url_mismatch::ExternalUrlMismatch,
    &external_database_too_old::ExternalDatabaseTooOld,
    &redis_sentinel_address::RedisSentinelAddress,
    &token_key_changed::TokenKeyChanged,
    &clock_skew::ClockSkew,
    &token_key_inconsistent::TokenKeyInconsistent,
    &tls_secret::TlsSecretInvalid,
    &tls_secret::TlsSecretExpiring,
    &rbac_forbidden::RbacForbidden,
    &log_token_not_yet_valid::LogTokenNotYetValid,
    &log_token_expired::LogTokenExpired,
    &log_token_signature_invalid::LogTokenSignatureInvalid,
    &log_token_claims_invalid::LogTokenClaimsInvalid,
    &log_token_key_unreadable::LogTokenKeyUnreadable,
    &log_secret_key_length::LogSecretKeyLength,
    &log_secret_key_decrypt::LogSecretKeyDecrypt,
    &log_oidc_cli_secret_mismatch::LogOidcCliSecretMismatch,
    &log_oidc_session_lost::LogOidcSessionLost,
    &log_csrf_key::LogCsrfKey,
    &log_internal_secret_mismatch::LogInternalSecretMismatch,
    &log_registry_credentials::LogRegistryCredentials,
    &log_registry_http_secret::LogRegistryHttpSecret,
    &log_database_password::LogDatabasePassword,
    &log_migration_dirty::LogMigrationDirty,
    &log_database_upgrade_failed::LogDatabaseUpgradeFailed,
    &log_trivy_cache_permission::LogTrivyCachePermission,
    &log_trivy_db_download::LogTrivyDbDownload,
    &log_trivy_skip_update_no_db::LogTrivySkipUpdateNoDb,
    &event_volume_multi_attach::EventVolumeMultiAttach,
    &event_mount_failed::EventMountFailed,
    &event_scheduling_failed::EventSchedulingFailed,
    &placeholder::Placeholder,
    &backup_credential_changed::BackupCredentialChanged,
    &rollout_failed::RolloutFailed,
];

/// The rule with this ID.
pub fn find_rule(id: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| r.id() == id)
}

/// Runs every rule and returns the sorted report.
pub fn run(ctx: &Context<'_>) -> Report {
    run_selected(ctx, |_| true)
}

/// Runs the rules `select` picks (`diagnose` runs the `log-*` rules and `rbac-forbidden`).
pub fn run_selected(ctx: &Context<'_>, select: impl Fn(&dyn Rule) -> bool) -> Report {
    let mut out = Findings::default();
    let mut checked = Vec::new();
    for rule in RULES.iter().copied().filter(|r| select(*r)) {
        rule.check(ctx, &mut out);
        checked.push(rule.id());
    }
    let mut report = Report {
        from: ctx.settings.from.map(|v| v.to_string()),
        to: ctx.settings.to.map(|v| v.to_string()),
        findings: out.findings,
        skipped: out.skipped,
        checked,
        ..Report::default()
    };
    report.sort(ctx.sources);
    report
}

/// Runs only the rules with these IDs (`clock check` judges the clock alone).
pub fn run_only(ctx: &Context<'_>, ids: &[&str]) -> Report {
    let mut out = Findings::default();
    let mut checked = Vec::new();
    for rule in RULES.iter().filter(|r| ids.contains(&r.id())) {
        rule.check(ctx, &mut out);
        checked.push(rule.id());
    }
    let mut report = Report {
        from: ctx.settings.from.map(|v| v.to_string()),
        to: ctx.settings.to.map(|v| v.to_string()),
        findings: out.findings,
        skipped: out.skipped,
        checked,
        ..Report::default()
    };
    report.sort(ctx.sources);
    report
}

/// `docs/rules.md`, generated from [`RULES`] (a test keeps the file in step).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n<!-- Generated from src/checks by `UPDATE_DOCS=1 cargo test rules_doc`; do not edit by hand. -->\n\n\
         Every rule has a stable ID. `harbor-upgrade preflight explain ID` prints the same text.\n\n\
         | rule | default severity | when |\n|---|---|---|\n",
    );
    for rule in RULES {
        let _ = writeln!(
            out,
            "| [`{0}`](#{0}) | {1} | {2} |",
            rule.id(),
            rule.severity(),
            rule.summary()
        );
    }
    for rule in RULES {
        let _ = write!(
            out,
            "\n## {}\n\nDefault severity: **{}**. {}\n\n{}\n",
            rule.id(),
            rule.severity(),
            rule.summary(),
            rule.explain().trim()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in RULES {
            assert!(seen.insert(rule.id()), "duplicate rule id {}", rule.id());
            assert!(
                rule.id()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{} is not kebab-case",
                rule.id()
            );
            assert!(!rule.summary().is_empty() && !rule.explain().trim().is_empty());
        }
    }

    #[test]
    fn rules_doc_is_in_step_with_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
        let generated = rules_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &generated).expect("write docs/rules.md");
        }
        let on_disk = std::fs::read_to_string(path).expect("docs/rules.md exists");
        assert!(
            on_disk == generated,
            "docs/rules.md is out of date: run `UPDATE_DOCS=1 cargo test rules_doc` and commit it"
        );
    }
}
