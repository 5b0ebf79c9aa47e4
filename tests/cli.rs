//! The command-line contract, driven through the real binary: the demo, output formats, exit
//! status, input formats, errors, and that no secret ever reaches any output.

mod common;

use common::{bin, check_values, indent, key, run, run_stdin, testdata, token_values, Scratch};

fn demo_args() -> Vec<String> {
    vec![
        "preflight".into(),
        "check".into(),
        testdata("demo/values.yaml").to_string_lossy().into_owned(),
        "--secret".into(),
        testdata("demo/harbor-core-secret.yaml")
            .to_string_lossy()
            .into_owned(),
        "--to".into(),
        "2.10.2".into(),
        "--now".into(),
        "2027-06-01T00:00:00Z".into(),
    ]
}

fn run_owned(args: &[String]) -> common::Run {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&refs)
}

#[test]
fn the_demo_reproduces_the_upgrade_incident() {
    let mut args = demo_args();
    args.extend(["-o".into(), "json".into()]);
    let r = run_owned(&args);
    assert_eq!(r.status, 1, "errors found: exit 1\n{}", r.stderr);
    let rules = r.rules();
    for expected in [
        "token-key-not-pkcs1",
        "token-pair-mismatch",
        "secret-key-length",
        "secret-key-changed",
        "xsrf-key-length",
        "secret-length",
        "default-password",
        "database-password-changed",
    ] {
        assert!(
            rules.iter().any(|x| x == expected),
            "{expected} missing from {rules:?}"
        );
    }
    let json = r.json();
    assert_eq!(json["schemaVersion"], 1);
    assert_eq!(json["upgrade"]["to"], "2.10.2");
    assert_eq!(json["tool"]["name"], "harbor-upgrade");
    assert!(json["summary"]["error"].as_u64().unwrap_or_default() >= 6);
    let mismatch = &r.findings("token-pair-mismatch")[0];
    assert_eq!(
        mismatch["location"]["file"],
        testdata("demo/values.yaml").to_string_lossy().as_ref()
    );
    assert_eq!(mismatch["valuesPath"], "core.tokenCert");
}

