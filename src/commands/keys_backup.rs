//! `keys backup`: every credential of a release (or of the files given) in a checksummed bundle,
//! plaintext in a 0700 directory or one age-encrypted archive.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use base64::Engine as _;
use serde_json::{json, Map, Value as Json};

use super::cluster::{self, ValuesMode};
use super::{inputs, print, Outcome};
use crate::backup::{
    self, Credential, Encryption, Files, Manifest, SourceInfo, Tool, FORMAT_VERSION,
    RELEASE_VALUES, SECRETS, VALUES_CREDENTIALS,
};
use crate::cli::BackupArgs;
use crate::pki::sha256_hex;
use crate::values::emit::{to_json, to_yaml};

/// One Secret to back up: its manifest (server fields removed) and its decoded data.
struct Item {
    manifest: Json,
    name: String,
    data: BTreeMap<String, Vec<u8>>,
}

/// Writes the backup and lists what it holds (fingerprints only).
pub fn run(args: &BackupArgs) -> anyhow::Result<Outcome> {
    let (_, listing) = write(args)?;
    print(&listing)?;
    Ok(Outcome::Clean)
}

/// Writes the backup; returns where, and the listing of what it holds (fingerprints only).
pub(super) fn write(args: &BackupArgs) -> anyhow::Result<(PathBuf, String)> {
    let encryption = encryption(args)?;
    let now = time::OffsetDateTime::now_utc();
    let (items, release_values, source) = if cluster::wants_cluster(&args.cluster) {
        from_cluster(args)?
    } else {
        from_files(args)?
    };
    if items.is_empty() {
        anyhow::bail!("nothing to back up: no Secret was found");
    }

    let (mut files, manifest) = bundle(&items, &release_values, &source, &now);
    let credentials = manifest.credentials.clone();
    backup::seal(&mut files, manifest).context("cannot write manifest.json")?;

    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let base = format!(
        "harbor-backup-{}-{stamp}",
        source.release.as_deref().unwrap_or("files")
    );
    let out = match (&args.out, &encryption) {
        (Some(out), _) => out.clone(),
        (None, Some(_)) => PathBuf::from(format!("{base}.tar.age")),
        (None, None) => PathBuf::from(base.clone()),
    };
    if let Some(how) = &encryption {
        let archive = backup::tar(&files, &base).context("cannot build the archive")?;
        let sealed = backup::encrypt(&archive, how)?;
        backup::write_private_file(&out, &sealed)?;
    } else {
        backup::write_private_dir(&out, &files)?;
        crate::note!(
            "warning: the backup is not encrypted: {} holds every credential in clear; pass `--recipient` or `--passphrase-file` to encrypt it",
            out.display()
        );
    }
    if in_git_work_tree(&out) {
        crate::note!(
            "warning: {} is inside a git work tree; never commit it",
            out.display()
        );
    }
    let listing = summary(&out, encryption.is_some(), &items, &credentials);
    Ok((out, listing))
}

