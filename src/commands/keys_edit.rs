//! What `keys reset`, `keys rotate` and `keys rollback` share: reading the values file they
//! edit, the masked unified diff, rollback files, and the atomic write.
//!
//! Writing follows one order so that no step can lose data: the new content goes to a temporary
//! file in the values file's directory (same mode, fsynced); the rollback file is created (never
//! overwriting, mode 0600, fsynced); the values file is hashed again and, only if it is still
//! what was read, the temporary file is renamed over it and the directory fsynced. A symlinked
//! values file is edited at its target and the link stays.

use std::fmt::Write as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};

use crate::checks::fields::credential_field;
use crate::fsio::{create_private_file, parent_dir};
use crate::input::Kind;
use crate::pki::{fingerprint, parse_certificates, parse_private_key, sha256_hex};
use crate::redact::values::{is_secret_env_entry, secret_key_name, shape_is_secret};
use crate::report::mask::describe_secret;
use crate::values::edit::{apply_edits, values_roots, DocPath, Edit, Seg, ValuesRoot};
use crate::values::edit_rollback::{render_rollback, RollbackMeta};
use crate::values::{parse_documents, Node, ScalarStyle, SourceId, Value};

/// A values file read for editing.
#[derive(Debug)]
pub struct ValuesFile {
    /// The path as the user gave it, for messages.
    pub shown: String,
    /// The path as given, made absolute (a symlink stays a symlink).
    pub absolute: PathBuf,
    /// The file that is really written: the symlink's target, or the file itself.
    pub target: PathBuf,
    /// The text (a BOM, if any, kept).
    pub text: String,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    /// Permission bits.
    pub mode: u32,
    /// Owner and group, kept on the rewritten file where allowed.
    pub owner: (u32, u32),
    /// `--break-links`: replace the file even though other hard links share it.
    pub break_links: bool,
}

/// Reads a values file through the bounded reader; errors name it.
pub fn read_values_file(path: &Path) -> anyhow::Result<ValuesFile> {
    let shown = path.display().to_string();
    let io_err = |source| crate::values::Error::Io {
        path: shown.clone(),
        source,
    };
    // A directory or special file is refused by name before anything else touches it.
    crate::input::check(path, &shown, Kind::ValuesFile)?;
    let target = std::fs::canonicalize(path).map_err(io_err)?;
    let text = crate::input::read_text(&target, &shown, Kind::ValuesFile)?;
    let meta = std::fs::metadata(&target).map_err(io_err)?;
    let sha256 = sha256_hex(text.as_bytes());
    Ok(ValuesFile {
        absolute: std::path::absolute(path).map_err(io_err)?,
        shown,
        target,
        text,
        sha256,
        mode: meta.permissions().mode() & 0o7777,
        owner: (meta.uid(), meta.gid()),
        break_links: false,
    })
}

/// Refuses a file nobody may write: its mode says read-only, whoever we run as (root could
/// write it anyway, but the owner said no).
pub fn refuse_read_only(file: &ValuesFile) -> anyhow::Result<()> {
    if file.mode & 0o222 == 0 {
        bail!(
            "{} is read-only (mode {:04o}): nothing written; make it writable first if the edit is intended",
            file.shown,
            file.mode
        );
    }
    Ok(())
}

/// `values.yaml` → `values.rollback.yaml`, then `values.rollback.1.yaml` …: the first name
/// that does not exist yet, next to the values file as the user named it.
pub fn default_rollback_candidates(values: &Path) -> impl Iterator<Item = PathBuf> {
    let dir = values.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = values.file_stem().map_or_else(
        || "values".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let ext = values
        .extension()
        .map_or_else(|| "yaml".to_string(), |e| e.to_string_lossy().into_owned());
    (0..).map(move |n| {
        let name = if n == 0 {
            format!("{stem}.rollback.{ext}")
        } else {
            format!("{stem}.rollback.{n}.{ext}")
        };
        dir.join(name)
    })
}

/// Creates the rollback file: at `explicit` (refusing an existing file) or at the first free
/// default name. Returns the path written.
pub fn write_rollback_file(
    explicit: Option<&Path>,
    values: &Path,
    content: &str,
) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        create_private_file(path, named(content, path).as_bytes()).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                anyhow!(
                    "rollback file {} already exists: refusing to overwrite it; nothing written",
                    path.display()
                )
            } else {
                anyhow!(e).context(format!(
                    "cannot write rollback file {}; nothing written",
                    path.display()
                ))
            }
        })?;
        return Ok(path.to_path_buf());
    }
    for path in default_rollback_candidates(values).take(1000) {
        match create_private_file(&path, named(content, &path).as_bytes()) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(anyhow!(e).context(format!(
                    "cannot write rollback file {}; nothing written",
                    path.display()
                )))
            }
        }
    }
    bail!("no free rollback file name next to {}", values.display())
}

