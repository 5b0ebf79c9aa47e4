//! Which Kubernetes object a YAML document is: a Flux `HelmRelease`, an Argo CD `Application`,
//! or neither, and which chart it installs. Shared by loading and by editing, so both find the
//! values in the same place.

use super::{Node, Value};

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
