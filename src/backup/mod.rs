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

pub use crypt::{decrypt, encrypt, is_age, tar, untar, Decryption, Encryption};
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

/// Why a backup cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
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
    #[error("manifest.json of {path} is not readable: {source}")]
    Manifest {
        /// The backup.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
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
    /// Encryption or decryption failed.
    #[error("{0}")]
    Crypt(String),
    /// A passphrase or identity file was refused by the bounded reader.
    #[error(transparent)]
    Input(#[from] crate::input::Error),
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
pub fn read(path: &Path, decryption: &Decryption) -> Result<Backup, Error> {
    let files = if path.is_dir() {
        fs::read_dir_files(path)?
    } else {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if !is_age(&bytes) {
            return Err(Error::Crypt(format!(
                "{} is neither a backup directory nor an age-encrypted backup",
                path.display()
            )));
        }
        let tar = decrypt(&bytes, decryption)?;
        crypt::untar(&tar).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?
    };
    verify(path, files)
}

fn verify(path: &Path, files: Files) -> Result<Backup, Error> {
    let manifest_bytes = files
        .get(MANIFEST)
        .ok_or_else(|| Error::NoManifest(path.to_path_buf()))?;
    let manifest: Manifest =
        serde_json::from_slice(manifest_bytes).map_err(|source| Error::Manifest {
            path: path.to_path_buf(),
            source,
        })?;
    if manifest.format_version != FORMAT_VERSION {
        return Err(Error::Format {
            path: path.to_path_buf(),
            found: manifest.format_version,
        });
    }
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
