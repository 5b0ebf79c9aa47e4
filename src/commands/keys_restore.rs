//! `keys restore`: verify a backup, show a masked diff of each Secret against the live one, and
//! create or (with `--policy update`) replace Secrets in the release namespace.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Secret;

use super::cluster;
use super::keys_backup::read_passphrase;
use super::{print, Outcome};
use crate::backup::{self, Backup, Decryption, SECRETS};
use crate::cli::{ListFormat, RestoreArgs, RestorePolicy};
use serde_json::json;

use super::live::Live;
use crate::kube;
use crate::redact::describe_secret;
use crate::values::emit::to_json;
use crate::values::{parse_documents, SourceId};

/// Decryption from `--identity` / `--passphrase-file`.
pub(super) fn decryption(
    identity: Option<&Path>,
    passphrase_file: Option<&Path>,
) -> anyhow::Result<Decryption> {
    Ok(match (identity, passphrase_file) {
        (Some(_), Some(_)) => anyhow::bail!("use either `--identity` or `--passphrase-file`"),
        (Some(path), None) => Decryption::IdentityFile(path.to_path_buf()),
        (None, Some(path)) => Decryption::Passphrase(read_passphrase(path)?),
        (None, None) => Decryption::None,
    })
}

/// The Secrets of a verified backup.
pub(super) fn backup_secrets(b: &Backup) -> anyhow::Result<Vec<Secret>> {
    let text = b
        .files
        .get(SECRETS)
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    let docs = parse_documents(SourceId(0), &text).context("secrets.yaml of the backup")?;
    // The deserialiser's message would quote the document: say only which one.
    docs.iter()
        .enumerate()
        .filter(|(_, d)| d.as_map().is_some_and(|m| !m.is_empty()))
        .map(|(i, d)| {
            serde_json::from_value::<Secret>(to_json(d)).map_err(|_| {
                anyhow::anyhow!(
                    "secrets.yaml of the backup: document {} is not a Secret",
                    i + 1
                )
            })
        })
        .collect()
}

/// Connection options, with the backup's namespace unless `-n` says otherwise.
pub(super) fn options_for(
    args: &crate::cli::ClusterArgs,
    b: &Backup,
) -> anyhow::Result<kube::ClusterOptions> {
    let mut options = cluster::options(args)?;
    if options.namespace.is_none() {
        options.namespace.clone_from(&b.manifest.source.namespace);
    }
    Ok(options)
}

/// How the data of two Secrets differ, masked: `~ key`, `+ key`, `- key`.
pub(super) fn masked_diff(
    live: &BTreeMap<String, Vec<u8>>,
    backup: &BTreeMap<String, Vec<u8>>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for (key, value) in backup {
        match live.get(key) {
            None => lines.push(format!("+ {key}: {}", describe_secret(value))),
            Some(old) if old != value => lines.push(format!(
                "~ {key}: live {} → backup {}",
                describe_secret(old),
                describe_secret(value)
            )),
            Some(_) => {}
        }
    }
    for (key, value) in live {
        if !backup.contains_key(key) {
            lines.push(format!(
                "- {key}: {} (not in the backup)",
                describe_secret(value)
            ));
        }
    }
    lines
}

pub(super) fn data_of(secret: &Secret) -> BTreeMap<String, Vec<u8>> {
    secret
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect()
}

/// The Deployments that read a Secret of the chart (by `<fullname>` suffix).
fn readers(fullname: &str, secret: &str) -> &'static [&'static str] {
    match secret.strip_prefix(fullname) {
        Some("-jobservice") => &["jobservice", "core", "registry"],
        Some("-registry") => &["registry"],
        Some("-registry-htpasswd") => &["registry", "core", "jobservice"],
        Some("-database") => &["core"],
        // `-core` and Secrets the values name: the three that mount or read them.
        _ => &["core", "jobservice", "registry"],
    }
}

/// Restores and reports.
/// What one restore did or would do, for the renderers.
struct Outcomes<'a> {
    steps: &'a [Step],
    restart: &'a [String],
    left_different: usize,
    namespace: Option<&'a str>,
}

