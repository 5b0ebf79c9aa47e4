//! `default-password`: a credential is a well-known default.

use super::{Context, Findings, Rule};
use crate::report::Severity;

/// `Harbor12345`, `changeit`, `harbor_registry_password`, `password`, storage placeholders.
pub struct DefaultPassword;

/// Values that ship in the chart's `values.yaml` (or its comments) and so are public.
const WELL_KNOWN: &[&str] = &[
    "Harbor12345",
    "changeit",
    "harbor_registry_password",
    "password",
    "base64encodedaccountkey",
    "base64-encoded-json-key-file",
    "accesskeysecret",
    "awsaccesskey",
    "awssecretkey",
    "secretkey",
    "accesskey",
];

/// (values path, the setting that must hold for the field to be used, the existing-Secret knob
/// that replaces it).
fn fields(ctx: &Context<'_>) -> Vec<(&'static str, Option<&'static str>)> {
    let storage = ctx
        .setting("persistence.imageChartStorage.type")
        .unwrap_or("filesystem");
    let db_type = ctx.setting("database.type").unwrap_or("internal");
    let mut fields = vec![
        ("harborAdminPassword", Some("existingSecretAdminPassword")),
        (
            "registry.credentials.password",
            Some("registry.credentials.existingSecret"),
        ),
    ];
    match db_type {
        "internal" => fields.push(("database.internal.password", None)),
        _ => fields.push((
            "database.external.password",
            Some("database.external.existingSecret"),
        )),
    }
    match storage {
        "azure" => fields.push((
            "persistence.imageChartStorage.azure.accountkey",
            Some("persistence.imageChartStorage.azure.existingSecret"),
        )),
        "gcs"
            if !ctx.flag(
                "persistence.imageChartStorage.gcs.useWorkloadIdentity",
                false,
            ) =>
        {
            fields.push((
                "persistence.imageChartStorage.gcs.encodedkey",
                Some("persistence.imageChartStorage.gcs.existingSecret"),
            ));
        }
        "s3" => {
            fields.push((
                "persistence.imageChartStorage.s3.accesskey",
                Some("persistence.imageChartStorage.s3.existingSecret"),
            ));
            fields.push((
                "persistence.imageChartStorage.s3.secretkey",
                Some("persistence.imageChartStorage.s3.existingSecret"),
            ));
        }
        "swift" => fields.push((
            "persistence.imageChartStorage.swift.password",
            Some("persistence.imageChartStorage.swift.existingSecret"),
        )),
        "oss" => fields.push((
            "persistence.imageChartStorage.oss.accesskeysecret",
            Some("persistence.imageChartStorage.oss.existingSecret"),
        )),
        _ => {}
    }
    fields
}

impl Rule for DefaultPassword {
    fn id(&self) -> &'static str {
        "default-password"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "a password is a chart default (`Harbor12345`, `changeit`, `harbor_registry_password`, `password`, storage placeholders)"
    }
    fn explain(&self) -> &'static str {
        "These values are printed in the chart's `values.yaml` and so are known to everyone: the \
admin password `Harbor12345`, the internal database password `changeit`, the registry's \
`harbor_registry_password`, the external database's `password`, and the object-storage \
placeholders. `harborAdminPassword` only matters on the first start (change it in the UI \
afterwards); the database password cannot simply be changed in values later \
(`database-password-changed`).\n\n**Fix:** on a new install set strong values (or the matching \
`existingSecret`); on an existing one change the admin password in the UI, and the database \
password inside PostgreSQL first (`ALTER USER postgres PASSWORD …`), then in values."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for (path, existing) in fields(ctx) {
            if existing.and_then(|e| ctx.setting(e)).is_some() {
                continue;
            }
            let Ok(value) = ctx.effective(path, None, "") else {
                continue;
            };
            let text = String::from_utf8_lossy(&value.bytes);
            if !WELL_KNOWN.contains(&text.as_ref()) {
                continue;
            }
            let message = if value.is_default {
                format!("`{path}` is not set: the chart's public default is used")
            } else {
                format!("`{path}` is a publicly known default value")
            };
            let help = match path {
                "harborAdminPassword" => "set a strong password before the first install; on a running Harbor change it in the UI (the value is ignored after the first start)",
                "database.internal.password" => "on a new install set a strong password; on a running one change it inside PostgreSQL first (`ALTER USER postgres PASSWORD ...`), then here",
                _ => "set a strong value, or reference an existing Secret",
            };
            out.push(
                value
                    .finding(self.id(), self.severity(), message)
                    .path(path)
                    .help(help),
            );
        }
    }
}
