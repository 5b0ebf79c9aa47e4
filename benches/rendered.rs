//! `preflight check --rendered` at 1× and 10× the size of a real `helm template` stream
//! (`testdata/rendered/upgrade-1.14.2.yaml`, 29 objects, 37 KB): parsing the stream (redacting
//! its Secrets), then every rule against the deployed manifest of chart 1.12.4. The 10× stream
//! repeats the objects under other names, so the cost per byte shows whether it stays linear.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use harbor_upgrade::checks::{self, Context, Settings};
use harbor_upgrade::cli::Renderer;
use harbor_upgrade::rendered;
use harbor_upgrade::values::{Node, Sources, Value};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/testdata/rendered/{name}")).expect("fixture")
}

/// The stream, then `copies - 1` more copies of it with every object renamed (`harbor` →
/// `copyN`), so that the release's own objects are still found once.
fn grown(text: &str, copies: usize) -> String {
    let mut out = text.to_string();
    for n in 1..copies {
        out.push_str("---\n");
        out.push_str(&text.replace("harbor-", &format!("copy{n}-")));
    }
    out
}

fn settings() -> Settings {
    Settings {
        now: 1_800_000_000,
        expiry_days: 30,
        renderer: Renderer::Helm,
        from: harbor_upgrade::chart::parse_release("2.8.4").ok(),
        to: harbor_upgrade::chart::parse_release("2.10.2").ok(),
        secrets_complete: false,
    }
}

fn bench(c: &mut Criterion) {
    let upgrade = read("upgrade-1.14.2.yaml");
    let deployed = read("deployed-1.12.4.yaml");
    let settings = settings();
    let values = Node::synthetic(Value::Map(Vec::new()));
    let mut group = c.benchmark_group("rendered");
    for copies in [1, 10] {
        let text = grown(&upgrade, copies);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("parse", format!("{copies}x")),
            &text,
            |b, t| {
                b.iter(|| {
                    let mut sources = Sources::new();
                    black_box(rendered::parse("r.yaml", t.clone(), &mut sources).expect("parses"));
                });
            },
        );
        group.bench_with_input(
            BenchmarkId::new("parse_and_judge", format!("{copies}x")),
            &text,
            |b, t| {
                b.iter(|| {
                    let mut sources = Sources::new();
                    let stream =
                        rendered::parse("r.yaml", t.clone(), &mut sources).expect("parses");
                    let live =
                        rendered::parse("d.yaml", deployed.clone(), &mut sources).expect("parses");
                    let secrets = live.secrets.clone();
                    let live = [live];
                    let ctx = Context::new(&values, &secrets, &sources, &settings)
                        .with_rendered(&stream)
                        .with_live_objects(&live);
                    black_box(checks::run(&ctx));
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