/// The rollback text with its header's `THIS_FILE` replaced by the path it is written to (only
/// in the header: the values below are left exactly as they are).
fn named(content: &str, path: &Path) -> String {
    let marker = "# harbor-upgrade-rollback:";
    match content.find(marker) {
        Some(at) => format!(
            "{}{}",
            content[..at].replace("THIS_FILE", &path.display().to_string()),
            &content[at..]
        ),
        None => content.to_string(),
    }
}

/// Replaces the values file atomically with `content` ([`crate::fsio::prepare_replace`]: mode,
/// owner and extended attributes kept; a hard-linked file refused unless `file.break_links`;
/// temporary files of killed runs removed).
///
/// `rollback` (path chooser and content) is written after the temporary file is ready and
/// before the rename; `before_rename` runs just before the final check (tests use it to change
/// the file under our feet). If the file changed since it was read, nothing is replaced and a
/// rollback file written by this call is removed again.
pub fn replace_values_file(
    file: &ValuesFile,
    content: &str,
    rollback: Option<(Option<&Path>, &str)>,
    before_rename: &dyn Fn(),
) -> anyhow::Result<Option<PathBuf>> {
    refuse_read_only(file)?;
    let keep = crate::fsio::Keep {
        mode: file.mode,
        owner: file.owner,
        break_links: file.break_links,
    };
    let prepared =
        crate::fsio::prepare_replace(&file.target, &file.shown, content.as_bytes(), keep)?;
    let rollback_path = match rollback {
        Some((explicit, text)) => Some(write_rollback_file(explicit, &file.absolute, text)?),
        None => None,
    };
    before_rename();
    let unchanged = crate::input::read_bytes(&file.target, &file.shown, Kind::ValuesFile)
        .is_ok_and(|bytes| sha256_hex(&bytes) == file.sha256);
    if !unchanged {
        if let Some(path) = &rollback_path {
            let _ = std::fs::remove_file(path);
        }
        bail!(
            "{} changed while this command ran: nothing written (run it again on the new content)",
            file.shown
        );
    }
    let links = prepared.links;
    prepared.commit().inspect_err(|_| {
        if let Some(path) = &rollback_path {
            let _ = std::fs::remove_file(path);
        }
    })?;
    if links > 1 {
        crate::note!(
            "warning: {} had {links} hard links: only this name holds the new content; the others keep the old one",
            file.shown
        );
    }
    Ok(rollback_path)
}

/// Builds the rollback file text for an edit of `file` into `new_text`.
pub fn rollback_text(
    command: &str,
    file: &ValuesFile,
    new_text: &str,
    values_root: Option<&str>,
    values_at: Option<&str>,
    old_values: &[(DocPath, Value)],
) -> String {
    let meta = RollbackMeta {
        command: command.to_string(),
        values_file: file.absolute.display().to_string(),
        sha256_before: file.sha256.clone(),
        sha256_after: sha256_hex(new_text.as_bytes()),
        time: now_rfc3339(),
        tool: format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        values_root: values_root.map(str::to_string),
        values_at: values_at.map(str::to_string),
        reverse: crate::values::edit::reverse_edits(&file.text, new_text),
    };
    render_rollback(&meta, old_values)
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A unified diff of two versions of a values file with every credential masked, unless
/// `show_secrets` (each text parsed here).
#[cfg(test)]
pub fn masked_diff(
    name: &str,
    before: &str,
    after: &str,
    what: &str,
    values_root: Option<&str>,
    show_secrets: bool,
) -> String {
    let a = display_text(before, None, values_root, show_secrets);
    let b = display_text(after, None, values_root, show_secrets);
    diff_shown(name, &a, &b, what)
}

/// The unified diff of two texts already made fit to show ([`display_text`]).
fn diff_shown(name: &str, before: &str, after: &str, what: &str) -> String {
    let diff = similar::TextDiff::from_lines(before, after);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("{name}\t(current)"), &format!("{name}\t({what})"))
        .to_string()
}

/// The text as the diff shows it: no BOM, `\n` line breaks, credentials replaced by a
/// description (one line per block). `docs` is the parse of `text` if the caller has it.
pub fn display_text(
    text: &str,
    docs: Option<&[Node]>,
    values_root: Option<&str>,
    show_secrets: bool,
) -> String {
    let shown = if show_secrets {
        text.to_string()
    } else {
        mask_text(text, docs, values_root)
    };
    let shown = shown.strip_prefix('\u{feff}').unwrap_or(&shown);
    shown.replace("\r\n", "\n")
}

