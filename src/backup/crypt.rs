//! age encryption of a bundle: the files in one tar archive, encrypted to age X25519 or SSH
//! recipients or to a passphrase (scrypt), so that `age -d … | tar x` also opens it.

use std::io::{Read, Write as _};
use std::path::Path;
use std::str::FromStr as _;

use age::secrecy::SecretString;

use super::{Error, Files};

/// How to encrypt.
pub enum Encryption {
    /// To these recipients (`age1…`, `ssh-ed25519 …`, `ssh-rsa …`).
    Recipients(Vec<String>),
    /// With this passphrase.
    Passphrase(SecretString),
}

/// How to decrypt.
pub enum Decryption {
    /// Not encrypted (a directory).
    None,
    /// With the identities in this file (age `AGE-SECRET-KEY-1…` lines, or an SSH private key).
    IdentityFile(std::path::PathBuf),
    /// With this passphrase.
    Passphrase(SecretString),
}

const AGE_MAGIC: &[u8] = b"age-encryption.org/v1";

/// Whether bytes are an age file (binary format; the armored form is not written here).
pub fn is_age(bytes: &[u8]) -> bool {
    bytes.starts_with(AGE_MAGIC)
}

/// The files as one tar archive (mode 0600 entries, fixed times, sorted names).
pub fn tar(files: &Files, dir_name: &str) -> std::io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o700);
    dir.set_size(0);
    dir.set_mtime(0);
    builder.append_data(&mut dir, format!("{dir_name}/"), std::io::empty())?;
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o600);
        header.set_size(bytes.len() as u64);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, format!("{dir_name}/{name}"), bytes.as_slice())?;
    }
    builder.into_inner()
}

/// The manifest and files of a decrypted bundle archive, read as a stream.
///
/// The archive holds one directory with the bundle's files. Each entry is judged from its
/// header before its content is read: only regular files directly inside that one directory,
/// not hidden, each once; once `manifest.json` has been read (`keys backup` writes it first)
/// every further file must be listed there with the size it records. Contents go through the
/// bounded reader. Errors name the entry, never quote content.
pub(super) fn untar_bundle<R: Read>(
    plain: R,
    path: &Path,
) -> Result<(super::Manifest, Files), Error> {
    let shown = path.display().to_string();
    let mut archive = tar::Archive::new(plain);
    let mut top: Option<String> = None;
    let mut manifest: Option<super::Manifest> = None;
    let mut files = Files::new();
    let mut seen = std::collections::BTreeSet::new();
    let entries = archive.entries().map_err(|e| stream_error(e, path))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| stream_error(e, path))?;
        let raw = entry.path_bytes().into_owned();
        let refuse = |problem: &str| Error::Entry {
            path: path.to_path_buf(),
            entry: format!("entry {}", super::shown_name(&raw)),
            problem: problem.to_string(),
        };
        let Ok(name) = std::str::from_utf8(&raw) else {
            return Err(refuse("has a name that is not UTF-8"));
        };
        let trimmed = name.trim_end_matches('/');
        let parts: Vec<&str> = trimmed.split('/').collect();
        if name.starts_with('/')
            || parts
                .iter()
                .any(|p| p.is_empty() || *p == "." || *p == "..")
        {
            return Err(refuse("is not a plain relative path"));
        }
        if !seen.insert(trimmed.to_string()) {
            return Err(refuse("appears twice"));
        }
        let Some((dir, base)) = place(entry.header().entry_type(), &parts, &mut top)
            .map_err(|problem| refuse(&problem))?
        else {
            continue;
        };
        let size = entry
            .header()
            .size()
            .map_err(|_| Error::NotABundle(path.to_path_buf()))?;
        if let Some(m) = &manifest {
            let Some(digest) = m.files.get(base) else {
                return Err(refuse("is not listed in manifest.json"));
            };
            if size != digest.bytes as u64 {
                return Err(super::size_mismatch(path, base, size, digest));
            }
        }
        let mut bytes = Vec::new();
        crate::input::Limited::new(
            &mut entry,
            &format!("{shown} ({trimmed})"),
            crate::input::Kind::BackupEntry,
        )
        .read_to_end(&mut bytes)
        .map_err(|e| stream_error(e, path))?;
        if base == super::MANIFEST {
            let m = super::parse_manifest(path, &bytes)?;
            // Files that came before the manifest are judged now.
            for (earlier, content) in &files {
                let Some(digest) = m.files.get(earlier) else {
                    return Err(Error::Entry {
                        path: path.to_path_buf(),
                        entry: format!(
                            "entry {}",
                            super::shown_name(format!("{dir}/{earlier}").as_bytes())
                        ),
                        problem: "is not listed in manifest.json".into(),
                    });
                };
                if content.len() != digest.bytes {
                    return Err(super::size_mismatch(
                        path,
                        earlier,
                        content.len() as u64,
                        digest,
                    ));
                }
            }
            manifest = Some(m);
        }
        files.insert(base.to_string(), bytes);
    }
    let Some(manifest) = manifest else {
        return Err(Error::NoManifest(path.to_path_buf()));
    };
    Ok((manifest, files))
}

