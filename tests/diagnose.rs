//! `diagnose --logs`: every signature in each Harbor version's wording, from fixtures built from
//! the messages Harbor, distribution, oauth2 and the database really log (`testdata/logs/`).

mod common;

use common::{run, run_stdin, testdata, Run, Scratch};
use serde_json::Value;

fn diagnose(fixture: &str, extra: &[&str]) -> Run {
    let path = testdata(&format!("logs/{fixture}"));
    let path = path.to_string_lossy().into_owned();
    let mut args = vec!["diagnose", "--logs", path.as_str(), "-o", "json"];
    args.extend_from_slice(extra);
    let r = run(&args);
    r.assert_judged();
    r
}

fn one(r: &Run, rule: &str) -> Value {
    let found = r.findings(rule);
    assert_eq!(found.len(), 1, "{rule}: {}", r.stdout);
    found[0].clone()
}

fn notes(f: &Value) -> String {
    f["notes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[test]
fn every_fixture_maps_to_its_rules() {
    let cases: &[(&str, &[&str])] = &[
        ("clock-skew-2.5-jwt-v4.1.log", &["log-token-not-yet-valid"]),
        (
            "clock-skew-2.7-no-leeway.log",
            &["log-token-not-yet-valid", "log-token-expired"],
        ),
        (
            "clock-skew-2.11-jwt-v5.log",
            &["log-token-not-yet-valid", "log-token-expired"],
        ),
        ("token-expired-long-push.log", &["log-token-expired"]),
        ("robot-token-expired.log", &["log-token-expired"]),
        (
            "signature-invalid-2.11-jwt-v5.log",
            &["log-token-signature-invalid"],
        ),
        ("token-key-pkcs8.log", &["log-token-key-unreadable"]),
        ("token-key-missing.log", &["log-token-key-unreadable"]),
        ("token-create-failed.log", &["log-token-key-unreadable"]),
        (
            "token-claims-another-harbor.log",
            &["log-token-claims-invalid"],
        ),
        (
            "secret-key-trailing-newline.log",
            &["log-secret-key-length"],
        ),
        (
            "secret-key-changed.log",
            &["log-secret-key-decrypt", "log-oidc-cli-secret-mismatch"],
        ),
        (
            "oidc-offline-session-2.8-old-oauth2.log",
            &["log-oidc-session-lost"],
        ),
        ("csrf-key-invalid-2.10-two-replicas.log", &["log-csrf-key"]),
        ("csrf-key-length-2.13.log", &["log-csrf-key"]),
        (
            "jobservice-core-secret-mismatch.log",
            &["log-internal-secret-mismatch"],
        ),
        (
            "registry-htpasswd-mismatch.log",
            &["log-registry-credentials"],
        ),
        (
            "registry-http-secret-random.log",
            &["log-registry-http-secret"],
        ),
        ("database-password-changed.log", &["log-database-password"]),
        (
            "incident-2.8.4-to-2.10.2-key-mismatch.log",
            &["log-oidc-session-lost", "log-token-signature-invalid"],
        ),
        ("healthy-core.log", &[]),
    ];
    for (fixture, rules) in cases {
        let r = diagnose(fixture, &[]);
        let mut got = r.rules();
        got.dedup();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want: Vec<String> = rules.iter().map(ToString::to_string).collect();
        want.sort();
        assert_eq!(got_sorted, want, "{fixture}: {}", r.stdout);
        for f in r.json()["findings"].as_array().expect("findings") {
            assert_eq!(f["source"], "logs", "{fixture}");
            let file = f["location"]["file"].as_str().unwrap_or_default();
            assert!(file.ends_with(fixture), "{fixture}: {f}");
        }
    }
}

/// The Harbor 2.8.4 → 2.10.2 upgrade report (harbor-helm#1780): the key mismatch is the cause of
/// the 401s; `Offline user session not found` is an identity-provider session loss.
#[test]
fn incident_2_8_4_to_2_10_2_names_the_key_and_sets_the_oidc_sessions_apart() {
    let r = diagnose("incident-2.8.4-to-2.10.2-key-mismatch.log", &[]);
    assert_eq!(r.status, 1);
    let key = one(&r, "log-token-signature-invalid");
    assert_eq!(key["severity"], "error");
    let message = key["message"].as_str().unwrap_or_default();
    assert!(message.contains("another private key"), "{message}");
    let n = notes(&key);
    assert!(n.contains("6 matching lines"), "{n}");
    assert!(
        n.contains("first at 2024-06-12T09:15:00Z, last at 2024-06-12T09:20:41Z"),
        "{n}"
    );
    assert!(
        n.contains("harbor-core-6b8d9c7f5-k2xqz (core), harbor-core-6b8d9c7f5-r7m4p (core)"),
        "{n}"
    );
    assert!(n.contains("regenerated on upgrade"), "{n}");
    assert!(n.contains("token-key-rotates"), "{n}");
    assert!(n.contains("Harbor 2.5–2.10"), "{n}");
    assert_eq!(key["location"]["line"], 5);

    let oidc = one(&r, "log-oidc-session-lost");
    assert_eq!(oidc["severity"], "warning");
    let message = oidc["message"].as_str().unwrap_or_default();
    assert!(message.contains("not a Harbor key problem"), "{message}");
    let n = notes(&oidc);
    assert!(n.contains("separate problem"), "{n}");
    assert!(n.contains("oauth2 v0.8.0 and later"), "{n}");
    assert_eq!(oidc["location"]["line"], 2);
}

#[test]
fn each_jwt_version_wording_is_named() {
    let r = diagnose("clock-skew-2.7-no-leeway.log", &[]);
    let skew = one(&r, "log-token-not-yet-valid");
    let n = notes(&skew);
    assert!(n.contains("golang-jwt v4"), "{n}");
    assert!(n.contains("`token used before issued` (2×)"), "{n}");
    assert!(n.contains("no leeway"), "{n}");
    assert!(n.contains("harbor-upgrade clock check"), "{n}");
    // Expired by 2 s next to `not valid yet`: the clock, an error.
    let expired = one(&r, "log-token-expired");
    assert_eq!(expired["severity"], "error");
    assert!(expired["message"]
        .as_str()
        .unwrap_or_default()
        .contains("only seconds (2s)"));

    let r = diagnose("clock-skew-2.11-jwt-v5.log", &[]);
    let skew = one(&r, "log-token-not-yet-valid");
    assert!(notes(&skew).contains("golang-jwt v5"));
    assert!(notes(&skew).contains("more than 60 s apart"));
    let expired = one(&r, "log-token-expired");
    let message = expired["message"].as_str().unwrap_or_default();
    assert!(message.contains("does not log by how much"), "{message}");

    let r = diagnose("signature-invalid-2.11-jwt-v5.log", &[]);
    let sig = one(&r, "log-token-signature-invalid");
    assert!(notes(&sig).contains("Harbor 2.11 and later (golang-jwt v5)"));
}

#[test]
fn expiry_is_classified_by_its_duration() {
    let r = diagnose("token-expired-long-push.log", &[]);
    let f = one(&r, "log-token-expired");
    assert_eq!(f["severity"], "warning");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("by minutes (25m6s)") && message.contains("long push"),
        "{message}"
    );
    let r = diagnose("robot-token-expired.log", &[]);
    let f = one(&r, "log-token-expired");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("309h12m44s") && message.contains("robot account"),
        "{message}"
    );
}

