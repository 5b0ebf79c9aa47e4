//! `preflight check`: load inputs (files, or the release in the cluster), decide the versions,
//! prepare the context, run every rule, render.

use anyhow::Context as _;

use super::clock_measure;
use super::cluster::{self, ValuesMode};
use super::{emit_report, inputs, Emit, Outcome};
use crate::chart::{catalog, known_release, parse_release, read_chart, LocalChart, Release};
use crate::checks::{self, Context, Settings};
use crate::cli::CheckArgs;
use crate::rendered::Stream;
use crate::report::Style;
use crate::values::{
    merge_into, LoadOptions, LoadedDoc, Node, PinnedChart, SecretObject, Sources, Value,
};

/// Runs the check and prints the report.
pub fn run(args: &CheckArgs, style: Style) -> anyhow::Result<Outcome> {
    run_with(args, None, style)
}

/// A rendered stream the caller already holds (`upgrade`'s dry run), judged as `--rendered`
/// would judge a file: it never goes to disk.
pub(super) struct Prepared {
    /// How findings name it.
    pub name: String,
    /// The stream.
    pub text: String,
}

/// [`run`], with `prepared` as the rendered stream instead of `--rendered`.
pub(super) fn run_with(
    args: &CheckArgs,
    prepared: Option<Prepared>,
    style: Style,
) -> anyhow::Result<Outcome> {
    let chart = args
        .chart
        .as_deref()
        .map(read_chart)
        .transpose()
        .map_err(|e| match e {
            // The reader's refusal names the file and the limit already.
            crate::chart::Error::Input(refused) if !refused.is_io() => anyhow::Error::from(refused),
            other => anyhow::Error::from(other).context("invalid --chart"),
        })?;
    let (from, to) = resolve_versions(args, chart.as_ref())?;
    let mut settings = Settings {
        now: resolve_now(args.now.as_deref())?,
        expiry_days: args.expiry_days,
        renderer: args.renderer,
        from,
        to: Some(to),
        secrets_complete: args.values.secrets_complete,
    };
    if cluster::wants_cluster(&args.cluster) {
        return run_cluster(args, prepared, settings, chart.as_ref(), style);
    }
    if args.reuse_values && args.deployed_values.is_empty() {
        anyhow::bail!("`--reuse-values` merges the values given over the release's: it needs the cluster (`--release`, `-n` or `--kubeconfig`) or the release's values with `--deployed-values FILE`");
    }
    let any_stream =
        args.rendered.is_some() || prepared.is_some() || !args.deployed_manifests.is_empty();
    let mut inputs = if any_stream {
        inputs::load_any(&args.values)?
    } else {
        inputs::load(&args.values)?
    };
    let deployed = load_deployed(args, &mut inputs)?;
    let streams = load_streams(args, prepared, &mut inputs.sources, &mut inputs.secrets)?;
    if args.to.is_none() && chart.is_none() {
        if let Some(stream) = &streams.rendered {
            settings.to = rendered_target(stream, settings.to);
        }
    }
    if settings.from.is_none() {
        settings.from = deployed_source(&streams.live);
    }
    if let (Some(deployed), true) = (&deployed, args.reuse_values) {
        let mut root = deployed.clone();
        merge_into(
            &mut root,
            std::mem::replace(&mut inputs.values.root, Node::synthetic(Value::Null)),
        );
        inputs.values.root = root;
    }
    if args.to.is_none() && chart.is_none() {
        if let Some(to) = pinned_target(&inputs.values.docs, &inputs.sources) {
            settings.to = Some(to);
        }
    }
    let mut ctx = Context::new(
        &inputs.values.root,
        &inputs.secrets,
        &inputs.sources,
        &settings,
    );
    if let Some(chart) = &chart {
        ctx = ctx.with_chart(chart);
    }
    if let Some(deployed) = &deployed {
        ctx = ctx.with_deployed(deployed, args.reuse_values);
    }
    if let Some(stream) = &streams.rendered {
        ctx = ctx.with_rendered(stream);
    }
    ctx = ctx.with_live_objects(&streams.live);
    let ctx = ctx.with_database_version(args.database_version);
    emit_report(checks::run(&ctx), &inputs.sources, &emit(args, style))
}

