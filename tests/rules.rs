//! Every rule with a failing and a passing case, made from real keys and certificates
//! (`testdata/keys`, generated with openssl) and real values documents, through the binary.

mod common;

use common::{check_values, indent, key, secret_manifest, token_values, Scratch};

fn has(r: &common::Run, rule: &str) -> bool {
    r.rules().iter().any(|x| x == rule)
}

// ---- token signing pair ---------------------------------------------------------------------

#[test]
fn token_pair_incomplete_fires_for_a_key_without_certificate() {
    let values = format!("core:\n  tokenKey: |\n{}", indent(&key("rsa2048.key"), 4));
    let r = check_values(&values, &[]);
    let f = r.findings("token-pair-incomplete");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "core.tokenKey");
    assert_eq!(f[0]["severity"], "error");
    assert!(!has(
        &check_values(&token_values("rsa2048.key", "rsa2048.crt"), &[]),
        "token-pair-incomplete"
    ));
}

#[test]
fn token_key_invalid_for_truncated_garbage_encrypted_and_public_keys() {
    for bad in [
        "truncated.key",
        "not-pem.txt",
        "rsa2048-encrypted-pkcs8.key",
        "rsa2048-encrypted-legacy.key",
        "public.pem",
    ] {
        let r = check_values(&token_values(bad, "rsa2048.crt"), &[]);
        assert!(has(&r, "token-key-invalid"), "{bad}: {}", r.stdout);
    }
    assert!(!has(
        &check_values(&token_values("rsa2048.key", "rsa2048.crt"), &[]),
        "token-key-invalid"
    ));
}

#[test]
fn token_key_not_rsa_for_ec_and_ed25519() {
    for (k, c) in [
        ("ec-p256.key", "ec-p256.crt"),
        ("ec-p256-pkcs8.key", "ec-p256.crt"),
        ("ed25519.key", "ed25519.crt"),
    ] {
        let r = check_values(&token_values(k, c), &[]);
        assert!(has(&r, "token-key-not-rsa"), "{k}: {}", r.stdout);
        assert!(!has(&r, "token-key-not-pkcs1"), "{k}");
    }
    assert!(!has(
        &check_values(&token_values("rsa2048.key", "rsa2048.crt"), &[]),
        "token-key-not-rsa"
    ));
}

#[test]
fn token_key_not_pkcs1_for_pkcs8_rsa_only() {
    let r = check_values(&token_values("rsa2048-pkcs8.key", "rsa2048.crt"), &[]);
    let token_rules: Vec<String> = r
        .rules()
        .into_iter()
        .filter(|x| x.starts_with("token-"))
        .collect();
    assert_eq!(
        token_rules,
        vec!["token-key-not-pkcs1"],
        "the PKCS#8 form of the right key only fails this rule: {}",
        r.stdout
    );
    let clean = check_values(&token_values("rsa2048.key", "rsa2048.crt"), &[]);
    assert!(
        clean.rules().iter().all(|x| !x.starts_with("token-")),
        "{}",
        clean.stdout
    );
}

#[test]
fn token_cert_invalid_when_the_certificate_field_holds_a_key_or_garbage() {
    for bad in ["rsa2048.key", "not-pem.txt"] {
        let r = check_values(&token_values("rsa2048.key", bad), &[]);
        assert!(has(&r, "token-cert-invalid"), "{bad}: {}", r.stdout);
    }
    assert!(!has(
        &check_values(&token_values("rsa2048.key", "rsa2048.crt"), &[]),
        "token-cert-invalid"
    ));
}

#[test]
fn token_pair_mismatch_compares_public_keys_and_accepts_a_chain() {
    let r = check_values(&token_values("rsa2048.key", "other-rsa2048.crt"), &[]);
    let f = r.findings("token-pair-mismatch");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "core.tokenCert");
    assert!(f[0]["notes"].to_string().contains("sha256:"));
    for cert in ["rsa2048.crt", "rsa2048-chain.crt"] {
        assert!(
            !has(
                &check_values(&token_values("rsa2048.key", cert), &[]),
                "token-pair-mismatch"
            ),
            "{cert}"
        );
    }
    // The PKCS#8 encoding of the same key still matches its certificate.
    assert!(!has(
        &check_values(&token_values("rsa2048-pkcs8.key", "rsa2048.crt"), &[]),
        "token-pair-mismatch"
    ));
}

