//! Real Helm 4 and Helm 3 install and upgrade the real goharbor/harbor chart (1.12.4 → 1.14.2)
//! into the test API server, then the tool reads what Helm wrote: the release records (Secrets,
//! or `ConfigMaps` with `HELM_DRIVER=configmap`), the deployed values of the newest revision, and
//! the Secrets the chart rendered. Each scenario runs once per Helm major version.
//!
//! Helm comes from `HARBOR_UPGRADE_TEST_HELM4` / `HARBOR_UPGRADE_TEST_HELM3` (`.ci/run` fetches
//! both) and the charts from `../shared/harbor-helm/`; without either a test prints
//! `skipped: <test>: <why>` and passes.

mod common;
mod support;

use base64::Engine as _;
use common::Run;
use serde_json::{json, Value};
use support::harbor::{
    assert_no_secret, deployed_values, ADMIN_PASSWORD, CORE_SECRET, NS, SECRET_KEY,
};
use support::helm::{manifest_section, yaml_documents, HelmCluster};

const FROM: &str = "1.12.4";
const TO: &str = "1.14.2";

/// The first 12 hex digits of the SHA-256 of `bytes`, as the tool prints fingerprints.
fn fingerprint(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("{:x}", sha2::Sha256::digest(bytes))[..12].to_string()
}

/// The fixture release values (pinned credentials) with `changes` merged over them, as a values
/// file (JSON is YAML).
fn values(cluster: &HelmCluster, name: &str, changes: &Value) -> String {
    let mut v = deployed_values();
    merge(&mut v, changes);
    cluster.write(name, serde_json::to_string_pretty(&v).expect("json"))
}