/// `--rendered` and `--deployed-manifests`, parsed.
pub(super) struct Streams {
    /// What Helm renders for the upgrade.
    pub rendered: Option<Stream>,
    /// The live objects given offline.
    pub live: Vec<Stream>,
}

/// Reads `--rendered` and `--deployed-manifests` into `sources`; the Secrets of the deployed
/// manifests join the live Secrets (`--secret`).
pub(super) fn load_streams(
    args: &CheckArgs,
    prepared: Option<Prepared>,
    sources: &mut Sources,
    secrets: &mut Vec<SecretObject>,
) -> anyhow::Result<Streams> {
    let stdin_uses = args
        .values
        .values
        .iter()
        .chain(&args.values.values_flag)
        .chain(&args.values.secrets)
        .chain(&args.deployed_values)
        .chain(&args.deployed_manifests)
        .chain(&args.rendered)
        .filter(|f| *f == "-")
        .count();
    if stdin_uses > 1 {
        anyhow::bail!("standard input (`-`) can be read only once");
    }
    let mut stdin = std::io::stdin().lock();
    let rendered = match (prepared, &args.rendered) {
        (Some(p), _) => Some(
            crate::rendered::parse(&p.name, p.text, sources)
                .map_err(|e| stream_error("--rendered", &p.name, e))?,
        ),
        (None, Some(path)) => Some(
            crate::rendered::load(path, sources, &mut stdin)
                .map_err(|e| stream_error("--rendered", path, e))?,
        ),
        (None, None) => None,
    };
    let mut live = Vec::new();
    for path in &args.deployed_manifests {
        let stream = crate::rendered::load(path, sources, &mut stdin)
            .map_err(|e| stream_error("--deployed-manifests", path, e))?;
        secrets.extend(stream.secrets.iter().cloned());
        live.push(stream);
    }
    // Said once every input is read, so that a refused input is the only output.
    if let Some(stream) = &rendered {
        crate::note!(
            "note: judging what Helm rendered in {} ({} objects): the token pair core mounts, the credentials the pods read and the Secrets they reference come from it",
            crate::redact::escape(&stream.name),
            stream.objects.len()
        );
    }
    Ok(Streams { rendered, live })
}

/// The error for a stream that cannot be used: the reader's refusal as it is (it names the file
/// and the limit), anything else under the flag that gave it.
pub(super) fn stream_error(flag: &str, path: &str, e: crate::rendered::Error) -> anyhow::Error {
    match e {
        crate::rendered::Error::Input(refused)
        | crate::rendered::Error::Values(crate::values::Error::Input(refused))
            if !refused.is_io() =>
        {
            anyhow::Error::from(refused)
        }
        other => anyhow::Error::from(other)
            .context(format!("cannot use {flag} {}", crate::redact::escape(path))),
    }
}

/// The running release as the deployed manifests say (core's Harbor version), when `--from`
/// is not given and the table knows it.
fn deployed_source(live: &[Stream]) -> Option<Release> {
    let (name, version) = live
        .iter()
        .find_map(|s| s.harbor_version().map(|v| (&s.name, v)))?;
    let release = known_release(version).ok()?;
    crate::note!(
        "note: the upgrade starts from Harbor {} (chart {}), the version of core in {}; `--from` overrides it",
        release.harbor,
        release.chart,
        crate::redact::escape(name)
    );
    Some(release)
}

