//! No secret in any output: every command × every output format × every input kind, with
//! canary secrets, asserting that no canary — nor any base64 form of one — and no raw terminal
//! control character appears in stdout or stderr.

mod common;
mod support;

use base64::Engine as _;
use common::{key, Run, Scratch};
use support::harbor::{install, run_with, secret_values, standard, NS};
use support::helm::HelmCluster;
use support::ApiServer;

/// The forms a canary may leak in: itself, and base64 (standard and URL-safe alphabets, with and
/// without padding) at each of the 3 byte offsets it can start at inside a longer encoded text.
fn leak_forms(canary: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut forms = vec![canary.to_string()];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        forms.push(engine.encode(canary));
        for offset in 0..3 {
            // Bytes before the canary change the first group, bytes after it the last: the
            // groups in between are what any encoding of a text holding the canary contains.
            let mut data = vec![b'#'; offset];
            data.extend_from_slice(canary.as_bytes());
            let encoded = engine.encode(&data);
            let skip = if offset == 0 { 0 } else { 4 };
            let whole_groups = (encoded.len() / 4).saturating_sub(1) * 4;
            if whole_groups > skip + 8 {
                forms.push(encoded[skip..whole_groups].to_string());
            }
        }
    }
    forms
}

/// Panics if any canary (or base64 of one) or a raw control character is in the output.
fn assert_clean(what: &str, run: &Run, canaries: &[String]) {
    for canary in canaries {
        for form in leak_forms(canary) {
            assert!(
                !run.stdout.contains(&form),
                "{what}: `{form}` (from {canary}) in stdout:\n{}",
                run.stdout
            );
            assert!(
                !run.stderr.contains(&form),
                "{what}: `{form}` (from {canary}) in stderr:\n{}",
                run.stderr
            );
        }
    }
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        // `--color always` writes its own colour sequences; nothing else may be raw.
        if let Some(c) = without_colour(text)
            .chars()
            .find(|&c| c.is_control() && c != '\n' && c != '\t')
        {
            panic!("{what}: raw control character {c:?} in {stream}:\n{text}");
        }
    }
    // The tool did not crash: a judgement (0, 1) or a clear error (2).
    assert!(
        matches!(run.status, 0..=2),
        "{what}: exit {}\n{}",
        run.status,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
}

/// `text` without the colour sequences `ESC [ digits ; m` the text renderer writes.
fn without_colour(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let body = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[body..].starts_with('m') {
            rest = &after[body + 1..];
        } else {
            out.push('\x1b');
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

fn run_in(s: &Scratch, args: &[String]) -> Run {
    let mut cmd = common::bin();
    cmd.current_dir(s.path())
        .env("HOME", s.path())
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST");
    let out = cmd.args(args).output().expect("run binary");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(ToString::to_string).collect()
}

/// A canary: distinct, mixed-case, shorter than the base64-blob rule (so only a real
/// redaction hides it).
fn canary(n: usize) -> String {
    format!("Cnry{n:02}xQ7v2Lm9")
}

/// One input kind: the arguments that give it, the files it needs, its canaries.
#[derive(Default)]
struct Input {
    name: &'static str,
    args: Vec<String>,
    /// Arguments only `preflight check` takes (`--deployed-manifests`).
    check_only: Vec<String>,
    canaries: Vec<String>,
    /// What `preflight check` must end with: judged (0 or 1) or refused (2).
    refused: bool,
}

/// Values text holding canaries in every place a secret hides: catalogue fields, a block
/// scalar, an `extraEnvVars` entry, `passphrase:`, a `dsn` with `user:PW@`, an unknown key.
fn values_text(c: &dyn Fn(usize) -> String) -> String {
    format!(
        "secretKey: \"{}\"\nharborAdminPassword: {}\ncore:\n  secret: {}\n  xsrfKey: {}\n  extraEnvVars:\n  - name: S3_PASSWORD\n    value: {}\n  passphrase: {}\n  dsn: postgres://harbor:{}@db:5432/registry\ndatabase:\n  internal:\n    password: '{}'\nregistry:\n  credentials:\n    password: {}\n",
        c(1),
        c(2),
        c(3),
        c(4),
        c(5),
        c(6),
        c(7),
        c(8),
        c(9)
    )
}

fn inputs(s: &Scratch) -> Vec<Input> {
    let mut all = Vec::new();
    let c = |n: usize| canary(n);
    let upto = |n: usize| (1..=n).map(canary).collect::<Vec<_>>();

    let file = s.write("values.yaml", values_text(&c));
    all.push(Input {
        name: "file",
        args: vec![file.clone()],
        canaries: upto(9),
        ..Default::default()
    });

    // `--set`/`--set-string` replacing what the file sets: neither value may show.
    all.push(Input {
        name: "--set over a file",
        args: vec![
            file.clone(),
            "--set".into(),
            format!("secretKey={},core.xsrfKey={}", c(20), c(21)),
            "--set-string".into(),
            format!("core.secret={}", c(22)),
        ],
        canaries: [upto(9), vec![c(20), c(21), c(22)]].concat(),
        ..Default::default()
    });

    let set_file = s.write("token.key", key("rsa2048.key"));
    let pem_line = key("rsa2048.key").lines().nth(3).unwrap().to_string();
    all.push(Input {
        name: "--set-file",
        args: vec![
            "--set-file".into(),
            format!("core.tokenKey={set_file}"),
            "--set-file".into(),
            format!("registry.credentials.password={}", s.write("pw.txt", c(30))),
        ],
        canaries: vec![pem_line, c(30)],
        ..Default::default()
    });

    all.extend(document_inputs(s));
    all.push(secret_manifest_input(s, file.clone()));
    all.extend(rendered_inputs(s, &file));
    all.extend(malformed_stream_inputs(s));
    all
}

/// `text` with `from` replaced exactly once.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` once in the fixture"
    );
    text.replacen(from, to, 1)
}

