//! Bounded reading of every input the tool takes from a file or from standard input.
//!
//! Every value, Secret, `--set-file`, passphrase, identity, rollback and chart file is read
//! here, so that no input can make the tool block or grow without bound:
//!
//! - each [`Kind`] of input has a documented size cap ([`Kind::limit`], listed in
//!   `docs/inputs.md`); a regular file larger than its cap is refused from its size before a
//!   byte is read, and standard input is read up to the same cap and no further;
//! - a path must name a regular file (symlinks to one are fine); a directory, FIFO, socket or
//!   device is refused by name from its metadata, without opening it, so a FIFO never blocks
//!   and `/dev/zero` is never read. The file is then opened without blocking and checked again,
//!   so a path swapped for a FIFO in between is refused too. Only `-` reads standard input;
//! - text inputs are refused as binary when a NUL byte appears in the first bytes (the rest is
//!   not read), and when the whole text is not UTF-8.
//!
//! Logs are the one input read as a stream: [`LineReader`] hands out one line at a time with a
//! per-line cap, truncating longer lines instead of growing, and works on standard input as it
//! arrives; [`LineSplitter`] cuts the same lines from chunks pushed to it (a pod log read from
//! the API).
//!
//! Errors ([`Error`]) name the input as the user gave it (or `<stdin>`) and the limit, never
//! any of its content. This module talks to nothing but the file system and standard input.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, BufRead, Read};
use std::path::Path;

/// The name standard input is shown as.
pub const STDIN_NAME: &str = "<stdin>";

/// How many leading bytes are looked at to tell binary data from text.
pub const SNIFF_BYTES: usize = 8 * 1024;

/// The longest log line kept whole by [`LineReader`]; longer lines are cut at this length.
pub const LOG_LINE_LIMIT: usize = 64 * 1024;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// What an input is: decides its size cap and how messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A values file (`-f`, positional, `--deployed-values`), or the values file `keys reset`,
    /// `rotate` and `rollback` edit.
    ValuesFile,
    /// A Secret manifest given with `--secret` (one Secret, a `List` or several documents).
    SecretManifest,
    /// The file of a `--set-file key=FILE` argument.
    SetFile,
    /// `--passphrase-file`.
    PassphraseFile,
    /// `--identity` (age identities or an SSH private key).
    IdentityFile,
    /// A rollback file written by `keys reset` or `keys rotate`.
    RollbackFile,
    /// The configuration file (`.harbor-upgrade.yaml`, `--config`).
    ConfigFile,
    /// A chart archive (`--chart harbor-x.y.z.tgz`), compressed.
    ChartArchive,
    /// `Chart.yaml` or `values.yaml` of a chart, in a directory or unpacked from an archive.
    ChartFile,
    /// A log file read whole (`diagnose --logs`); [`LineReader`] streams logs without a total cap.
    LogFile,
    /// An encrypted backup (`.tar.age`), read by `keys restore` and `keys diff`.
    BackupArchive,
    /// One file of a backup bundle (in its directory or its archive); besides the cap, each
    /// must have the size its manifest records.
    BackupEntry,
    /// A manifest stream (`--rendered`, `--deployed-manifests`): what `helm template`,
    /// `helm upgrade --dry-run` (text or `-o json`) or `helm get manifest` print, or live
    /// objects as `kubectl get -o yaml` prints them.
    ManifestStream,
}

impl Kind {
    /// The size cap in bytes.
    ///
    /// Helm stores a release, values included, in one `Secret` or `ConfigMap`, which the API server
    /// caps at 1 MiB (compressed); values and `--set-file` contents that do not fit could never
    /// be installed, so the caps below leave ample room for real files and none for abuse.
    pub const fn limit(self) -> u64 {
        match self {
            Kind::ValuesFile | Kind::RollbackFile | Kind::ChartFile => 16 * MIB,
            Kind::SecretManifest | Kind::BackupEntry | Kind::ManifestStream => 64 * MIB,
            Kind::SetFile | Kind::IdentityFile | Kind::ConfigFile => MIB,
            Kind::PassphraseFile => 64 * KIB,
            Kind::ChartArchive => 32 * MIB,
            Kind::LogFile => GIB,
            Kind::BackupArchive => 256 * MIB,
        }
    }

    /// Whether `-` (standard input) can stand for this input.
    pub const fn reads_stdin(self) -> bool {
        matches!(
            self,
            Kind::ValuesFile | Kind::SecretManifest | Kind::LogFile | Kind::ManifestStream
        )
    }

