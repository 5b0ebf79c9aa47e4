//! `reuse-values-stale`: `--reuse-values` renders the target chart with the deployed chart's
//! defaults, so keys only the target chart has are missing.

use std::collections::BTreeSet;

use super::{Context, Findings, Rule};
use crate::report::{Finding, Severity};

/// `--reuse-values` onto a chart whose values.yaml has keys the deployed chart's lacks.
pub struct ReuseValuesStale;

/// How many missing keys a finding names.
const LISTED: usize = 12;

fn parent(path: &str) -> Option<&str> {
    path.rsplit_once('.').map(|(p, _)| p)
}

impl Rule for ReuseValuesStale {
    fn id(&self) -> &'static str {
        "reuse-values-stale"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "`--reuse-values` keeps the deployed chart's defaults: keys the target chart's values.yaml adds are missing (`nil pointer evaluating interface {}`), images stay at the old tags"
    }
    fn explain(&self) -> &'static str {
        "With `--reuse-values`, Helm does not read the new chart's `values.yaml` at all: it \
rebuilds the deployed release's values (the deployed chart's defaults plus the values given at \
install) and merges the new flags over them. Every key the target chart added since the \
deployed release is missing. A template that reads into a missing map fails the render, as in \
`nil pointer evaluating interface {}.initialDelaySeconds`; a missing scalar renders empty. The \
image tags are also the deployed chart's defaults, so the pods keep running the old Harbor \
even though the chart is new: `helm upgrade --reuse-values` from chart 1.12.4 to 1.14.2 renders \
`goharbor/harbor-core:v2.8.4`, with Helm 3 and Helm 4 alike.\n\n\
The missing keys are the target release's `values.yaml` keys that the deployed release's \
`values.yaml` does not have and that the values do not set, from the embedded table of every \
release (or the chart given with `--chart`). Offline, give the release's values with \
`--deployed-values` and the deployed version with `--from`.\n\n\
**Fix:** use `--reset-then-reuse-values` (Helm 3.14 and later, Helm 4): the target chart's defaults, then \
the release's values, then the new flags. Or keep the values in a file and pass it with `-f` \
instead of reusing."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if !ctx.reuse_values() || ctx.deployed().is_none() {
            return;
        }
        let Some(target) = ctx.target() else {
            return;
        };
        let Some(source) = ctx.source() else {
            out.skip(
                self.id(),
                "the deployed chart version is not known (`--from`): the keys `--reuse-values` loses were not listed",
            );
            return;
        };
        if source.release.chart == target.release.chart {
            return;
        }
        let missing: BTreeSet<String> = target
            .active_keys()
            .into_iter()
            .filter(|k| !source.has(k) && ctx.values.get_path(k).is_none())
            .collect();
        // The outermost missing keys: their parent exists (or they are top-level).
        let top: Vec<&String> = missing
            .iter()
            .filter(|k| parent(k).is_none_or(|p| !missing.contains(p)))
            .collect();
        let image_tag_kept = ctx.values.get_path("core.image.tag").is_none();
        if top.is_empty() && !image_tag_kept {
            return;
        }
        let maps: Vec<&&String> = top
            .iter()
            .filter(|k| missing.iter().any(|m| parent(m) == Some(k.as_str())))
            .collect();
        let mut listed: Vec<String> = top
            .iter()
            .take(LISTED)
            .map(|k| {
                if maps.contains(&k) {
                    format!("`{k}` (map)")
                } else {
                    format!("`{k}`")
                }
            })
            .collect();
        if top.len() > LISTED {
            listed.push(format!("and {} more", top.len() - LISTED));
        }
        let message = if top.is_empty() {
            format!(
                "`--reuse-values` renders the target {} with the deployed {}'s defaults",
                target.label(),
                source.label()
            )
        } else {
            format!(
                "`--reuse-values` renders the target {} with the deployed {}'s defaults: {} key(s) of the target's values.yaml are missing",
                target.label(),
                source.label(),
                missing.len()
            )
        };
        let mut finding = Finding::new(self.id(), self.severity(), message);
        if !top.is_empty() {
            finding = finding.note(format!("missing: {}", listed.join(", ")));
        }
        if !maps.is_empty() {
            let example = maps[0];
            let child = missing
                .iter()
                .find(|m| parent(m) == Some(example.as_str()))
                .and_then(|m| m.rsplit('.').next())
                .unwrap_or("key");
            finding = finding.note(format!(
                "a template reading into a missing map fails the render: `nil pointer evaluating interface {{}}.{child}` for `{example}.{child}`"
            ));
        }
        if image_tag_kept {
            finding = finding.note(format!(
                "the image tags are the deployed chart's defaults too: the pods keep running Harbor {} instead of {}",
                source.release.harbor, target.release.harbor
            ));
        }
        out.push(finding.help(
            "use `--reset-then-reuse-values` (Helm 3.14 and later, Helm 4) instead of `--reuse-values`, or pass the full values file with `-f`",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::parent;
    use crate::chart::{known_release, ChartView};

    #[test]
    fn keys_new_in_1_14_include_the_existing_secret_knobs() {
        let source = ChartView::embedded(known_release("1.12.4").expect("known")).expect("view");
        let target = ChartView::embedded(known_release("1.14.2").expect("known")).expect("view");
        let new: Vec<String> = target
            .active_keys()
            .into_iter()
            .filter(|k| !source.has(k))
            .collect();
        assert!(new.iter().any(|k| k == "core.existingSecret"), "{new:?}");
        assert!(!new.iter().any(|k| k == "core.replicas"));
        assert_eq!(parent("core.existingSecret"), Some("core"));
        assert_eq!(parent("externalURL"), None);
    }
}
