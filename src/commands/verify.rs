//! `verify`: after any upgrade (by `upgrade`, Argo CD, Flux or by hand), wait for the release's
//! Deployments and `StatefulSets` to finish rolling out, then judge what the running release
//! holds: the token pair of the live Secret, every core pod's mounted key against it
//! (`token-key-inconsistent`), what Helm applied (the deployed manifest of the release record,
//! as a rendered stream) against the live Secrets and the live `StatefulSets` and claims
//! (`persistence-immutable-change`), the live Secrets against a backup (`keys
//! diff`'s classification), and the logs since the upgrade began (`diagnose`'s signatures). One
//! report, in the formats of `preflight check`, and a verdict line. Exit 0 healthy, 1 broken, 2
//! could not judge.

use std::time::Duration;

use anyhow::Context as _;
use time::OffsetDateTime;

use super::cluster::{self, ValuesMode};
use super::keys_diff::{self, Class};
use super::keys_restore::decryption;
use super::live::Live;
use super::{clock_measure, diagnose, emit_report, print, Emit, Outcome};
use crate::backup::{self, Backup};
use crate::checks::{self, BackupChange, BackupFacts, Context, FailedRollout, Settings};
use crate::cli::{ClusterArgs, Command, OutputFormat, Renderer, ValuesArgs, VerifyArgs};
use crate::diagnose::duration::parse_go_duration;
use crate::diagnose::LogScan;
use crate::kube::{self, LogBounds, RolloutState};
use crate::report::Style;

/// The rules `verify` runs besides the `log-*` ones: what the running release holds, not what
/// an upgrade would change. With the release's deployed manifest as the rendered stream, the
/// `*-changed` rules compare what Helm applied with what the live Secrets hold now.
pub const VERIFY_RULES: &[&str] = &[
    "token-pair-incomplete",
    "token-key-invalid",
    "token-key-not-rsa",
    "token-key-not-pkcs1",
    "token-cert-invalid",
    "token-pair-mismatch",
    "token-cert-expired",
    "token-cert-not-yet-valid",
    "token-key-public",
    "secret-key-length",
    "xsrf-key-length",
    "existing-secret-missing",
    "existing-secret-key-missing",
    "token-key-inconsistent",
    "secret-key-changed",
    "database-password-changed",
    "token-key-changed",
    "backup-credential-changed",
    "rollout-failed",
    "persistence-immutable-change",
    "rbac-forbidden",
];

/// The longest pause between two looks at the rollout.
const MAX_POLL: Duration = Duration::from_secs(2);