    /// What the input is, for messages (`values file`, `Secret manifest` …).
    pub const fn noun(self) -> &'static str {
        match self {
            Kind::ValuesFile => "values file",
            Kind::SecretManifest => "Secret manifest",
            Kind::SetFile => "`--set-file` file",
            Kind::PassphraseFile => "passphrase file",
            Kind::IdentityFile => "identity file",
            Kind::RollbackFile => "rollback file",
            Kind::ConfigFile => "configuration file",
            Kind::ChartArchive => "chart archive",
            Kind::ChartFile => "chart file",
            Kind::LogFile => "log file",
            Kind::BackupArchive => "backup archive",
            Kind::BackupEntry => "backup file",
            Kind::ManifestStream => "manifest stream",
        }
    }
}

/// A byte count as the limits are documented: `16 MiB`, `64 KiB`, `1 GiB`.
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
            if n >= unit && n.is_multiple_of(unit) {
                return write!(f, "{} {name}", n / unit);
            }
        }
        write!(f, "{n} bytes")
    }
}

/// Why an input was not read. Messages name the input and the limit, never its content.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read (missing, no permission …).
    #[error("cannot read {name}")]
    Io {
        /// The input as the user gave it.
        name: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The path names something other than a regular file.
    #[error("{name} is a {found}, not a {noun}: give a regular file{}", stdin_hint(*.kind))]
    NotAFile {
        /// The input as the user gave it.
        name: String,
        /// `directory`, `FIFO (named pipe)`, `socket`, `character device` …
        found: &'static str,
        /// What was expected.
        kind: Kind,
        /// What was expected ([`Kind::noun`]).
        noun: &'static str,
    },

    /// The input is larger than the cap of its kind.
    #[error("{name} is larger than {limit}, the limit for a {noun}")]
    TooLarge {
        /// The input as the user gave it.
        name: String,
        /// What it is ([`Kind::noun`]).
        noun: &'static str,
        /// The cap, as [`Size`] prints it.
        limit: String,
    },

    /// A text input holds binary data.
    #[error("{name} is not a text file ({why}): a {noun} must be UTF-8 text")]
    Binary {
        /// The input as the user gave it.
        name: String,
        /// `a NUL byte in its first 8 KiB`, `not valid UTF-8` …
        why: &'static str,
        /// What it is ([`Kind::noun`]).
        noun: &'static str,
    },
}

/// The tail of a "not a regular file" message: where standard input is an option, say so.
fn stdin_hint(kind: Kind) -> &'static str {
    if kind.reads_stdin() {
        ", or `-` for standard input"
    } else {
        ""
    }
}

impl Error {
    /// Whether the input could not be read at all (missing, no permission), rather than being
    /// refused for what it is.
    pub fn is_io(&self) -> bool {
        matches!(self, Error::Io { .. })
    }

    fn not_a_file(name: &str, found: &'static str, kind: Kind) -> Self {
        Error::NotAFile {
            name: name.to_string(),
            found,
            kind,
            noun: kind.noun(),
        }
    }

    /// The error for an input over the cap of `kind`.
    pub fn too_large(name: &str, kind: Kind) -> Self {
        Error::TooLarge {
            name: name.to_string(),
            noun: kind.noun(),
            limit: Size(kind.limit()).to_string(),
        }
    }

    fn io(name: &str) -> impl FnOnce(io::Error) -> Self + '_ {
        move |source| Error::Io {
            name: name.to_string(),
            source,
        }
    }
}

/// What a file type is called in messages; `None` for a regular file.
fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return Some("FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("socket");
        }
        if t.is_char_device() {
            return Some("character device");
        }
        if t.is_block_device() {
            return Some("block device");
        }
    }
    Some("special file")
}

/// Checks by name (following symlinks) that `path` is a regular file within the cap of `kind`,
/// without opening it.
pub fn check(path: &Path, name: &str, kind: Kind) -> Result<Metadata, Error> {
    let meta = check_type(path, name, kind)?;
    if meta.len() > kind.limit() {
        return Err(Error::too_large(name, kind));
    }
    Ok(meta)
}

/// [`check`] without the size cap.
fn check_type(path: &Path, name: &str, kind: Kind) -> Result<Metadata, Error> {
    let meta = std::fs::metadata(path).map_err(Error::io(name))?;
    if let Some(found) = not_regular(&meta) {
        return Err(Error::not_a_file(name, found, kind));
    }
    Ok(meta)
}

