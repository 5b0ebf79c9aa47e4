//! The signature table: the exact texts Harbor, distribution, golang-jwt, oauth2 and the database
//! log for each credential, key and clock failure, with the Harbor versions that print each
//! wording; the Trivy adapter's cache and database failures; and the messages of the Warning
//! events of Harbor's pods and volumes (attach, mount and scheduling failures), as the API
//! returns them and as `kubectl describe` / `kubectl get events` print them. Sources:
//! harbor-facts §5.3 (JWT texts per golang-jwt version) and §8 (log format strings), and the
//! user reports and Kubernetes sources quoted in `docs/diagnose.md`.
//!
//! Order matters: a line is attributed to the first signature that matches it, so the more
//! specific wording comes first (`token signature is invalid: crypto/rsa: …` before
//! `crypto/rsa: …`, `crypto/aes: invalid key size` before `decrypt password failed`).
//!
//! A line is first run through one Aho-Corasick automaton of every needle; only the few lines
//! it flags are attributed by walking the table in order.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

/// What a signature means; rules branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// golang-jwt v5 `token has invalid claims: token is not valid yet`.
    NotValidYetV5,
    /// golang-jwt v4 `token is not valid yet`.
    NotValidYet,
    /// golang-jwt v4 `token used before issued`.
    UsedBeforeIssued,
    /// golang-jwt v5 `token has invalid claims: token is expired` (no duration).
    ExpiredV5,
    /// golang-jwt v4 `token is expired by D`.
    ExpiredBy,
    /// golang-jwt v5 `token signature is invalid: crypto/rsa: verification error`.
    SignatureV5,
    /// `crypto/rsa: verification error` (v4 prints the bare standard-library error).
    Signature,
    /// notary / distribution: `token signed by untrusted key with ID`.
    UntrustedKey,
    /// libtrust `unable to get PrivateKey from PEM type: T`.
    PemType,
    /// `failed to read private key`.
    ReadPrivateKey,
    /// `unable to decode private key PEM`.
    DecodePem,
    /// `Unexpected error when creating the token` (the token service's 500, any reason).
    TokenCreate,
    /// golang-jwt v4 / Harbor's `Valid()`: `invalid token audience`.
    AudienceV4,
    /// golang-jwt v4 / Harbor's `Valid()`: `invalid token issuer`.
    IssuerV4,
    /// golang-jwt v5: `token has invalid audience` (and `token has invalid issuer`).
    ClaimsV5,
    /// `crypto/aes: invalid key size N`.
    AesKeySize,
    /// `decrypt password failed`.
    DecryptPassword,
    /// `failed to decrypt secret from DB`.
    DecryptSecretFromDb,
    /// `failed to decrypt token` (startup fix-up of OIDC tokens).
    DecryptToken,
    /// `failed to verify the secret: secret mismatch` (OIDC CLI secret).
    SecretMismatch,
    /// Keycloak's `Offline user session not found` through oauth2 ≥ v0.8.0.
    OfflineSessionShort,
    /// The same through older oauth2: `Response: {"error":"invalid_grant","error_description":…}`.
    OfflineSessionLong,
    /// Harbor ≤ 2.12 `Invalid CSRF key from environment: KEY, generating random key...`.
    CsrfKeyRandom,
    /// Harbor ≥ 2.13 `Invalid CSRF key length from the environment`.
    CsrfKeyLength,
    /// gorilla/csrf `CSRF token invalid` / `CSRF token not found in request`.
    CsrfTokenInvalid,
    /// jobservice startup: `Failed on load rest config` (401 from core).
    RestConfig,
    /// jobservice: `'Authorization' should start with 'Harbor-Secret'`.
    HarborSecretScheme,
    /// jobservice: `{"code":10011,"message":"unauthorized",…}`.
    JobserviceUnauthorized,
    /// registryctl: `failed to authenticate request: invalid authorization credential`.
    RegistryctlCredential,
    /// distribution htpasswd: `error authenticating user "harbor_registry_user": authentication failure`.
    HtpasswdFailure,
    /// distribution: `basic authentication challenge for realm "harbor-registry-basic-realm"`.
    BasicChallenge,
    /// core's registry client: `http status code: 401, body: {"errors":[{"code":"UNAUTHORIZED"…`.
    RegistryClient401,
    /// distribution: `error resolving upload: invalid secret`.
    UploadInvalidSecret,
    /// distribution: `No HTTP secret provided - generated random secret`.
    NoHttpSecret,
    /// The database: `password authentication failed for user`.
    DatabasePassword,
    /// core / migration: `failed to initialize database`.
    DatabaseInit,
    /// golang-migrate `Dirty database version N. Fix and force version.` (core's schema migration).
    MigrationDirty,
    /// The internal database's PostgreSQL major upgrade or `initdb` failing at startup.
    DatabaseUpgrade,
    /// The Trivy adapter cannot create or write its cache directory (`permission denied`).
    TrivyCachePermission,
    /// Trivy cannot download its vulnerability database.
    TrivyDbDownload,
    /// Trivy cannot download its Java database.
    TrivyJavaDbDownload,
    /// Trivy told to skip the database update (`trivy.skipUpdate`) with no database in its cache.
    TrivySkipUpdateNoDb,
    /// Trivy's cached database has a schema this Trivy cannot read (an old offline copy).
    TrivyDbSchema,
    /// Event `FailedAttachVolume`: `Multi-Attach error for volume`.
    MultiAttach,
    /// Event `FailedAttachVolume` of another cause (`AttachVolume.Attach failed`).
    AttachFailed,
    /// Event `FailedMount`: `MountVolume.SetUp failed`, `Unable to attach or mount volumes`.
    MountFailed,
    /// Event `FailedScheduling`: `volume node affinity conflict`.
    SchedulingVolumeAffinity,
    /// Event `FailedScheduling`: `pod has unbound immediate PersistentVolumeClaims`.
    SchedulingUnboundClaim,
    /// Event `FailedScheduling` of another cause (`0/3 nodes are available: …`).
    SchedulingOther,
}

