//! `diagnose`: read bounded logs of the release's core, registry, jobservice, database, redis and
//! trivy pods and the namespace's Warning events about the release's pods and volumes (or log
//! files saved with `kubectl logs`, and `kubectl describe` / `kubectl get events` text), match
//! them against the signature table and report the `log-*` and `event-*` findings, rendered like
//! `preflight check`'s.

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use time::OffsetDateTime;

use super::preflight_check::resolve_now;
use super::{cluster, emit_report, Outcome};
use crate::checks::{self, ClusterFacts, Context, DeniedRead, Settings};
use crate::cli::{DiagnoseArgs, Renderer};
use crate::diagnose::duration::parse_go_duration;
use crate::diagnose::{Filter, LogScan, SourceScanner, StreamOrigin};
use crate::input::{LineInfo, LineReader, Size, LOG_LINE_LIMIT, STDIN_NAME};
use crate::kube::{self, Cluster, LogBounds};
use crate::report::Style;
use crate::values::{Node, SourceOrigin, Sources, Value};

/// Lines read per container when `--tail` is not given.
pub const DEFAULT_TAIL: u32 = 2000;
/// Bytes read per container at most: a few thousand Harbor lines fit many times over.
pub const LIMIT_BYTES: i64 = 8 * 1024 * 1024;
/// The components whose logs carry the signatures.
const COMPONENTS: &[&str] = &[
    "core",
    "registry",
    "jobservice",
    "database",
    "redis",
    "trivy",
];

/// Reads the logs, runs the `log-*` rules, prints the report.
pub fn run(args: &DiagnoseArgs, style: Style) -> anyhow::Result<Outcome> {
    let now = resolve_now(args.now.as_deref())?;
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let settings = Settings {
        now,
        expiry_days: 30,
        renderer: Renderer::Helm,
        from: None,
        to: None,
        secrets_complete: false,
    };
    let mut sources = Sources::new();
    let mut scan = LogScan::new();
    let facts = if args.logs.is_empty() {
        let tail = args.tail.unwrap_or(DEFAULT_TAIL);
        let bounds = LogBounds {
            tail_lines: (tail > 0).then_some(i64::from(tail)),
            since_seconds: since,
            limit_bytes: Some(LIMIT_BYTES),
        };
        let since_time = since.and_then(|s| OffsetDateTime::from_unix_timestamp(now - s).ok());
        let facts = cluster::runtime()?.block_on(read_cluster(
            args,
            bounds,
            since_time,
            &mut sources,
            &mut scan,
        ))?;
        Some(facts)
    } else {
        if cluster::wants_cluster(&args.cluster) {
            anyhow::bail!("give either `--logs` files or the cluster flags (`--release`, `-n`, `--kubeconfig`, `--context`), not both");
        }
        let filter = Filter {
            since: since.and_then(|s| OffsetDateTime::from_unix_timestamp(now - s).ok()),
            tail: args.tail.filter(|t| *t > 0).map(|t| t as usize),
        };
        read_files(&args.logs, filter, &mut sources, &mut scan)?;
        crate::note!(
            "note: looked at {} line(s) of {} file(s)",
            scan.lines,
            args.logs.len()
        );
        note_truncated(&scan);
        if let (Some(text), Some(newest)) = (&args.since, scan.newest_before_since) {
            if scan.lines == 0 {
                crate::note!(
                    "note: `--since {text}` left out every line: all {} are older (the newest is from {}); widen `--since` or leave it out",
                    scan.before_since,
                    newest
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                );
            }
        }
        None
    };
    let values = Node::synthetic(Value::Map(Vec::new()));
    let mut ctx = Context::new(&values, &[], &sources, &settings).with_logs(&scan);
    if let Some(facts) = &facts {
        ctx = ctx.with_cluster(facts);
    }
    let report = checks::run_selected(&ctx, |rule| {
        rule.id().starts_with("log-")
            || rule.id().starts_with("event-")
            || rule.id() == "rbac-forbidden"
    });
    let how = super::Emit {
        format: args.output.output,
        fail_on: args.fail_on,
        rules: &args.rules,
        style,
    };
    emit_report(report, &sources, &how)
}

/// Says how many lines were longer than the line cap: only their first bytes were matched.
fn note_truncated(scan: &LogScan) {
    if scan.truncated > 0 {
        crate::note!(
            "note: {} line(s) longer than {} were cut to their first {} for matching and display",
            scan.truncated,
            Size(LOG_LINE_LIMIT as u64),
            Size(LOG_LINE_LIMIT as u64)
        );
    }
}

/// `--since` in whole seconds (at least one, as the API wants).
fn parse_since(text: &str) -> anyhow::Result<i64> {
    let seconds = parse_go_duration(text.trim())
        .filter(|s| *s > 0.0)
        .with_context(|| {
            format!("invalid --since `{text}`: expected a duration such as `30m`, `1h`, `2h30m`")
        })?;
    // Whole seconds, rounded up so that nothing asked for is left out.
    #[allow(clippy::cast_possible_truncation)]
    Ok(seconds.ceil().max(1.0) as i64)
}