/// Waits, judges, prints.
pub fn run(args: &VerifyArgs, style: Style) -> anyhow::Result<Outcome> {
    let wait = parse_wait(&args.wait)?;
    let now = OffsetDateTime::now_utc();
    let since = args
        .since
        .as_deref()
        .map(|t| parse_since(t, now))
        .transpose()?;
    let backup = read_backup(args)?;

    let runtime = cluster::runtime()?;
    let connected = runtime.block_on(kube::connect(&cluster::options(&args.cluster)?))?;
    let release = runtime.block_on(cluster::resolve_release(
        &connected,
        args.cluster.release.as_deref(),
    ))?;
    same_release(backup.as_ref(), &release)?;

    // 1. The rollout: a failed one is judged (what broke is in the events and logs), a slow
    // one cannot be.
    let failed_rollouts = runtime.block_on(rollout(&connected, &release, wait, &args.wait))?;

    // 2. The release, its live Secrets, the keys in the core pods.
    let mut cluster_args = args.cluster.clone();
    cluster_args.release = Some(release.clone());
    let mut gathered = runtime.block_on(cluster::gather(
        &cluster_args,
        &ValuesArgs::default(),
        ValuesMode::Upgrade,
    ))?;
    crate::note!("note: {}", cluster::describe(&gathered));
    gathered.facts.failed_rollouts = failed_rollouts;
    runtime.block_on(clock_measure::probe(
        &gathered.cluster,
        &release,
        false,
        &mut gathered.facts,
    ))?;

    // 3. The logs since the upgrade began.
    let scan = runtime.block_on(read_logs(&mut gathered, &cluster_args, since, now))?;

    // 3b. The live workloads and claims, against what Helm applied.
    let applied = applied_manifest(&mut gathered, &release)?;
    let (live_streams, refused) = match &applied {
        Some(stream) => runtime.block_on(live_workloads(&mut gathered, stream, &release))?,
        None => (Vec::new(), Vec::new()),
    };
    drop(runtime);

    // 4. The live Secrets against the backup.
    if let (Some(b), Some(path)) = (&backup, &args.backup) {
        gathered.facts.backup = Some(compare_backup(&cluster_args, b, path)?);
    }

    // 6. One report.
    let deployed = gathered
        .release
        .as_ref()
        .and_then(|r| crate::chart::known_release(&r.chart_version).ok());
    let settings = Settings {
        now: now.unix_timestamp(),
        expiry_days: 30,
        renderer: Renderer::Helm,
        from: deployed,
        to: deployed,
        secrets_complete: gathered.facts.denied.is_empty(),
    };
    // Refused lists of workloads hide no Secret; they still leave the release not fully judged.
    for e in &refused {
        cluster::deny(
            &mut gathered.facts,
            e,
            super::preflight_check::refused_consequence(e, false),
        );
    }
    let mut ctx = Context::new(
        &gathered.inputs.values.root,
        &gathered.inputs.secrets,
        &gathered.inputs.sources,
        &settings,
    )
    .with_live_fullname(&gathered.fullname)
    .with_cluster(&gathered.facts)
    .with_logs(&scan);
    if let Some(stream) = &applied {
        ctx = ctx.with_rendered(stream);
    }
    ctx = ctx.with_live_objects(&live_streams);
    let report = checks::run_selected(&ctx, |rule| {
        VERIFY_RULES.contains(&rule.id())
            || rule.id().starts_with("log-")
            || rule.id().starts_with("event-")
    });
    let errors = report.summary().error;
    let how = Emit {
        format: args.output.output,
        fail_on: args.fail_on,
        rules: &args.rules,
        style,
    };
    let outcome = emit_report(report, &gathered.inputs.sources, &how)?;
    verdict(
        &gathered,
        &release,
        outcome,
        (errors, scan.lines),
        args.output.output,
    )?;
    Ok(outcome)
}

/// Refuses a backup of another release than the one judged.
fn same_release(backup: Option<&Backup>, release: &str) -> anyhow::Result<()> {
    match backup.and_then(|b| b.manifest.source.release.as_ref()) {
        Some(backed) if backed != release => {
            anyhow::bail!("the backup is of release `{backed}`, not `{release}`")
        }
        _ => Ok(()),
    }
}

/// The release's live Deployments, `StatefulSets` and claims (a stream named `cluster://NS`),
/// to judge against what Helm applied, and the lists the API server refused.
async fn live_workloads(
    gathered: &mut cluster::Gathered,
    applied: &crate::rendered::Stream,
    release: &str,
) -> anyhow::Result<(Vec<crate::rendered::Stream>, Vec<kube::Error>)> {
    let read = super::preflight_check::read_live(&gathered.cluster, release, &[applied]).await?;
    let live = read.stream(&mut gathered.inputs.sources)?;
    Ok((live.into_iter().collect(), read.denied))
}