/// One text to look for.
#[derive(Debug)]
pub struct Signature {
    /// The rule that reports it.
    pub rule: &'static str,
    /// What it means.
    pub kind: Kind,
    /// Any of these texts (case-sensitive, as logged; registry lines escape quotes, so texts
    /// with quotes are listed escaped too).
    pub needles: &'static [&'static str],
    /// The line must also contain this.
    pub also: Option<&'static str>,
    /// Who logs it, in which Harbor versions.
    pub wording: &'static str,
}

/// Every signature, most specific first.
pub static SIGNATURES: &[Signature] = &[
    Signature {
        rule: "log-token-not-yet-valid",
        kind: Kind::NotValidYetV5,
        needles: &["token has invalid claims: token is not valid yet"],
        also: None,
        wording: "Harbor 2.11 and later (golang-jwt v5): logged only beyond the 60 s leeway",
    },
    Signature {
        rule: "log-token-not-yet-valid",
        kind: Kind::NotValidYet,
        needles: &["token is not valid yet"],
        also: None,
        wording: "Harbor 2.5–2.10 (golang-jwt v4.1, v4.2, v4.4): no leeway",
    },
    Signature {
        rule: "log-token-not-yet-valid",
        kind: Kind::UsedBeforeIssued,
        needles: &["token used before issued"],
        also: None,
        wording: "Harbor 2.5–2.10 (golang-jwt v4): `iat` in the future, no leeway",
    },
    Signature {
        rule: "log-token-expired",
        kind: Kind::ExpiredV5,
        needles: &["token has invalid claims: token is expired"],
        also: None,
        wording: "Harbor 2.11 and later (golang-jwt v5), which does not say by how much",
    },
    Signature {
        rule: "log-token-expired",
        kind: Kind::ExpiredBy,
        needles: &["token is expired by "],
        also: None,
        wording: "Harbor 2.5–2.10 (golang-jwt v4), and robot tokens of Harbor 1.x",
    },
    Signature {
        rule: "log-token-signature-invalid",
        kind: Kind::SignatureV5,
        needles: &["token signature is invalid: crypto/rsa: verification error"],
        also: None,
        wording: "Harbor 2.11 and later (golang-jwt v5)",
    },
    Signature {
        rule: "log-token-signature-invalid",
        kind: Kind::Signature,
        needles: &["crypto/rsa: verification error"],
        also: None,
        wording: "Harbor 2.5–2.10 (golang-jwt v4)",
    },
    Signature {
        rule: "log-token-signature-invalid",
        kind: Kind::UntrustedKey,
        needles: &["token signed by untrusted key with ID"],
        also: None,
        wording: "notary-server (charts up to 1.12 with notary enabled)",
    },
    Signature {
        rule: "log-token-claims-invalid",
        kind: Kind::ClaimsV5,
        needles: &["token has invalid audience", "token has invalid issuer"],
        also: None,
        wording: "Harbor 2.11 and later (golang-jwt v5, v2_token's audience check)",
    },
    Signature {
        rule: "log-token-claims-invalid",
        kind: Kind::AudienceV4,
        needles: &["invalid token audience"],
        also: None,
        wording: "Harbor 2.5–2.10 (Harbor's own claims check on golang-jwt v4)",
    },
    Signature {
        rule: "log-token-claims-invalid",
        kind: Kind::IssuerV4,
        needles: &["invalid token issuer"],
        also: None,
        wording: "Harbor 2.5–2.10 (Harbor's own claims check on golang-jwt v4)",
    },
    Signature {
        rule: "log-token-key-unreadable",
        kind: Kind::PemType,
        needles: &["unable to get PrivateKey from PEM type"],
        also: None,
        wording: "core's token service, every Harbor 2.x (libtrust)",
    },
    Signature {
        rule: "log-token-key-unreadable",
        kind: Kind::ReadPrivateKey,
        needles: &["failed to read private key"],
        also: None,
        wording: "core, every Harbor 2.x (`src/pkg/token/options.go`)",
    },
    Signature {
        rule: "log-token-key-unreadable",
        kind: Kind::DecodePem,
        needles: &["unable to decode private key PEM"],
        also: None,
        wording: "core's token service, every Harbor 2.x (libtrust)",
    },
    Signature {
        rule: "log-token-key-unreadable",
        kind: Kind::TokenCreate,
        needles: &["Unexpected error when creating the token"],
        also: None,
        wording: "core's token service, every Harbor 2.x (`src/core/service/token/token.go`)",
    },
    Signature {
        rule: "log-secret-key-length",
        kind: Kind::AesKeySize,
        needles: &["crypto/aes: invalid key size "],
        also: None,
        wording: "core, every Harbor 2.x (Go's `crypto/aes`)",
    },
    Signature {
        rule: "log-secret-key-decrypt",
        kind: Kind::DecryptPassword,
        needles: &["decrypt password failed"],
        also: None,
        wording: "core configuration store, every Harbor 2.x",
    },
    Signature {
        rule: "log-secret-key-decrypt",
        kind: Kind::DecryptSecretFromDb,
        needles: &["failed to decrypt secret from DB"],
        also: None,
        wording: "core OIDC CLI secrets, every Harbor 2.x",
    },
    Signature {
        rule: "log-secret-key-decrypt",
        kind: Kind::DecryptToken,
        needles: &["failed to decrypt token"],
        also: None,
        wording: "core startup fix-up of stored OIDC tokens",
    },
    Signature {
        rule: "log-oidc-cli-secret-mismatch",
        kind: Kind::SecretMismatch,
        needles: &["secret mismatch"],
        also: None,
        wording: "core, every Harbor 2.x; from 2.13 not logged for the admin user",
    },
    Signature {
        rule: "log-oidc-session-lost",
        kind: Kind::OfflineSessionShort,
        needles: &[
            "\"invalid_grant\" \"Offline user session not found\"",
            "\\\"invalid_grant\\\" \\\"Offline user session not found\\\"",
        ],
        also: None,
        wording: "oauth2 v0.8.0 and later: Harbor 2.7.4, 2.8.5+, 2.9.1+, 2.10 and later",
    },
    Signature {
        rule: "log-oidc-session-lost",
        kind: Kind::OfflineSessionLong,
        needles: &["Offline user session not found"],
        also: None,
        wording: "oauth2 before v0.8.0: Harbor up to 2.8.4 and 2.9.0 (two lines: `cannot fetch token: 400 Bad Request`, then `Response: {…}`)",
    },
    Signature {
        rule: "log-csrf-key",
        kind: Kind::CsrfKeyRandom,
        needles: &["Invalid CSRF key from environment"],
        also: None,
        wording: "Harbor up to 2.12: each core pod then makes its own random key",
    },
    Signature {
        rule: "log-csrf-key",
        kind: Kind::CsrfKeyLength,
        needles: &[
            "Invalid CSRF key length from the environment",
            "invalid CSRF key length from the environment",
        ],
        also: None,
        wording: "Harbor 2.13 and later: requests fail until the key is 32 characters",
    },
    Signature {
        rule: "log-csrf-key",
        kind: Kind::CsrfTokenInvalid,
        needles: &["CSRF token invalid", "CSRF token not found in request"],
        also: None,
        wording: "core (gorilla/csrf), every Harbor 2.x",
    },
    Signature {
        rule: "log-internal-secret-mismatch",
        kind: Kind::RestConfig,
        needles: &["Failed on load rest config"],
        also: None,
        wording: "jobservice at startup, every Harbor 2.x; followed by a panic and CrashLoopBackOff",
    },
    Signature {
        rule: "log-internal-secret-mismatch",
        kind: Kind::HarborSecretScheme,
        needles: &["'Authorization' should start with 'Harbor-Secret'"],
        also: None,
        wording: "jobservice, Harbor 2.5–2.14",
    },
    Signature {
        rule: "log-internal-secret-mismatch",
        kind: Kind::JobserviceUnauthorized,
        needles: &["\"code\":10011", "\\\"code\\\":10011"],
        also: None,
        wording: "jobservice (code 10011), Harbor 2.5–2.14",
    },
    Signature {
        rule: "log-internal-secret-mismatch",
        kind: Kind::RegistryctlCredential,
        needles: &["failed to authenticate request: invalid authorization credential"],
        also: None,
        wording: "registryctl, every Harbor 2.x",
    },
    Signature {
        rule: "log-registry-credentials",
        kind: Kind::HtpasswdFailure,
        needles: &["error authenticating user"],
        also: Some("authentication failure"),
        wording: "registry (distribution htpasswd), every Harbor 2.x",
    },
    Signature {
        rule: "log-registry-credentials",
        kind: Kind::BasicChallenge,
        needles: &["basic authentication challenge for realm"],
        also: None,
        wording: "registry (distribution), every Harbor 2.x",
    },
    Signature {
        rule: "log-registry-credentials",
        kind: Kind::RegistryClient401,
        needles: &[
            "http status code: 401, body: {\"errors\":[{\"code\":\"UNAUTHORIZED\"",
            "http status code: 401, body: {\\\"errors\\\":[{\\\"code\\\":\\\"UNAUTHORIZED\\\"",
        ],
        also: None,
        wording: "core's registry client (`src/pkg/registry/client.go`), every Harbor 2.x",
    },
    Signature {
        rule: "log-registry-http-secret",
        kind: Kind::UploadInvalidSecret,
        needles: &["error resolving upload: invalid secret"],
        also: None,
        wording: "registry (distribution), every Harbor 2.x",
    },
    Signature {
        rule: "log-registry-http-secret",
        kind: Kind::NoHttpSecret,
        needles: &["No HTTP secret provided"],
        also: None,
        wording: "registry (distribution) at startup, every Harbor 2.x",
    },
    Signature {
        rule: "log-database-password",
        kind: Kind::DatabasePassword,
        needles: &["password authentication failed for user"],
        also: None,
        wording: "PostgreSQL (SQLSTATE 28P01), in core, the migration Job or the database pod",
    },
    Signature {
        rule: "log-database-password",
        kind: Kind::DatabaseInit,
        needles: &["failed to initialize database"],
        also: None,
        wording: "core and the migration Job at startup, every Harbor 2.x",
    },
    Signature {
        rule: "log-migration-dirty",
        kind: Kind::MigrationDirty,
        needles: &["Dirty database version"],
        also: Some("Fix and force version"),
        wording: "core (golang-migrate) at startup, every Harbor 2.x: a schema migration stopped half-way",
    },
    Signature {
        rule: "log-database-upgrade-failed",
        kind: Kind::DatabaseUpgrade,
        needles: &[
            "initdb: error: program \"postgres\" is needed",
            "initdb: error: directory",
            "popen failure: Cannot allocate memory",
            "has group or world access",
            "database files are incompatible with server",
        ],
        also: None,
        wording: "the internal database pod (harbor-db) at startup, when it upgrades PostgreSQL 13 → 14 → 15 in place or initialises its data directory",
    },
    Signature {
        rule: "log-trivy-cache-permission",
        kind: Kind::TrivyCachePermission,
        needles: &[
            "creating trivy cache dir: mkdir",
            "mkdir /home/scanner/.cache",
            "failed to create cache dir: mkdir",
        ],
        also: Some("permission denied"),
        wording: "the Trivy adapter at startup (`checking config: creating trivy cache dir`), or Trivy during a scan (`/home/scanner/.cache/trivy/fanal`), every chart",
    },
    Signature {
        rule: "log-trivy-skip-update-no-db",
        kind: Kind::TrivySkipUpdateNoDb,
        needles: &[
            "cannot be specified on the first run",
            "The first run cannot skip downloading DB",
        ],
        also: None,
        wording: "Trivy inside the adapter: `--skip-update` (Trivy before 0.48) or `--skip-db-update`, set by `trivy.skipUpdate`, with no database in the cache",
    },
    Signature {
        rule: "log-trivy-skip-update-no-db",
        kind: Kind::TrivyDbSchema,
        needles: &["The local DB has an old schema version"],
        also: None,
        wording: "Trivy inside the adapter: the database in the cache is an offline copy of an older schema",
    },
    Signature {
        rule: "log-trivy-db-download",
        kind: Kind::TrivyJavaDbDownload,
        needles: &[
            "Java DB update failed",
            "failed to download Java DB",
        ],
        also: None,
        wording: "Trivy inside the adapter, scanning an image with JAR files (Trivy 0.37 and later)",
    },
    Signature {
        rule: "log-trivy-db-download",
        kind: Kind::TrivyDbDownload,
        needles: &["failed to download vulnerability DB"],
        also: None,
        wording: "Trivy inside the adapter: from GitHub releases before Trivy 0.23, from an OCI registry (`ghcr.io`, `mirror.gcr.io`) since then",
    },
    Signature {
        rule: "event-volume-multi-attach",
        kind: Kind::MultiAttach,
        needles: &["Multi-Attach error for volume"],
        also: None,
        wording: "Kubernetes attach/detach controller, event `FailedAttachVolume`",
    },
    Signature {
        rule: "event-scheduling-failed",
        kind: Kind::SchedulingVolumeAffinity,
        needles: &["volume node affinity conflict"],
        also: None,
        wording: "Kubernetes scheduler (VolumeBinding), event `FailedScheduling`",
    },
    Signature {
        rule: "event-scheduling-failed",
        kind: Kind::SchedulingUnboundClaim,
        needles: &["pod has unbound immediate PersistentVolumeClaims"],
        also: None,
        wording: "Kubernetes scheduler (VolumeBinding), event `FailedScheduling`",
    },
    Signature {
        rule: "event-scheduling-failed",
        kind: Kind::SchedulingOther,
        needles: &["nodes are available: "],
        also: None,
        wording: "Kubernetes scheduler, event `FailedScheduling`",
    },
    Signature {
        rule: "event-mount-failed",
        kind: Kind::AttachFailed,
        needles: &["AttachVolume.Attach failed for volume"],
        also: None,
        wording: "Kubernetes attach/detach controller, event `FailedAttachVolume`",
    },
    Signature {
        rule: "event-mount-failed",
        kind: Kind::MountFailed,
        needles: &["MountVolume.SetUp failed for volume"],
        also: None,
        wording: "kubelet, event `FailedMount`",
    },
    Signature {
        rule: "event-mount-failed",
        kind: Kind::MountFailed,
        needles: &["MountVolume.MountDevice failed for volume"],
        also: None,
        wording: "kubelet, event `FailedMount`, staging the volume on the node",
    },
    Signature {
        rule: "event-mount-failed",
        kind: Kind::MountFailed,
        needles: &["Unable to attach or mount volumes"],
        also: None,
        wording: "kubelet, event `FailedMount`, after the attach or mount timed out",
    },
];

