//! `keys diff`: today's live credentials against a backup, by fingerprint, each change
//! classified: an expected rotation (token pair, inter-component secrets), a dangerous change
//! (`secretKey`, database password, a live token pair whose halves do not match: exit 1), or
//! unchanged. The token pair is judged as a unit: `tls.key` and `tls.crt` of one Secret.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use super::keys_restore::{backup_secrets, data_of, decryption};
use super::live::Live;
use super::{print, Outcome};
use crate::backup::{self, Backup};
use crate::cli::{DiffArgs, ListFormat};
use crate::pki::{fingerprint, pair_matches, parse_certificates, parse_private_key};

/// What a change of one credential means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Class {
    Unchanged,
    /// Harmless: the chart or Harbor re-issues it; pods restart, tokens are re-issued.
    Rotation,
    /// Worth knowing, nothing breaks.
    Changed,
    /// Breaks stored data or the database connection.
    Dangerous,
}

fn classify(key: &str) -> (Class, &'static str) {
    match key {
        "tls.key" | "tls.crt" => (Class::Rotation, "token pair rotated: tokens are re-issued"),
        "secret" | "CSRF_KEY" | "JOBSERVICE_SECRET" | "REGISTRY_HTTP_SECRET" | "REGISTRY_HTPASSWD" => {
            (Class::Rotation, "inter-component secret rotated: expected when the chart regenerates it")
        }
        "secretKey" => (
            Class::Dangerous,
            "`secretKey` changed: stored credentials (replication, OIDC, LDAP) decrypt to garbage; restore it from the backup",
        ),
        "POSTGRESQL_PASSWORD" | "POSTGRES_PASSWORD" | "password" => (
            Class::Dangerous,
            "database password changed: the database keeps the old one and core cannot connect",
        ),
        "HARBOR_ADMIN_PASSWORD" => (Class::Changed, "Harbor ignores it after the first start"),
        _ => (Class::Changed, "changed"),
    }
}

/// The verdict on the token pair of one Secret, backed up and live.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PairVerdict {
    class: Class,
    why: String,
}

/// Judges `tls.key` and `tls.crt` together when the live Secret holds both: a rotation only when
/// both changed and the live halves belong together; a live pair whose halves do not match is
/// dangerous whatever changed, because core signs tokens that its certificate cannot verify.
/// `None` when the live Secret lacks one of them (each key is then judged alone).
fn judge_pair(
    then: &BTreeMap<String, Vec<u8>>,
    now: &BTreeMap<String, Vec<u8>>,
) -> Option<PairVerdict> {
    let (key, cert) = (now.get("tls.key")?, now.get("tls.crt")?);
    let changed = |k: &str| then.get(k) != now.get(k);
    let (key_changed, cert_changed) = (changed("tls.key"), changed("tls.crt"));
    let parsed_key = parse_private_key(&String::from_utf8_lossy(key)).ok();
    let parsed_cert = parse_certificates(&String::from_utf8_lossy(cert)).ok();
    let what_changed = match (key_changed, cert_changed) {
        (true, true) => "both changed since the backup",
        (true, false) => "only `tls.key` changed since the backup",
        (false, true) => "only `tls.crt` changed since the backup",
        (false, false) => "neither changed since the backup",
    };
    let (class, why) = match (&parsed_key, &parsed_cert) {
        (Some(k), Some(c)) if pair_matches(k, &c.leaf) => match (key_changed, cert_changed) {
            (true, true) => (Class::Rotation, "token pair rotated: tokens are re-issued".to_string()),
            (false, false) => (Class::Unchanged, "unchanged".to_string()),
            (false, true) => (Class::Changed, "certificate re-issued for the same key: tokens stay valid".to_string()),
            (true, false) => (Class::Changed, "`tls.key` changed and now matches `tls.crt`, which did not match the backed-up key".to_string()),
        },
        (Some(_), Some(_)) => (Class::Dangerous, format!(
            "the live `tls.crt` was not made from the live `tls.key` ({what_changed}): tokens signed with the key fail verification against the certificate (`crypto/rsa: verification error`); restore both halves from the backup or write a fresh matching pair with `harbor-upgrade keys rotate`"
        )),
        (None, _) => (Class::Dangerous, format!(
            "the live `tls.key` is not a readable private key ({what_changed}): core cannot sign tokens; restore both halves from the backup"
        )),
        (_, None) => (Class::Dangerous, format!(
            "the live `tls.crt` is not a readable certificate ({what_changed}): restore both halves from the backup"
        )),
    };
    Some(PairVerdict { class, why })
}