fn mask_text(text: &str, docs: Option<&[Node]>, values_root: Option<&str>) -> String {
    let parsed;
    let docs = if let Some(docs) = docs {
        docs
    } else {
        let Ok(d) = parse_documents(SourceId(0), text) else {
            // Unparseable text is never shown: the caller validated it, this is a safety net.
            return format!("<redacted: {}>\n", describe_secret(text.as_bytes()));
        };
        parsed = d;
        &parsed
    };
    let roots = values_roots(docs, values_root).unwrap_or_default();
    let mut edits = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let prefix = roots.iter().find(|r| r.doc == i).map(|r| r.prefix.clone());
        let mut walker = Masker {
            text,
            prefix,
            edits: &mut edits,
        };
        walker.walk(doc, &mut Vec::new(), false);
    }
    edits.sort_by_key(|e: &Edit| e.range.start);
    edits.dedup_by_key(|e| e.range.start);
    apply_edits(text, &edits)
        .unwrap_or_else(|_| format!("<redacted: {}>\n", describe_secret(text.as_bytes())))
}

struct Masker<'a> {
    text: &'a str,
    prefix: Option<DocPath>,
    edits: &'a mut Vec<Edit>,
}

impl Masker<'_> {
    fn walk(&mut self, node: &Node, path: &mut Vec<Seg>, secret: bool) {
        match &node.value {
            Value::Map(entries) => {
                // `{name: DB_PASSWORD, value: …}`: the value is the secret the name says.
                let env = !secret && is_secret_env_entry(node);
                for entry in entries {
                    path.push(Seg::Key(entry.key.clone()));
                    let relative = self
                        .prefix
                        .as_ref()
                        .and_then(|p| DocPath(path.clone()).strip_prefix(p))
                        .map(|p| p.to_string());
                    let listed = relative.as_deref().and_then(credential_field).is_some();
                    let secret = secret
                        || listed
                        || (env && entry.key == "value")
                        || secret_key_name(&entry.key);
                    // Values reached through an alias or merge key are masked where they are
                    // written.
                    if entry
                        .key_span
                        .zip(entry.node.span)
                        .is_none_or(|(k, v)| v.start >= k.end)
                    {
                        self.walk(&entry.node, path, secret);
                    }
                    path.pop();
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    self.walk(item, path, secret);
                    path.pop();
                }
            }
            // A value shaped like a secret (`postgres://u:PW@db`) is masked wherever it is.
            Value::String(s) | Value::Number(s)
                if (secret && !s.is_empty()) || shape_is_secret(s) =>
            {
                if let Some(edit) = self.mask(node, s) {
                    self.edits.push(edit);
                }
            }
            _ => {}
        }
    }

    fn mask(&self, node: &Node, value: &str) -> Option<Edit> {
        let span = node.span?;
        let bytes = self.text.as_bytes();
        let label = describe(value);
        if matches!(node.style, Some(ScalarStyle::Literal | ScalarStyle::Folded)) {
            let mut header_end = span.start + 1;
            while header_end < span.end
                && matches!(bytes.get(header_end), Some(b'0'..=b'9' | b'+' | b'-'))
            {
                header_end += 1;
            }
            let eol = bytes[header_end..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |p| header_end + p);
            let eol = if eol > header_end && bytes[eol - 1] == b'\r' {
                eol - 1
            } else {
                eol
            };
            if span.end <= eol {
                return None;
            }
            let indent = self.text[eol..span.end]
                .split('\n')
                .skip(1)
                .find(|l| !l.trim().is_empty())
                .map_or(2, |l| l.len() - l.trim_start_matches(' ').len());
            return Some(Edit {
                range: eol..span.end,
                replacement: format!("\n{}{label}", " ".repeat(indent)),
            });
        }
        Some(Edit {
            range: span.start..span.end,
            replacement: label,
        })
    }
}

