//! Backup bundles: what a backup holds, its manifest, writing it (a 0700 directory of 0600
//! files, or one age-encrypted tar archive), reading it back, and checking every checksum.
//!
//! A bundle is a set of named files: `manifest.json`, `secrets.yaml` (the Secrets, ready for
//! `kubectl apply -f`), `release-values.yaml` and `values-credentials.yaml`. The manifest records
//! the SHA-256 of every other file and a fingerprint of every credential; reading refuses a
//! bundle whose files do not match it. Nothing here talks to the cluster.

mod crypt;
mod fs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crypt::{
    decrypt_stream, encrypt, is_age, tar, Decryption, Encryption, MAX_WORK_FACTOR, WORK_FACTOR,
};
pub use fs::{write_private_dir, write_private_file};

use crate::pki::sha256_hex;

/// Version of the bundle format; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

/// The files of a bundle, by name.
pub type Files = BTreeMap<String, Vec<u8>>;

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The tool that wrote it.
    pub tool: Tool,
    /// When, RFC 3339 UTC.
    pub created_at: String,
    /// Where the credentials were read.
    pub source: SourceInfo,
    /// SHA-256 of every other file.
    pub files: BTreeMap<String, FileDigest>,
    /// A fingerprint of every credential.
    pub credentials: Vec<Credential>,
}

/// The writing tool.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    /// `harbor-upgrade`.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl Tool {
    /// This tool.
    pub fn this() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Where the credentials came from.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    /// `cluster` or `files`.
    pub kind: String,
    /// The API server URL.
    pub server: Option<String>,
    /// The kubeconfig context.
    pub context: Option<String>,
    /// The namespace.
    pub namespace: Option<String>,
    /// The Helm release.
    pub release: Option<String>,
    /// `<fullname>` of the release.
    pub fullname: Option<String>,
    /// The deployed revision.
    pub revision: Option<u64>,
    /// The chart version.
    pub chart_version: Option<String>,
    /// The Harbor version (appVersion).
    pub harbor_version: Option<String>,
    /// The files read, offline.
    pub inputs: Vec<String>,
}

/// One file's checksum.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileDigest {
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: usize,
}

/// One credential's fingerprint (never its value).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    /// `secret/harbor-core` or `values`.
    pub object: String,
    /// The data key or values path.
    pub key: String,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: usize,
}

/// Names of the bundle's files.
pub const MANIFEST: &str = "manifest.json";
/// The Secrets, one YAML document each.
pub const SECRETS: &str = "secrets.yaml";
/// The release's user-supplied values (or the values files, offline).
pub const RELEASE_VALUES: &str = "release-values.yaml";
/// The overlay that pins today's credentials.
pub const VALUES_CREDENTIALS: &str = "values-credentials.yaml";

/// Adds `manifest.json` (with the checksum of every file present) to `files`.
pub fn seal(files: &mut Files, mut manifest: Manifest) -> Result<(), serde_json::Error> {
    manifest.files = files
        .iter()
        .filter(|(name, _)| name.as_str() != MANIFEST)
        .map(|(name, bytes)| {
            (
                name.clone(),
                FileDigest {
                    sha256: sha256_hex(bytes),
                    bytes: bytes.len(),
                },
            )
        })
        .collect();
    let mut json = serde_json::to_vec_pretty(&manifest)?;
    json.push(b'\n');
    files.insert(MANIFEST.into(), json);
    Ok(())
}

