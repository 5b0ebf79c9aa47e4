//! `preflight check --rendered … -n NS` and `verify` against the live workloads and claims the
//! API server holds: the `StatefulSets` and claims of the release, including the claims the
//! `StatefulSet`s' `volumeClaimTemplates` created (in no manifest), resized or re-classed by
//! hand. The Helm test lets real Helm install chart 1.12.4 into the test API server and render
//! the upgrade to 1.14.2 with `helm upgrade --dry-run=server`; without Helm or the charts it
//! prints `skipped: <test>: <why>`.

mod common;
mod support;

use std::path::Path;

use common::{testdata, Run, Scratch};
use serde_json::{json, Value};
use support::claims::{put_manifest_workloads, resize, template_claims};
use support::harbor::{assert_no_secret, deployed_values, run_with, standard, NS};
use support::helm::{chart, yaml_documents, HelmCluster};
use support::{helm_release_secret_with_manifest, rollout, ApiServer};

const NOW: &str = "2030-01-01T00:00:00Z";
const DATABASE_CLAIM: &str = "database-data-harbor-database-0";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(testdata(&format!("rendered/{name}"))).expect("fixture")
}

/// The fixture release, with the `StatefulSets` and claims of chart 1.12.4 live (and the claims
/// their templates created).
fn live_release() -> (ApiServer, Scratch) {
    let (server, scratch) = standard();
    put_manifest_workloads(&mut server.state(), NS, &fixture("deployed-1.12.4.yaml"));
    (server, scratch)
}

/// The 1.14.2 stream with the database claim template at `size`.
fn database_at(size: &str) -> String {
    let stream = fixture("upgrade-1.14.2.yaml");
    let at = stream
        .find("kind: StatefulSet\nmetadata:\n  name: \"harbor-database\"")
        .or_else(|| stream.find("kind: StatefulSet\nmetadata:\n  name: harbor-database"))
        .expect("database StatefulSet");
    let size_at = at + stream[at..].find("storage: \"1Gi\"").expect("claim size");
    format!(
        "{}storage: \"{size}\"{}",
        &stream[..size_at],
        &stream[size_at + "storage: \"1Gi\"".len()..]
    )
}

/// `preflight check --rendered <stream> -n harbor -o json`.
fn check(server: &ApiServer, scratch: &Scratch, stream: &str) -> Run {
    let file = scratch.write("rendered.yaml", stream);
    let kubeconfig = server.kubeconfig(scratch.path(), NS);
    let r = run_with(
        &kubeconfig,
        scratch.path(),
        &[
            "preflight",
            "check",
            "--rendered",
            &file,
            "-n",
            NS,
            "-o",
            "json",
            "--now",
            NOW,
            "--skip-clock",
        ],
    );
    r.assert_judged();
    assert_no_secret(&r);
    r
}

fn by_object(r: &Run, rule: &str, object: &str) -> Vec<Value> {
    r.findings(rule)
        .into_iter()
        .filter(|f| f["object"] == object)
        .collect()
}