/// `<redacted: RSA private key, 27 lines, sha256:…>` or `<redacted: 16 bytes, sha256:…>`.
pub fn describe(value: &str) -> String {
    if !value.trim_end().contains('\n') {
        return format!("<redacted: {}>", describe_secret(value.as_bytes()));
    }
    let kind = if value.contains("-----BEGIN") {
        match parse_private_key(value) {
            Ok(info) if info.is_encrypted() => "encrypted private key".to_string(),
            Ok(info) => match info.algorithm {
                Some(algorithm) => format!("{algorithm} private key"),
                None => "private key".to_string(),
            },
            Err(_) if parse_certificates(value).is_ok() => "certificate".to_string(),
            Err(_) => "PEM text".to_string(),
        }
    } else {
        "text".to_string()
    };
    let lines = value.lines().count();
    format!(
        "<redacted: {kind}, {lines} lines, {}>",
        fingerprint(value.as_bytes())
    )
}

/// The Harbor values documents of a values file, parsed; errors name the file.
pub fn values_documents(
    file: &ValuesFile,
    values_root: Option<&str>,
) -> anyhow::Result<(Vec<Node>, Vec<ValuesRoot>)> {
    let docs = crate::values::parse_named(SourceId(0), &file.shown, &file.text)?;
    let roots = values_roots(&docs, values_root).map_err(|e| anyhow!("{}: {e}", file.shown))?;
    Ok((docs, roots))
}

/// Where the values sit in the file when that is not the document itself, for the rollback
/// header (`spec.values`); `None` for plain values or a `--values-root` (whose paths the
/// overlay keeps).
pub fn values_at(roots: &[ValuesRoot], values_root: Option<&str>) -> Option<String> {
    roots
        .iter()
        .find(|r| !r.prefix.0.is_empty() && values_root.is_none())
        .map(|r| r.prefix.to_string())
}

/// Where a command writes its rollback file.
#[derive(Debug, Clone, Copy)]
pub enum RollbackTarget<'a> {
    /// It writes none (`keys rollback` itself).
    Nowhere,
    /// `VALUES.rollback.yaml` next to the values file, or the first free numbered name.
    Default,
    /// `--rollback-file`: this path, never overwritten.
    At(&'a Path),
}

impl<'a> RollbackTarget<'a> {
    /// `--rollback-file` if given, else the default.
    pub fn from_flag(flag: Option<&'a Path>) -> Self {
        flag.map_or(RollbackTarget::Default, RollbackTarget::At)
    }
}