/// Waits for the release's workloads to roll out: the workloads whose rollout failed, or an
/// error (exit 2) when one is still rolling out at the deadline.
async fn rollout(
    connected: &kube::Cluster,
    release: &str,
    wait: Duration,
    wait_text: &str,
) -> anyhow::Result<Vec<FailedRollout>> {
    let selector = format!("release={release}");
    let step =
        crate::progress::Step::spinner(format!("waiting for the rollout of release `{release}`"));
    let waited = kube::wait_rollouts(connected, &selector, wait, MAX_POLL, |_| {})
        .await
        .with_context(|| {
            format!(
                "cannot judge release `{release}`: its Deployments and StatefulSets were not listed"
            )
        })?;
    drop(step);
    let failed = judge_rollout(&waited, release, &selector, wait_text)?;
    if !failed.is_empty() {
        crate::note!(
            "note: the rollout of release `{release}` failed ({}): judging what broke",
            crate::redact::escape(
                &failed
                    .iter()
                    .map(|f| f.workload.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
        return Ok(failed);
    }
    crate::note!(
        "note: {} workload(s) of release `{release}` rolled out ({})",
        waited.workloads.len(),
        crate::redact::escape(
            &waited
                .workloads
                .iter()
                .map(kube::Workload::label)
                .collect::<Vec<_>>()
                .join(", ")
        )
    );
    Ok(Vec::new())
}

/// The manifest Helm applied for the deployed revision, parsed as a rendered stream (its
/// Secrets redacted), so that the rules compare it with the live objects; `None`, said so, when
/// the record holds none or RBAC hid the record.
fn applied_manifest(
    gathered: &mut cluster::Gathered,
    release: &str,
) -> anyhow::Result<Option<crate::rendered::Stream>> {
    let manifest = gathered
        .release
        .as_ref()
        .map(|r| r.manifest.clone())
        .filter(|m| !m.trim().is_empty());
    let Some(manifest) = manifest else {
        crate::note!("note: the release record holds no manifest (or was not read): what Helm applied is not compared with the live Secrets");
        return Ok(None);
    };
    let name = format!("helm://{}/{release}/manifest", gathered.cluster.namespace);
    let stream = match crate::rendered::parse(&name, manifest, &mut gathered.inputs.sources) {
        Ok(stream) => stream,
        Err(crate::rendered::Error::Empty { .. }) => {
            crate::note!("note: the deployed manifest holds no object: what Helm applied is not compared with the live Secrets");
            return Ok(None);
        }
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("cannot read the manifest of release `{release}`")))
        }
    };
    crate::note!(
        "note: compared the {} object(s) of the deployed manifest with the live Secrets",
        stream.objects.len()
    );
    Ok(Some(stream))
}