/// One line of the comparison: a key of a backed-up Secret (or the whole Secret, gone).
#[derive(Debug)]
pub(super) struct Entry {
    /// The Secret.
    pub secret: String,
    /// The key; `None` when the whole Secret is gone.
    pub key: Option<String>,
    /// What the change means.
    pub class: Class,
    /// Fingerprint in the backup.
    pub before: Option<String>,
    /// Fingerprint today.
    pub after: Option<String>,
    /// Why it is classed so.
    pub why: String,
}

/// Compares and prints; exit 1 on a dangerous change.
pub fn run(args: &DiffArgs) -> anyhow::Result<Outcome> {
    let how = decryption(args.identity.as_deref(), args.passphrase_file.as_deref())?;
    let b = backup::read(&args.backup, &how)?;
    if let (Some(given), Some(backed)) = (&args.cluster.release, &b.manifest.source.release) {
        if given != backed {
            anyhow::bail!("the backup is of release `{backed}`, not `{given}`");
        }
    }
    let live = Live::open(&args.cluster, &args.secrets, &b)?;
    let entries = compare(&b, &live)?;
    let worst = entries
        .iter()
        .map(|e| e.class)
        .max()
        .unwrap_or(Class::Unchanged);
    let text = match args.output {
        ListFormat::Text => render_text(args, &b, &live, &entries, worst),
        ListFormat::Json => render_json(args, &b, &live, &entries, worst)?,
    };
    print(&text)?;
    Ok(if worst == Class::Dangerous {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// Every backed-up Secret and key against today's, classified (`verify` reuses it).
pub(super) fn compare(b: &Backup, live: &Live) -> anyhow::Result<Vec<Entry>> {
    let secrets = backup_secrets(b)?;
    let mut entries = Vec::new();
    for secret in &secrets {
        let name = secret.metadata.name.clone().unwrap_or_default();
        let then = data_of(secret);
        let Some(today) = live.get(&name)? else {
            let dangerous = then.keys().any(|k| classify(k).0 == Class::Dangerous);
            entries.push(Entry {
                secret: name,
                key: None,
                class: if dangerous {
                    Class::Dangerous
                } else {
                    Class::Changed
                },
                before: None,
                after: None,
                why: format!(
                    "gone from {}{}",
                    live.place(),
                    if dangerous {
                        "; it held `secretKey` or a database password: restore it with `harbor-upgrade keys restore`"
                    } else {
                        ""
                    }
                ),
            });
            continue;
        };
        let now = data_of(&today);
        let pair = judge_pair(&then, &now);
        for (key, old) in &then {
            let in_pair = key == "tls.key" || key == "tls.crt";
            let (class, why) = match (now.get(key), &pair) {
                (Some(_), Some(pair)) if in_pair => (pair.class, pair.why.as_str()),
                (Some(new), _) if new == old => (Class::Unchanged, "unchanged"),
                (Some(_), _) => classify(key),
                (None, _) => {
                    let (class, _) = classify(key);
                    (class.max(Class::Changed), "removed from the live Secret")
                }
            };
            entries.push(Entry {
                secret: name.clone(),
                key: Some(key.clone()),
                class,
                before: Some(fingerprint(old)),
                after: now.get(key).map(|new| fingerprint(new)),
                why: why.to_string(),
            });
        }
        for (key, new) in now.iter().filter(|(k, _)| !then.contains_key(*k)) {
            let (class, why) = match &pair {
                Some(pair)
                    if pair.class == Class::Dangerous && (key == "tls.key" || key == "tls.crt") =>
                {
                    (pair.class, pair.why.as_str())
                }
                _ => (Class::Changed, "added since the backup"),
            };
            entries.push(Entry {
                secret: name.clone(),
                key: Some(key.clone()),
                class,
                before: None,
                after: Some(fingerprint(new)),
                why: why.to_string(),
            });
        }
    }
    Ok(entries)
}

fn render_text(
    args: &DiffArgs,
    b: &Backup,
    live: &Live,
    entries: &[Entry],
    worst: Class,
) -> String {
    let mut out = format!(
        "{} (taken {}) against {}\n",
        args.backup.display(),
        b.manifest.created_at,
        live.describe()
    );
    for e in entries {
        let Some(key) = &e.key else {
            let _ = writeln!(out, "{} secret/{}: {}", label(e.class), e.secret, e.why);
            continue;
        };
        let _ = write!(out, "{} secret/{} {key}: ", label(e.class), e.secret);
        match (&e.before, &e.after) {
            (Some(old), Some(new)) if old != new => {
                let _ = writeln!(out, "{old} → {new}: {}", e.why);
            }
            (Some(fp), _) | (None, Some(fp)) => {
                let _ = writeln!(out, "{fp}: {}", e.why);
            }
            (None, None) => {
                let _ = writeln!(out, "{}", e.why);
            }
        }
    }
    let _ = writeln!(out, "\n{}", verdict(worst));
    out
}

fn render_json(
    args: &DiffArgs,
    b: &Backup,
    live: &Live,
    entries: &[Entry],
    worst: Class,
) -> anyhow::Result<String> {
    let entries: Vec<_> = entries
        .iter()
        .map(|e| {
            json!({
                "secret": e.secret,
                "key": e.key,
                "class": class_name(e.class),
                "before": e.before,
                "after": e.after,
                "why": e.why,
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "schemaVersion": crate::report::JSON_SCHEMA_VERSION,
        "backup": {
            "path": args.backup.display().to_string(),
            "createdAt": b.manifest.created_at,
            "release": b.manifest.source.release,
            "namespace": b.manifest.source.namespace,
        },
        "against": live.json(),
        "entries": entries,
        "verdict": class_name(worst),
        "dangerous": worst == Class::Dangerous,
    }))?;
    text.push('\n');
    Ok(text)
}

fn verdict(worst: Class) -> &'static str {
    match worst {
        Class::Dangerous => {
            "dangerous changes: restore the values above from the backup before the upgrade goes on"
        }
        Class::Changed => "changes, none dangerous",
        Class::Rotation => "only expected rotations",
        Class::Unchanged => "nothing changed",
    }
}

fn class_name(class: Class) -> &'static str {
    match class {
        Class::Unchanged => "unchanged",
        Class::Rotation => "rotation",
        Class::Changed => "changed",
        Class::Dangerous => "dangerous",
    }
}

fn label(class: Class) -> &'static str {
    match class {
        Class::Unchanged => "unchanged",
        Class::Rotation => "rotated  ",
        Class::Changed => "changed  ",
        Class::Dangerous => "DANGER   ",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Vec<u8> {
        let path = format!("{}/testdata/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(path).expect("test key")
    }

    fn pair(k: &str, c: &str) -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([("tls.key".into(), key(k)), ("tls.crt".into(), key(c))])
    }

    #[test]
    fn a_rotation_is_both_halves_changed_and_matching() {
        let then = pair("rsa2048.key", "rsa2048.crt");
        let v = judge_pair(&then, &pair("other-rsa2048.key", "other-rsa2048.crt")).unwrap();
        assert_eq!(v.class, Class::Rotation, "{}", v.why);
        let v = judge_pair(&then, &then).unwrap();
        assert_eq!(v.class, Class::Unchanged);
        // A renewed certificate of the same key is a change, not a rotation.
        let v = judge_pair(&then, &pair("rsa2048.key", "rsa2048-chain.crt")).unwrap();
        assert_eq!(v.class, Class::Changed, "{}", v.why);
    }

    #[test]
    fn a_live_pair_that_does_not_match_is_dangerous_whatever_changed() {
        let then = pair("rsa2048.key", "rsa2048.crt");
        // The seed's case: `tls.key` unchanged, `tls.crt` of another key.
        let v = judge_pair(&then, &pair("rsa2048.key", "other-rsa2048.crt")).unwrap();
        assert_eq!(v.class, Class::Dangerous);
        assert!(v.why.contains("only `tls.crt` changed"), "{}", v.why);
        assert!(
            v.why.contains("crypto/rsa: verification error"),
            "{}",
            v.why
        );
        // Both changed, to halves of different pairs.
        let v = judge_pair(&then, &pair("other-rsa2048.key", "rsa2048.crt")).unwrap();
        assert_eq!(v.class, Class::Dangerous);
        // Broken before the backup already: nothing changed, still dangerous.
        let broken = pair("rsa2048.key", "other-rsa2048.crt");
        assert_eq!(
            judge_pair(&broken, &broken).unwrap().class,
            Class::Dangerous
        );
        // Garbage in place of the key.
        let mut garbage = then.clone();
        garbage.insert("tls.key".into(), key("not-pem.txt"));
        assert_eq!(judge_pair(&then, &garbage).unwrap().class, Class::Dangerous);
    }

    #[test]
    fn a_secret_without_both_halves_is_not_judged_as_a_pair() {
        let mut only_key = pair("rsa2048.key", "rsa2048.crt");
        only_key.remove("tls.crt");
        assert!(judge_pair(&only_key, &only_key).is_none());
    }
}
