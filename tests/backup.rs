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
        r.stdout.contains("pinned secretKey (16 bytes, sha256:"),
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

/// A plaintext bundle made offline by the real binary, and the name of its directory.
fn offline_bundle(s: &Scratch, name: &str) -> std::path::PathBuf {
    let values = s.write("values.yaml", "secretKey: \"0123456789abcdef\"\n");
    let manifest = common::secret_manifest(
        "harbor-core",
        &[
            ("secretKey", b"0123456789abcdef"),
            ("secret", b"cOr3SeCr3tV4lu3x"),
        ],
    );
    let secret = s.write("core.yaml", manifest);
    let out = s.path().join(name);
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
    out
}

/// The files of a plaintext bundle, by name.
fn bundle_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// One entry of a crafted archive.
#[derive(Clone, Copy)]
enum Item<'a> {
    Dir(&'a str),
    File(&'a str, &'a [u8]),
    /// A header that claims `size` bytes, followed by none of them.
    Claims(&'a str, u64),
    Special(&'a str, tar::EntryType, &'a str),
}

/// A tar archive built entry by entry, as an attacker would.
fn craft_tar(items: &[Item<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for item in items {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o600);
        h.set_mtime(0);
        match item {
            Item::Dir(path) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, path, std::io::empty()).unwrap();
            }
            // The name goes into the header as bytes: the builder would refuse `..`.
            Item::File(path, bytes) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
                h.set_size(bytes.len() as u64);
                h.set_cksum();
                b.append(&h, *bytes).unwrap();
            }
            Item::Claims(path, size) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
                h.set_size(*size);
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
            Item::Special(path, kind, target) => {
                h.set_entry_type(*kind);
                h.set_size(0);
                if target.is_empty() {
                    b.append_data(&mut h, path, std::io::empty()).unwrap();
                } else {
                    b.append_link(&mut h, path, target).unwrap();
                }
            }
        }
    }
    b.into_inner().unwrap()
}

/// `bytes` encrypted with real age to `identity`.
fn seal_to(identity: &age::x25519::Identity, bytes: &[u8]) -> Vec<u8> {
    let recipient = identity.to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut out = Vec::new();
    let mut w = encryptor.wrap_output(&mut out).unwrap();
    std::io::Write::write_all(&mut w, bytes).unwrap();
    w.finish().unwrap();
    out
}

fn identity_file(s: &Scratch, identity: &age::x25519::Identity) -> String {
    s.write(
        "key.txt",
        format!("{}\n", identity.to_string().expose_secret()),
    )
}

/// Runs `keys restore` and `keys diff` on a backup; both must refuse it with one error line.
fn refused_by_restore_and_diff(backup: &str, extra: &[&str]) -> Vec<common::Run> {
    ["restore", "diff"]
        .iter()
        .map(|cmd| {
            let mut args = vec!["keys", cmd, backup];
            args.extend_from_slice(extra);
            let r = common::run(&args);
            assert_eq!(r.status, 2, "{cmd}: {}\n{}", r.stdout, r.stderr);
            assert_eq!(r.stderr.matches("error:").count(), 1, "{cmd}: {}", r.stderr);
            assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
            r
        })
        .collect()
}

#[test]
// An age file holding something other than the tar quoted the first bytes of the plaintext
// (the archive reader's message names the header's "path"), twice.
fn restore_of_an_age_file_that_is_not_a_tar_quotes_no_plaintext() {
    let s = Scratch::new();
    let identity = age::x25519::Identity::generate();
    let key = identity_file(&s, &identity);
    let plain = "CANARY-PLAINTEXT-0000-secretKey: Q7v2Lm9Xc4Rt8Wz1\n".repeat(40);
    let file = s.write("backup.tar.age", seal_to(&identity, plain.as_bytes()));
    for r in refused_by_restore_and_diff(&file, &["--identity", &key]) {
        for shown in [&r.stdout, &r.stderr] {
            assert!(
                !shown.contains("CANARY") && !shown.contains("Q7v2"),
                "{shown}"
            );
        }
        assert!(
            r.stderr
                .contains("not a tar archive as `keys backup` writes it"),
            "{}",
            r.stderr
        );
    }
}

