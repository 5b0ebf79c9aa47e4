//! The catalogue of credential-bearing values of the goharbor/harbor chart.
//!
//! One table decides which fields are secrets (masked everywhere), what the chart uses when a
//! field is not set, and what kind of secret it is. Defaults are those of every chart release
//! 1.9.0–1.19.1 (`harbor-facts.md` §2.1).

/// What a credential field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// `secretKey`: the AES key for data stored in the database.
    SecretKey,
    /// `core.secret`, `jobservice.secret`, `registry.secret`: 16-character shared secrets.
    InternalSecret,
    /// `core.xsrfKey`: the 32-character CSRF key.
    XsrfKey,
    /// `core.tokenKey`: the token signing private key (PEM).
    TokenKey,
    /// `core.tokenCert`: the token certificate (PEM).
    TokenCert,
    /// A password.
    Password,
    /// `registry.credentials.htpasswdString`.
    Htpasswd,
    /// An object-storage key or token.
    AccessKey,
    /// A PEM private key of internal TLS.
    TlsKey,
    /// JSON configuration that may hold secrets (`core.configureUserSettings`).
    SecretJson,
}

impl FieldKind {
    /// A short name for listings.
    pub fn describe(self) -> &'static str {
        match self {
            FieldKind::SecretKey => "AES key for stored credentials",
            FieldKind::InternalSecret => "inter-component secret",
            FieldKind::XsrfKey => "CSRF key",
            FieldKind::TokenKey => "token signing key",
            FieldKind::TokenCert => "token certificate",
            FieldKind::Password => "password",
            FieldKind::Htpasswd => "htpasswd line",
            FieldKind::AccessKey => "access key",
            FieldKind::TlsKey => "TLS private key",
            FieldKind::SecretJson => "configuration JSON",
        }
    }
}

/// One credential field.
#[derive(Debug, Clone, Copy)]
pub struct CredentialField {
    /// Dotted values path.
    pub path: &'static str,
    /// What it holds.
    pub kind: FieldKind,
    /// What the chart uses when the field is not set (`None`: empty, generated or unused).
    pub default: Option<&'static str>,
}

const fn field(
    path: &'static str,
    kind: FieldKind,
    default: Option<&'static str>,
) -> CredentialField {
    CredentialField {
        path,
        kind,
        default,
    }
}

/// The chart's default `secretKey`, public in every release.
pub const DEFAULT_SECRET_KEY: &str = "not-a-secure-key";

/// Every credential field the chart reads.
pub static CREDENTIAL_FIELDS: &[CredentialField] = &[
    field("secretKey", FieldKind::SecretKey, Some(DEFAULT_SECRET_KEY)),
    field("core.tokenKey", FieldKind::TokenKey, None),
    field("core.tokenCert", FieldKind::TokenCert, None),
    field("core.secret", FieldKind::InternalSecret, None),
    field("core.xsrfKey", FieldKind::XsrfKey, None),
    field("jobservice.secret", FieldKind::InternalSecret, None),
    field("registry.secret", FieldKind::InternalSecret, None),
    field(
        "harborAdminPassword",
        FieldKind::Password,
        Some("Harbor12345"),
    ),
    field(
        "database.internal.password",
        FieldKind::Password,
        Some("changeit"),
    ),
    field(
        "database.external.password",
        FieldKind::Password,
        Some("password"),
    ),
    field(
        "registry.credentials.password",
        FieldKind::Password,
        Some("harbor_registry_password"),
    ),
    field(
        "registry.credentials.htpasswdString",
        FieldKind::Htpasswd,
        None,
    ),
    field("redis.external.password", FieldKind::Password, None),
    field(
        "persistence.imageChartStorage.azure.accountkey",
        FieldKind::AccessKey,
        Some("base64encodedaccountkey"),
    ),
    field(
        "persistence.imageChartStorage.gcs.encodedkey",
        FieldKind::AccessKey,
        Some("base64-encoded-json-key-file"),
    ),
    field(
        "persistence.imageChartStorage.s3.accesskey",
        FieldKind::AccessKey,
        None,
    ),
    field(
        "persistence.imageChartStorage.s3.secretkey",
        FieldKind::AccessKey,
        None,
    ),
    field(
        "persistence.imageChartStorage.swift.password",
        FieldKind::Password,
        Some("password"),
    ),
    field(
        "persistence.imageChartStorage.swift.secretkey",
        FieldKind::AccessKey,
        None,
    ),
    field(
        "persistence.imageChartStorage.oss.accesskeysecret",
        FieldKind::AccessKey,
        Some("accesskeysecret"),
    ),
    field("trace.jaeger.password", FieldKind::Password, None),
    field("trivy.gitHubToken", FieldKind::AccessKey, None),
    field("core.configureUserSettings", FieldKind::SecretJson, None),
    field("internalTLS.core.key", FieldKind::TlsKey, None),
    field("internalTLS.jobservice.key", FieldKind::TlsKey, None),
    field("internalTLS.registry.key", FieldKind::TlsKey, None),
    field("internalTLS.portal.key", FieldKind::TlsKey, None),
    field("internalTLS.trivy.key", FieldKind::TlsKey, None),
];

