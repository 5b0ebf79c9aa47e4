//! `upgrade`: the upgrade runbook as one command, with the user's Helm as the engine.
//!
//! 1. `helm upgrade RELEASE CHART --dry-run=server FLAGS` (output captured, bounded, never shown:
//!    it holds the rendered Secrets);
//! 2. `preflight check --rendered` of that output (kept in a 0600 file for the check, removed
//!    after it), with the release, the values flags Helm gets and the cluster checks (clock, the
//!    core pods' keys); errors stop the run unless `--force`;
//! 3. `keys backup` (encrypted with `--recipient` / `--passphrase-file`), its path printed;
//! 4. `helm upgrade RELEASE CHART FLAGS`, Helm's output streamed through the error gate
//!    (control characters escaped, the values' secrets and lines that look like secrets masked);
//! 5. `verify` with that backup and the time step 4 began;
//! 6. a summary: healthy, or what broke, and the commands that go back.
//!
//! The sub-steps are the commands themselves, their arguments built by the same parser the
//! command line goes through. Helm's flags pass through unchanged; the tool reads from them the
//! namespace, context and kubeconfig for its own reads and the values flags for its checks.

use std::fmt::Write as _;
use std::io::{BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use anyhow::Context as _;

use super::verify::{cluster_argv, parse_command};
use super::{cluster, keys_backup, preflight_check, verify, Outcome};
use crate::cli::{ClusterArgs, Command, KeysCommand, OutputFormat, PreflightCommand, UpgradeArgs};
use crate::kube;
use crate::report::Style;

/// The most of Helm's dry-run output kept: a rendered Harbor release is well under 1 MiB.
const DRY_RUN_LIMIT: u64 = 64 << 20;
/// The most of Helm's standard error kept for an error message.
const STDERR_LIMIT: u64 = 1 << 20;
/// The longest line of Helm's output passed through; longer lines are cut.
const LINE_LIMIT: usize = 64 << 10;

/// What the tool reads from the Helm flags.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct HelmFlags {
    namespace: Option<String>,
    context: Option<String>,
    kubeconfig: Option<String>,
    version: Option<String>,
    /// `-f`, `--set`, `--set-string`, `--set-file` as `preflight check` takes them, in order.
    values: Vec<(String, String)>,
    reuse_values: bool,
    /// Flags whose values the checks do not read (`--set-json`, `--set-literal`), with their
    /// values (`key=…`): their secrets are still masked in Helm's lines.
    unjudged: Vec<(String, String)>,
}

/// Flags of `helm upgrade` that take a value (so that the value is not read as a flag).
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "--kube-context",
    "--kubeconfig",
    "--version",
    "-f",
    "--values",
    "--set",
    "--set-string",
    "--set-file",
    "--set-json",
    "--set-literal",
    "--timeout",
    "--description",
    "--post-renderer",
    "--post-renderer-args",
    "--repo",
    "--username",
    "--password",
    "--ca-file",
    "--cert-file",
    "--key-file",
    "--keyring",
    "--history-max",
    "--kube-apiserver",
    "--kube-as-user",
    "--kube-as-group",
    "--kube-ca-file",
    "--kube-token",
    "--kube-tls-server-name",
    "--registry-config",
    "--repository-cache",
    "--repository-config",
    "--burst-limit",
    "--qps",
    "--wait-for",
    "--labels",
    "-l",
    "--server-side",
    "--force-conflicts",
];

