//! Writing files that hold secrets: new private files, atomic replacement of a values file,
//! and the clean-up of temporary files that a killed run left behind.
//!
//! Every write goes to a temporary file `.NAME.PID.N.tmp` in the destination's directory (PID
//! the writing process, N the try), is fsynced, and is then put in place in one step: a new
//! private file is hard-linked to its name (unlike `rename`, a link fails when the name exists,
//! even as a dangling symlink, so a file created meanwhile is never replaced); a replaced file
//! is renamed over. A crash leaves either the old state or the whole new file, and the directory
//! is fsynced so the new name survives a crash too.
//!
//! A process killed between creating the temporary file and putting it in place leaves it, with
//! whatever secrets it holds. The next run that writes the same name removes such leftovers:
//! a temporary name of that exact pattern whose PID is not alive, or whose file is older than
//! the process that now has that PID (the PID was reused). On systems without `/proc`, only
//! the first is judged.
//!
//! Replacing a file keeps its mode, owner (where permitted) and extended attributes (ACLs and
//! `SELinux` labels are stored as such); a file with more than one hard link is refused unless
//! the caller allows it, since the rename would leave the other names holding the old content.
//! The system calls go through `rustix`, whose safe wrappers this crate (which forbids
//! `unsafe`) needs. Messages name files as the caller shows them, never their content.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The temporary name of the `n`-th try of process `pid` to write `name`.
pub fn temp_name(name: &str, pid: u32, n: u32) -> String {
    format!(".{name}.{pid}.{n}.tmp")
}

/// `(NAME, PID)` of a temporary name `.NAME.PID.N.tmp` (PID and N decimal digits).
pub fn parse_temp_name(file_name: &str) -> Option<(&str, u32)> {
    let rest = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (rest, n) = rest.rsplit_once('.')?;
    let (name, pid) = rest.rsplit_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit());
    if name.is_empty() || !digits(n) || !digits(pid) {
        return None;
    }
    Some((name, pid.parse().ok()?))
}

/// Whether a temporary file written by process `pid`, last modified at `modified`, is left over
/// from a run that has ended.
fn is_stale(pid: u32, modified: SystemTime) -> bool {
    let Some(process) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return true;
    };
    match rustix::process::test_kill_process(process) {
        Err(rustix::io::Errno::SRCH) => true,
        // Alive (or alive and not ours to signal): stale only if the file predates it, by more
        // than the whole second that the boot time is given in.
        _ => process_start(pid).is_some_and(|start| modified + Duration::from_secs(2) < start),
    }
}

/// When process `pid` started, from `/proc` (boot time plus its start in clock ticks).
fn process_start(pid: u32) -> Option<SystemTime> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22, counting from the PID; the command name (field 2) may hold spaces and `)`.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let ticks: u64 = after_name.split_whitespace().nth(19)?.parse().ok()?;
    let boot = std::fs::read_to_string("/proc/stat").ok()?;
    let boot: u64 = boot
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let hz = rustix::param::clock_ticks_per_second().max(1);
    let since_boot =
        Duration::from_secs(ticks / hz) + Duration::from_millis(ticks % hz * 1000 / hz);
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(boot) + since_boot)
}

/// Removes from `dir` the temporary files and directories that ended runs left while writing a
/// name `wanted` accepts, and says so on standard error. Returns the paths removed.
pub fn remove_stale_temps(dir: &Path, wanted: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some((name, pid)) = file_name.to_str().and_then(parse_temp_name) else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = path.symlink_metadata() else {
            continue;
        };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if !wanted(name) || !is_stale(pid, modified) {
            continue;
        }
        let gone = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if gone.is_ok() {
            crate::note!(
                "note: removed {}, left by an interrupted run (process {pid})",
                path.display()
            );
            removed.push(path);
        }
    }
    removed
}

/// Creates a new file `.NAME.PID.N.tmp` in `dir` with mode 0600 (the first free N).
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, File)> {
    for n in 0..100 {
        let candidate = dir.join(temp_name(name, std::process::id(), n));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        match options.open(&candidate) {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "no free temporary name in {}",
        dir.display()
    )))
}

/// The file name of `path`, for temporary names.
fn base_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned())
}

/// Creates `path` with `bytes` and mode 0600; `ErrorKind::AlreadyExists` if the name is taken.
pub fn create_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent_dir(path);
    let name = base_name(path);
    remove_stale_temps(dir, &|n| n == name);
    let (tmp_path, mut file) = create_temp(dir, &name)?;
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