/// Every needle of the table in one automaton: one pass over a line tells whether any
/// signature can match, so the lines that show none (nearly all of them) cost one scan.
static PREFILTER: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    let needles = SIGNATURES.iter().flat_map(|s| s.needles.iter().copied());
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::DFA))
        .build(needles)
        .ok()
});

/// The first signature that `line` shows, with the byte range of the matched text.
pub fn match_line(line: &str) -> Option<(&'static Signature, std::ops::Range<usize>)> {
    // Without the automaton (it cannot fail to build from these needles) every line takes the
    // exact path below, which alone decides the result.
    if let Some(prefilter) = PREFILTER.as_ref() {
        if !prefilter.is_match(line) {
            return None;
        }
    }
    SIGNATURES.iter().find_map(|sig| {
        if sig.also.is_some_and(|also| !line.contains(also)) {
            return None;
        }
        sig.needles
            .iter()
            .find_map(|needle| line.find(needle).map(|at| (sig, at..at + needle.len())))
    })
}

/// What follows the matched text that the rule needs: the duration of `token is expired by`,
/// the size of `invalid key size`, the PEM type.
pub fn detail(kind: Kind, after: &str) -> Option<String> {
    let detail = match kind {
        Kind::ExpiredBy => super::duration::duration_prefix(after),
        Kind::AesKeySize => {
            let end = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            &after[..end]
        }
        Kind::MultiAttach => after
            .split_once("Volume is already used by pod(s) ")
            .map_or("", |(_, pods)| {
                pods.split([' ', '\t']).next().unwrap_or_default()
            })
            .trim_end_matches([',', '.']),
        Kind::MountFailed => missing_object(after),
        Kind::PemType => {
            let after = after.trim_start_matches([':', ' ']);
            let end = after
                .find(|c: char| !(c.is_ascii_uppercase() || c == ' '))
                .unwrap_or(after.len());
            after[..end].trim_end()
        }
        _ => return None,
    };
    (!detail.is_empty()).then(|| detail.to_string())
}

