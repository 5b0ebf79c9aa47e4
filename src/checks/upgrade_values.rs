//! What the upgrade rules read about a values key: its text in the new values, falling back to
//! the target chart's default, and the same for the deployed release (its values, falling back
//! to the deployed chart's default).

use super::Context;
use crate::values::{Node, Span, Value};

/// The text of a scalar (string, number, boolean); `None` for null, lists and maps.
pub(super) fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) | Value::Number(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A key's value as the target chart renders it: the new values' scalar if the key is there
/// (`None` when it is null or not a scalar), else the target chart's default.
pub(super) fn new_value(ctx: &Context<'_>, path: &str) -> Option<String> {
    match ctx.values.get_path(path) {
        Some(node) => scalar_text(node),
        None => ctx
            .target()
            .and_then(|t| t.default(path))
            .map(str::to_string),
    }
}

/// A key's value in the running release: the deployed values' scalar, else the deployed chart's
/// default. `None` without deployed values.
pub(super) fn deployed_value(ctx: &Context<'_>, path: &str) -> Option<String> {
    let deployed = ctx.deployed()?;
    match deployed.get_path(path) {
        Some(node) => scalar_text(node),
        None => ctx
            .source()
            .and_then(|s| s.default(path))
            .map(str::to_string),
    }
}

/// Whether a value reads as true, as a Go template's `if` sees a boolean or a string.
pub(super) fn truthy(value: Option<&str>) -> bool {
    matches!(value, Some(v) if v == "true")
}

/// Where a finding about a key of the new values points, if the key is written.
pub(super) fn span_of(ctx: &Context<'_>, path: &str) -> Option<Span> {
    ctx.field(path).span()
}

/// `<fullname>` of the release: from `fullnameOverride`, else from the live core Secret's name
/// (read from the cluster), else the placeholder `<fullname>`.
pub(super) fn fullname<'a>(ctx: &Context<'a>) -> &'a str {
    ctx.fullname()
        .or_else(|| ctx.core_secret().and_then(|s| s.name.strip_suffix("-core")))
        .unwrap_or("<fullname>")
}
