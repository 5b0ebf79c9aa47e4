//! Command-line types (clap derive) and nothing else: no I/O happens here.
//!
//! `commands/` turns these raw arguments into resolved settings; this file only describes the
//! contract of DESIGN.md so that `--help` shows the whole command tree.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Pre-flight checks, key backup and safe credential repair for Harbor Helm upgrades.
#[derive(Debug, Parser)]
#[command(name = "harbor-upgrade", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// When to colour text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The command tree as invoked: `kubectl-harbor_upgrade` (a kubectl plugin on `PATH`) shows
/// `kubectl harbor-upgrade` in its usage lines, and so does Helm's plugin runner (which sets
/// `HELM_PLUGIN_NAME`) with `helm harbor-upgrade`.
pub fn command_for(program: Option<&std::ffi::OsStr>, helm_plugin: bool) -> clap::Command {
    let command = <Cli as clap::CommandFactory>::command();
    let stem = program
        .map(std::path::Path::new)
        .and_then(std::path::Path::file_stem)
        .and_then(std::ffi::OsStr::to_str);
    if stem == Some("kubectl-harbor_upgrade") {
        command.bin_name("kubectl harbor-upgrade").after_help(
            "Running as a kubectl plugin: `kubectl harbor-upgrade …` takes the same commands and \
             flags as `harbor-upgrade …`; pass -n/--context after the command.",
        )
    } else if helm_plugin {
        command.bin_name("helm harbor-upgrade")
    } else {
        command
    }
}

/// What Helm's plugin runner tells a plugin: Helm parses `-n/--namespace` and `--kube-context`
/// itself and passes them only as `HELM_NAMESPACE` and `HELM_KUBECONTEXT`.
#[derive(Debug, Clone, Default)]
pub struct HelmEnvironment {
    /// `HELM_NAMESPACE`: Helm's `-n`, else the kubeconfig context's namespace, else `default`.
    pub namespace: Option<String>,
    /// `HELM_KUBECONTEXT`: Helm's `--kube-context`, empty when not given.
    pub context: Option<String>,
}

impl Cli {
    /// Gives the command the namespace and context Helm parsed, as `helm harbor-upgrade` users
    /// expect: a command that reads the cluster anyway (no file inputs, or `--release` given)
    /// uses Helm's namespace and context unless its own flags say otherwise; a command given
    /// only files stays offline, as outside Helm.
    #[must_use]
    pub fn with_helm_environment(mut self, helm: &HelmEnvironment) -> Self {
        let (cluster, offline) = match &mut self.command {
            Command::Preflight(PreflightCommand::Check(args)) => {
                let offline = args.values.gives_input();
                (&mut args.cluster, offline)
            }
            Command::Keys(KeysCommand::Inspect(args)) => {
                let offline = args.values.gives_input();
                (&mut args.cluster, offline)
            }
            Command::Keys(KeysCommand::Backup(args)) => {
                let offline = args.values.gives_input();
                (&mut args.cluster, offline)
            }
            Command::Keys(KeysCommand::Restore(args)) => (&mut args.cluster, false),
            Command::Keys(KeysCommand::Diff(args)) => (&mut args.cluster, false),
            Command::Clock(ClockCommand::Check(args)) => (&mut args.cluster, false),
            Command::Diagnose(args) => {
                let offline = !args.logs.is_empty();
                (&mut args.cluster, offline)
            }
            Command::Verify(args) => (&mut args.cluster, false),
            Command::Upgrade(args) => {
                args.helm_env = helm.clone();
                return self;
            }
            _ => return self,
        };
        if offline && cluster.release.is_none() {
            return self;
        }
        if cluster.namespace.is_none() {
            cluster.namespace.clone_from(&helm.namespace);
        }
        if cluster.context.is_none() {
            cluster.context.clone_from(&helm.context);
        }
        self
    }
}

