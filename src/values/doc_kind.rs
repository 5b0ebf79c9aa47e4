//! Which Kubernetes object a YAML document is: a Flux `HelmRelease`, an Argo CD `Application`,
//! or neither, and which chart it installs. Shared by loading and by editing, so both find the
//! values in the same place.

use super::{Node, Span, Value};

/// The chart version a Flux `HelmRelease` or an Argo CD `Application` pins, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedChart {
    /// The version as written (`1.14.2`, or a range such as `1.14.x` that pins nothing exact).
    pub version: String,
    /// Its path in the document (`spec.chart.spec.version`, `spec.source.targetRevision` …).
    pub at: String,
    /// Where it is written.
    pub span: Option<Span>,
    /// The chart repository, when the document names it (Argo CD `repoURL`).
    pub repo: Option<String>,
}

/// The version of the chart a release or application installs: Flux `spec.chart.spec.version`,
/// Argo CD `targetRevision` of the source (or the `sources[]` entry) that names a chart.
pub(crate) fn pinned_chart(node: &Node) -> Option<PinnedChart> {
    let found = |version: &Node, at: String, repo: Option<&Node>| {
        Some(PinnedChart {
            version: version.as_str()?.to_string(),
            at,
            span: version.span,
            repo: repo.and_then(Node::as_str).map(str::to_string),
        })
    };
    if is_flux_release(node) {
        let version = node.get_path("spec.chart.spec.version")?;
        return found(version, "spec.chart.spec.version".into(), None);
    }
    if !is_argo_application(node) {
        return None;
    }
    if let Some(source) = node
        .get_path("spec.source")
        .filter(|s| s.get("chart").is_some())
    {
        return found(
            source.get("targetRevision")?,
            "spec.source.targetRevision".into(),
            source.get("repoURL"),
        );
    }
    match &node.get_path("spec.sources")?.value {
        Value::Seq(items) => items.iter().enumerate().find_map(|(i, source)| {
            source.get("chart")?;
            found(
                source.get("targetRevision")?,
                format!("spec.sources[{i}].targetRevision"),
                source.get("repoURL"),
            )
        }),
        _ => None,
    }
}

/// A document's `apiVersion` and `kind` when both are strings.
pub(crate) fn object_type(node: &Node) -> Option<(&str, &str)> {
    Some((
        node.get("apiVersion")?.as_str()?,
        node.get("kind")?.as_str()?,
    ))
}

pub(crate) fn is_flux_release(node: &Node) -> bool {
    object_type(node).is_some_and(|(api, kind)| {
        api.starts_with("helm.toolkit.fluxcd.io/") && kind == "HelmRelease"
    })
}

pub(crate) fn is_argo_application(node: &Node) -> bool {
    object_type(node)
        .is_some_and(|(api, kind)| api.starts_with("argoproj.io/") && kind == "Application")
}

/// The chart a release or application installs, where it is written down.
pub(crate) fn chart_name(node: &Node) -> Option<&str> {
    if is_flux_release(node) {
        return node.get_path("spec.chart.spec.chart")?.as_str();
    }
    if let Some(chart) = node.get_path("spec.source.chart").and_then(Node::as_str) {
        return Some(chart);
    }
    match &node.get_path("spec.sources")?.value {
        Value::Seq(items) => items.iter().find_map(|s| s.get("chart")?.as_str()),
        _ => None,
    }
}
