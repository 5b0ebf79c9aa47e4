//! The upgrade's target taken from the `GitOps` object that installs the chart: a Flux
//! `HelmRelease`'s `spec.chart.spec.version` or an Argo CD `Application`'s `targetRevision`, when
//! the chart is goharbor/harbor and no `--to` is given.

mod common;

use common::{run, Scratch};
use serde_json::Value;

fn flux(version: &str) -> String {
    format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: harbor\nspec:\n  chart:\n    spec:\n      chart: harbor\n      version: \"{version}\"\n      sourceRef:\n        kind: HelmRepository\n        name: harbor\n  values:\n    externalURL: https://harbor.example.com\n"
    )
}

fn argo(repo: &str, revision: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: harbor\nspec:\n  source:\n    repoURL: {repo}\n    chart: harbor\n    targetRevision: {revision}\n    helm:\n      valuesObject:\n        externalURL: https://harbor.example.com\n"
    )
}

/// `preflight check FILE --from 2.8.4 -o json`, and the target it judged.
fn target(file: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["preflight", "check", file, "--from", "2.8.4", "-o", "json"];
    args.extend_from_slice(extra);
    let r = run(&args);
    r.assert_judged();
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    (
        json["upgrade"]["to"].as_str().unwrap().to_string(),
        r.stderr,
    )
}

fn newest() -> String {
    let json: Value = serde_json::from_str(&run(&["version", "-o", "json"]).stdout).unwrap();
    json["chart"]["last"]["harbor"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn flux_helm_release_version_is_the_target_and_is_named() {
    let s = Scratch::new();
    let file = s.write("hr.yaml", flux("1.13.1"));
    let (to, stderr) = target(&file, &[]);
    assert_eq!(to, "2.9.1");
    assert!(
        stderr.contains("the version pinned in spec.chart.spec.version of")
            && stderr.contains("hr.yaml:9"),
        "{stderr}"
    );
    // --to wins, silently.
    let (to, stderr) = target(&file, &["--to", "2.10.2"]);
    assert_eq!(to, "2.10.2");
    assert!(!stderr.contains("pinned"), "{stderr}");
}

#[test]
fn argo_application_target_revision_from_the_goharbor_repository_is_the_target() {
    let s = Scratch::new();
    let file = s.write("app.yaml", argo("https://helm.goharbor.io", "1.14.2"));
    let (to, stderr) = target(&file, &[]);
    assert_eq!(to, "2.10.2");
    assert!(stderr.contains("spec.source.targetRevision of"), "{stderr}");

    // Multi-source Applications: the source that names the chart.
    let multi = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: harbor\nspec:\n  sources:\n  - repoURL: https://git.example.com/values.git\n    targetRevision: main\n    ref: values\n  - repoURL: https://helm.goharbor.io\n    chart: harbor\n    targetRevision: 1.14.2\n    helm:\n      valueFiles: [$values/harbor.yaml]\n";
    let file = s.write("multi.yaml", multi);
    let (to, stderr) = target(&file, &[]);
    assert_eq!(to, "2.10.2");
    assert!(
        stderr.contains("spec.sources[1].targetRevision"),
        "{stderr}"
    );
}

#[test]
fn a_harbor_chart_from_another_repository_does_not_set_the_target() {
    let s = Scratch::new();
    let file = s.write(
        "bitnami.yaml",
        argo("oci://registry-1.docker.io/bitnamicharts", "24.0.1"),
    );
    let (to, stderr) = target(&file, &[]);
    assert_eq!(to, newest());
    assert!(stderr.contains("not goharbor/harbor"), "{stderr}");
}

#[test]
fn a_version_range_does_not_set_the_target_and_says_so() {
    let s = Scratch::new();
    let file = s.write("range.yaml", flux("1.14.x"));
    let (to, stderr) = target(&file, &[]);
    assert_eq!(to, newest());
    assert!(
        stderr.contains("`1.14.x`") && stderr.contains("not a goharbor/harbor chart release"),
        "{stderr}"
    );
}

#[test]
fn different_pinned_versions_do_not_set_the_target() {
    let s = Scratch::new();
    let a = s.write("a.yaml", flux("1.13.1"));
    let b = s.write("b.yaml", flux("1.14.2"));
    let (to, stderr) = target(&a, &["-f", &b]);
    assert_eq!(to, newest());
    assert!(stderr.contains("pin different chart versions"), "{stderr}");
}

#[test]
fn plain_values_keep_the_newest_release_as_target() {
    let s = Scratch::new();
    let file = s.write("values.yaml", "externalURL: https://harbor.example.com\n");
    let (to, stderr) = target(&file, &[]);
    assert_eq!(to, newest());
    assert!(!stderr.contains("pinned"), "{stderr}");
}

#[test]
fn notes_on_stderr_escape_control_characters_of_inputs() {
    let s = Scratch::new();
    // A file name with a terminal escape in it, quoted by the note that names the pin.
    let file = s.write("hr\u{1b}[2J\u{7}.yaml", flux("1.13.1"));
    let (_, stderr) = target(&file, &[]);
    assert!(stderr.contains("the version pinned in"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(stderr.contains("hr\\u001b[2J\\u0007.yaml"), "{stderr}");
}
