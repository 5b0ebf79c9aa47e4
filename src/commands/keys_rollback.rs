//! `keys rollback`: undo a `keys reset` or `keys rotate` from its rollback file.
//!
//! While the values file is exactly what the edit left (its SHA-256 equals the recorded
//! "after"), the recorded reverse edits give the original back byte for byte, checked against
//! the recorded "before". A file changed since is refused; `--force` writes the old values into
//! it with the format-preserving editor instead.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{anyhow, bail, Context as _};

use super::keys_edit::{self, Planned, RollbackTarget};
use super::{print, Outcome};
use crate::cli::RollbackArgs;
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
    let file = keys_edit::read_values_file(Path::new(&meta.values_file))
        .with_context(|| format!("the values file named by {shown}"))?;
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

fn short(hex: &str) -> &str {
    hex.get(..12).unwrap_or(hex)
}