/// Reads the flags Helm gets; refuses the ones the tool must own.
fn read_helm_flags(flags: &[String]) -> anyhow::Result<HelmFlags> {
    let mut out = HelmFlags::default();
    let mut i = 0;
    while i < flags.len() {
        let arg = flags[i].as_str();
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ if arg.starts_with("-n") && arg.len() > 2 && !arg.starts_with("--") => {
                ("-n".to_string(), Some(arg[2..].to_string()))
            }
            _ if arg.starts_with("-f") && arg.len() > 2 && !arg.starts_with("--") => {
                ("-f".to_string(), Some(arg[2..].to_string()))
            }
            _ => (arg.to_string(), None),
        };
        if name == "--dry-run" {
            anyhow::bail!("Helm flag `{arg}`: the tool runs the dry run itself (step 1); use `harbor-upgrade upgrade --dry-run` to stop after the backup");
        }
        if name == "--server-side" || name == "--force-conflicts" {
            // Boolean-or-value flags of Helm 4: `--server-side=false`, or alone.
            i += 1;
            continue;
        }
        let takes_value = VALUE_FLAGS.contains(&name.as_str());
        let value = if takes_value {
            if let Some(v) = inline {
                Some(v)
            } else {
                i += 1;
                Some(
                    flags
                        .get(i)
                        .cloned()
                        .with_context(|| format!("Helm flag `{arg}` needs a value"))?,
                )
            }
        } else {
            None
        };
        match (name.as_str(), value) {
            ("-n" | "--namespace", Some(v)) => out.namespace = Some(v),
            ("--kube-context", Some(v)) => out.context = Some(v),
            ("--kubeconfig", Some(v)) => out.kubeconfig = Some(v),
            ("--version", Some(v)) => out.version = Some(v),
            ("-f" | "--values", Some(v)) => out.values.push(("--values".into(), v)),
            (flag @ ("--set" | "--set-string" | "--set-file"), Some(v)) => {
                out.values.push((flag.to_string(), v));
            }
            (flag @ ("--set-json" | "--set-literal"), Some(v)) => {
                out.unjudged.push((flag.to_string(), v));
            }
            ("--reuse-values" | "--reset-then-reuse-values", None) => out.reuse_values = true,
            _ => {}
        }
        i += 1;
    }
    Ok(out)
}

/// The secret values of the values flags Helm gets (`-f`, `--set*`), as text: Helm quotes
/// values in its own messages (a schema error prints the value that does not match) and a
/// chart's NOTES may print any value, so every line of Helm's shown has them masked.
#[derive(Debug, Default, Clone)]
struct ValueSecrets {
    /// The secret texts, longest first.
    texts: Vec<String>,
    /// One automaton over all of them: a line costs one pass, however many secrets there are.
    matcher: Option<aho_corasick::AhoCorasick>,
}

impl ValueSecrets {
    /// Shorter texts are not masked: they would garble Helm's own words.
    const SHORTEST: usize = 4;

    /// The secrets of the values flags, by the same rules as every output (catalogue, key
    /// name, value shape). Values that cannot be read give none here: Helm refuses them too,
    /// and the checks say why. Standard input is left to the checks.
    fn of(read: &HelmFlags) -> ValueSecrets {
        let mut options = crate::values::LoadOptions::default();
        for (flag, value) in &read.values {
            match flag.as_str() {
                "--values" if value != "-" => options.files.push(value.clone()),
                "--set" => options.set.push(value.clone()),
                "--set-string" => options.set_string.push(value.clone()),
                "--set-file" => options.set_file.push(value.clone()),
                _ => {}
            }
        }
        let mut all = Vec::new();
        for (flag, value) in &read.unjudged {
            unjudged_secrets(flag, value, &mut all);
        }
        let mut sources = crate::values::Sources::new();
        let Ok(values) = crate::values::load(&options, &mut sources, &mut std::io::empty()) else {
            return ValueSecrets::new(all);
        };
        super::inputs::redact_values(&values.root, "", &mut sources);
        for (id, file) in sources.iter() {
            for range in sources.redactions(id) {
                let Some(text) = file.text.get(range) else {
                    continue;
                };
                let text = text.trim_matches(|c| c == '"' || c == '\'');
                all.push(text.to_string());
                // A block scalar (a PEM key) is printed line by line.
                all.extend(text.lines().map(|l| l.trim().to_string()));
            }
        }
        ValueSecrets::new(all)
    }

    fn new(mut all: Vec<String>) -> ValueSecrets {
        all.retain(|t| t.len() >= Self::SHORTEST);
        // Longest first, so that a secret holding another is masked whole.
        all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        all.dedup();
        let matcher = (!all.is_empty())
            .then(|| {
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(&all)
                    .ok()
            })
            .flatten();
        ValueSecrets {
            texts: all,
            matcher,
        }
    }

    /// `line` with every secret of the values replaced by `<redacted>`.
    fn mask(&self, line: &str) -> String {
        match &self.matcher {
            Some(m) => m.replace_all(line, &vec![crate::redact::REDACTED; self.texts.len()]),
            None => line.to_string(),
        }
    }
}

