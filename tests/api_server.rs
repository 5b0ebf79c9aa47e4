//! The test API server itself (`tests/support`), driven by a real Kubernetes client (kube-rs)
//! and, when `HARBOR_UPGRADE_TEST_KUBECTL` names one, by kubectl: discovery, server-side apply
//! with field ownership, strategic merge, merge and JSON patches, dry runs, field validation,
//! immutable fields, `resourceVersion`/`generation`, and the protobuf bodies client-go sends.
//! Helm's tests (`tests/helm.rs`) rely on all of it; these pin it without Helm.

mod common;
mod support;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::core::params::ValidationDirective;
use serde_json::{json, Value};
use support::fields::{from_fields_v1, to_fields_v1};
use support::helm::{kubectl, run_kubectl};
use support::{patch, protobuf, ApiServer};

const NS: &str = "harbor";

/// A server, and a runtime with a kube-rs client for it.
fn start() -> (ApiServer, tokio::runtime::Runtime, kube::Client) {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let path = server.kubeconfig(dir.path(), NS);
    let kubeconfig = kube::config::Kubeconfig::read_from(&path).expect("kubeconfig");
    let client = rt.block_on(async {
        let config = kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .expect("config");
        kube::Client::try_from(config).expect("client")
    });
    (server, rt, client)
}

fn api_error(e: kube::Error) -> (u16, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.message),
        other => panic!("not an API error: {other}"),
    }
}

fn managed(object: &Value) -> Vec<(String, String, Value)> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    (
                        e["manager"].as_str().unwrap_or_default().to_string(),
                        e["operation"].as_str().unwrap_or_default().to_string(),
                        e["fieldsV1"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn discovery_and_version_are_what_a_client_reads() {
    let (server, rt, client) = start();
    rt.block_on(async {
        let version = client.apiserver_version().await.expect("version");
        assert_eq!(
            (version.major.as_str(), version.minor.as_str()),
            ("1", "33")
        );
        let discovery = kube::discovery::Discovery::new(client.clone())
            .run()
            .await
            .expect("discovery");
        for (group, kind) in [
            ("", "Secret"),
            ("", "ConfigMap"),
            ("", "Service"),
            ("", "PersistentVolumeClaim"),
            ("apps", "Deployment"),
            ("apps", "StatefulSet"),
            ("batch", "Job"),
            ("networking.k8s.io", "Ingress"),
        ] {
            let gvk = kube::api::GroupVersionKind::gvk(group, "v1", kind);
            let (resource, caps) = discovery
                .resolve_gvk(&gvk)
                .unwrap_or_else(|| panic!("{group}/{kind} not discovered"));
            assert!(
                caps.supports_operation(kube::discovery::verbs::PATCH),
                "{kind}"
            );
            assert_eq!(resource.kind, kind);
        }
    });
    let requests = server.requests();
    assert!(requests.iter().any(|r| r == "GET /apis"), "{requests:?}");
    assert!(server.state().store.unhandled.is_empty());
}

#[test]
fn server_side_apply_owns_what_it_applies_and_removes_what_it_stops_applying() {
    let (server, rt, client) = start();
    let api: Api<ConfigMap> = Api::namespaced(client, NS);
    rt.block_on(async {
        let apply = |data: Value| {
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "labels": {"app": "harbor"}}, "data": data})
        };
        let pp = PatchParams::apply("first");
        let cm = api
            .patch("cm", &pp, &Patch::Apply(apply(json!({"x": "1", "y": "2"}))))
            .await
            .expect("apply creates");
        let v = serde_json::to_value(&cm).unwrap();
        assert_eq!(v["metadata"]["resourceVersion"], "1");
        assert_eq!(
            managed(&v),
            vec![(
                "first".into(),
                "Apply".into(),
                json!({"f:data": {"f:x": {}, "f:y": {}}, "f:metadata": {"f:labels": {"f:app": {}}}})
            )]
        );
        // `y` no longer applied and owned by nobody else: removed.
        let cm = api
            .patch("cm", &pp, &Patch::Apply(apply(json!({"x": "1"}))))
            .await
            .expect("apply");
        assert_eq!(cm.data.unwrap().keys().collect::<Vec<_>>(), vec!["x"]);

        // Another manager with another value for `x`: a conflict naming the owner.
        let other = PatchParams::apply("second");
        let conflict = api
            .patch("cm", &other, &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"x": "other"}})))
            .await
            .map_err(api_error)
            .expect_err("conflict");
        assert_eq!(conflict.0, 409);
        assert!(conflict.1.contains("conflict with \"first\": .data.x"), "{}", conflict.1);
        // The same value is shared ownership, not a conflict.
        api.patch("cm", &other, &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"x": "1"}})))
            .await
            .expect("same value");
        // Forced, `second` takes `x` and `first` gives it up.
        let cm = api
            .patch("cm", &other.clone().force(), &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"x": "other"}})))
            .await
            .expect("forced");
        let v = serde_json::to_value(&cm).unwrap();
        let entries = managed(&v);
        assert_eq!(entries[0].2, json!({"f:metadata": {"f:labels": {"f:app": {}}}}), "{entries:?}");
        assert_eq!(entries[1].2, json!({"f:data": {"f:x": {}}}), "{entries:?}");
        // `first` stops applying `x`: it stays, `second` owns it.
        let cm = api
            .patch("cm", &pp, &Patch::Apply(apply(json!({"z": "3"}))))
            .await
            .expect("apply");
        let data = cm.data.unwrap();
        assert_eq!(data.get("x").map(String::as_str), Some("other"));
        assert_eq!(data.get("z").map(String::as_str), Some("3"));
    });
    assert!(server.state().store.unhandled.is_empty());
}

