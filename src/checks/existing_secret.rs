//! `existing-secret-missing` and `existing-secret-key-missing`: Secrets the values name.
//!
//! Offline, only the Secrets given with `--secret` are known: a Secret that is not among them is
//! reported missing only with `--secrets-complete` (or when read from the cluster).
//!
//! Which keys the target chart reads from each Secret was taken from `helm template` of every
//! release with the knob set: a knob the target chart does not have is not read at all
//! (`values-key-unsupported` says so), `core.secretName` needs `tls.crt` only where a pod mounts
//! it, and 1.10.0 mounts the registry's htpasswd from a Secret literally named
//! `.Values.registry.credentials.existingSecret`.

use super::{Context, Findings, Rule};
use crate::chart::{ChartView, Version};
use crate::rendered::{SecretRef, SecretRefVia, Stream};
use crate::report::{Finding, Origin, Severity};
use crate::values::Span;

/// A Secret named by the values, and the data keys the target chart reads from it.
struct Reference<'a> {
    path: &'static str,
    name: &'a str,
    keys: Vec<&'a str>,
    span: Option<Span>,
}

/// The keys of the Secret named by `core.secretName` that a pod of the target chart mounts:
/// core mounts `tls.key` in every release; notary-server mounts `tls.crt` in charts before 1.13
/// when notary is enabled, and 1.4.0–1.5.6 also mount it into the registry (which does not use
/// it, but the pod cannot start without it).
pub(super) fn token_secret_keys(
    ctx: &Context<'_>,
    target: Option<ChartView<'_>>,
) -> &'static [&'static str] {
    let Some(target) = target else {
        return &["tls.key", "tls.crt"];
    };
    let chart = target.release.chart;
    let notary = ctx.flag(
        "notary.enabled",
        target.default("notary.enabled") == Some("true"),
    );
    if chart < Version::new(1, 6, 0) || (chart < Version::new(1, 13, 0) && notary) {
        &["tls.key", "tls.crt"]
    } else {
        &["tls.key"]
    }
}

/// Chart 1.10.0 writes `secretName: .Values.registry.credentials.existingSecret` (the text, not
/// the value) for the registry's htpasswd volume.
fn registry_credentials_name_bug(target: Option<ChartView<'_>>) -> bool {
    target.is_some_and(|t| t.release.chart == Version::new(1, 10, 0))
}

/// Collects the references of the knobs the target chart has.
struct Collector<'c, 'a> {
    ctx: &'c Context<'a>,
    target: Option<ChartView<'a>>,
    refs: Vec<Reference<'a>>,
}

impl<'a> Collector<'_, 'a> {
    fn add(&mut self, path: &'static str, keys: Vec<&'a str>) {
        // A knob the target chart does not have is not read (`values-key-unsupported`).
        if self.target.is_some_and(|t| !t.has(path)) {
            return;
        }
        if let Some(name) = self.ctx.setting(path) {
            let span = self
                .ctx
                .values
                .entry_path(path)
                .and_then(|e| e.node.span.or(e.key_span));
            self.refs.push(Reference {
                path,
                name,
                keys,
                span,
            });
        }
    }

    /// A knob whose data key is configurable (`core.existingXsrfSecretKey`), with its default.
    fn add_keyed(&mut self, path: &'static str, key_path: &str, default: &'a str) {
        let key = self.ctx.setting(key_path).unwrap_or(default);
        self.add(path, vec![key]);
    }
}

fn references<'a>(ctx: &Context<'a>) -> Vec<Reference<'a>> {
    let target = ctx.target();
    let mut c = Collector {
        ctx,
        target,
        refs: Vec::new(),
    };
    c.add("core.secretName", token_secret_keys(ctx, target).to_vec());
    c.add("existingSecretSecretKey", vec!["secretKey"]);
    c.add("core.existingSecret", vec!["secret"]);
    c.add_keyed(
        "core.existingXsrfSecret",
        "core.existingXsrfSecretKey",
        "CSRF_KEY",
    );
    c.add_keyed(
        "jobservice.existingSecret",
        "jobservice.existingSecretKey",
        "JOBSERVICE_SECRET",
    );
    c.add_keyed(
        "registry.existingSecret",
        "registry.existingSecretKey",
        "REGISTRY_HTTP_SECRET",
    );
    // Core and jobservice read `REGISTRY_PASSWD`; the registry mounts `REGISTRY_HTPASSWD`, except
    // in 1.10.0, whose registry looks for another Secret (`existing-secret-missing` says so).
    if registry_credentials_name_bug(target) {
        c.add(
            "registry.credentials.existingSecret",
            vec!["REGISTRY_PASSWD"],
        );
    } else {
        c.add(
            "registry.credentials.existingSecret",
            vec!["REGISTRY_PASSWD", "REGISTRY_HTPASSWD"],
        );
    }
    c.add_keyed(
        "existingSecretAdminPassword",
        "existingSecretAdminPasswordKey",
        "HARBOR_ADMIN_PASSWORD",
    );
    c.add("caSecretName", vec!["ca.crt"]);
    if ctx.setting("database.type") == Some("external") {
        c.add("database.external.existingSecret", vec!["password"]);
    }
    if ctx.setting("redis.type") == Some("external") {
        c.add("redis.external.existingSecret", vec!["REDIS_PASSWORD"]);
    }
    add_storage(&mut c);
    add_tls(&mut c);
    c.refs
}