#[test]
fn token_cert_validity_depends_on_now_and_on_who_reads_the_certificate() {
    let values = token_values("rsa2048.key", "rsa2048.crt");
    let expired = check_values(
        &values,
        &["--now", "2040-01-01T00:00:00Z", "--to", "2.10.2"],
    );
    let f = expired.findings("token-cert-expired");
    assert_eq!(f.len(), 1, "{}", expired.stdout);
    assert_eq!(
        f[0]["severity"], "warning",
        "nothing reads the certificate in chart 1.14"
    );
    let notary = check_values(&values, &["--now", "2040-01-01T00:00:00Z", "--to", "2.8.4"]);
    assert_eq!(
        notary.findings("token-cert-expired")[0]["severity"],
        "error",
        "notary-server reads it in chart 1.12"
    );
    let no_notary = check_values(
        &values,
        &[
            "--now",
            "2040-01-01T00:00:00Z",
            "--to",
            "2.8.4",
            "--set",
            "notary.enabled=false",
        ],
    );
    assert_eq!(
        no_notary.findings("token-cert-expired")[0]["severity"],
        "warning"
    );

    let early = check_values(&values, &["--now", "2001-01-01T00:00:00Z"]);
    assert_eq!(
        early.findings("token-cert-not-yet-valid").len(),
        1,
        "{}",
        early.stdout
    );

    let soon = check_values(&values, &["--now", "2036-11-01T00:00:00Z"]);
    assert_eq!(
        soon.findings("token-cert-expiring").len(),
        1,
        "{}",
        soon.stdout
    );
    assert_eq!(soon.findings("token-cert-expiring")[0]["severity"], "info");

    let fine = check_values(&values, &[]);
    for rule in [
        "token-cert-expired",
        "token-cert-not-yet-valid",
        "token-cert-expiring",
    ] {
        assert!(!has(&fine, rule), "{rule}");
    }
}

#[test]
fn token_key_weak_below_2048_bits() {
    let r = check_values(&token_values("rsa1024.key", "rsa1024.crt"), &[]);
    assert_eq!(r.findings("token-key-weak").len(), 1, "{}", r.stdout);
    assert!(!has(
        &check_values(&token_values("rsa2048.key", "rsa2048.crt"), &[]),
        "token-key-weak"
    ));
}

#[test]
fn token_key_public_recognises_the_pair_the_chart_once_shipped() {
    let r = check_values(
        &token_values("chart-static-token.key", "chart-static-token.crt"),
        &["--now", "2027-01-01T00:00:00Z"],
    );
    assert_eq!(r.findings("token-key-public").len(), 1, "{}", r.stdout);
    assert!(!has(
        &check_values(&token_values("rsa2048.key", "rsa2048.crt"), &[]),
        "token-key-public"
    ));
}

#[test]
fn token_key_rotates_unless_something_pins_it() {
    let r = check_values("core:\n  tokenKey: |\n  tokenCert: |\n", &[]);
    assert_eq!(r.findings("token-key-rotates")[0]["severity"], "info");
    let r = check_values("core:\n  replicas: 3\n", &[]);
    assert_eq!(
        r.findings("token-key-rotates")[0]["severity"],
        "warning",
        "several replicas disagree during rollout"
    );
    assert!(!has(
        &check_values(&token_values("rsa2048.key", "rsa2048.crt"), &[]),
        "token-key-rotates"
    ));
    assert!(!has(
        &check_values("core:\n  secretName: harbor-token\n", &[]),
        "token-key-rotates"
    ));
}

