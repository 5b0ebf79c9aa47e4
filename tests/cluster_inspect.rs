//! `keys inspect` against the test Kubernetes API server: the release's live Secrets and values.

mod common;
mod support;

use support::harbor::{assert_no_secret, run_with, standard, NS};

#[test]
fn inspect_reads_the_live_release() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let r = run_with(
        &kubeconfig,
        s.path(),
        &[
            "keys",
            "inspect",
            "-o",
            "json",
            "--now",
            "2030-01-01T00:00:00Z",
        ],
    );
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert_no_secret(&r);
    let json = r.json();
    let pairs = json["tokenPairs"].as_array().expect("token pairs");
    assert!(
        pairs.iter().any(|p| p["source"]
            .as_str()
            .unwrap_or_default()
            .contains("harbor-core")),
        "the live core Secret's pair is listed: {}",
        r.stdout
    );
    let secrets = json["secrets"].as_array().expect("secrets");
    assert!(
        secrets.iter().any(|x| x["name"] == "harbor-core"),
        "{}",
        r.stdout
    );
    assert!(
        secrets.iter().all(|x| x["file"]
            .as_str()
            .unwrap_or_default()
            .starts_with("cluster://")),
        "live Secrets have virtual sources: {}",
        r.stdout
    );
    let text = run_with(
        &kubeconfig,
        s.path(),
        &["keys", "inspect", "--now", "2030-01-01T00:00:00Z"],
    );
    assert_eq!(text.status, 0);
    assert_no_secret(&text);
    assert!(
        text.stdout.contains("token pair from Secret `harbor-core`"),
        "{}",
        text.stdout
    );
}