/// Opens a regular file for reading after [`check`]; the open never blocks, and the opened file
/// is checked again (a path swapped for a FIFO or a bigger file in between is refused).
///
/// The returned reader stops with an error past the cap, should the file grow while it is read.
pub fn open(path: &Path, name: &str, kind: Kind) -> Result<Limited<File>, Error> {
    check(path, name, kind)?;
    let file = open_regular(path, name, kind)?;
    let len = file.metadata().map_or(0, |m| m.len());
    if len > kind.limit() {
        return Err(Error::too_large(name, kind));
    }
    Ok(Limited::new(file, name, kind))
}

/// Opens a path that [`check_type`] accepts, without blocking, and checks the opened file
/// again: a path swapped for a FIFO or another file in between is refused. No size cap.
fn open_regular(path: &Path, name: &str, kind: Kind) -> Result<File, Error> {
    let before = check_type(path, name, kind)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // Opening a FIFO for reading waits for a writer unless non-blocking; on a regular file
        // the flag changes nothing.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(Error::io(name))?;
    let meta = file.metadata().map_err(Error::io(name))?;
    if let Some(found) = not_regular(&meta) {
        return Err(Error::not_a_file(name, found, kind));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if (meta.dev(), meta.ino()) != (before.dev(), before.ino()) {
            return Err(Error::Io {
                name: name.to_string(),
                source: io::Error::other("the file was replaced while it was opened"),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = before;
    Ok(file)
}

/// A reader that fails with [`Error::TooLarge`] (inside an [`io::Error`] of kind
/// `InvalidData`) once more than the cap of its kind has come through.
///
/// Wrap any stream whose size is not known in advance (standard input, a decompressor).
pub struct Limited<R> {
    inner: R,
    name: String,
    kind: Kind,
    left: u64,
}

impl<R: Read> Limited<R> {
    /// Caps `inner` at the limit of `kind`; `name` is how messages show it.
    pub fn new(inner: R, name: &str, kind: Kind) -> Self {
        Limited {
            inner,
            name: name.to_string(),
            kind,
            left: kind.limit(),
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte beyond the cap tells a stream of exactly the cap from a longer one.
        let want = usize::try_from(self.left.saturating_add(1))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.left = 0;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                Error::too_large(&self.name, self.kind),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The [`Error`] an I/O error from a [`Limited`] stream carries (also through a decoder or
/// archive reader that passes its inner errors on), or the I/O error itself.
pub fn carried(e: io::Error) -> Result<Error, io::Error> {
    if !e
        .get_ref()
        .is_some_and(<dyn std::error::Error + Send + Sync>::is::<Error>)
    {
        return Err(e);
    }
    let kind = e.kind();
    match e
        .into_inner()
        .map(<dyn std::error::Error + Send + Sync>::downcast::<Error>)
    {
        Some(Ok(err)) => Ok(*err),
        _ => Err(io::Error::from(kind)),
    }
}

/// Turns an error from reading a [`Limited`] stream back into the [`Error`] it carries.
fn from_read_error(name: &str, e: io::Error) -> Error {
    carried(e).unwrap_or_else(|source| Error::Io {
        name: name.to_string(),
        source,
    })
}

/// Reads all of a capped stream (`size_hint` bytes are reserved up front).
fn read_all<R: Read>(mut reader: Limited<R>, size_hint: u64) -> Result<Vec<u8>, Error> {
    let reserve = usize::try_from(size_hint.min(reader.kind.limit())).unwrap_or(0);
    let mut bytes = Vec::with_capacity(reserve);
    let name = reader.name.clone();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| from_read_error(&name, e))?;
    Ok(bytes)
}

/// Reads a capped stream as text: refused as binary as soon as a NUL byte shows up in the
/// first [`SNIFF_BYTES`] (the rest is never read), or when it is not UTF-8.
fn read_text_from<R: Read>(mut reader: Limited<R>, size_hint: u64) -> Result<String, Error> {
    let name = reader.name.clone();
    let kind = reader.kind;
    let binary = |why| Error::Binary {
        name: name.clone(),
        why,
        noun: kind.noun(),
    };
    let reserve = usize::try_from(size_hint.min(kind.limit())).unwrap_or(0);
    let mut bytes = Vec::with_capacity(reserve.max(SNIFF_BYTES));
    (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| from_read_error(&name, e))?;
    if bytes.contains(&0) {
        return Err(binary("a NUL byte in its first 8 KiB"));
    }
    if bytes.len() == SNIFF_BYTES {
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| from_read_error(&name, e))?;
    }
    if bytes[SNIFF_BYTES.min(bytes.len())..].contains(&0) {
        return Err(binary("a NUL byte"));
    }
    bytes.shrink_to_fit();
    String::from_utf8(bytes).map_err(|_| binary("not valid UTF-8"))
}

/// Reads a regular file whole, within the cap of `kind`; `name` is how messages show it.
pub fn read_bytes(path: &Path, name: &str, kind: Kind) -> Result<Vec<u8>, Error> {
    let file = open(path, name, kind)?;
    let len = file.inner.metadata().map_or(0, |m| m.len());
    read_all(file, len)
}

/// Reads a regular file as UTF-8 text, within the cap of `kind`.
pub fn read_text(path: &Path, name: &str, kind: Kind) -> Result<String, Error> {
    let file = open(path, name, kind)?;
    let len = file.inner.metadata().map_or(0, |m| m.len());
    read_text_from(file, len)
}

/// Reads standard input (or any stream given for it) as UTF-8 text, within the cap of `kind`;
/// messages call it `<stdin>`.
pub fn read_stdin_text(stdin: &mut dyn Read, kind: Kind) -> Result<String, Error> {
    read_text_from(Limited::new(stdin, STDIN_NAME, kind), 0)
}

/// Reads a path as the user gave it: `-` is `stdin` (shown as `<stdin>`), anything else a
/// regular file shown as given. Returns the name to show and the text.
pub fn read_text_arg(
    arg: &str,
    kind: Kind,
    stdin: &mut dyn Read,
) -> Result<(String, String), Error> {
    if arg == "-" {
        Ok((STDIN_NAME.to_string(), read_stdin_text(stdin, kind)?))
    } else {
        Ok((arg.to_string(), read_text(Path::new(arg), arg, kind)?))
    }
}

/// One line handed out by [`LineReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    /// 1-based line number.
    pub number: u64,
    /// Byte offset of the line's start in the stream.
    pub offset: u64,
    /// Length of the whole line in the stream, without its line break.
    pub len: u64,
    /// The line was longer than the cap: only its first bytes were kept.
    pub truncated: bool,
}

/// Reads a stream one line at a time with a per-line cap, in constant memory: a line longer
/// than the cap is cut (the rest is skipped up to the next line break, never stored), so an
/// endless line or an endless stream costs time, not memory. Works on standard input as data
/// arrives: each line is handed out as soon as its line break (or the end) is read.
///
/// Line breaks are `\n`; a `\r` before it is dropped. A last line without a break counts.
pub struct LineReader<R> {
    inner: R,
    max: usize,
    offset: u64,
    number: u64,
}

impl<R: BufRead> LineReader<R> {
    /// Lines of at most `max_line` bytes ([`LOG_LINE_LIMIT`] for logs).
    pub fn new(inner: R, max_line: usize) -> Self {
        LineReader {
            inner,
            max: max_line,
            offset: 0,
            number: 0,
        }
    }

    /// Total bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.offset
    }

    /// Reads the next line into `buf` (cleared first, at most `max_line` bytes, no line break);
    /// `None` at the end of the stream.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<LineInfo>> {
        buf.clear();
        let start = self.offset;
        let mut len: u64 = 0;
        let mut saw_any = false;
        let mut ended = false;
        let mut last = None;
        while !ended {
            let chunk = match self.inner.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            saw_any = true;
            let (piece, used) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    ended = true;
                    (&chunk[..i], i + 1)
                }
                None => (chunk, chunk.len()),
            };
            let room = self.max.saturating_sub(buf.len());
            buf.extend_from_slice(&piece[..piece.len().min(room)]);
            if let Some(&b) = piece.last() {
                last = Some(b);
            }
            len += piece.len() as u64;
            self.inner.consume(used);
            self.offset += used as u64;
        }
        if !saw_any {
            return Ok(None);
        }
        // A `\r` before the break is not part of the line.
        if ended && last == Some(b'\r') {
            if buf.len() as u64 == len {
                buf.pop();
            }
            len -= 1;
        }
        self.number += 1;
        Ok(Some(LineInfo {
            number: self.number,
            offset: start,
            len,
            truncated: len > buf.len() as u64,
        }))
    }
}

/// The lines of a stream that arrives in chunks (an HTTP body read asynchronously), cut like
/// [`LineReader`]'s: each chunk is [`fed`](LineSplitter::feed) as it comes, and every line it
/// completes is handed out at once; [`finish`](LineSplitter::finish) hands out a last line
/// without a break. Holds at most one line of at most `max_line` bytes.
pub struct LineSplitter {
    max: usize,
    buf: Vec<u8>,
    len: u64,
    start: u64,
    offset: u64,
    number: u64,
    last: Option<u8>,
    open: bool,
}

impl LineSplitter {
    /// Lines of at most `max_line` bytes ([`LOG_LINE_LIMIT`] for logs).
    pub fn new(max_line: usize) -> Self {
        LineSplitter {
            max: max_line,
            buf: Vec::new(),
            len: 0,
            start: 0,
            offset: 0,
            number: 0,
            last: None,
            open: false,
        }
    }

    /// Takes the next bytes of the stream; calls `on_line` for each line they end.
    pub fn feed(&mut self, mut chunk: &[u8], on_line: &mut impl FnMut(&[u8], LineInfo)) {
        while !chunk.is_empty() {
            self.open = true;
            let (piece, used, ended) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], i + 1, true),
                None => (chunk, chunk.len(), false),
            };
            let room = self.max.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&piece[..piece.len().min(room)]);
            if let Some(&b) = piece.last() {
                self.last = Some(b);
            }
            self.len += piece.len() as u64;
            self.offset += used as u64;
            chunk = &chunk[used..];
            if ended {
                self.emit(true, on_line);
            }
        }
    }

    /// Ends the stream: a last line without a break is handed out too.
    pub fn finish(mut self, on_line: &mut impl FnMut(&[u8], LineInfo)) {
        if self.open {
            self.emit(false, on_line);
        }
    }

    fn emit(&mut self, ended: bool, on_line: &mut impl FnMut(&[u8], LineInfo)) {
        // A `\r` before the break is not part of the line.
        if ended && self.last == Some(b'\r') {
            if self.buf.len() as u64 == self.len {
                self.buf.pop();
            }
            self.len -= 1;
        }
        self.number += 1;
        on_line(
            &self.buf,
            LineInfo {
                number: self.number,
                offset: self.start,
                len: self.len,
                truncated: self.len > self.buf.len() as u64,
            },
        );
        self.buf.clear();
        self.len = 0;
        self.last = None;
        self.start = self.offset;
        self.open = false;
    }
}