#[test]
fn key_and_secret_key_signatures_say_what_is_wrong() {
    let r = diagnose("token-key-pkcs8.log", &[]);
    let f = one(&r, "log-token-key-unreadable");
    assert!(f["message"].as_str().unwrap_or_default().contains("PKCS#8"));
    assert!(notes(&f).contains("token-key-not-pkcs1"));

    let r = diagnose("token-key-missing.log", &[]);
    let f = one(&r, "log-token-key-unreadable");
    assert!(f["message"]
        .as_str()
        .unwrap_or_default()
        .contains("missing, empty or not PEM"));

    let r = diagnose("secret-key-trailing-newline.log", &[]);
    let f = one(&r, "log-secret-key-length");
    assert!(f["message"]
        .as_str()
        .unwrap_or_default()
        .contains("is 17 bytes"));
    assert!(notes(&f).contains("trailing newline"));

    let r = diagnose("secret-key-changed.log", &[]);
    let f = one(&r, "log-secret-key-decrypt");
    assert!(notes(&f).contains("secret-key-changed"));
    assert!(
        notes(&f).contains("`failed to decrypt token` (1×)"),
        "{}",
        notes(&f)
    );
    let f = one(&r, "log-oidc-cli-secret-mismatch");
    assert!(notes(&f).contains("`secretKey` is the likely cause"));
}