fn b64(v: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(v)
}

/// The real `helm template` stream of chart 1.14.2 with canaries in the core Secret's `data`
/// and `stringData`, in an env `value:` literal of the core pods and in the Redis URL of the
/// core `ConfigMap`.
fn rendered_stream(c: &dyn Fn(usize) -> String) -> String {
    let text =
        std::fs::read_to_string(common::testdata("rendered/upgrade-1.14.2.yaml")).expect("fixture");
    let text = replace_once(
        &text,
        "  secretKey: \"UTd2MkxtOVhjNFJ0OFd6MQ==\"\n",
        &format!("  secretKey: \"{}\"\n", b64(&c(1))),
    );
    let text = replace_once(
        &text,
        "  CSRF_KEY: \"eHNyZnhzcmZ4c3JmeHNyZnhzcmZ4c3JmeHNyZjEyMzQ=\"\n",
        &format!("stringData:\n  CSRF_KEY: \"{}\"\n", c(2)),
    );
    let text = text.replacen(
        "        env:\n          - name: CORE_SECRET\n",
        &format!(
            "        env:\n          - name: S3_PASSWORD\n            value: \"{}\"\n          - name: CORE_SECRET\n",
            c(3)
        ),
        1,
    );
    replace_once(
        &text,
        "\"redis://harbor-redis:6379/0?idle_timeout_seconds=30\"",
        &format!(
            "\"redis://:{}@harbor-redis:6379/0?idle_timeout_seconds=30\"",
            c(4)
        ),
    )
}

/// The manifest of the release running now (`helm get manifest`, chart 1.12.4) with another
/// canary `secretKey` (so that `secret-key-changed` reports it) and a Redis password.
fn deployed_stream(c: &dyn Fn(usize) -> String) -> String {
    let text = std::fs::read_to_string(common::testdata("rendered/deployed-1.12.4.yaml"))
        .expect("fixture");
    let text = replace_once(
        &text,
        "  secretKey: \"UTd2MkxtOVhjNFJ0OFd6MQ==\"\n",
        &format!("  secretKey: \"{}\"\n", b64(&c(5))),
    );
    replace_once(
        &text,
        "\"redis://harbor-redis:6379/0?idle_timeout_seconds=30\"",
        &format!(
            "\"redis://:{}@harbor-redis:6379/0?idle_timeout_seconds=30\"",
            c(6)
        ),
    )
}

/// What Helm renders, in every form `--rendered` reads, beside the live release given offline
/// (`--deployed-manifests`); and that offline release beside a values file.
fn rendered_inputs(s: &Scratch, values: &str) -> Vec<Input> {
    let c = |n: usize| canary(200 + n);
    let stream = rendered_stream(&c);
    let deployed = s.write("deployed.yaml", deployed_stream(&c));
    let check_only = vec!["--deployed-manifests".to_string(), deployed.clone()];
    // The fixture's own credentials and token key are secrets too.
    let fixture: Vec<String> = support::harbor::secret_values()
        .iter()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .chain(std::iter::once(
            key("rsa2048.key").lines().nth(3).unwrap().to_string(),
        ))
        .collect();
    let stream_canaries: Vec<String> = [(1..=6).map(c).collect(), fixture.clone()].concat();
    let printout = format!(
        "Release \"harbor\" has been upgraded. Happy Helming!\nNAME: harbor\nLAST DEPLOYED: Wed Dec  2 14:54:35 2026\nNAMESPACE: harbor\nSTATUS: pending-upgrade\nREVISION: 2\nDESCRIPTION: Dry run complete\nTEST SUITE: None\nUSER-SUPPLIED VALUES:\nsecretKey: {}\nharborAdminPassword: {}\n\nCOMPUTED VALUES:\nsecretKey: {}\n\nHOOKS:\nMANIFEST:\n{stream}\nNOTES:\nPlease wait for several minutes for Harbor deployment to complete.\nLog in as admin with the password {}\n",
        c(7),
        c(8),
        c(7),
        c(9)
    );
    let hook = format!(
        "# Source: harbor/templates/hook-secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: harbor-hook\nstringData:\n  password: {}\n",
        c(10)
    );
    let release = serde_json::json!({
        "name": "harbor",
        "info": {"status": "pending-upgrade", "notes": format!("Log in with the password {}", c(9))},
        "chart": {"metadata": {"name": "harbor", "version": "1.14.2"}},
        "config": {"secretKey": c(7), "harborAdminPassword": c(8)},
        "manifest": stream,
        "hooks": [{"name": "harbor-hook", "manifest": hook}],
        "version": 2,
        "namespace": "harbor",
    });
    let all_canaries: Vec<String> = [(1..=10).map(c).collect(), fixture].concat();
    vec![
        Input {
            name: "rendered helm template",
            args: vec!["--rendered".into(), s.write("template.yaml", &stream)],
            check_only: check_only.clone(),
            canaries: stream_canaries,
            refused: false,
        },
        Input {
            name: "rendered dry-run printout",
            args: vec!["--rendered".into(), s.write("dry-run.txt", printout)],
            check_only: check_only.clone(),
            canaries: all_canaries.clone(),
            refused: false,
        },
        Input {
            name: "rendered dry-run -o json",
            args: vec![
                "--rendered".into(),
                s.write(
                    "dry-run.json",
                    serde_json::to_string_pretty(&release).unwrap(),
                ),
            ],
            check_only: check_only.clone(),
            canaries: all_canaries,
            refused: false,
        },
        Input {
            name: "--deployed-manifests beside values",
            args: vec![values.to_string()],
            check_only,
            canaries: [(1..=9).map(canary).collect::<Vec<_>>(), vec![c(5), c(6)]].concat(),
            refused: false,
        },
    ]
}

