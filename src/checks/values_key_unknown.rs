//! `values-key-unknown`: a key that no known release of the chart has.

use super::values_keys::{judge, list_keys, Verdict};
use super::{Context, Findings, Rule};
use crate::chart::catalog;
use crate::report::{Finding, Severity};

/// A key exists in no known chart version.
pub struct ValuesKeyUnknown;

impl Rule for ValuesKeyUnknown {
    fn id(&self) -> &'static str {
        "values-key-unknown"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "a key the values set exists in no known chart release: a typo or a key of another chart; suggests the closest real key"
    }
    fn explain(&self) -> &'static str {
        "Helm passes unknown keys to the templates, which never read them, so a misspelt key \
(`persistence.persistenVolumeClaim`, `core.tokenkey`) or one put at the wrong level is silently \
ignored and the chart default applies instead: an unpinned secret, a volume on the wrong storage \
class, a default password.\n\nThe known keys are those of every goharbor/harbor release from \
1.4.0 to 1.19.1 (and of the chart given with `--chart`), including keys the chart documents only \
as comments but reads (`existingSecretAdminPassword` before 1.18, \
`persistence.imageChartStorage.s3.accesskey`, `caBundleSecretName` …). Children of free-form \
maps (annotations, labels, `nodeSelector`, `resources`, `affinity`, …), `global`, and options of \
the registry storage drivers are not judged.\n\n**Fix:** rename the key to the suggestion, or \
move it under the right parent; delete it if it belongs to nothing."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let c = catalog();
        let range = match (c.oldest(), c.newest()) {
            (Some(a), Some(b)) => format!(" ({}–{})", a.chart, b.chart),
            _ => String::new(),
        };
        for (key, verdict) in judge(ctx) {
            let Verdict::Unknown { suggestion } = verdict else {
                continue;
            };
            let mut finding = Finding::new(
                self.id(),
                self.severity(),
                format!(
                    "`{}` is not a key of any known goharbor/harbor chart release{range}: Helm ignores it",
                    key.path
                ),
            )
            .path(key.path.clone())
            .at(key.entry.key_span.or(key.entry.node.span));
            if !key.below.is_empty() {
                finding = finding.note(format!("set below it: {}", list_keys(&key.below)));
            }
            finding = match suggestion {
                Some(s) => finding.help(format!("did you mean `{s}`?")),
                None => finding
                    .help("check the spelling against the chart's values.yaml, or remove the key"),
            };
            out.push(finding);
        }
    }
}
