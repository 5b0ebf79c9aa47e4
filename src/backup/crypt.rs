//! age encryption of a bundle: the files in one tar archive, encrypted to age X25519 or SSH
//! recipients or to a passphrase (scrypt), so that `age -d … | tar x` also opens it.

use std::io::{Read as _, Write as _};
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

/// The regular files of a tar archive, by base name.
pub fn untar(bytes: &[u8]) -> std::io::Result<Files> {
    let mut archive = tar::Archive::new(bytes);
    let mut files = Files::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = entry.path()?.into_owned();
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        files.insert(name, content);
    }
    Ok(files)
}

/// Encrypts `plaintext`.
pub fn encrypt(plaintext: &[u8], how: &Encryption) -> Result<Vec<u8>, Error> {
    let encryptor = match how {
        Encryption::Passphrase(passphrase) => {
            age::Encryptor::with_user_passphrase(passphrase.clone())
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

/// Decrypts an age file.
pub fn decrypt(ciphertext: &[u8], how: &Decryption) -> Result<Vec<u8>, Error> {
    let decryptor = age::Decryptor::new(ciphertext)
        .map_err(|e| Error::Crypt(format!("not a readable age file: {e}")))?;
    let failed = |e: age::DecryptError| Error::Crypt(format!("cannot decrypt the backup: {e}"));
    let mut reader = match how {
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
            let identity = age::scrypt::Identity::new(passphrase.clone());
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
    let mut plain = Vec::new();
    reader
        .read_to_end(&mut plain)
        .map_err(|e| Error::Crypt(format!("cannot decrypt the backup: {e}")))?;
    Ok(plain)
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

    #[test]
    fn tar_round_trip() {
        let mut files = Files::new();
        files.insert("manifest.json".into(), b"{}".to_vec());
        files.insert("secrets.yaml".into(), b"kind: Secret\n".to_vec());
        assert_eq!(untar(&tar(&files, "b").unwrap()).unwrap(), files);
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
        assert_eq!(
            decrypt(&sealed, &Decryption::IdentityFile(key)).unwrap(),
            b"hello"
        );
        assert!(decrypt(&sealed, &Decryption::None).is_err());
        assert!(encrypt(b"x", &Encryption::Recipients(vec!["nope".into()])).is_err());
    }
}
