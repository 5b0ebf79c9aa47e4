//! How cost grows with input: `keys reset --dry-run` on the chart defaults (chart 1.19.1, with a
//! pinned token pair and internal secrets) and on ten times as much, and `preflight check` on a
//! 4 MiB minified JSON values file. The inputs are generated here into a temporary directory;
//! nothing large is committed. With `HARBOR_UPGRADE_BENCH_INPUTS=DIR` they are written to `DIR`
//! and kept, to measure the release binary on them by hand (`/usr/bin/time -v`).
//!
//! The `command` groups run the release binary as a user does (stdout discarded), so they include
//! process start-up; the `library` groups run the core of the same work in-process: parse once,
//! plan the edit and verify it with one more parse, or load and merge the values.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use harbor_upgrade::commands::{INTERNAL_FIELDS, TOKEN_FIELDS};
use harbor_upgrade::values::edit::{edit_parsed, values_roots, Change, DocPath};
use harbor_upgrade::values::{self, emit, parse_named, LoadOptions, SourceId, Sources, Value};

const DIR: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_harbor-upgrade");

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(DIR).join(rel)).expect("test data")
}

fn literal(pem: &str) -> String {
    let mut out = String::from("|\n");
    for line in pem.trim_end().lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The chart defaults with a pinned token pair and every internal secret set.
fn chart_defaults_with_secrets() -> String {
    let base = read("testdata/chart/values-1.19.1.yaml");
    let key = read("testdata/keys/rsa2048.key");
    let cert = read("testdata/keys/rsa2048.crt");
    let mut text = base
        .replacen(
            "  tokenKey: |\n",
            &format!("  tokenKey: {}", literal(&key)),
            1,
        )
        .replacen(
            "  tokenCert: |\n",
            &format!("  tokenCert: {}", literal(&cert)),
            1,
        )
        .replacen(
            "  xsrfKey: \"\"\n",
            "  xsrfKey: \"0123456789abcdef0123456789abcdef\"\n",
            1,
        );
    // core.secret, jobservice.secret and registry.secret are all `secret: ""` in the defaults.
    text = text.replace("  secret: \"\"\n", "  secret: \"0123456789abcdef\"\n");
    text
}

/// `n` times the chart defaults: the file above, then `n - 1` copies of the defaults nested under
/// keys of their own (which `keys reset` parses, masks and diffs, but does not edit).
fn times(n: usize) -> String {
    let base = read("testdata/chart/values-1.19.1.yaml");
    let mut out = chart_defaults_with_secrets();
    for i in 1..n {
        let _ = writeln!(out, "extra{i}:");
        for line in base.lines() {
            if !line.trim().is_empty() {
                out.push_str("  ");
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The chart defaults with secrets as minified JSON, grown to at least 4 MiB with an `extra`
/// map of small objects.
fn minified_json_4mib() -> String {
    let text = chart_defaults_with_secrets();
    let docs = values::parse_documents(SourceId(0), &text).expect("chart defaults parse");
    let mut json = emit::to_json(&docs[0]);
    let mut extra = serde_json::Map::new();
    let mut size = serde_json::to_string(&json).expect("json").len();
    let mut i = 0;
    while size < 4 * 1024 * 1024 {
        let item = serde_json::json!({"enabled": i % 2 == 0, "port": 8000 + i, "name": format!("component-{i}"), "labels": ["a", "b"]});
        size += item.to_string().len() + format!("\"k{i}\":,").len();
        extra.insert(format!("k{i}"), item);
        i += 1;
    }
    json["extra"] = serde_json::Value::Object(extra);
    serde_json::to_string(&json).expect("json")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write input");
    path
}

/// Runs the binary with stdout discarded; exit 0 or 1 (findings) is a successful run.
fn run_binary(args: &[&str]) {
    let status = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run the binary");
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "{args:?} exited {status}"
    );
}

/// The core of `keys reset` in-process: parse once, plan, edit and verify with one more parse
/// (the command also masks both texts and diffs them).
fn reset_in_process(text: &str) -> usize {
    let docs = parse_named(SourceId(0), "values.yaml", text).expect("parse");
    let roots = values_roots(&docs, None).expect("roots");
    // Every field `keys reset` blanks is set in the generated file.
    let changes: Vec<Change> = TOKEN_FIELDS
        .iter()
        .chain(INTERNAL_FIELDS)
        .map(|f| Change {
            doc: roots[0].doc,
            path: roots[0].prefix.join(&DocPath::keys(f)),
            value: Value::String(String::new()),
        })
        .collect();
    let edited = edit_parsed(text, docs, &changes).expect("edit");
    edited.text.len() + edited.docs.len()
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let kept = std::env::var_os("HARBOR_UPGRADE_BENCH_INPUTS").map(PathBuf::from);
    let dir = kept.as_deref().unwrap_or(tmp.path());
    let inputs: Vec<(&str, String)> = vec![("1x", times(1)), ("10x", times(10))];

    let mut command = c.benchmark_group("keys_reset_dry_run/command");
    command
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for (name, text) in &inputs {
        let path = write(dir, &format!("values-{name}.yaml"), text);
        let arg = path.to_str().expect("utf-8 path");
        command.throughput(Throughput::Bytes(text.len() as u64));
        command.bench_with_input(BenchmarkId::from_parameter(name), arg, |b, arg| {
            b.iter(|| run_binary(&["keys", "reset", arg, "--dry-run"]));
        });
    }
    command.finish();

    let mut library = c.benchmark_group("keys_reset_dry_run/library");
    library
        .sample_size(20)
        .measurement_time(Duration::from_secs(8));
    for (name, text) in &inputs {
        library.throughput(Throughput::Bytes(text.len() as u64));
        library.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
            b.iter(|| black_box(reset_in_process(text)));
        });
    }
    library.finish();

    let json = minified_json_4mib();
    let path = write(dir, "values.json", &json);
    let arg = path.to_str().expect("utf-8 path").to_string();
    let mut check = c.benchmark_group("preflight_check_minified_json_4mib");
    check
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Bytes(json.len() as u64));
    check.bench_function("command", |b| {
        b.iter(|| run_binary(&["preflight", "check", &arg, "-o", "json"]));
    });
    let opts = LoadOptions {
        files: vec![arg.clone()],
        ..LoadOptions::default()
    };
    check.bench_function("library_load", |b| {
        b.iter(|| {
            let mut sources = Sources::new();
            black_box(values::load(&opts, &mut sources, &mut std::io::empty()).expect("load"))
        });
    });
    check.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
