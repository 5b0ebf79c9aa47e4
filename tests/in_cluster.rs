//! The tool inside a pod: kube-rs's in-cluster configuration (`KUBERNETES_SERVICE_HOST`/`PORT`
//! and the service-account token, CA and namespace files) against the test API server, with the
//! Role of `deploy/rbac.yaml` as the only permissions; and the Helm `pre-upgrade` hook example of
//! `deploy/helm-pre-upgrade/` rendered by real Helm.
//!
//! The service-account files live at a fixed path (`/var/run/secrets/kubernetes.io/
//! serviceaccount/`), so the run happens in a private mount namespace (`unshare`) with a tmpfs
//! over `/var/run`: nothing of the machine is changed. Without `unshare`, or where the kernel
//! refuses a mount namespace, the test prints `skipped:` and passes.

mod common;
mod support;

use std::path::Path;
use std::process::Command;

use common::{Run, Scratch};
use support::ApiServer;

/// One rule of a Role: API group, resource, verbs.
#[derive(Debug)]
struct Rule {
    groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
}

/// The items of a one-line flow list: `["get", "list"]`.
fn flow_list(text: &str) -> Vec<String> {
    text.trim()
        .trim_start_matches('[')
        .split(']')
        .next()
        .unwrap_or_default()
        .split(',')
        .map(|item| item.trim().trim_matches('"').to_string())
        .filter(|item| !item.is_empty() || text.contains("\"\""))
        .collect()
}

/// The rules of the `Role` document of `deploy/rbac.yaml` (written as one-line flow lists).
fn role_rules(manifest: &str) -> Vec<Rule> {
    let role = manifest
        .split("\n---\n")
        .find(|doc| doc.contains("\nkind: Role\n"))
        .expect("deploy/rbac.yaml has a Role");
    let mut rules = Vec::new();
    for line in role.lines() {
        let line = line.split(" #").next().unwrap_or_default();
        if let Some(rest) = line.strip_prefix("- apiGroups:") {
            rules.push(Rule {
                groups: flow_list(rest),
                resources: Vec::new(),
                verbs: Vec::new(),
            });
        } else if let Some(rest) = line.trim().strip_prefix("resources:") {
            rules.last_mut().expect("rule").resources = flow_list(rest);
        } else if let Some(rest) = line.trim().strip_prefix("verbs:") {
            rules.last_mut().expect("rule").verbs = flow_list(rest);
        }
    }
    assert!(!rules.is_empty(), "no rules in the Role");
    rules
}

/// The (group, resource, verb) a namespaced request line asks for; `None` for discovery and
/// other non-resource requests, which every authenticated user may make.
fn authorization(request: &str) -> Option<(String, String, String)> {
    let (method, target) = request.split_once(' ')?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", _version, "namespaces", _ns, rest @ ..] => ("", rest),
        ["apis", group, _version, "namespaces", _ns, rest @ ..] => (*group, rest),
        _ => return None,
    };
    let (resource, named) = match rest {
        [resource] => ((*resource).to_string(), false),
        [resource, _name] => ((*resource).to_string(), true),
        [resource, _name, sub] => (format!("{resource}/{sub}"), true),
        _ => return None,
    };
    let watch = query
        .split('&')
        .any(|q| q == "watch=true" || q == "watch=1");
    let verb = match (method, named) {
        ("GET", _) if watch => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", _) => "delete",
        _ => return None,
    };
    Some((group.to_string(), resource, verb.to_string()))
}

fn allowed(rules: &[Rule], (group, resource, verb): &(String, String, String)) -> bool {
    rules.iter().any(|r| {
        r.groups.iter().any(|g| g == group)
            && r.resources.iter().any(|x| x == resource)
            && r.verbs.iter().any(|v| v == verb)
    })
}