impl ValuesArgs {
    /// Whether any values or Secret input is given on the command line.
    pub fn gives_input(&self) -> bool {
        [
            &self.values,
            &self.values_flag,
            &self.set,
            &self.set_string,
            &self.set_file,
            &self.secrets,
        ]
        .iter()
        .any(|list| !list.is_empty())
    }
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check values, Secrets and the cluster for everything that breaks authentication on upgrade.
    #[command(subcommand)]
    Preflight(PreflightCommand),
    /// Inspect, back up, restore, compare, reset and rotate Harbor credentials.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Measure clock skew between the nodes that run Harbor.
    #[command(subcommand)]
    Clock(ClockCommand),
    /// Map Harbor log lines to root causes.
    Diagnose(DiagnoseArgs),
    /// Upgrade a release with Helm, step by step: dry run, check, back up, upgrade, verify.
    Upgrade(Box<UpgradeArgs>),
    /// After any upgrade: wait for the rollout, then check keys, Secrets and logs.
    Verify(Box<VerifyArgs>),
    /// Print a shell completion script on stdout.
    #[command(
        after_help = "Install:\n  bash:       harbor-upgrade completions bash > ~/.local/share/bash-completion/completions/harbor-upgrade\n  \
        zsh:        harbor-upgrade completions zsh > \"${fpath[1]}/_harbor-upgrade\"\n  \
        fish:       harbor-upgrade completions fish > ~/.config/fish/completions/harbor-upgrade.fish\n  \
        powershell: harbor-upgrade completions powershell >> $PROFILE"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout.
    #[command(
        after_help = "Install:\n  harbor-upgrade man > ~/.local/share/man/man1/harbor-upgrade.1"
    )]
    Man,
    /// Show the tool's version and the chart and Harbor releases it knows.
    Version(VersionArgs),
}

/// `completions SHELL`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `version`
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
    pub output: ListFormat,
}

/// `preflight …`
#[derive(Debug, Subcommand)]
pub enum PreflightCommand {
    /// Check values, Secret manifests or the release in the cluster and report every problem.
    #[command(
        after_help = "Examples:\n  harbor-upgrade preflight check values.yaml\n  \
        harbor-upgrade preflight check -f base.yaml -f prod.yaml --secret core-secret.yaml\n  \
        harbor-upgrade preflight check helmrelease.yaml --to 2.10.2 -o sarif > findings.sarif\n  \
        harbor-upgrade preflight check -n harbor --release harbor -f new-values.yaml --to 2.10.2"
    )]
    Check(Box<CheckArgs>),
    /// List every rule with its default severity.
    Rules(RulesArgs),
    /// Show one rule's documentation.
    Explain(ExplainArgs),
}

/// `keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Show kind, size, validity and fingerprints of every credential, never the secret itself.
    Inspect(InspectArgs),
    /// Write a checksummed, optionally encrypted backup of every credential.
    Backup(BackupArgs),
    /// Restore credentials from a backup.
    Restore(RestoreArgs),
    /// Compare a backup with the current state: what changed, by fingerprint.
    Diff(DiffArgs),
    /// Blank the credential fields the chart regenerates, with a masked diff and a rollback file.
    Reset(ResetArgs),
    /// Undo a `keys reset` or `keys rotate` from its rollback file.
    Rollback(RollbackArgs),
    /// Write a fresh matching token key and certificate into the values.
    Rotate(RotateArgs),
    /// Print a Secret manifest with a fresh token key pair for `core.secretName`.
    Generate(GenerateArgs),
}

/// `clock …`
#[derive(Debug, Subcommand)]
pub enum ClockCommand {
    /// Measure the clock offset of every node that runs core, registry or jobservice.
    Check(ClockCheckArgs),
}

/// Where values come from; the same for every command that reads values.
#[derive(Debug, Clone, Args, Default)]
pub struct ValuesArgs {
    /// Values files (plain values, Flux `HelmRelease`, Argo CD `Application`); `-` is stdin.
    #[arg(value_name = "VALUES")]
    pub values: Vec<String>,

