//! `preflight check` over the chart's default values (1,268 lines, chart 1.19.1) with a pinned
//! token pair: loading and merging, then every rule, then the text and JSON renderers.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use harbor_upgrade::checks::{self, Context, Settings};
use harbor_upgrade::cli::Renderer;
use harbor_upgrade::report::{render_json, render_text, Style};
use harbor_upgrade::values::{self, LoadOptions, Sources};

const DIR: &str = env!("CARGO_MANIFEST_DIR");

fn options() -> LoadOptions {
    LoadOptions {
        files: vec![format!("{DIR}/testdata/chart/values-1.19.1.yaml")],
        set: vec!["core.replicas=2".into()],
        set_string: vec![],
        set_file: vec![
            format!("core.tokenKey={DIR}/testdata/keys/rsa2048.key"),
            format!("core.tokenCert={DIR}/testdata/keys/rsa2048.crt"),
        ],
        values_root: None,
    }
}

fn settings() -> Settings {
    Settings {
        now: 1_800_000_000,
        expiry_days: 30,
        renderer: Renderer::Helm,
        from: None,
        to: harbor_upgrade::chart::parse_release("2.15.1").ok(),
        secrets_complete: false,
    }
}

fn bench(c: &mut Criterion) {
    let opts = options();
    let settings = settings();
    c.bench_function("preflight_check_chart_defaults_with_token_pair", |b| {
        b.iter(|| {
            let mut sources = Sources::new();
            let loaded =
                values::load(&opts, &mut sources, &mut std::io::empty()).expect("values load");
            let ctx = Context::new(&loaded.root, &[], &sources, &settings);
            let report = checks::run(&ctx);
            black_box(render_text(&report, &sources, Style::default()));
            black_box(render_json(&report, &sources));
        });
    });
    let mut sources = Sources::new();
    let loaded = values::load(&opts, &mut sources, &mut std::io::empty()).expect("values load");
    c.bench_function("rules_only", |b| {
        b.iter(|| {
            let ctx = Context::new(&loaded.root, &[], &sources, &settings);
            black_box(checks::run(&ctx));
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