impl LineReader<io::BufReader<File>> {
    /// Streams the lines of a regular file (a directory, FIFO or device is refused as [`open`]
    /// refuses it), without a total size cap: only one line is held at a time.
    pub fn open(path: &Path, name: &str, max_line: usize) -> Result<Self, Error> {
        let file = open_regular(path, name, Kind::LogFile)?;
        Ok(LineReader::new(io::BufReader::new(file), max_line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn sizes_print_in_binary_units() {
        assert_eq!(Size(16 * MIB).to_string(), "16 MiB");
        assert_eq!(Size(64 * KIB).to_string(), "64 KiB");
        assert_eq!(Size(GIB).to_string(), "1 GiB");
        assert_eq!(Size(1000).to_string(), "1000 bytes");
    }

    #[test]
    fn reads_a_regular_file_as_text() {
        let d = dir();
        let p = d.path().join("v.yaml");
        std::fs::write(&p, "a: 1\n").unwrap();
        assert_eq!(read_text(&p, "v.yaml", Kind::ValuesFile).unwrap(), "a: 1\n");
        // Longer than the sniffed head: the rest is read too.
        let long = format!("a: {}\n", "x".repeat(3 * SNIFF_BYTES));
        std::fs::write(&p, &long).unwrap();
        assert_eq!(read_text(&p, "v.yaml", Kind::ValuesFile).unwrap(), long);
    }

    // A sparse file over the cap is refused from its size: nothing of it is read.
    #[test]
    fn oversize_file_is_refused_before_reading() {
        let d = dir();
        let p = d.path().join("big.yaml");
        let f = File::create(&p).unwrap();
        f.set_len(Kind::ValuesFile.limit() + 1).unwrap();
        let err = read_text(&p, "big.yaml", Kind::ValuesFile).unwrap_err();
        assert_eq!(
            err.to_string(),
            "big.yaml is larger than 16 MiB, the limit for a values file"
        );
        // Exactly at the cap is fine as far as size goes (it is all NULs, so binary).
        f.set_len(Kind::PassphraseFile.limit()).unwrap();
        let err = read_text(&p, "big.yaml", Kind::PassphraseFile).unwrap_err();
        assert!(matches!(err, Error::Binary { .. }), "{err}");
    }

    #[test]
    fn directories_and_missing_files_are_named() {
        let d = dir();
        let name = d.path().display().to_string();
        let err = read_text(d.path(), &name, Kind::ValuesFile).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{name} is a directory, not a values file: give a regular file, or `-` for standard input")
        );
        let missing = d.path().join("missing");
        let err = read_bytes(&missing, "missing", Kind::IdentityFile).unwrap_err();
        assert_eq!(err.to_string(), "cannot read missing");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_by_name() {
        for dev in ["/dev/zero", "/dev/null", "/dev/urandom"] {
            let path = Path::new(dev);
            if !path.exists() {
                continue;
            }
            let err = read_text(path, dev, Kind::SetFile).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "{dev} is a character device, not a `--set-file` file: give a regular file"
                )
            );
        }
    }

    // A FIFO with no writer would block a plain open forever; it is refused from its metadata.
    #[cfg(unix)]
    #[test]
    fn fifo_is_refused_without_blocking() {
        let d = dir();
        let p = d.path().join("fifo");
        match std::process::Command::new("mkfifo").arg(&p).status() {
            Ok(s) if s.success() => {}
            _ => {
                crate::test_skip("fifo_is_refused_without_blocking: `mkfifo` is not available");
                return;
            }
        }
        let err = read_text(&p, "fifo", Kind::ValuesFile).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("fifo is a FIFO (named pipe), not a values file"),
            "{err}"
        );
        assert!(LineReader::open(&p, "fifo", 10).is_err());
    }