    /// More values files, merged after the positional ones, in order.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values_flag: Vec<String>,

    /// Set values on the command line (`a.b=c,d=e`), as `helm --set` does.
    #[arg(long, value_name = "KEY=VAL")]
    pub set: Vec<String>,

    /// Set string values on the command line, as `helm --set-string` does.
    #[arg(long = "set-string", value_name = "KEY=VAL")]
    pub set_string: Vec<String>,

    /// Set a value from a file's content, as `helm --set-file` does.
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,

    /// Take the chart's values from this key of every file (umbrella charts: `harbor`).
    #[arg(long = "values-root", value_name = "KEY")]
    pub values_root: Option<String>,

    /// Secret manifests as `kubectl get secret -o yaml|json` prints them (repeatable).
    #[arg(long = "secret", value_name = "FILE")]
    pub secrets: Vec<String>,

    /// The `--secret` files hold every Secret of the release namespace, so a Secret the values
    /// name but the files lack is really missing.
    #[arg(long = "secrets-complete")]
    pub secrets_complete: bool,
}

/// Cluster access, exactly as kubectl means these flags.
#[derive(Debug, Clone, Args, Default)]
pub struct ClusterArgs {
    /// The Helm release to read from the cluster.
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,

    /// Namespace of the release.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,

    /// Path to the kubeconfig file (also `KUBECONFIG`, several paths allowed).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// How long to wait for one API request (`10s`, `1m`).
    #[arg(long = "request-timeout", value_name = "DURATION")]
    pub request_timeout: Option<String>,
}

/// Which rules report, shared by `preflight check` and `diagnose`.
#[derive(Debug, Clone, Args, Default)]
pub struct RuleArgs {
    /// Report only these rules (repeatable, comma-separated lists).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Suppress these rules' findings (repeatable, comma-separated lists): counted in the
    /// summary, not reported.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// The configuration file [default: `.harbor-upgrade.yaml` in the working directory or the
    /// nearest parent that has one].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Read no configuration file.
    #[arg(long = "no-config")]
    pub no_config: bool,

    /// List the suppressed findings too (`--ignore`, configuration, inline comments).
    #[arg(long = "show-suppressed")]
    pub show_suppressed: bool,
}

/// Output selection shared by reporting commands.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// `preflight check` arguments.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub values: ValuesArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,

    /// The Harbor (`2.8.4`) or chart (`1.12.4`) version running now.
    #[arg(long, value_name = "VERSION")]
    pub from: Option<String>,

    /// The Harbor or chart version the upgrade goes to.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,

    /// A chart directory or `.tgz` from `helm pull` to use as the target.
    #[arg(long, value_name = "DIR|TGZ")]
    pub chart: Option<PathBuf>,

    /// How the chart gets rendered: `helm` (install/upgrade, `lookup` works) or `template`
    /// (Argo CD and other client-side renders, where `lookup` returns nothing).
    #[arg(long, value_enum, default_value_t = Renderer::Helm)]
    pub renderer: Renderer,

    /// Merge the values given over the release's values (from the cluster, or
    /// `--deployed-values`), as `helm upgrade --reuse-values` does (without it they replace
    /// them, as `helm upgrade -f`).
    #[arg(long = "reuse-values")]
    pub reuse_values: bool,

    /// The deployed release's values, as `helm get values RELEASE -o yaml` prints them
    /// (repeatable, merged like `-f`): the offline stand-in for the release, compared with the
    /// new values. With the cluster, the release's own values are used.
    #[arg(long = "deployed-values", value_name = "FILE")]
    pub deployed_values: Vec<String>,

    /// Exit with status 1 when a finding at or above this severity is reported [default: error,
    /// or the configuration file's `fail-on`].
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub rules: RuleArgs,

    /// Report certificates that expire within this many days.
    #[arg(long = "expiry-days", value_name = "DAYS", default_value_t = 30)]
    pub expiry_days: u32,

    /// Judge validity as of this time (RFC 3339) instead of now; for reproducible reports.
    #[arg(long, value_name = "RFC3339", hide = true)]
    pub now: Option<String>,

    /// With a cluster: do not read the nodes' clocks (no `clock-skew` finding).
    #[arg(long = "skip-clock")]
    pub skip_clock: bool,

    /// The version of the external PostgreSQL server (`SHOW server_version;`), for
    /// `external-database-too-old`.
    #[arg(long = "database-version", value_name = "MAJOR[.MINOR]", value_parser = crate::checks::parse_database_version)]
    pub database_version: Option<crate::checks::PgVersion>,
    /// What Helm renders for the upgrade, judged exactly: the output of `helm template`,
    /// `helm upgrade --dry-run=server` (text or `-o json`) or `helm get manifest`; `-` is stdin.
    #[arg(long, value_name = "FILE|-")]
    pub rendered: Option<String>,

    /// Live objects offline (repeatable): `helm get manifest` of the deployed release, or
    /// `kubectl get -o yaml` of its Secrets, `StatefulSet`s, `Deployment`s and PVCs.
    #[arg(long = "deployed-manifests", value_name = "FILE")]
    pub deployed_manifests: Vec<String>,
}

