//! The CI formats of `preflight check` and `diagnose`: `-o junit`, `-o github`, `-o markdown`,
//! and SARIF fingerprints that survive edits which move lines.

mod common;

use common::{run, testdata, Scratch};
use quick_xml::events::Event;
use serde_json::Value;

fn demo(format: &str, extra: &[&str]) -> common::Run {
    let values = testdata("demo/values.yaml");
    let secret = testdata("demo/harbor-core-secret.yaml");
    let mut args = vec![
        "preflight",
        "check",
        values.to_str().unwrap(),
        "--secret",
        secret.to_str().unwrap(),
        "--from",
        "2.8.4",
        "--to",
        "2.10.2",
        "--now",
        "2027-06-01T00:00:00Z",
        "-o",
        format,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// (test case name, failure message, skipped, system-out) of every test case.
fn junit_cases(xml: &str) -> Vec<(String, Option<String>, bool, bool)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |name: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == name)
                        .map(|a| a.unescape_value().unwrap().into_owned())
                };
                match e.name().as_ref() {
                    b"testcase" => cases.push((attr(b"name").unwrap(), None, false, false)),
                    b"failure" => cases.last_mut().unwrap().1 = attr(b"message"),
                    b"skipped" => cases.last_mut().unwrap().2 = true,
                    b"system-out" => cases.last_mut().unwrap().3 = true,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    cases
}

fn preflight_rule_ids() -> Vec<String> {
    let json: Value =
        serde_json::from_str(&run(&["preflight", "rules", "-o", "json"]).stdout).unwrap();
    json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn junit_has_one_case_per_rule_and_fails_the_rules_with_findings() {
    let r = demo("junit", &[]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let cases = junit_cases(&r.stdout);
    let names: Vec<&str> = cases.iter().map(|c| c.0.as_str()).collect();
    // Every rule preflight check runs, once.
    let all = preflight_rule_ids();
    assert!(names.len() >= 40, "{names:?}");
    assert!(names.iter().all(|n| all.iter().any(|a| a == n)));
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len());
    let case = |id: &str| cases.iter().find(|c| c.0 == id).unwrap();
    assert!(case("token-pair-mismatch")
        .1
        .as_deref()
        .unwrap()
        .contains("public keys differ"));
    assert!(case("secret-key-changed").1.is_some());
    assert!(case("token-cert-expired").1.is_none());
    // Warnings are below the default --fail-on error: reported, not failed.
    let default_password = case("default-password");
    assert!(default_password.1.is_none() && default_password.3);
    // The suite's counts match.
    let failures = cases.iter().filter(|c| c.1.is_some()).count();
    assert!(
        r.stdout.contains(&format!("failures=\"{failures}\"")),
        "{}",
        r.stdout
    );

    let never = junit_cases(&demo("junit", &["--fail-on", "never"]).stdout);
    assert!(never.iter().all(|c| c.1.is_none()));
    let warning = junit_cases(&demo("junit", &["--fail-on", "warning"]).stdout);
    assert!(warning
        .iter()
        .find(|c| c.0 == "default-password")
        .unwrap()
        .1
        .is_some());
}

#[test]
fn junit_of_diagnose_has_the_log_rules() {
    let s = Scratch::new();
    let log = s.write(
        "core.log",
        "2024-05-01T10:00:00Z [ERROR] [/server/middleware/security/v2_token.go:39]: failed to decode bearer token: token signature is invalid: crypto/rsa: verification error\n",
    );
    let r = run(&["diagnose", "--logs", &log, "-o", "junit"]);
    let cases = junit_cases(&r.stdout);
    assert!(
        cases.iter().all(|c| c.0.starts_with("log-")
            || c.0.starts_with("event-")
            || c.0 == "rbac-forbidden"),
        "{cases:?}"
    );
    assert!(cases
        .iter()
        .find(|c| c.0 == "log-token-signature-invalid")
        .unwrap()
        .1
        .is_some());
}

/// Values whose unknown keys hold a terminal escape, markup and a pipe.
fn hostile_values(s: &Scratch) -> String {
    s.write(
        "hostile.yaml",
        "\"evil\\e]8;;http://x\\akey\": 1\n\"<img src=x onerror=alert(1)>\": 2\n\"a|b\": 3\n",
    )
}

#[test]
fn github_annotations_point_at_file_line_and_column_and_escape_newlines() {
    let r = demo("github", &[]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let mismatch = lines
        .iter()
        .find(|l| l.contains("title=token-pair-mismatch"))
        .expect("an annotation for the mismatch");
    assert!(mismatch.starts_with("::error file="), "{mismatch}");
    assert!(
        mismatch.contains("values.yaml,line=61,col=3,title=token-pair-mismatch::"),
        "{mismatch}"
    );
    // The help is on a second line of the annotation, escaped as the runner wants.
    assert!(mismatch.contains("%0Ahelp: "), "{mismatch}");
    assert!(lines
        .iter()
        .any(|l| l.starts_with("::warning ") && l.contains("title=default-password")));
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("::notice title=harbor-upgrade::6 error(s)"),
        "{}",
        r.stdout
    );
    // Every line is one workflow command.
    assert!(lines.iter().all(|l| l.starts_with("::")), "{}", r.stdout);
}

#[test]
fn ci_formats_escape_control_characters_and_markup_from_inputs() {
    let s = Scratch::new();
    let file = hostile_values(&s);
    for format in ["junit", "github", "markdown"] {
        let r = run(&["preflight", "check", &file, "--to", "2.10.2", "-o", format]);
        assert!(r.status == 0 || r.status == 1, "{format}: {}", r.stderr);
        assert!(
            r.stdout.contains("evil"),
            "{format}: the key is reported:\n{}",
            r.stdout
        );
        assert!(
            !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'),
            "{format}: {:?}",
            r.stdout
        );
        // Annotations are plain text to GitHub; XML and Markdown must not carry raw markup.
        if format != "github" {
            assert!(
                !r.stdout.contains("<img"),
                "{format}: raw markup:\n{}",
                r.stdout
            );
        }
    }
    let markdown = run(&[
        "preflight",
        "check",
        &file,
        "--to",
        "2.10.2",
        "-o",
        "markdown",
    ])
    .stdout;
    for row in markdown.lines().filter(|l| l.starts_with("| ")) {
        // Four cells: an unescaped pipe in a key would add one.
        let cells = row.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 5, "{row}");
    }
}