#[test]
fn old_oauth2_two_line_message_is_recognised() {
    let r = diagnose("oidc-offline-session-2.8-old-oauth2.log", &[]);
    let f = one(&r, "log-oidc-session-lost");
    // The `Response:` line has no timestamp of its own: it takes the line before's.
    assert!(
        notes(&f).contains("at 2024-05-28T16:44:02Z"),
        "{}",
        notes(&f)
    );
    assert!(notes(&f).contains("oauth2 before v0.8.0"));
    assert_eq!(f["location"]["line"], 2);
}

#[test]
fn csrf_internal_registry_and_database_signatures() {
    let r = diagnose("csrf-key-invalid-2.10-two-replicas.log", &[]);
    let f = one(&r, "log-csrf-key");
    // Two core pods made their own random keys: an error.
    assert_eq!(f["severity"], "error");
    assert!(notes(&f).contains("xsrf-key-length"));
    let r = diagnose("csrf-key-length-2.13.log", &[]);
    assert_eq!(one(&r, "log-csrf-key")["severity"], "error");

    let r = diagnose("jobservice-core-secret-mismatch.log", &[]);
    let f = one(&r, "log-internal-secret-mismatch");
    assert!(f["message"]
        .as_str()
        .unwrap_or_default()
        .contains("crash-loops"));
    let n = notes(&f);
    assert!(
        n.contains("harbor-registry-5c4b3a2f1-xxxxx (registryctl)"),
        "{n}"
    );
    assert!(n.contains("4 matching lines"), "{n}");

    let r = diagnose("registry-htpasswd-mismatch.log", &[]);
    let f = one(&r, "log-registry-credentials");
    // Core's side of the 401 is logged at 05:00:00Z, before the registry's lines.
    assert!(
        notes(&f).contains("first at 2024-04-04T05:00:00Z"),
        "{}",
        notes(&f)
    );
    assert!(notes(&f).contains("htpasswd-invalid"));

    let r = diagnose("registry-http-secret-random.log", &[]);
    let f = one(&r, "log-registry-http-secret");
    assert_eq!(f["severity"], "error");

    let r = diagnose("database-password-changed.log", &[]);
    let f = one(&r, "log-database-password");
    let n = notes(&f);
    assert!(n.contains("harbor-database-0 (database)"), "{n}");
    assert!(n.contains("database-password-changed"), "{n}");
}

/// Secrets in log lines never reach any output: a JWT, `Authorization` headers, a password in a
/// connection string and the CSRF key that Harbor ≤ 2.12 prints.
#[test]
fn no_secret_in_any_output() {
    let secrets = [
        "Xs9fKe7Lm2Qp4Rt6Vw8Yz0Ab1Cd3Ef5Gh7Jk9Mn",
        "eyJhbGciOiJSUzI1NiIsImtpZCI6IlhZWjEyMyJ9",
        "U2lnbmF0dXJlQnl0ZXNPZlRoZUZvcmdlZFRva2Vu",
        "eyJhbGciOiJSUzI1NiJ9",
        "QmVhcmVyU2lnbmF0dXJlMTIzNDU2",
        "J0bS3cr3tV4lu3yy",
        "Db-P4ssw0rd-Leak",
    ];
    let path = testdata("logs/secrets-in-logs.log");
    let path = path.to_string_lossy().into_owned();
    for format in ["text", "json", "sarif"] {
        let r = run(&["diagnose", "--logs", &path, "-o", format]);
        assert_eq!(r.status, 1, "{format}: {}\n{}", r.stdout, r.stderr);
        for s in secrets {
            assert!(!r.stdout.contains(s), "{format} shows {s}:\n{}", r.stdout);
            assert!(!r.stderr.contains(s), "{format} stderr shows {s}");
        }
        assert!(r.stdout.contains("<redacted>"), "{format}: {}", r.stdout);
    }
    let r = run(&["diagnose", "--logs", &path]);
    for rule in [
        "log-csrf-key",
        "log-token-signature-invalid",
        "log-internal-secret-mismatch",
        "log-database-password",
    ] {
        assert!(r.stdout.contains(rule), "{rule}: {}", r.stdout);
    }
}