/// The secrets of a `--set-literal key=value` (the value, when the key is a secret by the
/// catalogue or its name, or the value has a secret's shape) or a `--set-json key=JSON` (its
/// string leaves, judged the same way by their paths).
fn unjudged_secrets(flag: &str, value: &str, out: &mut Vec<String>) {
    let Some((key, text)) = value.split_once('=') else {
        return;
    };
    if flag == "--set-literal" {
        if secret_at(key, text) {
            out.push(text.to_string());
        }
        return;
    }
    // One `key=JSON` per flag is read; a comma-joined list (`a={…},b=…`) is not split here, and
    // the line rule of the error gate still masks what has a secret's shape.
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        json_secrets(key, &json, out);
    }
}

fn json_secrets(path: &str, json: &serde_json::Value, out: &mut Vec<String>) {
    match json {
        serde_json::Value::String(s) if secret_at(path, s) => out.push(s.clone()),
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                json_secrets(&format!("{path}.{k}"), v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                json_secrets(path, v, out);
            }
        }
        _ => {}
    }
}

/// Whether the text at values `path` is a secret, by the rules every output uses.
fn secret_at(path: &str, text: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    crate::redact::values::catalogued(path).unwrap_or_else(|| {
        crate::redact::values::secret_key_name(last) || crate::redact::is_secret_key(last)
    }) || crate::redact::values::shape_is_secret(text)
}

/// Everything the steps share.
struct Plan {
    release: String,
    chart: String,
    /// Helm's flags as given (`--` dropped).
    flags: Vec<String>,
    read: HelmFlags,
    helm: PathBuf,
    /// The tool's own cluster flags, from Helm's.
    cluster: ClusterArgs,
    /// `--kubeconfig` of the tool, added to Helm's flags when Helm's lack one.
    extra_helm: Vec<String>,
    /// Masked in every line of Helm's the tool shows.
    secrets: ValueSecrets,
}