#[test]
fn the_live_core_secret_gets_the_same_token_checks() {
    let s = Scratch::new();
    let secret = s.write(
        "live.yaml",
        secret_manifest(
            "harbor-core",
            &[
                ("tls.key", key("rsa2048-pkcs8.key").as_bytes()),
                ("tls.crt", key("other-rsa2048.crt").as_bytes()),
            ],
        ),
    );
    let r = check_values(
        &token_values("rsa2048.key", "rsa2048.crt"),
        &["--secret", &secret],
    );
    for rule in ["token-key-not-pkcs1", "token-pair-mismatch"] {
        let f = r.findings(rule);
        assert_eq!(f.len(), 1, "{rule}: {}", r.stdout);
        assert_eq!(f[0]["source"], "secret");
        assert!(f[0]["object"]
            .as_str()
            .unwrap_or_default()
            .contains("harbor-core"));
        assert!(f[0]["location"]["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("live.yaml"));
    }
}

#[test]
// The 2.8.4 → 2.10.2 report: values pinned a token pair other than the running one with three core
// replicas, `preflight check` said nothing, and the rollout switched keys mid-way
// (`crypto/rsa: verification error`).
fn token_key_changed_when_the_values_pin_another_pair_than_the_live_secret() {
    let s = Scratch::new();
    let live = s.write(
        "live.yaml",
        secret_manifest(
            "harbor-core",
            &[
                ("tls.key", key("rsa2048.key").as_bytes()),
                ("tls.crt", key("rsa2048.crt").as_bytes()),
            ],
        ),
    );
    let values = format!(
        "{}  replicas: 3\n",
        token_values("other-rsa2048.key", "other-rsa2048.crt")
    );
    let r = check_values(&values, &["--secret", &live, "--to", "2.10.2"]);
    let f = r.findings("token-key-changed");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "warning");
    assert_eq!(f[0]["valuesPath"], "core.tokenKey");
    assert_eq!(f[0]["location"]["line"], 2, "{}", f[0]);
    let notes = f[0]["notes"].to_string();
    assert!(notes.contains("`core.replicas` is 3"), "{notes}");
    assert!(notes.contains("crypto/rsa: verification error"), "{notes}");
    assert!(
        notes.contains("pods of Deployment `harbor-core` not yet replaced keep"),
        "{notes}"
    );
    assert!(f[0]["help"]
        .as_str()
        .unwrap_or_default()
        .contains("core.replicas: 1"));
    let text = format!("{}{}", r.stdout, r.stderr);
    assert!(!text.contains(key("other-rsa2048.key").lines().nth(3).unwrap()));

    // The same pair, even with the key in PKCS#8 form and another certificate of it, is no change.
    for (k, c) in [
        ("rsa2048.key", "rsa2048.crt"),
        ("rsa2048-pkcs8.key", "rsa2048-chain.crt"),
    ] {
        let r = check_values(
            &format!("{}  replicas: 3\n", token_values(k, c)),
            &["--secret", &live, "--to", "2.10.2"],
        );
        assert!(!has(&r, "token-key-changed"), "{k}: {}", r.stdout);
    }
    // Nothing to compare with: no finding, and no note when no Secret was given at all.
    let r = check_values(&values, &["--to", "2.10.2"]);
    assert!(!has(&r, "token-key-changed"), "{}", r.stdout);
    assert!(r.skipped("token-key-changed").is_empty(), "{}", r.stdout);
    // A target that predates `core.tokenKey` ignores it: `token-key-ignored` says so instead.
    let r = check_values(&values, &["--secret", &live, "--to", "1.9.5"]);
    assert!(!has(&r, "token-key-changed"), "{}", r.stdout);
}

// ---- inter-component secrets and stored-data keys ---------------------------------------------

#[test]
fn secret_key_length_counts_the_line_break_of_a_literal_block() {
    let r = check_values("secretKey: |\n  0123456789abcdef\n", &[]);
    let f = r.findings("secret-key-length");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(f[0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("17 bytes"));
    assert_eq!(f[0]["location"]["line"], 1);
    for ok in [
        "secretKey: |-\n  0123456789abcdef\n",
        "secretKey: \"0123456789abcdef\"\n",
        "secretKey: '0123456789abcdef0123456789abcdef'\n",
    ] {
        assert!(!has(&check_values(ok, &[]), "secret-key-length"), "{ok}");
    }
    assert!(has(
        &check_values("secretKey: \"0123456789abcdefghij\"\n", &[]),
        "secret-key-length"
    ));
}

#[test]
fn secret_key_default_when_unset_or_set_to_the_default() {
    let r = check_values("core:\n  replicas: 1\n", &[]);
    let f = r.findings("secret-key-default");
    assert_eq!(f.len(), 1);
    assert!(f[0]["location"].is_null(), "an unset field has no location");
    assert!(has(
        &check_values("secretKey: not-a-secure-key\n", &[]),
        "secret-key-default"
    ));
    assert!(!has(
        &check_values("secretKey: \"0123456789abcdef\"\n", &[]),
        "secret-key-default"
    ));
}

#[test]
fn secret_key_changed_compares_with_the_live_core_secret() {
    let s = Scratch::new();
    let live = s.write(
        "live.yaml",
        secret_manifest("harbor-core", &[("secretKey", b"0123456789abcdef")]),
    );
    let r = check_values("secretKey: \"fedcba9876543210\"\n", &["--secret", &live]);
    assert_eq!(r.findings("secret-key-changed").len(), 1, "{}", r.stdout);
    assert!(!has(
        &check_values("secretKey: \"0123456789abcdef\"\n", &["--secret", &live]),
        "secret-key-changed"
    ));
    // Not set at all: the default comes back, which differs from the live key.
    assert!(has(
        &check_values("core: {}\n", &["--secret", &live]),
        "secret-key-changed"
    ));
}

#[test]
fn xsrf_key_length_needs_exactly_32() {
    assert!(has(
        &check_values("core:\n  xsrfKey: \"0123456789abcdefghij\"\n", &[]),
        "xsrf-key-length"
    ));
    assert!(!has(
        &check_values(
            "core:\n  xsrfKey: \"0123456789abcdef0123456789abcdef\"\n",
            &[]
        ),
        "xsrf-key-length"
    ));
    assert!(!has(
        &check_values("core:\n  xsrfKey: \"\"\n", &[]),
        "xsrf-key-length"
    ));
}

#[test]
fn secret_length_warns_for_other_than_16_characters() {
    let r = check_values(
        "core:\n  secret: \"0123456789abcde\"\njobservice:\n  secret: \"0123456789abcdef\"\n",
        &[],
    );
    let f = r.findings("secret-length");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "core.secret");
    assert_eq!(f[0]["severity"], "warning");
}

#[test]
fn secret_not_string_for_numbers_booleans_maps_and_null_defaults() {
    let r = check_values(
        "secretKey: 1234567890123456\ncore:\n  secret: true\n  xsrfKey: {}\n",
        &[],
    );
    let paths: Vec<_> = r
        .findings("secret-not-string")
        .iter()
        .map(|f| f["valuesPath"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        paths,
        vec!["secretKey", "core.secret", "core.xsrfKey"],
        "{}",
        r.stdout
    );
    assert!(
        has(
            &check_values("harborAdminPassword: ~\n", &[]),
            "secret-not-string"
        ),
        "null deletes the default too"
    );
    assert!(
        !has(
            &check_values("core:\n  secret: ~\n", &[]),
            "secret-not-string"
        ),
        "null of a generated field is harmless"
    );
    assert!(!has(
        &check_values("secretKey: \"1234567890123456\"\n", &[]),
        "secret-not-string"
    ));
}

#[test]
// The rule said Helm renders `1.234567890123456e+15` and that null brings the default back;
// rendering every release shows `b64enc` refusing the value and null deleting the default too.
fn secret_not_string_says_what_helm_template_really_does() {
    let message = |values: &str| {
        let r = check_values(values, &[]);
        let f = r.findings("secret-not-string");
        assert_eq!(f.len(), 1, "{values}: {}", r.stdout);
        f[0]["message"].as_str().unwrap_or_default().to_string()
    };
    let m = message("secretKey: 1234567890123456\n");
    assert!(
        m.contains("`helm template` fails (`at <b64enc>: wrong type for value; expected string; got float64`)"),
        "{m}"
    );
    assert!(!m.contains("e+15"), "{m}");
    let m = message("secretKey: ~\n");
    assert!(m.contains("invalid value; expected string"), "{m}");
    assert!(m.contains("chart default included"), "{m}");
    let m = message("core:\n  secret: yes\n");
    assert!(m.contains("got bool"), "{m}");
    // Printed as text, not through `b64enc`: the render succeeds with something else.
    let m = message("database:\n  internal:\n    password: 1234567890123456\n");
    assert!(m.contains("1.234567890123456e+15"), "{m}");
    assert!(!m.contains("b64enc"), "{m}");
    let m = message("database:\n  internal:\n    password: ~\n");
    assert!(m.contains("`<no value>` as the password"), "{m}");
    let explain = common::run(&["preflight", "explain", "secret-not-string"]).stdout;
    assert!(
        explain.contains("wrong type for value; expected string; got float64"),
        "{explain}"
    );
    assert!(!explain.contains("is used instead"), "{explain}");
}

#[test]
fn default_password_for_public_defaults_set_or_implied() {
    let r = check_values("harborAdminPassword: Harbor12345\ndatabase:\n  internal:\n    password: \"s3cret-Pass\"\nregistry:\n  credentials:\n    password: \"r3g-Pass\"\n", &[]);
    let f = r.findings("default-password");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "harborAdminPassword");
    let implied = check_values("core: {}\n", &[]);
    let paths: Vec<_> = implied
        .findings("default-password")
        .iter()
        .map(|f| f["valuesPath"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        paths.contains(&"database.internal.password".to_string()),
        "{paths:?}"
    );
    let external = check_values(
        "database:\n  type: external\n  external:\n    existingSecret: db\n",
        &[],
    );
    assert!(external
        .findings("default-password")
        .iter()
        .all(|f| f["valuesPath"] != "database.external.password"));
}

#[test]
fn database_password_changed_compares_with_the_live_database_secret() {
    let s = Scratch::new();
    let live = s.write(
        "live.yaml",
        format!(
            "{}---\n{}",
            secret_manifest("harbor-core", &[("secretKey", b"0123456789abcdef")]),
            secret_manifest("harbor-database", &[("POSTGRES_PASSWORD", b"db-Pass-1")])
        ),
    );
    let r = check_values(
        "database:\n  internal:\n    password: changeit\n",
        &["--secret", &live],
    );
    assert_eq!(
        r.findings("database-password-changed").len(),
        1,
        "{}",
        r.stdout
    );
    assert!(!has(
        &check_values(
            "database:\n  internal:\n    password: db-Pass-1\n",
            &["--secret", &live]
        ),
        "database-password-changed"
    ));
    assert!(
        !has(
            &check_values(
                "database:\n  internal:\n    password: \"\"\n",
                &["--secret", &live]
            ),
            "database-password-changed"
        ),
        "empty means lookup"
    );
}

#[test]
fn admin_password_ignored_after_first_start() {
    let s = Scratch::new();
    let live = s.write(
        "live.yaml",
        secret_manifest("harbor-core", &[("HARBOR_ADMIN_PASSWORD", b"Old-Admin-1")]),
    );
    let r = check_values("harborAdminPassword: New-Admin-2\n", &["--secret", &live]);
    assert_eq!(r.findings("admin-password-ignored")[0]["severity"], "info");
    assert!(!has(
        &check_values("harborAdminPassword: Old-Admin-1\n", &["--secret", &live]),
        "admin-password-ignored"
    ));
}

#[test]
fn secrets_regenerate_for_old_targets_and_client_side_renders() {
    let blank = "core:\n  secret: \"\"\n";
    assert_eq!(
        check_values(blank, &["--renderer", "template"])
            .findings("secrets-regenerate")
            .len(),
        4
    );
    assert_eq!(
        check_values(blank, &["--to", "2.9.5"])
            .findings("secrets-regenerate")
            .len(),
        4
    );
    assert!(
        !has(
            &check_values(blank, &["--to", "2.10.2"]),
            "secrets-regenerate"
        ),
        "1.14 keeps them by lookup"
    );
    let pinned = "core:\n  secret: \"0123456789abcdef\"\n  xsrfKey: \"0123456789abcdef0123456789abcdef\"\njobservice:\n  secret: \"0123456789abcdef\"\nregistry:\n  existingSecret: reg\n";
    assert!(!has(
        &check_values(pinned, &["--renderer", "template"]),
        "secrets-regenerate"
    ));
}

#[test]
fn htpasswd_invalid_needs_bcrypt_for_the_configured_user_and_password() {
    // Real bcrypt hashes, made here (cost 4 keeps the test fast; the chart uses 10).
    let hash = |password: &str| bcrypt::hash(password, 4).expect("bcrypt hash");
    let line = |user: &str, hash: &str| {
        format!("registry:\n  credentials:\n    password: \"Reg-Pass-1\"\n    htpasswdString: \"{user}:{hash}\"\n")
    };
    let good = line("harbor_registry_user", &hash("Reg-Pass-1"));
    assert!(
        !has(&check_values(&good, &[]), "htpasswd-invalid"),
        "{good}"
    );
    let wrong_user = line("admin", &hash("Reg-Pass-1"));
    assert!(has(&check_values(&wrong_user, &[]), "htpasswd-invalid"));
    let sha = line("harbor_registry_user", "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=");
    assert!(has(&check_values(&sha, &[]), "htpasswd-invalid"));
    // A hash of another password: the registry rejects what core and jobservice send.
    let other = line("harbor_registry_user", &hash("Old-Pass-0"));
    let r = check_values(&other, &[]);
    let f = r.findings("htpasswd-invalid");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("does not match `registry.credentials.password`"),
        "{}",
        f[0]
    );
    // Without a password in the values the chart default is what core sends.
    let default_password = format!(
        "registry:\n  credentials:\n    htpasswdString: \"harbor_registry_user:{}\"\n",
        hash("harbor_registry_password")
    );
    assert!(!has(
        &check_values(&default_password, &[]),
        "htpasswd-invalid"
    ));
}

#[test]
fn existing_secrets_are_checked_against_the_given_manifests() {
    let s = Scratch::new();
    let secrets = s.write(
        "secrets.yaml",
        secret_manifest(
            "harbor-token",
            &[("tls.key", key("rsa2048.key").as_bytes())],
        ),
    );
    let values = "core:\n  secretName: harbor-token\nexistingSecretSecretKey: harbor-secretkey\n";
    // Chart 1.12.4 with notary on (its default) mounts `tls.crt` into notary-server.
    let r = check_values(values, &["--secret", &secrets, "--to", "1.12.4"]);
    let f = r.findings("existing-secret-key-missing");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(f[0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("tls.crt"));
    assert!(
        r.findings("existing-secret-missing").is_empty(),
        "not judged without --secrets-complete"
    );
    assert_eq!(r.skipped("existing-secret-missing").len(), 1);
    let complete = check_values(values, &["--secret", &secrets, "--secrets-complete"]);
    let f = complete.findings("existing-secret-missing");
    assert_eq!(f.len(), 1, "{}", complete.stdout);
    assert_eq!(f[0]["valuesPath"], "existingSecretSecretKey");
}

/// The keys `existing-secret-key-missing` demands of the Secrets `values` name, given `secrets`.
fn missing_keys(values: &str, secrets: &[(&str, &[&str])], to: &str) -> Vec<String> {
    let s = Scratch::new();
    let mut files = Vec::new();
    for (i, (name, keys)) in secrets.iter().enumerate() {
        let data: Vec<(&str, &[u8])> = keys.iter().map(|k| (*k, b"x".as_slice())).collect();
        files.push(s.write(&format!("s{i}.yaml"), secret_manifest(name, &data)));
    }
    let mut args = vec!["--to", to];
    for f in &files {
        args.extend_from_slice(&["--secret", f]);
    }
    let r = check_values(values, &args);
    r.findings("existing-secret-key-missing")
        .iter()
        .chain(r.findings("token-pair-incomplete").iter())
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
// Rendering every release shows which keys each chart reads from the Secrets the values name;
// the rule demanded `tls.crt` of `core.secretName` where nothing mounts it, `ca.crt` of the
// portal and trivy TLS Secrets, and keys of Secrets the target chart never reads.
fn existing_secret_keys_follow_what_the_target_chart_reads() {
    let token = "core:\n  secretName: harbor-token\n";
    let only_key: &[(&str, &[&str])] = &[("harbor-token", &["tls.key"])];
    // From 1.13.0 only core mounts it, for `tls.key`; so does 1.6.0–1.12.6 with notary off.
    assert!(missing_keys(token, only_key, "1.19.1").is_empty());
    assert!(missing_keys(token, only_key, "1.13.0").is_empty());
    let notary_off = "core:\n  secretName: harbor-token\nnotary:\n  enabled: false\n";
    assert!(missing_keys(notary_off, only_key, "1.12.4").is_empty());
    // With notary on before 1.13, and in 1.4.0–1.5.6 (the registry mounts it), `tls.crt` is needed.
    for (values, to) in [(token, "1.12.4"), (notary_off, "1.5.6")] {
        let missing = missing_keys(values, only_key, to);
        assert_eq!(missing.len(), 2, "{to}: {missing:?}");
        assert!(
            missing.iter().all(|m| m.contains("tls.crt")),
            "{to}: {missing:?}"
        );
    }
    // Portal and trivy read their pair, not `ca.crt` (except 1.4.x, which mounts all three).
    let tls = "internalTLS:\n  enabled: true\n  certSource: secret\n  portal:\n    secretName: portal-tls\n  trivy:\n    secretName: trivy-tls\n";
    let pairs: &[(&str, &[&str])] = &[
        ("portal-tls", &["tls.crt", "tls.key"]),
        ("trivy-tls", &["tls.crt", "tls.key"]),
    ];
    assert!(missing_keys(tls, pairs, "1.14.2").is_empty());
    assert_eq!(missing_keys(tls, pairs, "1.4.3").len(), 2);
    // `core.existingSecret` is read from 1.14.0 only; before, `values-key-unsupported` says so.
    let existing = "core:\n  existingSecret: core-secret\n";
    let wrong: &[(&str, &[&str])] = &[("core-secret", &["other"])];
    assert!(missing_keys(existing, wrong, "1.13.5").is_empty());
    assert_eq!(missing_keys(existing, wrong, "1.14.0").len(), 1);
    // From 1.14.0 the swift Secret must hold the password.
    let swift = "persistence:\n  imageChartStorage:\n    type: swift\n    swift:\n      existingSecret: swift-creds\n";
    let missing = missing_keys(
        swift,
        &[("swift-creds", &["REGISTRY_STORAGE_SWIFT_SECRETKEY"])],
        "1.14.0",
    );
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("REGISTRY_STORAGE_SWIFT_PASSWORD"),
        "{missing:?}"
    );
}

#[test]
// Chart 1.10.0 mounts the registry's htpasswd from a Secret literally named
// `.Values.registry.credentials.existingSecret`: demanding keys of the named Secret hid that.
fn registry_credentials_existing_secret_on_1_10_0_names_the_template_bug() {
    let s = Scratch::new();
    let creds = s.write(
        "creds.yaml",
        secret_manifest(
            "registry-creds",
            &[("REGISTRY_PASSWD", b"p4ssw0rd-registry")],
        ),
    );
    let values = "registry:\n  credentials:\n    existingSecret: registry-creds\n";
    let r = check_values(values, &["--secret", &creds, "--to", "1.10.0"]);
    let f = r.findings("existing-secret-missing");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    let message = f[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("literally named `.Values.registry.credentials.existingSecret`"),
        "{message}"
    );
    assert!(f[0]["help"].as_str().unwrap_or_default().contains("1.10.1"));
    assert!(
        r.findings("existing-secret-key-missing").is_empty(),
        "{}",
        r.stdout
    );
    // 1.10.1 fixed the name: the registry's `REGISTRY_HTPASSWD` is demanded again.
    let r = check_values(values, &["--secret", &creds, "--to", "1.10.1"]);
    assert!(
        r.findings("existing-secret-missing").is_empty(),
        "{}",
        r.stdout
    );
    let f = r.findings("existing-secret-key-missing");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(f[0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("REGISTRY_HTPASSWD"));
}