#[test]
fn standard_input_and_several_files() {
    let text = std::fs::read_to_string(testdata("logs/token-key-pkcs8.log")).expect("fixture");
    let r = run_stdin(&["diagnose", "--logs", "-", "-o", "json"], &text);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let f = one(&r, "log-token-key-unreadable");
    assert_eq!(f["location"]["file"], "<stdin>");

    let a = testdata("logs/token-key-pkcs8.log");
    let b = testdata("logs/registry-htpasswd-mismatch.log");
    let r = run(&[
        "diagnose",
        "--logs",
        &a.to_string_lossy(),
        "--logs",
        &b.to_string_lossy(),
        "-o",
        "json",
    ]);
    assert_eq!(r.rules().len(), 2, "{}", r.stdout);
}

#[test]
fn tail_and_since_bound_files() {
    // The last line per pod only: pod r7m4p's last line is a hit, k2xqz's is not the oidc one.
    let r = diagnose(
        "incident-2.8.4-to-2.10.2-key-mismatch.log",
        &["--tail", "1"],
    );
    assert_eq!(
        r.rules(),
        vec!["log-token-signature-invalid"],
        "{}",
        r.stdout
    );
    assert!(notes(&one(&r, "log-token-signature-invalid")).contains("2 matching lines"));
    // An hour before 09:30 leaves the 09:15 and 09:20 lines, not the 08:01 ones.
    let r = diagnose(
        "incident-2.8.4-to-2.10.2-key-mismatch.log",
        &["--since", "1h", "--now", "2024-06-12T09:30:00Z"],
    );
    assert_eq!(
        r.rules(),
        vec!["log-token-signature-invalid"],
        "{}",
        r.stdout
    );
    let r = run(&["diagnose", "--logs", "x.log", "--since", "yesterday"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("invalid --since"), "{}", r.stderr);
}

#[test]
fn exit_status_follows_fail_on() {
    let r = diagnose("token-expired-long-push.log", &[]);
    assert_eq!(r.status, 0, "a warning does not fail by default");
    let r = diagnose("token-expired-long-push.log", &["--fail-on", "warning"]);
    assert_eq!(r.status, 1);
    let r = diagnose(
        "incident-2.8.4-to-2.10.2-key-mismatch.log",
        &["--fail-on", "never"],
    );
    assert_eq!(r.status, 0);
    let r = diagnose("healthy-core.log", &[]);
    assert_eq!(r.status, 0);
    assert_eq!(r.json()["summary"]["error"], 0);
    let r = run(&["diagnose", "--logs", "/nonexistent/harbor.log"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("cannot read log file"), "{}", r.stderr);
}

#[test]
fn text_output_points_at_the_first_occurrence() {
    let path = testdata("logs/signature-invalid-2.11-jwt-v5.log");
    let r = run(&["diagnose", "--logs", &path.to_string_lossy()]);
    assert_eq!(r.status, 1);
    assert!(
        r.stdout.contains("signature-invalid-2.11-jwt-v5.log:1:"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("^^^"), "{}", r.stdout);
    assert!(r.stdout.contains("help: pin one token key"), "{}", r.stdout);
}

/// The table's texts are the ones the research collected from Harbor's sources and from real
/// reports, or are quoted with their reports in `docs/diagnose.md` (skipped when the research
/// is not at hand).
#[test]
fn signature_texts_come_from_the_research() {
    let dir = common::root().join("../shared/research");
    let (Ok(facts), Ok(reports)) = (
        std::fs::read_to_string(dir.join("harbor-facts.md")),
        std::fs::read_to_string(dir.join("user-reports.md")),
    ) else {
        common::skip(&format!(
            "signature_texts_come_from_the_research: {} is absent",
            dir.display()
        ));
        return;
    };
    let documented =
        std::fs::read_to_string(common::root().join("docs/diagnose.md")).expect("docs/diagnose.md");
    let cited = documented
        .split("## Signatures from user reports")
        .nth(1)
        .unwrap_or_default();
    let corpus = format!("{facts}\n{reports}\n{cited}");
    for sig in harbor_upgrade::diagnose::SIGNATURES {
        let needle = sig.needles[0];
        assert!(
            corpus.contains(needle.trim_end()),
            "`{needle}` ({}) is not in the research notes",
            sig.rule
        );
    }
}

/// harbor-facts §5.3: a token that verifies but names another audience or issuer, in each
/// golang-jwt version's wording; §8.7: the token service's own 500 line.
#[test]
fn token_claims_and_token_creation_failures() {
    let r = diagnose("token-claims-another-harbor.log", &[]);
    let f = one(&r, "log-token-claims-invalid");
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("4 lines"),
        "{f}"
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("another audience or from another issuer"),
        "{f}"
    );
    let created = diagnose("token-create-failed.log", &[]);
    let f = one(&created, "log-token-key-unreadable");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Unexpected error when creating the token"),
        "{f}"
    );
    // The core side of a registry 401 counts towards the registry credentials.
    let registry = diagnose("registry-htpasswd-mismatch.log", &[]);
    let f = one(&registry, "log-registry-credentials");
    assert!(
        notes(&f).contains("harbor-core"),
        "core's registry client is among the pods: {f}"
    );
}

#[test]
// A finding of one matching line read "1 line show …".
fn one_matching_line_agrees_with_its_verb() {
    let r = diagnose("token-key-pkcs8.log", &[]);
    let f = one(&r, "log-token-key-unreadable");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("1 line shows core"), "{message}");
    let r = diagnose("clock-skew-2.7-no-leeway.log", &[]);
    let rejects = r.json()["findings"].to_string();
    assert!(rejects.contains("1 line rejects tokens"), "{rejects}");
    assert!(!rejects.contains("1 line reject "), "{rejects}");
}