impl Plan {
    fn new(args: &UpgradeArgs) -> anyhow::Result<Plan> {
        let mut rest = args.chart_and_flags.iter().cloned();
        let mut chart = rest.next().context("CHART is missing")?;
        if chart == "--" {
            chart = rest.next().context("CHART is missing")?;
        }
        let mut rest = rest.peekable();
        if rest.peek().is_some_and(|a| a == "--") {
            rest.next();
        }
        let flags: Vec<String> = rest.collect();
        if chart.starts_with('-') {
            anyhow::bail!("`{chart}` is not a chart: the tool's own options come before RELEASE, Helm's after CHART");
        }
        let read = read_helm_flags(&flags)?;
        let helm = args
            .helm
            .clone()
            .or_else(|| {
                std::env::var_os("HELM_BIN")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from("helm"));
        let kubeconfig = read
            .kubeconfig
            .as_ref()
            .map(PathBuf::from)
            .or_else(|| args.kubeconfig.clone());
        let mut extra_helm = Vec::new();
        if let (None, Some(path)) = (&read.kubeconfig, &args.kubeconfig) {
            extra_helm.extend(["--kubeconfig".to_string(), path.display().to_string()]);
        }
        let cluster = ClusterArgs {
            release: Some(args.release.clone()),
            namespace: read
                .namespace
                .clone()
                .or_else(|| args.helm_env.namespace.clone()),
            kubeconfig,
            context: read
                .context
                .clone()
                .or_else(|| args.helm_env.context.clone()),
            request_timeout: None,
        };
        let secrets = ValueSecrets::of(&read);
        Ok(Plan {
            release: args.release.clone(),
            chart,
            flags,
            secrets,
            read,
            helm,
            cluster,
            extra_helm,
        })
    }

    /// `helm upgrade RELEASE CHART [extra] FLAGS`.
    fn helm_upgrade(&self, extra: &[&str]) -> Process {
        let mut p = Process::new(&self.helm);
        p.arg("upgrade").arg(&self.release).arg(&self.chart);
        p.args(extra).args(&self.extra_helm).args(&self.flags);
        p.stdin(Stdio::null());
        p
    }

    /// `-n NS` (and `--kube-context`) for the commands printed for the user.
    fn helm_scope(&self) -> String {
        let mut s = String::new();
        if let Some(ns) = &self.cluster.namespace {
            let _ = write!(s, " -n {ns}");
        }
        if let Some(ctx) = &self.cluster.context {
            let _ = write!(s, " --kube-context {ctx}");
        }
        s
    }

    fn tool_scope(&self) -> String {
        let mut s = String::new();
        if let Some(ns) = &self.cluster.namespace {
            let _ = write!(s, " -n {ns}");
        }
        if let Some(ctx) = &self.cluster.context {
            let _ = write!(s, " --context {ctx}");
        }
        s
    }
}

/// The step counter on stderr.
struct Steps {
    total: usize,
    done: usize,
}

impl Steps {
    fn next(&mut self, what: &str) {
        self.done += 1;
        crate::note!("step {}/{}: {what}", self.done, self.total);
    }
}

/// The release before the upgrade.
struct Before {
    revision: u64,
    chart_version: String,
    app_version: Option<String>,
}

/// Runs the steps.
pub fn run(args: &UpgradeArgs, style: Style) -> anyhow::Result<Outcome> {
    let plan = Plan::new(args)?;
    if args.recipients.is_empty() && args.identity.is_some() {
        anyhow::bail!(
            "`--identity` reads back a backup encrypted to `--recipient`, which is missing"
        );
    }
    let mut steps = Steps {
        total: if args.dry_run { 3 } else { 6 },
        done: 0,
    };
    let before = read_before(&plan)?;
    crate::note!(
        "note: release `{}` is at revision {} (chart {}, Harbor {})",
        crate::redact::escape(&plan.release),
        before.revision,
        crate::redact::escape(&before.chart_version),
        crate::redact::escape(before.app_version.as_deref().unwrap_or("?"))
    );

    // 1. The dry run.
    steps.next(&format!(
        "helm upgrade {} {} --dry-run=server (what the upgrade would apply)",
        plan.release, plan.chart
    ));
    let rendered = dry_run(&plan)?;
    crate::note!(
        "note: the dry run rendered {} object(s) ({} bytes, kept in memory, not shown: it holds the rendered Secrets)",
        rendered.matches("# Source: ").count(),
        rendered.len()
    );

    // 2. The checks.
    steps.next(
        "preflight check --rendered of the dry run, with the release, its values and the cluster checks",
    );
    let checked = preflight(&plan, args, rendered, style)
        .context("step 2 (preflight check) could not run")?;
    if checked == Outcome::Findings {
        if args.force {
            crate::note!("warning: the checks reported errors; going on because of `--force`");
        } else {
            crate::note!(
                "stopped: the checks reported errors (above); nothing was backed up or upgraded. Fix them, or pass `--force` to go on anyway"
            );
            return Ok(Outcome::Findings);
        }
    }

    // 3. The backup.
    steps.next("keys backup of every credential of the release");
    let bundle =
        backup(&plan, args).context("step 3 (keys backup) failed; nothing was upgraded")?;
    crate::note!("note: backup written to {}", bundle.display());
    if args.dry_run {
        crate::note!(
            "dry run: stopped after the backup; nothing was upgraded. Run again without `--dry-run` to upgrade"
        );
        return Ok(checked);
    }

    // 4. The upgrade.
    steps.next(&format!("helm upgrade {} {}", plan.release, plan.chart));
    let started = time::OffsetDateTime::now_utc();
    if let Err(e) = upgrade(&plan) {
        go_back(&plan, args, &before, &bundle, "helm upgrade failed");
        return Err(e.context("step 4 (helm upgrade) failed"));
    }

    // 5. Verify.
    steps.next("verify: wait for the rollout, then check keys, Secrets and logs");
    let verified = verify_after(&plan, args, &bundle, started, style);

    // 6. Summary.
    steps.next("summary");
    match verified {
        Ok(Outcome::Clean) => {
            crate::note!(
                "healthy: release `{}` upgraded from revision {} (chart {}) and verified",
                crate::redact::escape(&plan.release),
                before.revision,
                crate::redact::escape(&before.chart_version)
            );
            print_go_back(&plan, args, &before, &bundle);
            Ok(Outcome::Clean)
        }
        Ok(Outcome::Findings) => {
            go_back(
                &plan,
                args,
                &before,
                &bundle,
                "the upgrade went through but `verify` found it broken (report above)",
            );
            Ok(Outcome::Findings)
        }
        Err(e) => {
            go_back(
                &plan,
                args,
                &before,
                &bundle,
                "the upgrade went through but `verify` could not judge it",
            );
            Err(e.context("step 5 (verify) could not judge the upgrade"))
        }
    }
}

/// The deployed revision before anything runs: the revision to roll back to.
fn read_before(plan: &Plan) -> anyhow::Result<Before> {
    let runtime = cluster::runtime()?;
    let connected = runtime.block_on(kube::connect(&cluster::options(&plan.cluster)?))?;
    let release = runtime
        .block_on(kube::read_deployed_release(&connected, &plan.release))
        .with_context(|| format!("cannot read release `{}`", plan.release))?
        .with_context(|| {
            format!(
                "{}; `upgrade` upgrades an installed release (install it with `helm install` first)",
                cluster::no_release_record(&plan.release, &connected.namespace)
            )
        })?;
    Ok(Before {
        revision: release.revision,
        chart_version: release.chart_version,
        app_version: release.app_version,
    })
}

/// Step 1: the dry run's standard output (bounded); Helm's error when it fails.
fn dry_run(plan: &Plan) -> anyhow::Result<String> {
    let mut child = plan
        .helm_upgrade(&["--dry-run=server"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| helm_missing(plan))?;
    let stderr = child.stderr.take().context("helm's standard error")?;
    let errors = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.take(STDERR_LIMIT).read_to_end(&mut text);
        text
    });
    let mut out = Vec::new();
    let stdout = child.stdout.take().context("helm's standard output")?;
    stdout
        .take(DRY_RUN_LIMIT + 1)
        .read_to_end(&mut out)
        .context("cannot read helm's output")?;
    if out.len() as u64 > DRY_RUN_LIMIT {
        let _ = child.kill();
        let _ = child.wait();
        anyhow::bail!(
            "the dry run printed more than {} MiB: not a Harbor release",
            DRY_RUN_LIMIT >> 20
        );
    }
    let status = child.wait().context("cannot wait for helm")?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        anyhow::bail!(
            "step 1 (helm upgrade --dry-run=server) failed ({status}); nothing was changed:\n{}",
            plan.secrets.mask(&last_lines(&errors, 20))
        );
    }
    String::from_utf8(out).context("the dry run's output is not UTF-8")
}

