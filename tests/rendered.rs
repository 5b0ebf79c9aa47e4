//! `preflight check --rendered`: what Helm renders, judged exactly and compared with the live
//! objects.
//!
//! Offline tests run on `testdata/rendered/` (real `helm template` output with test-made
//! credentials), edited to show each situation. The Helm tests let real Helm 4 and 3 render the
//! real charts of `../shared/harbor-helm/` (`helm template`, and `helm upgrade --dry-run=server`
//! against the test API server) and pipe the output into the tool; without Helm or the charts
//! they print `skipped: <test>: <why>`.

mod common;
mod support;

use base64::Engine as _;
use common::{key, run, run_stdin, testdata, Run, Scratch};
use serde_json::{json, Value};
use support::harbor::{assert_no_secret, deployed_values, NS, SECRET_KEY};
use support::helm::{chart, HelmCluster};

const NOW: &str = "2030-01-01T00:00:00Z";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The checked-in stream of the upgrade to chart 1.14.2.
fn upgrade_stream() -> String {
    std::fs::read_to_string(testdata("rendered/upgrade-1.14.2.yaml")).expect("fixture")
}

/// The checked-in manifest of the release running now (chart 1.12.4).
fn deployed_manifest() -> String {
    testdata("rendered/deployed-1.12.4.yaml")
        .to_string_lossy()
        .into_owned()
}

/// `text` with `from` replaced exactly once.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in the stream");
    text.replacen(from, to, 1)
}

/// The 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    let at = text.find(needle).expect("needle in text");
    text[..at].matches('\n').count() as u64 + 1
}

/// `preflight check --rendered FILE --deployed-manifests <1.12.4> -o json` plus `extra`.
fn check_stream(s: &Scratch, stream: &str, extra: &[&str]) -> (Run, String) {
    let file = s.write("rendered.yaml", stream);
    let deployed = deployed_manifest();
    let mut args = vec![
        "preflight",
        "check",
        "--rendered",
        file.as_str(),
        "--deployed-manifests",
        deployed.as_str(),
        "-o",
        "json",
        "--now",
        NOW,
    ];
    args.extend_from_slice(extra);
    let r = run(&args);
    r.assert_judged();
    assert_no_secret(&r);
    (r, file)
}

/// Asserts that the only finding of `rule` points at `file:line`.
fn assert_at(r: &Run, rule: &str, file: &str, line: u64) -> Value {
    let found = r.findings(rule);
    assert_eq!(found.len(), 1, "one `{rule}`: {}", r.stdout);
    assert_eq!(found[0]["location"]["file"], file, "{}", r.stdout);
    assert_eq!(found[0]["location"]["line"], line, "{}", r.stdout);
    found[0].clone()
}

