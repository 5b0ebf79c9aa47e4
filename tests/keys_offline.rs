//! `keys diff` and `keys restore --dry-run` against Secret manifests (`--secret FILE`) instead
//! of the cluster, and the JSON envelopes of both (`-o json`).

mod common;

use common::{key, run, secret_manifest, Scratch};
use serde_json::Value;

const SECRET_KEY: &[u8] = b"0123456789abcdef";
const CORE_SECRET: &[u8] = b"cOr3SeCr3tV4lu3x";

/// The live `harbor-core` Secret with this `secretKey` and token pair.
fn core(s: &Scratch, file: &str, secret_key: &[u8], tls_key: &str, tls_crt: &str) -> String {
    let tls_key = key(tls_key);
    let tls_crt = key(tls_crt);
    s.write(
        file,
        secret_manifest(
            "harbor-core",
            &[
                ("secretKey", secret_key),
                ("secret", CORE_SECRET),
                ("tls.key", tls_key.as_bytes()),
                ("tls.crt", tls_crt.as_bytes()),
            ],
        ),
    )
}

/// A plaintext backup of `harbor-core` as it was, made from files.
fn backup(s: &Scratch) -> String {
    let values = s.write("values.yaml", "secretKey: \"0123456789abcdef\"\n");
    let live = core(s, "then.yaml", SECRET_KEY, "rsa2048.key", "rsa2048.crt");
    let out = s.path().join("backup");
    let r = run(&[
        "keys",
        "backup",
        &values,
        "--secret",
        &live,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    out.to_string_lossy().into_owned()
}

fn assert_no_secret(r: &common::Run) {
    for secret in [SECRET_KEY, CORE_SECRET, b"TOTALLY-NEW-KEY!".as_slice()] {
        let text = String::from_utf8_lossy(secret);
        assert!(
            !r.stdout.contains(&*text) && !r.stderr.contains(&*text),
            "{text} leaked"
        );
    }
    assert!(!r.stdout.contains("PRIVATE KEY"));
}

#[test]
fn keys_diff_against_manifests_reports_nothing_changed() {
    let s = Scratch::new();
    let b = backup(&s);
    let same = core(&s, "now.yaml", SECRET_KEY, "rsa2048.key", "rsa2048.crt");
    let r = run(&["keys", "diff", &b, "--secret", &same]);
    assert_eq!(r.status, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("against the Secret manifests "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.trim_end().ends_with("nothing changed"),
        "{}",
        r.stdout
    );
    assert_no_secret(&r);

    let r = run(&["keys", "diff", &b, "--secret", &same, "-o", "json"]);
    assert_eq!(r.status, 0);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["schemaVersion"], 1);
    assert_eq!(json["verdict"], "unchanged");
    assert_eq!(json["dangerous"], false);
    assert_eq!(json["against"]["files"][0], same);
    let entries = json["entries"].as_array().unwrap();
    assert!(
        entries.iter().all(|e| e["class"] == "unchanged"),
        "{entries:?}"
    );
    assert!(entries
        .iter()
        .any(|e| e["key"] == "secretKey" && e["before"] == e["after"]));
}

#[test]
fn keys_diff_against_manifests_flags_a_changed_secret_key_and_a_broken_pair() {
    let s = Scratch::new();
    let b = backup(&s);
    // The seed's upgrade: a new secretKey, and a certificate of another key.
    let now = core(
        &s,
        "now.yaml",
        b"TOTALLY-NEW-KEY!",
        "rsa2048.key",
        "other-rsa2048.crt",
    );
    let r = run(&["keys", "diff", &b, "--secret", &now, "-o", "json"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_no_secret(&r);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["verdict"], "dangerous");
    let class = |k: &str| {
        json["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == k)
            .unwrap()["class"]
            .clone()
    };
    assert_eq!(class("secretKey"), "dangerous");
    assert_eq!(class("tls.crt"), "dangerous");
    assert_eq!(class("tls.key"), "dangerous");
    assert_eq!(class("secret"), "unchanged");

    let text = run(&["keys", "diff", &b, "--secret", &now]);
    assert_eq!(text.status, 1);
    assert!(
        text.stdout
            .contains("DANGER    secret/harbor-core secretKey: "),
        "{}",
        text.stdout
    );
    assert_no_secret(&text);
}

#[test]
fn keys_diff_against_manifests_without_the_secret_says_it_is_gone() {
    let s = Scratch::new();
    let b = backup(&s);
    let other = s.write("other.yaml", secret_manifest("unrelated", &[("a", b"b")]));
    let r = run(&["keys", "diff", &b, "--secret", &other]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("secret/harbor-core: gone from the Secret manifests; it held `secretKey`"),
        "{}",
        r.stdout
    );
}

#[test]
fn keys_restore_dry_run_against_manifests_shows_what_would_change() {
    let s = Scratch::new();
    let b = backup(&s);
    let now = core(
        &s,
        "now.yaml",
        b"TOTALLY-NEW-KEY!",
        "rsa2048.key",
        "rsa2048.crt",
    );
    let r = run(&["keys", "restore", &b, "--dry-run", "--secret", &now]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with("would restore "), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("skip secret/harbor-core: it exists and differs"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("~ secretKey: live "), "{}", r.stdout);
    assert_no_secret(&r);

    let r = run(&[
        "keys",
        "restore",
        &b,
        "--dry-run",
        "--secret",
        &now,
        "--policy",
        "update",
        "-o",
        "json",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_no_secret(&r);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["dryRun"], true);
    assert_eq!(json["into"]["files"][0], now);
    let step = &json["secrets"][0];
    assert_eq!(step["secret"], "harbor-core");
    assert_eq!(step["action"], "update");
    assert!(
        step["changes"][0]
            .as_str()
            .unwrap()
            .starts_with("~ secretKey: live "),
        "{step}"
    );
    assert_eq!(json["leftDifferent"], 0);
}

#[test]
fn keys_restore_with_manifests_is_a_dry_run_only() {
    let s = Scratch::new();
    let b = backup(&s);
    let now = core(&s, "now.yaml", SECRET_KEY, "rsa2048.key", "rsa2048.crt");
    let r = run(&["keys", "restore", &b, "--secret", &now]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr
            .starts_with("error: `--secret` files can only be compared (`--dry-run`)"),
        "{}",
        r.stderr
    );
    let r = run(&["keys", "diff", &b, "--secret", &now, "-n", "harbor"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("not both"), "{}", r.stderr);
}