/// Streams each file (or standard input, as it arrives) through the scan: one line in memory
/// at a time, whatever the size of the log.
fn read_files(
    files: &[String],
    filter: Filter,
    sources: &mut Sources,
    scan: &mut LogScan,
) -> anyhow::Result<()> {
    for file in files {
        if file == "-" {
            let stdin = std::io::stdin();
            let mut reader = LineReader::new(stdin.lock(), LOG_LINE_LIMIT);
            scan.scan_reader(
                sources,
                STDIN_NAME,
                SourceOrigin::Stdin,
                &mut reader,
                filter,
            )
            .context("cannot read the logs from standard input")?;
        } else {
            let mut reader = LineReader::open(std::path::Path::new(file), file, LOG_LINE_LIMIT)
                .with_context(|| format!("cannot read log file `{file}`"))?;
            scan.scan_reader(sources, file, SourceOrigin::LogFile, &mut reader, filter)
                .with_context(|| format!("cannot read log file `{file}`"))?;
        }
    }
    Ok(())
}

/// Connects, finds the release and reads each container of its pods of [`COMPONENTS`] (and the
/// previous instance of restarted ones), then the Warning events about its objects. A `403`
/// becomes an `rbac-forbidden` finding; a container without a log (not started yet, no previous
/// instance) is a note.
pub(super) async fn read_cluster(
    args: &DiagnoseArgs,
    bounds: LogBounds,
    since: Option<OffsetDateTime>,
    sources: &mut Sources,
    scan: &mut LogScan,
) -> anyhow::Result<ClusterFacts> {
    let cluster = kube::connect(&cluster::options(&args.cluster)?).await?;
    let release = cluster::resolve_release(&cluster, args.cluster.release.as_deref()).await?;
    let mut facts = ClusterFacts {
        server: cluster.server.clone(),
        namespace: cluster.namespace.clone(),
        release: Some(release.clone()),
        ..ClusterFacts::default()
    };
    let mut containers = 0;
    // The release's pods, and the fullnames their names show, to tell its events apart.
    let mut release_pods: Vec<String> = Vec::new();
    let mut fullnames = vec![kube::names::fullname(&release, None, None)];
    for component in COMPONENTS {
        let selector = format!("release={release},component={component}");
        let mut pods = match kube::list_pods(&cluster, &selector).await {
            Ok(pods) => pods,
            // `list` cannot be granted per label: one refusal stands for every component.
            Err(e) if e.forbidden().is_some() => {
                facts.denied.push(denied(
                    &cluster,
                    "list",
                    "pods",
                    None,
                    format!("cluster://{}/pod", cluster.namespace),
                    format!(
                        "the release's pods ({}) were not found, so their logs were not read",
                        COMPONENTS.join(", ")
                    ),
                ));
                break;
            }
            Err(e) => return Err(e.into()),
        };
        if pods.is_empty() {
            crate::note!(
                "note: no {component} pod of release `{release}` (label selector `{selector}`)"
            );
        }
        pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        for pod in &pods {
            let name = pod.metadata.name.clone().unwrap_or_default();
            if let Some(fullname) = kube::fullname_of_pod(&name, component) {
                if !fullnames.contains(&fullname) {
                    fullnames.push(fullname);
                }
            }
            release_pods.push(name);
        }
        for pod in &pods {
            containers += read_pod(&cluster, pod, bounds, sources, scan, &mut facts).await?;
        }
    }
    crate::note!(
        "note: looked at {} line(s) from {containers} container log(s) of release `{release}` in namespace `{}` at {}",
        scan.lines, cluster.namespace, cluster.server
    );
    note_truncated(scan);
    if let (Some(text), 0, true) = (&args.since, scan.lines, containers > 0) {
        crate::note!("note: no log line of the last `--since {text}`: the API server left out every older line; widen `--since` or leave it out");
    }
    read_events(
        &cluster,
        &Owner {
            release: &release,
            fullnames: &fullnames,
            pods: &release_pods,
        },
        since,
        sources,
        scan,
        &mut facts,
    )
    .await?;
    Ok(facts)
}

/// What tells the release's events apart: its name, fullnames and pods.
struct Owner<'a> {
    release: &'a str,
    fullnames: &'a [String],
    pods: &'a [String],
}

