//! `existing-secret-missing` and `existing-secret-key-missing`: Secrets the values name.
//!
//! Offline, only the Secrets given with `--secret` are known: a Secret that is not among them is
//! reported missing only with `--secrets-complete` (or, later, when read from the cluster).

use super::{Context, Findings, Rule};
use crate::report::{Finding, Severity};
use crate::values::Span;

/// A Secret named by the values, and the data keys the chart reads from it.
struct Reference<'a> {
    path: &'static str,
    name: &'a str,
    keys: Vec<&'a str>,
    span: Option<Span>,
}

fn references<'a>(ctx: &Context<'a>) -> Vec<Reference<'a>> {
    let mut refs = Vec::new();
    let mut add = |path: &'static str, keys: Vec<&'a str>| {
        if let Some(name) = ctx.setting(path) {
            let span = ctx
                .values
                .entry_path(path)
                .and_then(|e| e.node.span.or(e.key_span));
            refs.push(Reference {
                path,
                name,
                keys,
                span,
            });
        }
    };
    add("core.secretName", vec!["tls.key", "tls.crt"]);
    add("existingSecretSecretKey", vec!["secretKey"]);
    add("core.existingSecret", vec!["secret"]);
    add(
        "core.existingXsrfSecret",
        vec![ctx
            .setting("core.existingXsrfSecretKey")
            .unwrap_or("CSRF_KEY")],
    );
    add(
        "jobservice.existingSecret",
        vec![ctx
            .setting("jobservice.existingSecretKey")
            .unwrap_or("JOBSERVICE_SECRET")],
    );
    add(
        "registry.existingSecret",
        vec![ctx
            .setting("registry.existingSecretKey")
            .unwrap_or("REGISTRY_HTTP_SECRET")],
    );
    add(
        "registry.credentials.existingSecret",
        vec!["REGISTRY_PASSWD", "REGISTRY_HTPASSWD"],
    );
    add(
        "existingSecretAdminPassword",
        vec![ctx
            .setting("existingSecretAdminPasswordKey")
            .unwrap_or("HARBOR_ADMIN_PASSWORD")],
    );
    add("caSecretName", vec!["ca.crt"]);
    if ctx.setting("database.type") == Some("external") {
        add("database.external.existingSecret", vec!["password"]);
    }
    if ctx.setting("redis.type") == Some("external") {
        add("redis.external.existingSecret", vec!["REDIS_PASSWORD"]);
    }
    match ctx.setting("persistence.imageChartStorage.type") {
        Some("azure") => add(
            "persistence.imageChartStorage.azure.existingSecret",
            vec!["AZURE_STORAGE_ACCESS_KEY"],
        ),
        Some("gcs") => add(
            "persistence.imageChartStorage.gcs.existingSecret",
            vec!["GCS_KEY_DATA"],
        ),
        // Injected whole with `envFrom`: any keys, only existence matters.
        Some("s3") => add("persistence.imageChartStorage.s3.existingSecret", vec![]),
        Some("swift") => add("persistence.imageChartStorage.swift.existingSecret", vec![]),
        Some("oss") => add("persistence.imageChartStorage.oss.existingSecret", vec![]),
        _ => {}
    }
    if ctx.flag("expose.tls.enabled", true)
        && ctx.setting("expose.tls.certSource") == Some("secret")
    {
        add("expose.tls.secret.secretName", vec!["tls.crt", "tls.key"]);
    }
    if ctx.flag("internalTLS.enabled", false)
        && ctx.setting("internalTLS.certSource") == Some("secret")
    {
        add(
            "internalTLS.core.secretName",
            vec!["ca.crt", "tls.crt", "tls.key"],
        );
        add(
            "internalTLS.jobservice.secretName",
            vec!["ca.crt", "tls.crt", "tls.key"],
        );
        add(
            "internalTLS.registry.secretName",
            vec!["ca.crt", "tls.crt", "tls.key"],
        );
        add(
            "internalTLS.portal.secretName",
            vec!["ca.crt", "tls.crt", "tls.key"],
        );
        add(
            "internalTLS.trivy.secretName",
            vec!["ca.crt", "tls.crt", "tls.key"],
        );
    }
    refs
}

