//! Helpers shared by the integration tests: run the real binary, build values files from the
//! key fixtures in `testdata/keys`, read JSON output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    root().join("testdata").join(rel)
}

/// The text of a key fixture.
pub fn key(name: &str) -> String {
    std::fs::read_to_string(testdata(&format!("keys/{name}"))).expect("key fixture")
}

/// `text` indented by `n` spaces on every line, for a YAML block scalar.
pub fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    let mut out = String::new();
    for line in text.trim_end_matches('\n').lines() {
        out.push_str(&pad);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A values document with `core.tokenKey` and `core.tokenCert` as `|` blocks.
pub fn token_values(key_file: &str, cert_file: &str) -> String {
    format!(
        "core:\n  tokenKey: |\n{}  tokenCert: |\n{}",
        indent(&key(key_file), 4),
        indent(&key(cert_file), 4)
    )
}

/// A Secret manifest as `kubectl get secret -o yaml` prints it.
pub fn secret_manifest(name: &str, data: &[(&str, &[u8])]) -> String {
    use base64::Engine as _;
    let mut out = format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: harbor\ntype: Opaque\ndata:\n");
    for (k, v) in data {
        out.push_str("  ");
        out.push_str(k);
        out.push_str(": ");
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(v));
        out.push('\n');
    }
    out
}

/// The binary.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("harbor-upgrade").expect("binary built");
    cmd.env_remove("NO_COLOR").env("TERM", "dumb");
    cmd
}

/// A scratch directory with files in it.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Writes a file and returns its path as a string.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write fixture");
        path.to_string_lossy().into_owned()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Output of one run.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the output unless the tool did its job: exit status 0 (nothing to report at
    /// `--fail-on`) or 1 (findings), not 2 (it could not judge).
    pub fn assert_judged(&self) {
        assert!(
            self.status == 0 || self.status == 1,
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }

    /// The JSON document on stdout.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Rule IDs of the findings, in output order.
    pub fn rules(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The findings of one rule.
    pub fn findings(&self, rule: &str) -> Vec<Value> {
        self.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule"] == rule)
            .cloned()
            .collect()
    }

    /// The skipped entries of one rule.
    pub fn skipped(&self, rule: &str) -> Vec<Value> {
        self.json()["skipped"]
            .as_array()
            .expect("skipped")
            .iter()
            .filter(|f| f["rule"] == rule)
            .cloned()
            .collect()
    }
}

/// Runs the binary with arguments; never panics on a non-zero status.
pub fn run(args: &[&str]) -> Run {
    run_stdin(args, "")
}

/// Runs the binary with arguments and standard input.
pub fn run_stdin(args: &[&str], stdin: &str) -> Run {
    let out = bin()
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("run binary");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `preflight check -o json` on one values text (plus extra arguments).
pub fn check_values(values: &str, extra: &[&str]) -> Run {
    let s = Scratch::new();
    let file = s.write("values.yaml", values);
    let mut args = vec!["preflight", "check", file.as_str(), "-o", "json"];
    if !extra.contains(&"--now") {
        args.extend_from_slice(&["--now", "2030-01-01T00:00:00Z"]);
    }
    args.extend_from_slice(extra);
    let r = run(&args);
    r.assert_judged();
    r
}

/// Says why a test is skipped, visibly: libtest captures `eprintln!` of passing tests, but not
/// direct writes to the process's stderr.
pub fn skip(reason: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
}

/// The real `values.yaml` of chart `version` from `../shared/harbor-helm/`, or `None` after
/// saying why the test `name` is skipped.
pub fn chart_values(name: &str, version: &str) -> Option<String> {
    let path = root().join(format!("../shared/harbor-helm/{version}/values.yaml"));
    let text = std::fs::read_to_string(&path).ok();
    if text.is_none() {
        skip(&format!(
            "{name}: {} is absent (the shared chart folder is not beside this clone)",
            path.display()
        ));
    }
    text
}