/// Reads the logs of the release's pods since `since` (or the last lines of each without it)
/// through `diagnose`'s reader; refused reads join the facts.
async fn read_logs(
    gathered: &mut cluster::Gathered,
    cluster_args: &ClusterArgs,
    since: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> anyhow::Result<LogScan> {
    let since = since.or_else(|| {
        gathered
            .release
            .as_ref()
            .and_then(|r| r.last_deployed.as_deref())
            .and_then(|t| {
                OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
            })
    });
    let since_seconds = since.map(|t| (now - t).whole_seconds().max(1));
    match (since, since_seconds) {
        (Some(t), Some(s)) => crate::note!(
            "note: reading the logs since {} ({s} s ago)",
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        ),
        _ => crate::note!(
            "note: the release record gives no deployment time and `--since` is not given: the last {} lines of each container are read",
            diagnose::DEFAULT_TAIL
        ),
    }
    let mut scan = LogScan::new();
    let diagnose_args = diagnose_args(cluster_args, since_seconds)?;
    let bounds = LogBounds {
        tail_lines: Some(i64::from(diagnose::DEFAULT_TAIL)),
        since_seconds,
        limit_bytes: Some(diagnose::LIMIT_BYTES),
    };
    let log_facts = diagnose::read_cluster(
        &diagnose_args,
        bounds,
        since,
        &mut gathered.inputs.sources,
        &mut scan,
    )
    .await?;
    gathered.facts.denied.extend(log_facts.denied);
    Ok(scan)
}

/// The verdict line (after the report in text, on stderr otherwise); a clean report with
/// refused reads is an error: the release was not fully judged.
fn verdict(
    gathered: &cluster::Gathered,
    release: &str,
    outcome: Outcome,
    (errors, lines): (usize, usize),
    format: OutputFormat,
) -> anyhow::Result<()> {
    let denied = gathered.facts.denied.len();
    let failed = gathered.facts.failed_rollouts.len();
    let line = match outcome {
        _ if failed > 0 => format!(
            "verdict: broken: the rollout of release `{release}` failed ({failed} workload(s) past their progress deadline, {errors} error(s) above)"
        ),
        Outcome::Findings => format!(
            "verdict: broken: release `{release}` rolled out, but the checks above failed ({errors} error(s))"
        ),
        Outcome::Clean if denied > 0 => format!(
            "verdict: not judged: {denied} read(s) were refused (see `rbac-forbidden` above)"
        ),
        Outcome::Clean => format!(
            "verdict: healthy: release `{release}` rolled out, its keys agree{}, and {}",
            if gathered.facts.backup.is_some() {
                ", nothing dangerous changed since the backup"
            } else {
                ""
            },
            if lines == 0 {
                "no log line was there to judge".to_string()
            } else {
                format!("{lines} log line(s) show no known failure")
            }
        ),
    };
    let line = crate::redact::escape(&line).into_owned();
    if format == OutputFormat::Text {
        print(&format!("\n{line}\n"))?;
    } else {
        crate::note!("{line}");
    }
    if outcome == Outcome::Clean && denied > 0 {
        anyhow::bail!(
            "verify could not judge release `{release}`: {denied} read(s) were refused; grant them (docs/rbac.md) and run again"
        );
    }
    Ok(())
}

/// `--wait`: a Go duration, `0` for one look.
fn parse_wait(text: &str) -> anyhow::Result<Duration> {
    parse_go_duration(text.trim())
        .filter(|s| *s >= 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .with_context(|| {
            format!("invalid --wait `{text}`: expected a duration such as `5m`, `90s`, or `0`")
        })
}

/// `--since`: an RFC 3339 time, or a Go duration back from `now`.
fn parse_since(text: &str, now: OffsetDateTime) -> anyhow::Result<OffsetDateTime> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    parse_go_duration(text)
        .filter(|s| *s > 0.0)
        .and_then(time::Duration::checked_seconds_f64)
        .and_then(|d| now.checked_sub(d))
        .with_context(|| {
            format!(
                "invalid --since `{text}`: expected an RFC 3339 time such as `2026-03-01T10:00:00Z` or a duration such as `30m`"
            )
        })
}

/// The backup, read and checked before the cluster is touched.
fn read_backup(args: &VerifyArgs) -> anyhow::Result<Option<Backup>> {
    let Some(path) = &args.backup else {
        if args.identity.is_some() || args.passphrase_file.is_some() {
            anyhow::bail!("`--identity` and `--passphrase-file` decrypt the backup given with `--backup`, which is missing");
        }
        return Ok(None);
    };
    let how = decryption(args.identity.as_deref(), args.passphrase_file.as_deref())?;
    Ok(Some(backup::read(path, &how)?))
}

/// Fails (exit 2) when a workload was still rolling out at the deadline: the new pods are not
/// all running, so what they hold cannot be judged yet. A failed rollout
/// (`ProgressDeadlineExceeded`) is judged instead: the workloads that failed, for
/// `rollout-failed`.
fn judge_rollout(
    waited: &kube::Waited,
    release: &str,
    selector: &str,
    wait: &str,
) -> anyhow::Result<Vec<FailedRollout>> {
    if waited.workloads.is_empty() {
        anyhow::bail!(
            "cannot judge release `{release}`: no Deployment or StatefulSet is labelled `{selector}` in this namespace"
        );
    }
    if waited.done() {
        return Ok(Vec::new());
    }
    if waited.timed_out {
        let pending: Vec<String> = waited
            .workloads
            .iter()
            .filter_map(|w| match &w.state {
                RolloutState::Done => None,
                RolloutState::Waiting(why) | RolloutState::Failed(why) => {
                    Some(format!("{}: {why}", w.label()))
                }
            })
            .collect();
        let pending = crate::redact::escape(&pending.join("; ")).into_owned();
        anyhow::bail!(
            "cannot judge release `{release}`: the rollout did not finish within --wait {wait} ({pending}); wait longer or look at `kubectl describe` of these"
        );
    }
    Ok(waited
        .workloads
        .iter()
        .filter_map(|w| match &w.state {
            RolloutState::Failed(why) => Some(FailedRollout {
                workload: w.label(),
                why: crate::redact::escape(why).into_owned(),
            }),
            _ => None,
        })
        .collect())
}

/// The dangerous changes `keys diff` finds between the backup and the live Secrets.
fn compare_backup(
    cluster_args: &ClusterArgs,
    b: &Backup,
    path: &std::path::Path,
) -> anyhow::Result<BackupFacts> {
    let live = Live::open(cluster_args, &[], b)?;
    let entries = keys_diff::compare(b, &live)
        .with_context(|| format!("cannot compare the backup {}", path.display()))?;
    let dangerous = entries
        .into_iter()
        .filter(|e| e.class == Class::Dangerous)
        .map(|e| BackupChange {
            secret: e.secret,
            key: e.key,
            before: e.before,
            after: e.after,
            why: e.why,
        })
        .collect();
    Ok(BackupFacts {
        backup: path.display().to_string(),
        created_at: b.manifest.created_at.clone(),
        dangerous,
    })
}

/// The `diagnose` arguments for the same cluster and release, built by the parser itself.
fn diagnose_args(
    cluster_args: &ClusterArgs,
    since_seconds: Option<i64>,
) -> anyhow::Result<crate::cli::DiagnoseArgs> {
    let mut line = vec!["diagnose".to_string()];
    line.extend(cluster_argv(cluster_args));
    if let Some(s) = since_seconds {
        line.extend(["--since".into(), format!("{s}s")]);
    }
    match parse_command(line)? {
        Command::Diagnose(args) => Ok(args),
        _ => anyhow::bail!("internal: `diagnose` did not parse as itself"),
    }
}

/// The cluster flags as a command line gives them.
pub(super) fn cluster_argv(c: &ClusterArgs) -> Vec<String> {
    let mut argv = Vec::new();
    let mut push = |flag: &str, value: Option<String>| {
        if let Some(v) = value {
            argv.push(flag.to_string());
            argv.push(v);
        }
    };
    push("--release", c.release.clone());
    push("--namespace", c.namespace.clone());
    push(
        "--kubeconfig",
        c.kubeconfig.as_ref().map(|p| p.display().to_string()),
    );
    push("--context", c.context.clone());
    push("--request-timeout", c.request_timeout.clone());
    argv
}

/// Parses a command line of this tool (without the program name), as `main` would.
pub(super) fn parse_command(argv: Vec<String>) -> anyhow::Result<Command> {
    use clap::Parser as _;
    let full = std::iter::once("harbor-upgrade".to_string()).chain(argv);
    let cli = crate::cli::Cli::try_parse_from(full)
        .map_err(|e| anyhow::anyhow!("{}", e.render().to_string().trim()))?;
    Ok(cli.command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_is_a_go_duration_and_zero_looks_once() {
        assert_eq!(parse_wait("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_wait("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_wait("1m30s").unwrap(), Duration::from_secs(90));
        for bad in ["", "5", "-1s", "soon"] {
            let e = parse_wait(bad).unwrap_err().to_string();
            assert!(e.contains("invalid --wait"), "{e}");
        }
    }

    #[test]
    fn since_is_a_time_or_a_duration_back_from_now() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let t = parse_since("2026-03-01T10:00:00Z", now).unwrap();
        assert_eq!(t.unix_timestamp(), 1_772_359_200);
        let t = parse_since("30m", now).unwrap();
        assert_eq!(t.unix_timestamp(), 1_800_000_000 - 1800);
        let e = parse_since("yesterday", now).unwrap_err().to_string();
        assert!(e.contains("invalid --since `yesterday`"), "{e}");
        assert!(parse_since("0", now).is_err());
    }

    #[test]
    fn diagnose_arguments_go_through_the_parser() {
        let c = ClusterArgs {
            release: Some("harbor".into()),
            namespace: Some("ns".into()),
            ..ClusterArgs::default()
        };
        let d = diagnose_args(&c, Some(60)).unwrap();
        assert_eq!(d.cluster.release.as_deref(), Some("harbor"));
        assert_eq!(d.cluster.namespace.as_deref(), Some("ns"));
        assert_eq!(d.since.as_deref(), Some("60s"));
    }
}