/// Whether this machine lets a test make a private mount namespace (as root, or through a user
/// namespace).
fn unshare_flags() -> Option<&'static [&'static str]> {
    [&["-m"][..], &["-r", "-m"][..]].into_iter().find(|flags| {
        Command::new("unshare")
            .args(*flags)
            .args([
                "sh",
                "-c",
                "mount -t tmpfs none \"$(readlink -f /var/run)\"",
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Runs the binary as in a pod: the service-account files of `account` under
/// `/var/run/secrets/kubernetes.io/serviceaccount/`, the service host and port of `server`, no
/// kubeconfig anywhere.
fn run_in_pod(
    flags: &[&str],
    server: &ApiServer,
    account: &Path,
    home: &Path,
    args: &[&str],
) -> Run {
    let script = "set -e; run=$(readlink -f /var/run); mount -t tmpfs none \"$run\"; \
                  sa=/var/run/secrets/kubernetes.io/serviceaccount; mkdir -p \"$sa\"; \
                  cp \"$ACCOUNT\"/token \"$ACCOUNT\"/ca.crt \"$ACCOUNT\"/namespace \"$sa\"/; \
                  exec \"$@\"";
    let out = Command::new("unshare")
        .args(flags)
        .args(["sh", "-c", script, "sh"])
        .arg(assert_cmd::cargo::cargo_bin("harbor-upgrade"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("ACCOUNT", account)
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", server.addr.port().to_string())
        .env("TERM", "dumb")
        .output()
        .expect("unshare runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The service-account files a pod of namespace `harbor` gets (token, CA, namespace), and an
/// empty home folder.
fn service_account(
    server: &ApiServer,
    scratch: &Scratch,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let account = scratch.path().join("serviceaccount");
    std::fs::create_dir_all(&account).unwrap();
    std::fs::write(account.join("token"), support::TOKEN).unwrap();
    std::fs::write(account.join("ca.crt"), &server.ca_pem).unwrap();
    std::fs::write(account.join("namespace"), support::harbor::NS).unwrap();
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    (account, home)
}

#[test]
fn in_cluster_job_reads_the_release_with_only_the_deploy_role() {
    let Some(flags) = unshare_flags() else {
        common::skip("in_cluster_job_reads_the_release_with_only_the_deploy_role: no private mount namespace here (`unshare -m` failed)");
        return;
    };
    let (server, scratch) = support::harbor::standard();
    // What the Role of deploy/rbac.yaml does not grant, the server refuses.
    server.forbid("create", "pods/exec", None);
    server.forbid("list", "leases", None);
    server.forbid("watch", "leases", None);
    let (account, home) = service_account(&server, &scratch);

    // The Job's command line (deploy/job.yaml), with the namespace the downward API gives.
    let r = run_in_pod(
        flags,
        &server,
        &account,
        &home,
        &[
            "preflight",
            "check",
            "-n",
            support::harbor::NS,
            "--to",
            "2.10.2",
            "-o",
            "json",
        ],
    );
    assert!(
        r.stderr.contains("read release `harbor` revision 2"),
        "{}",
        r.stderr
    );
    r.assert_judged();
    assert_role_granted(&server);
}

/// Every request the tool made is one the Role of `deploy/rbac.yaml` grants, or one it was
/// refused and got over (`pods/exec`, `leases`).
fn assert_role_granted(server: &ApiServer) {
    let manifest = std::fs::read_to_string(common::root().join("deploy/rbac.yaml")).unwrap();
    let rules = role_rules(&manifest);
    let requests = server.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        let Some(need) = authorization(request) else {
            continue;
        };
        let refused = matches!(need.1.as_str(), "pods/exec" | "leases");
        assert!(
            allowed(&rules, &need) || refused,
            "deploy/rbac.yaml does not grant {need:?} for {request}"
        );
    }
}

#[test]
fn in_cluster_job_judges_a_rendered_stream_with_only_the_deploy_role() {
    let test = "in_cluster_job_judges_a_rendered_stream_with_only_the_deploy_role";
    let Some(flags) = unshare_flags() else {
        common::skip(&format!(
            "{test}: no private mount namespace here (`unshare -m` failed)"
        ));
        return;
    };
    let (server, scratch) = support::harbor::standard();
    server.forbid("create", "pods/exec", None);
    server.forbid("list", "leases", None);
    server.forbid("watch", "leases", None);
    let (account, home) = service_account(&server, &scratch);
    // `--rendered` also lists the live StatefulSets, Deployments and claims.
    let stream = common::testdata("rendered/upgrade-1.14.2.yaml");
    let r = run_in_pod(
        flags,
        &server,
        &account,
        &home,
        &[
            "preflight",
            "check",
            "-n",
            support::harbor::NS,
            "--rendered",
            stream.to_str().unwrap(),
            "-o",
            "json",
        ],
    );
    r.assert_judged();
    let listed = |resource: &str| {
        server.requests().iter().any(|q| {
            authorization(q).is_some_and(|(_, res, verb)| res == resource && verb == "list")
        })
    };
    assert!(listed("statefulsets"), "{:?}", server.requests());
    assert!(listed("persistentvolumeclaims"), "{:?}", server.requests());
    assert!(
        r.findings("rbac-forbidden")
            .iter()
            .all(|f| !f.to_string().contains("persistentvolumeclaims")
                && !f.to_string().contains("statefulsets")),
        "{}",
        r.stdout
    );
    assert_role_granted(&server);
}

#[test]
fn in_cluster_namespace_file_is_the_default_namespace() {
    let Some(flags) = unshare_flags() else {
        common::skip("in_cluster_namespace_file_is_the_default_namespace: no private mount namespace here (`unshare -m` failed)");
        return;
    };
    let (server, scratch) = support::harbor::standard();
    let (account, home) = service_account(&server, &scratch);
    // `--release` alone: the namespace comes from the service account's namespace file.
    let r = run_in_pod(
        flags,
        &server,
        &account,
        &home,
        &["keys", "inspect", "--release", "harbor", "-o", "json"],
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(server
        .requests()
        .iter()
        .filter(|q| q.contains("/namespaces/"))
        .all(|q| q.contains("/namespaces/harbor/")));

    // A wrong token is refused by the server and reported, without the token.
    std::fs::write(account.join("token"), "not-the-token").unwrap();
    let r = run_in_pod(
        flags,
        &server,
        &account,
        &home,
        &["keys", "inspect", "--release", "harbor"],
    );
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(r.stderr.starts_with("error:"), "{}", r.stderr);
    assert!(!r.stderr.contains("not-the-token"), "{}", r.stderr);
}

#[test]
fn helm_pre_upgrade_hook_example_renders_with_the_subchart_version() {
    let chart = match support::helm::chart("1.14.2") {
        Ok(chart) => chart,
        Err(why) => {
            common::skip(&format!(
                "helm_pre_upgrade_hook_example_renders_with_the_subchart_version: {why}"
            ));
            return;
        }
    };
    for major in [4, 3] {
        let helm = match support::helm::Helm::find(major) {
            Ok(helm) => helm,
            Err(why) => {
                common::skip(&format!(
                    "helm_pre_upgrade_hook_example_renders_with_the_subchart_version (Helm {major}): {why}"
                ));
                continue;
            }
        };
        let scratch = Scratch::new();
        let umbrella = scratch.path().join("umbrella");
        std::fs::create_dir_all(umbrella.join("charts")).unwrap();
        std::fs::create_dir_all(umbrella.join("templates")).unwrap();
        std::fs::write(
            umbrella.join("Chart.yaml"),
            "apiVersion: v2\nname: registry\nversion: 0.1.0\ndependencies:\n- name: harbor\n  version: 1.14.2\n  repository: file://charts/harbor\n",
        )
        .unwrap();
        std::fs::copy(&chart, umbrella.join("charts/harbor-1.14.2.tgz")).unwrap();
        std::fs::copy(
            common::root().join("deploy/helm-pre-upgrade/harbor-upgrade-preflight.yaml"),
            umbrella.join("templates/harbor-upgrade-preflight.yaml"),
        )
        .unwrap();
        let server = ApiServer::start();
        let home = scratch.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let out = helm.run(
            &server,
            &home,
            &[],
            &[
                "template",
                "reg",
                umbrella.to_str().unwrap(),
                "-n",
                "registry",
                "--set",
                "harbor.core.replicas=2",
                "--show-only",
                "templates/harbor-upgrade-preflight.yaml",
            ],
        );
        assert_eq!(out.status, 0, "Helm {major}: {}", out.stderr);
        let text = out.stdout;
        for expected in [
            "name: reg-harbor-upgrade-preflight",
            "\"helm.sh/hook\": pre-upgrade",
            "- --to\n        - \"1.14.2\"",
            "- --release\n        - reg",
            "- -n\n        - registry",
            "serviceAccountName: reg-harbor-upgrade",
        ] {
            assert!(
                text.contains(expected),
                "Helm {major}: lacks {expected:?}:\n{text}"
            );
        }
        // The hook Secret carries the new values: the tool reads them as a values file.
        let values_start = text
            .find("values.yaml: |\n")
            .expect("values in the hook Secret")
            + 15;
        let mut values = String::new();
        for line in text[values_start..]
            .lines()
            .take_while(|l| l.starts_with("    ") || l.is_empty())
        {
            values.push_str(line.strip_prefix("    ").unwrap_or(line));
            values.push('\n');
        }
        assert!(values.contains("replicas: 2"), "{values}");
        let file = scratch.write("hook-values.yaml", &values);
        let r = common::run(&["keys", "inspect", &file, "-o", "json"]);
        assert_eq!(r.status, 0, "Helm {major}: {}", r.stderr);
    }
}