#[test]
fn markdown_is_a_table_with_a_summary() {
    let r = demo("markdown", &[]);
    assert!(r.stdout.starts_with("### harbor-upgrade\n"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Upgrade 2.8.4 → 2.10.2: **6 errors**, 10 warnings, 1 info."),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("| Severity | Rule | Where | Finding |"));
    assert!(
        r.stdout.contains("| **error** | `token-pair-mismatch` |"),
        "{}",
        r.stdout
    );
    let s = Scratch::new();
    let quiet = s.write(
        "core.log",
        "2024-05-01T10:00:00Z [INFO] [/core/main.go:1]: ready\n",
    );
    let r = run(&["diagnose", "--logs", &quiet, "-o", "markdown"]);
    assert!(r.stdout.contains("No problems found."), "{}", r.stdout);
}

#[test]
fn sarif_fingerprints_survive_edits_that_move_lines() {
    let s = Scratch::new();
    let original = std::fs::read_to_string(testdata("demo/values.yaml")).unwrap();
    let before = s.write("values.yaml", &original);
    let fingerprints = |file: &str| -> Vec<(String, String, u64)> {
        let r = run(&[
            "preflight",
            "check",
            file,
            "--from",
            "2.8.4",
            "--to",
            "2.10.2",
            "-o",
            "sarif",
        ]);
        let json: Value = serde_json::from_str(&r.stdout).unwrap();
        json["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["harborUpgrade/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap_or(0),
                )
            })
            .collect()
    };
    let a = fingerprints(&before);
    assert!(!a.is_empty());
    // Distinct findings, distinct fingerprints.
    let mut unique: Vec<&String> = a.iter().map(|f| &f.1).collect();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), a.len(), "{a:?}");
    // Three comment lines on top move every finding, and change no fingerprint.
    std::fs::write(&before, format!("# reviewed\n# by\n# ops\n{original}")).unwrap();
    let b = fingerprints(&before);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.0, y.0);
        assert_eq!(x.1, y.1, "{} moved and changed its fingerprint", x.0);
        if x.2 > 0 {
            assert_eq!(x.2 + 3, y.2);
        }
    }
}