/// The upgrade's target as the rendered stream says (its chart version, else core's Harbor
/// version), when no `--to` or `--chart` is given; `None` (the table is not used) when the
/// stream's version is one the table does not know.
pub(super) fn rendered_target(stream: &Stream, default: Option<Release>) -> Option<Release> {
    let version = stream
        .chart_version
        .as_deref()
        .or_else(|| stream.harbor_version());
    let Some(version) = version else {
        return default;
    };
    if let Ok(release) = known_release(version) {
        crate::note!(
            "note: the upgrade goes to chart {} (Harbor {}), the version the rendered stream shows; `--to` overrides it",
            release.chart,
            release.harbor
        );
        return Some(release);
    }
    crate::note!(
        "note: the rendered stream shows version `{}`, which the embedded chart table does not know: the stream is judged as rendered, and rules that need the table are skipped",
        crate::redact::escape(version)
    );
    None
}

/// `--deployed-values`: the release's values, merged like `-f`, their secrets redacted.
fn load_deployed(args: &CheckArgs, inputs: &mut inputs::Inputs) -> anyhow::Result<Option<Node>> {
    if args.deployed_values.is_empty() {
        return Ok(None);
    }
    let stdin_elsewhere = args
        .values
        .values
        .iter()
        .chain(&args.values.values_flag)
        .chain(&args.values.secrets)
        .any(|f| f == "-");
    if stdin_elsewhere && args.deployed_values.iter().any(|f| f == "-") {
        anyhow::bail!("standard input (`-`) can be read only once");
    }
    let options = LoadOptions {
        files: args.deployed_values.clone(),
        set: Vec::new(),
        set_string: Vec::new(),
        set_file: Vec::new(),
        values_root: args.values.values_root.clone(),
    };
    let mut stdin = std::io::stdin().lock();
    let deployed = crate::values::load(&options, &mut inputs.sources, &mut stdin)
        .context("invalid --deployed-values")?;
    inputs::redact_values(&deployed.root, "", &mut inputs.sources);
    Ok(Some(deployed.root))
}

/// With a cluster: the release's values (or the values given), its live Secrets, `--from` the
/// deployed chart; the namespace's Secrets are authoritative unless RBAC hid some.
fn run_cluster(
    args: &CheckArgs,
    prepared: Option<Prepared>,
    mut settings: Settings,
    chart: Option<&LocalChart>,
    style: Style,
) -> anyhow::Result<Outcome> {
    let mode = if args.reuse_values {
        ValuesMode::Reuse
    } else {
        ValuesMode::Upgrade
    };
    let runtime = cluster::runtime()?;
    let step = crate::progress::Step::spinner("reading the release from the cluster");
    let mut gathered = runtime.block_on(cluster::gather(&args.cluster, &args.values, mode))?;
    drop(step);
    crate::note!("note: {}", cluster::describe(&gathered));
    runtime.block_on(clock_measure::probe(
        &gathered.cluster,
        &gathered.release_name,
        !args.skip_clock,
        &mut gathered.facts,
    ))?;
    if args.to.is_none() && chart.is_none() {
        if let Some(to) = pinned_target(&gathered.inputs.values.docs, &gathered.inputs.sources) {
            settings.to = Some(to);
        }
    }
    let mut streams = load_streams(
        args,
        prepared,
        &mut gathered.inputs.sources,
        &mut gathered.inputs.secrets,
    )?;
    if let Some(stream) = &streams.rendered {
        runtime.block_on(read_referenced_secrets(stream, &mut gathered))?;
    }
    let refused_lists = runtime.block_on(live_workloads(&mut streams, &mut gathered))?;
    if args.to.is_none() && chart.is_none() {
        if let Some(stream) = &streams.rendered {
            settings.to = rendered_target(stream, settings.to);
        }
    }
    if inputs::gives_values(&args.values) && !args.reuse_values && gathered.release.is_some() {
        crate::note!("note: the values given replace the release's values, as `helm upgrade -f` does; pass `--reuse-values` if the upgrade uses it");
    }
    if settings.from.is_none() {
        if let Some(release) = &gathered.release {
            // A deployed chart the table does not know leaves the source unknown rather than
            // failing the run: the rules that need it say they were skipped.
            settings.from = known_release(&release.chart_version).ok();
        }
    }
    // Denied exec or Lease reads do not hide Secrets.
    settings.secrets_complete = gathered
        .facts
        .denied
        .iter()
        .all(|d| d.resource != "secrets" && !d.resource.starts_with("deployments"));
    for e in &refused_lists {
        cluster::deny(&mut gathered.facts, e, refused_consequence(e, true));
    }
    let mut ctx = Context::new(
        &gathered.inputs.values.root,
        &gathered.inputs.secrets,
        &gathered.inputs.sources,
        &settings,
    )
    .with_live_fullname(&gathered.fullname)
    .with_cluster(&gathered.facts);
    if let Some(chart) = chart {
        ctx = ctx.with_chart(chart);
    }
    if let Some(deployed) = &gathered.deployed_values {
        ctx = ctx.with_deployed(deployed, args.reuse_values);
    }
    if let Some(stream) = &streams.rendered {
        ctx = ctx.with_rendered(stream);
    }
    ctx = ctx.with_live_objects(&streams.live);
    let ctx = ctx.with_database_version(args.database_version);
    let report = checks::run(&ctx);
    emit_report(report, &gathered.inputs.sources, &emit(args, style))
}