    #[test]
    fn binary_is_detected_from_the_first_bytes() {
        // An endless stream of NULs is refused after its first bytes.
        let mut zeros = io::repeat(0);
        let err = read_stdin_text(&mut zeros, Kind::ValuesFile).unwrap_err();
        assert_eq!(
            err.to_string(),
            "<stdin> is not a text file (a NUL byte in its first 8 KiB): a values file must be UTF-8 text"
        );
        let mut latin1: &[u8] = b"a: caf\xe9\n";
        let err = read_stdin_text(&mut latin1, Kind::ValuesFile).unwrap_err();
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
        let mut late = vec![b'a'; SNIFF_BYTES + 10];
        late.push(0);
        let err = read_stdin_text(&mut late.as_slice(), Kind::ValuesFile).unwrap_err();
        assert!(err.to_string().contains("(a NUL byte)"), "{err}");
    }

    // An endless text stream on standard input stops at the cap instead of growing.
    #[test]
    fn endless_stdin_stops_at_the_cap() {
        let mut endless = io::repeat(b'a');
        let err = read_stdin_text(&mut endless, Kind::PassphraseFile).unwrap_err();
        assert_eq!(
            err.to_string(),
            "<stdin> is larger than 64 KiB, the limit for a passphrase file"
        );
        // Exactly the cap is accepted.
        let exact = vec![b'a'; usize::try_from(Kind::PassphraseFile.limit()).unwrap()];
        let text = read_stdin_text(&mut exact.as_slice(), Kind::PassphraseFile).unwrap();
        assert_eq!(text.len(), exact.len());
    }