#[test]
// Directory bundles: extra entries of any kind were skipped or followed; each is refused by name.
fn directory_bundle_entries_other_than_listed_regular_files_are_refused() {
    let s = Scratch::new();
    let cases: &[(&str, &str)] = &[
        ("symlink", "`secrets.yaml` is a symbolic link"),
        ("hardlink", "`secrets.yaml` has 2 hard links"),
        ("hidden", "`.extra.yaml` is a hidden file"),
        ("subdir", "`nested` is a directory inside the bundle"),
        ("unlisted", "`extra.yaml` is not listed in manifest.json"),
        ("fifo", "`pipe` is a FIFO (named pipe)"),
        (
            "bigger",
            "`secrets.yaml` is 1073741824 bytes where manifest.json says",
        ),
    ];
    for (case, expected) in cases {
        let dir = offline_bundle(&s, case);
        let secrets = dir.join("secrets.yaml");
        match *case {
            "symlink" => {
                let copy = s.path().join(format!("{case}-copy.yaml"));
                std::fs::rename(&secrets, &copy).unwrap();
                std::os::unix::fs::symlink(&copy, &secrets).unwrap();
            }
            "hardlink" => {
                std::fs::hard_link(&secrets, s.path().join(format!("{case}-link"))).unwrap();
            }
            "hidden" => std::fs::write(dir.join(".extra.yaml"), "a: 1\n").unwrap(),
            "subdir" => std::fs::create_dir(dir.join("nested")).unwrap(),
            "unlisted" => std::fs::write(dir.join("extra.yaml"), "a: 1\n").unwrap(),
            "fifo" => {
                let ok = std::process::Command::new("mkfifo")
                    .arg(dir.join("pipe"))
                    .status()
                    .is_ok_and(|st| st.success());
                if !ok {
                    common::skip("directory_bundle_entries_other_than_listed_regular_files_are_refused (fifo): `mkfifo` is not available");
                    continue;
                }
            }
            "bigger" => {
                // Sparse: a gigabyte that is refused from its size, never read.
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&secrets)
                    .unwrap();
                f.set_len(1 << 30).unwrap();
            }
            _ => unreachable!(),
        }
        for r in refused_by_restore_and_diff(dir.to_str().unwrap(), &[]) {
            assert!(r.stderr.contains(expected), "{case}: {}", r.stderr);
        }
    }
}

#[test]
#[allow(clippy::too_many_lines)] // one table of crafted archives
                                 // Encrypted bundles: the archive's entries were taken by base name whatever they were; now only
                                 // regular files inside the one directory that the manifest lists, at the size it records.
fn archive_bundle_entries_other_than_listed_regular_files_are_refused() {
    let s = Scratch::new();
    let files = bundle_files(&offline_bundle(&s, "plain"));
    let manifest = files["manifest.json"].as_slice();
    let secrets = files["secrets.yaml"].as_slice();
    let values = files["release-values.yaml"].as_slice();
    let overlay = files["values-credentials.yaml"].as_slice();
    let identity = age::x25519::Identity::generate();
    let key = identity_file(&s, &identity);
    let base = |rest: &[Item<'_>]| -> Vec<u8> {
        let mut items = vec![
            Item::Dir("b/"),
            Item::File("b/manifest.json", manifest),
            Item::File("b/release-values.yaml", values),
        ];
        items.extend_from_slice(rest);
        craft_tar(&items)
    };
    let overlay_item = Item::File("b/values-credentials.yaml", overlay);
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "symlink",
            base(&[
                Item::Special("b/secrets.yaml", tar::EntryType::Symlink, "/etc/shadow"),
                overlay_item,
            ]),
            "entry `b/secrets.yaml` is a symbolic link".into(),
        ),
        (
            "hardlink",
            base(&[
                Item::Special(
                    "b/secrets.yaml",
                    tar::EntryType::Link,
                    "b/release-values.yaml",
                ),
                overlay_item,
            ]),
            "entry `b/secrets.yaml` is a hard link".into(),
        ),
        (
            "fifo",
            base(&[Item::Special("b/pipe", tar::EntryType::Fifo, "")]),
            "entry `b/pipe` is a FIFO (named pipe)".into(),
        ),
        (
            "device",
            base(&[Item::Special("b/zero", tar::EntryType::Char, "")]),
            "entry `b/zero` is a character device".into(),
        ),
        (
            "duplicate",
            base(&[
                Item::File("b/secrets.yaml", secrets),
                Item::File("b/secrets.yaml", secrets),
            ]),
            "entry `b/secrets.yaml` appears twice".into(),
        ),
        (
            "top-level",
            base(&[Item::File("secrets.yaml", secrets)]),
            "entry `secrets.yaml` is a top-level file".into(),
        ),
        (
            "hidden",
            base(&[Item::File("b/.secrets.yaml", secrets)]),
            "entry `b/.secrets.yaml` is a hidden file".into(),
        ),
        (
            "unlisted",
            base(&[Item::File("b/extra.yaml", b"a: 1\n")]),
            "entry `b/extra.yaml` is not listed in manifest.json".into(),
        ),
        (
            "nested",
            base(&[Item::File("b/c/secrets.yaml", secrets)]),
            "entry `b/c/secrets.yaml` is inside a directory of the bundle".into(),
        ),
        (
            "escape",
            base(&[Item::File("b/../secrets.yaml", secrets)]),
            "is not a plain relative path".into(),
        ),
        (
            // A header claiming a gigabyte, with none of it behind: judged before reading.
            "oversize",
            base(&[Item::Claims("b/secrets.yaml", 1 << 30)]),
            format!(
                "`secrets.yaml` is 1073741824 bytes where manifest.json says {}",
                secrets.len()
            ),
        ),
    ];
    // The crafted archive itself is sound: the same entries, all regular, pass the bundle checks
    // (and the run goes on to the cluster, which is absent here).
    let sound = s.write(
        "sound.tar.age",
        seal_to(
            &identity,
            &base(&[Item::File("b/secrets.yaml", secrets), overlay_item]),
        ),
    );
    let r = common::run(&[
        "keys",
        "restore",
        &sound,
        "--identity",
        &key,
        "--kubeconfig",
        "missing-kubeconfig",
    ]);
    assert_eq!(r.status, 2);
    assert!(!r.stderr.contains("refusing"), "{}", r.stderr);
    assert!(!r.stderr.contains("sound.tar.age"), "{}", r.stderr);
    for (case, tar, expected) in cases {
        let file = s.write(&format!("{case}.tar.age"), seal_to(&identity, &tar));
        for r in refused_by_restore_and_diff(&file, &["--identity", &key]) {
            assert!(r.stderr.contains(&expected), "{case}: {}", r.stderr);
        }
    }
}

