//! Rendered workloads judged against the live ones (`--rendered` with live objects): the
//! `StatefulSet`, Deployment and PVC changes the API server refuses, `ReadWriteOnce` claims under
//! `RollingUpdate`, and the Harbor versions and core replicas a schema migration depends on.
//!
//! `persistence-immutable-change`, `rwo-rolling-update` and `migration-unguarded` call in here
//! when a rendered stream is given; without one they judge the values as before.

use serde_json::Value as Json;

use super::{Context, Findings};
use crate::rendered::{Object, Stream};
use crate::report::{Finding, Origin, Severity};
use crate::values::emit::to_json;
use crate::values::{Node, Span, Value};

/// The JSON of the node at `path` (`Null` when absent).
fn json_at(object: &Object, path: &str) -> Json {
    object.node.get_path(path).map_or(Json::Null, to_json)
}

/// Where a finding about `path` of a rendered object points: the field, else the object.
fn span_at(object: &Object, path: &str) -> Option<Span> {
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
    let parent = if parent.is_empty() {
        Some(&object.node)
    } else {
        object.node.get_path(parent)
    };
    parent
        .and_then(|p| p.entry(last))
        .and_then(|e| e.key_span.or(e.node.span))
        .or(object.span)
}

/// A Kubernetes quantity (`10Gi`, `500M`, `1e3`) in bytes, for comparing sizes.
fn quantity(text: &str) -> Option<f64> {
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let text = text.trim();
    for (suffix, factor) in SUFFIXES {
        if let Some(number) = text.strip_suffix(suffix) {
            return number.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    text.parse().ok()
}

/// A short text of a JSON value for messages (`1Gi`, `["ReadWriteOnce"]`, `unset`).
fn show(value: &Json) -> String {
    match value {
        Json::Null => "unset".to_string(),
        Json::String(s) => crate::redact::escape(s).into_owned(),
        other => crate::redact::escape(&other.to_string()).into_owned(),
    }
}

/// The `volumeClaimTemplates` of a `StatefulSet`, by name.
fn claim_templates(object: &Object) -> Vec<(String, &Node)> {
    match object
        .node
        .get_path("spec.volumeClaimTemplates")
        .map(|n| &n.value)
    {
        Some(Value::Seq(items)) => items
            .iter()
            .map(|t| {
                let name = t
                    .get_path("metadata.name")
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_string();
                (name, t)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// One refused change: the rendered object, the field, the live and rendered values.
struct Change<'a> {
    object: &'a Object,
    field: String,
    span: Option<Span>,
    live: String,
    rendered: String,
}

/// `persistence-immutable-change` from the stream: rendered vs live `StatefulSet` selectors and
/// `volumeClaimTemplates`, Deployment selectors, PVC class, access modes and shrinking sizes
/// (called only when live objects are given).
pub(super) fn persistence(
    rule: &'static str,
    severity: Severity,
    ctx: &Context<'_>,
    rendered: &Stream,
    out: &mut Findings,
) {
    let mut changes: Vec<Change<'_>> = Vec::new();
    for object in &rendered.objects {
        let Some(live) = ctx.live_object(&object.kind, &object.name) else {
            continue;
        };
        match object.kind.as_str() {
            "StatefulSet" => statefulset_changes(object, live, &mut changes),
            "Deployment" => compare(object, live, "spec.selector", &mut changes),
            "PersistentVolumeClaim" => claim_changes(object, live, &mut changes),
            _ => {}
        }
    }
    template_claims(rule, severity, ctx, rendered, out);
    for c in changes {
        let kind = &c.object.kind;
        let name = &c.object.name;
        let refused = match kind.as_str() {
            "StatefulSet" => format!("`helm upgrade` fails: `StatefulSet.apps \"{name}\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`"),
            "Deployment" => format!("`helm upgrade` fails: `Deployment.apps \"{name}\" is invalid: spec.selector: Invalid value: field is immutable`"),
            _ if c.field.ends_with("storage") => format!("`helm upgrade` fails: `PersistentVolumeClaim \"{name}\" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than previous value`"),
            _ => format!("`helm upgrade` fails: `PersistentVolumeClaim \"{name}\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests for bound claims`"),
        };
        let help = match kind.as_str() {
            "StatefulSet" => format!("keep the live `{}`; to really change it, `kubectl delete statefulset {name} --cascade=orphan` before the upgrade, then resize or migrate the existing claim yourself", c.live),
            "Deployment" => format!("keep the live selector, or delete Deployment `{name}` before the upgrade (its pods go down)"),
            _ => format!("keep the live `{}`; for another class or mode create a new claim, copy the data, and point the values at it with `existingClaim`", c.live),
        };
        out.push(
            Finding::new(
                rule,
                severity,
                format!(
                    "rendered {kind} `{name}` changes `{}` from `{}` (live) to `{}`: the API server refuses the update",
                    c.field, c.live, c.rendered
                ),
            )
            .at(c.span)
            .from_object(Origin::Rendered, Some(c.object.address()))
            .note(refused)
            .help(help),
        );
    }
}

/// The live claims a rendered `StatefulSet`'s `volumeClaimTemplates` created
/// (`<template>-<statefulset>-<ordinal>`, in no manifest) against the rendered template: a claim
/// smaller than the template, or of another class or access mode. A `StatefulSet` never changes
/// the claims it made, and its templates cannot change.
fn template_claims(
    rule: &'static str,
    severity: Severity,
    ctx: &Context<'_>,
    rendered: &Stream,
    out: &mut Findings,
) {
    let mut seen = std::collections::HashSet::new();
    for set in rendered.of_kind("StatefulSet") {
        for (template, node) in claim_templates(set) {
            for stream in ctx.live_objects() {
                for claim in stream.of_kind("PersistentVolumeClaim") {
                    if !crate::kube::is_template_claim(&claim.name, &template, &set.name)
                        || !seen.insert(claim.name.clone())
                    {
                        continue;
                    }
                    template_claim(rule, severity, (set, &template, node), (stream, claim), out);
                }
            }
        }
    }
}

/// One live claim of a claim template against the rendered template.
fn template_claim(
    rule: &'static str,
    severity: Severity,
    (set, template, node): (&Object, &str, &Node),
    (stream, claim): (&Stream, &Object),
    out: &mut Findings,
) {
    let field_span = |field: &str| {
        node.get_path(field)
            .and_then(|n| n.span)
            .or_else(|| span_at(set, "spec.volumeClaimTemplates"))
    };
    let name = &claim.name;
    let set_name = &set.name;
    let size = "spec.resources.requests.storage";
    let (live, new) = (
        json_at(claim, size),
        node.get_path(size).map_or(Json::Null, to_json),
    );
    let smaller = match (
        live.as_str().and_then(quantity),
        new.as_str().and_then(quantity),
    ) {
        (Some(live), Some(new)) => live + 0.5 < new,
        _ => false,
    };
    let mut found: Vec<(Severity, String, Option<Span>, String, String)> = Vec::new();
    if smaller {
        found.push((
            severity,
            format!("claim `{name}` of StatefulSet `{set_name}` holds `{}` (live), less than the `{}` rendered in `volumeClaimTemplates[{template}]`: a StatefulSet never resizes the claims it created, and the template cannot change", show(&live), show(&new)),
            field_span(size),
            format!("the upgrade leaves `{name}` at `{}`: a StatefulSet makes claims from its templates only for ordinals that have none", show(&live)),
            format!("resize the claim itself if its storage class allows expansion (`kubectl patch pvc {name} -p '{{\"spec\":{{\"resources\":{{\"requests\":{{\"storage\":\"{}\"}}}}}}}}'`), then `kubectl delete statefulset {set_name} --cascade=orphan` before the upgrade so that it is recreated with the new template", show(&new)),
        ));
    }
    for (field, what) in [
        ("spec.storageClassName", "storage class"),
        ("spec.accessModes", "access modes"),
    ] {
        let new = node.get_path(field).map_or(Json::Null, to_json);
        // An unset class is filled in by the default class: not a change.
        if new.is_null() {
            continue;
        }
        let live = json_at(claim, field);
        if live.is_null() || same(&live, &new) {
            continue;
        }
        // The upgrade is not refused for this (the claim is not in any manifest), but the values
        // describe another volume than the one the data is on: a warning, not an error.
        found.push((
            Severity::Warning,
            format!("claim `{name}` of StatefulSet `{set_name}` has {what} `{}` (live), the rendered `volumeClaimTemplates[{template}]` asks `{}`: a claim's {what} never change", show(&live), show(&new)),
            field_span(field),
            format!("the StatefulSet keeps mounting `{name}` as it is: the values do not describe the volume the data is on"),
            format!("keep the live `{}` in the values; for another {what}, copy the data to a new claim with the component scaled to 0", show(&live)),
        ));
    }
    for (severity, message, span, note, help) in found {
        out.push(
            Finding::new(rule, severity, message)
                .at(span)
                .from_object(Origin::Cluster, Some(stream.address_of(claim)))
                .note(note)
                .help(help),
        );
    }
}

/// Selector and `volumeClaimTemplates` changes of a `StatefulSet`.
fn statefulset_changes<'a>(object: &'a Object, live: &Object, changes: &mut Vec<Change<'a>>) {
    compare(object, live, "spec.selector", changes);
    let live_templates = claim_templates(live);
    let new_templates = claim_templates(object);
    let names = |t: &[(String, &Node)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    if names(&live_templates) != names(&new_templates) {
        changes.push(Change {
            object,
            field: "spec.volumeClaimTemplates".into(),
            span: span_at(object, "spec.volumeClaimTemplates"),
            live: names(&live_templates).join(", "),
            rendered: names(&new_templates).join(", "),
        });
        return;
    }
    for ((name, new), (_, old)) in new_templates.iter().zip(&live_templates) {
        for field in [
            "spec.resources.requests.storage",
            "spec.storageClassName",
            "spec.accessModes",
        ] {
            let (a, b) = (
                old.get_path(field).map_or(Json::Null, to_json),
                new.get_path(field).map_or(Json::Null, to_json),
            );
            if same(&a, &b) {
                continue;
            }
            changes.push(Change {
                object,
                field: format!("spec.volumeClaimTemplates[{name}].{field}"),
                span: new
                    .get_path(field)
                    .and_then(|n| n.span)
                    .or_else(|| span_at(object, "spec.volumeClaimTemplates")),
                live: show(&a),
                rendered: show(&b),
            });
        }
    }
}

/// Access mode, class and shrinking size of a PVC.
fn claim_changes<'a>(object: &'a Object, live: &Object, changes: &mut Vec<Change<'a>>) {
    for field in ["spec.accessModes", "spec.storageClassName"] {
        let new = json_at(object, field);
        // An unset class is filled in by the default class: not a change.
        if new.is_null() {
            continue;
        }
        compare(object, live, field, changes);
    }
    let size = "spec.resources.requests.storage";
    let (old, new) = (json_at(live, size), json_at(object, size));
    let smaller = match (
        old.as_str().and_then(quantity),
        new.as_str().and_then(quantity),
    ) {
        (Some(old), Some(new)) => new < old,
        _ => false,
    };
    if smaller {
        changes.push(Change {
            object,
            field: size.into(),
            span: span_at(object, size),
            live: show(&old),
            rendered: show(&new),
        });
    }
}

/// Two JSON values are the same, sizes compared as quantities (`1024Mi` is `1Gi`).
fn same(a: &Json, b: &Json) -> bool {
    match (a.as_str().and_then(quantity), b.as_str().and_then(quantity)) {
        (Some(x), Some(y)) => (x - y).abs() < 0.5,
        _ => a == b,
    }
}

fn compare<'a>(object: &'a Object, live: &Object, field: &str, out: &mut Vec<Change<'a>>) {
    let (old, new) = (json_at(live, field), json_at(object, field));
    // A field the live object does not show is unknown, not changed.
    if !old.is_null() && !same(&old, &new) {
        out.push(Change {
            object,
            field: field.to_string(),
            span: span_at(object, field),
            live: show(&old),
            rendered: show(&new),
        });
    }
}

/// The access modes of the claim `name`: rendered, else live.
fn claim_modes(ctx: &Context<'_>, rendered: &Stream, name: &str) -> Option<Vec<String>> {
    let claim = rendered
        .object("PersistentVolumeClaim", name)
        .or_else(|| ctx.live_object("PersistentVolumeClaim", name))?;
    let modes = match claim.node.get_path("spec.accessModes").map(|n| &n.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    Some(modes)
}

/// `rwo-rolling-update` from the stream: a rendered Deployment rolling out with
/// `RollingUpdate` (the default) that mounts a `ReadWriteOnce` claim.
pub(super) fn rwo_rolling_update(
    rule: &'static str,
    severity: Severity,
    ctx: &Context<'_>,
    rendered: &Stream,
    out: &mut Findings,
) {
    for deployment in rendered.of_kind("Deployment") {
        let strategy = deployment
            .node
            .get_path("spec.strategy.type")
            .and_then(Node::as_str)
            .unwrap_or("RollingUpdate");
        if strategy != "RollingUpdate" {
            continue;
        }
        let Some(pod) = deployment.pod_spec() else {
            continue;
        };
        for volume in pod.volumes() {
            let Some(claim) = volume
                .get_path("persistentVolumeClaim.claimName")
                .and_then(Node::as_str)
            else {
                continue;
            };
            let Some(modes) = claim_modes(ctx, rendered, claim) else {
                out.skip(
                    rule,
                    format!("claim `{claim}` of rendered Deployment `{}` is neither rendered nor given live: its access mode is unknown", deployment.name),
                );
                continue;
            };
            if !modes
                .iter()
                .any(|m| m == "ReadWriteOnce" || m == "ReadWriteOncePod")
            {
                continue;
            }
            out.push(
                Finding::new(
                    rule,
                    severity,
                    format!(
                        "rendered Deployment `{}` mounts ReadWriteOnce claim `{claim}` and rolls out with `RollingUpdate`: a new pod on another node waits on `Multi-Attach error for volume`",
                        deployment.name
                    ),
                )
                .at(span_at(deployment, "spec.strategy.type"))
                .from_object(Origin::Rendered, Some(deployment.address()))
                .note("the new pod starts before the old one releases the volume; the upgrade hangs until the old pod is deleted")
                .help("set `updateStrategy.type: Recreate`, or use a ReadWriteMany volume (object storage for images, `jobservice.jobLoggers: [database]` for job logs)"),
            );
        }
    }
}

/// `(major, minor)` of an image tag (`v2.10.2` → `(2, 10)`).
fn minor_of(tag: &str) -> Option<(u64, u64)> {
    let mut parts = tag.strip_prefix('v').unwrap_or(tag).split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The Harbor version of a core Deployment's image.
fn core_tag(object: &Object) -> Option<&str> {
    let image = object
        .pod_spec()?
        .container("core")?
        .get("image")?
        .as_str()?;
    Some(image.rsplit_once(':')?.1)
}

/// `migration-unguarded` from the stream: the rendered core image crosses a Harbor minor from
/// the live one (or `--from`), core has several replicas, and no pre-upgrade hook migrates.
pub(super) fn migration_unguarded(
    rule: &'static str,
    severity: Severity,
    ctx: &Context<'_>,
    rendered: &Stream,
    out: &mut Findings,
) {
    let Some(core) = rendered.core() else {
        return;
    };
    let Some(to_tag) = core_tag(core) else {
        return;
    };
    let from_tag = ctx
        .live_object("Deployment", &core.name)
        .and_then(core_tag)
        .map(str::to_string)
        .or_else(|| ctx.settings.from.map(|f| f.harbor.to_string()));
    let Some(from_tag) = from_tag else {
        out.skip(
            rule,
            "the running Harbor version is unknown (no live core Deployment, no `--from`)",
        );
        return;
    };
    let (Some(from), Some(to)) = (minor_of(&from_tag), minor_of(to_tag)) else {
        return;
    };
    if from >= to {
        return;
    }
    let replicas = core.replicas();
    if replicas <= 1 {
        return;
    }
    let hooked = rendered.of_kind("Job").any(|job| {
        job.node
            .get_path("metadata.annotations")
            .and_then(|a| a.get("helm.sh/hook"))
            .and_then(Node::as_str)
            .is_some_and(|h| h.contains("pre-upgrade"))
    });
    if hooked {
        return;
    }
    out.push(
        Finding::new(
            rule,
            severity,
            format!(
                "rendered core image `{}` crosses a Harbor minor from `{}`, core has {replicas} replicas and no pre-upgrade migration Job is rendered",
                crate::redact::escape(to_tag),
                crate::redact::escape(&from_tag)
            ),
        )
        .at(span_at(core, "spec.replicas"))
        .from_object(Origin::Rendered, Some(core.address()))
        .note("several core pods migrate at once, or a probe kills the migration; core then fails with `Dirty database version N. Fix and force version.`")
        .help("back up the database, then set `enableMigrateHelmHook: true` (a pre-upgrade Job migrates once before core rolls), or upgrade with `core.replicas: 1` and scale up afterwards"),
    );
}

/// `tls-ca-regenerates` from the stream: a rendered Secret with a `ca.crt` whose CA differs
/// from the live Secret's (the token signing Secret aside).
pub(super) fn tls_ca(
    rule: &'static str,
    severity: Severity,
    ctx: &Context<'_>,
    rendered: &Stream,
    out: &mut Findings,
) {
    let token_secret = ctx
        .token_pairs
        .iter()
        .find(|p| p.rendered)
        .and_then(|p| p.secret_name);
    for secret in &rendered.secrets {
        if Some(secret.name.as_str()) == token_secret {
            continue;
        }
        let Some(new) = secret.data.get("ca.crt") else {
            continue;
        };
        let Some(live) = ctx.secret(&secret.name).and_then(|s| s.data.get("ca.crt")) else {
            continue;
        };
        if new.bytes == live.bytes {
            continue;
        }
        out.push(
            Finding::new(
                rule,
                severity,
                format!("rendered Secret `{}` holds another CA than the live one: the upgrade replaces the CA and certificate", secret.name),
            )
            .at(new.span.or(secret.name_span))
            .from_object(Origin::Rendered, Some(format!("rendered://secret/{}", secret.name)))
            .note(format!(
                "rendered `ca.crt`: {}, live: {}",
                crate::pki::fingerprint(&new.bytes),
                crate::pki::fingerprint(&live.bytes)
            ))
            .note("clients that trusted the old CA fail with `x509: certificate signed by unknown authority` after the upgrade")
            .help(format!("copy `tls.crt`, `tls.key` and `ca.crt` of the live Secret `{}` into a Secret of your own and name it in the values (`expose.tls.certSource: secret` with `expose.tls.secret.secretName`, or `internalTLS.certSource: secret`)", secret.name)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{minor_of, quantity};

    #[test]
    fn quantities_compare_across_suffixes() {
        assert_eq!(quantity("1Gi"), quantity("1024Mi"));
        assert!(quantity("5Gi") > quantity("1Gi"));
        assert_eq!(quantity("500M"), Some(5e8));
        assert_eq!(quantity("oops"), None);
    }

    #[test]
    fn image_tags_give_the_minor() {
        assert_eq!(minor_of("v2.10.2"), Some((2, 10)));
        assert_eq!(minor_of("2.8.4"), Some((2, 8)));
        assert_eq!(minor_of("dev"), None);
    }
}
