//! Hostile inputs for every command that reads a values file, a Secret manifest, a
//! `--set-file`, a passphrase or identity file, a rollback file or a chart: devices, a FIFO, a
//! directory, a file over the size cap, binary data, and the same on standard input. Each must
//! end with exit status 2 and one `error:` line naming the input and the limit, quickly (a
//! timeout turns a hang into a failure), without a panic and with little output.
//!
//! Everything is generated here; oversize files are sparse, so they cost no disk.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{bin, testdata, Scratch};

/// A hostile input must be refused well within this; a FIFO opened for reading would block.
const TIMEOUT: Duration = Duration::from_secs(60);
/// The most output a refused input may cause.
const MAX_OUTPUT: usize = 4096;

/// What role an input plays, with the size cap `docs/inputs.md` documents for it.
#[derive(Clone, Copy, Debug)]
enum Role {
    Values,
    Secret,
    SetFile,
    Passphrase,
    Identity,
    Rollback,
    Chart,
}

impl Role {
    fn limit(self) -> &'static str {
        match self {
            Role::Values | Role::Rollback => "16 MiB",
            Role::Secret => "64 MiB",
            Role::SetFile | Role::Identity => "1 MiB",
            Role::Passphrase => "64 KiB",
            Role::Chart => "32 MiB",
        }
    }
}

/// The hostile inputs, by what the error must say about them.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Hostile {
    DevZero,
    DevUrandom,
    Fifo,
    Directory,
    Oversize,
    Binary,
}

const ALL: [Hostile; 6] = [
    Hostile::DevZero,
    Hostile::DevUrandom,
    Hostile::Fifo,
    Hostile::Directory,
    Hostile::Oversize,
    Hostile::Binary,
];

struct Inputs {
    scratch: Scratch,
    fifo: Option<String>,
}

impl Inputs {
    fn new(test: &str) -> Self {
        let scratch = Scratch::new();
        let fifo = scratch.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            common::skip(&format!(
                "{test}: the FIFO cases: `mkfifo` is not available"
            ));
        }
        std::fs::create_dir(scratch.path().join("dir")).unwrap();
        // Sparse: over every cap, no disk used.
        let big = std::fs::File::create(scratch.path().join("oversize")).unwrap();
        big.set_len(64 * 1024 * 1024 + 1).unwrap();
        scratch.write("binary", b"core:\n  secret: \x00\x01\x02\xff\n");
        Inputs {
            fifo: made.then(|| fifo.display().to_string()),
            scratch,
        }
    }

    /// The path of a hostile input and the phrase the error must hold, or `None` when this
    /// machine cannot make it.
    fn get(&self, test: &str, h: Hostile, role: Role) -> Option<(String, String)> {
        let at = |name: &str| self.scratch.path().join(name).display().to_string();
        let device = |path: &str| {
            if Path::new(path).exists() {
                Some(path.to_string())
            } else {
                common::skip(&format!("{test}: {path} is absent"));
                None
            }
        };
        Some(match h {
            Hostile::DevZero => (device("/dev/zero")?, "is a character device".into()),
            Hostile::DevUrandom => (device("/dev/urandom")?, "is a character device".into()),
            Hostile::Fifo => (self.fifo.clone()?, "is a FIFO (named pipe)".into()),
            Hostile::Directory => (at("dir"), "is a directory".into()),
            Hostile::Oversize => (at("oversize"), format!("is larger than {}", role.limit())),
            Hostile::Binary => (at("binary"), "is not a text file".into()),
        })
    }
}