/// `preflight rules` arguments.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
    pub output: ListFormat,
}

/// `preflight explain` arguments.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule ID, for example `token-pair-mismatch`.
    pub rule: String,
}

/// `keys inspect` arguments.
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub values: ValuesArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub cluster: ClusterArgs,

    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
    pub output: ListFormat,

    /// Judge validity as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339", hide = true)]
    pub now: Option<String>,

    /// Also inspect the Secrets Helm renders: the output of `helm template`,
    /// `helm upgrade --dry-run` or `helm get manifest`; `-` is stdin.
    #[arg(long, value_name = "FILE|-")]
    pub rendered: Option<String>,
}

/// `keys backup` arguments.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub values: ValuesArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub cluster: ClusterArgs,

    /// Where to write the backup: a new directory, or with encryption a new `.tar.age` file.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Encrypt to this age recipient (repeatable).
    #[arg(long = "recipient", value_name = "AGE")]
    pub recipients: Vec<String>,

    /// Encrypt with the passphrase in this file.
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

/// `keys restore` arguments.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup directory, or the encrypted `.tar.age` file.
    pub backup: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub cluster: ClusterArgs,
    /// What to do with a Secret that exists: `none` leaves it and reports the differences,
    /// `update` replaces it with the backup's.
    #[arg(long, value_enum, default_value_t = RestorePolicy::None)]
    pub policy: RestorePolicy,
    /// Show what would be restored and write nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// age identity file for an encrypted backup.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Passphrase file for an encrypted backup.
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// With `--dry-run`: compare with these Secret manifests (`kubectl get secret -o yaml`,
    /// repeatable) instead of the cluster.
    #[arg(long = "secret", value_name = "FILE")]
    pub secrets: Vec<String>,
    /// Output format (JSON: `docs/json-output.md`).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
    pub output: ListFormat,
}

/// `keys diff` arguments.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The backup directory, or the encrypted `.tar.age` file.
    pub backup: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub cluster: ClusterArgs,
    /// age identity file for an encrypted backup.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Passphrase file for an encrypted backup.
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Compare with these Secret manifests (`kubectl get secret -o yaml`, repeatable) instead
    /// of the cluster.
    #[arg(long = "secret", value_name = "FILE")]
    pub secrets: Vec<String>,
    /// Output format (JSON: `docs/json-output.md`).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
    pub output: ListFormat,
}

/// `keys restore --policy`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RestorePolicy {
    /// Create missing Secrets; leave existing ones and report how they differ.
    None,
    /// Create missing Secrets and replace existing ones that differ.
    Update,
}

/// Which group of regenerable fields `keys reset` blanks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResetGroup {
    /// `core.tokenKey` and `core.tokenCert`.
    Token,
    /// `core.secret`, `jobservice.secret`, `registry.secret`, `core.xsrfKey`.
    Internal,
}