/// Where an archive entry sits: `None` for the bundle's one directory, `(directory, file)` for
/// a regular file directly inside it; anything else is refused with the reason.
fn place<'n>(
    kind: tar::EntryType,
    parts: &[&'n str],
    top: &mut Option<String>,
) -> Result<Option<(&'n str, &'n str)>, String> {
    let problem = match kind {
        tar::EntryType::Regular | tar::EntryType::Continuous => None,
        tar::EntryType::Directory => {
            if parts.len() != 1 {
                return Err("is a directory inside the bundle".into());
            }
            if top.get_or_insert_with(|| parts[0].to_string()) != parts[0] {
                return Err("is a second top-level directory".into());
            }
            return Ok(None);
        }
        tar::EntryType::Symlink => Some("is a symbolic link".to_string()),
        tar::EntryType::Link => Some("is a hard link".to_string()),
        tar::EntryType::Char => Some("is a character device".to_string()),
        tar::EntryType::Block => Some("is a block device".to_string()),
        tar::EntryType::Fifo => Some("is a FIFO (named pipe)".to_string()),
        other => Some(format!(
            "is not a regular file (tar entry type `{}`)",
            char::from(other.as_byte()).escape_default()
        )),
    };
    if let Some(problem) = problem {
        return Err(problem);
    }
    let [dir, base] = parts[..] else {
        return Err(if parts.len() == 1 {
            "is a top-level file, outside the bundle's directory".into()
        } else {
            "is inside a directory of the bundle".into()
        });
    };
    if top.get_or_insert_with(|| dir.to_string()) != dir {
        return Err("is outside the bundle's directory".into());
    }
    if base.starts_with('.') {
        return Err("is a hidden file".into());
    }
    Ok(Some((dir, base)))
}

/// A read error inside the decrypted archive: the bounded reader's own error, or "not a
/// bundle" without the archive reader's message (which quotes header bytes, i.e. plaintext).
fn stream_error(e: std::io::Error, path: &Path) -> Error {
    match crate::input::carried(e) {
        Ok(limit) => Error::Input(limit),
        Err(_) => Error::NotABundle(path.to_path_buf()),
    }
}

/// The scrypt work factor (log2 of N) `keys backup --passphrase-file` encrypts with, fixed
/// like the age command line's: 256 MiB and about a second, on any machine.
pub const WORK_FACTOR: u8 = 18;

/// The largest scrypt work factor decryption accepts (1 GiB of memory); a larger one is
/// refused before any of the work is spent.
pub const MAX_WORK_FACTOR: u8 = 20;