/// Runs the binary and checks the refusal: exit 2, one `error:` line holding `name` and
/// `phrase`, no panic, bounded output.
fn refused(case: &str, args: &[String], stdin: Option<Stdin>, name: &str, phrase: &str) {
    let home = tempfile::tempdir().unwrap();
    let out = match stdin {
        // A device as standard input, as `cmd - < /dev/zero` gives it (assert_cmd would read
        // the whole device into memory first).
        Some(Stdin::File(path)) => {
            let mut cmd =
                std::process::Command::new(assert_cmd::cargo::cargo_bin!("harbor-upgrade"));
            cmd.args(args)
                .env("HOME", home.path())
                .env("KUBECONFIG", home.path().join("no-kubeconfig"))
                .stdin(std::fs::File::open(path).unwrap());
            output_within(cmd, TIMEOUT)
        }
        other => {
            let mut cmd = bin();
            cmd.args(args)
                .env("HOME", home.path())
                .env("KUBECONFIG", home.path().join("no-kubeconfig"))
                .timeout(TIMEOUT);
            match other {
                Some(Stdin::Bytes(bytes)) => cmd.write_stdin(bytes),
                _ => cmd.write_stdin(""),
            };
            cmd.output().unwrap()
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let all = format!("{case}: {args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(!stderr.contains("panicked"), "{all}");
    assert!(
        out.stdout.len() + out.stderr.len() <= MAX_OUTPUT,
        "{} bytes of output\n{all}",
        out.stdout.len() + out.stderr.len()
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{all}");
    assert!(errors[0].contains(name), "the error names {name}\n{all}");
    assert!(
        errors[0].contains(phrase),
        "the error says {phrase:?}\n{all}"
    );
}

/// Runs `cmd` to the end, killing it (and failing) after `limit`.
fn output_within(mut cmd: std::process::Command, limit: Duration) -> std::process::Output {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let stderr = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

enum Stdin {
    File(&'static str),
    Bytes(Vec<u8>),
}

/// Every hostile input in every place `templates` take one: `{}` stands for the input, `{out}`
/// for a path in the scratch directory that does not exist yet.
fn each_hostile(test: &str, role: Role, templates: &[&[&str]]) {
    let inputs = Inputs::new(test);
    let out = inputs.scratch.path().join("out").display().to_string();
    for h in ALL {
        let Some((path, phrase)) = inputs.get(test, h, role) else {
            continue;
        };
        for template in templates {
            let args: Vec<String> = template
                .iter()
                .map(|a| a.replace("{out}", &out).replace("{}", &path))
                .collect();
            refused(&format!("{role:?}/{h:?}"), &args, None, &path, &phrase);
        }
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(ToString::to_string).collect()
}

fn demo(name: &str) -> String {
    testdata(&format!("demo/{name}")).display().to_string()
}

// Values files, positional or `-f`, for every command that reads them.
#[test]
fn hostile_values_files_are_refused() {
    each_hostile(
        "hostile_values_files_are_refused",
        Role::Values,
        &[
            &["preflight", "check", "{}"],
            &["preflight", "check", "-f", "{}"],
            &["keys", "inspect", "{}"],
            &["keys", "backup", "{}", "--out", "{out}"],
            &["keys", "reset", "{}", "--dry-run"],
            &["keys", "rotate", "{}", "--dry-run"],
        ],
    );
}

#[test]
fn hostile_secret_manifests_are_refused() {
    each_hostile(
        "hostile_secret_manifests_are_refused",
        Role::Secret,
        &[
            &["preflight", "check", "--secret", "{}"],
            &["keys", "inspect", "--secret", "{}"],
            &["keys", "backup", "--secret", "{}", "--out", "{out}"],
        ],
    );
}

#[test]
fn hostile_set_files_are_refused() {
    let secret = demo("harbor-core-secret.yaml");
    each_hostile(
        "hostile_set_files_are_refused",
        Role::SetFile,
        &[
            &["preflight", "check", "--set-file", "core.tokenKey={}"],
            &["keys", "inspect", "--set-file", "core.tokenKey={}"],
            &[
                "keys",
                "backup",
                "--set-file",
                "core.tokenKey={}",
                "--secret",
                &secret,
                "--out",
                "{out}",
            ],
        ],
    );
}

#[test]
fn hostile_passphrase_files_are_refused() {
    let (values, secret) = (demo("values.yaml"), demo("harbor-core-secret.yaml"));
    each_hostile(
        "hostile_passphrase_files_are_refused",
        Role::Passphrase,
        &[
            &[
                "keys",
                "backup",
                &values,
                "--secret",
                &secret,
                "--passphrase-file",
                "{}",
                "--out",
                "{out}",
            ],
            &["keys", "restore", "{out}", "--passphrase-file", "{}"],
            &["keys", "diff", "{out}", "--passphrase-file", "{}"],
        ],
    );
}

// The identity file is read only to open a backup encrypted to a recipient: make one.
#[test]
fn hostile_identity_files_are_refused() {
    let backups = tempfile::tempdir().unwrap();
    let identity = age::x25519::Identity::generate();
    let sealed = backups.path().join("backup.tar.age").display().to_string();
    let made = bin()
        .args([
            "keys",
            "backup",
            &demo("values.yaml"),
            "--secret",
            &demo("harbor-core-secret.yaml"),
            "--recipient",
            &identity.to_public().to_string(),
            "--out",
            &sealed,
        ])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(
        made.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    each_hostile(
        "hostile_identity_files_are_refused",
        Role::Identity,
        &[
            &["keys", "restore", &sealed, "--identity", "{}"],
            &["keys", "diff", &sealed, "--identity", "{}"],
        ],
    );
}

#[test]
fn hostile_rollback_files_are_refused() {
    each_hostile(
        "hostile_rollback_files_are_refused",
        Role::Rollback,
        &[&["keys", "rollback", "{}", "--dry-run"]],
    );
}

// A chart is a directory or a `.tgz` (binary by nature): devices, a FIFO and size are refused.
#[test]
fn hostile_chart_archives_are_refused() {
    let test = "hostile_chart_archives_are_refused";
    let inputs = Inputs::new(test);
    let values = demo("values.yaml");
    for h in [
        Hostile::DevZero,
        Hostile::DevUrandom,
        Hostile::Fifo,
        Hostile::Oversize,
    ] {
        let Some((path, phrase)) = inputs.get(test, h, Role::Chart) else {
            continue;
        };
        let args = strings(&["preflight", "check", &values, "--chart", &path]);
        refused(&format!("chart/{h:?}"), &args, None, &path, &phrase);
    }
    // A chart directory whose values.yaml is a FIFO.
    let Some(fifo) = &inputs.fifo else {
        return;
    };
    let dir = inputs.scratch.path().join("chart");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("Chart.yaml"), "name: harbor\nversion: 1.19.1\n").unwrap();
    std::os::unix::fs::symlink(fifo, dir.join("values.yaml")).unwrap();
    let shown = dir.join("values.yaml").display().to_string();
    let args = strings(&[
        "preflight",
        "check",
        &values,
        "--chart",
        &dir.display().to_string(),
    ]);
    refused(
        "chart dir/fifo",
        &args,
        None,
        &shown,
        "is a FIFO (named pipe)",
    );
}

// `-` reads standard input with the same caps: an endless or binary stream is cut off.
#[test]
fn hostile_standard_input_is_refused() {
    for (dev, phrase) in [
        ("/dev/zero", "is not a text file"),
        ("/dev/urandom", "is not a text file"),
    ] {
        if !Path::new(dev).exists() {
            common::skip(&format!(
                "hostile_standard_input_is_refused: {dev} is absent"
            ));
            continue;
        }
        for args in [
            vec!["preflight", "check", "-"],
            vec!["keys", "inspect", "--secret", "-"],
        ] {
            refused(
                dev,
                &strings(&args),
                Some(Stdin::File(dev)),
                "<stdin>",
                phrase,
            );
        }
    }
    // Text one byte over the cap.
    let mut text = b"a: b\n".repeat(16 * 1024 * 1024 / 5 + 1);
    text.truncate(16 * 1024 * 1024 + 1);
    let args = strings(&["preflight", "check", "-"]);
    refused(
        "stdin/oversize",
        &args,
        Some(Stdin::Bytes(text)),
        "<stdin>",
        "is larger than 16 MiB",
    );
}

// `--set` beyond Helm's limits or nested past the recursion limit: exit 2, never a crash.
#[test]
fn hostile_set_arguments_are_refused() {
    let deep = format!("a{}=1", "[0]".repeat(20_000));
    let wide = (0..200)
        .map(|i| format!("a{i}[65536]=1"))
        .collect::<Vec<_>>()
        .join(",");
    for (arg, phrase) in [
        (deep.as_str(), "nested deeper than 256 levels"),
        (wide.as_str(), "would create more than 262144 values"),
        (
            "a[65537]=1",
            "greater than maximum supported index of 65536",
        ),
    ] {
        let args = strings(&["preflight", "check", "--set", arg]);
        refused("set", &args, None, "--set argument #1", phrase);
    }
}