    #[test]
    fn limited_reader_reports_the_limit_through_io() {
        let mut r = Limited::new(
            io::repeat(1),
            "chart.tgz (harbor/values.yaml)",
            Kind::ChartFile,
        );
        let mut sink = Vec::new();
        let e = r.read_to_end(&mut sink).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(sink.len() as u64, Kind::ChartFile.limit());
        let err = from_read_error("x", e);
        assert_eq!(
            err.to_string(),
            "chart.tgz (harbor/values.yaml) is larger than 16 MiB, the limit for a chart file"
        );
    }

    #[test]
    fn read_text_arg_takes_dash_as_stdin() {
        let (name, text) = read_text_arg("-", Kind::ValuesFile, &mut "a: 1\n".as_bytes()).unwrap();
        assert_eq!((name.as_str(), text.as_str()), ("<stdin>", "a: 1\n"));
    }

    fn lines(input: &[u8], max: usize) -> Vec<(String, LineInfo)> {
        let mut reader = LineReader::new(io::BufReader::with_capacity(7, input), max);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        while let Some(info) = reader.next_line(&mut buf).unwrap() {
            out.push((String::from_utf8(buf.clone()).unwrap(), info));
        }
        assert_eq!(reader.bytes_read(), input.len() as u64);
        out
    }

