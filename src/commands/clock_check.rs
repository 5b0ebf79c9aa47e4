//! `clock check`: read the clock of every node that runs the release, print the offsets and the
//! worst pair, and judge the skew with the `clock-skew` rule. Measuring is the command's job: a
//! node whose clock neither exec nor its Lease could read fails the run (exit 2) after the table
//! is printed, instead of passing with the node listed as skipped.

use std::fmt::Write as _;

use anyhow::Context as _;
use serde_json::{json, Value as Json};

use super::clock_measure::{measure_clocks, pod_selector, LEASE_WAIT};
use super::{cluster, outcome, print, Outcome};
use crate::chart::known_release;
use crate::checks::{self, clock_limits, ClusterFacts, Context, Settings};
use crate::cli::{ClockCheckArgs, ListFormat, Renderer};
use crate::clock::{format_seconds, pairwise, ClockFacts, NodeClock};
use crate::kube;
use crate::report::{render_json, render_text, Report, Style};
use crate::values::{Node, Sources, Value};

/// Measures, prints, judges.
pub fn run(args: &ClockCheckArgs, style: Style) -> anyhow::Result<Outcome> {
    let to = args
        .to
        .as_deref()
        .map(known_release)
        .transpose()
        .context("invalid --to")?;
    let runtime = cluster::runtime()?;
    let (facts, from) = runtime.block_on(measure(args))?;
    let settings = Settings {
        now: time::OffsetDateTime::now_utc().unix_timestamp(),
        expiry_days: 30,
        renderer: Renderer::Helm,
        from,
        to,
        secrets_complete: false,
    };
    let values = Node::synthetic(Value::Map(Vec::new()));
    let sources = Sources::new();
    let ctx = Context::new(&values, &[], &sources, &settings).with_cluster(&facts);
    let report = checks::run_only(&ctx, &["clock-skew", "rbac-forbidden"]);
    let clock = facts.clock.clone().unwrap_or_default();
    let unjudged: Vec<(&str, &str)> = clock
        .nodes
        .iter()
        .filter_map(|n| {
            n.result
                .as_ref()
                .err()
                .map(|why| (n.node.as_str(), why.as_str()))
        })
        .collect();
    let text = match args.output {
        ListFormat::Text => {
            let mut out = table(&clock, &settings);
            // A run that could not read every clock ends in an error, never in "no problems".
            if unjudged.is_empty() || !report.findings.is_empty() {
                out.push('\n');
                out.push_str(&render_text(&report, &sources, style));
            }
            out
        }
        ListFormat::Json => json_document(&clock, &facts, &settings, &report, &sources),
    };
    print(&text)?;
    let release = facts.release.as_deref().unwrap_or_default();
    match unjudged.as_slice() {
        [] => {}
        [(node, why)] => anyhow::bail!(
            "cannot judge the clock skew of release `{release}`: the clock of node `{node}` could not be read: {why}"
        ),
        several => anyhow::bail!(
            "cannot judge the clock skew of release `{release}`: the clocks of {} nodes could not be read: {}",
            several.len(),
            several
                .iter()
                .map(|(node, why)| format!("`{node}` ({why})"))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
    Ok(outcome(&report, args.fail_on))
}

/// Connects, finds the release and its pods, reads the running version, measures.
async fn measure(
    args: &ClockCheckArgs,
) -> anyhow::Result<(ClusterFacts, Option<crate::chart::Release>)> {
    let cluster = kube::connect(&cluster::options(&args.cluster)?).await?;
    let release = cluster::resolve_release(&cluster, args.cluster.release.as_deref()).await?;
    let mut facts = ClusterFacts {
        server: cluster.server.clone(),
        namespace: cluster.namespace.clone(),
        release: Some(release.clone()),
        ..ClusterFacts::default()
    };
    // The running version sets the limits too; without it they are the strict ones.
    let from = match kube::read_deployed_release(&cluster, &release).await {
        Ok(Some(r)) => {
            let known = known_release(&r.chart_version).ok();
            if known.is_none() {
                crate::note!("note: the deployed chart {} is not one this tool knows: judging with the limits of Harbor before 2.11", r.chart_version);
            }
            known
        }
        Ok(None) => {
            let why = cluster::sql_driver_error()
                .unwrap_or_else(|| cluster::no_release_record(&release, &cluster.namespace));
            crate::note!("note: {why}: judging with the limits of Harbor before 2.11");
            None
        }
        Err(e) if e.forbidden().is_some() => {
            cluster::deny(
                &mut facts,
                &e,
                "the running Harbor version is unknown: the skew is judged with the limits of Harbor before 2.11".into(),
            );
            None
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("cannot read release `{release}`")))
        }
    };
    let pods = kube::exec_targets(&cluster, &pod_selector(&release))
        .await
        .with_context(|| format!("cannot list the pods of release `{release}`"))?;
    if pods.is_empty() {
        anyhow::bail!(
            "release `{release}` has no pods in namespace `{}` (label selector `{}`)",
            cluster.namespace,
            pod_selector(&release)
        );
    }
    let nodes: std::collections::BTreeSet<&str> = pods
        .iter()
        .map(|p| p.node.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    crate::note!(
        "note: reading the clocks of {} node(s) that run release `{release}` in namespace `{}`, {} sample(s) each",
        nodes.len(),
        cluster.namespace,
        args.samples
    );
    let clock = measure_clocks(&cluster, &pods, args.samples, LEASE_WAIT, &mut facts).await;
    if let Some(fallback) = &clock.fallback {
        crate::note!("note: {fallback}");
    }
    facts.clock = Some(clock);
    Ok((facts, from))
}

fn signed(seconds: f64) -> String {
    let text = format_seconds(seconds);
    if seconds >= 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

/// The per-node table, then the worst pair and the limits.
fn table(clock: &ClockFacts, settings: &Settings) -> String {
    let mut rows = vec![[
        "node".to_string(),
        "pods".to_string(),
        "offset".to_string(),
        "± uncertainty".to_string(),
        "round trip".to_string(),
        "method".to_string(),
    ]];
    for n in &clock.nodes {
        let pods = n.pods.join(", ");
        match &n.result {
            Ok(e) => rows.push([
                n.node.clone(),
                pods,
                signed(e.offset),
                format!("±{}", format_seconds(e.uncertainty)),
                if n.method == crate::clock::Method::Lease {
                    format!("≤{} delay", format_seconds(e.round_trip))
                } else {
                    format_seconds(e.round_trip)
                },
                n.method.to_string(),
            ]),
            Err(reason) => rows.push([
                n.node.clone(),
                pods,
                "-".into(),
                "-".into(),
                "-".into(),
                format!("not measured: {reason}"),
            ]),
        }
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i == 5 {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str("offsets are each node's clock minus this machine's\n");
    let limits = clock_limits(settings.from, settings.to);
    let version = limits.decided_by.map_or_else(
        || "unknown Harbor version, judged as before 2.11".to_string(),
        |r| r.describe(),
    );
    let _ = writeln!(
        out,
        "limits ({version}): warning above {}, error above {}",
        format_seconds(limits.warn),
        format_seconds(limits.fail)
    );
    let token_nodes = clock.token_nodes();
    match pairwise(&token_nodes).first() {
        Some(worst) => {
            let _ = writeln!(
                out,
                "worst pair among the nodes that run core, registry and jobservice: `{}` and `{}` differ by {} ± {} (up to {})",
                worst.a,
                worst.b,
                format_seconds(worst.skew),
                format_seconds(worst.uncertainty),
                format_seconds(worst.upper())
            );
        }
        None if token_nodes.len() == 1 => {
            out.push_str(
                "core, registry and jobservice run on one measured node: no skew between them\n",
            );
        }
        None => out.push_str("no two measured nodes run core, registry or jobservice\n"),
    }
    out
}

fn node_json(n: &NodeClock) -> Json {
    let (estimate, error) = match &n.result {
        Ok(e) => (Some(e), None),
        Err(reason) => (None, Some(reason)),
    };
    json!({
        "node": n.node,
        "pods": n.pods,
        "components": n.components,
        "method": n.method.to_string(),
        "measured": n.measured,
        "offsetSeconds": estimate.map(|e| e.offset),
        "uncertaintySeconds": estimate.map(|e| e.uncertainty),
        "roundTripSeconds": estimate.map(|e| e.round_trip),
        "samples": estimate.map(|e| e.samples),
        "error": error,
    })
}

fn json_document(
    clock: &ClockFacts,
    facts: &ClusterFacts,
    settings: &Settings,
    report: &Report,
    sources: &Sources,
) -> String {
    let mut doc: Json = serde_json::from_str(&render_json(report, sources)).unwrap_or(Json::Null);
    let limits = clock_limits(settings.from, settings.to);
    let worst = pairwise(&clock.token_nodes()).into_iter().next();
    if let Json::Object(map) = &mut doc {
        map.insert(
            "clock".into(),
            json!({
                "namespace": facts.namespace,
                "release": facts.release,
                "fallback": clock.fallback,
                "limits": {
                    "warningAboveSeconds": limits.warn,
                    "errorAboveSeconds": limits.fail,
                    "harbor": limits.decided_by.map(|r| r.harbor.to_string()),
                    "leeway": limits.leeway,
                },
                "nodes": clock.nodes.iter().map(node_json).collect::<Vec<_>>(),
                "worstPair": worst.map(|w| json!({
                    "a": w.a,
                    "b": w.b,
                    "skewSeconds": w.skew,
                    "uncertaintySeconds": w.uncertainty,
                    "upperSeconds": w.upper(),
                })),
            }),
        );
    }
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