#[test]
fn live_claims_that_match_the_rendering_give_no_persistence_finding() {
    let (server, scratch) = live_release();
    let r = check(&server, &scratch, &fixture("upgrade-1.14.2.yaml"));
    assert!(
        r.findings("persistence-immutable-change").is_empty(),
        "{}",
        r.stdout
    );
    assert!(r.findings("rbac-forbidden").is_empty(), "{}", r.stdout);
    let requests = server.requests();
    for list in [
        "/apis/apps/v1/namespaces/harbor/statefulsets?",
        "/api/v1/namespaces/harbor/persistentvolumeclaims?",
    ] {
        assert!(
            requests.iter().any(|q| q.contains(list)),
            "{list}: {requests:#?}"
        );
    }
    assert!(
        r.stderr
            .contains("live Deployment(s), StatefulSet(s) and claim(s)"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_claim_resized_by_hand_past_the_rendering_is_persistence_immutable_change() {
    let (server, scratch) = live_release();
    resize(&mut server.state(), NS, "harbor-registry", "50Gi");
    let r = check(&server, &scratch, &fixture("upgrade-1.14.2.yaml"));
    assert_eq!(r.status, 1, "{}", r.stdout);
    let found = r.findings("persistence-immutable-change");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    let f = &found[0];
    assert_eq!(
        f["object"],
        "rendered://persistentvolumeclaim/harbor-registry"
    );
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("`50Gi` (live)") && message.contains("`5Gi`"),
        "{message}"
    );
    assert!(
        f.to_string()
            .contains("field can not be less than previous value"),
        "{f}"
    );
}

#[test]
fn a_database_claim_smaller_than_a_changed_template_is_persistence_immutable_change() {
    let (server, scratch) = live_release();
    let r = check(&server, &scratch, &database_at("5Gi"));
    assert_eq!(r.status, 1, "{}", r.stdout);
    // The StatefulSet's template cannot change…
    let set = by_object(
        &r,
        "persistence-immutable-change",
        "rendered://statefulset/harbor-database",
    );
    assert_eq!(set.len(), 1, "{}", r.stdout);
    // …and the claim it created keeps its size.
    let claim = by_object(
        &r,
        "persistence-immutable-change",
        &format!("cluster://{NS}/persistentvolumeclaim/{DATABASE_CLAIM}"),
    );
    assert_eq!(claim.len(), 1, "{}", r.stdout);
    assert_eq!(claim[0]["source"], "cluster");
    let message = claim[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`1Gi` (live)") && message.contains("`5Gi`"),
        "{message}"
    );
    assert_eq!(r.findings("persistence-immutable-change").len(), 2);

    // The StatefulSet was recreated with the new template (`--cascade=orphan`): the template
    // matches, the claim it made before is still the old size.
    {
        let mut st = server.state();
        let kind = support::discovery::find("apps", "v1", "statefulsets").expect("served");
        let mut set = st.object(kind, NS, "harbor-database").expect("live");
        set["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] =
            json!("5Gi");
        st.put_object(set);
    }
    let r = check(&server, &scratch, &database_at("5Gi"));
    let found = r.findings("persistence-immutable-change");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(
        found[0]["object"],
        format!("cluster://{NS}/persistentvolumeclaim/{DATABASE_CLAIM}")
    );

    // Resized by hand to the new size: nothing left to say.
    resize(&mut server.state(), NS, DATABASE_CLAIM, "5Gi");
    let r = check(&server, &scratch, &database_at("5Gi"));
    assert!(
        r.findings("persistence-immutable-change").is_empty(),
        "{}",
        r.stdout
    );
}

#[test]
fn a_claim_of_another_storage_class_than_its_template_is_persistence_immutable_change() {
    let (server, scratch) = live_release();
    {
        let mut st = server.state();
        let kind = support::discovery::find("", "v1", "persistentvolumeclaims").expect("served");
        let mut claim = st.object(kind, NS, DATABASE_CLAIM).expect("live claim");
        claim["spec"]["storageClassName"] = json!("slow-hdd");
        st.put_object(claim);
    }
    // The rendered database template names the class `fast-ssd`.
    let stream = fixture("upgrade-1.14.2.yaml");
    let at = stream
        .find("name: \"database-data\"")
        .expect("database template");
    let modes = at
        + stream[at..]
            .find("      accessModes:")
            .expect("access modes");
    let stream = format!(
        "{}      storageClassName: \"fast-ssd\"\n{}",
        &stream[..modes],
        &stream[modes..]
    );
    let r = check(&server, &scratch, &stream);
    let claim = by_object(
        &r,
        "persistence-immutable-change",
        &format!("cluster://{NS}/persistentvolumeclaim/{DATABASE_CLAIM}"),
    );
    assert_eq!(claim.len(), 1, "{}", r.stdout);
    let message = claim[0]["message"].as_str().unwrap();
    assert!(
        message.contains("storage class `slow-hdd` (live)") && message.contains("`fast-ssd`"),
        "{message}"
    );
    // The claim is in no manifest, so nothing refuses the upgrade for it: a warning.
    assert_eq!(claim[0]["severity"], "warning", "{}", r.stdout);
}

#[test]
fn a_refused_claim_list_is_rbac_forbidden_and_the_statefulsets_are_still_judged() {
    let (server, scratch) = live_release();
    server.forbid("list", "persistentvolumeclaims", None);
    let r = check(&server, &scratch, &database_at("5Gi"));
    assert_eq!(r.status, 1, "{}", r.stdout);
    let denied = r.findings("rbac-forbidden");
    assert!(
        denied
            .iter()
            .any(|f| f.to_string().contains("persistentvolumeclaims")),
        "{}",
        r.stdout
    );
    let found = r.findings("persistence-immutable-change");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(found[0]["object"], "rendered://statefulset/harbor-database");
}

#[test]
fn a_field_the_live_object_does_not_show_is_not_a_change() {
    // The fixture's live Deployments carry no `spec.selector`: unknown, not changed.
    let (server, scratch) = live_release();
    let r = check(&server, &scratch, &fixture("upgrade-1.14.2.yaml"));
    let deployments: Vec<Value> = r
        .findings("persistence-immutable-change")
        .into_iter()
        .filter(|f| {
            f["object"]
                .as_str()
                .is_some_and(|o| o.starts_with("rendered://deployment/"))
        })
        .collect();
    assert!(deployments.is_empty(), "{}", r.stdout);
    assert!(
        server
            .state()
            .deployments
            .values()
            .all(|d| d.spec.is_none()),
        "the fixture's Deployments have no spec"
    );
}

/// The `StatefulSets` and claims of chart 1.12.4 as the manifest of the deployed revision.
fn applied_workloads() -> String {
    let mut out = String::new();
    for d in yaml_documents(&fixture("deployed-1.12.4.yaml")) {
        if d["kind"] == "StatefulSet" || d["kind"] == "PersistentVolumeClaim" {
            out.push_str("---\n");
            out.push_str(&serde_json::to_string_pretty(&d).expect("json"));
            out.push('\n');
        }
    }
    out
}

fn verify(server: &ApiServer, home: &Path) -> Run {
    let kubeconfig = server.kubeconfig(home, NS);
    let r = run_with(
        &kubeconfig,
        home,
        &["verify", "--release=harbor", "--wait", "10s", "-o", "json"],
    );
    assert_no_secret(&r);
    r
}

#[test]
fn verify_catches_a_statefulset_and_a_claim_changed_by_hand_since_helm_applied_them() {
    let (server, scratch) = live_release();
    {
        let mut st = server.state();
        st.put_secret(helm_release_secret_with_manifest(
            NS,
            "harbor",
            (3, "deployed"),
            ("1.12.4", "2.8.4"),
            &deployed_values(),
            &applied_workloads(),
        ));
        rollout::settle_all(&mut st, NS);
    }
    let r = verify(&server, scratch.path());
    assert!(
        r.findings("persistence-immutable-change").is_empty(),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    // Someone recreated the database StatefulSet with a larger template and grew the registry
    // claim: the next `helm upgrade` with the same values is refused.
    {
        let mut st = server.state();
        let kind = support::discovery::find("apps", "v1", "statefulsets").expect("served");
        let mut set = st.object(kind, NS, "harbor-database").expect("live");
        set["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] =
            json!("2Gi");
        st.put_object(set);
        rollout::settle_all(&mut st, NS);
    }
    resize(&mut server.state(), NS, "harbor-registry", "50Gi");
    let r = verify(&server, scratch.path());
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let set = by_object(
        &r,
        "persistence-immutable-change",
        "rendered://statefulset/harbor-database",
    );
    assert_eq!(set.len(), 1, "{}", r.stdout);
    assert!(
        set[0]["message"].as_str().unwrap().contains("`2Gi` (live)"),
        "{}",
        r.stdout
    );
    let claim = by_object(
        &r,
        "persistence-immutable-change",
        "rendered://persistentvolumeclaim/harbor-registry",
    );
    assert_eq!(claim.len(), 1, "{}", r.stdout);
}

#[test]
fn verify_with_the_claim_list_refused_is_rbac_forbidden_and_not_judged() {
    let (server, scratch) = live_release();
    {
        let mut st = server.state();
        st.put_secret(helm_release_secret_with_manifest(
            NS,
            "harbor",
            (3, "deployed"),
            ("1.12.4", "2.8.4"),
            &deployed_values(),
            &applied_workloads(),
        ));
        rollout::settle_all(&mut st, NS);
    }
    server.forbid("list", "persistentvolumeclaims", None);
    let r = verify(&server, scratch.path());
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    let denied = r.findings("rbac-forbidden");
    assert_eq!(denied.len(), 1, "{}", r.stdout);
    assert!(
        denied[0].to_string().contains("persistentvolumeclaims"),
        "{}",
        r.stdout
    );
    // The StatefulSets were still listed and judged.
    assert!(
        server
            .requests()
            .iter()
            .any(|q| q.contains("/apis/apps/v1/namespaces/harbor/statefulsets?")),
        "{:#?}",
        server.requests()
    );
}

// ---------------------------------------------------------------------------------------------
// Real Helm.

fn helm_claims(major: u32, test: &str) {
    let Some(cluster) = HelmCluster::start(test, major, &["1.12.4", "1.14.2"]) else {
        return;
    };
    let values = |name: &str, changes: &Value| {
        let mut v = deployed_values();
        v["core"]["tokenKey"] = json!(common::key("rsa2048.key"));
        v["core"]["tokenCert"] = json!(common::key("rsa2048.crt"));
        if let (Some(v), Some(c)) = (v.as_object_mut(), changes.as_object()) {
            for (k, x) in c {
                v.insert(k.clone(), x.clone());
            }
        }
        cluster.write(name, serde_json::to_string_pretty(&v).expect("json"))
    };
    let installed = values("install.yaml", &json!({}));
    cluster.deploy("install", "harbor", "1.12.4", &[&installed]);
    // The StatefulSet controller's part: the claims of each template Helm's StatefulSets hold.
    {
        let mut st = cluster.server.state();
        let kind = support::discovery::find("apps", "v1", "statefulsets").expect("served");
        let sets = st.objects_of(kind, Some(NS));
        assert!(!sets.is_empty(), "Helm stored no StatefulSet");
        for set in &sets {
            for claim in template_claims(set, NS) {
                st.put_object(claim);
            }
        }
    }
    let to = chart("1.14.2").expect("checked");
    let to = to.to_string_lossy().into_owned();
    let bigger = values(
        "bigger.yaml",
        &json!({"persistence": {"persistentVolumeClaim": {"database": {"size": "5Gi"}}}}),
    );
    let out = cluster
        .helm(&[
            "upgrade",
            "harbor",
            &to,
            "--values",
            &bigger,
            "--dry-run=server",
        ])
        .ok("helm upgrade --dry-run=server");
    let r = cluster.tool_stdin(
        &[
            "preflight",
            "check",
            "--rendered",
            "-",
            "-n",
            NS,
            "-o",
            "json",
            "--now",
            NOW,
            "--skip-clock",
        ],
        &out.stdout,
    );
    r.assert_judged();
    assert_no_secret(&r);
    assert_eq!(r.status, 1, "helm {major}: {}\n{}", r.stdout, r.stderr);
    let set = by_object(
        &r,
        "persistence-immutable-change",
        "rendered://statefulset/harbor-database",
    );
    assert_eq!(set.len(), 1, "helm {major}: {}", r.stdout);
    let claim = by_object(
        &r,
        "persistence-immutable-change",
        &format!("cluster://{NS}/persistentvolumeclaim/{DATABASE_CLAIM}"),
    );
    assert_eq!(claim.len(), 1, "helm {major}: {}", r.stdout);
    assert!(
        claim[0]["message"].as_str().unwrap().contains("`5Gi`"),
        "{}",
        r.stdout
    );
    cluster.assert_all_served();
}

#[test]
fn helm4_a_bigger_database_volume_is_judged_against_the_live_claims() {
    helm_claims(
        4,
        "helm4_a_bigger_database_volume_is_judged_against_the_live_claims",
    );
}

#[test]
fn helm3_a_bigger_database_volume_is_judged_against_the_live_claims() {
    helm_claims(
        3,
        "helm3_a_bigger_database_volume_is_judged_against_the_live_claims",
    );
}