fn errors(r: &Run) -> Vec<String> {
    r.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Offline, on the checked-in streams.

#[test]
fn an_unchanged_upgrade_from_its_rendering_gives_no_error() {
    let s = Scratch::new();
    let (r, _) = check_stream(&s, &upgrade_stream(), &[]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(errors(&r).is_empty(), "{}", r.stdout);
    for rule in [
        "secret-key-changed",
        "token-key-changed",
        "database-password-changed",
        "secrets-regenerate",
        "persistence-immutable-change",
        "removed-component-data",
    ] {
        assert!(r.findings(rule).is_empty(), "{rule}: {}", r.stdout);
    }
    // The versions come from the stream and the deployed manifest.
    assert_eq!(r.json()["upgrade"]["from"], "2.8.4", "{}", r.stderr);
    assert_eq!(r.json()["upgrade"]["to"], "2.10.2", "{}", r.stderr);
    assert!(
        r.stderr.contains("judging what Helm rendered in"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_seeds_mismatched_pair_in_the_rendered_core_secret_is_token_pair_mismatch_at_its_line() {
    let s = Scratch::new();
    let stream = upgrade_stream();
    let good_crt = b64(key("rsa2048.crt").as_bytes());
    let stream = replace_once(
        &stream,
        &good_crt,
        &b64(key("other-rsa2048.crt").as_bytes()),
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    assert_eq!(r.status, 1, "{}", r.stdout);
    let f = assert_at(
        &r,
        "token-pair-mismatch",
        &file,
        line_of(&stream, "  tls.crt:"),
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("rendered Secret `harbor-core`")
            || f.to_string().contains("rendered Secret `harbor-core`"),
        "{f}"
    );
}

#[test]
fn a_changed_secret_key_in_the_rendering_is_secret_key_changed() {
    let s = Scratch::new();
    let stream = replace_once(
        &upgrade_stream(),
        &format!("secretKey: \"{}\"", b64(SECRET_KEY)),
        &format!("secretKey: \"{}\"", b64(b"0therS3cretK3y16")),
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    assert_eq!(r.status, 1, "{}", r.stdout);
    let f = assert_at(
        &r,
        "secret-key-changed",
        &file,
        line_of(&stream, "  secretKey:"),
    );
    assert_eq!(f["severity"], "error");
    assert_eq!(f["valuesPath"], "secretKey");
    assert_eq!(f["source"], "rendered");
    assert_eq!(f["object"], "`secretKey` of rendered Secret `harbor-core`");
    assert!(!r.stdout.contains("0therS3cretK3y16"));
}

#[test]
fn a_changed_database_password_in_the_rendering_is_database_password_changed() {
    let s = Scratch::new();
    let stream = replace_once(
        &upgrade_stream(),
        "POSTGRES_PASSWORD: \"ZGItUDRzc3cwcmQtTGl2ZQ==\"",
        &format!("POSTGRES_PASSWORD: \"{}\"", b64(b"changeit")),
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    assert_at(
        &r,
        "database-password-changed",
        &file,
        line_of(&stream, "  POSTGRES_PASSWORD:"),
    );
}

#[test]
fn a_regenerated_internal_secret_is_observed_as_secrets_regenerate() {
    let s = Scratch::new();
    let stream = replace_once(
        &upgrade_stream(),
        "  secret: \"Y09yM1NlQ3IzdFY0bHUzeA==\"",
        &format!("  secret: \"{}\"", b64(b"N3wRand0mV4lu3xx")),
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    let f = assert_at(
        &r,
        "secrets-regenerate",
        &file,
        line_of(&stream, "  secret: "),
    );
    assert!(
        f["message"].as_str().unwrap().contains("`core.secret`"),
        "{f}"
    );
}

#[test]
fn a_switched_token_pair_in_the_rendering_is_token_key_changed() {
    let s = Scratch::new();
    let stream = upgrade_stream();
    let stream = replace_once(
        &stream,
        &b64(key("rsa2048.key").as_bytes()),
        &b64(key("other-rsa2048.key").as_bytes()),
    );
    let stream = replace_once(
        &stream,
        &b64(key("rsa2048.crt").as_bytes()),
        &b64(key("other-rsa2048.crt").as_bytes()),
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    assert_at(
        &r,
        "token-key-changed",
        &file,
        line_of(&stream, "  tls.key:"),
    );
    assert!(r.findings("token-pair-mismatch").is_empty(), "{}", r.stdout);
}

#[test]
fn a_secret_the_rendered_pods_reference_that_exists_nowhere_is_existing_secret_missing() {
    let s = Scratch::new();
    // As `registry.credentials.existingSecret: my-htpasswd` renders it.
    let stream = replace_once(
        &upgrade_stream(),
        "secretName: harbor-registry-htpasswd",
        "secretName: my-htpasswd",
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    assert!(r.findings("existing-secret-missing").is_empty());
    let skipped = r.skipped("existing-secret-missing");
    assert!(
        skipped
            .iter()
            .any(|k| k.to_string().contains("my-htpasswd")),
        "not judged without --secrets-complete: {}",
        r.stdout
    );
    let (r, _) = check_stream(&s, &stream, &["--secrets-complete"]);
    assert_eq!(r.status, 1);
    let f = assert_at(
        &r,
        "existing-secret-missing",
        &file,
        line_of(&stream, "secretName: my-htpasswd"),
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("Deployment `harbor-registry`"),
        "{f}"
    );
}

#[test]
fn a_key_the_rendered_pods_read_that_the_secret_lacks_is_existing_secret_key_missing() {
    let s = Scratch::new();
    let stream = upgrade_stream();
    let at = stream.find("key: JOBSERVICE_SECRET").expect("reference");
    let stream = format!(
        "{}key: JOBSERVICE_TOKEN{}",
        &stream[..at],
        &stream[at + "key: JOBSERVICE_SECRET".len()..]
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    let f = assert_at(
        &r,
        "existing-secret-key-missing",
        &file,
        line_of(&stream, "key: JOBSERVICE_TOKEN") - 1,
    );
    assert!(
        f["message"].as_str().unwrap().contains("JOBSERVICE_TOKEN"),
        "{f}"
    );
}

#[test]
fn a_larger_database_volume_in_the_rendering_is_persistence_immutable_change() {
    let s = Scratch::new();
    let stream = upgrade_stream();
    let at = stream
        .find("kind: StatefulSet\nmetadata:\n  name: \"harbor-database\"")
        .or_else(|| stream.find("kind: StatefulSet\nmetadata:\n  name: harbor-database"))
        .expect("database StatefulSet");
    let size = at + stream[at..].find("storage: \"1Gi\"").expect("claim size");
    let stream = format!(
        "{}storage: \"5Gi\"{}",
        &stream[..size],
        &stream[size + "storage: \"1Gi\"".len()..]
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    assert_eq!(r.status, 1, "{}", r.stdout);
    let f = assert_at(
        &r,
        "persistence-immutable-change",
        &file,
        line_of(&stream, "storage: \"5Gi\""),
    );
    assert_eq!(f["source"], "rendered");
    assert_eq!(f["object"], "rendered://statefulset/harbor-database");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("StatefulSet `harbor-database`"),
        "{message}"
    );
    assert!(
        message.contains("1Gi") && message.contains("5Gi"),
        "{message}"
    );
}

#[test]
fn a_chart_version_the_table_does_not_know_is_still_judged_from_the_stream() {
    let s = Scratch::new();
    let stream = upgrade_stream().replace(":v2.10.2", ":v2.99.0");
    let stream = replace_once(
        &stream,
        &b64(key("rsa2048.crt").as_bytes()),
        &b64(key("other-rsa2048.crt").as_bytes()),
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    assert!(r.stderr.contains("`2.99.0`"), "{}", r.stderr);
    assert!(r.json()["upgrade"]["to"].is_null(), "{}", r.stdout);
    assert_at(
        &r,
        "token-pair-mismatch",
        &file,
        line_of(&stream, "  tls.crt:"),
    );
}

#[test]
fn the_dry_run_printout_and_its_json_are_read_at_their_own_lines() {
    let s = Scratch::new();
    let stream = replace_once(
        &upgrade_stream(),
        &b64(key("rsa2048.crt").as_bytes()),
        &b64(key("other-rsa2048.crt").as_bytes()),
    );
    // What `helm upgrade --dry-run` prints around the manifest (the Helm tests use the real one).
    let printout = format!(
        "Release \"harbor\" has been upgraded. Happy Helming!\nNAME: harbor\nLAST DEPLOYED: Wed Dec  2 14:54:35 2026\nNAMESPACE: harbor\nSTATUS: pending-upgrade\nREVISION: 2\nDESCRIPTION: Dry run complete\nTEST SUITE: None\nUSER-SUPPLIED VALUES:\nsecretKey: {}\n\nHOOKS:\nMANIFEST:\n{stream}\nNOTES:\nPlease wait for several minutes for Harbor deployment to complete.\nThen you should be able to visit the Harbor portal at http://harbor.example.com\n",
        std::str::from_utf8(SECRET_KEY).unwrap()
    );
    let (r, file) = check_stream(&s, &printout, &[]);
    assert_at(
        &r,
        "token-pair-mismatch",
        &file,
        line_of(&printout, "  tls.crt:"),
    );

    let release = json!({
        "name": "harbor",
        "info": {"status": "pending-upgrade", "notes": "Please wait"},
        "chart": {"metadata": {"name": "harbor", "version": "1.14.2"}},
        "config": deployed_values(),
        "manifest": stream,
        "hooks": [],
        "version": 2,
        "namespace": "harbor",
    });
    let (r, file) = check_stream(&s, &release.to_string(), &[]);
    assert_at(
        &r,
        "token-pair-mismatch",
        &format!("{file}#manifest"),
        line_of(&stream, "  tls.crt:"),
    );
    assert_eq!(r.json()["upgrade"]["to"], "2.10.2");
}

#[test]
fn the_stream_is_read_from_standard_input() {
    let stream = replace_once(
        &upgrade_stream(),
        &b64(key("rsa2048.crt").as_bytes()),
        &b64(key("other-rsa2048.crt").as_bytes()),
    );
    let r = run_stdin(
        &[
            "preflight",
            "check",
            "--rendered",
            "-",
            "-o",
            "json",
            "--now",
            NOW,
        ],
        &stream,
    );
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    assert_at(
        &r,
        "token-pair-mismatch",
        "<stdin>",
        line_of(&stream, "  tls.crt:"),
    );
    assert_no_secret(&r);
    let r = run_stdin(&["preflight", "check", "-", "--rendered", "-"], &stream);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr
            .contains("standard input (`-`) can be read only once"),
        "{}",
        r.stderr
    );
}

/// What `helm upgrade --dry-run` prints around `stream`: the release, its values, the notes.
fn dry_run_printout(stream: &str) -> String {
    format!(
        "Release \"harbor\" has been upgraded. Happy Helming!\nNAME: harbor\nLAST DEPLOYED: Wed Dec  2 14:54:35 2026\nNAMESPACE: harbor\nSTATUS: pending-upgrade\nREVISION: 2\nDESCRIPTION: Dry run complete\nTEST SUITE: None\nUSER-SUPPLIED VALUES:\nsecretKey: {}\n\nHOOKS:\nMANIFEST:\n{stream}\nNOTES:\nPlease wait for several minutes for Harbor deployment to complete.\n",
        std::str::from_utf8(SECRET_KEY).unwrap()
    )
}

#[test]
fn the_dry_run_printout_and_its_json_are_read_from_standard_input() {
    let stream = replace_once(
        &upgrade_stream(),
        &b64(key("rsa2048.crt").as_bytes()),
        &b64(key("other-rsa2048.crt").as_bytes()),
    );
    let deployed = deployed_manifest();
    let args = [
        "preflight",
        "check",
        "--rendered",
        "-",
        "--deployed-manifests",
        deployed.as_str(),
        "-o",
        "json",
        "--now",
        NOW,
    ];
    let printout = dry_run_printout(&stream);
    let r = run_stdin(&args, &printout);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    assert_at(
        &r,
        "token-pair-mismatch",
        "<stdin>",
        line_of(&printout, "  tls.crt:"),
    );
    assert_eq!(r.json()["upgrade"]["to"], "2.10.2", "{}", r.stdout);
    assert_no_secret(&r);

    let release = json!({
        "name": "harbor",
        "info": {"status": "pending-upgrade", "notes": "Please wait"},
        "chart": {"metadata": {"name": "harbor", "version": "1.14.2"}},
        "config": deployed_values(),
        "manifest": stream,
        "hooks": [],
        "version": 2,
        "namespace": "harbor",
    });
    let r = run_stdin(&args, &release.to_string());
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    assert_at(
        &r,
        "token-pair-mismatch",
        "<stdin>#manifest",
        line_of(&stream, "  tls.crt:"),
    );
    assert_eq!(r.json()["upgrade"]["to"], "2.10.2", "{}", r.stdout);
    assert_no_secret(&r);

    // `keys inspect --rendered -` lists the rendered core Secret of either form.
    for text in [printout, release.to_string()] {
        let r = run_stdin(&["keys", "inspect", "--rendered", "-", "-o", "json"], &text);
        assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("harbor-core"), "{}", r.stdout);
        assert_no_secret(&r);
    }
}

#[test]
fn malformed_streams_are_one_error_naming_the_file_and_line_without_a_secret() {
    let s = Scratch::new();
    let head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: harbor-core\ndata:\n  secretKey: UTd2MkxtOVhjNFJ0OFd6MQ==\n---\n";
    let cases = [
        ("broken.yaml", format!("{head}kind: Deployment\nmetadata: [name\n"), "broken.yaml:"),
        ("list.yaml", format!("{head}- just\n- a list\n"), "list.yaml:8: a document is a list"),
        ("nokind.yaml", format!("{head}metadata:\n  name: x\n"), "nokind.yaml:8: a document has no `kind`"),
        (
            "base64.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: harbor-core\ndata:\n  secretKey: Q7v2Lm9Xc4Rt8Wz1!!\n".to_string(),
            "`secretKey` in `data` of Secret `harbor-core` is not valid base64",
        ),
        ("empty.yaml", "# nothing here\n".to_string(), "no Kubernetes object found"),
    ];
    for (name, text, expected) in cases {
        let file = s.write(name, &text);
        let r = run(&["preflight", "check", "--rendered", &file]);
        assert_eq!(r.status, 2, "{name}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains(&file),
            "{name} names the file: {}",
            r.stderr
        );
        assert!(r.stderr.contains(expected), "{name}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{name}: {}", r.stdout);
        assert_no_secret(&r);
        assert!(!r.stderr.contains("Q7v2Lm9Xc4Rt8Wz1"), "{}", r.stderr);
    }
    let r = run(&[
        "preflight",
        "check",
        "--rendered",
        "/nonexistent-dir-for-test/x.yaml",
    ]);
    assert_eq!(r.status, 2, "{}", r.stderr);
}

#[test]
fn the_pair_core_mounts_from_a_secret_the_chart_does_not_render_is_judged_once_from_the_live_secret(
) {
    let s = Scratch::new();
    // As `core.secretName: my-token` renders it: core mounts `tls.key` of a Secret made elsewhere.
    let stream = replace_once(
        &upgrade_stream(),
        "      - name: token-service-private-key\n        secret:\n          secretName: harbor-core",
        "      - name: token-service-private-key\n        secret:\n          secretName: my-token",
    );
    let token = s.write(
        "my-token.yaml",
        common::secret_manifest(
            "my-token",
            &[
                ("tls.key", key("rsa2048.key").as_bytes()),
                ("tls.crt", key("other-rsa2048.crt").as_bytes()),
            ],
        ),
    );
    for extra in [
        vec!["--secret", token.as_str()],
        vec![
            "--secret",
            token.as_str(),
            "--set",
            "core.secretName=my-token",
        ],
    ] {
        let (r, _) = check_stream(&s, &stream, &extra);
        let found = r.findings("token-pair-mismatch");
        assert_eq!(found.len(), 1, "{extra:?}: {}", r.stdout);
        assert_eq!(found[0]["location"]["file"], token.as_str());
        assert!(
            found[0]
                .to_string()
                .contains("mounted by the rendered core"),
            "{}",
            found[0]
        );
    }
}

#[test]
fn hostile_rendered_inputs_are_refused_by_name() {
    let s = Scratch::new();
    let dir = s.path().join("a-directory");
    std::fs::create_dir(&dir).expect("dir");
    let big = s.path().join("big.yaml");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(64 * 1024 * 1024 + 1).expect("sparse file");
    let mut cases = vec![
        (dir.to_string_lossy().into_owned(), "directory"),
        (
            big.to_string_lossy().into_owned(),
            "larger than 64 MiB, the limit for a manifest stream",
        ),
    ];
    let fifo = s.path().join("fifo");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|st| st.success())
    {
        cases.push((fifo.to_string_lossy().into_owned(), "FIFO"));
    } else {
        common::skip(
            "hostile_rendered_inputs_are_refused_by_name: FIFO case: `mkfifo` is not available",
        );
    }
    for (path, expected) in cases {
        let upgrade = upgrade_file();
        for args in [
            vec!["preflight", "check", "--rendered", path.as_str()],
            vec![
                "preflight",
                "check",
                "--rendered",
                upgrade.as_str(),
                "--deployed-manifests",
                path.as_str(),
            ],
            vec!["keys", "inspect", "--rendered", path.as_str()],
        ] {
            let r = run(&args);
            assert_eq!(r.status, 2, "{args:?}: {}", r.stderr);
            assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
            assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
            assert!(r.stderr.contains(expected), "{args:?}: {}", r.stderr);
            assert!(r.stdout.is_empty());
        }
    }
}

fn upgrade_file() -> String {
    testdata("rendered/upgrade-1.14.2.yaml")
        .to_string_lossy()
        .into_owned()
}

/// The stream with core's Deployment at `replicas`.
fn with_core_replicas(stream: &str, replicas: u32) -> String {
    replace_once(
        stream,
        "    component: core\nspec:\n  replicas: 1\n",
        &format!("    component: core\nspec:\n  replicas: {replicas}\n"),
    )
}

#[test]
fn several_rendered_core_replicas_crossing_a_minor_without_a_hook_are_migration_unguarded() {
    let s = Scratch::new();
    let stream = with_core_replicas(&upgrade_stream(), 3);
    let (r, file) = check_stream(&s, &stream, &[]);
    let f = assert_at(
        &r,
        "migration-unguarded",
        &file,
        line_of(&stream, "  replicas: 3"),
    );
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("v2.10.2") && message.contains("v2.8.4"),
        "{message}"
    );
    // A rendered pre-upgrade Job migrates once: nothing to report.
    let hooked = format!(
        "{stream}---\n# Source: harbor/templates/core/core-pre-upgrade-job.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migration-job\n  annotations:\n    \"helm.sh/hook\": pre-upgrade\nspec:\n  template:\n    spec:\n      containers:\n      - name: core-job\n        image: goharbor/harbor-core:v2.10.2\n"
    );
    let (r, _) = check_stream(&s, &hooked, &[]);
    assert!(r.findings("migration-unguarded").is_empty(), "{}", r.stdout);
    // One replica: nothing either.
    let (r, _) = check_stream(&s, &upgrade_stream(), &[]);
    assert!(r.findings("migration-unguarded").is_empty(), "{}", r.stdout);
}

#[test]
fn rendered_deployments_with_read_write_once_claims_are_rwo_rolling_update_unless_recreated() {
    let s = Scratch::new();
    let stream = upgrade_stream();
    let (r, file) = check_stream(&s, &stream, &[]);
    let found = r.findings("rwo-rolling-update");
    assert_eq!(found.len(), 2, "{}", r.stdout);
    for f in &found {
        assert_eq!(f["location"]["file"], file.as_str());
    }
    let recreated = stream.replace("    type: RollingUpdate", "    type: Recreate");
    let (r, _) = check_stream(&s, &recreated, &[]);
    assert!(r.findings("rwo-rolling-update").is_empty(), "{}", r.stdout);
}

/// A TLS Secret document with `ca.crt`.
fn ca_secret(ca: &str) -> String {
    format!(
        "---\n# Source: harbor/templates/internal/auto-tls.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: harbor-core-internal-tls\ntype: kubernetes.io/tls\ndata:\n  ca.crt: \"{}\"\n",
        b64(key(ca).as_bytes())
    )
}

#[test]
fn a_rendered_ca_that_is_not_the_live_one_is_tls_ca_regenerates() {
    let s = Scratch::new();
    let deployed = std::fs::read_to_string(deployed_manifest()).expect("fixture");
    let live = s.write(
        "live.yaml",
        format!("{deployed}{}", ca_secret("rsa2048.crt")),
    );
    let same = format!("{}{}", upgrade_stream(), ca_secret("rsa2048.crt"));
    let other = format!("{}{}", upgrade_stream(), ca_secret("other-rsa2048.crt"));
    let (r, _) = check_stream(&s, &same, &["--deployed-manifests", &live]);
    assert!(r.findings("tls-ca-regenerates").is_empty(), "{}", r.stdout);
    let (r, file) = check_stream(&s, &other, &["--deployed-manifests", &live]);
    let f = assert_at(
        &r,
        "tls-ca-regenerates",
        &file,
        line_of(&other, "  ca.crt:"),
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("harbor-core-internal-tls"),
        "{f}"
    );
}

#[test]
fn notary_running_in_the_deployed_release_is_removed_component_data() {
    let s = Scratch::new();
    let deployed = std::fs::read_to_string(deployed_manifest()).expect("fixture");
    let notary = "---\n# Source: harbor/templates/notary/notary-server.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: harbor-notary-server\nspec:\n  template:\n    spec:\n      containers:\n      - name: notary-server\n        image: goharbor/notary-server-photon:v2.8.4\n";
    let live = s.write("live.yaml", format!("{deployed}{notary}"));
    let (r, _) = check_stream(&s, &upgrade_stream(), &["--deployed-manifests", &live]);
    let found = r.findings("removed-component-data");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("harbor-notary-server"));
    assert_eq!(found[0]["location"]["file"], live.as_str());
}

#[test]
fn keys_inspect_lists_the_rendered_secrets_by_fingerprint() {
    let file = testdata("rendered/upgrade-1.14.2.yaml");
    let r = run(&[
        "keys",
        "inspect",
        "--rendered",
        &file.to_string_lossy(),
        "-o",
        "json",
        "--now",
        NOW,
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_no_secret(&r);
    let doc = r.json();
    let pair = &doc["tokenPairs"][0];
    assert!(
        pair.to_string().contains("rendered Secret `harbor-core`"),
        "{pair}"
    );
    assert!(doc["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "harbor-database"));
}

// ---------------------------------------------------------------------------------------------
// Real Helm.

/// The fixture release values with a token pair and `changes` merged over them.
fn helm_values(cluster: &HelmCluster, name: &str, cert: &str, changes: &Value) -> String {
    let mut v = deployed_values();
    v["core"]["tokenKey"] = json!(key("rsa2048.key"));
    v["core"]["tokenCert"] = json!(key(cert));
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

/// `preflight check --rendered FILE -n harbor -o json` against the test API server.
fn check_cluster(cluster: &HelmCluster, rendered: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "preflight",
        "check",
        "--rendered",
        rendered,
        "-n",
        NS,
        "-o",
        "json",
        "--now",
        NOW,
        "--skip-clock",
    ];
    args.extend_from_slice(extra);
    let r = cluster.tool(&args);
    r.assert_judged();
    assert_no_secret(&r);
    r
}

/// `helm template` piped into `--rendered -`: with every credential pinned, nothing changes.
fn template_piped(cluster: &HelmCluster, to: &str, installed: &str, major: u32) {
    // `helm template` piped in: the client-side render regenerates nothing pinned.
    let out = cluster
        .helm(&["template", "harbor", to, "--values", installed])
        .ok("helm template");
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
    assert!(errors(&r).is_empty(), "helm {major} template: {}", r.stdout);
}

/// Installs chart 1.12.4, then renders upgrades to 1.14.2 with `helm upgrade --dry-run=server`
/// and judges each against the release.
fn dry_run_upgrades(major: u32, test: &str) {
    let Some(cluster) = HelmCluster::start(test, major, &["1.12.4", "1.14.2"]) else {
        return;
    };
    let installed = helm_values(&cluster, "install.yaml", "rsa2048.crt", &json!({}));
    cluster.deploy("install", "harbor", "1.12.4", &[&installed]);
    let to = chart("1.14.2").expect("checked");
    let to = to.to_string_lossy().into_owned();
    let dry_run = |name: &str, values: &str| {
        let out = cluster
            .helm(&[
                "upgrade",
                "harbor",
                &to,
                "--values",
                values,
                "--dry-run=server",
            ])
            .ok("helm upgrade --dry-run=server");
        cluster.write(name, out.stdout)
    };

    // The same values: nothing the upgrade breaks.
    let same = dry_run("same.txt", &installed);
    let r = check_cluster(&cluster, &same, &[]);
    assert!(errors(&r).is_empty(), "helm {major}: {}", r.stdout);
    assert!(r.findings("secret-key-changed").is_empty(), "{}", r.stdout);
    assert!(r.findings("token-key-changed").is_empty(), "{}", r.stdout);
    assert_eq!(r.json()["upgrade"]["to"], "2.10.2");

    // The seed's mismatched pair.
    let mismatched = helm_values(&cluster, "mismatched.yaml", "other-rsa2048.crt", &json!({}));
    let file = dry_run("mismatched.txt", &mismatched);
    let r = check_cluster(&cluster, &file, &[]);
    let stream = std::fs::read_to_string(&file).expect("stream");
    assert_at(
        &r,
        "token-pair-mismatch",
        &file,
        line_of(&stream, "  tls.crt:"),
    );

    // Another `secretKey`.
    let changed = helm_values(
        &cluster,
        "secret-key.yaml",
        "rsa2048.crt",
        &json!({"secretKey": "0therS3cretK3y16"}),
    );
    let file = dry_run("secret-key.txt", &changed);
    let r = check_cluster(&cluster, &file, &[]);
    let stream = std::fs::read_to_string(&file).expect("stream");
    assert_at(
        &r,
        "secret-key-changed",
        &file,
        line_of(&stream, "  secretKey:"),
    );

    // A larger database volume: the deployed manifest stands for the live StatefulSet.
    let bigger = helm_values(
        &cluster,
        "database-size.yaml",
        "rsa2048.crt",
        &json!({"persistence": {"persistentVolumeClaim": {"database": {"size": "5Gi"}}}}),
    );
    let file = dry_run("database-size.txt", &bigger);
    let r = check_cluster(&cluster, &file, &[]);
    let found = r.findings("persistence-immutable-change");
    assert_eq!(found.len(), 1, "helm {major}: {}", r.stdout);
    assert_eq!(found[0]["location"]["file"], file.as_str());
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("harbor-database"));

    // `existingSecretSecretKey` naming a Secret that does not exist.
    let missing = helm_values(
        &cluster,
        "missing.yaml",
        "rsa2048.crt",
        &json!({"existingSecretSecretKey": "nowhere-secret-key"}),
    );
    let file = dry_run("missing.txt", &missing);
    let r = check_cluster(&cluster, &file, &[]);
    let found = r.findings("existing-secret-missing");
    assert!(
        found.iter().any(|f| f["message"]
            .as_str()
            .unwrap()
            .contains("nowhere-secret-key")
            && f["location"]["file"] == file.as_str()),
        "helm {major}: {}",
        r.stdout
    );

    template_piped(&cluster, &to, &installed, major);
    cluster.assert_all_served();
}

#[test]
fn helm4_dry_run_upgrades_are_judged_against_the_release() {
    dry_run_upgrades(4, "helm4_dry_run_upgrades_are_judged_against_the_release");
}

#[test]
fn helm3_dry_run_upgrades_are_judged_against_the_release() {
    dry_run_upgrades(3, "helm3_dry_run_upgrades_are_judged_against_the_release");
}

/// A chart whose version the table does not know: a copy of 1.14.2 renamed 1.99.0, rendered by
/// `helm template`, with the seed's mismatched pair.
fn unknown_chart(major: u32, test: &str) {
    let Some(cluster) = HelmCluster::start(test, major, &["1.14.2"]) else {
        return;
    };
    let archive = chart("1.14.2").expect("checked");
    let unpacked = cluster.path().join("chart");
    std::fs::create_dir_all(&unpacked).expect("dir");
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked)
        .status();
    if !status.is_ok_and(|s| s.success()) {
        common::skip(&format!("{test}: `tar` could not unpack the chart"));
        return;
    }
    let chart_yaml = unpacked.join("harbor/Chart.yaml");
    let chart_text = std::fs::read_to_string(&chart_yaml).expect("Chart.yaml");
    let chart_text = chart_text.replace("version: 1.14.2", "version: 1.99.0");
    std::fs::write(&chart_yaml, chart_text).expect("write Chart.yaml");
    let values = helm_values(&cluster, "values.yaml", "other-rsa2048.crt", &json!({}));
    let dir = unpacked.join("harbor").to_string_lossy().into_owned();
    let out = cluster
        .helm(&[
            "install",
            "harbor",
            &dir,
            "--values",
            &values,
            "--dry-run=client",
            "-o",
            "json",
        ])
        .ok("helm install --dry-run -o json");
    let file = cluster.write("release.json", &out.stdout);
    let r = common::run(&[
        "preflight",
        "check",
        "--rendered",
        &file,
        "-o",
        "json",
        "--now",
        NOW,
    ]);
    r.assert_judged();
    assert_no_secret(&r);
    assert!(r.stderr.contains("`1.99.0`"), "{}", r.stderr);
    let manifest: Value = serde_json::from_str(&out.stdout).expect("release JSON");
    let manifest = manifest["manifest"].as_str().expect("manifest").to_string();
    assert_at(
        &r,
        "token-pair-mismatch",
        &format!("{file}#manifest"),
        line_of(&manifest, "  tls.crt:"),
    );
}

#[test]
fn helm4_a_chart_version_the_table_does_not_know_is_judged_from_its_rendering() {
    unknown_chart(
        4,
        "helm4_a_chart_version_the_table_does_not_know_is_judged_from_its_rendering",
    );
}

#[test]
fn helm3_a_chart_version_the_table_does_not_know_is_judged_from_its_rendering() {
    unknown_chart(
        3,
        "helm3_a_chart_version_the_table_does_not_know_is_judged_from_its_rendering",
    );
}

#[test]
fn control_characters_in_a_rendered_stream_are_escaped_in_every_format() {
    let s = Scratch::new();
    let stream = replace_once(
        &upgrade_stream(),
        "secretName: harbor-registry-htpasswd",
        "secretName: \"evil\\e[31mred\\u0007\"",
    )
    .replace(
        "image: goharbor/harbor-core:v2.10.2",
        "image: \"goharbor/harbor-core:v2.10\\e[2J\"",
    );
    let file = s.write("ctrl.yaml", stream);
    for format in ["text", "json", "sarif", "junit", "github", "markdown"] {
        let r = run(&[
            "preflight",
            "check",
            "--rendered",
            &file,
            "--secrets-complete",
            "-o",
            format,
            "--now",
            NOW,
        ]);
        r.assert_judged();
        assert!(
            r.stdout.contains("evil"),
            "{format}: the reference is reported"
        );
        assert!(
            r.stderr.contains("`2.10"),
            "{format}: the version is named: {}",
            r.stderr
        );
        for (name, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{format}: raw control character in {name}:\n{text}"
            );
        }
    }
}

#[test]
fn a_changed_statefulset_selector_in_the_rendering_is_persistence_immutable_change() {
    let s = Scratch::new();
    let stream = replace_once(
        &upgrade_stream(),
        "  selector:\n    matchLabels:\n      release: harbor\n      app: \"harbor\"\n      component: database\n",
        "  selector:\n    matchLabels:\n      release: harbor\n      app: \"harbor\"\n      component: postgres\n",
    );
    let (r, file) = check_stream(&s, &stream, &[]);
    let f = assert_at(
        &r,
        "persistence-immutable-change",
        &file,
        line_of(&stream, "      component: postgres") - 4,
    );
    assert!(
        f["message"].as_str().unwrap().contains("`spec.selector`"),
        "{f}"
    );
}
