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
