//! How the commands that write files behave around them: which file `keys rollback` may
//! restore, temporary files left by a killed run, hard-linked values files, extended attributes,
//! and a `keys backup` that fails half-way. Through the real binary, on real files.

mod common;

use std::path::{Path, PathBuf};

use common::{run, Scratch};

const VALUES: &str = "# Harbor values\ncore:\n  secret: Cr5tW8nQ1zX6vB3y # core\njobservice:\n  secret: 'Jb4s9QxT2mV7cW1e'\n";

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A directory `name` inside the scratch directory, with a values file in it.
fn values_dir(s: &Scratch, name: &str) -> (PathBuf, PathBuf) {
    let dir = s.path().join(name);
    std::fs::create_dir(&dir).unwrap();
    let values = dir.join("values.yaml");
    std::fs::write(&values, VALUES).unwrap();
    (dir, values)
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
// A rollback file restored whatever file its header named: a crafted one rewrote any file whose
// SHA-256 it knew. Only the values file beside it (or `--values`) is restored now.
fn rollback_file_naming_a_values_file_elsewhere_is_refused() {
    let s = Scratch::new();
    let (victim_dir, victim) = values_dir(&s, "victim");
    let r = run(&["keys", "reset", arg(&victim), "--only", "internal"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let reset = std::fs::read(&victim).unwrap();
    // The same rollback file, carried to another directory.
    let elsewhere = s.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let carried = elsewhere.join("values.rollback.yaml");
    std::fs::copy(victim_dir.join("values.rollback.yaml"), &carried).unwrap();
    for extra in [&[][..], &["--dry-run"][..], &["--force"][..]] {
        let mut args = vec!["keys", "rollback", arg(&carried)];
        args.extend_from_slice(extra);
        let r = run(&args);
        assert_eq!(r.status, 2, "{extra:?}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("which is not beside it") && r.stderr.contains("`--values FILE`"),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.matches("error:").count(), 1, "{}", r.stderr);
        assert_eq!(std::fs::read(&victim).unwrap(), reset, "{extra:?}");
    }
    assert_eq!(names(&elsewhere), ["values.rollback.yaml"]);
    // A header naming a relative path is refused too.
    let text = std::fs::read_to_string(&carried).unwrap();
    let relative = text.replace(
        &format!("# values-file: {}", victim.display()),
        "# values-file: values.yaml",
    );
    assert_ne!(relative, text);
    let relative_file = victim_dir.join("relative.rollback.yaml");
    std::fs::write(&relative_file, relative).unwrap();
    let r = run(&["keys", "rollback", arg(&relative_file)]);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("not an absolute path of a values file"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&victim).unwrap(), reset);
    // Beside the file it names, the same rollback file restores it, and says so first.
    let r = run(&[
        "keys",
        "rollback",
        arg(&victim_dir.join("values.rollback.yaml")),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let first = r.stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "restoring {} from {}",
            victim.display(),
            victim_dir.join("values.rollback.yaml").display()
        )
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), VALUES);
}

#[test]
// With `--rollback-file` in another directory, the undo hint and the rollback file's header
// name `--values`, and `--values` restores the file the user names.
fn rollback_file_kept_elsewhere_restores_with_values() {
    let s = Scratch::new();
    let (_dir, values) = values_dir(&s, "chart");
    let keep = s.path().join("keep");
    std::fs::create_dir(&keep).unwrap();
    let rollback = keep.join("harbor.rollback.yaml");
    let r = run(&[
        "keys",
        "reset",
        arg(&values),
        "--rollback-file",
        arg(&rollback),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let hint = format!(
        "`harbor-upgrade keys rollback {} --values {}`",
        rollback.display(),
        values.display()
    );
    assert!(r.stdout.contains(&hint), "{}", r.stdout);
    let header = std::fs::read_to_string(&rollback).unwrap();
    assert!(
        header.contains(&format!("add `--values {}`", values.display())),
        "{header}"
    );
    let r = run(&["keys", "rollback", arg(&rollback)]);
    assert_eq!(r.status, 2, "{}", r.stdout);
    let r = run(&[
        "keys",
        "rollback",
        arg(&rollback),
        "--values",
        arg(&values),
        "--dry-run",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with(&format!("would restore {} from", values.display())),
        "{}",
        r.stdout
    );
    assert_ne!(std::fs::read_to_string(&values).unwrap(), VALUES);
    let r = run(&["keys", "rollback", arg(&rollback), "--values", arg(&values)]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&values).unwrap(), VALUES);
}

/// The PID of a process that has ended.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn set_old(path: &Path) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(946_684_800))
        .unwrap();
}

#[test]
// A run killed between writing its temporary file and renaming it left `.values.yaml.PID.N.tmp`
// (some of 31 MB, holding old secrets) for good. The next run on that file removes such files:
// the exact pattern, and a PID that is dead or younger than the file.
fn temp_files_left_by_a_killed_run_are_removed_by_the_next_run() {
    let s = Scratch::new();
    let (dir, values) = values_dir(&s, "chart");
    let dead = dead_pid();
    let me = std::process::id();
    let leftover = |name: &str| {
        let path = dir.join(name);
        std::fs::write(&path, "core:\n  secret: OLD-SECRET-LEFT-BEHIND\n").unwrap();
        path
    };
    let killed = leftover(&format!(".values.yaml.{dead}.0.tmp"));
    let killed_rollback = leftover(&format!(".values.rollback.yaml.{dead}.3.tmp"));
    let reused = leftover(&format!(".values.yaml.{me}.7.tmp"));
    set_old(&reused);
    // A live writer's file, another file's, and names outside the pattern stay.
    let live = leftover(&format!(".values.yaml.{me}.1.tmp"));
    let other = leftover(&format!(".other.yaml.{dead}.0.tmp"));
    let odd = leftover(&format!(".values.yaml.{dead}.tmp"));
    let r = run(&["keys", "reset", arg(&values), "--only", "internal"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    for gone in [&killed, &killed_rollback, &reused] {
        assert!(!gone.exists(), "{} was left", gone.display());
        assert!(
            r.stderr.contains(&format!(
                "note: removed {}, left by an interrupted run",
                gone.display()
            )),
            "{}",
            r.stderr
        );
    }
    for kept in [&live, &other, &odd] {
        assert!(kept.exists(), "{} was removed", kept.display());
    }
    assert!(!r.stdout.contains("OLD-SECRET") && !r.stderr.contains("OLD-SECRET"));
}

#[test]
// The same for a plaintext backup killed half-way: its temporary directory of secrets goes with
// the next backup into that directory.
fn backup_directory_left_by_a_killed_run_is_removed_by_the_next_backup() {
    let s = Scratch::new();
    let (dir, values) = values_dir(&s, "work");
    let secret = s.write(
        "core.yaml",
        common::secret_manifest("harbor-core", &[("secretKey", b"0123456789abcdef")]),
    );
    let killed = dir.join(format!(
        ".harbor-backup-files-20300101T000000Z.{}.0.tmp",
        dead_pid()
    ));
    std::fs::create_dir(&killed).unwrap();
    std::fs::write(killed.join("secrets.yaml"), "kind: Secret\n").unwrap();
    let out = dir.join("b");
    let r = run(&[
        "keys",
        "backup",
        arg(&values),
        "--secret",
        &secret,
        "--out",
        arg(&out),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(!killed.exists());
    assert_eq!(names(&dir), ["b", "values.yaml"]);
}

#[test]
// A plaintext backup that failed half-way (a full disk) left three secret files and no manifest.
// It is built in a temporary directory that is renamed into place only when complete. The
// failure is real: a file size limit makes the second file's write fail with EFBIG.
fn failed_backup_leaves_nothing_behind() {
    let s = Scratch::new();
    let (dir, values) = values_dir(&s, "work");
    // secrets.yaml (a certificate in it) is far over the limit; release-values.yaml is not.
    let secret = s.write(
        "core.yaml",
        common::secret_manifest(
            "harbor-core",
            &[
                ("secretKey", b"0123456789abcdef"),
                ("tls.crt", common::key("rsa2048.crt").as_bytes()),
            ],
        ),
    );
    let out = dir.join("b");
    let bin = assert_cmd::cargo::cargo_bin("harbor-upgrade");
    let script = "trap '' XFSZ; ulimit -f 2; exec \"$0\" \"$@\"";
    let output = std::process::Command::new("sh")
        .args(["-c", script])
        .arg(&bin)
        .args(["keys", "backup", arg(&values), "--secret", &secret, "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(0) {
        common::skip("failed_backup_leaves_nothing_behind: the file size limit did not apply");
        return;
    }
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    assert!(stderr.contains("nothing written"), "{stderr}");
    assert_eq!(names(&dir), ["values.yaml"], "{stderr}");
}

#[test]
// A values file with several hard links was replaced by rename: this name got the new content,
// the other names kept the old secrets. It is refused with its link count; `--break-links` goes on.
fn hard_linked_values_file_is_refused_with_its_link_count() {
    let s = Scratch::new();
    let (dir, values) = values_dir(&s, "chart");
    let other = dir.join("other.yaml");
    std::fs::hard_link(&values, &other).unwrap();
    let r = run(&["keys", "reset", arg(&values), "--only", "internal"]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("has 2 hard links") && r.stderr.contains("`--break-links`"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("error:").count(), 1, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&values).unwrap(), VALUES);
    assert_eq!(names(&dir), ["other.yaml", "values.yaml"]);
    let r = run(&[
        "keys",
        "reset",
        arg(&values),
        "--only",
        "internal",
        "--break-links",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.contains("had 2 hard links"), "{}", r.stderr);
    assert_ne!(std::fs::read_to_string(&values).unwrap(), VALUES);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), VALUES);
    // The rollback refuses a linked file the same way.
    std::fs::hard_link(&values, dir.join("third.yaml")).unwrap();
    let rollback = dir.join("values.rollback.yaml");
    let r = run(&["keys", "rollback", arg(&rollback)]);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(r.stderr.contains("has 2 hard links"), "{}", r.stderr);
    let r = run(&["keys", "rollback", arg(&rollback), "--break-links"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&values).unwrap(), VALUES);
}

#[test]
// The rename replaced the file with a new inode: extended attributes (ACLs, labels, user
// attributes) were lost. They are copied onto the replacement.
fn extended_attributes_survive_the_atomic_write() {
    let s = Scratch::new();
    let (dir, values) = values_dir(&s, "chart");
    match rustix::fs::setxattr(
        &values,
        "user.harbor-test",
        b"keep me",
        rustix::fs::XattrFlags::empty(),
    ) {
        Ok(()) => {}
        Err(e) => {
            common::skip(&format!(
                "extended_attributes_survive_the_atomic_write: the file system refuses user attributes ({e})"
            ));
            return;
        }
    }
    let read = |p: &Path| {
        let mut buf = [0u8; 64];
        let n = rustix::fs::getxattr(p, "user.harbor-test", &mut buf[..]).unwrap();
        buf[..n].to_vec()
    };
    let r = run(&["keys", "reset", arg(&values), "--only", "internal"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_ne!(std::fs::read_to_string(&values).unwrap(), VALUES);
    assert_eq!(read(&values), b"keep me");
    let r = run(&["keys", "rollback", arg(&dir.join("values.rollback.yaml"))]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&values).unwrap(), VALUES);
    assert_eq!(read(&values), b"keep me");
}