/// Creates the directory `.NAME.PID.N.tmp` next to `path`, mode 0700, removed on drop unless
/// [`TempDir::rename_into_place`] moved it to `path`.
pub struct TempDir {
    path: Option<PathBuf>,
    target: PathBuf,
}

impl TempDir {
    /// A new private temporary directory for `target`; stale ones that `wanted` accepts (by
    /// the name they were for) are removed first.
    pub fn new(target: &Path, wanted: &dyn Fn(&str) -> bool) -> std::io::Result<Self> {
        let dir = parent_dir(target);
        let name = base_name(target);
        remove_stale_temps(dir, &|n| n == name || wanted(n));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        for n in 0..100 {
            let candidate = dir.join(temp_name(&name, std::process::id(), n));
            match builder.create(&candidate) {
                Ok(()) => {
                    return Ok(TempDir {
                        path: Some(candidate),
                        target: target.to_path_buf(),
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(format!(
            "no free temporary name in {}",
            dir.display()
        )))
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(&self.target)
    }

    /// Fsyncs the directory and renames it to the target, never over an existing path
    /// (`ErrorKind::AlreadyExists`).
    pub fn rename_into_place(mut self) -> std::io::Result<()> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        sync_dir(&path);
        rename_no_replace(&path, &self.target)?;
        self.path = None;
        sync_dir(parent_dir(&self.target));
        Ok(())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

/// `rename` that fails with `AlreadyExists` instead of replacing the destination.
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // No such flag on this system or file system: check, then rename. A directory could only
    // be replaced if an empty one appeared in between.
    if to.symlink_metadata().is_ok() {
        return Err(std::io::ErrorKind::AlreadyExists.into());
    }
    std::fs::rename(from, to)
}

/// What a replacement keeps of the file it replaces.
#[derive(Debug, Clone, Copy)]
pub struct Keep {
    /// Permission bits.
    pub mode: u32,
    /// Owner and group, set where the process may.
    pub owner: (u32, u32),
    /// Replace a file with several hard links anyway (the other names keep the old content).
    pub break_links: bool,
}

/// Why a file could not be replaced; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    /// The file has other names.
    #[error("{name} has {links} hard links: replacing it would leave the other {} holding the old content and its secrets; nothing written; `--break-links` replaces this name only", others(*.links))]
    Linked {
        /// The file as the user named it.
        name: String,
        /// Its link count.
        links: u64,
    },
    /// The temporary file could not be made or written.
    #[error("cannot write a temporary file next to {name}; nothing written")]
    Temp {
        /// The file as the user named it.
        name: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An extended attribute could not be read or copied.
    #[error("cannot keep the extended attribute `{attr}` of {name}; nothing written")]
    Xattr {
        /// The file as the user named it.
        name: String,
        /// The attribute's name.
        attr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The final rename failed.
    #[error("cannot replace {name}; nothing written")]
    Rename {
        /// The file as the user named it.
        name: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

fn others(links: u64) -> String {
    match links.saturating_sub(1) {
        1 => "name".to_string(),
        n => format!("{n} names"),
    }
}

/// The link count of a file (1 where the system has no such notion).
fn link_count(meta: &std::fs::Metadata) -> u64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        meta.nlink()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        1
    }
}

/// A replacement written and synced next to its target, not yet in place; dropping it removes
/// the temporary file.
pub struct Prepared {
    temp: Option<PathBuf>,
    target: PathBuf,
    shown: String,
    keep: Keep,
    /// The target's link count when it was prepared.
    pub links: u64,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if let Some(path) = self.temp.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Writes `content` into a temporary file next to `target` (a regular file, symlinks already
/// resolved) with the mode, owner and extended attributes of `target`, and fsyncs it. Refuses a
/// target with several hard links unless `keep.break_links`. `shown` names the file in errors.
pub fn prepare_replace(
    target: &Path,
    shown: &str,
    content: &[u8],
    keep: Keep,
) -> Result<Prepared, ReplaceError> {
    let temp_err = |source| ReplaceError::Temp {
        name: shown.to_string(),
        source,
    };
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // A path swapped for a FIFO must not block the open.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let original = options.open(target).map_err(temp_err)?;
    if !original.metadata().map_err(temp_err)?.is_file() {
        return Err(temp_err(std::io::Error::other("not a regular file")));
    }
    let links = link_count(&original.metadata().map_err(temp_err)?);
    if links > 1 && !keep.break_links {
        return Err(ReplaceError::Linked {
            name: shown.to_string(),
            links,
        });
    }
    let dir = parent_dir(target);
    let name = base_name(target);
    remove_stale_temps(dir, &|n| n == name);
    let (temp, mut file) = create_temp(dir, &name).map_err(temp_err)?;
    let prepared = Prepared {
        temp: Some(temp),
        target: target.to_path_buf(),
        shown: shown.to_string(),
        keep,
        links,
    };
    file.write_all(content).map_err(temp_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Keep the owner where we may (root), then the mode, then the attributes (an ACL's
        // mask is set last, as it was).
        let _ = std::os::unix::fs::fchown(&file, Some(keep.owner.0), Some(keep.owner.1));
        file.set_permissions(std::fs::Permissions::from_mode(keep.mode))
            .map_err(temp_err)?;
    }
    copy_xattrs(&original, &file).map_err(|(attr, source)| ReplaceError::Xattr {
        name: shown.to_string(),
        attr,
        source,
    })?;
    file.sync_all().map_err(temp_err)?;
    drop(file);
    Ok(prepared)
}

impl Prepared {
    /// Renames the replacement over the target and fsyncs the directory; checks the link count
    /// again first.
    pub fn commit(mut self) -> Result<(), ReplaceError> {
        let Some(temp) = self.temp.clone() else {
            return Ok(());
        };
        if !self.keep.break_links {
            let links = std::fs::metadata(&self.target).map_or(1, |m| link_count(&m));
            if links > 1 {
                return Err(ReplaceError::Linked {
                    name: self.shown.clone(),
                    links,
                });
            }
        }
        std::fs::rename(&temp, &self.target).map_err(|source| ReplaceError::Rename {
            name: self.shown.clone(),
            source,
        })?;
        self.temp = None;
        sync_dir(parent_dir(&self.target));
        Ok(())
    }
}

/// Copies every extended attribute of `from` onto `to`. A file system without them has none to
/// copy. Errors carry the attribute's name.
fn copy_xattrs(from: &File, to: &File) -> Result<(), (String, std::io::Error)> {
    use rustix::io::Errno;
    let listing = |e: Errno| ("(list)".to_string(), std::io::Error::from(e));
    let size = match rustix::fs::flistxattr_query(from) {
        Ok(size) => size,
        Err(Errno::NOTSUP | Errno::NOSYS) => return Ok(()),
        Err(e) => return Err(listing(e)),
    };
    if size == 0 {
        return Ok(());
    }
    let mut names = vec![0u8; size];
    let n = rustix::fs::flistxattr(from, &mut names[..]).map_err(listing)?;
    names.truncate(n);
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let failed = |e: Errno| (String::from_utf8_lossy(name).into_owned(), e.into());
        let len = rustix::fs::fgetxattr_query(from, name).map_err(failed)?;
        let mut value = vec![0u8; len];
        let got = rustix::fs::fgetxattr(from, name, &mut value[..]).map_err(failed)?;
        value.truncate(got);
        rustix::fs::fsetxattr(to, name, &value, rustix::fs::XattrFlags::empty()).map_err(failed)?;
    }
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
    fn temporary_names_are_recognised_exactly() {
        assert_eq!(temp_name("v.yaml", 42, 0), ".v.yaml.42.0.tmp");
        assert_eq!(parse_temp_name(".v.yaml.42.0.tmp"), Some(("v.yaml", 42)));
        assert_eq!(parse_temp_name(".a.b.7.12.tmp"), Some(("a.b", 7)));
        for other in [
            "v.yaml.42.0.tmp",
            ".v.yaml.42.tmp",
            ".v.yaml.x.0.tmp",
            ".v.yaml.42.0x.tmp",
            ".v.yaml.+42.0.tmp",
            ".42.0.tmp",
            ".v.yaml.42.0.tmp~",
            ".v.yaml.99999999999.0.tmp",
        ] {
            assert_eq!(parse_temp_name(other), None, "{other}");
        }
    }

    // PID reuse: a live PID whose process started after the file was written is not its writer.
    #[test]
    fn a_temp_file_older_than_its_live_process_is_stale() {
        let me = std::process::id();
        assert!(!is_stale(me, SystemTime::now()));
        if process_start(me).is_none() {
            crate::test_skip("a_temp_file_older_than_its_live_process_is_stale: no /proc");
            return;
        }
        assert!(is_stale(
            me,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1)
        ));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        assert!(is_stale(dead, SystemTime::now()));
    }

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