/// The scrypt stanza's work factor in an age header (`-> scrypt SALT N`).
fn scrypt_work_factor(sealed: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&sealed[..sealed.len().min(512)]).into_owned();
    let line = text.lines().find(|l| l.starts_with("-> scrypt "))?;
    line.rsplit(' ').next().map(str::to_string)
}

#[test]
// `keys backup --passphrase-file` let age tune scrypt to the machine: factor 17 to 19 from run
// to run (135 to 520 MiB to open it). The factor is now fixed, as the age command line does.
fn passphrase_backup_uses_a_fixed_scrypt_work_factor_of_18() {
    let s = Scratch::new();
    let values = s.write("values.yaml", "secretKey: \"0123456789abcdef\"\n");
    let secret = s.write(
        "core.yaml",
        common::secret_manifest("harbor-core", &[("secretKey", b"0123456789abcdef")]),
    );
    let pass = s.write("pass.txt", "correct horse battery staple\n");
    let out = s.path().join("b.tar.age");
    let r = common::run(&[
        "keys",
        "backup",
        &values,
        "--secret",
        &secret,
        "--passphrase-file",
        &pass,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let sealed = std::fs::read(&out).unwrap();
    assert_eq!(scrypt_work_factor(&sealed).as_deref(), Some("18"));
}

#[test]
// An age header asking for scrypt work factor 22 cost 20 s and 4.2 GiB before "Decryption
// failed"; anything above 20 is now refused from the header, before the work is spent.
fn restore_refuses_a_scrypt_work_factor_above_20_before_spending_it() {
    let s = Scratch::new();
    let pass = s.write("pass.txt", "correct horse battery staple\n");
    // Real age encryption at a cheap factor, then the header's factor raised to 21.
    let mut recipient = age::scrypt::Recipient::new(age::secrecy::SecretString::from(
        "correct horse battery staple".to_string(),
    ));
    recipient.set_work_factor(10);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut sealed = Vec::new();
    let mut w = encryptor.wrap_output(&mut sealed).unwrap();
    std::io::Write::write_all(&mut w, b"not even looked at").unwrap();
    w.finish().unwrap();
    assert_eq!(scrypt_work_factor(&sealed).as_deref(), Some("10"));
    let at = sealed
        .windows(4)
        .position(|w| w == b" 10\n")
        .expect("work factor in the header");
    sealed.splice(at..at + 4, b" 21\n".iter().copied());
    let file = s.write("heavy.tar.age", &sealed);
    for r in refused_by_restore_and_diff(&file, &["--passphrase-file", &pass]) {
        assert!(
            r.stderr.contains("scrypt work factor 21")
                && r.stderr.contains("above 20, the most this tool accepts"),
            "{}",
            r.stderr
        );
    }
}

#[test]
// The backup path was read whole with no cap: `/dev/zero` grew without bound and a FIFO blocked.
fn backup_path_that_is_a_device_or_fifo_is_refused_without_reading() {
    let s = Scratch::new();
    let fifo = s.path().join("pipe.tar.age");
    let mut paths = Vec::new();
    if Path::new("/dev/zero").exists() {
        paths.push(("/dev/zero".to_string(), "is a character device"));
    }
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|st| st.success())
    {
        paths.push((
            fifo.to_string_lossy().into_owned(),
            "is a FIFO (named pipe)",
        ));
    } else {
        common::skip("backup_path_that_is_a_device_or_fifo_is_refused_without_reading (fifo): `mkfifo` is not available");
    }
    for (path, phrase) in paths {
        for r in refused_by_restore_and_diff(&path, &[]) {
            assert!(
                r.stderr
                    .contains(&format!("{path} {phrase}, not a backup archive")),
                "{}",
                r.stderr
            );
        }
    }
}
