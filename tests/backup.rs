//! `keys backup`, `keys restore` and `keys diff` against the test API server.

mod common;
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use age::secrecy::ExposeSecret as _;
use common::{key, Scratch};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;
use support::harbor::{assert_no_secret, run_with, standard, NS, SECRET_KEY};
use support::ApiServer;

/// The release's Secrets (not Helm's records), by name.
fn release_secrets(server: &ApiServer) -> BTreeMap<String, Secret> {
    server
        .state()
        .secrets
        .iter()
        .filter(|((ns, name), _)| ns == NS && !name.starts_with("sh.helm.release"))
        .map(|((_, name), s)| (name.clone(), s.clone()))
        .collect()
}

/// Removes the release's Secrets, as a lost namespace would.
fn empty(server: &ApiServer) {
    server
        .state()
        .secrets
        .retain(|(ns, name), _| ns != NS || name.starts_with("sh.helm.release"));
}

/// What a restore must give back: type, labels, annotations and data.
fn assert_same(original: &BTreeMap<String, Secret>, restored: &BTreeMap<String, Secret>) {
    assert_eq!(
        original.keys().collect::<Vec<_>>(),
        restored.keys().collect::<Vec<_>>()
    );
    for (name, o) in original {
        let r = &restored[name];
        assert_eq!(o.data, r.data, "data of {name}");
        assert_eq!(o.type_, r.type_, "type of {name}");
        assert_eq!(o.metadata.labels, r.metadata.labels, "labels of {name}");
        assert_eq!(
            o.metadata.annotations, r.metadata.annotations,
            "annotations of {name}"
        );
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
// One scenario from backup to restore, step by step.
#[allow(clippy::too_many_lines)]
fn plaintext_backup_restores_into_an_emptied_namespace() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let original = release_secrets(&server);
    let dir = s.path().join("backup");
    let dir_arg = dir.to_str().unwrap();

    let r = run_with(&kubeconfig, s.path(), &["keys", "backup", "--out", dir_arg]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("warning: the backup is not encrypted"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("pinned secretKey: 16 bytes"),
        "{}",
        r.stdout
    );
    assert_no_secret(&r);
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir), 0o700);
        for f in [
            "manifest.json",
            "secrets.yaml",
            "release-values.yaml",
            "values-credentials.yaml",
        ] {
            assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["formatVersion"], 1);
    assert_eq!(manifest["source"]["release"], "harbor");
    assert_eq!(manifest["source"]["revision"], 2);
    assert_eq!(manifest["source"]["chartVersion"], "1.12.4");
    assert_eq!(manifest["source"]["harborVersion"], "2.8.4");
    assert_eq!(
        manifest["files"]["secrets.yaml"]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let manifest_text = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(!manifest_text.contains(std::str::from_utf8(SECRET_KEY).unwrap()));
    // Ready for `kubectl apply -f`: no server-managed metadata.
    let secrets_yaml = std::fs::read_to_string(dir.join("secrets.yaml")).unwrap();
    for field in [
        "managedFields",
        "resourceVersion",
        "uid",
        "creationTimestamp",
        "ownerReferences",
    ] {
        assert!(!secrets_yaml.contains(field), "{field} in secrets.yaml");
    }
    let overlay = std::fs::read_to_string(dir.join("values-credentials.yaml")).unwrap();
    for path in [
        "secretKey:",
        "tokenKey: |",
        "tokenCert: |",
        "xsrfKey:",
        "jobservice:",
        "registry:",
    ] {
        assert!(overlay.contains(path), "{path} missing from\n{overlay}");
    }
    // A second backup to the same place is refused.
    let again = run_with(&kubeconfig, s.path(), &["keys", "backup", "--out", dir_arg]);
    assert_eq!(again.status, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);

    empty(&server);
    let r = run_with(
        &kubeconfig,
        s.path(),
        &["keys", "restore", dir_arg, "--dry-run"],
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("create secret/harbor-core"),
        "{}",
        r.stdout
    );
    assert!(
        release_secrets(&server).is_empty(),
        "a dry run wrote something"
    );

    let r = run_with(&kubeconfig, s.path(), &["keys", "restore", dir_arg]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("rollout restart deployment/harbor-core deployment/harbor-jobservice deployment/harbor-registry"),
        "{}",
        r.stdout
    );
    assert_no_secret(&r);
    assert_same(&original, &release_secrets(&server));

    // Restoring again changes nothing.
    let r = run_with(&kubeconfig, s.path(), &["keys", "restore", dir_arg]);
    assert_eq!(r.status, 0);
    assert!(
        r.stdout.contains("unchanged secret/harbor-core"),
        "{}",
        r.stdout
    );

    // A live Secret that differs is left alone by default and replaced with `--policy update`.
    server
        .state()
        .secrets
        .get_mut(&(NS.to_string(), "harbor-core".to_string()))
        .unwrap()
        .data
        .as_mut()
        .unwrap()
        .insert("secretKey".into(), ByteString(b"changed-key-0000".to_vec()));
    let r = run_with(&kubeconfig, s.path(), &["keys", "restore", dir_arg]);
    assert_eq!(r.status, 1, "{}", r.stdout);
    assert!(r.stdout.contains("skip secret/harbor-core"), "{}", r.stdout);
    assert!(
        r.stdout.contains("~ secretKey: live 16 bytes, sha256:"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("changed-key-0000"));
    let r = run_with(
        &kubeconfig,
        s.path(),
        &["keys", "restore", dir_arg, "--policy", "update"],
    );
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert_same(&original, &release_secrets(&server));
}

#[test]
fn a_tampered_backup_is_refused() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let dir = s.path().join("backup");
    let dir_arg = dir.to_str().unwrap();
    let r = run_with(&kubeconfig, s.path(), &["keys", "backup", "--out", dir_arg]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let file = dir.join("secrets.yaml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text = text.replacen("harbor-core", "harbor-corf", 1);
    std::fs::write(&file, text).unwrap();
    empty(&server);
    let r = run_with(&kubeconfig, s.path(), &["keys", "restore", dir_arg]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr
            .contains("`secrets.yaml` does not match its SHA-256"),
        "{}",
        r.stderr
    );
    assert!(
        release_secrets(&server).is_empty(),
        "a tampered backup was applied"
    );
    let r = run_with(&kubeconfig, s.path(), &["keys", "diff", dir_arg]);
    assert_eq!(r.status, 2);
}

#[test]
fn encrypted_backup_round_trips_with_an_age_identity() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let original = release_secrets(&server);
    let identity = age::x25519::Identity::generate();
    let key_file = s.write(
        "key.txt",
        format!(
            "# created: test\n{}\n",
            identity.to_string().expose_secret()
        ),
    );
    let recipient = identity.to_public().to_string();
    let out = s.path().join("backup.tar.age");
    let out_arg = out.to_str().unwrap();
    let r = run_with(
        &kubeconfig,
        s.path(),
        &[
            "keys",
            "backup",
            "--recipient",
            &recipient,
            "--out",
            out_arg,
        ],
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("not encrypted"));
    #[cfg(unix)]
    assert_eq!(mode(&out), 0o600);
    let sealed = std::fs::read(&out).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    // What `age -d -i key.txt backup.tar.age | tar t` shows.
    let decryptor = age::Decryptor::new(sealed.as_slice()).unwrap();
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap();
    let mut archive = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut archive).unwrap();
    let names: Vec<String> = tar::Archive::new(archive.as_slice())
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("/manifest.json")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.ends_with("/secrets.yaml")),
        "{names:?}"
    );

    empty(&server);
    let r = run_with(&kubeconfig, s.path(), &["keys", "restore", out_arg]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("--identity"), "{}", r.stderr);
    let r = run_with(
        &kubeconfig,
        s.path(),
        &["keys", "restore", out_arg, "--identity", &key_file],
    );
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert_same(&original, &release_secrets(&server));
}