    #[test]
    fn line_reader_splits_lines_across_buffer_refills() {
        let got = lines(b"first line\r\nsecond\n\nlast without break", 100);
        let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, ["first line", "second", "", "last without break"]);
        let info: Vec<(u64, u64, u64, bool)> = got
            .iter()
            .map(|(_, i)| (i.number, i.offset, i.len, i.truncated))
            .collect();
        assert_eq!(
            info,
            [
                (1, 0, 10, false),
                (2, 12, 6, false),
                (3, 19, 0, false),
                (4, 20, 18, false)
            ]
        );
        assert!(lines(b"", 10).is_empty());
        assert_eq!(lines(b"\n", 10).len(), 1);
    }

    // Fed in chunks of every size, the splitter cuts the lines exactly as the reader does.
    #[test]
    fn line_splitter_agrees_with_the_reader() {
        let mut input = b"first line\r\nsecond\n\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 40));
        input.extend_from_slice(b"\r\nabc\r\nlast without break");
        for max in [3, 16, 100] {
            let want = lines(&input, max);
            for chunk in 1..input.len() {
                let mut got = Vec::new();
                let mut splitter = LineSplitter::new(max);
                let mut push = |b: &[u8], info: LineInfo| {
                    got.push((String::from_utf8(b.to_vec()).unwrap(), info));
                };
                for piece in input.chunks(chunk) {
                    splitter.feed(piece, &mut push);
                }
                splitter.finish(&mut push);
                assert_eq!(got, want, "max {max}, chunks of {chunk}");
            }
        }
    }

    // A line longer than the cap is cut, and the next line starts where it should.
    #[test]
    fn line_reader_truncates_long_lines() {
        let mut input = vec![b'x'; 1000];
        input.extend_from_slice(b"\nshort\n");
        let got = lines(&input, 16);
        assert_eq!(got[0].0, "x".repeat(16));
        assert_eq!(got[0].1.len, 1000);
        assert!(got[0].1.truncated);
        assert_eq!(got[1].0, "short");
        assert!(!got[1].1.truncated);
        assert_eq!(got[1].1.offset, 1001);
        // A `\r` before the break is dropped whether or not it fell inside the cap.
        for max in [3, 4, 10] {
            let got = lines(b"abc\r\n", max);
            assert_eq!(got[0].1.len, 3, "{max}");
            assert_eq!(got[0].0, "abc", "{max}");
            assert!(!got[0].1.truncated, "{max}");
        }
    }

    // An endless line costs time, never memory: the buffer stays at the cap.
    #[test]
    fn line_reader_holds_an_endless_line_in_constant_memory() {
        let endless = io::BufReader::new(io::repeat(b'y').take(8 * 1024 * 1024));
        let mut reader = LineReader::new(endless, 1024);
        let mut buf = Vec::new();
        let info = reader.next_line(&mut buf).unwrap().unwrap();
        assert_eq!(buf.len(), 1024);
        assert!(buf.capacity() < 64 * 1024, "{}", buf.capacity());
        assert_eq!(info.len, 8 * 1024 * 1024);
        assert!(reader.next_line(&mut buf).unwrap().is_none());
    }

    #[test]
    fn line_reader_on_a_file_has_no_total_cap() {
        let d = dir();
        let p = d.path().join("core.log");
        std::fs::write(&p, "a\nb\n").unwrap();
        let mut reader = LineReader::open(&p, "core.log", LOG_LINE_LIMIT).unwrap();
        let mut buf = Vec::new();
        let mut n = 0;
        while reader.next_line(&mut buf).unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 2);
        // Larger than the whole-file cap of a log (sparse): streamed, not refused.
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(Kind::LogFile.limit() + 1).unwrap();
        assert!(read_bytes(&p, "core.log", Kind::LogFile).is_err());
        let mut reader = LineReader::open(&p, "core.log", LOG_LINE_LIMIT).unwrap();
        reader.next_line(&mut buf).unwrap().unwrap();
        assert_eq!(buf, b"a");
    }
}