/// The detail of a hit of `kind` matched at `range` of `line`: what follows the match
/// ([`detail`]), except for Trivy's download failures, whose reason (`TOOMANYREQUESTS`, a
/// timeout) may come before Trivy's final `failed to download vulnerability DB`.
pub fn detail_of(kind: Kind, line: &str, range: std::ops::Range<usize>) -> Option<String> {
    match kind {
        Kind::TrivyDbDownload | Kind::TrivyJavaDbDownload => {
            let class = download_failure(line);
            (!class.is_empty()).then(|| class.to_string())
        }
        _ => detail(kind, line.get(range.end..).unwrap_or_default()),
    }
}

/// Why a Trivy database download failed, as the rule words its help: `rate-limited` (ghcr.io's
/// `TOOMANYREQUESTS`, GitHub's `API rate limit exceeded`), `unreachable` (DNS, timeouts, refused
/// connections, a proxy's `Forbidden`), or nothing when the line does not say.
fn download_failure(after: &str) -> &'static str {
    const RATE: &[&str] = &[
        "TOOMANYREQUESTS",
        "rate limit exceeded",
        "429 Too Many Requests",
    ];
    const NETWORK: &[&str] = &[
        "i/o timeout",
        "no such host",
        "connection refused",
        "dial tcp",
        "Forbidden",
        "TLS handshake timeout",
        "x509: certificate",
    ];
    if RATE.iter().any(|t| after.contains(t)) {
        "rate-limited"
    } else if NETWORK.iter().any(|t| after.contains(t)) {
        "unreachable"
    } else {
        ""
    }
}