fn helm_missing(plan: &Plan) -> String {
    format!(
        "cannot run Helm `{}`; name it with `--helm PATH` (inside the Helm plugin `$HELM_BIN` names it)",
        plan.helm.display()
    )
}

/// The last `n` lines of Helm's standard error, for an error message (which is masked and
/// escaped on its way out like every error).
fn last_lines(bytes: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// How findings in the dry run's output name it (it is judged in memory, never written).
const DRY_RUN_NAME: &str = "helm-upgrade-dry-run.yaml";

/// Step 2: `preflight check --rendered` of the dry run's output, with the release in the cluster
/// and the values flags Helm gets.
fn preflight(
    plan: &Plan,
    args: &UpgradeArgs,
    rendered: String,
    style: Style,
) -> anyhow::Result<Outcome> {
    let mut line = vec!["preflight".to_string(), "check".to_string()];
    line.extend(cluster_argv(&plan.cluster));
    line.extend(["-o".into(), format_name(args.output.output).into()]);
    for (flag, value) in &plan.read.values {
        line.push(format!("{flag}={value}"));
    }
    if plan.read.reuse_values {
        line.push("--reuse-values".into());
    }
    if args.skip_clock {
        line.push("--skip-clock".into());
    }
    let local = Path::new(&plan.chart);
    let tgz = local
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tgz"));
    if local.is_dir() || tgz && local.is_file() {
        line.extend(["--chart".into(), plan.chart.clone()]);
    } else if let Some(version) = plan
        .read
        .version
        .as_ref()
        .filter(|v| crate::chart::known_release(v).is_ok())
    {
        line.extend(["--to".into(), version.clone()]);
    }
    for (flag, _) in &plan.read.unjudged {
        crate::note!("note: the values of `{flag}` reach Helm but are not judged by the checks");
    }
    match parse_command(line)? {
        Command::Preflight(PreflightCommand::Check(check)) => {
            let dry_run = preflight_check::Prepared {
                name: DRY_RUN_NAME.into(),
                text: rendered,
            };
            preflight_check::run_with(&check, Some(dry_run), style)
        }
        _ => anyhow::bail!("internal: `preflight check` did not parse as itself"),
    }
}

fn format_name(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Text => "text",
        OutputFormat::Json => "json",
        OutputFormat::Sarif => "sarif",
        OutputFormat::Junit => "junit",
        OutputFormat::Github => "github",
        OutputFormat::Markdown => "markdown",
    }
}