/// `keys reset` arguments.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  harbor-upgrade keys reset values.yaml --dry-run\n  \
    harbor-upgrade keys reset values.yaml --only token\n  \
    harbor-upgrade keys reset umbrella.yaml --values-root harbor --rollback-file ~/harbor.rollback.yaml"
)]
pub struct ResetArgs {
    /// The values file to edit (plain values, Flux `HelmRelease`, Argo CD `Application`).
    pub values: PathBuf,
    /// Show the masked diff and write nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Only blank this group of fields.
    #[arg(long, value_enum)]
    pub only: Option<ResetGroup>,
    /// Where to write the rollback file (default: next to the values file, `values.yaml` →
    /// `values.rollback.yaml`, or `values.rollback.1.yaml` … when that exists; an existing file
    /// is never overwritten).
    #[arg(long = "rollback-file", value_name = "FILE")]
    pub rollback_file: Option<PathBuf>,
    /// Print secret values in the diff unmasked.
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// Harbor's values sit under this key of the file (umbrella charts: `harbor`).
    #[arg(long = "values-root", value_name = "KEY")]
    pub values_root: Option<String>,
    /// Replace the values file even when it has other hard links (they keep the old content
    /// and its secrets; without this such a file is refused).
    #[arg(long = "break-links")]
    pub break_links: bool,
}

/// `keys rollback` arguments.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  harbor-upgrade keys rollback values.rollback.yaml --dry-run\n  \
    harbor-upgrade keys rollback values.rollback.yaml --force\n  \
    harbor-upgrade keys rollback ~/harbor.rollback.yaml --values values.yaml"
)]
// Four independent command-line switches, not a state machine.
#[allow(clippy::struct_excessive_bools)]
pub struct RollbackArgs {
    /// The rollback file written by `keys reset` or `keys rotate`.
    pub rollback_file: PathBuf,
    /// The values file to restore (default: the one beside the rollback file that its header
    /// names; a header naming a file elsewhere is refused).
    #[arg(long = "values", value_name = "FILE")]
    pub values: Option<PathBuf>,
    /// Show what would change and write nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Re-insert the old values even though the file changed since.
    #[arg(long)]
    pub force: bool,
    /// Print secret values in the diff unmasked.
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// Replace the values file even when it has other hard links (they keep the old content
    /// and its secrets; without this such a file is refused).
    #[arg(long = "break-links")]
    pub break_links: bool,
}

/// `keys rotate` arguments.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  harbor-upgrade keys rotate values.yaml --dry-run\n  \
    harbor-upgrade keys rotate values.yaml --days 730"
)]
pub struct RotateArgs {
    /// The values file to edit.
    pub values: PathBuf,
    /// Show the masked diff and write nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// RSA key size (2048 to 8192).
    #[arg(long, default_value_t = 4096)]
    pub bits: u32,
    /// Certificate validity in days.
    #[arg(long, default_value_t = 3650)]
    pub days: u32,
    /// Where to write the rollback file (default: next to the values file, `values.yaml` →
    /// `values.rollback.yaml`, or `values.rollback.1.yaml` … when that exists; an existing file
    /// is never overwritten).
    #[arg(long = "rollback-file", value_name = "FILE")]
    pub rollback_file: Option<PathBuf>,
    /// Print secret values in the diff unmasked.
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// Harbor's values sit under this key of the file (umbrella charts: `harbor`).
    #[arg(long = "values-root", value_name = "KEY")]
    pub values_root: Option<String>,
    /// Replace the values file even when it has other hard links (they keep the old content
    /// and its secrets; without this such a file is refused).
    #[arg(long = "break-links")]
    pub break_links: bool,
}