/// The Secret of the registry's storage driver.
fn add_storage(c: &mut Collector<'_, '_>) {
    match c.ctx.setting("persistence.imageChartStorage.type") {
        Some("azure") => c.add(
            "persistence.imageChartStorage.azure.existingSecret",
            vec!["AZURE_STORAGE_ACCESS_KEY"],
        ),
        Some("gcs") => c.add(
            "persistence.imageChartStorage.gcs.existingSecret",
            vec!["GCS_KEY_DATA"],
        ),
        // Injected whole with `envFrom`: any keys, only existence matters.
        Some("s3") => c.add("persistence.imageChartStorage.s3.existingSecret", vec![]),
        // From 1.14.0 (where the knob appears) the registry reads the password from it by name.
        Some("swift") => c.add(
            "persistence.imageChartStorage.swift.existingSecret",
            vec!["REGISTRY_STORAGE_SWIFT_PASSWORD"],
        ),
        Some("oss") => c.add("persistence.imageChartStorage.oss.existingSecret", vec![]),
        _ => {}
    }
}

/// The ingress and internal TLS Secrets.
fn add_tls(c: &mut Collector<'_, '_>) {
    if c.ctx.flag("expose.tls.enabled", true)
        && c.ctx.setting("expose.tls.certSource") == Some("secret")
    {
        c.add("expose.tls.secret.secretName", vec!["tls.crt", "tls.key"]);
    }
    if !c.ctx.flag("internalTLS.enabled", false)
        || c.ctx.setting("internalTLS.certSource") != Some("secret")
    {
        return;
    }
    // Core, jobservice and registry also trust `ca.crt`; portal (nginx) and trivy read only their
    // pair, except in 1.4.x, which mounts all three files one by one everywhere.
    let subpath_mounts = c
        .target
        .is_some_and(|t| t.release.chart < Version::new(1, 5, 0));
    let pair_only: Vec<&str> = if subpath_mounts {
        vec!["ca.crt", "tls.crt", "tls.key"]
    } else {
        vec!["tls.crt", "tls.key"]
    };
    for path in [
        "internalTLS.core.secretName",
        "internalTLS.jobservice.secretName",
        "internalTLS.registry.secretName",
    ] {
        c.add(path, vec!["ca.crt", "tls.crt", "tls.key"]);
    }
    c.add("internalTLS.portal.secretName", pair_only.clone());
    c.add("internalTLS.trivy.secretName", pair_only);
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
`kubectl get secret -n harbor -o yaml > secrets.yaml`).\n\n\
Chart 1.10.0 has a template bug: the registry's htpasswd volume names the Secret \
`.Values.registry.credentials.existingSecret` literally instead of the value, so with \
`registry.credentials.existingSecret` set the registry pod never starts, whatever Secret exists; \
1.10.1 fixed it.\n\n\
With `--rendered`, the references come from the rendered pod templates instead (`envFrom`, \
`secretKeyRef`, `secret` volumes with `items`; `optional` ones aside), whatever values or chart \
version produced them: a Secret neither rendered nor live is missing.\n\n**Fix:** create the Secret in the \
release namespace before upgrading, or fix the name."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if let Some(rendered) = ctx.rendered() {
            rendered_missing(self, ctx, rendered, out);
            return;
        }
        let refs = references(ctx);
        if registry_credentials_name_bug(ctx.target()) {
            if let Some(r) = refs
                .iter()
                .find(|r| r.path == "registry.credentials.existingSecret")
            {
                out.push(
                    Finding::new(
                        self.id(),
                        self.severity(),
                        format!("chart 1.10.0 mounts the registry's htpasswd from a Secret literally named `.Values.registry.credentials.existingSecret`, not from `{}` (a template bug): the registry pod waits for a Secret that cannot exist", r.name),
                    )
                    .path(r.path)
                    .at(r.span)
                    .note("core and jobservice do read `REGISTRY_PASSWD` from the Secret named; only the registry's volume has the literal name")
                    .help("target chart 1.10.1 or later, or on 1.10.0 leave `registry.credentials.existingSecret` unset and set `registry.credentials.password`"),
                );
            }
        }
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
        "The chart reads fixed key names from existing Secrets: `tls.key` for `core.secretName` \
(and `tls.crt` where a pod mounts it: charts 1.4.0–1.5.6, and charts before 1.13 with notary \
enabled), `secretKey` for `existingSecretSecretKey`, `secret` for `core.existingSecret`, \
`REGISTRY_PASSWD` and `REGISTRY_HTPASSWD` for `registry.credentials.existingSecret`, `password` \
for `database.external.existingSecret`, `REGISTRY_STORAGE_SWIFT_PASSWORD` for the swift \
`existingSecret`, `ca.crt`/`tls.crt`/`tls.key` for the internal TLS Secrets of core, jobservice \
and registry (`tls.crt`/`tls.key` for portal and trivy), and the configurable `*Key` names for \
the others. A missing key leaves the pod in `CreateContainerConfigError` (`couldn't find key … \
in Secret`) or mounts an empty file. Knobs the target chart does not have are not read at all \
and not checked (`values-key-unsupported` reports them).\n\n\
**Fix:** add the key to the Secret (`kubectl create secret generic NAME --from-file=KEY=FILE`), \
or point the matching `*Key` value at the key the Secret has."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if let Some(rendered) = ctx.rendered() {
            rendered_key_missing(self, ctx, rendered, out);
            return;
        }
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