/// The live objects besides Secrets for a rendered stream: the release's Deployments,
/// `StatefulSets` and claims from the API server first (its view wins), then the deployed
/// revision's manifest for the kinds whose list was refused; returns the refused lists.
async fn live_workloads(
    streams: &mut Streams,
    gathered: &mut cluster::Gathered,
) -> anyhow::Result<Vec<crate::kube::Error>> {
    // The workloads the deployed revision applied stand for the live ones; the live Secrets
    // are those read from the cluster.
    let deployed_manifest = gathered
        .release
        .as_ref()
        .filter(|r| streams.rendered.is_some() && streams.live.is_empty() && !r.manifest.is_empty())
        .map(|r| {
            (
                format!("helm://{}/{}/manifest", r.namespace, r.name),
                r.manifest.clone(),
            )
        });
    let mut manifest_stream = None;
    if let Some((name, text)) = deployed_manifest {
        match crate::rendered::parse(&name, text, &mut gathered.inputs.sources) {
            Ok(live) => manifest_stream = Some(live),
            Err(e) => crate::note!(
                "note: the deployed manifest of the release was not read ({}): rendered workloads are not compared with the deployed ones",
                crate::redact::escape(&e.to_string())
            ),
        }
    }
    // The API server's Deployments, StatefulSets and claims come first: its view wins over the
    // deployed manifest's, which stands in only for the kinds whose list was refused.
    let mut refused_lists = Vec::new();
    if let Some(rendered) = streams
        .rendered
        .as_ref()
        .filter(|_| streams.live.is_empty())
    {
        let mut known: Vec<&Stream> = vec![rendered];
        known.extend(manifest_stream.as_ref());
        let read = read_live(&gathered.cluster, &gathered.release_name, &known).await?;
        let read_kinds = read.listed_kinds();
        if let Some(api) = read.stream(&mut gathered.inputs.sources)? {
            streams.live.push(api);
        }
        manifest_stream = manifest_stream.map(|m| m.without_kinds(&read_kinds));
        refused_lists = read.denied;
    }
    streams.live.extend(manifest_stream);
    Ok(refused_lists)
}

/// `--from` (optional) and `--to` (default: the chart given with `--chart`, else the newest
/// known release); both must be releases the embedded table knows.
fn resolve_versions(
    args: &CheckArgs,
    chart: Option<&LocalChart>,
) -> anyhow::Result<(Option<Release>, Release)> {
    let from = args
        .from
        .as_deref()
        .map(known_release)
        .transpose()
        .context("invalid --from")?;
    let to = match (chart, args.to.as_deref()) {
        (Some(chart), Some(text)) => {
            let to = parse_release(text).context("invalid --to")?;
            if to.chart != chart.release.chart {
                anyhow::bail!(
                    "--to {text} names chart {}, but --chart {} is chart {}: give one of them",
                    to.chart,
                    chart.origin,
                    chart.release.chart
                );
            }
            chart.release
        }
        (Some(chart), None) => chart.release,
        (None, Some(text)) => known_release(text).context("invalid --to")?,
        (None, None) => catalog()
            .newest()
            .context("the embedded chart table is empty")?,
    };
    Ok((from, to))
}

