//! `keys diff`: today's live credentials against a backup, by fingerprint, each change
//! classified: an expected rotation (token pair, inter-component secrets), a dangerous change
//! (`secretKey`, database password: exit 1), or unchanged.

use std::fmt::Write as _;

use super::cluster;
use super::keys_restore::{backup_secrets, data_of, decryption, options_for};
use super::{print, Outcome};
use crate::backup;
use crate::cli::DiffArgs;
use crate::kube;
use crate::pki::fingerprint;

/// What a change of one credential means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Unchanged,
    /// Harmless: the chart or Harbor re-issues it; pods restart, tokens are re-issued.
    Rotation,
    /// Worth knowing, nothing breaks.
    Changed,
    /// Breaks stored data or the database connection.
    Dangerous,
}

fn classify(key: &str) -> (Class, &'static str) {
    match key {
        "tls.key" | "tls.crt" => (Class::Rotation, "token pair rotated: tokens are re-issued"),
        "secret" | "CSRF_KEY" | "JOBSERVICE_SECRET" | "REGISTRY_HTTP_SECRET" | "REGISTRY_HTPASSWD" => {
            (Class::Rotation, "inter-component secret rotated: expected when the chart regenerates it")
        }
        "secretKey" => (
            Class::Dangerous,
            "`secretKey` changed: stored credentials (replication, OIDC, LDAP) decrypt to garbage; restore it from the backup",
        ),
        "POSTGRESQL_PASSWORD" | "POSTGRES_PASSWORD" | "password" => (
            Class::Dangerous,
            "database password changed: the database keeps the old one and core cannot connect",
        ),
        "HARBOR_ADMIN_PASSWORD" => (Class::Changed, "Harbor ignores it after the first start"),
        _ => (Class::Changed, "changed"),
    }
}

/// Compares and prints; exit 1 on a dangerous change.
pub fn run(args: &DiffArgs) -> anyhow::Result<Outcome> {
    let how = decryption(args.identity.as_deref(), args.passphrase_file.as_deref())?;
    let b = backup::read(&args.backup, &how)?;
    if let (Some(given), Some(backed)) = (&args.cluster.release, &b.manifest.source.release) {
        if given != backed {
            anyhow::bail!("the backup is of release `{backed}`, not `{given}`");
        }
    }
    let secrets = backup_secrets(&b)?;
    let options = options_for(&args.cluster, &b)?;
    let rt = cluster::runtime()?;
    let c = rt.block_on(kube::connect(&options))?;
    let mut out = format!(
        "{} (taken {}) against namespace `{}` at {}\n",
        args.backup.display(),
        b.manifest.created_at,
        c.namespace,
        c.server
    );
    let mut worst = Class::Unchanged;
    for secret in &secrets {
        let name = secret.metadata.name.clone().unwrap_or_default();
        let then = data_of(secret);
        let Some(live) = rt.block_on(kube::get_secret(&c, &name))? else {
            let dangerous = then.keys().any(|k| classify(k).0 == Class::Dangerous);
            let class = if dangerous {
                Class::Dangerous
            } else {
                Class::Changed
            };
            worst = worst.max(class);
            let _ = writeln!(
                out,
                "{} secret/{name}: gone from the cluster{}",
                label(class),
                if dangerous {
                    "; it held `secretKey` or a database password: restore it with `harbor-upgrade keys restore`"
                } else {
                    ""
                }
            );
            continue;
        };
        let now = data_of(&live);
        for (key, old) in &then {
            let (class, why) = match now.get(key) {
                Some(new) if new == old => (Class::Unchanged, "unchanged"),
                Some(_) => classify(key),
                None => {
                    let (class, _) = classify(key);
                    (class.max(Class::Changed), "removed from the live Secret")
                }
            };
            worst = worst.max(class);
            let _ = write!(out, "{} secret/{name} {key}: ", label(class));
            match now.get(key) {
                Some(new) if new != old => {
                    let _ = writeln!(out, "{} → {}: {why}", fingerprint(old), fingerprint(new));
                }
                _ => {
                    let _ = writeln!(out, "{}: {why}", fingerprint(old));
                }
            }
        }
        for (key, new) in now.iter().filter(|(k, _)| !then.contains_key(*k)) {
            worst = worst.max(Class::Changed);
            let _ = writeln!(
                out,
                "{} secret/{name} {key}: {}: added since the backup",
                label(Class::Changed),
                fingerprint(new)
            );
        }
    }
    let verdict = match worst {
        Class::Dangerous => {
            "dangerous changes: restore the values above from the backup before the upgrade goes on"
        }
        Class::Changed => "changes, none dangerous",
        Class::Rotation => "only expected rotations",
        Class::Unchanged => "nothing changed",
    };
    let _ = writeln!(out, "\n{verdict}");
    print(&out)?;
    Ok(if worst == Class::Dangerous {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

fn label(class: Class) -> &'static str {
    match class {
        Class::Unchanged => "unchanged",
        Class::Rotation => "rotated  ",
        Class::Changed => "changed  ",
        Class::Dangerous => "DANGER   ",
    }
}