/// Reads the namespace's Warning events, keeps those about the release's objects, and scans
/// them as one source per object (`cluster://NS/pod/NAME/events`), one line per event, oldest
/// first; `--since` drops older events. A `403` becomes an `rbac-forbidden` finding.
async fn read_events(
    cluster: &Cluster,
    owner: &Owner<'_>,
    since: Option<OffsetDateTime>,
    sources: &mut Sources,
    scan: &mut LogScan,
    facts: &mut ClusterFacts,
) -> anyhow::Result<()> {
    let (events, capped) = match kube::list_warning_events(cluster).await {
        Ok(read) => read,
        Err(e) if e.forbidden().is_some() => {
            facts.denied.push(denied(
                cluster,
                "list",
                "events",
                None,
                format!("cluster://{}/event", cluster.namespace),
                "the Warning events of the release's pods and volumes (Multi-Attach, mount and scheduling failures) were not read".to_string(),
            ));
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let total = events.len();
    // One group per object, in name order; the lines of a group in time order.
    let mut groups: std::collections::BTreeMap<(String, String), Vec<String>> =
        std::collections::BTreeMap::new();
    for event in events
        .iter()
        .filter(|e| kube::belongs(e, owner.fullnames, owner.pods))
    {
        let o = &event.involved_object;
        let key = (
            o.kind.clone().unwrap_or_default(),
            o.name.clone().unwrap_or_default(),
        );
        groups.entry(key).or_default().push(kube::event_line(event));
    }
    let mut kept = 0;
    for ((kind, name), mut lines) in groups {
        lines.sort();
        kept += lines.len();
        let object = format!("{}/{name}", kind.to_ascii_lowercase());
        let address = format!(
            "cluster://{}/{}/{name}/events",
            cluster.namespace,
            kind.to_ascii_lowercase()
        );
        let mut scanner = SourceScanner::new(
            &StreamOrigin::Events { object },
            Filter { since, tail: None },
        );
        let mut offset = 0u64;
        for (i, line) in lines.iter().enumerate() {
            let len = line.len() as u64;
            let info = LineInfo {
                number: i as u64 + 1,
                offset,
                len,
                truncated: line.len() > LOG_LINE_LIMIT,
            };
            offset += len + 1;
            let cut = &line.as_bytes()[..line.len().min(LOG_LINE_LIMIT)];
            scanner.line(scan, cut, info);
        }
        scanner.finish(scan, sources, &address, SourceOrigin::Cluster);
    }
    crate::note!(
        "note: looked at {kept} of {total} Warning event(s) in namespace `{}`: those about the pods and volumes of release `{}`",
        cluster.namespace,
        owner.release
    );
    if capped {
        crate::note!(
            "note: the namespace holds more than {} Warning events; only the first {} were read",
            kube::MAX_EVENTS,
            kube::MAX_EVENTS
        );
    }
    Ok(())
}

/// Reads one pod's containers; returns how many logs were read.
async fn read_pod(
    cluster: &Cluster,
    pod: &Pod,
    bounds: LogBounds,
    sources: &mut Sources,
    scan: &mut LogScan,
    facts: &mut ClusterFacts,
) -> anyhow::Result<usize> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let restarts = |container: &str| {
        pod.status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|all| all.iter().find(|c| c.name == container))
            .map_or(0, |c| c.restart_count)
    };
    let names: Vec<String> = pod
        .spec
        .as_ref()
        .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    let mut read = 0;
    for container in &names {
        // The previous instance first: it is older, and it is why a pod restarted.
        let previous = if restarts(container) > 0 {
            vec![true, false]
        } else {
            vec![false]
        };
        for previous in previous {
            let address = format!(
                "cluster://{}/pod/{name}/log/{container}{}",
                cluster.namespace,
                if previous { "/previous" } else { "" }
            );
            let mut scanner = SourceScanner::new(
                &StreamOrigin::Container {
                    pod: name.clone(),
                    container: container.clone(),
                    previous,
                },
                Filter::default(),
            );
            let streamed = kube::pod_log_lines(
                cluster,
                &name,
                container,
                previous,
                bounds,
                LOG_LINE_LIMIT,
                |line, info| scanner.line(scan, line, info),
            )
            .await;
            match streamed {
                Ok(()) => {
                    scanner.finish(scan, sources, &address, SourceOrigin::Cluster);
                    read += 1;
                }
                Err(e) if e.forbidden().is_some() => {
                    facts.denied.push(denied(
                        cluster,
                        "get",
                        "pods/log",
                        Some(&name),
                        address,
                        format!(
                            "the log of container `{container}`{} was not read",
                            if previous { " (previous instance)" } else { "" }
                        ),
                    ));
                }
                // No log to read: the container has not started, or no previous instance is kept.
                Err(
                    kube::Error::Api {
                        code: 400, message, ..
                    }
                    | kube::Error::NotFound { message, .. },
                ) => {
                    crate::note!("note: no log for {address}: {message}");
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(read)
}

fn denied(
    cluster: &Cluster,
    verb: &str,
    resource: &str,
    name: Option<&str>,
    address: String,
    consequence: String,
) -> DeniedRead {
    DeniedRead {
        verb: verb.to_string(),
        resource: resource.to_string(),
        name: name.map(str::to_string),
        namespace: cluster.namespace.clone(),
        address,
        consequence,
    }
}