/// Streams that cannot be read, each with a canary on the line the error is about.
fn malformed_stream_inputs(s: &Scratch) -> Vec<Input> {
    let c = |n: usize| canary(230 + n);
    let head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: harbor-core\n";
    let cases = [
        (
            "broken.yaml",
            format!("{head}stringData:\n  secretKey: {}: [x\n", c(1)),
        ),
        (
            "tab.yaml",
            format!("{head}stringData:\n\tsecretKey: {}\n", c(2)),
        ),
        (
            "base64.yaml",
            format!("{head}data:\n  secretKey: {}!!\n", c(4)),
        ),
        (
            "list.yaml",
            format!("{head}data: {{}}\n---\n- password={}\n", c(5)),
        ),
        (
            "nokind.yaml",
            format!("{head}data: {{}}\n---\nmetadata:\n  name: {}\n", c(6)),
        ),
        (
            "printout.txt",
            format!(
                "NAME: harbor\nMANIFEST:\n{head}stringData:\n  password: \"{}\n  other: [\nNOTES:\nx\n",
                c(7)
            ),
        ),
        (
            "release.json",
            serde_json::json!({
                "name": "harbor",
                "manifest": format!("{head}stringData:\n  password: {}: [x\n", c(8)),
            })
            .to_string(),
        ),
        (
            "truncated.json",
            format!("{{\"name\": \"harbor\", \"config\": {{\"secretKey\": \"{}", c(9)),
        ),
    ];
    let mut all = Vec::new();
    for (i, (name, text)) in cases.into_iter().enumerate() {
        let secret = c(i + 1);
        let file = s.write(&format!("malformed-{name}"), text);
        all.push(Input {
            name: "malformed --rendered",
            args: vec!["--rendered".into(), file.clone()],
            canaries: vec![secret.clone()],
            refused: true,
            ..Default::default()
        });
        all.push(Input {
            name: "malformed --deployed-manifests",
            args: Vec::new(),
            check_only: vec!["--deployed-manifests".into(), file],
            canaries: vec![secret],
            refused: true,
        });
    }
    all
}

/// Flux and Argo CD documents, the Argo CD `helm.values` string in every style.
fn document_inputs(s: &Scratch) -> Vec<Input> {
    let mut all = Vec::new();
    let c = |n: usize| canary(n);
    let flux = format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: harbor\nspec:\n  chart:\n    spec:\n      chart: harbor\n  values:\n{}",
        common::indent(&values_text(&|n| canary(40 + n)), 4)
    );
    all.push(Input {
        name: "Flux HelmRelease",
        args: vec![s.write("flux.yaml", flux)],
        canaries: (41..=49).map(canary).collect(),
        ..Default::default()
    });

    let argo_object = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    chart: harbor\n    helm:\n      valuesObject:\n{}",
        common::indent(&values_text(&|n| canary(50 + n)), 8)
    );
    all.push(Input {
        name: "Argo valuesObject",
        args: vec![s.write("argo-object.yaml", argo_object)],
        canaries: (51..=59).map(canary).collect(),
        ..Default::default()
    });

    let inner = format!(
        "secretKey: {}\nharborAdminPassword: {}\ncore:\n  extraEnvVars:\n  - name: DB_PASSWORD\n    value: {}\n",
        c(60),
        c(61),
        c(62)
    );
    let double = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    chart: harbor\n    helm:\n      values: {}\n",
        serde_json::to_string(&inner).unwrap()
    );
    all.push(Input {
        name: "Argo values double-quoted",
        args: vec![s.write("argo-double.yaml", double)],
        canaries: vec![c(60), c(61), c(62)],
        ..Default::default()
    });
    let single_inner = format!("secretKey: {}\n\nharborAdminPassword: {}", c(63), c(64));
    let single = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    chart: harbor\n    helm:\n      values: '{}'\n",
        single_inner.replace('\n', "\n\n        ")
    );
    all.push(Input {
        name: "Argo values single-quoted",
        args: vec![s.write("argo-single.yaml", single)],
        canaries: vec![c(63), c(64)],
        ..Default::default()
    });
    let json_app = serde_json::json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "spec": {"source": {"chart": "harbor", "helm": {"values": format!("secretKey: {}\ncore:\n  secret: {}\n", c(65), c(66))}}}
    });
    all.push(Input {
        name: "Argo JSON",
        args: vec![s.write(
            "argo.json",
            serde_json::to_string_pretty(&json_app).unwrap(),
        )],
        canaries: vec![c(65), c(66)],
        ..Default::default()
    });

    all
}