fn deployment(env: &[(&str, &str)]) -> Value {
    let env: Vec<Value> = env
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "core", "labels": {"app": "harbor"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "harbor"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
            "template": {
                "metadata": {"labels": {"app": "harbor"}},
                "spec": {"containers": [{"name": "core", "image": "goharbor/harbor-core:v2.8.4", "env": env}]},
            },
        },
    })
}

fn env_names(d: &Deployment) -> Vec<String> {
    d.spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
        .env
        .as_ref()
        .map(|e| e.iter().map(|v| v.name.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn server_side_apply_merges_keyed_lists_as_structured_merge_diff_does() {
    let (_server, rt, client) = start();
    let api: Api<Deployment> = Api::namespaced(client, NS);
    rt.block_on(async {
        let pp = PatchParams::apply("helm");
        let d = api
            .patch(
                "core",
                &pp,
                &Patch::Apply(deployment(&[("A", "1"), ("B", "2"), ("C", "3")])),
            )
            .await
            .expect("create");
        assert_eq!(d.metadata.generation, Some(1));
        let fields =
            serde_json::to_value(&d).unwrap()["metadata"]["managedFields"][0]["fieldsV1"].clone();
        assert_eq!(
            fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"core\"}"]
                ["f:env"]["k:{\"name\":\"B\"}"],
            json!({".": {}, "f:name": {}, "f:value": {}})
        );
        // A new item lands where the configuration puts it; B is no longer applied.
        let d = api
            .patch(
                "core",
                &pp,
                &Patch::Apply(deployment(&[("A", "1"), ("D", "4"), ("C", "3")])),
            )
            .await
            .expect("apply");
        assert_eq!(env_names(&d), ["A", "D", "C"]);
        assert_eq!(d.metadata.generation, Some(2));
        // Applying the same again changes nothing: no write, same resourceVersion.
        let again = api
            .patch(
                "core",
                &pp,
                &Patch::Apply(deployment(&[("A", "1"), ("D", "4"), ("C", "3")])),
            )
            .await
            .expect("no-op");
        assert_eq!(again.metadata.resource_version, d.metadata.resource_version);
        assert_eq!(again.metadata.generation, Some(2));
        // Only metadata changes: the generation stays.
        let mut labelled = deployment(&[("A", "1"), ("D", "4"), ("C", "3")]);
        labelled["metadata"]["labels"]["tier"] = json!("backend");
        let d = api
            .patch("core", &pp, &Patch::Apply(labelled))
            .await
            .expect("labels");
        assert_eq!(d.metadata.generation, Some(2));
        // The selector is immutable.
        let mut moved = deployment(&[]);
        moved["spec"]["selector"]["matchLabels"]["app"] = json!("other");
        moved["spec"]["template"]["metadata"]["labels"]["app"] = json!("other");
        let (code, message) = api
            .patch("core", &pp, &Patch::Apply(moved))
            .await
            .map_err(api_error)
            .expect_err("selector change");
        assert_eq!(code, 422);
        assert!(message.contains("spec.selector"), "{message}");
    });
}

#[test]
fn strategic_merge_patch_follows_merge_keys_and_directives() {
    let (_server, rt, client) = start();
    let api: Api<Deployment> = Api::namespaced(client, NS);
    rt.block_on(async {
        let created: Deployment = serde_json::from_value(deployment(&[("A", "1"), ("B", "2")])).unwrap();
        let mut created = created;
        created.metadata.finalizers = Some(vec!["keep".into(), "drop".into()]);
        api.create(&PostParams { field_manager: Some("helm".into()), ..Default::default() }, &created)
            .await
            .expect("create");
        // What Helm 3's three-way patch sends: a changed item merged by name, a deleted item,
        // the order of the list, a retained key set and a deleted primitive.
        let patch = json!({
            "metadata": {"$deleteFromPrimitiveList/finalizers": ["drop"]},
            "spec": {
                "strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": null},
                "template": {"spec": {
                    "$setElementOrder/containers": [{"name": "core"}],
                    "containers": [{
                        "name": "core",
                        "image": "goharbor/harbor-core:v2.10.2",
                        "$setElementOrder/env": [{"name": "C"}, {"name": "A"}],
                        "env": [{"name": "B", "$patch": "delete"}, {"name": "C", "value": "3"}],
                    }],
                }},
            },
        });
        let d = api
            .patch("core", &PatchParams::default(), &Patch::Strategic(patch))
            .await
            .expect("strategic patch");
        assert_eq!(env_names(&d), ["C", "A"]);
        let spec = d.spec.as_ref().unwrap();
        assert_eq!(spec.template.spec.as_ref().unwrap().containers[0].image.as_deref(), Some("goharbor/harbor-core:v2.10.2"));
        let strategy = serde_json::to_value(&spec.strategy).unwrap();
        assert_eq!(strategy, json!({"type": "Recreate"}));
        assert_eq!(d.metadata.finalizers, Some(vec!["keep".to_string()]));
        assert_eq!(d.metadata.generation, Some(2));
        // A strategic patch of a list without merge key replaces it.
        let d = api
            .patch("core", &PatchParams::default(), &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "core", "args": ["-a"]}]}}}})))
            .await
            .expect("patch");
        let args = d.spec.unwrap().template.spec.unwrap().containers[0].args.clone();
        assert_eq!(args, Some(vec!["-a".to_string()]));
    });
}