fn render_text(args: &RestoreArgs, live: &Live, o: &Outcomes<'_>) -> String {
    let (steps, restart, left_different, namespace) =
        (o.steps, o.restart, o.left_different, o.namespace);
    let mut out = format!(
        "{} {} into {}\n",
        if args.dry_run {
            "would restore"
        } else {
            "restoring"
        },
        args.backup.display(),
        live.describe()
    );
    for step in steps {
        let name = &step.name;
        match step.action {
            "skip" => {
                let _ = writeln!(
                    out,
                    "skip secret/{name}: it exists and differs (`--policy update` replaces it)"
                );
            }
            action => {
                let _ = writeln!(out, "{action} secret/{name}");
            }
        }
        for line in &step.changes {
            let _ = writeln!(out, "    {line}");
        }
    }
    if !restart.is_empty() {
        let _ = writeln!(
            out,
            "\nmounted Secrets do not reload consistently: {} restart\n  kubectl -n {} rollout restart {}",
            if args.dry_run { "after restoring," } else { "now" },
            namespace.unwrap_or("NAMESPACE"),
            restart.join(" ")
        );
    }
    if left_different > 0 {
        let _ = writeln!(
            out,
            "\n{left_different} Secret(s) differ from the backup and were left as they are"
        );
    }
    out
}

fn render_json(
    args: &RestoreArgs,
    b: &Backup,
    live: &Live,
    o: &Outcomes<'_>,
) -> anyhow::Result<String> {
    let (steps, restart, left_different) = (o.steps, o.restart, o.left_different);
    let steps: Vec<_> = steps
        .iter()
        .map(|s| json!({ "secret": s.name, "action": s.action, "changes": s.changes }))
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "schemaVersion": crate::report::JSON_SCHEMA_VERSION,
        "dryRun": args.dry_run,
        "backup": {
            "path": args.backup.display().to_string(),
            "createdAt": b.manifest.created_at,
            "release": b.manifest.source.release,
            "namespace": b.manifest.source.namespace,
        },
        "into": live.json(),
        "secrets": steps,
        "restart": restart,
        "leftDifferent": left_different,
    }))?;
    text.push('\n');
    Ok(text)
}

/// What `keys restore` does with one backed-up Secret.
#[derive(Debug)]
struct Step {
    name: String,
    action: &'static str,
    changes: Vec<String>,
}

pub fn run(args: &RestoreArgs) -> anyhow::Result<Outcome> {
    let how = decryption(args.identity.as_deref(), args.passphrase_file.as_deref())?;
    let b = backup::read(&args.backup, &how)?;
    let secrets = backup_secrets(&b)?;
    if !args.secrets.is_empty() && !args.dry_run {
        anyhow::bail!("`--secret` files can only be compared (`--dry-run`): restoring writes to the cluster; apply the backup there, or drop `--secret`");
    }
    let live = Live::open(&args.cluster, &args.secrets, &b)?;
    let namespace = match &live {
        Live::Cluster { cluster, .. } => Some(cluster.namespace.clone()),
        Live::Files { .. } => b.manifest.source.namespace.clone(),
    };
    let mut steps = Vec::new();
    let mut restart: Vec<String> = Vec::new();
    let mut left_different = 0;
    let fullname = b.manifest.source.fullname.clone().unwrap_or_default();
    for mut secret in secrets {
        let name = secret.metadata.name.clone().unwrap_or_default();
        secret.metadata.namespace.clone_from(&namespace);
        secret.metadata.resource_version = None;
        let today = live.get(&name)?;
        let (action, changes, writes) = match &today {
            None => {
                if !args.dry_run {
                    live.create(&secret)?;
                }
                ("create", Vec::new(), true)
            }
            Some(today) => {
                let diff = masked_diff(&data_of(today), &data_of(&secret));
                if diff.is_empty() {
                    ("unchanged", diff, false)
                } else if args.policy == RestorePolicy::Update {
                    if !args.dry_run {
                        secret
                            .metadata
                            .resource_version
                            .clone_from(&today.metadata.resource_version);
                        live.replace(&secret)?;
                    }
                    ("update", diff, true)
                } else {
                    left_different += 1;
                    ("skip", diff, false)
                }
            }
        };
        if writes {
            for component in readers(&fullname, &name) {
                let deployment = format!("deployment/{fullname}-{component}");
                if !fullname.is_empty() && !restart.contains(&deployment) {
                    restart.push(deployment);
                }
            }
        }
        steps.push(Step {
            name,
            action,
            changes,
        });
    }
    let outcomes = Outcomes {
        steps: &steps,
        restart: &restart,
        left_different,
        namespace: namespace.as_deref(),
    };
    let text = match args.output {
        ListFormat::Text => render_text(args, &live, &outcomes),
        ListFormat::Json => render_json(args, &b, &live, &outcomes)?,
    };
    print(&text)?;
    Ok(if left_different > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
