//! `secrets-regenerate`: blank internal secrets are re-randomised on every render.

use super::{Context, Findings, Rule};
use crate::chart::behaviour::{ignores_pinned_xsrf_key, preserves_internal_secrets};
use crate::cli::Renderer;
use crate::report::{Finding, Severity};

/// Blank `core.secret`/`jobservice.secret`/`registry.secret`/`core.xsrfKey` are re-randomised.
pub struct SecretsRegenerate;

/// (field, existing-Secret knob that replaces it, what breaks when it changes)
const FIELDS: &[(&str, &str, &str)] = &[
    ("core.secret", "core.existingSecret", "core and jobservice disagree while pods roll: jobservice answers 401 (`unauthorized`)"),
    ("jobservice.secret", "jobservice.existingSecret", "jobservice fails `Failed on load rest config` until core restarts; GC and replication break meanwhile"),
    ("registry.secret", "registry.existingSecret", "uploads in progress fail with `BLOB_UPLOAD_INVALID`"),
    ("core.xsrfKey", "core.existingXsrfSecret", "open UI sessions get 403 `CSRF token invalid` until reloaded"),
];

impl Rule for SecretsRegenerate {
    fn id(&self) -> &'static str {
        "secrets-regenerate"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "blank `core.secret`/`jobservice.secret`/`registry.secret`/`core.xsrfKey` are re-randomised on every render (target chart < 1.14, or `--renderer template`)"
    }
    fn explain(&self) -> &'static str {
        "When these fields are empty the chart fills them with `randAlphaNum`. From chart 1.14.0 it \
first looks up the live Secret and keeps the old value, but `lookup` only works when Helm talks \
to the cluster (`helm install`/`upgrade`). Charts before 1.14 never look up, and client-side \
renders (`helm template`, Argo CD) always get an empty lookup, so every render makes new values. \
Components then disagree while pods roll: jobservice 401s, failed uploads, CSRF errors in the \
UI. Chart 1.4.0 goes further: it ignores a pinned `core.xsrfKey` and writes a fresh \
`randAlphaNum 32` as `CSRF_KEY` into the core ConfigMap on every render (1.4.1 and later read \
it).\n\n**Fix:** pin the values (16 characters for the secrets, 32 for `core.xsrfKey`) or use the \
`existingSecret` knobs (chart 1.14+). Take today's values from the live Secrets to avoid a \
change at all.\n\nWith `--rendered`, nothing is predicted: the values the rendered pods read are \
compared with the live Secrets, and each one that differs is reported at its line of the \
stream."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if ctx.rendered().is_some() {
            observed(self, ctx, out);
            return;
        }
        if let Some(target) = ctx.target() {
            let xsrf = ctx.field("core.xsrfKey");
            if ignores_pinned_xsrf_key(target.release.chart) && !xsrf.is_blank() {
                out.push(
                    Finding::new(
                        self.id(),
                        self.severity(),
                        format!("the target {} ignores `core.xsrfKey`: `CSRF_KEY` is a new random value in the core ConfigMap on every render", target.label()),
                    )
                    .path("core.xsrfKey")
                    .at(xsrf.span())
                    .note("chart 1.4.0 writes `CSRF_KEY: {{ randAlphaNum 32 }}` and never reads the value; 1.4.1 and later do")
                    .note("when it changes, open UI sessions get 403 `CSRF token invalid` until reloaded")
                    .help("target chart 1.4.1 or later to keep a pinned CSRF key"),
                );
            }
        }
        let reason = if ctx.settings.renderer == Renderer::Template {
            "client-side rendering (`--renderer template`): the chart's `lookup` returns nothing"
                .to_string()
        } else {
            match ctx.target() {
                Some(target) if !preserves_internal_secrets(target.release.chart) => {
                    format!(
                        "the target {} predates the `lookup` that keeps these values (1.14.0)",
                        target.label()
                    )
                }
                _ => return,
            }
        };
        for &(path, existing, breaks) in FIELDS {
            let field = ctx.field(path);
            if !field.is_blank() || ctx.setting(existing).is_some() {
                continue;
            }
            out.push(
                Finding::new(
                    self.id(),
                    self.severity(),
                    format!("`{path}` is blank: every render generates a new random value"),
                )
                .path(path)
                .at(field.span())
                .note(reason.clone())
                .note(format!("when it changes, {breaks}"))
                .help(format!(
                    "pin `{path}` (take today's value from the live Secret) or use `{existing}`"
                )),
            );
        }
    }
}

/// With the rendered stream: what the chart really wrote, compared with the live Secrets.
fn observed(rule: &SecretsRegenerate, ctx: &Context<'_>, out: &mut Findings) {
    for &(path, existing, breaks) in FIELDS {
        let Some(new) = ctx.rendered_credential(path) else {
            continue;
        };
        let Some((live_secret, live)) = ctx.live_credential(path) else {
            if !ctx.secrets.is_empty() {
                out.skip(
                    rule.id(),
                    format!("the live Secret that holds `{path}` was not given: the rendered value was not compared"),
                );
            }
            continue;
        };
        if new.bytes.as_ref() == live {
            continue;
        }
        let cause = if ctx.field(path).is_blank() {
            format!("`{path}` is blank and the rendering generated a new value")
        } else {
            format!("`{path}` is set to another value than the live one")
        };
        out.push(
            new.finding(
                rule.id(),
                rule.severity(),
                format!("the rendered value of `{path}` differs from the live one in Secret `{}`: the upgrade changes it", live_secret.name),
            )
            .note(cause)
            .note(format!(
                "rendered: {}, live: {}",
                crate::pki::fingerprint(&new.bytes),
                crate::pki::fingerprint(live)
            ))
            .note(format!("when it changes, {breaks}"))
            .help(format!(
                "pin `{path}` to the live value (from Secret `{}`) or use `{existing}`; render with `helm upgrade --dry-run=server` so that the chart's `lookup` sees the live Secret",
                live_secret.name
            )),
        );
    }
}