/// `secret "NAME"` or `configmap "NAME"` of a mount that failed because the object is missing
/// (`MountVolume.SetUp failed for volume "x" : secret "harbor-core" not found`).
fn missing_object(after: &str) -> &str {
    for kind in ["secret \"", "configmap \""] {
        if let Some(at) = after.find(kind) {
            let rest = &after[at..];
            if let Some(end) = rest[kind.len()..].find('"') {
                let whole = &rest[..=kind.len() + end];
                if rest[whole.len()..].starts_with(" not found") {
                    return whole;
                }
            }
        }
    }
    ""
}

/// The first Harbor release whose source the signature texts were checked against.
pub const CHECKED_FROM: &str = "2.5.0";

/// The newest Harbor release whose source the signature texts were checked against.
pub const CHECKED_THROUGH: &str = "2.15.2";

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(line: &str) -> Option<Kind> {
        match_line(line).map(|(s, _)| s.kind)
    }

    #[test]
    fn the_more_specific_wording_wins() {
        assert_eq!(
            kind("parse token error, token signature is invalid: crypto/rsa: verification error"),
            Some(Kind::SignatureV5)
        );
        assert_eq!(
            kind("parse token error, crypto/rsa: verification error"),
            Some(Kind::Signature)
        );
        assert_eq!(
            kind("decrypt password failed, key: oidc_client_secret, error crypto/aes: invalid key size 17,"),
            Some(Kind::AesKeySize)
        );
        assert_eq!(
            kind(
                r#"Serve http request 'POST /api/v1/jobs' failed with error: {"code":10011,"message":"unauthorized","details":"'Authorization' should start with 'Harbor-Secret'"}"#
            ),
            Some(Kind::HarborSecretScheme)
        );
        assert_eq!(
            kind("failed to initialize database: failed to connect: password authentication failed for user \"postgres\" (SQLSTATE 28P01)"),
            Some(Kind::DatabasePassword)
        );
    }

    #[test]
    fn both_oauth2_wordings() {
        assert_eq!(
            kind(
                r#"failed to refresh token, username: u, error: oauth2: "invalid_grant" "Offline user session not found""#
            ),
            Some(Kind::OfflineSessionShort)
        );
        assert_eq!(
            kind(
                r#"Response: {"error":"invalid_grant","error_description":"Offline user session not found"}"#
            ),
            Some(Kind::OfflineSessionLong)
        );
    }

    #[test]
    fn registry_lines_escape_quotes() {
        assert_eq!(
            kind(
                r#"time="2024-06-03T08:15:02Z" level=error msg="error authenticating user \"harbor_registry_user\": authentication failure""#
            ),
            Some(Kind::HtpasswdFailure)
        );
    }

    // The automaton only skips lines: every needle, anywhere in a line, still matches.
    #[test]
    fn prefilter_lets_every_needle_through() {
        for sig in SIGNATURES {
            for needle in sig.needles {
                let line = match sig.also {
                    Some(also) => format!("x {needle} y {also}"),
                    None => format!("x {needle} y"),
                };
                assert!(match_line(&line).is_some(), "{needle}");
            }
        }
        assert!(match_line("2024-06-03T08:00:00Z [INFO] [/core/main.go:1]: ping").is_none());
    }

    #[test]
    fn details() {
        assert_eq!(detail(Kind::ExpiredBy, "25m6s"), Some("25m6s".into()));
        assert_eq!(detail(Kind::AesKeySize, "17,"), Some("17".into()));
        assert_eq!(
            detail(Kind::PemType, ": PRIVATE KEY"),
            Some("PRIVATE KEY".into())
        );
        assert_eq!(detail(Kind::Signature, "x"), None);
    }

    // The adapter's JSON lines and `kubectl describe` event rows, as the reports show them.
    #[test]
    fn trivy_and_event_lines() {
        assert_eq!(
            kind(
                r#"{"level":"fatal","msg":"Error: checking config: creating trivy cache dir: mkdir /home/scanner/.cache/trivy: permission denied","time":"2021-03-04T18:24:10Z"}"#
            ),
            Some(Kind::TrivyCachePermission)
        );
        // The warning before it names the same directory but is no failure.
        assert_eq!(
            kind(
                r#"{"level":"warning","msg":"trivy cache dir does not exist","path":"/home/scanner/.cache/trivy","time":"2021-03-04T18:24:10Z"}"#
            ),
            None
        );
        let line = r"2024-10-15T14:30:19Z	FATAL	Fatal error	init error: DB error: failed to download vulnerability DB: OCI artifact error: OCI repository error: GET https://ghcr.io/v2/aquasecurity/trivy-db/manifests/2: TOOMANYREQUESTS: retry-after: 127.702µs, allowed: 44000/minute";
        let (sig, range) = match_line(line).expect("a hit");
        assert_eq!(sig.kind, Kind::TrivyDbDownload);
        assert_eq!(
            detail_of(sig.kind, line, range),
            Some("rate-limited".into())
        );
        // The reason may come before Trivy's last words.
        let line = r#"err="OCI repository error: GET https://ghcr.io/v2/: TOOMANYREQUESTS" FATAL init error: DB error: failed to download vulnerability DB: failed to download artifact from any source"#;
        let (sig, range) = match_line(line).expect("a hit");
        assert_eq!(
            detail_of(sig.kind, line, range),
            Some("rate-limited".into())
        );
        let line = r#"Java DB update failed: OCI repository error: Get "https://ghcr.io/v2/": dial tcp 20.205.243.164:443: i/o timeout"#;
        let (sig, range) = match_line(line).expect("a hit");
        assert_eq!(detail_of(sig.kind, line, range), Some("unreachable".into()));
        assert_eq!(
            kind(
                r"2020-05-20T11:40:48.964Z	FATAL	database error: --skip-update cannot be specified on the first run"
            ),
            Some(Kind::TrivySkipUpdateNoDb)
        );
        let row = "  Warning  FailedScheduling  3m  default-scheduler  0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't match Pod's node affinity/selector.";
        assert_eq!(kind(row), Some(Kind::SchedulingVolumeAffinity));
        let row = r#"  Warning  FailedAttachVolume  2m  attachdetach-controller  Multi-Attach error for volume "pvc-0c8f" Volume is already used by pod(s) harbor-registry-5b4c8f9d8-abcde"#;
        let (sig, range) = match_line(row).expect("a hit");
        assert_eq!(sig.kind, Kind::MultiAttach);
        assert_eq!(
            detail(sig.kind, &row[range.end..]),
            Some("harbor-registry-5b4c8f9d8-abcde".into())
        );
        assert_eq!(
            detail(
                Kind::MountFailed,
                r#" "core-internal-certs" : secret "harbor-core-internal-tls" not found"#
            ),
            Some(r#"secret "harbor-core-internal-tls""#.into())
        );
        assert_eq!(detail(Kind::MountFailed, r#" "data" : rpc error"#), None);
    }

    #[test]
    fn every_rule_of_the_table_is_registered() {
        for sig in SIGNATURES {
            assert!(
                crate::checks::find_rule(sig.rule).is_some(),
                "{} has no rule",
                sig.rule
            );
        }
    }
}