/// A Secret manifest (data, stringData, the last-applied annotation) beside the values file.
fn secret_manifest_input(s: &Scratch, file: String) -> Input {
    let c = |n: usize| canary(n);
    let upto = |n: usize| (1..=n).map(canary).collect::<Vec<_>>();
    let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: harbor-core\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{{\"data\":{{\"secretKey\":\"{}\"}}}}'\ndata:\n  secretKey: {}\n  secret: {}\n  tls.key: {}\nstringData:\n  CSRF_KEY: {}\n",
        b64(&c(70)),
        b64(&c(70)),
        b64(&c(71)),
        b64(&key("rsa2048.key")),
        c(72)
    );
    Input {
        name: "Secret manifest",
        args: vec![file, "--secret".into(), s.write("secret.yaml", manifest)],
        canaries: [
            upto(9),
            vec![
                c(70),
                c(71),
                c(72),
                key("rsa2048.key").lines().nth(3).unwrap().to_string(),
            ],
        ]
        .concat(),
        ..Default::default()
    }
}

/// Offline commands that read values or rendered streams, each with the output formats it
/// offers.
#[test]
fn every_values_command_every_format_every_input_kind() {
    let s = Scratch::new();
    for input in inputs(&s) {
        let mut commands: Vec<Vec<String>> = Vec::new();
        for format in ["text", "json", "sarif", "junit", "github", "markdown"] {
            let mut command = strings(&[
                "preflight",
                "check",
                "--to",
                "2.10.2",
                "-o",
                format,
                "--now",
                "2030-01-01T00:00:00Z",
            ]);
            command.extend(input.check_only.iter().cloned());
            commands.push(command);
        }
        for format in ["text", "json"] {
            commands.push(strings(&["keys", "inspect", "-o", format]));
        }
        commands.push(strings(&[
            "keys",
            "backup",
            "--out",
            &s.path().join("backup").to_string_lossy(),
        ]));
        for mut command in commands {
            command.extend(input.args.iter().cloned());
            let r = run_in(&s, &command);
            let what = format!("{} on {}", command[..2].join(" "), input.name);
            assert_clean(&what, &r, &input.canaries);
            if command[0] == "preflight" {
                // Judged, or refused with one error naming the input.
                if input.refused {
                    assert_eq!(r.status, 2, "{what}: {}\n{}", r.stdout, r.stderr);
                    assert!(r.stderr.starts_with("error: "), "{what}: {}", r.stderr);
                    assert!(r.stderr.contains("malformed-"), "{what}: {}", r.stderr);
                } else {
                    assert!(r.status <= 1, "{what}: {}\n{}", r.stdout, r.stderr);
                }
            }
        }
        // The editing commands take one values file and show a diff of it.
        if let Some(file) = input.args.first().filter(|a| !a.starts_with('-')) {
            for command in [
                strings(&["keys", "reset", "--dry-run", file]),
                strings(&["keys", "reset", "--dry-run", "--only", "token", file]),
                strings(&["keys", "rotate", "--dry-run", "--bits", "2048", file]),
            ] {
                let r = run_in(&s, &command);
                assert_clean(
                    &format!("{} on {}", command[..2].join(" "), input.name),
                    &r,
                    &input.canaries,
                );
            }
        }
    }
}

#[test]
fn rendered_inputs_are_judged_from_the_stream_they_hold() {
    // The matrix's rendered inputs reach the rules: the canary `secretKey` of the rendering is
    // not the live one, so every form reports `secret-key-changed` at the rendered Secret.
    let s = Scratch::new();
    for input in inputs(&s)
        .into_iter()
        .filter(|i| i.name.starts_with("rendered"))
    {
        let mut args = strings(&["preflight", "check", "-o", "json"]);
        args.extend(input.args.iter().cloned());
        args.extend(input.check_only.iter().cloned());
        let r = run_in(&s, &args);
        assert_eq!(r.status, 1, "{}: {}\n{}", input.name, r.stdout, r.stderr);
        let json = r.json();
        let found = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "secret-key-changed")
            .count();
        assert_eq!(found, 1, "{}: {}", input.name, r.stdout);
    }
}

#[test]
fn keys_reset_and_rollback_of_a_file_show_no_secret() {
    // The written edit and its undo: the rollback file holds the old secrets (mode 0600), the
    // output describes them.
    let s = Scratch::new();
    let canaries: Vec<String> = (1..=9).map(canary).collect();
    let file = s.write("values.yaml", values_text(&canary));
    let reset = run_in(&s, &strings(&["keys", "reset", &file]));
    assert_eq!(reset.status, 0, "{}\n{}", reset.stdout, reset.stderr);
    assert_clean("keys reset", &reset, &canaries);
    let rollback_file = std::fs::read_dir(s.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("rollback"))
        .expect("a rollback file");
    let rollback_file = rollback_file.to_string_lossy().into_owned();
    for command in [
        strings(&["keys", "rollback", &rollback_file, "--dry-run"]),
        strings(&["keys", "rollback", &rollback_file]),
    ] {
        let r = run_in(&s, &command);
        assert_eq!(r.status, 0, "{command:?}: {}\n{}", r.stdout, r.stderr);
        assert_clean(&command.join(" "), &r, &canaries);
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        values_text(&canary)
    );
}

/// Log lines in the shapes that reach `diagnose`, each behind a line a signature matches so
/// that it is shown as an example and in the snippet.
const LOG_LEAKS: &[&str] = &[
    r#"body {"username":"admin","password":"CANARY"}"#,
    r#"body {"secret": "CANARY"}"#,
    r#"env CONFIG_OVERWRITE_JSON={"oidc_client_secret":"CANARY","x":1}"#,
    r#"env CONFIG_OVERWRITE_JSON="{\"oidc_client_secret\":\"CANARY\"}""#,
    "dial postgres://harbor:CANARY@harbor-database:5432/registry",
    "dial redis://:CANARY@harbor-redis:6379/0",
    "get https://admin:CANARY@harbor.example.com/api",
    "redirect /c/oidc/callback?code=x&client_secret%3DCANARY%26scope",
    "config password: CANARY",
    "config password = CANARY",
    "config secretKey=CANARY",
    "config private_key=CANARY",
    "config access_key=CANARY",
    "config passphrase=CANARY",
    "header X-Harbor-CSRF-Token: CANARY",
    "header Cookie: sid=CANARY; _gorilla_csrf=CANARY",
    "header X-Registry-Auth: CANARY",
    "exec registry-cli --password CANARY --insecure",
    "exec registry-cli --password 'CANARY'",
];

