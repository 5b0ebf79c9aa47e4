//! Files that hold secrets: created with mode 0600, atomically, and never over an existing path.
//!
//! The bytes go to a temporary file in the same directory, are fsynced, and the file is then
//! hard-linked to its name: unlike `rename`, a link fails when the name exists (even as a dangling
//! symlink), so a file created meanwhile is never replaced, and a crash leaves either nothing or
//! the whole file. The directory is fsynced so the new name survives a crash too.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

/// Creates `path` with `bytes` and mode 0600; `ErrorKind::AlreadyExists` if the name is taken.
pub fn create_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let mut tmp = None;
    for n in 0..100 {
        let candidate = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        match options.open(&candidate) {
            Ok(file) => {
                tmp = Some((candidate, file));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    let Some((tmp_path, mut file)) = tmp else {
        return Err(std::io::Error::other(format!(
            "no free temporary name in {}",
            dir.display()
        )));
    };
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::hard_link(&tmp_path, path));
    drop(file);
    let _ = std::fs::remove_file(&tmp_path);
    result?;
    sync_dir(dir);
    Ok(())
}

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Fsyncs a directory so a new or renamed entry survives a crash; best effort, as some file
/// systems refuse it.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_0600_and_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.yaml");
        create_private_file(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let again = create_private_file(&path, b"second").unwrap_err();
        assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }
}
