//! Private files: directories 0700, files 0600, written atomically (a temporary file or
//! directory next to the target, fsync, then one link or rename), never over an existing path;
//! and reading a bundle directory back, entry by entry.

use std::path::Path;

use super::{Error, Files};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Temporary names of other backups in the same directory, whose leftovers a new backup
/// removes too (their names carry a time stamp, so no later run writes the same name).
fn other_backup(name: &str) -> bool {
    name.starts_with("harbor-backup-")
}

/// Writes `bytes` to a new file `path` with mode 0600, atomically; refuses an existing `path`.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    crate::fsio::remove_stale_temps(crate::fsio::parent_dir(path), &other_backup);
    crate::fsio::create_private_file(path, bytes).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Exists(path.to_path_buf())
        } else {
            Error::Write {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })
}

/// Creates `dir` with mode 0700 holding every file (mode 0600), atomically: the files are
/// written and synced in a temporary directory next to it, which is renamed to `dir` (never
/// over an existing path) only when complete. A failure removes the temporary directory; a
/// killed run's is removed by the next backup into the same directory.
pub fn write_private_dir(dir: &Path, files: &Files) -> Result<(), Error> {
    if dir.symlink_metadata().is_ok() {
        return Err(Error::Exists(dir.to_path_buf()));
    }
    let temp = crate::fsio::TempDir::new(dir, &other_backup).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    for (name, bytes) in files {
        let path = temp.path().join(name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let written = options.open(&path).and_then(|mut f| {
            std::io::Write::write_all(&mut f, bytes)?;
            f.sync_all()
        });
        written.map_err(|source| Error::Write {
            path: dir.join(name),
            source,
        })?;
    }
    temp.rename_into_place().map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Exists(dir.to_path_buf())
        } else {
            Error::Write {
                path: dir.to_path_buf(),
                source: e,
            }
        }
    })
}

/// What a directory entry is, when it is not a regular file with one name.
fn odd_entry(meta: &std::fs::Metadata) -> Option<String> {
    let t = meta.file_type();
    if t.is_symlink() {
        return Some("is a symbolic link".into());
    }
    if t.is_dir() {
        return Some("is a directory inside the bundle".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
        if t.is_fifo() {
            return Some("is a FIFO (named pipe)".into());
        }
        if t.is_socket() {
            return Some("is a socket".into());
        }
        if t.is_char_device() {
            return Some("is a character device".into());
        }
        if t.is_block_device() {
            return Some("is a block device".into());
        }
        if t.is_file() && meta.nlink() > 1 {
            return Some(format!(
                "has {} hard links (other names share its content)",
                meta.nlink()
            ));
        }
    }
    (!t.is_file()).then(|| "is not a regular file".into())
}

/// Reads a backup directory: every entry must be a regular file with one link, not hidden,
/// listed in `manifest.json` with the size it has; each is checked from its metadata before it
/// is read through the bounded reader.
pub fn read_dir_bundle(dir: &Path) -> Result<(super::Manifest, Files), Error> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let meta = path.symlink_metadata().map_err(io(&path))?;
        entries.push((entry.file_name(), path, meta));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let refuse = |name: &std::ffi::OsStr, problem: String| Error::Entry {
        path: dir.to_path_buf(),
        entry: super::shown_name(name.as_encoded_bytes()),
        problem,
    };
    let mut named = Vec::new();
    for (name, path, meta) in &entries {
        let Some(text) = name.to_str() else {
            return Err(refuse(name, "has a name that is not UTF-8".into()));
        };
        if text.starts_with('.') {
            return Err(refuse(name, "is a hidden file".into()));
        }
        if let Some(problem) = odd_entry(meta) {
            return Err(refuse(name, problem));
        }
        named.push((text, path, meta.len()));
    }
    let Some((_, manifest_path, _)) = named.iter().find(|(n, _, _)| *n == super::MANIFEST) else {
        return Err(Error::NoManifest(dir.to_path_buf()));
    };
    let read = |name: &str, path: &Path| {
        let shown = format!("{} ({name})", dir.display());
        crate::input::read_bytes(path, &shown, crate::input::Kind::BackupEntry)
    };
    let manifest_bytes = read(super::MANIFEST, manifest_path)?;
    let manifest = super::parse_manifest(dir, &manifest_bytes)?;
    let mut files = Files::new();
    for (name, path, len) in &named {
        if *name == super::MANIFEST {
            continue;
        }
        let Some(digest) = manifest.files.get(*name) else {
            return Err(refuse(
                std::ffi::OsStr::new(name),
                "is not listed in manifest.json".into(),
            ));
        };
        if *len != digest.bytes as u64 {
            return Err(super::size_mismatch(dir, name, *len, digest));
        }
        files.insert((*name).to_string(), read(name, path)?);
    }
    files.insert(super::MANIFEST.into(), manifest_bytes);
    Ok((manifest, files))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn private_modes_and_no_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("b");
        let mut files = Files::new();
        files.insert("a.yaml".into(), b"x".to_vec());
        write_private_dir(&dir, &files).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("a.yaml")), 0o600);
        assert!(matches!(
            write_private_dir(&dir, &files),
            Err(Error::Exists(_))
        ));
        assert!(matches!(
            write_private_file(&dir.join("a.yaml"), b"y"),
            Err(Error::Exists(_))
        ));
        assert_eq!(std::fs::read(dir.join("a.yaml")).unwrap(), b"x");
    }
}