#[test]
fn diagnose_masks_json_bodies_urls_keys_headers_and_flags() {
    // Regression: these shapes reached `diagnose` output unmasked.
    let s = Scratch::new();
    for (i, leak) in LOG_LEAKS.iter().enumerate() {
        let secret = canary(100 + i);
        let line = format!(
            "[pod/harbor-core-86f9b8c7d-aaaaa/core] 2024-02-01T09:01:00Z [ERROR] [/pkg/token/token.go:82]: parse token error, crypto/rsa: verification error, {}\n",
            leak.replace("CANARY", &secret)
        );
        let log = s.write(&format!("leak{i}.log"), &line);
        for format in ["text", "json", "sarif"] {
            let r = run_in(&s, &strings(&["diagnose", "--logs", &log, "-o", format]));
            assert_eq!(r.status, 1, "{leak}: {}\n{}", r.stdout, r.stderr);
            assert_clean(
                &format!("diagnose -o {format}: {leak}"),
                &r,
                std::slice::from_ref(&secret),
            );
        }
    }
}

#[test]
fn control_characters_from_keys_secret_names_and_logs_are_escaped() {
    // Regression: ESC, BEL, OSC hyperlinks and C1 characters from values keys, Secret names
    // and log lines reached stdout raw.
    let s = Scratch::new();
    let values = s.write(
        "values.yaml",
        "\"evil\\e]8;;http://x.invalid\\aclick\\e]8;;\\a\": 1\n\"c1\\x9b2J\": 2\ncore:\n  secretName: \"harbor-token\\e[2J\"\n",
    );
    let manifest = s.write(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: \"harbor-token\\e[2J\"\ndata:\n  tls.crt: eA==\n",
    );
    let log = s.write(
        "esc.log",
        "[pod/harbor-core-1/core] 2024-02-01T09:01:00Z [ERROR] [/pkg/token/token.go:82]: parse token error, crypto/rsa: verification error \x1b]8;;http://x\x07link\x1b]8;;\x07 \u{9b}31m\n",
    );
    let mut runs = Vec::new();
    for format in ["text", "json", "sarif"] {
        runs.push(run_in(
            &s,
            &strings(&[
                "preflight",
                "check",
                &values,
                "--secret",
                &manifest,
                "--to",
                "2.10.2",
                "-o",
                format,
            ]),
        ));
        runs.push(run_in(
            &s,
            &strings(&["diagnose", "--logs", &log, "-o", format]),
        ));
    }
    for format in ["text", "json"] {
        runs.push(run_in(
            &s,
            &strings(&[
                "keys", "inspect", &values, "--secret", &manifest, "-o", format,
            ]),
        ));
    }
    runs.push(run_in(
        &s,
        &strings(&[
            "preflight",
            "check",
            &values,
            "--color",
            "always",
            "--to",
            "2.10.2",
        ]),
    ));
    // The umbrella-chart hint on stderr names a key of the values.
    let umbrella = s.write(
        "umbrella.yaml",
        "\"sub\\e[2J\":\n  core: {}\n  expose: {}\n",
    );
    let hint = run_in(&s, &strings(&["preflight", "check", &umbrella]));
    assert!(
        hint.stderr.contains("--values-root sub\\u001b[2J"),
        "{}",
        hint.stderr
    );
    runs.push(hint);
    for r in &runs {
        assert_clean("control characters", r, &[]);
    }
    // The colour run keeps its own colour sequences and escapes the input's.
    let colour = &runs[runs.len() - 2];
    assert!(colour.stdout.contains("\x1b[1m\x1b[3"), "{}", colour.stdout);
}

#[test]
fn set_overriding_a_file_value_points_at_the_set_argument_and_never_prints_the_replaced_secret() {
    // Regression: the finding pointed at the file's line and printed it with the old secret.
    let s = Scratch::new();
    let file = s.write("values.yaml", "core:\n  xsrfKey: \"Cnry00fileValue1\"\n");
    let args = |format: &str| {
        strings(&[
            "preflight",
            "check",
            &file,
            "--set",
            "core.xsrfKey=Cnry00setValue2",
            "--to",
            "2.10.2",
            "-o",
            format,
        ])
    };
    let text = run_in(&s, &args("text"));
    assert!(text.stdout.contains("--> --set:1:14"), "{}", text.stdout);
    let json = run_in(&s, &args("json")).json();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "xsrf-key-length")
        .expect("xsrf-key-length")
        .clone();
    assert_eq!(finding["location"]["file"], "--set");
    assert_eq!(finding["location"]["column"], 14);
    let inspect = run_in(
        &s,
        &strings(&[
            "keys",
            "inspect",
            &file,
            "--set",
            "core.xsrfKey=Cnry00setValue2",
        ]),
    );
    assert!(
        inspect.stdout.contains("(--set:1:14)"),
        "{}",
        inspect.stdout
    );
    for r in [&text, &inspect] {
        assert_clean(
            "--set override",
            r,
            &["Cnry00fileValue1".into(), "Cnry00setValue2".into()],
        );
    }
}