/// Why a backup cannot be used. Messages name the backup and the file or entry, never any of
/// its content (an encrypted bundle's content is decrypted bytes).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading failed.
    #[error("cannot read {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Writing failed; nothing is left behind.
    #[error("cannot write {path}; nothing written")]
    Write {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The target exists.
    #[error("{0} already exists: a backup never overwrites anything; choose another `--out`")]
    Exists(PathBuf),
    /// No manifest.
    #[error("{0} has no manifest.json: not a harbor-upgrade backup")]
    NoManifest(PathBuf),
    /// The manifest is not ours.
    #[error("manifest.json of {path} is not a backup manifest ({reason})")]
    Manifest {
        /// The backup.
        path: PathBuf,
        /// What is wrong, by position only.
        reason: String,
    },
    /// A newer format.
    #[error("{path} has backup format {found}; this version reads format {FORMAT_VERSION}")]
    Format {
        /// The backup.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// A file does not match the manifest.
    #[error("{path}: `{file}` {problem}: the backup was altered or damaged; refusing to use it")]
    Tampered {
        /// The backup.
        path: PathBuf,
        /// The file.
        file: String,
        /// What is wrong.
        problem: String,
    },
    /// An entry of the bundle is something other than a regular file its manifest lists.
    #[error("{path}: {entry} {problem}: a backup holds only the regular files its manifest.json lists; refusing it")]
    Entry {
        /// The backup.
        path: PathBuf,
        /// The entry's name, quoted and escaped ([`shown_name`]).
        entry: String,
        /// What is wrong.
        problem: String,
    },
    /// The decrypted content is not a bundle.
    #[error("{0}: the decrypted content is not a tar archive as `keys backup` writes it (damaged, or not a harbor-upgrade backup); refusing it")]
    NotABundle(PathBuf),
    /// Encryption or decryption failed.
    #[error("{0}")]
    Crypt(String),
    /// A passphrase or identity file, or a file of the bundle, was refused by the bounded
    /// reader.
    #[error(transparent)]
    Input(#[from] crate::input::Error),
}

/// An entry name as messages show it: in backticks, control characters escaped, at most 100
/// characters.
pub fn shown_name(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out: String = text
        .chars()
        .take(100)
        .flat_map(char::escape_default)
        .collect();
    if text.chars().count() > 100 {
        out.push('…');
    }
    format!("`{out}`")
}

/// A backup read and verified.
#[derive(Debug)]
pub struct Backup {
    /// Its manifest.
    pub manifest: Manifest,
    /// Its files, manifest included.
    pub files: Files,
}

/// Reads a backup directory, or an encrypted archive with `decryption`, and verifies every
/// checksum before anything else looks at it.
///
/// Every file goes through the bounded reader. Each entry must be a regular file that the
/// manifest lists, with the size it records (checked before the entry is read whenever the
/// manifest came first, as `keys backup` writes it); symlinks, hard links, devices, FIFOs,
/// directories inside the bundle, duplicates, files outside the bundle's directory and hidden
/// files are refused by name.
pub fn read(path: &Path, decryption: &Decryption) -> Result<Backup, Error> {
    let shown = path.display().to_string();
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        let (manifest, files) = fs::read_dir_bundle(path)?;
        return verify_digests(path, manifest, files);
    }
    let file = crate::input::open(path, &shown, crate::input::Kind::BackupArchive)?;
    let mut reader = std::io::BufReader::new(file);
    let head = std::io::BufRead::fill_buf(&mut reader).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !is_age(head) {
        return Err(Error::Crypt(format!(
            "{shown} is neither a backup directory nor an age-encrypted backup"
        )));
    }
    let plain = crypt::decrypt_stream(reader, decryption).map_err(|e| match e {
        Error::Crypt(why) => Error::Crypt(format!("{shown}: {why}")),
        other => other,
    })?;
    let (manifest, files) = crypt::untar_bundle(plain, path)?;
    verify_digests(path, manifest, files)
}

/// Parses `manifest.json` and checks its format version; errors say where, never what.
fn parse_manifest(path: &Path, bytes: &[u8]) -> Result<Manifest, Error> {
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "unexpected fields or values",
            serde_json::error::Category::Eof => "truncated JSON",
            _ => "invalid JSON",
        };
        Error::Manifest {
            path: path.to_path_buf(),
            reason: format!("{what} at line {} column {}", e.line(), e.column()),
        }
    })?;
    if manifest.format_version != FORMAT_VERSION {
        return Err(Error::Format {
            path: path.to_path_buf(),
            found: manifest.format_version,
        });
    }
    Ok(manifest)
}

/// The error for a file whose size is not the one the manifest records.
fn size_mismatch(path: &Path, name: &str, found: u64, digest: &FileDigest) -> Error {
    Error::Tampered {
        path: path.to_path_buf(),
        file: name.to_string(),
        problem: format!("is {found} bytes where manifest.json says {}", digest.bytes),
    }
}

#[cfg(test)]
fn verify(path: &Path, files: Files) -> Result<Backup, Error> {
    let manifest_bytes = files
        .get(MANIFEST)
        .ok_or_else(|| Error::NoManifest(path.to_path_buf()))?;
    let manifest = parse_manifest(path, manifest_bytes)?;
    verify_digests(path, manifest, files)
}

fn verify_digests(path: &Path, manifest: Manifest, files: Files) -> Result<Backup, Error> {
    let tampered = |file: &str, problem: &str| Error::Tampered {
        path: path.to_path_buf(),
        file: file.to_string(),
        problem: problem.to_string(),
    };
    for (name, digest) in &manifest.files {
        let Some(bytes) = files.get(name) else {
            return Err(tampered(name, "is missing"));
        };
        if bytes.len() != digest.bytes || sha256_hex(bytes) != digest.sha256 {
            return Err(tampered(
                name,
                "does not match its SHA-256 in manifest.json",
            ));
        }
    }
    if let Some(extra) = files
        .keys()
        .find(|f| f.as_str() != MANIFEST && !manifest.files.contains_key(*f))
    {
        return Err(tampered(extra, "is not listed in manifest.json"));
    }
    Ok(Backup { manifest, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Files {
        let mut files = Files::new();
        files.insert(SECRETS.into(), b"kind: Secret\n".to_vec());
        files.insert(RELEASE_VALUES.into(), b"{}\n".to_vec());
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            tool: Tool::this(),
            created_at: "2030-01-01T00:00:00Z".into(),
            source: SourceInfo::default(),
            files: BTreeMap::new(),
            credentials: Vec::new(),
        };
        seal(&mut files, manifest).unwrap();
        files
    }

    #[test]
    fn a_sealed_bundle_verifies_and_any_change_is_refused() {
        let path = Path::new("b");
        assert!(verify(path, sample()).is_ok());
        let mut changed = sample();
        changed.insert(SECRETS.into(), b"kind: Secret\n#".to_vec());
        assert!(matches!(verify(path, changed), Err(Error::Tampered { .. })));
        let mut missing = sample();
        missing.remove(RELEASE_VALUES);
        assert!(matches!(verify(path, missing), Err(Error::Tampered { .. })));
        let mut extra = sample();
        extra.insert("x".into(), Vec::new());
        assert!(matches!(verify(path, extra), Err(Error::Tampered { .. })));
    }
}
