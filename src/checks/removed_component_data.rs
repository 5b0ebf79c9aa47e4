//! `removed-component-data`: notary or chartmuseum is enabled and the target chart drops it.

use super::{Context, Findings, Rule};
use crate::chart::behaviour::{RemovedComponent, REMOVED_COMPONENTS};
use crate::report::{Finding, Severity};
use crate::values::Value;

/// Notary or chartmuseum enabled and the target drops it.
pub struct RemovedComponentData;

impl Rule for RemovedComponentData {
    fn id(&self) -> &'static str {
        "removed-component-data"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "notary or chartmuseum is enabled (in the values or by the source chart's default) and the target chart drops it: signatures or charts are lost"
    }
    fn explain(&self) -> &'static str {
        "Chart 1.12.0 (Harbor 2.8) removed ChartMuseum and chart 1.13.0 (Harbor 2.9) removed notary. \
Both were enabled by default before. Upgrading past them deletes the Deployments: Helm charts \
uploaded to ChartMuseum are no longer served, and Docker Content Trust signatures stored in \
notary are gone, so clients with `DOCKER_CONTENT_TRUST=1` and policies that require signed \
images stop accepting the images. The data stays on the old volumes but nothing reads it.\n\n\
**Fix:** before the upgrade, push the charts again as OCI artifacts (`helm push chart.tgz \
oci://HARBOR/PROJECT`) and re-sign the images with Cosign or Notation (stored next to the image \
as OCI artifacts); then set `chartmuseum.enabled`/`notary.enabled` to `false` or drop their \
settings. A component switched off in the values is not reported, and neither are its settings \
(`values-key-removed` leaves them alone: they configure nothing either way)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(target) = ctx.target() else {
            return;
        };
        for component in REMOVED_COMPONENTS {
            if target.has(component.enabled) {
                continue;
            }
            let field = ctx.field(component.enabled);
            let explicit = match field.node().map(|n| &n.value) {
                Some(Value::Bool(b)) => Some(*b),
                Some(Value::String(s)) => Some(s == "true"),
                _ => None,
            };
            let source_default = ctx.source().and_then(|s| s.default(component.enabled));
            // Live workloads say what runs, whatever the values and defaults say.
            if ctx.has_live_objects() {
                let running = ctx
                    .live_objects()
                    .iter()
                    .flat_map(crate::rendered::Stream::workloads)
                    .find(|w| {
                        w.name.ends_with(&format!("-{}", component.key))
                            || w.name.ends_with(&format!("-{}-server", component.key))
                    });
                let Some(running) = running else {
                    continue;
                };
                out.push(
                    Finding::new(
                        self.id(),
                        self.severity(),
                        format!(
                            "{} runs in the deployed release ({} `{}`) and the target {} drops it (removed in chart {}): {}",
                            component.key,
                            running.kind,
                            running.name,
                            target.label(),
                            component.removed_in,
                            component.data
                        ),
                    )
                    .path(component.enabled)
                    .at(field.span().or(running.span))
                    .help(component.help),
                );
                continue;
            }
            let (enabled, why) = match (explicit, source_default) {
                (Some(b), _) => (b, "in the values".to_string()),
                (None, Some(d)) => (
                    d == "true",
                    format!(
                        "by default in the source chart {}",
                        ctx.source()
                            .map(|s| s.release.chart.to_string())
                            .unwrap_or_default()
                    ),
                ),
                (None, None) => (false, String::new()),
            };
            if !enabled {
                continue;
            }
            let span = field.span().or_else(|| ctx.field(component.key).span());
            out.push(
                Finding::new(
                    self.id(),
                    self.severity(),
                    format!(
                        "{} is enabled {why} and the target {} drops it (removed in chart {}): {}",
                        component.key,
                        target.label(),
                        component.removed_in,
                        component.data
                    ),
                )
                .path(component.enabled)
                .at(span)
                .help(component.help),
            );
        }
    }
}

/// Whether the values switch the component off explicitly (`notary.enabled: false`): its
/// settings, ignored by a target without it, configure nothing either way.
pub(super) fn disabled_in_values(ctx: &Context<'_>, component: &RemovedComponent) -> bool {
    match ctx.field(component.enabled).node().map(|n| &n.value) {
        Some(Value::Bool(b)) => !*b,
        Some(Value::String(s)) => s == "false",
        _ => false,
    }
}