#[test]
fn argo_values_as_one_quoted_string_is_masked() {
    // Regression: the text output printed the `helm.values` line unmasked.
    let s = Scratch::new();
    for input in inputs(&s)
        .into_iter()
        .filter(|i| i.name.starts_with("Argo values") || i.name == "Argo JSON")
    {
        let mut args = strings(&["preflight", "check", "--to", "2.10.2"]);
        args.extend(input.args.clone());
        let r = run_in(&s, &args);
        assert!(
            r.stdout.contains("<redacted>"),
            "{}: {}",
            input.name,
            r.stdout
        );
        assert_clean(input.name, &r, &input.canaries);
    }
}

#[test]
fn unknown_keys_and_diffs_mask_secrets_outside_the_catalogue() {
    // Regression: `values-key-unknown` showed a `dsn` with `user:PW@`, and diffs showed an
    // `extraEnvVars` password and a `passphrase:` as context.
    let s = Scratch::new();
    let file = s.write(
        "values.yaml",
        "core:\n  dsn: postgres://u:Cnry00dsnPass@db/x\n  extraEnvVars:\n  - name: S3_PASSWORD\n    value: Cnry00envPass\n  passphrase: Cnry00phrase\n  secret: abcdefghijklmnop\n",
    );
    let check = run_in(
        &s,
        &strings(&["preflight", "check", &file, "--to", "2.10.2"]),
    );
    assert!(
        check.stdout.contains("values-key-unknown"),
        "{}",
        check.stdout
    );
    let reset = run_in(&s, &strings(&["keys", "reset", "--dry-run", &file]));
    assert!(
        reset.stdout.contains("name: S3_PASSWORD"),
        "{}",
        reset.stdout
    );
    for r in [&check, &reset] {
        assert_clean(
            "outside the catalogue",
            r,
            &[
                "Cnry00dsnPass".into(),
                "Cnry00envPass".into(),
                "Cnry00phrase".into(),
                "abcdefghijklmnop".into(),
            ],
        );
    }
}

#[test]
fn error_paths_never_quote_a_secret() {
    let s = Scratch::new();
    let cases = [
        (
            "malformed YAML",
            "secretKey: Cnry00yamlSecret\n  bad: [indent\n",
        ),
        ("tab indent", "core:\n\tsecret: Cnry00yamlSecret\n"),
        (
            "duplicate key",
            "harborAdminPassword: Cnry00yamlSecret\nharborAdminPassword: Cnry00yamlSecret\n",
        ),
        ("not a map", "- password=Cnry00yamlSecret\n"),
    ];
    for (what, text) in cases {
        let file = s.write("bad.yaml", text);
        for command in [
            strings(&["preflight", "check", &file]),
            strings(&["keys", "inspect", &file]),
            strings(&["keys", "reset", "--dry-run", &file]),
            strings(&["preflight", "check", "--secret", &file]),
        ] {
            let r = run_in(&s, &command);
            assert_clean(what, &r, &["Cnry00yamlSecret".into()]);
        }
    }
    for set in [
        "secretKey=Cnry00yamlSecret,",
        "a[x]=Cnry00yamlSecret",
        "password=Cnry00yamlSecret,b",
    ] {
        let r = run_in(&s, &strings(&["preflight", "check", "--set", set]));
        assert_clean(set, &r, &["Cnry00yamlSecret".into()]);
    }
    let manifest = s.write(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  secretKey: Cnry00yamlSecret!!\n",
    );
    let r = run_in(&s, &strings(&["keys", "inspect", "--secret", &manifest]));
    assert_clean("bad base64", &r, &["Cnry00yamlSecret".into()]);
}

/// Kubeconfigs that fail in the ways kube-rs quotes.
fn bad_kubeconfigs(s: &Scratch) -> Vec<(&'static str, String)> {
    let user_token = "Cnry00kubeToken";
    vec![
        (
            "malformed",
            s.write(
                "kc-malformed.yaml",
                format!("apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: {user_token}\n   bad: [indent\n"),
            ),
        ),
        (
            "wrong type",
            s.write(
                "kc-type.yaml",
                format!("apiVersion: v1\nkind: Config\nclusters: \"{user_token}\"\n"),
            ),
        ),
        (
            "exec plugin",
            s.write(
                "kc-exec.yaml",
                "apiVersion: v1\nkind: Config\nclusters:\n- cluster: {server: \"https://127.0.0.1:1\"}\n  name: c\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: sh\n      args: [\"-c\", \"echo Cnry00execOut; echo Cnry00execErr >&2; exit 3\", \"--token\", \"Cnry00execArg\"]\ncontexts:\n- context: {cluster: c, user: u}\n  name: x\ncurrent-context: x\n",
            ),
        ),
        (
            "URL password",
            s.write(
                "kc-url.yaml",
                format!("apiVersion: v1\nkind: Config\nclusters:\n- cluster: {{server: \"https://admin:Cnry00urlPass@127.0.0.1:1\"}}\n  name: c\nusers:\n- name: u\n  user:\n    token: {user_token}\ncontexts:\n- context: {{cluster: c, user: u}}\n  name: x\ncurrent-context: x\n"),
            ),
        ),
    ]
}

fn kube_canaries() -> Vec<String> {
    [
        "Cnry00kubeToken",
        "Cnry00execOut",
        "Cnry00execErr",
        "Cnry00execArg",
        "Cnry00urlPass",
    ]
    .iter()
    .map(ToString::to_string)
    .collect()
}