/// Encrypts `plaintext`.
pub fn encrypt(plaintext: &[u8], how: &Encryption) -> Result<Vec<u8>, Error> {
    let encryptor = match how {
        Encryption::Passphrase(passphrase) => {
            let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
            recipient.set_work_factor(WORK_FACTOR);
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .map_err(|e| Error::Crypt(format!("cannot encrypt: {e}")))?
        }
        Encryption::Recipients(list) => {
            let mut recipients: Vec<Box<dyn age::Recipient>> = Vec::new();
            for text in list {
                let text = text.trim();
                if let Ok(r) = age::x25519::Recipient::from_str(text) {
                    recipients.push(Box::new(r));
                } else if let Ok(r) = age::ssh::Recipient::from_str(text) {
                    recipients.push(Box::new(r));
                } else {
                    return Err(Error::Crypt(format!(
                        "`{text}` is not an age recipient (`age1…`) or an SSH public key (`ssh-ed25519 …`, `ssh-rsa …`)"
                    )));
                }
            }
            age::Encryptor::with_recipients(
                recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient),
            )
            .map_err(|e| Error::Crypt(format!("cannot encrypt: {e}")))?
        }
    };
    let crypt = |e: std::io::Error| Error::Crypt(format!("cannot encrypt: {e}"));
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).map_err(crypt)?;
    writer.write_all(plaintext).map_err(crypt)?;
    writer.finish().map_err(crypt)?;
    Ok(out)
}

/// Decrypts an age file as a stream (each chunk is authenticated as it is read).
pub fn decrypt_stream<'a, R: Read + 'a>(
    ciphertext: R,
    how: &Decryption,
) -> Result<Box<dyn Read + 'a>, Error> {
    let decryptor = age::Decryptor::new(ciphertext)
        .map_err(|e| Error::Crypt(format!("not a readable age file: {e}")))?;
    let failed = |e: age::DecryptError| {
        match e {
        age::DecryptError::ExcessiveWork { required, .. } => Error::Crypt(format!(
            "the passphrase is stretched with scrypt work factor {required} (2^{required}, {} of memory), above {MAX_WORK_FACTOR}, the most this tool accepts: refusing to spend that work (`keys backup` uses {WORK_FACTOR}; re-encrypt it with a lower factor)",
            scrypt_memory(required)
        )),
        other => Error::Crypt(format!("cannot decrypt the backup: {other}")),
    }
    };
    let reader = match how {
        Decryption::None => {
            return Err(Error::Crypt(
                "the backup is encrypted: pass `--identity FILE` or `--passphrase-file FILE`"
                    .into(),
            ))
        }
        Decryption::Passphrase(passphrase) => {
            if !decryptor.is_scrypt() {
                return Err(Error::Crypt("the backup is encrypted to recipients, not a passphrase: pass `--identity FILE`".into()));
            }
            let mut identity = age::scrypt::Identity::new(passphrase.clone());
            identity.set_max_work_factor(MAX_WORK_FACTOR);
            decryptor
                .decrypt(std::iter::once(&identity as &dyn age::Identity))
                .map_err(failed)?
        }
        Decryption::IdentityFile(path) => {
            if decryptor.is_scrypt() {
                return Err(Error::Crypt(
                    "the backup is encrypted with a passphrase: pass `--passphrase-file FILE`"
                        .into(),
                ));
            }
            let identities = read_identities(path)?;
            decryptor
                .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
                .map_err(failed)?
        }
    };
    Ok(Box::new(reader))
}

/// scrypt's memory for work factor `log_n` (r = 8): 1 KiB × 2^`log_n`.
fn scrypt_memory(log_n: u8) -> String {
    crate::input::Size(1u64.checked_shl(u32::from(log_n) + 10).unwrap_or(u64::MAX)).to_string()
}

