//! `values-key-removed`: a key the values set exists in an older chart but not in the target.

use super::removed_component_data::disabled_in_values;
use super::values_keys::{judge, list_keys, renames, Verdict};
use super::{Context, Findings, Rule};
use crate::chart::behaviour::REMOVED_COMPONENTS;
use crate::report::{Finding, Severity};

/// A set key exists in the source chart but not in the target: it silently stops working.
pub struct ValuesKeyRemoved;

impl Rule for ValuesKeyRemoved {
    fn id(&self) -> &'static str {
        "values-key-removed"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "a key the values set exists in the source chart (`--from`, or an older release) but not in the target: it silently stops working"
    }
    fn explain(&self) -> &'static str {
        "Helm does not complain about values the chart no longer reads: after the upgrade the \
setting simply has no effect. That is how notary and chartmuseum settings, \
`expose.ingress.harbor.annotations` (moved to `expose.ingress.annotations` in chart 1.15.0) and \
`persistence.persistentVolumeClaim.jobservice.*` (moved under `jobservice.jobLog` in 1.10.0) get \
lost: an ingress without its annotations, a job log volume on the default storage class, and so \
on. Some patch releases also miss keys their neighbours have (`core.tokenKey` in 1.10.0–1.10.3 \
and 1.11.0, `trivy.skipJavaDBUpdate` in 1.14.0).\n\nWith `--from` the key is judged against the \
chart running now; without it, against the newest release before the target that had it. \
`docs/upgrade-paths.md` lists what each release removes.\n\n**Fix:** move the setting to its new \
key where the help names one; otherwise delete it, after checking what the target chart does \
instead."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(target) = ctx.target() else {
            return;
        };
        for (key, verdict) in judge(ctx) {
            let Verdict::Removed {
                had_it,
                from_source,
            } = verdict
            else {
                continue;
            };
            // `notary.enabled: false` onto a chart without notary: its settings, ignored either
            // way, are what `removed-component-data` asked for, not something to remove again.
            let switched_off = REMOVED_COMPONENTS
                .iter()
                .any(|c| !target.has(c.enabled) && c.owns(&key.path) && disabled_in_values(ctx, c));
            if switched_off {
                continue;
            }
            let had = if from_source {
                format!("the source chart {}", had_it.chart)
            } else {
                format!(
                    "chart {} (the last before the target that has it)",
                    had_it.chart
                )
            };
            let mut finding = Finding::new(
                self.id(),
                self.severity(),
                format!(
                    "`{}` exists in {had} but not in the target {}: the setting is ignored",
                    key.path,
                    target.label()
                ),
            )
            .path(key.path.clone())
            .at(key.entry.key_span.or(key.entry.node.span));
            if !key.below.is_empty() {
                finding = finding.note(format!("set below it: {}", list_keys(&key.below)));
            }
            let moves = renames(&key);
            finding = if moves.is_empty() {
                finding.help(format!(
                    "remove `{}` from the values; check what chart {} does instead (`docs/upgrade-paths.md`)",
                    key.path, target.release.chart
                ))
            } else {
                let text: Vec<String> = moves
                    .iter()
                    .map(|(old, new)| format!("`{old}` to `{new}`"))
                    .collect();
                finding.help(format!("move {}", text.join(", ")))
            };
            out.push(finding);
        }
    }
}
