//! Private files: directories 0700, files 0600, written atomically (temporary file in the same
//! directory, fsync, rename), never over an existing path.

use std::path::Path;

use super::{Error, Files};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to a new file `path` with mode 0600, atomically; refuses an existing `path`.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    crate::fsio::create_private_file(path, bytes).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Exists(path.to_path_buf())
        } else {
            Error::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })
}

/// Creates `dir` with mode 0700 (refusing an existing one) and writes every file into it.
pub fn write_private_dir(dir: &Path, files: &Files) -> Result<(), Error> {
    if dir.symlink_metadata().is_ok() {
        return Err(Error::Exists(dir.to_path_buf()));
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Exists(dir.to_path_buf())
        } else {
            Error::Io {
                path: dir.to_path_buf(),
                source: e,
            }
        }
    })?;
    // The manifest last: a bundle without one is visibly incomplete.
    for (name, bytes) in files.iter().filter(|(n, _)| n.as_str() != super::MANIFEST) {
        write_private_file(&dir.join(name), bytes)?;
    }
    if let Some(manifest) = files.get(super::MANIFEST) {
        write_private_file(&dir.join(super::MANIFEST), manifest)?;
    }
    Ok(())
}

/// Reads every regular file of a backup directory (no subdirectories).
pub fn read_dir_files(dir: &Path) -> Result<Files, Error> {
    let mut files = Files::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        files.insert(name, bytes);
    }
    Ok(files)
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
        assert_eq!(read_dir_files(&dir).unwrap(), files);
    }
}
