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
use crate::cli::{RestoreArgs, RestorePolicy};
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
    docs.iter()
        .filter(|d| d.as_map().is_some_and(|m| !m.is_empty()))
        .map(|d| {
            serde_json::from_value::<Secret>(to_json(d))
                .context("secrets.yaml of the backup holds something that is not a Secret")
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
pub fn run(args: &RestoreArgs) -> anyhow::Result<Outcome> {
    let how = decryption(args.identity.as_deref(), args.passphrase_file.as_deref())?;
    let b = backup::read(&args.backup, &how)?;
    let secrets = backup_secrets(&b)?;
    let options = options_for(&args.cluster, &b)?;
    let rt = cluster::runtime()?;
    let c = rt.block_on(kube::connect(&options))?;
    let mut out = format!(
        "{} {} into namespace `{}` at {}\n",
        if args.dry_run {
            "would restore"
        } else {
            "restoring"
        },
        args.backup.display(),
        c.namespace,
        c.server
    );
    let mut restart: Vec<String> = Vec::new();
    let mut left_different = 0;
    let fullname = b.manifest.source.fullname.clone().unwrap_or_default();
    for mut secret in secrets {
        let name = secret.metadata.name.clone().unwrap_or_default();
        secret.metadata.namespace = Some(c.namespace.clone());
        secret.metadata.resource_version = None;
        let live = rt.block_on(kube::get_secret(&c, &name))?;
        let action = match &live {
            None => {
                let _ = writeln!(out, "create secret/{name}");
                if !args.dry_run {
                    rt.block_on(kube::create_secret(&c, &secret))?;
                }
                true
            }
            Some(live) => {
                let diff = masked_diff(&data_of(live), &data_of(&secret));
                if diff.is_empty() {
                    let _ = writeln!(out, "unchanged secret/{name}");
                    false
                } else if args.policy == RestorePolicy::Update {
                    let _ = writeln!(out, "update secret/{name}");
                    for line in &diff {
                        let _ = writeln!(out, "    {line}");
                    }
                    if !args.dry_run {
                        secret
                            .metadata
                            .resource_version
                            .clone_from(&live.metadata.resource_version);
                        rt.block_on(kube::replace_secret(&c, &secret))?;
                    }
                    true
                } else {
                    left_different += 1;
                    let _ = writeln!(
                        out,
                        "skip secret/{name}: it exists and differs (`--policy update` replaces it)"
                    );
                    for line in &diff {
                        let _ = writeln!(out, "    {line}");
                    }
                    false
                }
            }
        };
        if action {
            for component in readers(&fullname, &name) {
                let deployment = format!("deployment/{fullname}-{component}");
                if !fullname.is_empty() && !restart.contains(&deployment) {
                    restart.push(deployment);
                }
            }
        }
    }
    if !restart.is_empty() {
        let _ = writeln!(
            out,
            "\nmounted Secrets do not reload consistently: {} restart\n  kubectl -n {} rollout restart {}",
            if args.dry_run { "after restoring," } else { "now" },
            c.namespace,
            restart.join(" ")
        );
    }
    if left_different > 0 {
        let _ = writeln!(
            out,
            "\n{left_different} Secret(s) differ from the backup and were left as they are"
        );
    }
    print(&out)?;
    Ok(if left_different > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
