//! `values-key-unsupported`: a key only charts newer than the target have.

use super::values_keys::{judge, list_keys, Verdict};
use super::{Context, Findings, Rule};
use crate::report::{Finding, Severity};

/// A key only exists in charts newer than the target.
pub struct ValuesKeyUnsupported;

impl Rule for ValuesKeyUnsupported {
    fn id(&self) -> &'static str {
        "values-key-unsupported"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "a key the values set only exists in charts newer than the target: the target ignores it"
    }
    fn explain(&self) -> &'static str {
        "Values written for a newer chart (or copied from its documentation) are ignored by an older \
one. For credentials this is dangerous: `core.existingSecret`, `jobservice.existingSecret`, \
`registry.existingSecret` and `core.existingXsrfSecret` arrived in chart 1.14.0, so on 1.13 and \
earlier the chart ignores the Secret and renders a new random value on every upgrade; \
`existingSecretAdminPassword` is read from 1.12.0.\n\n**Fix:** target a chart that has the key \
(the finding names the first one), or use what the target offers instead (for the internal \
secrets: pin `core.secret`, `jobservice.secret`, `registry.secret` and `core.xsrfKey` in the \
values)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(target) = ctx.target() else {
            return;
        };
        for (key, verdict) in judge(ctx) {
            let Verdict::Unsupported { first } = verdict else {
                continue;
            };
            let mut finding = Finding::new(
                self.id(),
                self.severity(),
                format!(
                    "`{}` first exists in chart {} (Harbor {}); the target {} ignores it",
                    key.path,
                    first.chart,
                    first.harbor,
                    target.label()
                ),
            )
            .path(key.path.clone())
            .at(key.entry.key_span.or(key.entry.node.span))
            .help(format!(
                "upgrade to chart {} or later to use `{}`, or configure what chart {} offers instead",
                first.chart, key.path, target.release.chart
            ));
            if !key.below.is_empty() {
                finding = finding.note(format!("set below it: {}", list_keys(&key.below)));
            }
            out.push(finding);
        }
    }
}