fn read_identities(path: &std::path::Path) -> Result<Vec<Box<dyn age::Identity>>, Error> {
    let shown = path.display().to_string();
    let bytes =
        crate::input::read_text(path, &shown, crate::input::Kind::IdentityFile)?.into_bytes();
    let unusable = || {
        Error::Crypt(format!(
            "{} holds no age identity (`AGE-SECRET-KEY-1…`) or unencrypted SSH private key",
            path.display()
        ))
    };
    if let Ok(file) = age::IdentityFile::from_buffer(bytes.as_slice()) {
        if let Ok(ids) = file.into_identities() {
            if !ids.is_empty() {
                return Ok(ids
                    .into_iter()
                    .map(|i| i as Box<dyn age::Identity>)
                    .collect());
            }
        }
    }
    match age::ssh::Identity::from_buffer(bytes.as_slice(), None) {
        Ok(identity @ age::ssh::Identity::Unencrypted(_)) => Ok(vec![Box::new(identity)]),
        _ => Err(unusable()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret as _;

    fn manifest_for(files: &Files) -> Vec<u8> {
        let mut sealed = files.clone();
        let manifest = super::super::Manifest {
            format_version: super::super::FORMAT_VERSION,
            tool: super::super::Tool::this(),
            created_at: "2030-01-01T00:00:00Z".into(),
            source: super::super::SourceInfo::default(),
            files: std::collections::BTreeMap::new(),
            credentials: Vec::new(),
        };
        super::super::seal(&mut sealed, manifest).unwrap();
        sealed[super::super::MANIFEST].clone()
    }

    // An archive written by hand need not put the manifest first: files before it are held
    // under the entry cap and judged once it is read.
    #[test]
    fn files_before_the_manifest_are_judged_when_it_comes() {
        let mut listed = Files::new();
        listed.insert("secrets.yaml".into(), b"kind: Secret\n".to_vec());
        let manifest = manifest_for(&listed);
        let archive = |entries: &[(&str, &[u8])]| {
            let mut b = tar::Builder::new(Vec::new());
            for (name, bytes) in entries {
                let mut h = tar::Header::new_gnu();
                h.set_mode(0o600);
                h.set_size(bytes.len() as u64);
                b.append_data(&mut h, format!("b/{name}"), *bytes).unwrap();
            }
            b.into_inner().unwrap()
        };
        let path = Path::new("x.tar.age");
        let good = archive(&[
            ("secrets.yaml", b"kind: Secret\n"),
            ("manifest.json", &manifest),
        ]);
        let (_, files) = untar_bundle(good.as_slice(), path).unwrap();
        assert_eq!(files.len(), 2);
        let unlisted = archive(&[("extra.yaml", b"a: 1\n"), ("manifest.json", &manifest)]);
        let err = untar_bundle(unlisted.as_slice(), path).unwrap_err();
        assert!(
            err.to_string().contains("`b/extra.yaml` is not listed"),
            "{err}"
        );
        let longer = archive(&[
            ("secrets.yaml", b"kind: Secret\n#\n"),
            ("manifest.json", &manifest),
        ]);
        let err = untar_bundle(longer.as_slice(), path).unwrap_err();
        assert!(
            err.to_string()
                .contains("is 15 bytes where manifest.json says 13"),
            "{err}"
        );
        let none = archive(&[("secrets.yaml", b"kind: Secret\n")]);
        assert!(matches!(
            untar_bundle(none.as_slice(), path),
            Err(Error::NoManifest(_))
        ));
    }

    #[test]
    fn recipient_round_trip() {
        let identity = age::x25519::Identity::generate();
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("key.txt");
        std::fs::write(
            &key,
            format!("# test\n{}\n", identity.to_string().expose_secret()),
        )
        .unwrap();
        let sealed = encrypt(
            b"hello",
            &Encryption::Recipients(vec![identity.to_public().to_string()]),
        )
        .unwrap();
        assert!(is_age(&sealed));
        let mut plain = Vec::new();
        decrypt_stream(sealed.as_slice(), &Decryption::IdentityFile(key))
            .unwrap()
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, b"hello");
        assert!(decrypt_stream(sealed.as_slice(), &Decryption::None).is_err());
        assert!(encrypt(b"x", &Encryption::Recipients(vec!["nope".into()])).is_err());
    }
}