/// The upgrade's target when no `--to` or `--chart` is given and a Flux `HelmRelease` or an
/// Argo CD `Application` among the inputs pins the goharbor/harbor chart to one known release;
/// says where it came from, or why a pinned version is not used.
fn pinned_target(docs: &[LoadedDoc], sources: &Sources) -> Option<Release> {
    let pins: Vec<&PinnedChart> = docs.iter().filter_map(|d| d.pinned.as_ref()).collect();
    let first = *pins.first()?;
    let place = |pin: &PinnedChart| match pin.span {
        Some(span) => format!(
            "{} of {}:{}",
            pin.at,
            sources.get(span.source).name,
            span.line
        ),
        None => pin.at.clone(),
    };
    if pins.iter().any(|p| p.version != first.version) {
        let all: Vec<String> = pins
            .iter()
            .map(|p| format!("`{}` ({})", p.version, place(p)))
            .collect();
        crate::note!(
            "note: the inputs pin different chart versions ({}); pass `--to` to say which one the upgrade goes to",
            all.join(", ")
        );
        return None;
    }
    if let Some(repo) = first.repo.as_deref().filter(|r| !r.contains("goharbor")) {
        crate::note!(
            "note: {} installs a chart named harbor from {repo}, not goharbor/harbor: its version `{}` is not used as the target; pass `--to`",
            place(first),
            first.version
        );
        return None;
    }
    if let Ok(release) = known_release(&first.version) {
        crate::note!(
            "note: the upgrade goes to chart {} (Harbor {}), the version pinned in {}; `--to` overrides it",
            release.chart,
            release.harbor,
            place(first)
        );
        return Some(release);
    }
    crate::note!(
        "note: `{}` in {} is not a goharbor/harbor chart release this tool knows (an exact version such as 1.14.2): the target is the newest known release unless `--to` says otherwise",
        first.version,
        place(first)
    );
    None
}

/// How the report is printed and judged.
fn emit(args: &CheckArgs, style: Style) -> Emit<'_> {
    Emit {
        format: args.output.output,
        fail_on: args.fail_on,
        rules: &args.rules,
        style,
    }
}

/// `--now` or the system clock, as Unix seconds.
pub(super) fn resolve_now(now: Option<&str>) -> anyhow::Result<i64> {
    match now {
        Some(text) => {
            let t =
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .with_context(|| {
                    format!(
                        "invalid --now `{text}`: expected RFC 3339 such as 2026-01-31T12:00:00Z"
                    )
                })?;
            Ok(t.unix_timestamp())
        }
        None => Ok(time::OffsetDateTime::now_utc().unix_timestamp()),
    }
}