#[test]
fn the_demo_text_output_is_rustc_like() {
    let mut args = demo_args();
    args.extend(["--color".into(), "never".into()]);
    let r = run_owned(&args);
    assert_eq!(r.status, 1);
    assert!(
        r.stdout.contains("error[token-pair-mismatch]: "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("demo/values.yaml:"), "{}", r.stdout);
    assert!(
        r.stdout.contains("  tokenCert: |"),
        "the offending line is shown: {}",
        r.stdout
    );
    assert!(
        r.stdout.contains("^^^^^^^^^"),
        "a caret underlines the key: {}",
        r.stdout
    );
    assert!(r.stdout.contains("= help: "));
    assert!(
        r.stdout.contains("secretKey: <redacted>"),
        "secret values are masked in shown lines: {}",
        r.stdout
    );
    assert!(!r.stdout.contains("\x1b["), "no colour with --color never");
    let mut coloured = demo_args();
    coloured.extend(["--color".into(), "always".into()]);
    assert!(
        run_owned(&coloured).stdout.contains("\x1b[1m\x1b[31merror"),
        "colour with --color always"
    );
}

#[test]
fn sarif_output_is_sarif_2_1_0_with_file_locations() {
    let mut args = demo_args();
    args.extend(["-o".into(), "sarif".into()]);
    let r = run_owned(&args);
    assert_eq!(r.status, 1);
    let log: serde_json::Value = serde_json::from_str(&r.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "harbor-upgrade");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.iter().any(|r| r["id"] == "token-pair-mismatch"));
    let results = run["results"].as_array().expect("results");
    let mismatch = results
        .iter()
        .find(|x| x["ruleId"] == "token-pair-mismatch")
        .expect("mismatch result");
    assert_eq!(mismatch["level"], "error");
    let region = &mismatch["locations"][0]["physicalLocation"]["region"];
    assert!(region["startLine"].as_u64().unwrap_or_default() > 1);
    assert!(
        mismatch["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_default()
            .ends_with("demo/values.yaml")
    );
}

#[test]
fn fail_on_decides_the_exit_status() {
    let mut args = demo_args();
    args.extend(["--fail-on".into(), "never".into()]);
    assert_eq!(run_owned(&args).status, 0);
    let s = Scratch::new();
    let warn_only = s.write(
        "v.yaml",
        "secretKey: \"0123456789abcdef\"\ncore:\n  secret: \"0123456789abcde\"\n",
    );
    assert_eq!(
        run(&[
            "preflight",
            "check",
            &warn_only,
            "--set-string",
            "harborAdminPassword=Str0ng-Adm1n",
            "--set-string",
            "database.internal.password=Str0ng-Db",
            "--set-string",
            "registry.credentials.password=Str0ng-Reg"
        ])
        .status,
        0
    );
    assert_eq!(
        run(&["preflight", "check", &warn_only, "--fail-on", "warning"]).status,
        1
    );
}

#[test]
fn several_files_merge_and_a_later_file_fixes_an_earlier_one() {
    let s = Scratch::new();
    let broken = s.write(
        "base.yaml",
        format!(
            "secretKey: |\n  0123456789abcdef\n{}",
            token_values("rsa2048.key", "other-rsa2048.crt")
        ),
    );
    let fix = s.write(
        "fix.yaml",
        format!(
            "secretKey: \"0123456789abcdef\"\ncore:\n  tokenCert: |\n{}",
            indent(&key("rsa2048.crt"), 4)
        ),
    );
    let r = run(&[
        "preflight",
        "check",
        &broken,
        "-f",
        &fix,
        "-o",
        "json",
        "--now",
        "2030-01-01T00:00:00Z",
    ]);
    let rules = r.rules();
    assert!(
        !rules
            .iter()
            .any(|x| x == "secret-key-length" || x == "token-pair-mismatch"),
        "{rules:?}"
    );
    let reversed = run(&[
        "preflight",
        "check",
        &fix,
        "-f",
        &broken,
        "-o",
        "json",
        "--now",
        "2030-01-01T00:00:00Z",
    ]);
    let f = reversed.findings("token-pair-mismatch");
    assert_eq!(f.len(), 1, "the later file wins: {}", reversed.stdout);
    assert!(f[0]["location"]["file"]
        .as_str()
        .unwrap_or_default()
        .ends_with("base.yaml"));
}

#[test]
fn crlf_files_and_every_scalar_style_hold_keys() {
    let lf = token_values("rsa2048.key", "rsa2048.crt");
    let crlf = lf.replace('\n', "\r\n");
    let r = check_values(&crlf, &[]);
    assert!(
        r.rules().iter().all(|x| !x.starts_with("token-")),
        "CRLF keys parse and match: {}",
        r.stdout
    );
    let strip = lf
        .replace("tokenKey: |", "tokenKey: |-")
        .replace("tokenCert: |", "tokenCert: |-");
    assert!(check_values(&strip, &[])
        .rules()
        .iter()
        .all(|x| !x.starts_with("token-")));
    let quoted = format!(
        "core:\n  tokenKey: \"{}\"\n  tokenCert: \"{}\"\n",
        key("rsa2048.key").replace('\n', "\\n"),
        key("other-rsa2048.crt").replace('\n', "\\n")
    );
    let r = check_values(&quoted, &[]);
    assert_eq!(
        r.findings("token-pair-mismatch").len(),
        1,
        "double-quoted keys are read too: {}",
        r.stdout
    );
    let crlf_secret = check_values("secretKey: |\r\n  0123456789abcdef\r\n", &[]);
    let f = crlf_secret.findings("secret-key-length");
    assert_eq!(
        f.len(),
        1,
        "a CRLF block still ends in one line break for Helm: {}",
        crlf_secret.stdout
    );
}

#[test]
fn set_file_and_stdin_supply_values() {
    let s = Scratch::new();
    let k = s.write("tls.key", key("rsa2048.key"));
    let c = s.write("tls.crt", key("other-rsa2048.crt"));
    let r = run_stdin(
        &[
            "preflight",
            "check",
            "-",
            "--set-file",
            &format!("core.tokenKey={k}"),
            "--set-file",
            &format!("core.tokenCert={c}"),
            "-o",
            "json",
            "--now",
            "2030-01-01T00:00:00Z",
        ],
        "core:\n  replicas: 2\n",
    );
    assert_eq!(
        r.findings("token-pair-mismatch").len(),
        1,
        "{}{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn flux_helmrelease_and_argo_application_values_are_unwrapped() {
    let flux = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: harbor\nspec:\n  chart:\n    spec:\n      chart: harbor\n  values:\n    secretKey: |\n      0123456789abcdef\n";
    let r = check_values(flux, &[]);
    assert_eq!(
        r.findings("secret-key-length")[0]["location"]["line"],
        10,
        "{}",
        r.stdout
    );
    let argo = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: harbor\nspec:\n  source:\n    chart: harbor\n    helm:\n      valuesObject:\n        core:\n          xsrfKey: short\n";
    assert_eq!(check_values(argo, &[]).findings("xsrf-key-length").len(), 1);
    let umbrella = "harbor:\n  core:\n    xsrfKey: short\n";
    let r = check_values(umbrella, &["--values-root", "harbor"]);
    assert_eq!(r.findings("xsrf-key-length").len(), 1, "{}", r.stdout);
}

#[test]
fn placeholders_are_not_judged() {
    let r = check_values(
        "secretKey: ${HARBOR_SECRET_KEY}\ncore:\n  xsrfKey: <path:secret/data/harbor#xsrf>\n",
        &[],
    );
    let rules = r.rules();
    assert!(
        !rules.iter().any(|x| x == "secret-key-length"
            || x == "xsrf-key-length"
            || x == "secret-key-default"),
        "{rules:?}"
    );
    assert_eq!(r.skipped("placeholder").len(), 2, "{}", r.stdout);
}

#[test]
fn bad_input_is_one_clear_error_with_status_2() {
    let s = Scratch::new();
    let malformed = s.write("malformed.yaml", "core:\n  secret: [unclosed\n");
    let binary = s.write("binary.yaml", b"\x00\x01\x02\xffELF");
    let not_map = s.write("list.yaml", "- a\n- b\n");
    let valid = s.write("valid.yaml", "core: {}\n");
    let dir = s.path().to_string_lossy().into_owned();
    let missing = s.path().join("missing.yaml").to_string_lossy().into_owned();
    let key_missing = format!(
        "core.tokenKey={}",
        s.path().join("no-such.key").to_string_lossy()
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&malformed], "malformed.yaml"),
        (vec![&binary], "binary.yaml"),
        (vec![&not_map], "list.yaml"),
        (vec![&dir], &dir),
        (vec![&missing], "missing.yaml"),
        (vec![&valid, "--set", "a.b"], "--set"),
        (vec!["--set-file", &key_missing], "no-such.key"),
        (vec!["--secret", &malformed], "malformed.yaml"),
        (vec![&valid, "--to", "banana"], "--to"),
        (vec![], "nothing to check"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["preflight", "check"];
        args.extend(extra.iter().copied());
        let r = run(&args);
        assert_eq!(r.status, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(needle),
            "{args:?} should name {needle}: {}",
            r.stderr
        );
        assert!(
            r.stdout.is_empty(),
            "{args:?} printed to stdout: {}",
            r.stdout
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
}

#[test]
fn rules_and_explain() {
    let r = run(&["preflight", "rules", "-o", "json"]);
    assert_eq!(r.status, 0);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(json["rules"].as_array().map(Vec::len), Some(74));
    let r = run(&["preflight", "explain", "token-key-not-pkcs1"]);
    assert_eq!(r.status, 0);
    assert!(r.stdout.contains("RSA PRIVATE KEY"));
    let r = run(&["preflight", "explain", "token-pair-mismatc"]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr.contains("did you mean `token-pair-mismatch`"),
        "{}",
        r.stderr
    );
}

#[test]
// Rule IDs copied from a heading or typed in capitals were refused, and `placeholder`, which every
// report with a `${VAR}` lists under skipped, had no documentation.
fn explain_takes_ids_case_insensitively_and_knows_placeholder() {
    let r = run(&["preflight", "explain", "Token-Key-Rotates"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("token-key-rotates\n"), "{}", r.stdout);
    let r = run(&["preflight", "explain", "placeholder"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("deploy-time placeholder"), "{}", r.stdout);
    let r = run(&["preflight", "explain", "TOKEN-KEY-CHANGED"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("crypto/rsa: verification error"),
        "{}",
        r.stdout
    );
}

#[test]
fn keys_inspect_describes_without_revealing() {
    let r = run(&[
        "keys",
        "inspect",
        &testdata("demo/values.yaml").to_string_lossy(),
        "--secret",
        &testdata("demo/harbor-core-secret.yaml").to_string_lossy(),
        "-o",
        "json",
        "--now",
        "2027-06-01T00:00:00Z",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let json = r.json();
    let pairs = json["tokenPairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 2, "values and the live Secret");
    assert_eq!(pairs[0]["matches"], false);
    assert_eq!(pairs[1]["matches"], true);
    assert!(pairs[0]["key"]["kind"]
        .as_str()
        .unwrap_or_default()
        .contains("PKCS#8"));
    let secret_key = json["credentials"]
        .as_array()
        .expect("credentials")
        .iter()
        .find(|c| c["valuesPath"] == "secretKey")
        .cloned()
        .expect("secretKey");
    assert_eq!(secret_key["length"], 17);
    assert_eq!(secret_key["state"], "set");
    let text = run(&[
        "keys",
        "inspect",
        &testdata("demo/values.yaml").to_string_lossy(),
    ]);
    assert!(text.stdout.contains("DO NOT MATCH"), "{}", text.stdout);
}

/// Every secret byte string in the demo fixtures: none may appear in any output.
fn demo_secrets() -> Vec<String> {
    use base64::Engine as _;
    let mut secrets: Vec<String> = [
        "Zx81kQp2mW7vT4aB",
        "k3J9s0Qm2Lx7Pz4Vn8Rt",
        "Jb4s9QxT2mV7cW1e",
        "Rg7hK2pL9xQ4mZ8",
        "Q7m2Vx9LpA4tZk1R",
        "Cr5tW8nQ1zX6vB3y",
        "p0W7eR4tY1uI8oP3aS6dF9gH2jK5lZ0x",
        "s3cure-Db-pass",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    // Every base64 line of every private key body, and the Secret's base64 data values.
    for name in ["rsa2048.key", "rsa2048-pkcs8.key"] {
        secrets.extend(
            key(name)
                .lines()
                .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                .map(str::to_string),
        );
    }
    let manifest =
        std::fs::read_to_string(testdata("demo/harbor-core-secret.yaml")).expect("manifest");
    for line in manifest.lines() {
        if let Some((_, v)) = line.trim().split_once(": ") {
            if base64::engine::general_purpose::STANDARD.decode(v).is_ok() && v.len() >= 16 {
                secrets.push(v.to_string());
                secrets.push(v[..16].to_string());
            }
        }
    }
    secrets
}

#[test]
fn no_secret_reaches_any_output() {
    let secrets = demo_secrets();
    assert!(secrets.len() > 40);
    let values = testdata("demo/values.yaml").to_string_lossy().into_owned();
    let live = testdata("demo/harbor-core-secret.yaml")
        .to_string_lossy()
        .into_owned();
    let mut runs = Vec::new();
    for output in ["text", "json", "sarif"] {
        for color in ["never", "always"] {
            runs.push(run(&[
                "preflight",
                "check",
                &values,
                "--secret",
                &live,
                "--to",
                "2.8.4",
                "-o",
                output,
                "--color",
                color,
                "--renderer",
                "template",
            ]));
        }
    }
    runs.push(run(&["keys", "inspect", &values, "--secret", &live]));
    runs.push(run(&[
        "keys", "inspect", &values, "--secret", &live, "-o", "json",
    ]));
    runs.push(run(&[
        "preflight",
        "check",
        &values,
        "--set",
        "core.secret=Zx81kQp2mW7vT4aB",
        "--set",
        "bad",
    ]));
    for r in &runs {
        for secret in &secrets {
            assert!(
                !r.stdout.contains(secret.as_str()),
                "secret leaked to stdout: {secret}\n{}",
                r.stdout
            );
            assert!(
                !r.stderr.contains(secret.as_str()),
                "secret leaked to stderr: {secret}\n{}",
                r.stderr
            );
        }
    }
}

#[test]
fn the_chart_defaults_load_and_report_only_defaults() {
    let chart = testdata("chart/values-1.19.1.yaml")
        .to_string_lossy()
        .into_owned();
    let r = run(&["preflight", "check", &chart, "-o", "json"]);
    assert_eq!(
        r.status, 0,
        "defaults are warnings, not errors: {}",
        r.stdout
    );
    let rules = r.rules();
    assert!(rules.iter().any(|x| x == "secret-key-default"));
    assert!(rules.iter().any(|x| x == "token-key-rotates"));
    assert!(!rules.iter().any(|x| x == "secret-not-string"), "{rules:?}");
}

#[test]
fn every_real_world_values_file_loads() {
    let dir = common::root().join("../shared/real-world-values");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        common::skip(&format!(
            "every_real_world_values_file_loads: {} is absent (the shared research folder is not beside this clone)",
            dir.display()
        ));
        return;
    };
    let mut count = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let p = path.to_string_lossy().into_owned();
        let mut args = vec!["preflight", "check", p.as_str(), "-o", "json"];
        if text.starts_with("harbor:")
            || text.lines().any(|l| l == "harbor:") && !text.contains("kind: HelmRelease")
        {
            args.extend(["--values-root", "harbor"]);
        }
        let r = run(&args);
        assert!(
            r.status == 0 || r.status == 1,
            "{}: exit {}\n{}",
            path.display(),
            r.status,
            r.stderr
        );
        // A well-configured file (every credential in an existing Secret) may have no finding,
        // but then it names Secrets that could not be checked offline.
        let json = r.json();
        let reported = json["findings"].as_array().map_or(0, Vec::len)
            + json["skipped"].as_array().map_or(0, Vec::len);
        assert!(reported > 0, "{} produced no report", path.display());
        count += 1;
    }
    assert!(count >= 15, "only {count} files");
}

#[test]
fn help_lists_the_whole_command_tree() {
    let out = bin().arg("--help").output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["preflight", "keys", "clock", "diagnose"] {
        assert!(text.contains(cmd), "{cmd} missing from --help");
    }
    let keys = bin().args(["keys", "--help"]).output().expect("run");
    let text = String::from_utf8_lossy(&keys.stdout);
    for cmd in [
        "inspect", "backup", "restore", "diff", "reset", "rollback", "rotate", "generate",
    ] {
        assert!(text.contains(cmd), "keys {cmd} missing from --help");
    }
}

#[test]
fn secret_manifests_in_json_and_list_form_are_read() {
    use base64::Engine as _;
    let s = Scratch::new();
    let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
    let json = format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{{\"name\":\"harbor-core\"}},\"data\":{{\"secretKey\":\"{}\"}}}}]}}",
        b64(b"0123456789abcdef")
    );
    let f = s.write("live.json", json);
    let r = check_values("secretKey: \"fedcba9876543210\"\n", &["--secret", &f]);
    assert_eq!(r.findings("secret-key-changed").len(), 1, "{}", r.stdout);
}

fn help(args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.push("--help");
    run(&all).stdout
}

#[test]
// `preflight check --help` still said the cluster would come "later"; it is read today.
fn preflight_check_help_says_it_reads_the_cluster() {
    let text = help(&["preflight", "check"]);
    assert!(!text.contains("later the cluster"), "{text}");
    assert!(text.contains("the release in the cluster"), "{text}");
}

#[test]
// The help named the rollback file `VALUES.rollback.yaml`; it is `values.rollback.yaml` for
// `values.yaml` (a numbered name when taken), as `keys reset` really writes it.
fn reset_and_rotate_help_name_the_rollback_file_they_write() {
    for command in ["reset", "rotate"] {
        let text = help(&["keys", command]);
        assert!(!text.contains("VALUES.rollback.yaml"), "{command}: {text}");
        assert!(
            text.contains("`values.yaml` →\n")
                || text.contains("`values.yaml` → `values.rollback.yaml`"),
            "{command}: {text}"
        );
        assert!(text.contains("values.rollback.1.yaml"), "{command}: {text}");
    }
    let s = Scratch::new();
    let values = s.write("values.yaml", "core:\n  secret: \"0123456789abcdef\"\n");
    let r = run(&["keys", "reset", &values, "--only", "internal"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(s.path().join("values.rollback.yaml").is_file());
    let r = run(&["keys", "reset", &values, "--only", "internal"]);
    assert!(r.status == 0 || r.status == 2, "{}", r.stderr);
    s.write("values.yaml", "core:\n  secret: \"0123456789abcdef\"\n");
    let r = run(&["keys", "reset", &values, "--only", "internal"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(s.path().join("values.rollback.1.yaml").is_file());
}

#[test]
// `diagnose --now` worked but was hidden from `--help`.
fn diagnose_help_lists_now() {
    let text = help(&["diagnose"]);
    assert!(text.contains("--now <RFC3339>"), "{text}");
}

/// The command whose output `docs/json-output.md` shows, and the findings it keeps.
const JSON_DOC_ARGS: &[&str] = &[
    "preflight",
    "check",
    "testdata/demo/values.yaml",
    "--secret",
    "testdata/demo/harbor-core-secret.yaml",
    "--from",
    "2.8.4",
    "--to",
    "2.10.2",
    "--now",
    "2030-01-01T00:00:00Z",
    "-o",
    "json",
];
const JSON_DOC_RULES: &[&str] = &["secret-key-changed", "token-pair-mismatch"];

#[test]
// The example in `docs/json-output.md` was written by hand and drifted from the real output.
fn json_output_doc_example_comes_from_a_real_run() {
    let out = bin()
        .current_dir(common::root())
        .args(JSON_DOC_ARGS)
        .output()
        .expect("run binary");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    // The output as printed, with the `findings` array cut to the chosen rules' entries (each
    // entry is the lines from `    {` to `    }` of the pretty-printed document).
    let mut kept = Vec::new();
    let mut entry: Vec<&str> = Vec::new();
    let (mut total, mut in_findings) = (0, false);
    let mut head = Vec::new();
    let mut tail = Vec::new();
    for line in stdout.lines() {
        if !in_findings && tail.is_empty() {
            head.push(line);
            in_findings = line == "  \"findings\": [";
            continue;
        }
        if in_findings && line.starts_with("  ]") {
            in_findings = false;
        }
        if !in_findings {
            tail.push(line);
            continue;
        }
        entry.push(line);
        if line.starts_with("    }") {
            total += 1;
            let text = entry.join("\n");
            if JSON_DOC_RULES
                .iter()
                .any(|r| text.contains(&format!("\"rule\": \"{r}\",")))
            {
                kept.push(text.trim_end_matches(',').to_string());
            }
            entry.clear();
        }
    }
    assert_eq!(kept.len(), JSON_DOC_RULES.len(), "{stdout}");
    let example = format!(
        "{}\n{}\n{}",
        head.join("\n"),
        kept.join(",\n"),
        tail.join("\n")
    );
    let _: serde_json::Value = serde_json::from_str(&example).expect("the cut example is JSON");
    let block = format!(
        "<!-- json-output example: begin -->\n`harbor-upgrade {}`, with `findings` cut to those of `{}` ({} of {total}):\n\n```json\n{example}\n```\n<!-- end -->",
        JSON_DOC_ARGS.join(" "),
        JSON_DOC_RULES.join("` and `"),
        kept.len()
    );
    let path = common::root().join("docs/json-output.md");
    let text = std::fs::read_to_string(&path).expect("docs/json-output.md");
    let start = text
        .find("<!-- json-output example: begin -->")
        .expect("begin marker");
    let end =
        text[start..].find("<!-- end -->").expect("end marker") + start + "<!-- end -->".len();
    let updated = format!("{}{block}{}", &text[..start], &text[end..]);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &updated).expect("write docs/json-output.md");
    }
    assert!(
        text == updated,
        "docs/json-output.md is out of date: run `UPDATE_DOCS=1 cargo test --test cli json_output_doc` and commit it"
    );
}