/// A Secret named by the values is absent.
pub struct ExistingSecretMissing;

impl Rule for ExistingSecretMissing {
    fn id(&self) -> &'static str {
        "existing-secret-missing"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "a Secret named by `core.secretName`, `existingSecret*`, `internalTLS.*.secretName`, `expose.tls.secret.secretName` or `caSecretName` is absent"
    }
    fn explain(&self) -> &'static str {
        "When values name an existing Secret, the chart stops generating that credential and mounts \
the named Secret instead. If the Secret does not exist in the release namespace, the pods that \
mount it stay in `ContainerCreating` (`secret \"…\" not found`) and the upgrade hangs until Helm \
times out. Offline, the tool knows only the Secrets given with `--secret`; pass \
`--secrets-complete` when those files hold every Secret of the namespace (for example \
`kubectl get secret -n harbor -o yaml > secrets.yaml`).\n\n**Fix:** create the Secret in the \
release namespace before upgrading, or fix the name."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let refs = references(ctx);
        for r in &refs {
            if ctx.secret(r.name).is_some() {
                continue;
            }
            if ctx.settings.secrets_complete {
                out.push(
                    Finding::new(self.id(), self.severity(), format!("Secret `{}` named by `{}` does not exist", r.name, r.path))
                        .path(r.path)
                        .at(r.span)
                        .help(format!("create Secret `{}` in the release namespace before upgrading, or correct `{}`", r.name, r.path)),
                );
            } else {
                out.skip(
                    self.id(),
                    format!("Secret `{}` named by `{}` was not given with `--secret` (pass `--secrets-complete` if the files hold every Secret)", r.name, r.path),
                );
            }
        }
    }
}

/// A Secret named by the values lacks a key the chart reads.
pub struct ExistingSecretKeyMissing;

impl Rule for ExistingSecretKeyMissing {
    fn id(&self) -> &'static str {
        "existing-secret-key-missing"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "a Secret named by the values lacks the data key the chart reads from it"
    }
    fn explain(&self) -> &'static str {
        "The chart reads fixed key names from existing Secrets: `tls.key`/`tls.crt` for \
`core.secretName`, `secretKey` for `existingSecretSecretKey`, `secret` for `core.existingSecret`, \
`REGISTRY_PASSWD` and `REGISTRY_HTPASSWD` for `registry.credentials.existingSecret`, `password` \
for `database.external.existingSecret`, `ca.crt`/`tls.crt`/`tls.key` for TLS Secrets, and the \
configurable `*Key` names for the others. A missing key leaves the pod in \
`CreateContainerConfigError` (`couldn't find key … in Secret`) or mounts an empty file.\n\n\
**Fix:** add the key to the Secret (`kubectl create secret generic NAME --from-file=KEY=FILE`), \
or point the matching `*Key` value at the key the Secret has."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for r in references(ctx) {
            let Some(secret) = ctx.secret(r.name) else {
                continue;
            };
            for key in &r.keys {
                if secret.data.contains_key(*key) {
                    continue;
                }
                let have: Vec<&str> = secret.data.keys().map(String::as_str).collect();
                out.push(
                    Finding::new(
                        self.id(),
                        self.severity(),
                        format!(
                            "Secret `{}` named by `{}` has no key `{key}`",
                            r.name, r.path
                        ),
                    )
                    .path(r.path)
                    .at(r.span)
                    .note(format!(
                        "the Secret has: {}",
                        if have.is_empty() {
                            "no keys".to_string()
                        } else {
                            have.join(", ")
                        }
                    ))
                    .help(format!("add `{key}` to Secret `{}`", r.name)),
                );
            }
        }
    }
}