/// Step 3: `keys backup` into a path chosen here, so that the later steps know it.
fn backup(plan: &Plan, args: &UpgradeArgs) -> anyhow::Result<PathBuf> {
    let encrypted = !args.recipients.is_empty() || args.passphrase_file.is_some();
    let out = if let Some(path) = &args.backup_out {
        path.clone()
    } else {
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .unwrap_or_default();
        let base = format!("harbor-backup-{}-{stamp}", plan.release);
        PathBuf::from(if encrypted {
            format!("{base}.tar.age")
        } else {
            base
        })
    };
    let mut line = vec!["keys".to_string(), "backup".to_string()];
    line.extend(cluster_argv(&plan.cluster));
    line.extend(["--out".into(), out.display().to_string()]);
    for r in &args.recipients {
        line.extend(["--recipient".into(), r.clone()]);
    }
    if let Some(p) = &args.passphrase_file {
        line.extend(["--passphrase-file".into(), p.display().to_string()]);
    }
    let Command::Keys(KeysCommand::Backup(b)) = parse_command(line)? else {
        anyhow::bail!("internal: `keys backup` did not parse as itself");
    };
    // The listing goes to stderr with the steps: stdout carries the reports only.
    let (written, listing) = keys_backup::write(&b)?;
    for l in listing.lines() {
        crate::note!("{l}");
    }
    Ok(written)
}