#[test]
fn merge_patch_and_update_keep_the_api_rules() {
    let (_server, rt, client) = start();
    let api: Api<Secret> = Api::namespaced(client, NS);
    rt.block_on(async {
        let secret: Secret = serde_json::from_value(json!({
            "metadata": {"name": "s"}, "type": "Opaque",
            "stringData": {"a": "one"}, "data": {"b": "dHdv"},
        }))
        .unwrap();
        let created = api
            .create(&PostParams::default(), &secret)
            .await
            .expect("create");
        let data = created.data.clone().unwrap();
        assert_eq!(data["a"].0, b"one");
        assert_eq!(data["b"].0, b"two");
        assert!(created.string_data.is_none());
        let (code, _) = api
            .create(&PostParams::default(), &secret)
            .await
            .map_err(api_error)
            .expect_err("exists");
        assert_eq!(code, 409);

        let patched = api
            .patch(
                "s",
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"a": null, "c": "dGhyZWU="}})),
            )
            .await
            .expect("merge patch");
        let keys: Vec<String> = patched.data.clone().unwrap().into_keys().collect();
        assert_eq!(keys, ["b", "c"]);

        // A stale resourceVersion is a conflict; the current one is not.
        let mut stale = created.clone();
        stale.data = None;
        let (code, _) = api
            .replace("s", &PostParams::default(), &stale)
            .await
            .map_err(api_error)
            .expect_err("stale");
        assert_eq!(code, 409);
        let mut fresh = patched.clone();
        fresh.immutable = Some(true);
        let replaced = api
            .replace("s", &PostParams::default(), &fresh)
            .await
            .expect("replace");
        assert_ne!(
            replaced.metadata.resource_version,
            patched.metadata.resource_version
        );
        // Immutable now: data changes are refused.
        let (code, message) = api
            .patch(
                "s",
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"c": null}})),
            )
            .await
            .map_err(api_error)
            .expect_err("immutable");
        assert_eq!(code, 422);
        assert!(message.contains("immutable"), "{message}");
        // A dry-run delete, and one whose precondition does not hold, keep the Secret.
        api.delete(
            "s",
            &DeleteParams {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .expect("dry delete");
        let stale_uid = DeleteParams {
            preconditions: Some(kube::api::Preconditions {
                uid: Some("not-the-uid".into()),
                resource_version: None,
            }),
            ..Default::default()
        };
        let (code, _) = api
            .delete("s", &stale_uid)
            .await
            .map_err(api_error)
            .expect_err("precondition");
        assert_eq!(code, 409);
        api.get("s").await.expect("still there");
        api.delete("s", &DeleteParams::default())
            .await
            .expect("delete");
        let (code, _) = api.get("s").await.map_err(api_error).expect_err("deleted");
        assert_eq!(code, 404);
    });
}