#[test]
fn kubeconfig_errors_never_quote_tokens_plugin_args_or_url_passwords() {
    // Regression: a malformed kubeconfig was quoted with its `token:`, a failing exec plugin's
    // arguments and stdout were printed, and `https://user:PASSWORD@host` server URLs too.
    let s = Scratch::new();
    let backup_dir = s.path().join("no-backup");
    let backup = backup_dir.to_string_lossy().into_owned();
    for (what, kubeconfig) in bad_kubeconfigs(&s) {
        for command in [
            strings(&["preflight", "check", "--release", "harbor", "-o", "json"]),
            strings(&["preflight", "check", "--release", "harbor"]),
            strings(&["keys", "inspect", "--release", "harbor"]),
            strings(&["keys", "backup", "--release", "harbor", "--out", &backup]),
            strings(&["diagnose", "--release", "harbor", "-o", "sarif"]),
            strings(&["clock", "check", "--release", "harbor"]),
        ] {
            let mut args = command.clone();
            args.extend(strings(&["--kubeconfig", &kubeconfig, "-n", NS]));
            let r = run_in(&s, &args);
            assert_eq!(r.status, 2, "{what} {command:?}: {}", r.stderr);
            assert!(r.stderr.starts_with("error: "), "{what}: {}", r.stderr);
            assert_clean(&format!("{what} {command:?}"), &r, &kube_canaries());
        }
    }
}

#[test]
fn cluster_unreachable_is_one_line_naming_the_server() {
    // Regression: "cannot find the Harbor release … name it with `--release`" plus five
    // `caused by:` lines.
    let s = Scratch::new();
    let (_, kubeconfig) = bad_kubeconfigs(&s).remove(3);
    for command in [
        strings(&["preflight", "check"]),
        strings(&["preflight", "check", "--release", "harbor"]),
        strings(&["keys", "inspect"]),
    ] {
        let mut args = command;
        args.extend(strings(&["--kubeconfig", &kubeconfig]));
        let r = run_in(&s, &args);
        assert_eq!(r.status, 2, "{}", r.stderr);
        let lines: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| !l.starts_with("note:"))
            .collect();
        assert_eq!(lines.len(), 1, "{}", r.stderr);
        assert!(
            lines[0].starts_with("error: cannot reach the API server https://127.0.0.1:1 ")
                && lines[0].ends_with(": connection refused"),
            "{}",
            r.stderr
        );
        assert_clean("unreachable", &r, &kube_canaries());
    }
}

#[test]
fn no_kubeconfig_has_no_redundant_causes() {
    // Regression: "environment variable not found" causes under the message.
    let s = Scratch::new();
    let r = run_in(&s, &strings(&["keys", "inspect", "--release", "harbor"]));
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("no kubeconfig found"), "{}", r.stderr);
    assert!(!r.stderr.contains("environment variable"), "{}", r.stderr);
}

/// The cluster commands against the test API server: the live Secrets, the Helm release record
/// and a backup of them hold the fixtures' secrets, the values the canaries.
#[test]
fn cluster_commands_and_backups_show_no_secret() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let mut canaries: Vec<String> = secret_values()
        .iter()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    canaries.extend((1..=9).map(canary));
    let values = s.write("values.yaml", values_text(&canary));
    let out = s.path().join("backup");
    let out = out.to_string_lossy().into_owned();
    let backup = run_with(
        &kubeconfig,
        s.path(),
        &["keys", "backup", "--release", "harbor", "--out", &out],
    );
    assert_eq!(backup.status, 0, "{}\n{}", backup.stdout, backup.stderr);
    assert_clean("keys backup", &backup, &canaries);
    // The backup is the folder `--out` names.
    assert!(std::path::Path::new(&out).join("manifest.json").is_file());
    let bundle = out.clone();
    // Change the live Secrets, so that diff and restore have differences to describe.
    install(
        &server,
        "harbor",
        &serde_json::json!({"secretKey": canary(10)}),
        "other-rsa2048.key",
        "other-rsa2048.crt",
    );
    canaries.push(canary(10));
    let mut runs = vec![
        (
            "keys diff",
            run_with(&kubeconfig, s.path(), &["keys", "diff", &bundle]),
        ),
        (
            "keys restore --dry-run",
            run_with(
                &kubeconfig,
                s.path(),
                &["keys", "restore", &bundle, "--dry-run"],
            ),
        ),
        (
            "keys restore --dry-run --policy update",
            run_with(
                &kubeconfig,
                s.path(),
                &[
                    "keys",
                    "restore",
                    &bundle,
                    "--dry-run",
                    "--policy",
                    "update",
                ],
            ),
        ),
    ];
    for format in ["text", "json", "sarif"] {
        runs.push((
            "preflight check with the cluster",
            run_with(
                &kubeconfig,
                s.path(),
                &[
                    "preflight",
                    "check",
                    &values,
                    "--to",
                    "2.10.2",
                    "-o",
                    format,
                    "--now",
                    "2030-01-01T00:00:00Z",
                ],
            ),
        ));
    }
    for format in ["text", "json"] {
        runs.push((
            "keys inspect with the cluster",
            run_with(&kubeconfig, s.path(), &["keys", "inspect", "-o", format]),
        ));
    }
    // The backup is read and judged (not refused).
    for (what, r) in &runs[..3] {
        assert!(r.status <= 1, "{what}: {}\n{}", r.stdout, r.stderr);
    }
    runs.extend(verify_runs(&server, &kubeconfig, s.path(), &bundle));
    for (what, r) in &runs {
        assert_clean(what, r, &canaries);
    }
    let _ = ApiServer::url;
}

