//! Choosing rules: `--select`, `--ignore`, the configuration file `.harbor-upgrade.yaml`
//! (`select`, `ignore`, `severity`, `fail-on`), inline `# harbor-upgrade: ignore[rule]`
//! comments, `--show-suppressed`, and unknown rule IDs refused everywhere.

mod common;

use common::{bin, run, Run, Scratch};
use serde_json::Value;

/// Values with a 17-byte `secretKey` (an error) on line 1 and the default admin password (a
/// warning) on line 2.
const VALUES: &str = "secretKey: \"0123456789abcdefX\"\nharborAdminPassword: Harbor12345\n";

fn check(file: &str, extra: &[&str]) -> Run {
    let mut args = vec!["preflight", "check", file, "--to", "2.10.2", "-o", "json"];
    args.extend_from_slice(extra);
    run(&args)
}

fn rules_of(r: &Run) -> Vec<String> {
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Runs in `dir` (where a configuration file may be found).
fn check_in(dir: &std::path::Path, file: &str, extra: &[&str]) -> Run {
    let mut cmd = bin();
    cmd.current_dir(dir)
        .args(["preflight", "check", file, "--to", "2.10.2", "-o", "json"])
        .args(extra);
    let out = cmd.output().unwrap();
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn ignore_suppresses_and_counts_and_select_narrows() {
    let s = Scratch::new();
    let file = s.write("values.yaml", VALUES);
    let all = check(&file, &[]);
    assert_eq!(all.status, 1);
    assert!(rules_of(&all).contains(&"secret-key-length".to_string()));

    let r = check(&file, &["--ignore", "secret-key-length"]);
    assert_eq!(
        r.status, 0,
        "an ignored error does not fail the run: {}",
        r.stdout
    );
    assert!(!rules_of(&r).contains(&"secret-key-length".to_string()));
    assert_eq!(r.json()["summary"]["suppressed"], 1);
    assert!(
        r.json().get("suppressed").is_none(),
        "listed only with --show-suppressed"
    );

    let r = check(
        &file,
        &[
            "--ignore",
            "secret-key-length,default-password",
            "--show-suppressed",
        ],
    );
    let listed = r.json()["suppressed"].as_array().unwrap().clone();
    assert!(
        listed.iter().all(|f| f["suppressedBy"] == "--ignore"),
        "{listed:?}"
    );
    assert!(listed.iter().any(|f| f["rule"] == "default-password"));
    assert!(!rules_of(&r).contains(&"default-password".to_string()));

    let r = check(&file, &["--select", "default-password"]);
    assert_eq!(r.status, 0);
    assert!(
        rules_of(&r).iter().all(|id| id == "default-password"),
        "{:?}",
        rules_of(&r)
    );
    assert_eq!(r.json()["summary"]["suppressed"], 0);
}

#[test]
fn unknown_rule_ids_are_refused_wherever_they_are() {
    let s = Scratch::new();
    let file = s.write("values.yaml", VALUES);
    for (flag, value) in [("--ignore", "secret-key-lenght"), ("--select", "nope")] {
        let r = check(&file, &[flag, value]);
        assert_eq!(r.status, 2, "{}", r.stderr);
        assert!(
            r.stderr
                .starts_with(&format!("error: {flag}: unknown rule `{value}`")),
            "{}",
            r.stderr
        );
    }
    let inline = s.write(
        "inline.yaml",
        "secretKey: x  # harbor-upgrade: ignore[secret-key-lenght]\n",
    );
    let r = check(&inline, &[]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr
            .contains("inline.yaml:1: unknown rule `secret-key-lenght`"),
        "{}",
        r.stderr
    );
    let config = s.write(
        "bad.yaml",
        "ignore:\n  - default-password\n  - secret-key-lenght\n",
    );
    let r = check(&file, &["--config", &config]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr
            .contains("bad.yaml:3:5: unknown rule `secret-key-lenght`"),
        "{}",
        r.stderr
    );
    let config = s.write("typo.yaml", "ignored: [default-password]\n");
    let r = check(&file, &["--config", &config]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("unknown key `ignored`"), "{}", r.stderr);
}

#[test]
fn inline_comments_suppress_on_the_line_and_the_line_before() {
    let s = Scratch::new();
    let file = s.write(
        "values.yaml",
        "secretKey: \"0123456789abcdefX\"  # harbor-upgrade: ignore[secret-key-length]\n\
         # harbor-upgrade: ignore[default-password] -- rotated in the UI, see OPS-1234\n\
         harborAdminPassword: Harbor12345\n",
    );
    let r = check(&file, &["--show-suppressed"]);
    assert_eq!(r.status, 0, "{}", r.stdout);
    let rules = rules_of(&r);
    assert!(
        !rules.contains(&"secret-key-length".to_string()),
        "{rules:?}"
    );
    let listed = r.json()["suppressed"].as_array().unwrap().clone();
    let by = |rule: &str| {
        listed
            .iter()
            .filter(|f| f["rule"] == rule)
            .map(|f| f["suppressedBy"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert!(by("secret-key-length")[0].ends_with("values.yaml:1"));
    assert!(by("default-password")
        .iter()
        .any(|b| b.ends_with("values.yaml:2")));
    // The comment covers its own key only: the unset database password is still reported.
    assert!(rules.contains(&"default-password".to_string()), "{rules:?}");

    let text = run(&["preflight", "check", &file, "--to", "2.10.2"]);
    assert!(
        text.stdout
            .contains("2 suppressed (`--show-suppressed` lists them)"),
        "{}",
        text.stdout
    );
}

#[test]
fn configuration_file_in_a_parent_directory_applies() {
    let s = Scratch::new();
    // A repository root with the configuration, and a values file two levels below.
    std::fs::create_dir_all(s.path().join(".git")).unwrap();
    s.write(
        ".harbor-upgrade.yaml",
        "ignore: [secret-key-length]\nseverity:\n  default-password: error\nfail-on: warning\n",
    );
    let deep = s.path().join("clusters/prod");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("values.yaml"), VALUES).unwrap();

    let r = check_in(&deep, "values.yaml", &[]);
    assert!(
        r.stderr.contains("note: rule choices from "),
        "{}",
        r.stderr
    );
    assert_eq!(r.status, 1, "{}", r.stdout);
    let json = r.json();
    assert_eq!(json["summary"]["suppressed"], 1);
    let defaults: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "default-password")
        .collect();
    assert!(!defaults.is_empty() && defaults.iter().all(|f| f["severity"] == "error"));

    // fail-on warning from the file; --fail-on on the command line wins.
    let r = check_in(&deep, "values.yaml", &["--fail-on", "never"]);
    assert_eq!(r.status, 0);

    // --no-config: the file is not read.
    let r = check_in(&deep, "values.yaml", &["--no-config"]);
    assert!(!r.stderr.contains("rule choices"), "{}", r.stderr);
    assert_eq!(r.json()["summary"]["suppressed"], 0);
}

#[test]
fn configuration_outside_the_repository_is_not_used() {
    let s = Scratch::new();
    s.write(".harbor-upgrade.yaml", "ignore: [secret-key-length]\n");
    let repo = s.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join("values.yaml"), VALUES).unwrap();
    let r = check_in(&repo, "values.yaml", &[]);
    assert_eq!(r.json()["summary"]["suppressed"], 0, "{}", r.stderr);
}

#[test]
fn diagnose_takes_the_same_choices() {
    let s = Scratch::new();
    let log = s.write(
        "core.log",
        "2024-05-01T10:00:00Z [ERROR] [/server/middleware/security/v2_token.go:39]: failed to decode bearer token: token signature is invalid: crypto/rsa: verification error\n",
    );
    let r = run(&["diagnose", "--logs", &log, "-o", "json"]);
    assert_eq!(r.status, 1);
    let r = run(&[
        "diagnose",
        "--logs",
        &log,
        "-o",
        "json",
        "--ignore",
        "log-token-signature-invalid",
    ]);
    assert_eq!(r.status, 0, "{}", r.stdout);
    assert_eq!(r.json()["summary"]["suppressed"], 1);
}