#[test]
fn dry_run_stores_nothing_and_strict_validation_refuses_unknown_fields() {
    let (server, rt, client) = start();
    let api: Api<ConfigMap> = Api::namespaced(client, NS);
    rt.block_on(async {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"x": "1"}});
        let mut dry = PatchParams::apply("helm");
        dry.dry_run = true;
        let answer = api.patch("cm", &dry, &Patch::Apply(cm.clone())).await.expect("dry apply");
        assert_eq!(answer.data.unwrap()["x"], "1");
        assert!(answer.metadata.resource_version.is_none());
        let (code, _) = api.get("cm").await.map_err(api_error).expect_err("not stored");
        assert_eq!(code, 404);

        let created: ConfigMap = serde_json::from_value(cm.clone()).unwrap();
        let dry_create = PostParams { dry_run: true, ..Default::default() };
        api.create(&dry_create, &created).await.expect("dry create");
        assert!(api.get_opt("cm").await.expect("get").is_none());
        let stored = api.create(&PostParams::default(), &created).await.expect("create");

        let dry_patch = PatchParams::default().dry_run();
        let answer = api
            .patch("cm", &dry_patch, &Patch::Merge(json!({"data": {"x": "2"}})))
            .await
            .expect("dry patch");
        assert_eq!(answer.data.unwrap()["x"], "2");
        let now = api.get("cm").await.expect("get");
        assert_eq!(now.data.unwrap()["x"], "1");
        assert_eq!(now.metadata.resource_version, stored.metadata.resource_version);

        let mut bogus = cm.clone();
        bogus["spec"] = json!({"replicas": 2});
        let mut strict = PatchParams::apply("helm");
        strict.field_validation = Some(ValidationDirective::Strict);
        let (code, message) = api
            .patch("cm", &strict, &Patch::Apply(bogus.clone()))
            .await
            .map_err(api_error)
            .expect_err("unknown field");
        assert_eq!(code, 400);
        assert!(message.contains("unknown field \"spec\""), "{message}");
        // Without `Strict` the field is dropped, as kube-apiserver drops it.
        let kept = api.patch("cm", &PatchParams::apply("helm"), &Patch::Apply(bogus)).await.expect("warn");
        assert!(serde_json::to_value(&kept).unwrap().get("spec").is_none());
    });
    assert_eq!(
        server.state().store.warnings,
        ["ConfigMap cm: unknown field \"spec\""]
    );
}

#[test]
fn json_patch_and_fields_v1_round_trip() {
    let mut object = json!({"metadata": {"managedFields": [{"manager": "helm", "operation": "Update"}]}, "data": {"a": "1"}});
    patch::json_patch(
        &mut object,
        &json!([
            {"op": "test", "path": "/metadata/managedFields/0/manager", "value": "helm"},
            {"op": "replace", "path": "/metadata/managedFields/0/operation", "value": "Apply"},
            {"op": "add", "path": "/data/b", "value": "2"},
            {"op": "remove", "path": "/data/a"},
        ]),
    )
    .expect("json patch");
    assert_eq!(object["metadata"]["managedFields"][0]["operation"], "Apply");
    assert_eq!(object["data"], json!({"b": "2"}));
    let failed = patch::json_patch(
        &mut object,
        &json!([{"op": "test", "path": "/data/b", "value": "3"}]),
    );
    assert!(failed.is_err());

    let fields = json!({"f:metadata": {"f:finalizers": {"v:\"keep\"": {}}}, "f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}});
    assert_eq!(
        to_fields_v1(&from_fields_v1(&fields)),
        json!({
            "f:metadata": {"f:finalizers": {"v:\"keep\"": {".": {}}}},
            "f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}},
        })
    );
}

/// A varint and a length-delimited field, as Go's protobuf writes them.
fn field(number: u64, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let varint = |mut v: u64, out: &mut Vec<u8>| loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    };
    varint(number << 3 | 2, &mut out);
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

#[test]
fn protobuf_secret_bodies_decode_into_the_api_json() {
    // ObjectMeta: name, an empty generateName (Go writes empty fields), a label, a zero
    // creationTimestamp.
    let entry = [field(1, b"owner"), field(2, b"helm")].concat();
    let meta = [
        field(1, b"sh.helm.release.v1.harbor.v1"),
        field(2, b""),
        field(8, b""),
        field(11, &entry),
    ]
    .concat();
    let data_entry = [field(1, b"release"), field(2, b"H4sI")].concat();
    let secret = [
        field(1, &meta),
        field(2, &data_entry),
        field(3, b"helm.sh/release.v1"),
    ]
    .concat();
    let type_meta = [field(1, b"v1"), field(2, b"Secret")].concat();
    let body = [
        b"k8s\0".to_vec(),
        field(1, &type_meta),
        field(2, &secret),
        field(3, b""),
        field(4, b""),
    ]
    .concat();
    let decoded = protobuf::decode(&body).expect("decode");
    assert_eq!(
        decoded,
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "sh.helm.release.v1.harbor.v1", "labels": {"owner": "helm"}},
            "data": {"release": "SDRzSQ=="},
            "type": "helm.sh/release.v1",
        })
    );
    let unknown = [
        b"k8s\0".to_vec(),
        field(1, &type_meta),
        field(2, &field(9, b"x")),
    ]
    .concat();
    assert!(protobuf::decode(&unknown)
        .unwrap_err()
        .contains("field number 9"));
    let other = [
        b"k8s\0".to_vec(),
        field(1, &[field(1, b"apps/v1"), field(2, b"Deployment")].concat()),
    ]
    .concat();
    assert!(protobuf::decode(&other).is_err());
}

