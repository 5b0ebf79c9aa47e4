//! `keys rollback`: undo a `keys reset` or `keys rotate` from its rollback file.
//!
//! It restores only the values file beside the rollback file that the header names, or the one
//! given with `--values`, and prints which before anything else.
//!
//! While the values file is exactly what the edit left (its SHA-256 equals the recorded
//! "after"), the recorded reverse edits give the original back byte for byte, checked against
//! the recorded "before". A file changed since is refused; `--force` writes the old values into
//! it with the format-preserving editor instead.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};

use super::keys_edit::{self, Planned, RollbackTarget};
use super::{print, Outcome};
use crate::cli::RollbackArgs;
use crate::fsio::parent_dir;
use crate::pki::sha256_hex;
use crate::values::edit::{apply_edits, edit_parsed, Change, DocPath};
use crate::values::edit_rollback::parse_rollback;

/// Runs `keys rollback`.
pub fn run(args: &RollbackArgs) -> anyhow::Result<Outcome> {
    let shown = args.rollback_file.display().to_string();
    let text = crate::input::read_text(
        &args.rollback_file,
        &shown,
        crate::input::Kind::RollbackFile,
    )?;
    let rollback = parse_rollback(&text).map_err(|e| anyhow!("{shown}: {e}"))?;
    let meta = &rollback.meta;
    let file = open_target(args, &meta.values_file, &shown)?;
    if file.sha256 == meta.sha256_before {
        print(&format!(
            "{} already has the content from before `{}`: nothing to do\n",
            file.shown, meta.command
        ))?;
        return Ok(Outcome::Clean);
    }
    let values_root = meta.values_root.as_deref();
    let (new_text, shown_before, new_docs) = if file.sha256 == meta.sha256_after {
        let restored = apply_edits(&file.text, &meta.reverse)
            .map_err(|e| anyhow!("{shown}: the recorded edits do not fit {}: {e}", file.shown))?;
        if sha256_hex(restored.as_bytes()) != meta.sha256_before {
            bail!(
                "{shown}: the recorded edits do not reproduce the original {} (SHA-256 differs): nothing written",
                file.shown
            );
        }
        (restored, None, None)
    } else if args.force {
        let (docs, roots) = keys_edit::values_documents(&file, values_root)?;
        if roots.is_empty() {
            bail!("{}: no Harbor values document to restore into", file.shown);
        }
        let prefix = values_root.map(DocPath::keys).unwrap_or_default();
        let mut changes = Vec::new();
        for root in &roots {
            for (path, value) in &rollback.values {
                let relative = if root.prefix == prefix {
                    path.strip_prefix(&prefix)
                } else {
                    Some(path.clone())
                };
                let Some(relative) = relative else {
                    continue;
                };
                changes.push(Change {
                    doc: root.doc,
                    path: root.prefix.join(&relative),
                    value: value.clone(),
                });
            }
        }
        if changes.is_empty() {
            print(&format!(
                "{shown} holds no values to restore: nothing to do\n"
            ))?;
            return Ok(Outcome::Clean);
        }
        // One parse (above) for planning and masking, one of the result to verify it.
        let shown =
            keys_edit::display_text(&file.text, Some(&docs), values_root, args.show_secrets);
        let edited =
            edit_parsed(&file.text, docs, &changes).map_err(|e| anyhow!("{}: {e}", file.shown))?;
        (edited.text, Some(shown), Some(edited.docs))
    } else {
        bail!(
            "{} changed since `{}` wrote {shown} (SHA-256 {} instead of {}): refusing to restore over newer edits; `--force` writes the old values into the changed file instead",
            file.shown,
            meta.command,
            short(&file.sha256),
            short(&meta.sha256_after)
        );
    };
    let plan = Planned {
        command: "keys rollback",
        file: &file,
        new_text,
        shown_before,
        new_docs,
        values_root,
        rollback: RollbackTarget::Nowhere,
        old_values: Vec::new(),
        values_at: None,
        dry_run: args.dry_run,
        show_secrets: args.show_secrets,
    };
    let mut out = keys_edit::show_and_write(&plan)?;
    if !args.dry_run {
        let _ = writeln!(
            out,
            "restored the values from {shown}; delete it once it is no longer needed (it holds secrets)"
        );
    }
    print(&out)?;
    Ok(Outcome::Clean)
}

/// Chooses the values file to restore, says which, and reads it.
fn open_target(
    args: &RollbackArgs,
    recorded: &str,
    shown: &str,
) -> anyhow::Result<keys_edit::ValuesFile> {
    let target = target(args, recorded, shown)?;
    print(&format!(
        "{} {} from {shown}\n",
        if args.dry_run {
            "would restore"
        } else {
            "restoring"
        },
        std::path::absolute(&target)
            .unwrap_or_else(|_| target.clone())
            .display()
    ))?;
    let mut file = keys_edit::read_values_file(&target).with_context(|| {
        if args.values.is_some() {
            "the values file given with `--values`".to_string()
        } else {
            format!("the values file beside {shown}")
        }
    })?;
    file.break_links = args.break_links;
    Ok(file)
}

/// The values file to restore: `--values`, else the file beside the rollback file that its
/// header names. A header naming a file in another directory is refused: a crafted rollback
/// file must not rewrite any file whose SHA-256 it knows.
fn target(args: &RollbackArgs, recorded: &str, shown: &str) -> anyhow::Result<PathBuf> {
    let recorded_path = Path::new(recorded);
    let quoted = recorded.escape_debug().to_string();
    if let Some(values) = &args.values {
        let same = std::fs::canonicalize(values)
            .ok()
            .zip(std::fs::canonicalize(recorded_path).ok())
            .is_some_and(|(a, b)| a == b);
        if !same {
            crate::note!(
                "note: {shown} was written for `{quoted}`; restoring into {} as `--values` says",
                values.display()
            );
        }
        return Ok(values.clone());
    }
    let name = recorded_path
        .file_name()
        .filter(|_| recorded_path.is_absolute())
        .ok_or_else(|| {
            anyhow!("{shown}: its header names `{quoted}`, not an absolute path of a values file; name the file to restore with `--values FILE`")
        })?;
    let dir = parent_dir(&args.rollback_file);
    let beside = recorded_path
        .parent()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .zip(std::fs::canonicalize(dir).ok())
        .is_some_and(|(a, b)| a == b);
    if !beside {
        bail!(
            "{shown} names `{quoted}`, which is not beside it: a rollback file restores only the values file in its own directory; nothing written; name the file to restore with `--values FILE`"
        );
    }
    Ok(dir.join(name))
}

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}