/// `keys generate` arguments.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  harbor-upgrade keys generate --secret-name harbor-token -n harbor --out token-secret.yaml\n  \
    kubectl apply -f token-secret.yaml   # then set core.secretName: harbor-token"
)]
pub struct GenerateArgs {
    /// Name of the Secret (the value of `core.secretName`).
    #[arg(long = "secret-name", value_name = "NAME")]
    pub secret_name: String,
    /// Namespace written into the manifest.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Write the manifest to this file (mode 0600, never overwritten) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// RSA key size (2048 to 8192).
    #[arg(long, default_value_t = 4096)]
    pub bits: u32,
    /// Certificate validity in days.
    #[arg(long, default_value_t = 3650)]
    pub days: u32,
}

/// `clock check` arguments.
#[derive(Debug, Args)]
#[command(
    after_help = "Each node's clock is read through exec (`date`) in one of its pods, or, \
    where exec gives no reading (forbidden, refused by a proxy, no `date` in the image), from the \
    node's Lease in `kube-node-lease`. A node whose clock neither can read fails the command \
    (exit status 2).\n\n\
    Examples:\n  harbor-upgrade clock check -n harbor\n  \
    harbor-upgrade clock check -n harbor --release my-harbor --to 2.11.0 -o json"
)]
pub struct ClockCheckArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub cluster: ClusterArgs,
    /// Clock readings per node; the one with the shortest round trip is kept.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub samples: u32,
    /// The Harbor or chart version the upgrade goes to (the stricter of it and the running
    /// version sets the limits).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ListFormat::Text)]
    pub output: ListFormat,
    /// Exit with status 1 when a finding at or above this severity is reported. The default is
    /// `warning`: before Harbor 2.11 a skew at the warning limit already rejects a share of
    /// fresh tokens (about d of them for a skew of d seconds).
    #[arg(long = "fail-on", value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
}

/// `diagnose` arguments.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  harbor-upgrade diagnose -n harbor --since 2h\n  \
    kubectl logs -n harbor -l component=core --prefix --timestamps --tail=-1 > core.log\n  \
    harbor-upgrade diagnose --logs core.log -o json"
)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub cluster: ClusterArgs,
    /// Log files saved with `kubectl logs` (`--prefix` and `--timestamps` are recognised; `-` is
    /// stdin), instead of reading the cluster.
    #[arg(long = "logs", value_name = "FILE")]
    pub logs: Vec<String>,
    /// Only lines newer than this (`1h`, `30m`, `2h30m`); for files, judged against now, and
    /// lines without a time are kept.
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Lines per container: the last N of each (default 2000 from the cluster, every line of a
    /// file; 0 reads everything up to the byte cap).
    #[arg(long, value_name = "N")]
    pub tail: Option<u32>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    /// Exit with status 1 when a finding at or above this severity is reported [default: error,
    /// or the configuration file's `fail-on`].
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub rules: RuleArgs,
    /// Judge `--since` as of this time (RFC 3339) instead of now, for log files saved earlier and
    /// reproducible reports.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
}

/// `upgrade` arguments.
#[derive(Debug, Args)]
#[command(
    override_usage = "harbor-upgrade upgrade [OPTIONS] RELEASE CHART [HELM FLAGS]...",
    after_help = "The tool's own options come before RELEASE; everything after CHART goes to `helm upgrade` \
    unchanged (`-f`, `--set`, `--version`, `-n`, `--kube-context` …). The tool reads the namespace, \
    context and kubeconfig from those flags too, and the values flags for its checks.\n\n\
    Steps: 1 `helm upgrade --dry-run=server`, 2 `preflight check`, 3 `keys backup`, 4 `helm upgrade`, \
    5 `verify`, 6 summary with the commands to go back. `--dry-run` stops after step 3.\n\n\
    Examples:\n  harbor-upgrade upgrade harbor harbor/harbor --version 1.14.2 -n harbor -f values.yaml\n  \
    harbor-upgrade upgrade --dry-run --passphrase-file pass.txt harbor ./harbor-1.14.2.tgz -n harbor -f values.yaml"
)]
pub struct UpgradeArgs {
    /// The Helm release to upgrade.
    #[arg(value_name = "RELEASE")]
    pub release: String,