#[test]
fn unanswered_requests_are_recorded() {
    let (server, rt, client) = start();
    rt.block_on(async {
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
        let (code, _) = api
            .get_status("cm")
            .await
            .map_err(api_error)
            .expect_err("no status subresource");
        assert_eq!(code, 404);
    });
    let unhandled = server.state().store.unhandled.clone();
    assert_eq!(unhandled.len(), 1, "{unhandled:?}");
    assert!(
        unhandled[0].contains("/configmaps/cm/status"),
        "{unhandled:?}"
    );
}

#[test]
fn kubectl_server_side_apply_round_trips() {
    let kubectl = match kubectl() {
        Ok(k) => k,
        Err(why) => {
            common::skip(&format!("kubectl_server_side_apply_round_trips: {why}"));
            return;
        }
    };
    let server = ApiServer::start();
    let home = tempfile::tempdir().unwrap();
    let manifest = home.path().join("cm.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: harbor\ndata:\n  x: \"1\"\n",
    )
    .unwrap();
    let file = manifest.to_str().unwrap();
    let run = |args: &[&str]| {
        let r = run_kubectl(&kubectl, &server, home.path(), args);
        assert_eq!(r.status, 0, "kubectl {args:?}\n{}\n{}", r.stdout, r.stderr);
        r
    };
    let group = run(&["get", "--raw", "/apis/apps"]);
    let group: Value = serde_json::from_str(&group.stdout).expect("json");
    assert_eq!(group["preferredVersion"]["groupVersion"], "apps/v1");
    run(&["apply", "--server-side", "--dry-run=server", "-f", file]);
    assert!(
        server.state().configmaps(NS).is_empty(),
        "a dry run stored the ConfigMap"
    );
    run(&["apply", "--server-side", "-f", file]);
    let got = run(&[
        "get",
        "configmap",
        "cm",
        "-n",
        NS,
        "-o",
        "json",
        "--show-managed-fields",
    ]);
    let object: Value = serde_json::from_str(&got.stdout).expect("json");
    assert_eq!(object["data"], json!({"x": "1"}));
    assert_eq!(object["metadata"]["managedFields"][0]["manager"], "kubectl");
    assert_eq!(object["metadata"]["managedFields"][0]["operation"], "Apply");
    run(&["delete", "configmap", "cm", "-n", NS]);
    assert!(server.state().configmaps(NS).is_empty());
    assert!(
        server.state().store.unhandled.is_empty(),
        "{:?}",
        server.state().store.unhandled
    );
}

#[test]
fn fixtures_put_into_the_store_are_served_like_written_ones() {
    let (server, rt, client) = start();
    let record: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "sh.helm.release.v1.harbor.v1", "namespace": NS,
                     "labels": {"owner": "helm", "name": "harbor", "status": "deployed", "version": "1"}},
        "data": {"release": "H4sI"},
    }))
    .unwrap();
    server.state().put_configmap(&record);
    let api: Api<ConfigMap> = Api::namespaced(client, NS);
    let found = rt
        .block_on(api.list(
            &kube::api::ListParams::default().labels("owner=helm,name=harbor,status=deployed"),
        ))
        .expect("list");
    assert_eq!(found.items.len(), 1);
    let meta = &found.items[0].metadata;
    assert!(
        meta.uid.is_some() && meta.resource_version.is_some() && meta.creation_timestamp.is_some()
    );
    let none = rt
        .block_on(api.list(&kube::api::ListParams::default().labels("owner=helm,status!=deployed")))
        .expect("list");
    assert!(none.items.is_empty());
}