/// The catalogue entry for a path.
pub fn credential_field(path: &str) -> Option<&'static CredentialField> {
    CREDENTIAL_FIELDS.iter().find(|f| f.path == path)
}

/// Whether a key name, anywhere in the values, looks like it holds a secret (masked in output
/// even when the catalogue does not know the path, for example under a sub-chart).
pub fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    // `credentials` names a group (the chart's `registry.credentials`), not a secret: its children
    // are judged by their own names and the catalogue, so `username` is shown and `password` and
    // `htpasswdString` are masked.
    if key == "credentials" {
        return false;
    }
    [
        "password",
        "passwd",
        "secret",
        "token",
        "key",
        "credential",
        "htpasswd",
        "auth",
    ]
    .iter()
    .any(|word| key.contains(word))
        && !key.ends_with("name")
        && !key.starts_with("existing")
        && !key.ends_with("ref")
        && !key.ends_with("path")
        && !key.ends_with("file")
        && !key.ends_with("cert")
        && !key.ends_with("crt")
}

/// Default values that other rules need, keyed by path.
pub fn chart_default(path: &str) -> Option<&'static str> {
    match path {
        "database.type" => Some("internal"),
        "registry.credentials.username" => Some("harbor_registry_user"),
        "persistence.imageChartStorage.type" => Some("filesystem"),
        "core.existingXsrfSecretKey" => Some("CSRF_KEY"),
        "jobservice.existingSecretKey" => Some("JOBSERVICE_SECRET"),
        "registry.existingSecretKey" => Some("REGISTRY_HTTP_SECRET"),
        "existingSecretAdminPasswordKey" => Some("HARBOR_ADMIN_PASSWORD"),
        "expose.tls.certSource" | "internalTLS.certSource" => Some("auto"),
        _ => credential_field(path).and_then(|f| f.default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_keys() {
        for key in [
            "password",
            "secretKey",
            "accesskeysecret",
            "gitHubToken",
            "htpasswdString",
        ] {
            assert!(looks_secret(key), "{key}");
        }
        for key in [
            "secretName",
            "existingSecret",
            "existingSecretKey",
            "tokenKeyPath",
            "replicas",
            // `registry.credentials.username` is not a secret, nor the group it sits in.
            "credentials",
            "username",
        ] {
            assert!(!looks_secret(key), "{key}");
        }
    }

    #[test]
    fn catalogue_paths_are_unique() {
        let mut paths: Vec<_> = CREDENTIAL_FIELDS.iter().map(|f| f.path).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), CREDENTIAL_FIELDS.len());
    }
}