/// An edit of a values file, ready to show and write.
pub struct Planned<'a> {
    /// `keys reset`, `keys rotate`, `keys rollback`.
    pub command: &'static str,
    /// The file as read.
    pub file: &'a ValuesFile,
    /// The edited text (already verified by the editor).
    pub new_text: String,
    /// The file's text as the diff shows it ([`display_text`]), when the caller made it from
    /// the parse it already had; `None` to parse it here.
    pub shown_before: Option<String>,
    /// The parse of `new_text` (the editor's verification), when the caller has it.
    pub new_docs: Option<Vec<Node>>,
    /// `--values-root`.
    pub values_root: Option<&'a str>,
    /// The rollback file to write.
    pub rollback: RollbackTarget<'a>,
    /// Old values for the rollback overlay, paths as Helm sees them.
    pub old_values: Vec<(DocPath, Value)>,
    /// Where the values sit in the file (for the rollback header).
    pub values_at: Option<String>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--show-secrets`.
    pub show_secrets: bool,
}

/// Prints the masked diff, then (unless a dry run) writes the rollback file and the values
/// file. Returns the lines to print after the diff.
pub fn show_and_write(plan: &Planned<'_>) -> anyhow::Result<String> {
    let file = plan.file;
    let before = match &plan.shown_before {
        Some(shown) => std::borrow::Cow::Borrowed(shown.as_str()),
        None => display_text(&file.text, None, plan.values_root, plan.show_secrets).into(),
    };
    let after = display_text(
        &plan.new_text,
        plan.new_docs.as_deref(),
        plan.values_root,
        plan.show_secrets,
    );
    let diff = diff_shown(
        &file.shown,
        &before,
        &after,
        &format!("after `{}`", plan.command),
    );
    drop((before, after));
    super::print(&diff)?;
    if plan.dry_run {
        return Ok("dry run: nothing written\n".to_string());
    }
    let explicit = match plan.rollback {
        RollbackTarget::Nowhere => None,
        RollbackTarget::Default => Some(None),
        RollbackTarget::At(path) => Some(Some(path)),
    };
    let rollback_text = explicit.map(|explicit| {
        (
            explicit,
            rollback_text(
                plan.command,
                file,
                &plan.new_text,
                plan.values_root,
                plan.values_at.as_deref(),
                &plan.old_values,
            ),
        )
    });
    let written = replace_values_file(
        file,
        &plan.new_text,
        rollback_text.as_ref().map(|(p, t)| (*p, t.as_str())),
        &|| {},
    )?;
    let mut out = String::new();
    if let Some(path) = written {
        // `keys rollback` restores the file beside the rollback file unless told otherwise.
        let beside = std::fs::canonicalize(parent_dir(&path)).ok()
            == std::fs::canonicalize(parent_dir(&file.absolute)).ok();
        let values = if beside {
            String::new()
        } else {
            format!(" --values {}", file.absolute.display())
        };
        let _ = writeln!(
            out,
            "wrote rollback file {} (mode 0600, holds the old secrets): undo with `harbor-upgrade keys rollback {}{values}`",
            path.display(),
            path.display()
        );
    }
    let _ = writeln!(out, "updated {}", file.shown);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(content: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("values.yaml");
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    #[test]
    fn a_file_changed_before_the_rename_is_left_alone() {
        // Regression guard: a concurrent edit must win over ours, and no rollback file stays.
        let (dir, path) = scratch("core:\n  secret: abc\n");
        let file = read_values_file(&path).unwrap();
        let err = replace_values_file(
            &file,
            "core:\n  secret: \"\"\n",
            Some((None, "# rollback\n")),
            &|| std::fs::write(&path, "core:\n  secret: changed\n").unwrap(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("changed while"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "core:\n  secret: changed\n"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["values.yaml"]);
    }

    #[test]
    fn mode_is_kept_and_rollback_is_private() {
        let (dir, path) = scratch("core:\n  secret: abc\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let file = read_values_file(&path).unwrap();
        let written = replace_values_file(
            &file,
            "core:\n  secret: \"\"\n",
            Some((None, "{}\n")),
            &|| {},
        )
        .unwrap()
        .unwrap();
        assert_eq!(written, dir.path().join("values.rollback.yaml"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o640);
        assert_eq!(mode(&written), 0o600);
        // The next one gets the next free name.
        let file = read_values_file(&path).unwrap();
        let second = replace_values_file(&file, "core: {}\n", Some((None, "{}\n")), &|| {})
            .unwrap()
            .unwrap();
        assert_eq!(second, dir.path().join("values.rollback.1.yaml"));
    }

    #[test]
    fn read_only_files_are_refused_even_for_root() {
        let (_dir, path) = scratch("a: 1\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        let file = read_values_file(&path).unwrap();
        let err = replace_values_file(&file, "a: 2\n", None, &|| {}).unwrap_err();
        assert!(err.to_string().contains("read-only"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 1\n");
    }

    #[test]
    fn diff_context_lines_mask_secrets_outside_the_catalogue() {
        // Regression: context lines showed an `extraEnvVars` password, a `passphrase:` and a
        // `dsn` with `user:PW@`; the diff masks by the rule every output uses.
        let before = "core:\n  extraEnvVars:\n  - name: S3_PASSWORD\n    value: envCanary1\n  secret: abcdefghijklmnop\n  passphrase: phraseCanary2\n  dsn: postgres://u:dsnCanary3@db/x\n";
        let after = before.replace("abcdefghijklmnop", "");
        let diff = masked_diff("values.yaml", before, &after, "after", None, false);
        for canary in [
            "envCanary1",
            "phraseCanary2",
            "dsnCanary3",
            "abcdefghijklmnop",
        ] {
            assert!(!diff.contains(canary), "{canary} in {diff}");
        }
        assert!(diff.contains("name: S3_PASSWORD"), "{diff}");
        assert!(diff.contains("passphrase: <redacted"), "{diff}");
    }

    #[test]
    fn diff_masks_blocks_and_single_values() {
        let before = "core:\n  tokenKey: |\n    line1\n    line2\n  secret: abcdefghijklmnop # c\nother: 1\n";
        let after = "core:\n  tokenKey: \"\"\n  secret: \"\" # c\nother: 1\n";
        let diff = masked_diff("values.yaml", before, after, "after", None, false);
        assert!(diff.starts_with("--- values.yaml\t(current)\n+++ values.yaml\t(after)\n"));
        assert!(
            !diff.contains("line1") && !diff.contains("abcdefghijklmnop"),
            "{diff}"
        );
        assert!(
            diff.contains("-    <redacted: text, 2 lines, sha256:"),
            "{diff}"
        );
        assert!(
            diff.contains("-  secret: <redacted: 16 bytes, sha256:"),
            "{diff}"
        );
        assert!(diff.contains("+  secret: \"\" # c"), "{diff}");
        let shown = masked_diff("values.yaml", before, after, "after", None, true);
        assert!(shown.contains("-    line1"), "{shown}");
    }
}