/// The Secret references of every rendered pod template that a pod needs to start (not
/// `optional`), each Secret and key once.
fn rendered_refs(rendered: &Stream) -> Vec<SecretRef<'_>> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for workload in rendered.workloads() {
        let Some(pod) = workload.pod_spec() else {
            continue;
        };
        for r in pod.secret_refs() {
            if !r.optional && seen.insert((r.secret, r.key.clone())) {
                out.push(r);
            }
        }
    }
    out
}

/// How a message names a reference: `` `secretKeyRef` of Deployment `harbor-core` ``.
fn referenced_by(r: &SecretRef<'_>) -> String {
    let via = match (r.via, &r.env) {
        (SecretRefVia::EnvFrom, _) => "`envFrom`".to_string(),
        (SecretRefVia::SecretKeyRef, Some(env)) => format!("`secretKeyRef` of `{env}`"),
        (SecretRefVia::SecretKeyRef, None) => "`secretKeyRef`".to_string(),
        (SecretRefVia::Volume, _) => "a `secret` volume".to_string(),
    };
    format!("{via} of rendered {} `{}`", r.object.kind, r.object.name)
}

/// `existing-secret-missing` from the rendered pod templates: a Secret neither rendered nor live.
fn rendered_missing(
    rule: &ExistingSecretMissing,
    ctx: &Context<'_>,
    rendered: &Stream,
    out: &mut Findings,
) {
    for r in rendered_refs(rendered) {
        if ctx.secret_after(r.secret).is_some() {
            continue;
        }
        if ctx.settings.secrets_complete {
            out.push(
                Finding::new(
                    rule.id(),
                    rule.severity(),
                    format!("Secret `{}` referenced by {} is neither rendered nor live", r.secret, referenced_by(&r)),
                )
                .at(r.span)
                .from_object(Origin::Rendered, Some(r.object.address()))
                .note(format!("the pod stays in `ContainerCreating` or `CreateContainerConfigError` (`secret \"{}\" not found`)", r.secret))
                .help(format!("create Secret `{}` in the release namespace before upgrading, or correct the value that names it", r.secret)),
            );
        } else {
            out.skip(
                rule.id(),
                format!("Secret `{}` referenced by {} is not rendered and was not given with `--secret` (pass `--secrets-complete` if the files hold every Secret)", r.secret, referenced_by(&r)),
            );
        }
    }
}

/// `existing-secret-key-missing` from the rendered pod templates: the Secret lacks the key a
/// `secretKeyRef` or a volume's `items` name.
fn rendered_key_missing(
    rule: &ExistingSecretKeyMissing,
    ctx: &Context<'_>,
    rendered: &Stream,
    out: &mut Findings,
) {
    for r in rendered_refs(rendered) {
        let (Some(key), Some(secret)) = (&r.key, ctx.secret_after(r.secret)) else {
            continue;
        };
        if secret.data.contains_key(key) {
            continue;
        }
        let have: Vec<&str> = secret.data.keys().map(String::as_str).collect();
        let whose = if rendered.secret(r.secret).is_some() {
            "rendered"
        } else {
            "live"
        };
        out.push(
            Finding::new(
                rule.id(),
                rule.severity(),
                format!(
                    "{whose} Secret `{}` has no key `{key}`, which {} reads",
                    r.secret,
                    referenced_by(&r)
                ),
            )
            .at(r.span)
            .from_object(Origin::Rendered, Some(r.object.address()))
            .note(format!(
                "the Secret has: {}",
                if have.is_empty() {
                    "no keys".to_string()
                } else {
                    have.join(", ")
                }
            ))
            .help(format!("add `{key}` to Secret `{}`", r.secret)),
        );
    }
}
