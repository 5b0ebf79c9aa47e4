//! `keys reset`, `keys rollback`, `keys rotate` and `keys generate`, through the real binary.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use common::{indent, key, run, testdata, token_values, Scratch};

/// Lines of a PEM text long enough to be unmistakable if they leaked into output.
fn secret_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .map(str::to_string)
        .collect()
}

fn assert_no_secret(output: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!output.contains(s.as_str()), "secret leaked: {output}");
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const INTERNAL: &str = "  secret: Cr5tW8nQ1zX6vB3y # core\n  xsrfKey: \"p0W7eR4tY1uI8oP3aS6dF9gH2jK5lZ0x\"\njobservice:\n  secret: 'Jb4s9QxT2mV7cW1e'\nregistry:\n  secret: Rg7hK2pL9xQ4mZ8a\n";

fn full_values() -> String {
    format!(
        "# Harbor values\nsecretKey: \"Zx81kQp2mW7vT4aB\"\nharborAdminPassword: Harbor12345\n{}{INTERNAL}database:\n  internal:\n    password: s3cure-Db-pass\n",
        token_values("rsa2048.key", "rsa2048.crt")
    )
}

fn all_secrets() -> Vec<String> {
    let mut s = secret_lines(&key("rsa2048.key"));
    s.extend(
        [
            "Cr5tW8nQ1zX6vB3y",
            "p0W7eR4tY1uI8oP3aS6dF9gH2jK5lZ0x",
            "Jb4s9QxT2mV7cW1e",
            "Rg7hK2pL9xQ4mZ8a",
            "Zx81kQp2mW7vT4aB",
            "s3cure-Db-pass",
        ]
        .map(String::from),
    );
    s
}