fn summary(out: &Path, encrypted: bool, items: &[Item], credentials: &[Credential]) -> String {
    let mut text = format!(
        "wrote {} backup {}\n",
        if encrypted { "encrypted" } else { "plaintext" },
        out.display()
    );
    for item in items {
        let _ = writeln!(
            text,
            "  secret/{}: {}",
            item.name,
            item.data.keys().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    for c in credentials
        .iter()
        .filter(|c| c.object == "values-credentials")
    {
        let _ = writeln!(
            text,
            "  pinned {} ({} bytes, sha256:{})",
            c.key,
            c.bytes,
            &c.sha256[..12]
        );
    }
    text
}

/// The bundle's files and its manifest (not yet sealed).
fn bundle(
    items: &[Item],
    release_values: &Json,
    source: &SourceInfo,
    now: &time::OffsetDateTime,
) -> (Files, Manifest) {
    let (overlay, pinned) = credentials_overlay(items, source.fullname.as_deref(), release_values);
    let mut files = Files::new();
    let secrets_yaml = items
        .iter()
        .map(|i| to_yaml(&i.manifest))
        .collect::<Vec<_>>()
        .join("---\n");
    files.insert(SECRETS.into(), secrets_yaml.into_bytes());
    files.insert(RELEASE_VALUES.into(), to_yaml(release_values).into_bytes());
    let header = format!(
        "# Today's credentials{}, written by harbor-upgrade keys backup.\n\
         # Keep them across an upgrade: helm upgrade … -f values.yaml -f {VALUES_CREDENTIALS}\n\
         # This file holds secrets: keep it out of version control.\n",
        source
            .release
            .as_deref()
            .map(|r| format!(" of release `{r}`"))
            .unwrap_or_default()
    );
    files.insert(
        VALUES_CREDENTIALS.into(),
        format!("{header}{}", to_yaml(&overlay)).into_bytes(),
    );

    let mut credentials: Vec<Credential> = items
        .iter()
        .flat_map(|item| {
            item.data.iter().map(move |(key, bytes)| Credential {
                object: format!("secret/{}", item.name),
                key: key.clone(),
                sha256: sha256_hex(bytes),
                bytes: bytes.len(),
            })
        })
        .collect();
    credentials.extend(pinned.iter().map(|(path, value)| Credential {
        object: "values-credentials".into(),
        key: path.clone(),
        sha256: sha256_hex(value.as_bytes()),
        bytes: value.len(),
    }));
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        tool: Tool::this(),
        created_at: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        source: source.clone(),
        files: BTreeMap::new(),
        credentials,
    };
    (files, manifest)
}

fn encryption(args: &BackupArgs) -> anyhow::Result<Option<Encryption>> {
    match (&args.passphrase_file, args.recipients.is_empty()) {
        (Some(_), false) => {
            anyhow::bail!("use either `--recipient` or `--passphrase-file`, not both (age encrypts a passphrase file to nobody else)")
        }
        (Some(path), true) => Ok(Some(Encryption::Passphrase(read_passphrase(path)?))),
        (None, false) => Ok(Some(Encryption::Recipients(args.recipients.clone()))),
        (None, true) => Ok(None),
    }
}

/// The first line of a passphrase file (a trailing newline is not part of it).
pub(super) fn read_passphrase(path: &Path) -> anyhow::Result<age::secrecy::SecretString> {
    let shown = path.display().to_string();
    let text = crate::input::read_text(path, &shown, crate::input::Kind::PassphraseFile)?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        anyhow::bail!("passphrase file {} is empty", path.display());
    }
    Ok(age::secrecy::SecretString::from(line.to_string()))
}

fn in_git_work_tree(path: &Path) -> bool {
    let start = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    start.ancestors().skip(1).any(|p| p.join(".git").exists())
}

fn from_cluster(args: &BackupArgs) -> anyhow::Result<(Vec<Item>, Json, SourceInfo)> {
    if inputs::gives_values(&args.values) {
        crate::note!("note: with a cluster the release's own values are backed up; the values files given are not");
    }
    let g = cluster::runtime()?.block_on(cluster::gather(
        &args.cluster,
        &args.values,
        ValuesMode::Upgrade,
    ))?;
    crate::note!("note: {}", cluster::describe(&g));
    if let Some(denied) = g.facts.denied.first() {
        anyhow::bail!(
            "the backup would be incomplete: not allowed to `{}` `{}{}` in namespace `{}`; grant it (see docs/rbac.md)",
            denied.verb,
            denied.resource,
            denied.name.as_deref().map(|n| format!("/{n}")).unwrap_or_default(),
            denied.namespace
        );
    }
    let items = g
        .live
        .iter()
        .map(|s| Item {
            manifest: cluster::manifest_json(s, true),
            name: s.metadata.name.clone().unwrap_or_default(),
            data: s
                .data
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.0.clone()))
                .collect(),
        })
        .collect();
    let release = g.release.as_ref();
    let source = SourceInfo {
        kind: "cluster".into(),
        server: Some(g.cluster.server.clone()),
        context: g.cluster.context.clone(),
        namespace: Some(g.cluster.namespace.clone()),
        release: Some(g.release_name.clone()),
        fullname: Some(g.fullname.clone()),
        revision: release.map(|r| r.revision),
        chart_version: release.map(|r| r.chart_version.clone()),
        harbor_version: release.and_then(|r| r.app_version.clone()),
        inputs: Vec::new(),
    };
    let values = release.map_or_else(|| json!({}), |r| r.config.clone());
    Ok((items, values, source))
}