#[test]
// `--since` that leaves out every line of a file said only "looked at 0 line(s)", as if the logs
// were clean.
fn since_that_drops_every_line_says_so() {
    let r = diagnose(
        "incident-2.8.4-to-2.10.2-key-mismatch.log",
        &["--since", "10m", "--now", "2030-01-01T00:00:00Z"],
    );
    assert!(r.rules().is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains("`--since 10m` left out every line"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("the newest is from 2024-06-12T"),
        "{}",
        r.stderr
    );
    // Lines within the window: no such note.
    let r = diagnose(
        "incident-2.8.4-to-2.10.2-key-mismatch.log",
        &["--since", "1h", "--now", "2024-06-12T09:30:00Z"],
    );
    assert!(!r.stderr.contains("left out every line"), "{}", r.stderr);
}

/// A secret-looking value that no output may show.
fn secret(i: usize, j: usize) -> String {
    format!("Zq{i:05}Xy{j:03}SecretValueAbcDef")
}

#[test]
// Masking every secret of a matching line counted lines from the start of the file for each
// secret: a log whose matching lines hold many secrets took quadratic time.
fn matching_lines_holding_many_secrets_are_all_masked() {
    let s = common::Scratch::new();
    let mut log = String::new();
    for i in 0..2000 {
        log.push_str("2024-06-03T08:00:00Z [INFO] [/core/main.go:1]: GET /api/v2.0/ping 200\n");
        log.push_str("2024-06-03T08:00:01Z [ERROR] [/pkg/token/token.go:82]: parse token error, crypto/rsa: verification error");
        for j in 0..20 {
            log.push_str(" password=");
            log.push_str(&secret(i, j));
        }
        log.push('\n');
    }
    let path = s.write("many-secrets.log", &log);
    for format in ["json", "text", "sarif"] {
        let r = run(&["diagnose", "--logs", &path, "-o", format]);
        assert_eq!(r.status, 1, "{}", r.stderr);
        for (i, j) in [(0, 0), (0, 19), (1999, 0), (1999, 19), (1000, 7)] {
            let value = secret(i, j);
            assert!(!r.stdout.contains(&value), "{format}: {value} shown");
            assert!(!r.stderr.contains(&value), "{format}: {value} shown");
        }
        if format == "json" {
            let f = one(&r, "log-token-signature-invalid");
            assert!(notes(&f).contains("2000 matching lines"), "{}", notes(&f));
            assert_eq!(f["location"]["line"], 2);
            assert!(r.stderr.contains("looked at 4000 line(s)"), "{}", r.stderr);
        }
    }
}

#[test]
// Logs were read whole, so a line of any length was held (and scanned) whole; now a line is
// cut at 64 KiB, still matched on what is kept, and the lines after it keep their numbers.
fn a_200_kib_line_is_truncated_and_still_matched() {
    let s = common::Scratch::new();
    let mut log = String::from("2024-06-03T08:00:00Z [ERROR] [/pkg/token/token.go:82]: parse token error, crypto/rsa: verification error ");
    log.push_str(&"x".repeat(200 * 1024));
    // Past the cap: neither matched nor shown.
    log.push_str(" token is not valid yet password=PastTheCapSecretValue1\n");
    log.push_str("2024-06-03T08:00:01Z [INFO] [/core/main.go:1]: ok\n");
    log.push_str("2024-06-03T08:00:02Z [ERROR] [/pkg/token/token.go:82]: parse token error, crypto/rsa: verification error\n");
    let path = s.write("long-line.log", &log);
    let r = run(&["diagnose", "--logs", &path, "-o", "json"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_eq!(
        r.rules(),
        vec!["log-token-signature-invalid"],
        "{}",
        r.stdout
    );
    let f = one(&r, "log-token-signature-invalid");
    assert_eq!(f["location"]["line"], 1);
    assert!(notes(&f).contains("2 matching lines"), "{}", notes(&f));
    assert!(
        notes(&f).contains(&format!("{path}:3: ")),
        "the last line keeps its number: {}",
        notes(&f)
    );
    assert!(
        r.stderr
            .contains("1 line(s) longer than 64 KiB were cut to their first 64 KiB"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("PastTheCapSecretValue1"));
    // The text report shows the cut line, not the 200 KiB one.
    let r = run(&["diagnose", "--logs", &path]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stdout.len() < 2 * 64 * 1024 + 8 * 1024,
        "{}",
        r.stdout.len()
    );
    assert!(r.stdout.contains(&format!("{path}:1:")), "{}", r.stdout);
}

#[test]
// Standard input was read to its end before any line was looked at; it is now read line by
// line as it comes, from a writer that keeps the pipe open between its writes.
fn standard_input_from_a_pipe_that_stays_open_is_read_as_it_comes() {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_harbor-upgrade"))
        .args(["diagnose", "--logs", "-", "-o", "json"])
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"2024-06-03T08:00:00Z [ERROR] [/pkg/token/token.go:82]: parse token error, crypto/rsa: verification error\n")
        .expect("write");
    stdin.flush().expect("flush");
    // The pipe stays open while the writer is busy elsewhere; half a line is in it meanwhile.
    std::thread::sleep(std::time::Duration::from_millis(200));
    stdin
        .write_all(
            b"2024-06-03T08:00:01Z [ERROR] [/pkg/token/token.go:66]: parse token error, token is ",
        )
        .expect("write");
    std::thread::sleep(std::time::Duration::from_millis(200));
    stdin.write_all(b"not valid yet\n").expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let r = common::Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(r.status, 1, "{}", r.stderr);
    let f = one(&r, "log-token-not-yet-valid");
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["location"]["line"], 2);
    assert_eq!(
        one(&r, "log-token-signature-invalid")["location"]["line"],
        1
    );
    assert!(r.stderr.contains("looked at 2 line(s)"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
// A FIFO given to `--logs` blocked the run forever waiting for a writer.
fn a_fifo_given_as_log_file_is_refused() {
    let s = common::Scratch::new();
    let fifo = s.path().join("core.log");
    match std::process::Command::new("mkfifo").arg(&fifo).status() {
        Ok(st) if st.success() => {}
        _ => {
            common::skip("a_fifo_given_as_log_file_is_refused: `mkfifo` is not available");
            return;
        }
    }
    let name = fifo.to_string_lossy().into_owned();
    let r = run(&["diagnose", "--logs", &name]);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("is a FIFO (named pipe), not a log file: give a regular file, or `-` for standard input"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("error:").count(), 1, "{}", r.stderr);
}

#[test]
fn a_dirty_schema_migration_is_reported_with_the_recovery() {
    let s = Scratch::new();
    // core's lines of harbor#14191, as `kubectl logs` prints them.
    let log = s.write(
        "core.log",
        "2021-02-05T10:00:00Z [INFO] [/common/dao/pgsql.go:127]: Upgrading schema for pgsql ...\n\
         2021-02-05T10:00:01Z [ERROR] [/common/dao/pgsql.go:132]: Failed to upgrade schema, error: \"Dirty database version 50. Fix and force version.\"\n\
         2021-02-05T10:00:01Z [FATAL] [/core/main.go:188]: failed to migrate: Dirty database version 50. Fix and force version.\n",
    );
    let r = run(&["diagnose", "--logs", &log, "-o", "json"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let found = r.findings("log-migration-dirty");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert!(found[0]["help"]
        .as_str()
        .unwrap()
        .contains("schema_migrations"));
    // An ordinary migration line is not a failure.
    let fine = s.write(
        "fine.log",
        "2021-02-05T10:00:00Z [INFO] [/common/dao/pgsql.go:127]: Upgrading schema for pgsql ...\n",
    );
    let r = run(&["diagnose", "--logs", &fine, "-o", "json"]);
    assert!(r.findings("log-migration-dirty").is_empty());
}

#[test]
fn the_internal_database_failing_its_postgresql_upgrade_is_reported() {
    let s = Scratch::new();
    for line in [
        "initdb: error: program \"postgres\" is needed by initdb but was not found in the same directory as \"/usr/bin/initdb\"",
        "initdb: error: directory \"/var/lib/postgresql/data/pgdata\" exists but is not empty",
        "popen failure: Cannot allocate memory",
        "2024-06-01 10:00:00.000 UTC [1] FATAL:  data directory \"/var/lib/postgresql/data/pgdata\" has group or world access",
        "2024-06-01 10:00:00.000 UTC [1] FATAL:  database files are incompatible with server",
    ] {
        let log = s.write("db.log", format!("{line}\n"));
        let r = run(&["diagnose", "--logs", &log, "-o", "json"]);
        assert_eq!(r.status, 1, "{line}: {}", r.stderr);
        assert_eq!(r.findings("log-database-upgrade-failed").len(), 1, "{line}: {}", r.stdout);
    }
    let log = s.write(
        "db.log",
        "2024-06-01 10:00:00.000 UTC [1] LOG:  database system is ready to accept connections\n",
    );
    let r = run(&["diagnose", "--logs", &log, "-o", "json"]);
    assert!(r.findings("log-database-upgrade-failed").is_empty());
}

/// The adapter's fatal startup line of harbor#12933 / harbor-helm#881: the trivy volume is not
/// writable by uid 10000; the `cache dir does not exist` warning before it is no failure.
#[test]
fn trivy_cache_permission_denied_is_reported_and_a_healthy_adapter_is_not() {
    let r = diagnose("trivy-cache-permission.log", &[]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_eq!(r.rules(), ["log-trivy-cache-permission"], "{}", r.stdout);
    let f = one(&r, "log-trivy-cache-permission");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["location"]["line"], 6);
    let n = notes(&f);
    assert!(n.contains("harbor-trivy-0 (trivy)"), "{n}");
    assert!(n.contains("uid 10000"), "{n}");
    assert!(
        f["help"]
            .as_str()
            .unwrap_or_default()
            .contains("trivy.initContainers"),
        "{f}"
    );

    let healthy = diagnose("trivy-healthy.log", &[]);
    assert_eq!(healthy.status, 0, "{}", healthy.stdout);
    assert!(healthy.rules().is_empty(), "{}", healthy.stdout);
}

/// ghcr.io's `TOOMANYREQUESTS` (trivy-db#442, harbor#18454) and a Java DB download that times
/// out (harbor#19759): one warning, with the rate limit and the network named as causes.
#[test]
fn trivy_database_downloads_that_fail_name_the_rate_limit_and_the_network() {
    let r = diagnose("trivy-db-download-failed.log", &[]);
    assert_eq!(r.status, 0, "a warning only: {}", r.stdout);
    let f = one(&r, "log-trivy-db-download");
    assert_eq!(f["severity"], "warning");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("3 lines show"), "{message}");
    assert!(
        message.contains("vulnerability database and its Java DB"),
        "{message}"
    );
    let n = notes(&f);
    assert!(n.contains("rate-limited"), "{n}");
    assert!(n.contains("`trivy.dbRepository`"), "{n}");
    assert!(n.contains("cannot reach the database registry"), "{n}");
    assert!(n.contains("`trivy.skipJavaDBUpdate: true`"), "{n}");
    let fail = diagnose("trivy-db-download-failed.log", &["--fail-on", "warning"]);
    assert_eq!(fail.status, 1);
    assert!(diagnose("trivy-healthy.log", &["--fail-on", "warning"])
        .rules()
        .is_empty());
}

/// harbor#11985: `trivy.skipUpdate: true` on an empty cache fails every scan.
#[test]
fn trivy_skip_update_without_a_database_is_reported() {
    let r = diagnose("trivy-skip-update-no-db.log", &[]);
    assert_eq!(r.status, 1, "{}", r.stdout);
    assert_eq!(r.rules(), ["log-trivy-skip-update-no-db"], "{}", r.stdout);
    let f = one(&r, "log-trivy-skip-update-no-db");
    assert!(notes(&f).contains("2 matching lines"), "{}", notes(&f));
    assert!(
        notes(&f).contains("`trivy.skipUpdate: true`"),
        "{}",
        notes(&f)
    );
    assert!(
        f["help"]
            .as_str()
            .unwrap_or_default()
            .contains("trivy-db:2"),
        "{f}"
    );
    let s = Scratch::new();
    let old = s.write(
        "trivy.log",
        "2022-03-24T15:14:11Z\tERROR\tThe local DB has an old schema version which is not supported by the current version of Trivy CLI. It needs to be updated.\n",
    );
    let r = run(&["diagnose", "--logs", &old, "-o", "json"]);
    let f = one(&r, "log-trivy-skip-update-no-db");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("older schema"),
        "{f}"
    );
}

/// `kubectl describe pod` of a registry pod that waits on its `ReadWriteOnce` volume during a
/// rolling update (harbor-helm#224, #2288), piped into `--logs -`.
#[test]
fn describe_pod_text_with_a_multi_attach_error_is_matched_from_standard_input() {
    let text = std::fs::read_to_string(testdata("logs/describe-pod-multi-attach.txt")).unwrap();
    let r = run_stdin(&["diagnose", "--logs", "-", "-o", "json"], &text);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let mut rules = r.rules();
    rules.sort();
    assert_eq!(
        rules,
        ["event-mount-failed", "event-volume-multi-attach"],
        "{}",
        r.stdout
    );
    let f = one(&r, "event-volume-multi-attach");
    assert_eq!(f["source"], "logs");
    assert_eq!(f["location"]["line"], 27);
    let n = notes(&f);
    assert!(n.contains("`harbor-registry-5b4c8f9d8-abcde`"), "{n}");
    assert!(n.contains("rwo-rolling-update"), "{n}");
    assert!(
        f["help"]
            .as_str()
            .unwrap_or_default()
            .contains("updateStrategy.type: Recreate"),
        "{f}"
    );
    let mount = one(&r, "event-mount-failed");
    assert!(
        notes(&mount).contains("follows from it"),
        "{}",
        notes(&mount)
    );

    let healthy = diagnose("describe-pod-healthy.txt", &[]);
    assert_eq!(healthy.status, 0);
    assert!(healthy.rules().is_empty(), "{}", healthy.stdout);
}

/// `kubectl get events` text: the database's volume is in another zone, redis's claim is not
/// bound; a `Normal` event of the same words is no failure.
#[test]
fn get_events_text_with_scheduling_failures_names_both_causes() {
    let r = diagnose("get-events-scheduling.txt", &[]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_eq!(r.rules(), ["event-scheduling-failed"], "{}", r.stdout);
    let f = one(&r, "event-scheduling-failed");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("2 lines show"),
        "{f}"
    );
    let n = notes(&f);
    assert!(n.contains("`volume node affinity conflict`"), "{n}");
    assert!(
        n.contains("`unbound immediate PersistentVolumeClaims`"),
        "{n}"
    );
    assert!(!n.contains("no node has room"), "{n}");
    // A missing Secret in a mount is named.
    let s = Scratch::new();
    let log = s.write(
        "events.txt",
        "2m   Warning   FailedMount   pod/harbor-core-6b8d9c7f5-k2xqz   MountVolume.SetUp failed for volume \"token-service-private-key\" : secret \"harbor-token-pair\" not found\n",
    );
    let r = run(&["diagnose", "--logs", &log, "-o", "json"]);
    let f = one(&r, "event-mount-failed");
    assert!(
        notes(&f).contains("`secret \"harbor-token-pair\"`"),
        "{}",
        notes(&f)
    );
    assert!(
        notes(&f).contains("existing-secret-missing"),
        "{}",
        notes(&f)
    );
}
