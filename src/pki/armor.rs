//! PEM framing (RFC 7468, with RFC 1421 headers): finds `-----BEGIN X-----` / `-----END X-----`
//! pairs in pasted text and decodes their base64 bodies.
//!
//! Own scanner rather than the `pem` crate because the callers need three things it does not
//! give: a BEGIN without END reported as truncation (not silently skipped), the
//! `Proc-Type: 4,ENCRYPTED` header seen without decoding the body, and error texts that can never
//! carry body bytes. Markers are searched anywhere in the text, not only at line starts, so a value
//! whose newlines were flattened to spaces (`--set tls.key="-----BEGIN ... -----END ...-----"`) is
//! still read: base64 ignores the spaces.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::Error;

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const DASHES: &str = "-----";
/// Longer labels are framing damage (a missing `-----`), not a label; refusing them also keeps
/// body text out of error messages.
const MAX_LABEL: usize = 64;

/// Standard alphabet; padding optional because hand-edited values sometimes lose it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One PEM block, borrowed from the input. Deliberately not `Debug`: the body may be a secret.
pub(crate) struct Block<'a> {
    /// The label between `BEGIN ` and `-----`, trimmed, e.g. `RSA PRIVATE KEY`.
    pub label: &'a str,
    /// Text between the BEGIN and END markers: RFC 1421 headers, then base64.
    body: &'a str,
}

impl Block<'_> {
    /// Whether an RFC 1421 `Proc-Type: 4,ENCRYPTED` header is present (OpenSSL's legacy
    /// password-protected `RSA PRIVATE KEY` / `EC PRIVATE KEY`).
    pub fn has_encrypted_header(&self) -> bool {
        self.body.lines().any(|line| {
            line.split_once(':').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("Proc-Type") && value.contains("ENCRYPTED")
            })
        })
    }

    /// Decodes the base64 body, skipping header lines (base64 never holds `:`).
    pub fn decode(&self) -> Result<Vec<u8>, Error> {
        let mut b64 = String::with_capacity(self.body.len());
        // (line number within the block, counting BEGIN as 1; offset in `b64` where it starts)
        let mut line_starts: Vec<(usize, usize)> = Vec::new();
        for (n, line) in self.body.lines().enumerate() {
            if line.contains(':') {
                continue;
            }
            line_starts.push((n + 1, b64.len()));
            b64.extend(line.chars().filter(|c| !c.is_whitespace()));
        }
        if b64.is_empty() {
            return Err(Error::MalformedPem {
                reason: format!("`{}` block has no base64 content", self.label),
            });
        }
        BASE64.decode(b64.as_bytes()).map_err(|e| {
            // Name the line, never the offending character: it is part of the key.
            let at = match e {
                base64::DecodeError::InvalidByte(offset, _)
                | base64::DecodeError::InvalidLastSymbol(offset, _) => line_starts
                    .iter()
                    .take_while(|(_, start)| *start <= offset)
                    .last()
                    .map_or(String::new(), |(line, _)| {
                        format!(" on line {line} of the block")
                    }),
                base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidPadding => {
                    " (wrong length or padding: characters missing or extra)".to_owned()
                }
            };
            Error::MalformedPem {
                reason: format!("invalid base64 in `{}` block{at}", self.label),
            }
        })
    }
}

/// All PEM blocks of `text`, in order. An empty list means no BEGIN marker at all.
pub(crate) fn scan(text: &str) -> Result<Vec<Block<'_>>, Error> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find(BEGIN) {
        let after_begin = &rest[begin + BEGIN.len()..];
        let Some(label_end) = after_begin.find(DASHES) else {
            return Err(Error::Truncated);
        };
        let label = checked_label(&after_begin[..label_end], "BEGIN")?;
        let after_label = &after_begin[label_end + DASHES.len()..];

        let Some(end) = after_label.find(END) else {
            return Err(Error::Truncated);
        };
        let body = &after_label[..end];
        // A second BEGIN before any END: the first block lost its END line (and maybe more).
        if body.contains(BEGIN) {
            return Err(Error::Truncated);
        }
        let after_end = &after_label[end + END.len()..];
        let Some(end_label_end) = after_end.find(DASHES) else {
            return Err(Error::Truncated);
        };
        let end_label = checked_label(&after_end[..end_label_end], "END")?;
        if end_label != label {
            return Err(Error::MalformedPem {
                reason: format!("block `{label}` ends with `END {end_label}`"),
            });
        }
        blocks.push(Block { label, body });
        rest = &after_end[end_label_end + DASHES.len()..];
    }
    Ok(blocks)
}

fn checked_label<'a>(raw: &'a str, marker: &str) -> Result<&'a str, Error> {
    let label = raw.trim();
    if label.len() > MAX_LABEL || label.contains(['\n', '\r']) {
        return Err(Error::MalformedPem {
            reason: format!("`{marker}` line is not of the form `-----{marker} LABEL-----`"),
        });
    }
    Ok(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_in_order_with_crlf_and_indentation() {
        let text = "junk\r\n  -----BEGIN A-----\r\n  QUJD\r\n  -----END A-----\r\n-----BEGIN B-----\nREVG\n-----END B-----\n";
        let blocks = scan(text).unwrap();
        let labels: Vec<_> = blocks.iter().map(|b| b.label).collect();
        assert_eq!(labels, ["A", "B"]);
        assert_eq!(blocks[0].decode().unwrap(), b"ABC");
        assert_eq!(blocks[1].decode().unwrap(), b"DEF");
    }

    #[test]
    fn flattened_single_line_value_is_read() {
        // `--set` or a YAML folded scalar can turn newlines into spaces.
        let blocks = scan("-----BEGIN A----- QUJD REVG -----END A-----").unwrap();
        assert_eq!(blocks[0].decode().unwrap(), b"ABCDEF");
    }

    #[test]
    fn no_marker_gives_empty_list() {
        assert!(scan("hello").unwrap().is_empty());
        assert!(scan("").unwrap().is_empty());
    }

    #[test]
    fn begin_without_end_is_truncated() {
        assert_eq!(
            scan("-----BEGIN A-----\nQUJD\n").err(),
            Some(Error::Truncated)
        );
        assert_eq!(
            scan("-----BEGIN A-----\nQUJD\n-----BEGIN B-----\nQUJD\n-----END B-----").err(),
            Some(Error::Truncated)
        );
        assert_eq!(scan("-----BEGIN A").err(), Some(Error::Truncated));
    }

    #[test]
    fn mismatched_end_label_is_malformed() {
        let err = scan("-----BEGIN A-----\nQUJD\n-----END B-----")
            .err()
            .unwrap();
        assert!(matches!(err, Error::MalformedPem { .. }), "{err:?}");
    }

    #[test]
    fn bad_base64_names_the_line_not_the_character() {
        let blocks = scan("-----BEGIN A-----\nQUJD\nQU*D\n-----END A-----").unwrap();
        let err = blocks[0].decode().unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(!err.contains('*'), "{err}");
    }

    #[test]
    fn proc_type_header_is_seen_and_skipped() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\nQUJD\n-----END RSA PRIVATE KEY-----";
        let blocks = scan(text).unwrap();
        assert!(blocks[0].has_encrypted_header());
        assert_eq!(blocks[0].decode().unwrap(), b"ABC");
    }
}