fn from_files(args: &BackupArgs) -> anyhow::Result<(Vec<Item>, Json, SourceInfo)> {
    let loaded = inputs::load(&args.values)?;
    let items: Vec<Item> = loaded
        .secrets
        .iter()
        .map(|s| {
            let data: BTreeMap<String, Vec<u8>> = s
                .data
                .iter()
                .map(|(k, e)| (k.clone(), e.bytes.clone()))
                .collect();
            let mut metadata = Map::new();
            metadata.insert("name".into(), json!(s.name));
            if let Some(ns) = &s.namespace {
                metadata.insert("namespace".into(), json!(ns));
            }
            let encoded: Map<String, Json> = data
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        json!(base64::engine::general_purpose::STANDARD.encode(v)),
                    )
                })
                .collect();
            Item {
                manifest: json!({
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": metadata,
                    "type": s.secret_type.clone().unwrap_or_else(|| "Opaque".into()),
                    "data": encoded,
                }),
                name: s.name.clone(),
                data,
            }
        })
        .collect();
    let fullname = items.iter().find_map(|i| {
        let base = i.name.strip_suffix("-core")?;
        ["secretKey", "tls.key", "secret", "CSRF_KEY"]
            .iter()
            .any(|k| i.data.contains_key(*k))
            .then(|| base.to_string())
    });
    let namespace = loaded.secrets.iter().find_map(|s| s.namespace.clone());
    let source = SourceInfo {
        kind: "files".into(),
        namespace,
        fullname,
        inputs: loaded.sources.iter().map(|(_, f)| f.name.clone()).collect(),
        ..SourceInfo::default()
    };
    Ok((items, to_json(&loaded.values.root), source))
}

/// The overlay `values-credentials.yaml`: today's credentials under the values paths that make
/// the chart render them again, skipping fields an existing Secret provides instead.
fn credentials_overlay(
    items: &[Item],
    fullname: Option<&str>,
    values: &Json,
) -> (Json, Vec<(String, String)>) {
    let live = |suffix: &str, key: &str| -> Option<String> {
        let name = format!("{}{suffix}", fullname?);
        let item = items.iter().find(|i| i.name == name)?;
        String::from_utf8(item.data.get(key)?.clone()).ok()
    };
    let set_in_values = |path: &str| {
        path.split('.')
            .try_fold(values, |v, k| v.get(k))
            .and_then(Json::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    let mut pinned: Vec<(String, String)> = Vec::new();
    let mut pin = |path: &str, value: Option<String>, unless: &[&str]| {
        if unless.iter().any(|p| set_in_values(p)) {
            return;
        }
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            pinned.push((path.to_string(), value));
        }
    };
    pin(
        "core.tokenKey",
        live("-core", "tls.key"),
        &["core.secretName"],
    );
    pin(
        "core.tokenCert",
        live("-core", "tls.crt"),
        &["core.secretName"],
    );
    pin(
        "secretKey",
        live("-core", "secretKey"),
        &["existingSecretSecretKey"],
    );
    pin(
        "core.secret",
        live("-core", "secret"),
        &["core.existingSecret"],
    );
    pin(
        "core.xsrfKey",
        live("-core", "CSRF_KEY"),
        &["core.existingXsrfSecret"],
    );
    pin(
        "jobservice.secret",
        live("-jobservice", "JOBSERVICE_SECRET"),
        &["jobservice.existingSecret"],
    );
    pin(
        "registry.secret",
        live("-registry", "REGISTRY_HTTP_SECRET"),
        &["registry.existingSecret"],
    );
    pin(
        "database.internal.password",
        live("-database", "POSTGRES_PASSWORD"),
        &[],
    );
    let mut overlay = Json::Object(Map::new());
    for (path, value) in &pinned {
        insert_path(&mut overlay, path, value);
    }
    (overlay, pinned)
}

/// Sets `a.b.c` in a JSON object, creating the maps on the way.
fn insert_path(node: &mut Json, path: &str, value: &str) {
    let Json::Object(map) = node else { return };
    match path.split_once('.') {
        None => {
            map.insert(path.to_string(), json!(value));
        }
        Some((head, rest)) => {
            let child = map.entry(head.to_string()).or_insert_with(|| json!({}));
            insert_path(child, rest, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `upgrade` prints the listing on stderr through the error gate: the sizes must survive it.
    #[test]
    fn pinned_lengths_survive_the_error_gate() {
        let credentials = [Credential {
            object: "values-credentials".into(),
            key: "database.internal.password".into(),
            sha256: "ab".repeat(32),
            bytes: 16,
        }];
        let text = summary(Path::new("bundle"), true, &[], &credentials);
        let shown = crate::redact::clean_message(&text);
        assert!(
            shown.contains("pinned database.internal.password (16 bytes, sha256:abababababab)"),
            "{shown}"
        );
    }
}