/// Reads the live Secrets the rendered pods reference that the stream does not hold and the
/// gathering did not read, so that `existing-secret-*` judges every reference.
async fn read_referenced_secrets(
    stream: &Stream,
    gathered: &mut cluster::Gathered,
) -> anyhow::Result<()> {
    let mut names: Vec<&str> = Vec::new();
    for workload in stream.workloads() {
        for r in workload
            .pod_spec()
            .map(|p| p.secret_refs())
            .unwrap_or_default()
        {
            let known = stream.secret(r.secret).is_some()
                || gathered.inputs.secrets.iter().any(|s| s.name == r.secret);
            if !known && !names.contains(&r.secret) {
                names.push(r.secret);
            }
        }
    }
    for name in names {
        match crate::kube::get_secret(&gathered.cluster, name).await {
            Ok(Some(secret)) => {
                let object = cluster::secret_object(&secret, &mut gathered.inputs.sources)?;
                gathered.inputs.secrets.push(object);
                gathered.live.push(secret);
            }
            Ok(None) => {}
            Err(e) if e.forbidden().is_some() => cluster::deny(
                &mut gathered.facts,
                &e,
                format!("Secret `{name}`, which a rendered pod references, was not read"),
            ),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The release's live workloads and claims as read from the API server, with the lists it
/// refused.
pub(super) struct LiveRead {
    /// The objects, as a JSON `List`.
    live: crate::kube::LiveWorkloads,
    /// `cluster://NS`.
    name: String,
    /// The refused lists.
    pub denied: Vec<crate::kube::Error>,
}

impl LiveRead {
    /// The kinds whose list the API server answered.
    pub fn listed_kinds(&self) -> Vec<&'static str> {
        [
            ("deployments.apps", "Deployment"),
            ("statefulsets.apps", "StatefulSet"),
            ("persistentvolumeclaims", "PersistentVolumeClaim"),
        ]
        .into_iter()
        .filter(|(resource, _)| {
            !self
                .denied
                .iter()
                .any(|e| e.forbidden().is_some_and(|r| r.resource == *resource))
        })
        .map(|(_, kind)| kind)
        .collect()
    }

    /// The objects as a stream named `cluster://NS`; `None` when nothing was read.
    pub fn stream(&self, sources: &mut Sources) -> anyhow::Result<Option<Stream>> {
        if self.live.count == 0 {
            return Ok(None);
        }
        let stream =
            crate::rendered::parse(&self.name, self.live.json.clone(), sources).map_err(|e| {
                anyhow::Error::from(e).context("cannot read the workloads the API server listed")
            })?;
        Ok(Some(stream))
    }
}

/// Lists the release's Deployments, `StatefulSets` and claims: the claims the `streams` name
/// and those the claim templates of their (and the live) `StatefulSets` created.
pub(super) async fn read_live(
    c: &crate::kube::Cluster,
    release: &str,
    streams: &[&Stream],
) -> anyhow::Result<LiveRead> {
    let mut claims: Vec<String> = Vec::new();
    let mut sets: Vec<(String, Vec<String>)> = Vec::new();
    for stream in streams {
        for claim in stream.of_kind("PersistentVolumeClaim") {
            if !claims.contains(&claim.name) {
                claims.push(claim.name.clone());
            }
        }
        for set in stream.of_kind("StatefulSet") {
            let templates: Vec<String> = match set
                .node
                .get_path("spec.volumeClaimTemplates")
                .map(|n| &n.value)
            {
                Some(Value::Seq(items)) => items
                    .iter()
                    .filter_map(|t| t.get_path("metadata.name").and_then(Node::as_str))
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            sets.push((set.name.clone(), templates));
        }
    }
    let live = crate::kube::read_live_workloads(c, release, &claims, &sets)
        .await
        .with_context(|| format!("cannot list the workloads of release `{release}`"))?;
    for resource in &live.truncated {
        crate::note!(
            "note: the namespace holds more than {} {resource}: only the first are compared",
            crate::kube::MAX_OBJECTS
        );
    }
    crate::note!(
        "note: read {} live Deployment(s), StatefulSet(s) and claim(s) of release `{}` from the API server: rendered workloads are compared with them",
        live.count,
        crate::redact::escape(release)
    );
    let mut live = live;
    let denied = std::mem::take(&mut live.denied);
    Ok(LiveRead {
        live,
        name: format!("cluster://{}", c.namespace),
        denied,
    })
}

/// What a refused list of live workloads leaves unjudged; `fallback`: the deployed manifest
/// stands in for them.
pub(super) fn refused_consequence(e: &crate::kube::Error, fallback: bool) -> String {
    let what = match e.forbidden().map(|r| r.resource) {
        Some("persistentvolumeclaims") => {
            "the live claims (resized or re-classed by hand, or created by `volumeClaimTemplates`)"
        }
        Some("statefulsets.apps") => "the live StatefulSets",
        _ => "the live Deployments",
    };
    if fallback {
        format!("{what} were not read: the rendered workloads are compared with the deployed manifest instead, where it has them")
    } else {
        format!("{what} were not read: what Helm applied is not compared with them")
    }
}
