//! How `diagnose --logs` scales with the log: 1 MB and 10 MB of generated Harbor logs as
//! `kubectl logs --prefix` saves them (core, registry and jobservice lines; about one line in
//! two hundred shows a signature, and many of those hold secret-looking values to mask). The
//! logs are generated here into a temporary directory; nothing large is committed. With
//! `HARBOR_UPGRADE_BENCH_INPUTS=DIR` they are written to `DIR` and kept, to measure the release
//! binary on them (or on many copies of them, `cat`ed into 1 GB) by hand with `/usr/bin/time -v`.
//!
//! The `library` group streams the log through the scan in-process; the `command` group runs
//! the release binary as a user does (JSON on stdout, discarded), start-up and report included.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use harbor_upgrade::diagnose::{Filter, LogScan};
use harbor_upgrade::input::{LineReader, LOG_LINE_LIMIT};
use harbor_upgrade::values::{SourceOrigin, Sources};

const BIN: &str = env!("CARGO_BIN_EXE_harbor-upgrade");

/// A small deterministic generator (xorshift), so every run scans the same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(len);
        s
    }

    fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| char::from(ALPHABET[usize::try_from(self.below(62)).unwrap_or(0)]))
            .collect()
    }
}

/// One line of a busy release: mostly access and job lines, now and then a failure with a
/// signature, and some of those carrying a bearer token, a JWT or a `password=` value.
fn line(rng: &mut Rng, second: u64, out: &mut String) {
    let (h, m, s) = (8 + second / 3600 % 12, second / 60 % 60, second % 60);
    let time = format!("2024-06-03T{h:02}:{m:02}:{s:02}Z");
    let core = rng.below(2);
    match rng.below(1000) {
        0..=449 => {
            let _ = writeln!(
                out,
                "[pod/harbor-core-7d9c{core}/core] {time} [INFO] [/server/middleware/log/log.go:30]: GET /api/v2.0/projects/library/repositories?page={} 200 {}ms requestID={}",
                rng.below(20),
                rng.below(400),
                rng.hex(32)
            );
        }
        450..=799 => {
            let _ = writeln!(
                out,
                "[pod/harbor-registry-5f6b/registry] time=\"{time}\" level=info msg=\"response completed\" go.version=go1.22.5 http.request.host=harbor.example.com http.request.id={} http.request.method=GET http.request.uri=\"/v2/library/nginx/manifests/sha256:{}\" http.response.status=200 http.response.duration={}ms",
                rng.hex(36),
                rng.hex(64),
                rng.below(90)
            );
        }
        800..=994 => {
            let _ = writeln!(
                out,
                "[pod/harbor-jobservice-6c8d/jobservice] {time} [INFO] [/jobservice/worker/cworker/c_worker.go:76]: Job incoming: {{\"name\":\"GARBAGE_COLLECTION\",\"id\":\"{}\",\"metadata\":{{\"job_kind\":\"Generic\",\"is_unique\":false}}}}",
                rng.hex(24)
            );
        }
        995 => {
            let _ = writeln!(
                out,
                "[pod/harbor-core-7d9c{core}/core] {time} [ERROR] [/pkg/token/token.go:82]: parse token error, crypto/rsa: verification error, token: Bearer eyJhbGciOiJSUzI1NiJ9.{}.{}",
                rng.token(120),
                rng.token(86)
            );
        }
        996 => {
            let _ = writeln!(
                out,
                "[pod/harbor-core-7d9c{core}/core] {time} [ERROR] [/server/middleware/security/v2_token.go:52]: failed to decode token: token is expired by {}m{}s Authorization: Bearer {} password={}",
                rng.below(50),
                rng.below(60),
                rng.token(40),
                rng.token(16)
            );
        }
        997 => {
            let _ = writeln!(
                out,
                "[pod/harbor-registry-5f6b/registry] time=\"{time}\" level=error msg=\"error authenticating user \\\"harbor_registry_user\\\": authentication failure\" http.request.id={}",
                rng.hex(36)
            );
        }
        998 => {
            let _ = writeln!(
                out,
                "[pod/harbor-jobservice-6c8d/jobservice] {time} [ERROR] [/jobservice/api/handler.go:811]: Serve http request 'POST /api/v1/jobs' failed with error: {{\"code\":10011,\"message\":\"unauthorized\",\"details\":\"'Authorization' should start with 'Harbor-Secret'\"}} secret={}",
                rng.token(16)
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "[pod/harbor-core-7d9c{core}/core] {time} [ERROR] [/lib/orm/orm.go:78]: failed to initialize database: failed to connect to `host=harbor-database user=postgres database=registry`: password authentication failed for user \"postgres\" (SQLSTATE 28P01)"
            );
        }
    }
}

/// About `bytes` bytes of log, ending with a line break.
fn harbor_log(bytes: usize) -> String {
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let mut out = String::with_capacity(bytes + 1024);
    let mut n = 0;
    while out.len() < bytes {
        line(&mut rng, n / 40, &mut out);
        n += 1;
    }
    out
}

struct Inputs {
    _tmp: tempfile::TempDir,
    files: Vec<(&'static str, usize, PathBuf)>,
}

fn inputs() -> Inputs {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let kept = std::env::var_os("HARBOR_UPGRADE_BENCH_INPUTS").map(PathBuf::from);
    if let Some(dir) = &kept {
        std::fs::create_dir_all(dir).expect("inputs directory");
    }
    let dir = kept.as_deref().unwrap_or(tmp.path());
    let mut files = Vec::new();
    for (label, bytes) in [("1MB", 1_000_000), ("10MB", 10_000_000)] {
        let path = dir.join(format!("harbor-{label}.log"));
        let text = harbor_log(bytes);
        std::fs::write(&path, &text).expect("write log");
        files.push((label, text.len(), path));
    }
    Inputs { _tmp: tmp, files }
}

fn scan_file(path: &Path) -> usize {
    let mut sources = Sources::new();
    let mut scan = LogScan::new();
    let mut reader = LineReader::open(path, "harbor.log", LOG_LINE_LIMIT).expect("open log");
    scan.scan_reader(
        &mut sources,
        "harbor.log",
        SourceOrigin::LogFile,
        &mut reader,
        Filter::default(),
    )
    .expect("read log");
    scan.hits.len()
}

fn diagnose(c: &mut Criterion) {
    let inputs = inputs();
    let mut library = c.benchmark_group("diagnose/library");
    library.sample_size(10);
    library.measurement_time(Duration::from_secs(5));
    for (label, len, path) in &inputs.files {
        library.throughput(Throughput::Bytes(*len as u64));
        library.bench_with_input(BenchmarkId::from_parameter(label), path, |b, path| {
            b.iter(|| black_box(scan_file(path)));
        });
    }
    library.finish();
    let mut command = c.benchmark_group("diagnose/command");
    command.sample_size(10);
    command.measurement_time(Duration::from_secs(5));
    for (label, len, path) in &inputs.files {
        command.throughput(Throughput::Bytes(*len as u64));
        command.bench_with_input(BenchmarkId::from_parameter(label), path, |b, path| {
            b.iter(|| {
                let status = Command::new(BIN)
                    .args(["diagnose", "--logs"])
                    .arg(path)
                    .args(["-o", "json", "--fail-on", "never"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .expect("run harbor-upgrade");
                assert!(status.success(), "{status}");
            });
        });
    }
    command.finish();
}

criterion_group!(benches, diagnose);
criterion_main!(benches);