    /// The chart (`repo/harbor`, `oci://…`, a `.tgz` or a folder), then `helm upgrade` flags.
    #[arg(
        value_name = "CHART [HELM FLAGS]",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub chart_and_flags: Vec<String>,

    /// The Helm binary [default: `$HELM_BIN` (set by Helm for its plugins), else `helm` on `PATH`].
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,

    /// Go on to back up and upgrade even when the checks report errors.
    #[arg(long)]
    pub force: bool,

    /// Stop after the backup: nothing is upgraded.
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    /// Where to write the backup (default: `harbor-backup-RELEASE-TIME` in the working
    /// directory, `.tar.age` when encrypted).
    #[arg(long = "backup-out", value_name = "PATH")]
    pub backup_out: Option<PathBuf>,

    /// Encrypt the backup to this age recipient (repeatable).
    #[arg(long = "recipient", value_name = "AGE")]
    pub recipients: Vec<String>,

    /// Encrypt the backup with the passphrase in this file (`verify` reads it back with it).
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// The age identity that decrypts a backup encrypted to `--recipient`, for the comparison in
    /// `verify` (without it that comparison is left out, and said so).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,

    /// Path to the kubeconfig file, for the tool and for Helm.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// How long `verify` waits for the rollout (Go duration).
    #[arg(long = "verify-wait", value_name = "DURATION", default_value = "5m")]
    pub verify_wait: String,

    /// Do not read the nodes' clocks in the checks.
    #[arg(long = "skip-clock")]
    pub skip_clock: bool,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,

    /// Helm's namespace and context when Helm runs the tool as its plugin.
    #[arg(skip)]
    pub helm_env: HelmEnvironment,
}

/// `verify` arguments.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 healthy, 1 broken (findings at or above `--fail-on`), 2 could not judge \
    (the rollout did not finish within `--wait`, a read was refused, no release).\n\n\
    Examples:\n  harbor-upgrade verify -n harbor\n  \
    harbor-upgrade verify -n harbor --release harbor --backup harbor-backup-harbor-20260301T100000Z --wait 10m"
)]
pub struct VerifyArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub cluster: ClusterArgs,

    /// A backup taken before the upgrade (`keys backup`): a dangerous change of a credential
    /// since then fails the check.
    #[arg(long, value_name = "BUNDLE")]
    pub backup: Option<PathBuf>,

    /// age identity file for an encrypted backup.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,

    /// Passphrase file for an encrypted backup.
    #[arg(long = "passphrase-file", value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// Judge the log lines from this time on: RFC 3339 (`2026-03-01T10:00:00Z`) or a duration
    /// back from now (`30m`) [default: when the release was last deployed].
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// How long to wait for the Deployments and `StatefulSets` to finish rolling out (Go
    /// duration; `0` looks once).
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub wait: String,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,

    /// Exit with status 1 when a finding at or above this severity is reported [default: error,
    /// or the configuration file's `fail-on`].
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub rules: RuleArgs,
}

/// `--color`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `-o` for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable, rustc-like.
    Text,
    /// One JSON document (schema in `docs/json-output.md`).
    Json,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
    /// JUnit XML: one test case per rule, failing on findings at or above `--fail-on`.
    Junit,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
    /// A Markdown table for a pull-request comment.
    Markdown,
}

/// `-o` for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Human-readable.
    Text,
    /// JSON.
    Json,
}

/// `--fail-on`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 on warnings and errors.
    Warning,
    /// Exit 1 on errors.
    Error,
    /// Always exit 0 when the check ran.
    Never,
}

/// `--renderer`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Renderer {
    /// `helm install` / `helm upgrade`: the chart's `lookup` sees the live Secrets.
    Helm,
    /// `helm template` and tools built on it (Argo CD): `lookup` returns nothing.
    Template,
}