/// `verify` after the change: the rollout done, the live Secrets against the backup, in every
/// format.
fn verify_runs(
    server: &ApiServer,
    kubeconfig: &std::path::Path,
    home: &std::path::Path,
    bundle: &str,
) -> Vec<(&'static str, Run)> {
    support::rollout::settle_all(&mut server.state(), NS);
    let mut runs = Vec::new();
    for format in ["text", "json", "sarif", "junit", "github", "markdown"] {
        let r = run_with(
            kubeconfig,
            home,
            &[
                "verify",
                "--release=harbor",
                "--backup",
                bundle,
                "--wait",
                "5s",
                "-o",
                format,
            ],
        );
        assert!(
            r.status <= 1,
            "verify -o {format}: {}\n{}",
            r.stdout,
            r.stderr
        );
        runs.push(("verify", r));
    }
    runs
}

// ---------------------------------------------------------------------------------------------
// `verify` and `upgrade`, where they print.

/// The chart of `version` unpacked into `dir/harbor`, to be edited by the test.
fn unpacked_chart(version: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let tgz = support::helm::chart(version).expect("chart checked at start");
    let file = std::fs::File::open(tgz).expect("chart archive");
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(dir)
        .expect("unpack chart");
    dir.join("harbor")
}

/// `upgrade` of release `harbor` (chart 1.12.4 installed) to `chart` with `values`.
fn upgrade_to(cluster: &HelmCluster, chart: &std::path::Path, values: &[&str]) -> Run {
    let bin = format!("--helm={}", cluster.helm.bin.display());
    let chart = chart.to_string_lossy().into_owned();
    let bundle = cluster.path().join("bundle");
    let out = format!("--backup-out={}", bundle.display());
    let mut args = vec![
        "upgrade",
        bin.as_str(),
        out.as_str(),
        "--verify-wait=20s",
        "--skip-clock",
        "harbor",
        chart.as_str(),
        "-n",
        NS,
    ];
    for v in values {
        args.extend_from_slice(&["-f", v]);
    }
    cluster.tool(&args)
}

/// Helm's own messages, relayed by `upgrade` (the dry run's error, the `helm: …` lines of the
/// real upgrade), quote values: a schema error prints the value that does not match (Helm 4),
/// and a chart's NOTES may print any value. None of them may reach the output.
fn helm_output_relayed(test: &str, major: u32) {
    let Some(cluster) = HelmCluster::start(test, major, &["1.12.4", "1.14.2"]) else {
        return;
    };
    let base = cluster.write(
        "values.yaml",
        serde_json::to_string_pretty(&support::harbor::deployed_values()).unwrap(),
    );
    cluster.deploy("install", "harbor", "1.12.4", &[&base]);
    let c = |n: usize| canary(300 + n);

    // The dry run fails on the chart's schema: Helm 4 quotes the value, Helm 3 does not.
    let schema_dir = cluster.path().join("schema");
    let schema_chart = unpacked_chart("1.14.2", &schema_dir);
    std::fs::write(
        schema_chart.join("values.schema.json"),
        r#"{"type": "object", "properties": {"secretKey": {"type": "string", "pattern": "^[0-9a-f]{16}$"}}}"#,
    )
    .unwrap();
    let bad = cluster.write(
        "bad.yaml",
        format!("secretKey: {}\nharborAdminPassword: {}\n", c(1), c(2)),
    );
    let r = upgrade_to(&cluster, &schema_chart, &[&base, &bad]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("step 1 (helm upgrade --dry-run=server) failed")
            && r.stderr.contains("match pattern"),
        "{}",
        r.stderr
    );
    assert_clean("upgrade: the dry run's schema error", &r, &[c(1), c(2)]);
    assert_eq!(cluster.records("harbor"), vec![(1, "deployed".into())]);

    // The real upgrade goes through; the chart's NOTES print the admin password and the
    // Redis URL with its password, and `upgrade` relays them as `helm: …` lines.
    let notes_dir = cluster.path().join("notes");
    let notes_chart = unpacked_chart("1.14.2", &notes_dir);
    let notes = notes_chart.join("templates/NOTES.txt");
    let mut notes_text = std::fs::read_to_string(&notes).unwrap();
    notes_text.push_str("Log in as admin with {{ .Values.harborAdminPassword }}\nRedis: redis://:{{ .Values.redis.external.password }}@redis:6379\nDatabase password {{ .Values.database.internal.password | quote }}\n");
    std::fs::write(&notes, notes_text).unwrap();
    let mut v = support::harbor::deployed_values();
    v["harborAdminPassword"] = serde_json::json!(c(3));
    v["redis"]["external"]["password"] = serde_json::json!(c(4));
    let secrets = cluster.write("secrets.yaml", serde_json::to_string_pretty(&v).unwrap());
    let mut canaries = vec![c(3), c(4)];
    canaries.extend(
        support::harbor::secret_values()
            .iter()
            .map(|v| String::from_utf8_lossy(v).into_owned()),
    );
    let r = upgrade_to(&cluster, &notes_chart, &[&secrets]);
    assert!(
        r.stderr.contains("helm: Log in as admin with"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert_clean("upgrade: Helm's NOTES", &r, &canaries);
    assert_eq!(cluster.records("harbor").len(), 2, "{}", r.stderr);
}

#[test]
fn helm4_output_relayed_by_upgrade_never_carries_a_value_secret() {
    helm_output_relayed(
        "helm4_output_relayed_by_upgrade_never_carries_a_value_secret",
        4,
    );
}

#[test]
fn helm3_output_relayed_by_upgrade_never_carries_a_value_secret() {
    helm_output_relayed(
        "helm3_output_relayed_by_upgrade_never_carries_a_value_secret",
        3,
    );
}