#[test]
fn encrypted_backup_round_trips_with_a_passphrase() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let original = release_secrets(&server);
    let pass = s.write("pass.txt", "correct horse battery staple\n");
    let wrong = s.write("wrong.txt", "incorrect horse\n");
    let out = s.path().join("backup.tar.age");
    let out_arg = out.to_str().unwrap();
    let r = run_with(
        &kubeconfig,
        s.path(),
        &[
            "keys",
            "backup",
            "--passphrase-file",
            &pass,
            "--out",
            out_arg,
        ],
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    empty(&server);
    let r = run_with(
        &kubeconfig,
        s.path(),
        &["keys", "restore", out_arg, "--passphrase-file", &wrong],
    );
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("cannot decrypt"), "{}", r.stderr);
    let r = run_with(
        &kubeconfig,
        s.path(),
        &["keys", "restore", out_arg, "--passphrase-file", &pass],
    );
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert_same(&original, &release_secrets(&server));
}

#[test]
fn diff_tells_a_rotated_token_pair_from_a_changed_secret_key() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let dir = s.path().join("backup");
    let dir_arg = dir.to_str().unwrap();
    let r = run_with(&kubeconfig, s.path(), &["keys", "backup", "--out", dir_arg]);
    assert_eq!(r.status, 0, "{}", r.stderr);

    let r = run_with(&kubeconfig, s.path(), &["keys", "diff", dir_arg]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("nothing changed"), "{}", r.stdout);

    let core = (NS.to_string(), "harbor-core".to_string());
    {
        let mut st = server.state();
        let data = st.secrets.get_mut(&core).unwrap().data.as_mut().unwrap();
        data.insert(
            "tls.key".into(),
            ByteString(key("other-rsa2048.key").into_bytes()),
        );
        data.insert(
            "tls.crt".into(),
            ByteString(key("other-rsa2048.crt").into_bytes()),
        );
    }
    let r = run_with(&kubeconfig, s.path(), &["keys", "diff", dir_arg]);
    assert_eq!(r.status, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains("rotated   secret/harbor-core tls.key"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("only expected rotations"), "{}", r.stdout);
    assert_no_secret(&r);

    server
        .state()
        .secrets
        .get_mut(&core)
        .unwrap()
        .data
        .as_mut()
        .unwrap()
        .insert("secretKey".into(), ByteString(b"not-a-secure-key".to_vec()));
    let r = run_with(&kubeconfig, s.path(), &["keys", "diff", dir_arg]);
    assert_eq!(r.status, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("DANGER    secret/harbor-core secretKey"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("rotated   secret/harbor-core tls.key"),
        "{}",
        r.stdout
    );
    assert_no_secret(&r);
}

#[test]
fn backup_without_a_cluster_keeps_what_the_files_hold() {
    let s = Scratch::new();
    let values = s.write(
        "values.yaml",
        "secretKey: \"0123456789abcdef\"\nharborAdminPassword: \"Adm1n-P4ssw0rd-Live\"\n",
    );
    let manifest = common::secret_manifest(
        "harbor-core",
        &[
            ("secretKey", b"0123456789abcdef"),
            ("secret", b"cOr3SeCr3tV4lu3x"),
        ],
    );
    let secret = s.write("core.yaml", manifest);
    let out = s.path().join("b");
    let r = common::run(&[
        "keys",
        "backup",
        &values,
        "--secret",
        &secret,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.contains("not encrypted"));
    assert!(!r.stdout.contains("0123456789abcdef") && !r.stderr.contains("0123456789abcdef"));
    let overlay = std::fs::read_to_string(out.join("values-credentials.yaml")).unwrap();
    assert!(
        overlay.contains("secretKey: \"0123456789abcdef\""),
        "{overlay}"
    );
    assert!(
        overlay.contains("secret: \"cOr3SeCr3tV4lu3x\""),
        "{overlay}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["source"]["kind"], "files");
}

#[test]
// The 2.8.4 → 2.10.2 report: after the upgrade `tls.key` was unchanged and `tls.crt` belonged to
// another key; `keys diff` called that an expected rotation.
fn diff_reports_a_live_token_pair_that_does_not_match_as_danger() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let dir = s.path().join("backup");
    let dir_arg = dir.to_str().unwrap();
    let r = run_with(&kubeconfig, s.path(), &["keys", "backup", "--out", dir_arg]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    server
        .state()
        .secrets
        .get_mut(&(NS.to_string(), "harbor-core".to_string()))
        .unwrap()
        .data
        .as_mut()
        .unwrap()
        .insert(
            "tls.crt".into(),
            ByteString(key("other-rsa2048.crt").into_bytes()),
        );
    let r = run_with(&kubeconfig, s.path(), &["keys", "diff", dir_arg]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    for half in ["tls.key", "tls.crt"] {
        assert!(
            r.stdout
                .contains(&format!("DANGER    secret/harbor-core {half}")),
            "{}",
            r.stdout
        );
    }
    assert!(!r.stdout.contains("rotated"), "{}", r.stdout);
    assert!(
        r.stdout.contains("was not made from the live `tls.key`"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("dangerous changes"), "{}", r.stdout);
    assert_no_secret(&r);
}