#[test]
fn reset_dry_run_shows_a_masked_diff_and_writes_nothing() {
    let s = Scratch::new();
    let v = s.write("values.yaml", full_values());
    let r = run(&["keys", "reset", &v, "--dry-run"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("--- "), "{}", r.stdout);
    assert!(r.stdout.contains("+++ "), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("-    <redacted: RSA private key, 27 lines, sha256:"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("+  tokenKey: \"\""), "{}", r.stdout);
    assert!(r.stdout.contains("+  secret: \"\" # core"), "{}", r.stdout);
    assert!(r.stdout.contains("dry run: nothing written"));
    assert!(r.stdout.contains("would blank:"));
    for refused in [
        "`secretKey`",
        "`database.internal.password`",
        "`harborAdminPassword`",
    ] {
        assert!(
            r.stdout
                .lines()
                .any(|l| l.starts_with("left alone: ") && l.contains(refused)),
            "{refused}: {}",
            r.stdout
        );
    }
    assert_no_secret(&r.stdout, &all_secrets());
    assert_no_secret(&r.stderr, &all_secrets());
    assert_eq!(files(s.path()), ["values.yaml"]);
    assert_eq!(std::fs::read_to_string(&v).unwrap(), full_values());
}

#[test]
fn show_secrets_unmasks_the_diff() {
    let s = Scratch::new();
    let v = s.write("values.yaml", full_values());
    let r = run(&["keys", "reset", &v, "--dry-run", "--show-secrets"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Cr5tW8nQ1zX6vB3y"));
    assert!(r.stdout.contains(&secret_lines(&key("rsa2048.key"))[0]));
}

#[test]
fn reset_then_rollback_restores_the_file_byte_for_byte() {
    let s = Scratch::new();
    // CRLF, a BOM and no final newline must all survive.
    let original = format!("\u{feff}{}", full_values().replace('\n', "\r\n"));
    let original = original.trim_end().to_string();
    let v = s.write("values.yaml", &original);
    std::fs::set_permissions(&v, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = run(&["keys", "reset", &v]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_no_secret(&r.stdout, &all_secrets());
    assert_no_secret(&r.stderr, &all_secrets());
    let rollback = s.path().join("values.rollback.yaml");
    assert_eq!(mode(&rollback), 0o600);
    assert_eq!(mode(Path::new(&v)), 0o640);
    let reset = std::fs::read_to_string(&v).unwrap();
    assert!(reset.starts_with('\u{feff}'));
    assert!(!reset.ends_with('\n'));
    assert_eq!(reset.matches('\n').count(), reset.matches("\r\n").count());
    assert!(reset.contains("\r\n  tokenKey: \"\"\r\n  tokenCert: \"\"\r\n"));
    assert!(reset.contains("secretKey: \"Zx81kQp2mW7vT4aB\""));
    // Nothing left: a second reset says so and writes nothing.
    let r = run(&["keys", "reset", &v]);
    assert_eq!(r.status, 0);
    assert!(r.stdout.contains("nothing to blank"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(&v).unwrap(), reset);
    assert_eq!(files(s.path()), ["values.rollback.yaml", "values.yaml"]);
    // The rollback file restores the original bytes.
    let rb = rollback.to_string_lossy().into_owned();
    let r = run(&["keys", "rollback", &rb, "--dry-run"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_no_secret(&r.stdout, &all_secrets());
    assert_eq!(std::fs::read_to_string(&v).unwrap(), reset);
    let r = run(&["keys", "rollback", &rb]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_no_secret(&r.stdout, &all_secrets());
    assert_eq!(std::fs::read_to_string(&v).unwrap(), original);
    assert_eq!(mode(Path::new(&v)), 0o640);
    // Once more: nothing to do.
    let r = run(&["keys", "rollback", &rb]);
    assert_eq!(r.status, 0);
    assert!(r.stdout.contains("nothing to do"), "{}", r.stdout);
}

#[test]
fn rollback_file_is_a_helm_overlay_with_metadata_in_comments() {
    let s = Scratch::new();
    let v = s.write("values.yaml", full_values());
    let r = run(&["keys", "reset", &v, "--only", "internal"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(s.path().join("values.rollback.yaml")).unwrap();
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| [l, "\n"])
        .collect();
    assert_eq!(
        body,
        "core:\n  secret: \"Cr5tW8nQ1zX6vB3y\"\n  xsrfKey: \"p0W7eR4tY1uI8oP3aS6dF9gH2jK5lZ0x\"\njobservice:\n  secret: \"Jb4s9QxT2mV7cW1e\"\nregistry:\n  secret: \"Rg7hK2pL9xQ4mZ8a\"\n"
    );
    let rollback_path = s.path().join("values.rollback.yaml");
    assert!(
        text.contains(&format!(
            "#   harbor-upgrade keys rollback {}\n",
            rollback_path.display()
        )),
        "{text}"
    );
    for field in [
        "values-file: /",
        "sha256-before: ",
        "sha256-after: ",
        "time: ",
        "tool: harbor-upgrade ",
    ] {
        assert!(text.contains(&format!("# {field}")), "{field}");
    }
    // The token pair was not touched with --only internal.
    assert!(std::fs::read_to_string(&v)
        .unwrap()
        .contains("BEGIN RSA PRIVATE KEY"));
    // A second reset never overwrites the first rollback file.
    let r = run(&["keys", "reset", &v, "--only", "token"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(
        files(s.path()),
        [
            "values.rollback.1.yaml",
            "values.rollback.yaml",
            "values.yaml"
        ]
    );
    // An explicit rollback file that exists is refused.
    let v2 = s.write("v2.yaml", full_values());
    let r = run(&[
        "keys",
        "reset",
        &v2,
        "--rollback-file",
        &s.path().join("values.rollback.yaml").to_string_lossy(),
    ]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&v2).unwrap(), full_values());
}

#[test]
fn rollback_refuses_a_changed_file_unless_forced() {
    let s = Scratch::new();
    let v = s.write("values.yaml", full_values());
    assert_eq!(run(&["keys", "reset", &v]).status, 0);
    let rb = s.path().join("values.rollback.yaml");
    let rb = rb.to_string_lossy();
    let changed = std::fs::read_to_string(&v)
        .unwrap()
        .replace("# Harbor values", "# Harbor values, edited since");
    std::fs::write(&v, &changed).unwrap();
    let r = run(&["keys", "rollback", &rb]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("changed since"), "{}", r.stderr);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&v).unwrap(), changed);
    let r = run(&["keys", "rollback", &rb, "--force"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_no_secret(&r.stdout, &all_secrets());
    let restored = std::fs::read_to_string(&v).unwrap();
    assert!(restored.starts_with("# Harbor values, edited since\n"));
    assert!(
        restored.contains("  secret: \"Cr5tW8nQ1zX6vB3y\" # core\n"),
        "{restored}"
    );
    assert!(
        restored.contains(&indent(&key("rsa2048.key"), 4)),
        "{restored}"
    );
    let check = common::check_values(&restored, &[]);
    assert!(check.findings("token-pair-mismatch").is_empty());
}

#[test]
fn reset_warns_when_an_existing_secret_wins() {
    let s = Scratch::new();
    let v = s.write(
        "values.yaml",
        format!(
            "{}  secretName: harbor-token\n  existingSecret: harbor-core-secret\n  secret: Cr5tW8nQ1zX6vB3y\n",
            token_values("rsa2048.key", "rsa2048.crt")
        ),
    );
    let r = run(&["keys", "reset", &v, "--dry-run"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: `core.secretName` is set"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("warning: `core.existingSecret` is set"),
        "{}",
        r.stderr
    );
}

#[test]
fn nothing_to_blank_exits_zero_and_writes_nothing() {
    let s = Scratch::new();
    let v = s.write("values.yaml", "core:\n  secret: \"\"\n  tokenKey: |\n");
    let r = run(&["keys", "reset", &v]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("nothing to blank"), "{}", r.stdout);
    assert_eq!(files(s.path()), ["values.yaml"]);
}

#[test]
fn bad_input_is_one_error_line_naming_the_file_and_writes_nothing() {
    let s = Scratch::new();
    let missing = s.path().join("missing.yaml");
    let malformed = s.write("bad.yaml", "core:\n  secret: \"unterminated\n");
    let not_scalar = s.write("map.yaml", "core:\n  tokenKey:\n    nested: 1\n");
    for (file, expect) in [
        (missing.to_string_lossy().into_owned(), "missing.yaml"),
        (malformed.clone(), "bad.yaml:"),
        (not_scalar.clone(), "map.yaml:3:5"),
    ] {
        for cmd in ["reset", "rotate"] {
            let mut args = vec!["keys", cmd, file.as_str()];
            if cmd == "rotate" {
                args.extend(["--bits", "2048"]);
            }
            let r = run(&args);
            assert_eq!(r.status, 2, "{args:?}: {}", r.stderr);
            let first = r.stderr.lines().next().unwrap_or_default();
            assert!(
                first.starts_with("error: ") && first.contains(expect),
                "{args:?}: {}",
                r.stderr
            );
            assert!(!r.stderr.contains("unterminated"), "{}", r.stderr);
        }
    }
    assert_eq!(files(s.path()), ["bad.yaml", "map.yaml"]);
    let r = run(&["keys", "rollback", &malformed]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr.contains("not a harbor-upgrade rollback file"),
        "{}",
        r.stderr
    );
}

#[test]
fn read_only_file_is_refused() {
    // Tests may run as root, which could write a 0444 file: the mode itself is the refusal.
    let s = Scratch::new();
    let v = s.write("values.yaml", full_values());
    std::fs::set_permissions(&v, std::fs::Permissions::from_mode(0o444)).unwrap();
    let r = run(&["keys", "reset", &v]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&v).unwrap(), full_values());
    assert_eq!(files(s.path()), ["values.yaml"]);
    let r = run(&["keys", "rotate", &v, "--bits", "2048"]);
    assert_eq!(r.status, 2);
    assert_eq!(files(s.path()), ["values.yaml"]);
}

#[test]
fn a_symlinked_file_is_edited_at_its_target() {
    let s = Scratch::new();
    std::fs::create_dir(s.path().join("real")).unwrap();
    let target = s.path().join("real/values.yaml");
    std::fs::write(&target, full_values()).unwrap();
    let link = s.path().join("values.yaml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let r = run(&["keys", "reset", &link.to_string_lossy()]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("tokenKey: \"\""));
    let rb = s.path().join("values.rollback.yaml");
    assert!(rb.exists());
    let r = run(&["keys", "rollback", &rb.to_string_lossy()]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), full_values());
}

#[test]
fn flux_release_and_umbrella_values() {
    let s = Scratch::new();
    let flux = format!(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: harbor\nspec:\n  chart:\n    spec:\n      chart: harbor\n  values:\n{}",
        indent(&format!("core:\n{INTERNAL}"), 4)
    );
    let v = s.write("release.yaml", &flux);
    let r = run(&["keys", "reset", &v]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let out = std::fs::read_to_string(&v).unwrap();
    assert!(
        out.contains("    core:\n      secret: \"\" # core\n"),
        "{out}"
    );
    let rb = std::fs::read_to_string(s.path().join("release.rollback.yaml")).unwrap();
    assert!(rb.contains("# values-at: spec.values"), "{rb}");
    assert!(
        rb.contains("\ncore:\n  secret: \"Cr5tW8nQ1zX6vB3y\"\n"),
        "{rb}"
    );

    let umbrella = format!("harbor:\n{}", indent(&format!("core:\n{INTERNAL}"), 2));
    let v = s.write("umbrella.yaml", &umbrella);
    let r = run(&["keys", "reset", &v, "--values-root", "harbor"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let rb = std::fs::read_to_string(s.path().join("umbrella.rollback.yaml")).unwrap();
    assert!(
        rb.contains("\nharbor:\n  core:\n    secret: \"Cr5tW8nQ1zX6vB3y\"\n"),
        "{rb}"
    );
    let r = run(&[
        "keys",
        "rollback",
        &s.path().join("umbrella.rollback.yaml").to_string_lossy(),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&v).unwrap(), umbrella);
}

#[test]
fn rotate_writes_a_pair_that_passes_every_token_rule() {
    let s = Scratch::new();
    // The demo: a PKCS#8 key with a certificate from another key.
    let demo = std::fs::read_to_string(testdata("demo/values.yaml")).unwrap();
    let v = s.write("values.yaml", &demo);
    let before = common::run(&["preflight", "check", &v, "-o", "json"]);
    assert!(!before.findings("token-key-not-pkcs1").is_empty());
    let old_key = secret_lines(
        demo.split("tokenKey: |")
            .nth(1)
            .unwrap()
            .split("tokenCert")
            .next()
            .unwrap(),
    );
    let r = run(&["keys", "rotate", &v, "--bits", "2048", "--days", "365"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("<redacted: RSA private key"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("PRIVATE KEY-----"), "{}", r.stdout);
    assert_no_secret(&r.stdout, &old_key);
    let rotated = std::fs::read_to_string(&v).unwrap();
    assert!(rotated.contains("  tokenKey: |\n    -----BEGIN RSA PRIVATE KEY-----\n"));
    let new_key = secret_lines(rotated.split("tokenKey: |").nth(1).unwrap());
    assert_no_secret(&r.stdout, &new_key);
    assert_no_secret(&r.stderr, &new_key);
    let after = common::run(&["preflight", "check", &v, "-o", "json", "--fail-on", "never"]);
    assert_eq!(after.status, 0, "{}", after.stderr);
    let token: Vec<_> = after.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap_or_default().starts_with("token-"))
        .filter(|f| f["severity"] != "info")
        .cloned()
        .collect();
    assert!(token.is_empty(), "{token:?}");
    // Everything else in the file is untouched.
    let outside = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with("    ") && !l.contains("token"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(outside(&rotated), outside(&demo));
    // And it rolls back.
    let r = run(&[
        "keys",
        "rollback",
        &s.path().join("values.rollback.yaml").to_string_lossy(),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&v).unwrap(), demo);
}

#[test]
fn rotate_into_values_without_token_keys_and_openssl_agrees() {
    let s = Scratch::new();
    let v = s.write(
        "values.yaml",
        "expose:\n  type: ingress\ncore:\n  replicas: 1\n",
    );
    let r = run(&["keys", "rotate", &v, "--bits", "2048"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&v).unwrap();
    assert!(text.starts_with("expose:\n  type: ingress\ncore:\n  replicas: 1\n  tokenKey: |\n"));
    let block = |name: &str| {
        let begin = format!("-----BEGIN {name}-----");
        let end = format!("-----END {name}-----");
        let from = text.find(&begin).unwrap();
        let to = text.find(&end).unwrap() + end.len();
        text[from..to]
            .lines()
            .flat_map(|l| [l.trim(), "\n"])
            .collect::<String>()
    };
    let key = block("RSA PRIVATE KEY");
    let cert = block("CERTIFICATE");
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        common::skip("the openssl comparison: openssl is not installed");
        return;
    }
    let key_file = s.write("tls.key", &key);
    let cert_file = s.write("tls.crt", &cert);
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let from_cert = openssl(&["x509", "-in", &cert_file, "-noout", "-pubkey"]);
    let from_key = openssl(&["rsa", "-in", &key_file, "-pubout"]);
    assert_eq!(from_cert, from_key);
    let text = openssl(&["x509", "-in", &cert_file, "-noout", "-text"]);
    assert!(
        text.contains("CN=harbor-token-ca") || text.contains("CN = harbor-token-ca"),
        "{text}"
    );
    assert!(text.contains("CA:TRUE"), "{text}");
    assert!(
        text.contains("Digital Signature, Key Encipherment, Certificate Sign"),
        "{text}"
    );
}

#[test]
fn rotate_uses_4096_bits_by_default() {
    let s = Scratch::new();
    let v = s.write(
        "values.yaml",
        "core:\n  tokenKey: \"\"\n  tokenCert: \"\"\n",
    );
    let r = run(&["keys", "rotate", &v, "--dry-run"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("RSA 4096-bit"), "{}", r.stdout);
    assert!(r.stdout.contains("dry run: nothing written"));
    assert_eq!(files(s.path()), ["values.yaml"]);
}

#[test]
fn generate_prints_a_tls_secret_and_hints_at_out() {
    let r = run(&[
        "keys",
        "generate",
        "--secret-name",
        "harbor-token",
        "-n",
        "harbor",
        "--bits",
        "2048",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("apiVersion: v1\nkind: Secret\nmetadata:\n  name: harbor-token\n  namespace: harbor\ntype: kubernetes.io/tls\ndata:\n  tls.crt: "));
    assert!(r.stdout.contains("\n  tls.key: "));
    assert!(r.stderr.contains("--out"), "{}", r.stderr);
    // It reads back as a Secret whose pair passes the token rules.
    let s = Scratch::new();
    let secret = s.write("secret.yaml", &r.stdout);
    let check = run(&[
        "preflight",
        "check",
        "--secret",
        &secret,
        "--set",
        "core.secretName=harbor-token",
        "-o",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(check.status, 0, "{}", check.stderr);
    for rule in [
        "token-key-not-pkcs1",
        "token-pair-mismatch",
        "token-key-invalid",
        "token-cert-invalid",
    ] {
        assert!(check.findings(rule).is_empty(), "{rule}: {}", check.stdout);
    }
}

#[test]
fn generate_out_is_private_and_never_overwritten() {
    let s = Scratch::new();
    let out = s.path().join("secret.yaml");
    let out_s = out.to_string_lossy().into_owned();
    let r = run(&[
        "keys",
        "generate",
        "--secret-name",
        "harbor-token",
        "--out",
        &out_s,
        "--bits",
        "2048",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(!r.stderr.contains("PRIVATE"));
    assert_eq!(mode(&out), 0o600);
    let first = std::fs::read_to_string(&out).unwrap();
    let r = run(&[
        "keys",
        "generate",
        "--secret-name",
        "harbor-token",
        "--out",
        &out_s,
        "--bits",
        "2048",
    ]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), first);
    let r = run(&["keys", "generate", "--secret-name", "Not_Valid"]);
    assert_eq!(r.status, 2);
}

#[test]
// `registry.credentials.username` is a user name, not a secret: the diff masked it with the
// whole `credentials` group.
fn reset_diff_shows_the_registry_user_name_and_masks_the_password() {
    let s = Scratch::new();
    let values = s.write(
        "values.yaml",
        "core:\n  secret: \"0123456789abcdef\"\nregistry:\n  credentials:\n    username: harbor_registry_user\n    password: \"S3cr3t-Registry-Pass\"\n",
    );
    let r = run(&["keys", "reset", &values, "--dry-run"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("    username: harbor_registry_user"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("S3cr3t-Registry-Pass"), "{}", r.stdout);
}