fn merge(target: &mut Value, changes: &Value) {
    match (target, changes) {
        (Value::Object(t), Value::Object(c)) => {
            for (k, v) in c {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, c) => *t = c.clone(),
    }
}

/// `preflight check -o json` against the cluster.
fn check(cluster: &HelmCluster, extra: &[&str]) -> Run {
    let mut args = vec![
        "preflight",
        "check",
        "-n",
        NS,
        "-o",
        "json",
        "--now",
        "2030-01-01T00:00:00Z",
        "--skip-clock",
    ];
    args.extend_from_slice(extra);
    let r = cluster.tool(&args);
    r.assert_judged();
    r
}

/// One Secret of `keys inspect -o json`: its key names and fingerprints.
fn inspected_secret(inspect: &Value, name: &str) -> Value {
    inspect["secrets"]
        .as_array()
        .unwrap_or_else(|| panic!("no `secrets` in {inspect}"))
        .iter()
        .find(|s| s["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("Secret {name} not inspected: {inspect}"))
}

// -----------------------------------------------------------------------------------------------

fn install_upgrade_rollback(major: u32, test: &str) {
    let Some(cluster) = HelmCluster::start(test, major, &[FROM, TO]) else {
        return;
    };
    let first = values(&cluster, "install.yaml", &json!({}));
    // The upgrade changes the admin password: only revision 2's values carry the new one.
    let second = values(
        &cluster,
        "upgrade.yaml",
        &json!({"harborAdminPassword": "Upgr4ded-Adm1n-Pw", "jobservice": {"secret": "sh0rt-j0bs3cret"}}),
    );
    cluster.deploy("install", "harbor", FROM, &[&first]);
    let installed = cluster.assert_stored_as_rendered("harbor");
    assert!(
        installed
            .iter()
            .any(|o| o["metadata"]["name"] == "harbor-notary-server"),
        "chart {FROM} renders notary"
    );
    cluster.deploy("upgrade", "harbor", TO, &[&second]);
    assert_eq!(
        cluster.records("harbor"),
        vec![(1, "superseded".into()), (2, "deployed".into())]
    );
    let upgraded = cluster.assert_stored_as_rendered("harbor");
    // Objects the new chart no longer renders are gone.
    assert!(!upgraded
        .iter()
        .any(|o| o["metadata"]["name"] == "harbor-notary-server"));
    {
        let st = cluster.server.state();
        let kind = support::discovery::find("apps", "v1", "deployments").expect("kind");
        assert!(st.object(kind, NS, "harbor-notary-server").is_none());
        let release = &st.secrets[&(NS.to_string(), "sh.helm.release.v1.harbor.v2".to_string())];
        assert_eq!(release.type_.as_deref(), Some("helm.sh/release.v1"));
    }

    // The tool finds the release and reads revision 2 and its values.
    let r = check(&cluster, &[]);
    assert!(
        r.stderr
            .contains("read release `harbor` revision 2 (chart 1.14.2, Harbor 2.10.2)"),
        "{}",
        r.stderr
    );
    assert_eq!(r.json()["upgrade"]["from"], "2.10.2", "{}", r.stdout);
    // Judged on revision 2's values: only they set a 15-character `jobservice.secret`.
    let short = r.findings("secret-length");
    assert_eq!(short.len(), 1, "{}", r.stdout);
    assert_eq!(short[0]["valuesPath"], "jobservice.secret");
    assert_eq!(short[0]["location"]["file"], "helm://harbor/harbor/values");
    assert!(!r.stdout.contains("sh0rt-j0bs3cret") && !r.stderr.contains("sh0rt-j0bs3cret"));
    assert!(r.findings("secret-key-changed").is_empty(), "{}", r.stdout);
    assert_no_secret(&r);

    let r = cluster.tool(&["keys", "inspect", "-n", NS, "-o", "json"]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    let inspect = r.json();
    let printed = r.stdout.clone();
    assert!(
        printed.contains(&fingerprint(b"Upgr4ded-Adm1n-Pw")),
        "the admin password of revision 2: {printed}"
    );
    assert!(!printed.contains(&fingerprint(ADMIN_PASSWORD)), "{printed}");
    let core = inspected_secret(&inspect, "harbor-core");
    let core_text = core.to_string();
    for (key, value) in [("secretKey", SECRET_KEY), ("secret", CORE_SECRET)] {
        assert!(core_text.contains(key), "{core_text}");
        assert!(
            core_text.contains(&fingerprint(value)),
            "{key}: {core_text}"
        );
    }
    assert!(
        core_text.contains("tls.key") && core_text.contains("tls.crt"),
        "{core_text}"
    );
    assert_no_secret(&r);

    // History and rollback: revision 3 is chart 1.12.4 again, notary comes back.
    let history = cluster.helm(&["history", "harbor"]).ok("helm history");
    assert!(
        history.stdout.contains("harbor-1.14.2"),
        "{}",
        history.stdout
    );
    cluster
        .helm(&["rollback", "harbor", "1"])
        .ok("helm rollback");
    assert_eq!(
        cluster.records("harbor"),
        vec![
            (1, "superseded".into()),
            (2, "superseded".into()),
            (3, "deployed".into())
        ]
    );
    let rolled_back = cluster.assert_stored_as_rendered("harbor");
    assert!(rolled_back
        .iter()
        .any(|o| o["metadata"]["name"] == "harbor-notary-server"));
    let r = check(&cluster, &[]);
    assert!(
        r.stderr
            .contains("read release `harbor` revision 3 (chart 1.12.4, Harbor 2.8.4)"),
        "{}",
        r.stderr
    );
    cluster.assert_all_served();
}

#[test]
fn helm4_install_upgrade_and_rollback_are_read_from_the_release_records() {
    install_upgrade_rollback(
        4,
        "helm4_install_upgrade_and_rollback_are_read_from_the_release_records",
    );
}

#[test]
fn helm3_install_upgrade_and_rollback_are_read_from_the_release_records() {
    install_upgrade_rollback(
        3,
        "helm3_install_upgrade_and_rollback_are_read_from_the_release_records",
    );
}

// -----------------------------------------------------------------------------------------------

/// A token pair made by the tool's own key generation (`keys generate`): (key PEM, cert PEM).
fn generated_pair(name: &str) -> (String, String) {
    let r = common::run(&["keys", "generate", "--secret-name", name, "--bits", "2048"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let docs = yaml_documents(&r.stdout);
    let data = &docs[0]["data"];
    let decode = |k: &str| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data[k].as_str().expect("data key"))
            .expect("base64");
        String::from_utf8(bytes).expect("PEM")
    };
    (decode("tls.key"), decode("tls.crt"))
}

fn mismatched_pair(major: u32, test: &str) {
    let Some(cluster) = HelmCluster::start(test, major, &[FROM]) else {
        return;
    };
    let (key, _) = generated_pair("one");
    let (_, other_cert) = generated_pair("two");
    let file = values(
        &cluster,
        "values.yaml",
        &json!({"core": {"tokenKey": key, "tokenCert": other_cert}}),
    );
    cluster.deploy("install", "harbor", FROM, &[&file]);
    let r = check(&cluster, &["--to", "2.10.2"]);
    let found = r.findings("token-pair-mismatch");
    let live: Vec<&Value> = found
        .iter()
        .filter(|f| f["location"]["file"] == "cluster://harbor/secret/harbor-core")
        .collect();
    assert_eq!(live.len(), 1, "{}", r.stdout);
    assert_eq!(live[0]["source"], "secret", "{}", r.stdout);
    assert_eq!(
        r.json()["summary"]["error"].as_u64().map(|e| e > 0),
        Some(true)
    );
    assert_eq!(r.status, 1);
    let private_line = key.lines().nth(3).expect("key line");
    assert!(!r.stdout.contains(private_line) && !r.stderr.contains(private_line));
    cluster.assert_all_served();
}

#[test]
fn helm4_mismatched_token_pair_is_reported_from_the_live_secret() {
    mismatched_pair(
        4,
        "helm4_mismatched_token_pair_is_reported_from_the_live_secret",
    );
}

#[test]
fn helm3_mismatched_token_pair_is_reported_from_the_live_secret() {
    mismatched_pair(
        3,
        "helm3_mismatched_token_pair_is_reported_from_the_live_secret",
    );
}

// -----------------------------------------------------------------------------------------------

fn changed_secret_key(major: u32, test: &str) {
    let Some(cluster) = HelmCluster::start(test, major, &[FROM]) else {
        return;
    };
    let installed = values(&cluster, "install.yaml", &json!({}));
    cluster.deploy("install", "harbor", FROM, &[&installed]);
    // The same values for the upgrade: the key stays.
    let r = check(&cluster, &[&installed, "--to", "2.9.5"]);
    assert!(r.findings("secret-key-changed").is_empty(), "{}", r.stdout);
    // A new key in the upgrade values: stored credentials would decrypt to garbage.
    let changed = values(
        &cluster,
        "upgrade.yaml",
        &json!({"secretKey": "Zz9Yy8Xx7Ww6Vv5U"}),
    );
    let r = check(&cluster, &[&changed, "--to", "2.9.5"]);
    let found = r.findings("secret-key-changed");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(
        found[0]["location"]["file"],
        changed.as_str(),
        "{}",
        r.stdout
    );
    assert_eq!(r.status, 1);
    assert!(!r.stdout.contains("Zz9Yy8Xx7Ww6Vv5U") && !r.stderr.contains("Zz9Yy8Xx7Ww6Vv5U"));
    assert_no_secret(&r);
    cluster.assert_all_served();
}

#[test]
fn helm4_changed_secret_key_is_reported_against_the_live_secret() {
    changed_secret_key(
        4,
        "helm4_changed_secret_key_is_reported_against_the_live_secret",
    );
}

#[test]
fn helm3_changed_secret_key_is_reported_against_the_live_secret() {
    changed_secret_key(
        3,
        "helm3_changed_secret_key_is_reported_against_the_live_secret",
    );
}

// -----------------------------------------------------------------------------------------------

fn backup_then_diff(major: u32, test: &str) {
    let Some(cluster) = HelmCluster::start(test, major, &[FROM, TO]) else {
        return;
    };
    let installed = values(&cluster, "install.yaml", &json!({}));
    cluster.deploy("install", "harbor", FROM, &[&installed]);
    let dir = cluster.path().join("backup");
    let dir_arg = dir.to_str().expect("utf-8 path");
    let r = cluster.tool(&["keys", "backup", "-n", NS, "--out", dir_arg]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    let r = cluster.tool(&["keys", "diff", dir_arg, "-n", NS]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("nothing changed"), "{}", r.stdout);

    // The upgrade changes the inter-component secret of core.
    let upgraded = values(
        &cluster,
        "upgrade.yaml",
        &json!({"core": {"secret": "n3wC0reS3cretVal"}}),
    );
    cluster.deploy("upgrade", "harbor", TO, &[&upgraded]);
    let r = cluster.tool(&["keys", "diff", dir_arg, "-n", NS]);
    assert!(r.status == 0 || r.status == 1, "{}\n{}", r.stdout, r.stderr);
    let expected = format!(
        "rotated   secret/harbor-core secret: sha256:{} → sha256:{}",
        fingerprint(CORE_SECRET),
        fingerprint(b"n3wC0reS3cretVal")
    );
    assert!(r.stdout.contains(&expected), "{expected}\n{}", r.stdout);
    assert!(
        r.stdout.contains(&format!(
            "unchanged secret/harbor-core secretKey: sha256:{}",
            fingerprint(SECRET_KEY)
        )),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("n3wC0reS3cretVal"));
    assert_no_secret(&r);
    cluster.assert_all_served();
}

#[test]
fn helm4_keys_diff_reports_the_core_secret_an_upgrade_changed() {
    backup_then_diff(
        4,
        "helm4_keys_diff_reports_the_core_secret_an_upgrade_changed",
    );
}

#[test]
fn helm3_keys_diff_reports_the_core_secret_an_upgrade_changed() {
    backup_then_diff(
        3,
        "helm3_keys_diff_reports_the_core_secret_an_upgrade_changed",
    );
}

// -----------------------------------------------------------------------------------------------

fn configmap_driver(major: u32, test: &str) {
    let Some(mut cluster) = HelmCluster::start(test, major, &[FROM, TO]) else {
        return;
    };
    cluster.env.push(("HELM_DRIVER".into(), "configmap".into()));
    let file = values(&cluster, "values.yaml", &json!({}));
    cluster.deploy("install", "harbor", FROM, &[&file]);
    cluster.deploy("upgrade", "harbor", TO, &[&file]);
    assert_eq!(
        cluster.records("harbor"),
        vec![(1, "superseded".into()), (2, "deployed".into())]
    );
    let st = cluster.server.state();
    assert!(
        !st.secrets
            .keys()
            .any(|(_, name)| name.starts_with("sh.helm.release")),
        "no release Secret with the configmap driver"
    );
    let record = st
        .configmaps(NS)
        .into_iter()
        .find(|c| c.metadata.name.as_deref() == Some("sh.helm.release.v1.harbor.v2"))
        .expect("release ConfigMap of revision 2");
    let payload = record
        .data
        .as_ref()
        .and_then(|d| d.get("release"))
        .expect("`release` key");
    // The same payload as in a Secret: base64 of the gzip of the release JSON.
    let gz = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .expect("base64");
    assert_eq!(&gz[..2], &[0x1f, 0x8b]);
    drop(st);
    cluster.assert_stored_as_rendered("harbor");
    // The tool finds the release in the ConfigMaps Helm wrote, as it does in Secrets.
    let r = check(&cluster, &[]);
    r.assert_judged();
    assert!(
        r.stderr
            .contains("read release `harbor` revision 2 (chart 1.14.2, Harbor 2.10.2)"),
        "{}",
        r.stderr
    );
    assert_eq!(r.json()["upgrade"]["from"], "2.10.2", "{}", r.stdout);
    cluster.assert_all_served();
}

#[test]
fn helm4_configmap_driver_writes_release_configmaps() {
    configmap_driver(4, "helm4_configmap_driver_writes_release_configmaps");
}

#[test]
fn helm3_configmap_driver_writes_release_configmaps() {
    configmap_driver(3, "helm3_configmap_driver_writes_release_configmaps");
}

// -----------------------------------------------------------------------------------------------

/// The `secret` of the `harbor-core` Secret in what `helm template` or `helm upgrade --dry-run`
/// printed.
fn rendered_core_secret(output: &str) -> String {
    let manifest = manifest_section(output);
    yaml_documents(manifest)
        .into_iter()
        .find(|d| d["kind"] == "Secret" && d["metadata"]["name"] == "harbor-core")
        .and_then(|d| d["data"]["secret"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no harbor-core Secret in:\n{manifest}"))
}

fn dry_run_server(major: u32, test: &str) {
    let Some(cluster) = HelmCluster::start(test, major, &[FROM, TO]) else {
        return;
    };
    // Nothing pins `core.secret`: chart 1.14.2 keeps the live one through `lookup`.
    cluster.deploy("install", "harbor", FROM, &[]);
    let live = {
        let st = cluster.server.state();
        let core = &st.secrets[&(NS.to_string(), "harbor-core".to_string())];
        base64::engine::general_purpose::STANDARD
            .encode(&core.data.as_ref().expect("data")["secret"].0)
    };
    let version_before = cluster.server.state().secrets.len();
    let to = support::helm::chart(TO).expect("chart");
    let to = to.to_str().expect("utf-8 path");
    let dry = cluster
        .helm(&["upgrade", "harbor", to, "--dry-run=server"])
        .ok("helm upgrade --dry-run=server");
    assert_eq!(
        rendered_core_secret(&dry.stdout),
        live,
        "lookup read the live Secret"
    );
    let template = cluster
        .helm(&["template", "harbor", to, "--dry-run=server"])
        .ok("helm template --dry-run=server");
    assert_eq!(rendered_core_secret(&template.stdout), live);
    // `--validate` checks the objects against the server (Helm 4 calls it deprecated).
    let before = cluster.server.requests().len();
    cluster
        .helm(&["template", "harbor", to, "--validate"])
        .ok("helm template --validate");
    let asked = cluster.server.requests()[before..].to_vec();
    assert!(
        asked
            .iter()
            .any(|r| r.starts_with("GET /openapi/v3/apis/apps/v1")),
        "{asked:#?}"
    );
    // Without the server there is nothing to look up: a fresh random secret.
    let offline = cluster
        .helm(&["template", "harbor", to])
        .ok("helm template");
    assert_ne!(rendered_core_secret(&offline.stdout), live);
    // A dry run writes nothing.
    assert_eq!(cluster.records("harbor"), vec![(1, "deployed".into())]);
    assert_eq!(cluster.server.state().secrets.len(), version_before);
    cluster.assert_stored_as_rendered("harbor");
    cluster.assert_all_served();
}

#[test]
fn helm4_dry_run_server_looks_up_the_live_secrets() {
    dry_run_server(4, "helm4_dry_run_server_looks_up_the_live_secrets");
}

#[test]
fn helm3_dry_run_server_looks_up_the_live_secrets() {
    dry_run_server(3, "helm3_dry_run_server_looks_up_the_live_secrets");
}

// -----------------------------------------------------------------------------------------------

// Helm 4 upgrading a release Helm 3 installed, with `--server-side=true`: it first rewrites
// Helm 3's `Update` field ownership into its own `Apply` entry (a JSON patch of
// `managedFields`), then applies; fields the new chart drops must go.
#[test]
fn helm4_server_side_upgrade_of_a_helm3_release_takes_over_its_fields() {
    let test = "helm4_server_side_upgrade_of_a_helm3_release_takes_over_its_fields";
    let Some(cluster) = HelmCluster::start(test, 3, &[FROM, TO]) else {
        return;
    };
    let helm4 = match support::helm::Helm::find(4) {
        Ok(h) => h,
        Err(why) => {
            common::skip(&format!("{test}: {why}"));
            return;
        }
    };
    let file = values(&cluster, "values.yaml", &json!({}));
    cluster.deploy("install", "harbor", FROM, &[&file]);
    let to = support::helm::chart(TO).expect("chart");
    let before = cluster.server.requests().len();
    helm4
        .run(
            &cluster.server,
            cluster.path(),
            &[],
            &[
                "upgrade",
                "harbor",
                to.to_str().expect("utf-8"),
                "--namespace",
                NS,
                "--values",
                &file,
                "--server-side=true",
            ],
        )
        .ok("helm 4 upgrade --server-side=true");
    let requests = cluster.server.requests()[before..].to_vec();
    assert!(
        requests.iter().any(|r| r.starts_with("PATCH /apis/apps/v1/namespaces/harbor/deployments/harbor-core?fieldManager=helm&fieldValidation=Strict&force=false")),
        "{requests:#?}"
    );
    let objects = cluster.assert_stored_as_rendered("harbor");
    let st = cluster.server.state();
    for object in objects {
        let kind = support::discovery::by_kind(
            object["apiVersion"].as_str().unwrap_or_default(),
            object["kind"].as_str().unwrap_or_default(),
        )
        .expect("kind");
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let stored = st.object(kind, NS, name).expect("stored");
        let owners: Vec<(Value, Value)> = stored["metadata"]["managedFields"]
            .as_array()
            .expect("managedFields")
            .iter()
            .map(|e| (e["manager"].clone(), e["operation"].clone()))
            .collect();
        assert_eq!(
            owners,
            vec![(json!("helm"), json!("Apply"))],
            "{} {name}",
            object["kind"]
        );
    }
    drop(st);
    cluster.assert_all_served();
}
