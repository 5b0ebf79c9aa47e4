//! `keys rotate`: write a fresh RSA token key (PKCS#1) and a self-signed certificate made from
//! it into `core.tokenKey` / `core.tokenCert`, with the masked diff, rollback file and atomic
//! write of `keys reset`.

use std::fmt::Write as _;

use anyhow::{anyhow, bail};

use super::keys_edit::{self, Planned, RollbackTarget};
use super::{print, Outcome};
use crate::cli::RotateArgs;
use crate::pki::{self, format_unix, generate_token_pair, TokenPairSpec};
use crate::values::edit::{edit_parsed, get, Change, DocPath};
use crate::values::Value;

/// Runs `keys rotate`.
pub fn run(args: &RotateArgs) -> anyhow::Result<Outcome> {
    let mut file = keys_edit::read_values_file(&args.values)?;
    file.break_links = args.break_links;
    let values_root = args.values_root.as_deref();
    let (docs, roots) = keys_edit::values_documents(&file, values_root)?;
    if roots.is_empty() {
        bail!(
            "{}: no Harbor values document to write into (the file is empty or holds only other objects)",
            file.shown
        );
    }
    if !args.dry_run {
        keys_edit::refuse_read_only(&file)?;
    }
    let now = now_unix();
    let spec = TokenPairSpec {
        bits: usize::try_from(args.bits).unwrap_or(usize::MAX),
        days: args.days,
        now,
    };
    let step = crate::progress::Step::spinner(format!("generating an RSA-{} key", spec.bits));
    let pair = generate_token_pair(spec, &mut rand_core::OsRng)?;
    drop(step);
    let mut changes = Vec::new();
    let mut old_values = Vec::new();
    for root in &roots {
        let values = docs.get(root.doc).and_then(|d| get(d, &root.prefix));
        if let Some(name) = values
            .and_then(|v| v.get_path("core.secretName"))
            .and_then(|n| n.as_str())
            .filter(|s| !s.is_empty())
        {
            crate::note!(
                "warning: `core.secretName` is set (Secret `{name}`): the chart reads the token pair from that Secret and ignores `core.tokenKey`/`core.tokenCert`; use `harbor-upgrade keys generate --secret-name {name}` to renew the Secret instead"
            );
        }
        for (field, pem) in [
            ("core.tokenKey", &pair.key_pem),
            ("core.tokenCert", &pair.cert_pem),
        ] {
            let old = values.and_then(|v| v.get_path(field));
            let old_value = match old.map(|n| &n.value) {
                Some(Value::Map(_) | Value::Seq(_)) => {
                    let span = old.and_then(|n| n.span);
                    let at = span
                        .map(|s| format!(":{}:{}", s.line, s.column))
                        .unwrap_or_default();
                    bail!(
                        "{}{at}: `{field}` is a {}, not a single value: fix it by hand",
                        file.shown,
                        old.map_or("map", |n| n.type_name())
                    );
                }
                Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => v.clone(),
                _ => Value::String(String::new()),
            };
            changes.push(Change {
                doc: root.doc,
                path: root.prefix.join(&DocPath::keys(field)),
                value: Value::String(pem.clone()),
            });
            let overlay_path = match values_root {
                Some(key) if root.prefix == DocPath::keys(key) => {
                    DocPath::keys(key).join(&DocPath::keys(field))
                }
                _ => DocPath::keys(field),
            };
            old_values.push((overlay_path, old_value));
        }
    }
    // One parse (above) for planning and masking, one of the result to verify it.
    let shown_before =
        keys_edit::display_text(&file.text, Some(&docs), values_root, args.show_secrets);
    let edited =
        edit_parsed(&file.text, docs, &changes).map_err(|e| anyhow!("{}: {e}", file.shown))?;
    let plan = Planned {
        command: "keys rotate",
        file: &file,
        new_text: edited.text,
        shown_before: Some(shown_before),
        new_docs: Some(edited.docs),
        values_root,
        rollback: RollbackTarget::from_flag(args.rollback_file.as_deref()),
        old_values,
        values_at: keys_edit::values_at(&roots, values_root),
        dry_run: args.dry_run,
        show_secrets: args.show_secrets,
    };
    let written = keys_edit::show_and_write(&plan)?;
    let out = summary(&pair, args.bits, args.dry_run, &written)?;
    print(&out)?;
    Ok(Outcome::Clean)
}

/// What was generated, by fingerprint and validity, then what was written.
fn summary(
    pair: &pki::TokenPair,
    bits: u32,
    dry_run: bool,
    written: &str,
) -> anyhow::Result<String> {
    let key = pki::parse_private_key(&pair.key_pem)?;
    let cert = pki::parse_certificates(&pair.cert_pem)?.leaf;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "new token key: RSA {}-bit, PKCS#1 (`RSA PRIVATE KEY`), public key sha256:{}",
        bits,
        key.spki_sha256().unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "new token certificate: {}, self-signed, valid {} to {}",
        cert.subject,
        format_unix(cert.not_before),
        format_unix(cert.not_after)
    );
    out.push_str(written);
    if !dry_run {
        out.push_str("next: `helm upgrade` with this file; core restarts and every issued token is re-issued with the new key\n");
    }
    Ok(out)
}

/// The current time in Unix seconds.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