/// Step 4: the real upgrade, Helm's output streamed line by line to stderr through the error
/// gate (masked, escaped): a chart's NOTES may print anything.
fn upgrade(plan: &Plan) -> anyhow::Result<()> {
    let mut child = plan
        .helm_upgrade(&[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| helm_missing(plan))?;
    let stdout = child.stdout.take().context("helm's standard output")?;
    let stderr = child.stderr.take().context("helm's standard error")?;
    let secrets = plan.secrets.clone();
    let errors = std::thread::spawn(move || stream(stderr, &secrets));
    stream(stdout, &plan.secrets);
    let _ = errors.join();
    let status = child.wait().context("cannot wait for helm")?;
    if !status.success() {
        anyhow::bail!("helm upgrade exited with {status} (its output is above)");
    }
    Ok(())
}

/// Copies lines to stderr as `helm: …`, each cut at [`LINE_LIMIT`] (the rest of a longer line
/// is skipped, never stored), the values' secrets masked.
fn stream(from: impl std::io::Read, secrets: &ValueSecrets) {
    let mut reader = crate::input::LineReader::new(BufReader::new(from), LINE_LIMIT);
    let mut line = Vec::new();
    while let Ok(Some(_)) = reader.next_line(&mut line) {
        crate::note!("helm: {}", secrets.mask(&String::from_utf8_lossy(&line)));
    }
}

/// Step 5: `verify` with the new backup and the time the upgrade began.
fn verify_after(
    plan: &Plan,
    args: &UpgradeArgs,
    bundle: &Path,
    started: time::OffsetDateTime,
    style: Style,
) -> anyhow::Result<Outcome> {
    let mut line = vec!["verify".to_string()];
    line.extend(cluster_argv(&plan.cluster));
    line.extend([
        "--wait".into(),
        args.verify_wait.clone(),
        "-o".into(),
        format_name(args.output.output).into(),
        "--since".into(),
        started
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    ]);
    let readable = if let Some(p) = &args.passphrase_file {
        line.extend(["--passphrase-file".into(), p.display().to_string()]);
        true
    } else if let Some(identity) = &args.identity {
        line.extend(["--identity".into(), identity.display().to_string()]);
        true
    } else {
        args.recipients.is_empty()
    };
    if readable {
        line.extend(["--backup".into(), bundle.display().to_string()]);
    } else {
        crate::note!(
            "note: the backup is encrypted to `--recipient` and no `--identity` was given: `verify` does not compare the live Secrets with it; run `harbor-upgrade keys diff {} --identity FILE` to compare them",
            bundle.display()
        );
    }
    match parse_command(line)? {
        Command::Verify(v) => verify::run(&v, style),
        _ => anyhow::bail!("internal: `verify` did not parse as itself"),
    }
}

/// Says what broke and how to go back.
fn go_back(plan: &Plan, args: &UpgradeArgs, before: &Before, bundle: &Path, what: &str) {
    crate::note!("broken: {what}");
    print_go_back(plan, args, before, bundle);
}

/// The commands that go back to the release as it was.
fn print_go_back(plan: &Plan, args: &UpgradeArgs, before: &Before, bundle: &Path) {
    let decrypt = match (
        &args.passphrase_file,
        &args.identity,
        args.recipients.is_empty(),
    ) {
        (Some(p), _, _) => format!(" --passphrase-file {}", p.display()),
        (None, Some(i), _) => format!(" --identity {}", i.display()),
        (None, None, false) => " --identity YOUR_AGE_IDENTITY".to_string(),
        (None, None, true) => String::new(),
    };
    crate::note!(
        "backup: {} (taken before the upgrade; keep it)",
        bundle.display()
    );
    crate::note!("to go back:");
    crate::note!(
        "  helm rollback {} {}{}",
        plan.release,
        before.revision,
        plan.helm_scope()
    );
    crate::note!(
        "  harbor-upgrade keys restore {}{} --policy update{decrypt}",
        bundle.display(),
        plan.tool_scope()
    );
    crate::note!(
        "note: Harbor migrates its database schema when the new core starts and cannot migrate it back: after an upgrade across Harbor versions (from chart {}) `helm rollback` alone does not restore the old schema; restore the database from the backup taken before the upgrade (see docs/upgrade.md)",
        before.chart_version
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_values_secrets_are_masked_in_helms_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("values.yaml");
        std::fs::write(
            &file,
            "harborAdminPassword: \"Adm1nCanary99\"\nexternalURL: https://harbor.example.com\ncore:\n  replicas: 1\n",
        )
        .expect("write");
        let read = HelmFlags {
            values: vec![
                ("--values".into(), file.display().to_string()),
                (
                    "--set".into(),
                    "database.internal.password=Db9Canary77".into(),
                ),
            ],
            ..HelmFlags::default()
        };
        let secrets = ValueSecrets::of(&read);
        assert_eq!(
            secrets.mask("Log in as admin with Adm1nCanary99, database \"Db9Canary77\""),
            "Log in as admin with <redacted>, database \"<redacted>\""
        );
        // What is not secret stays.
        assert_eq!(
            secrets.mask("visit https://harbor.example.com (1 replica)"),
            "visit https://harbor.example.com (1 replica)"
        );
        // Values that cannot be read mask nothing more (Helm refuses them itself).
        let none = ValueSecrets::of(&HelmFlags {
            values: vec![(
                "--values".into(),
                dir.path().join("missing.yaml").display().to_string(),
            )],
            ..HelmFlags::default()
        });
        assert_eq!(none.mask("Adm1nCanary99"), "Adm1nCanary99");
    }

    #[test]
    fn set_literal_and_set_json_secrets_are_masked_in_helms_lines() {
        let read = HelmFlags {
            unjudged: vec![
                (
                    "--set-literal".into(),
                    "harborAdminPassword=Lit,Canary=1".into(),
                ),
                (
                    "--set-literal".into(),
                    "externalURL=https://harbor.example.com".into(),
                ),
                (
                    "--set-json".into(),
                    r#"database={"internal":{"password":"JsonCanary42"},"type":"internal"}"#.into(),
                ),
            ],
            ..HelmFlags::default()
        };
        let secrets = ValueSecrets::of(&read);
        assert_eq!(
            secrets
                .mask("admin Lit,Canary=1 db JsonCanary42 at https://harbor.example.com, internal"),
            "admin <redacted> db <redacted> at https://harbor.example.com, internal"
        );
    }

    #[test]
    fn many_value_secrets_mask_a_line_in_one_pass() {
        let texts: Vec<String> = (0..20_000).map(|i| format!("Canary{i:06}")).collect();
        let secrets = ValueSecrets::new(texts);
        let line = "x Canary019999 y Canary000001 z".repeat(100);
        assert_eq!(
            secrets.mask(&line),
            "x <redacted> y <redacted> z".repeat(100)
        );
    }

    fn flags(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_tool_reads_namespace_context_and_values_from_helm_flags() {
        let read = read_helm_flags(&flags(
            "-n harbor --kube-context=prod -f a.yaml --values=b.yaml --set core.replicas=2 --version 1.14.2 --timeout 10m --reuse-values --set-json x={} --atomic",
        ))
        .unwrap();
        assert_eq!(read.namespace.as_deref(), Some("harbor"));
        assert_eq!(read.context.as_deref(), Some("prod"));
        assert_eq!(read.version.as_deref(), Some("1.14.2"));
        assert!(read.reuse_values);
        assert_eq!(
            read.values,
            vec![
                ("--values".to_string(), "a.yaml".to_string()),
                ("--values".to_string(), "b.yaml".to_string()),
                ("--set".to_string(), "core.replicas=2".to_string()),
            ]
        );
        assert_eq!(
            read.unjudged,
            vec![("--set-json".to_string(), "x={}".to_string())]
        );
        let short = read_helm_flags(&flags("-nharbor -fv.yaml")).unwrap();
        assert_eq!(short.namespace.as_deref(), Some("harbor"));
        assert_eq!(short.values, vec![("--values".into(), "v.yaml".into())]);
    }

    fn parsed(line: &[&str]) -> UpgradeArgs {
        let words = line.iter().map(|s| (*s).to_string()).collect();
        match parse_command(words).unwrap() {
            Command::Upgrade(args) => *args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn helm_flags_after_the_chart_reach_helm_and_the_tools_own_reads() {
        let args = parsed(&[
            "upgrade",
            "--force",
            "--kubeconfig",
            "kc",
            "harbor",
            "harbor/harbor",
            "--",
            "--force",
            "-n",
            "prod",
            "-f",
            "v.yaml",
        ]);
        assert!(args.force);
        let plan = Plan::new(&args).unwrap();
        assert_eq!(plan.chart, "harbor/harbor");
        // Helm's own `--force` after the chart is Helm's; the `--` after the chart is dropped.
        assert_eq!(plan.flags, ["--force", "-n", "prod", "-f", "v.yaml"]);
        assert_eq!(plan.cluster.namespace.as_deref(), Some("prod"));
        assert_eq!(plan.cluster.release.as_deref(), Some("harbor"));
        assert_eq!(plan.extra_helm, ["--kubeconfig", "kc"]);
        assert_eq!(plan.helm_scope(), " -n prod");
    }

    #[test]
    fn inside_the_helm_plugin_helms_namespace_and_context_are_the_tools() {
        let args = parsed(&["upgrade", "harbor", "./harbor-1.14.2.tgz", "-f", "v.yaml"]);
        let cli = crate::cli::Cli {
            color: crate::cli::ColorChoice::Never,
            command: Command::Upgrade(Box::new(args)),
        }
        .with_helm_environment(&crate::cli::HelmEnvironment {
            namespace: Some("harbor".into()),
            context: Some("prod".into()),
        });
        let Command::Upgrade(args) = cli.command else {
            panic!("upgrade")
        };
        let plan = Plan::new(&args).unwrap();
        assert_eq!(plan.cluster.namespace.as_deref(), Some("harbor"));
        assert_eq!(plan.cluster.context.as_deref(), Some("prod"));
        // Helm reads `HELM_NAMESPACE` itself: nothing is added to its flags.
        assert_eq!(plan.flags, ["-f", "v.yaml"]);
        let e = Plan::new(&parsed(&["upgrade", "harbor", "--", "--force"]))
            .err()
            .expect("a flag is not a chart")
            .to_string();
        assert!(e.contains("is not a chart"), "{e}");
    }

    #[test]
    fn a_dry_run_flag_for_helm_is_refused() {
        for bad in ["--dry-run", "--dry-run=client", "--dry-run=server"] {
            let e = read_helm_flags(&flags(bad)).unwrap_err().to_string();
            assert!(e.contains("runs the dry run itself"), "{e}");
        }
        let e = read_helm_flags(&flags("-f")).unwrap_err().to_string();
        assert!(e.contains("needs a value"), "{e}");
    }
}
