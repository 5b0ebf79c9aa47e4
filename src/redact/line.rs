//! Byte ranges of one line of free text that look like secrets: log lines, error messages,
//! quoted input, values that are URLs. Bearer tokens, JWTs (`eyJ…`), `Authorization` header
//! values, `password=`/`password: `/`"password":"…"`-style values, `--password x` flags,
//! credentials in URLs (`postgres://u:PW@`), secret headers (`Cookie:`, `X-Registry-Auth:`,
//! `X-Harbor-CSRF-Token:`), long base64 blobs, and the CSRF key that Harbor ≤ 2.12 prints in
//! `Invalid CSRF key from environment: %s`.
//!
//! Over-masking is harmless (the line stays recognisable); under-masking leaks. So the scanner
//! errs towards masking, except for what log lines are full of: file paths, hex request IDs and
//! pod names, which have no upper-case letters. Every pass is a scan of the line that looks at
//! each byte a bounded number of times: the cost is linear in the line's length.

use std::ops::Range;

/// Key names whose value is masked, compared in lower case as a suffix of the key
/// (`oidc_client_secret`, `X-Harbor-CSRF-Token`, `REGISTRY_STORAGE_S3_SECRETKEY`).
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "secretkey",
    "secret_key",
    "token",
    "apikey",
    "api_key",
    "credential",
    "credentials",
    "private_key",
    "privatekey",
    "access_key",
    "accesskey",
    "passphrase",
    "cookie",
    "auth",
    "htpasswd",
];

/// Of [`SECRET_KEYS`], the words that are also common in prose (`parse token: invalid`): before
/// a `:` they count only as part of a longer key or inside quotes.
const PROSE_WORDS: &[&str] = &[
    "token",
    "secret",
    "credential",
    "credentials",
    "auth",
    "pwd",
];

/// Header-like keys whose value runs to the end of the line (`Cookie: a=1; b=2`).
const WHOLE_LINE_KEYS: &[&str] = &["cookie", "set-cookie"];

/// The secret-looking ranges of `line`, sorted and merged.
pub fn secret_ranges(line: &str) -> Vec<Range<usize>> {
    ranges(line, false)
}

/// [`secret_ranges`] for a message of the tool, which names files: a base64-looking run that
/// continues a path (`/tmp/.tmpPMA3lt/chart/values.yaml`) is a file name, not a blob. Every
/// other shape is masked as in a log line.
pub fn message_secret_ranges(line: &str) -> Vec<Range<usize>> {
    ranges(line, true)
}

fn ranges(line: &str, paths: bool) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    csrf_key(line, &mut ranges);
    after_word(line, "bearer ", &mut ranges);
    authorization(line, &mut ranges);
    key_values(line, &mut ranges);
    flags(line, &mut ranges);
    url_credentials(line, &mut ranges);
    jwts(line, &mut ranges);
    let mut found = Vec::new();
    blobs(line, &mut found);
    let bytes = line.as_bytes();
    ranges.extend(found.into_iter().filter(|r| {
        !(paths
            && (r.start > 0 && matches!(bytes[r.start - 1], b'/' | b'.') || bytes[r.start] == b'/'))
    }));
    merge(ranges)
}

/// Whether a key name (any case, `-`/`_`/`.` separated) names a secret by [`SECRET_KEYS`].
pub fn is_secret_key(key: &str) -> bool {
    let key = key.as_bytes();
    // Most keys of a log line end in a letter no secret key ends in: one comparison for them.
    if !key
        .last()
        .is_some_and(|b| b"dtynlseh".contains(&b.to_ascii_lowercase()))
    {
        return false;
    }
    SECRET_KEYS.iter().any(|k| {
        key.len() >= k.len() && key[key.len() - k.len()..].eq_ignore_ascii_case(k.as_bytes())
    })
}

fn is_value_byte(b: u8) -> bool {
    !(b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b',' | b';' | b'&' | b')' | b']' | b'}' | b'\\'
        ))
}

/// The end of a value that starts at `start`.
fn value_end(line: &str, start: usize) -> usize {
    line.as_bytes()[start..]
        .iter()
        .position(|&b| !is_value_byte(b))
        .map_or(line.len(), |p| start + p)
}

/// Harbor ≤ 2.12 logs the rejected key: `Invalid CSRF key from environment: KEY, generating random
/// key...`; ≥ 2.13: `Invalid CSRF key length from the environment: KEY. Please ensure …`.
fn csrf_key(line: &str, out: &mut Vec<Range<usize>>) {
    for (intro, outro) in [
        (
            "Invalid CSRF key from environment: ",
            ", generating random key",
        ),
        (
            "Invalid CSRF key length from the environment: ",
            ". Please ensure",
        ),
    ] {
        let mut from = 0;
        while let Some(p) = line[from..].find(intro) {
            let start = from + p + intro.len();
            // The key may contain anything, even the outro's punctuation: take the last outro.
            let end = line[start..].rfind(outro).map_or(line.len(), |q| start + q);
            if end > start {
                out.push(start..end);
            }
            from = start;
        }
    }
}

/// Case-insensitive `word` followed by a token: `Bearer eyJ…`; not prose such as Harbor's
/// `failed to decode bearer token: …`.
fn after_word(line: &str, word: &str, out: &mut Vec<Range<usize>>) {
    let lower = line.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find(word) {
        let start = from + p + word.len();
        let end = value_end(line, start);
        let value = &lower[start..end];
        let prose = value.starts_with("token") && value.len() <= "token:".len();
        if end > start && !prose {
            out.push(start..end);
        }
        from = start;
    }
}

/// `Authorization: Basic xyz`, `"Authorization":"Harbor-Secret xyz"`, `authorization=xyz`:
/// everything after the scheme word up to the end of the value.
fn authorization(line: &str, out: &mut Vec<Range<usize>>) {
    let lower = line.to_ascii_lowercase();
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(p) = lower[from..].find("authorization") {
        let mut i = from + p + "authorization".len();
        from = i;
        while i < bytes.len() && matches!(bytes[i], b'"' | b'\'') {
            i += 1;
        }
        if i >= bytes.len() || !matches!(bytes[i], b':' | b'=') {
            continue;
        }
        i += 1;
        while i < bytes.len() && matches!(bytes[i], b' ' | b'"' | b'\'' | b'[') {
            i += 1;
        }
        // A scheme word (`Basic`, `Bearer`, `Harbor-Secret`) stays visible; the credential goes.
        let word_end = value_end(line, i);
        let next = if word_end < bytes.len() && bytes[word_end] == b' ' {
            word_end + 1
        } else {
            i
        };
        let start = if next > i && word_end - i <= 16 {
            next
        } else {
            i
        };
        let end = value_end(line, start);
        if end > start {
            out.push(start..end);
        }
    }
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// `password=…`, `client_secret=…`, `client_secret%3D…`, `password: …`, `password = …`,
/// `"password":"…"`, `X-Harbor-CSRF-Token: …`, `Cookie: …`.
fn key_values(line: &str, out: &mut Vec<Range<usize>>) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A separator: `=`, `:` or the URL-encoded `%3D`.
        let (sep, sep_len) = match bytes[i] {
            b'=' => (b'=', 1),
            b':' => (b':', 1),
            b'%' if bytes.len() >= i + 3
                && bytes[i + 1] == b'3'
                && matches!(bytes[i + 2], b'D' | b'd') =>
            {
                (b'=', 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        let at = i;
        i += sep_len;
        // The key before it, past spaces and a closing quote.
        let mut key_end = at;
        while key_end > 0 && bytes[key_end - 1] == b' ' {
            key_end -= 1;
        }
        let quoted_key = key_end > 0 && matches!(bytes[key_end - 1], b'"' | b'\'');
        if quoted_key {
            key_end -= 1;
            while key_end > 0 && bytes[key_end - 1] == b'\\' {
                key_end -= 1;
            }
        }
        let key_start = bytes[..key_end]
            .iter()
            .rposition(|&b| !is_key_byte(b))
            .map_or(0, |p| p + 1);
        let key = &line[key_start..key_end];
        if key.is_empty() || !is_secret_key(key) {
            continue;
        }
        if sep == b':' && !quoted_key && PROSE_WORDS.iter().any(|w| key.eq_ignore_ascii_case(w)) {
            continue;
        }
        // `https://` after a key is a URL, judged by its credentials alone.
        if sep == b':' && bytes[i..].starts_with(b"//") {
            continue;
        }
        let mut start = i;
        while start < bytes.len() && bytes[start] == b' ' {
            start += 1;
        }
        while start < bytes.len() && bytes[start] == b'\\' {
            start += 1;
        }
        let end = if WHOLE_LINE_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)) {
            line.len()
        } else if start < bytes.len() && matches!(bytes[start], b'"' | b'\'') {
            let quote = bytes[start];
            start += 1;
            quoted_end(bytes, start, quote)
        } else {
            value_end(line, start)
        };
        if end > start {
            out.push(start..end);
            i = i.max(end);
        }
    }
}

/// The end of a quoted value starting at `start`: the next unescaped `quote`, or the line's end.
fn quoted_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut j = start;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => {
                // An escaped quote of a JSON string inside JSON (`\\\"`) ends the value too.
                if bytes.get(j + 1) == Some(&quote) {
                    return j;
                }
                j += 2;
            }
            b if b == quote => return j,
            _ => j += 1,
        }
    }
    bytes.len()
}

/// `--password x`, `--registry-token x` (the `--key=value` form is a key value).
fn flags(line: &str, out: &mut Vec<Range<usize>>) {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(p) = line[from..].find("--") {
        let key_start = from + p + 2;
        let mut key_end = key_start;
        while key_end < bytes.len() && is_key_byte(bytes[key_end]) {
            key_end += 1;
        }
        from = key_end.max(key_start);
        if key_end == key_start || bytes.get(key_end) != Some(&b' ') {
            continue;
        }
        if !is_secret_key(&line[key_start..key_end]) {
            continue;
        }
        let mut start = key_end + 1;
        if bytes.get(start) == Some(&b'-') {
            continue;
        }
        let end = if start < bytes.len() && matches!(bytes[start], b'"' | b'\'') {
            let quote = bytes[start];
            start += 1;
            quoted_end(bytes, start, quote)
        } else {
            value_end(line, start)
        };
        if end > start {
            out.push(start..end);
            from = end;
        }
    }
}

/// The password of `scheme://user:PASSWORD@host` and `redis://:PASSWORD@host`.
fn url_credentials(line: &str, out: &mut Vec<Range<usize>>) {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(p) = line[from..].find("://") {
        let start = from + p + 3;
        // The authority ends at the path, the query or anything that cannot be in a URL.
        let mut end = start;
        let mut at = None;
        while end < bytes.len() {
            match bytes[end] {
                b'/' | b'?' | b'#' | b' ' | b'\t' | b'"' | b'\'' | b'<' | b'>' | b'`' => break,
                b'@' => at = Some(end),
                _ => {}
            }
            end += 1;
        }
        from = end.max(start);
        let Some(at) = at else { continue };
        // Everything after the first `:` of the user info; no `:` means a token as the user.
        let colon = line[start..at].find(':').map_or(start, |c| start + c + 1);
        if at > colon {
            out.push(colon..at);
        }
    }
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// `eyJ…` with at least one dot: a JWT, signed or not.
fn jwts(line: &str, out: &mut Vec<Range<usize>>) {
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(p) = line[from..].find("eyJ") {
        let start = from + p;
        let mut end = start;
        let mut dots = 0;
        while end < bytes.len() && (is_b64url(bytes[end]) || (bytes[end] == b'.' && dots < 2)) {
            if bytes[end] == b'.' {
                dots += 1;
            }
            end += 1;
        }
        if dots >= 1 && end - start >= 10 {
            out.push(start..end);
        }
        from = end.max(start + 3);
    }
}

/// Runs of base64 (standard or URL alphabet) of 20 characters or more that mix upper case,
/// lower case and digits: keys, secrets, basic credentials.
fn blobs(line: &str, out: &mut Vec<Range<usize>>) {
    let bytes = line.as_bytes();
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_');
    let mut i = 0;
    while i < bytes.len() {
        if !is_b64(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_b64(bytes[i]) {
            i += 1;
        }
        let run = &bytes[start..i];
        if run.len() >= 20
            && run.iter().any(u8::is_ascii_uppercase)
            && run.iter().any(u8::is_ascii_lowercase)
            && run.iter().any(u8::is_ascii_digit)
        {
            out.push(start..i);
        }
    }
}

fn merge(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// `line` with its secret-looking ranges replaced by `<redacted>`.
pub fn mask_line(line: &str) -> String {
    super::MaskedLine::new(line, 0, &secret_ranges(line)).text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_letter_filter_knows_every_secret_key() {
        for k in SECRET_KEYS {
            assert!(is_secret_key(k), "{k}");
            assert!(is_secret_key(&k.to_ascii_uppercase()), "{k}");
        }
        assert!(!is_secret_key("request_id"));
    }

    const JWT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJoYXJib3ItdG9rZW4taXNzdWVyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

    #[test]
    fn masks_jwts_and_bearer_tokens() {
        let line = format!("2024-06-03T08:15:02Z [DEBUG] [/x.go:1]: token {JWT} rejected");
        let m = mask_line(&line);
        assert!(!m.contains("eyJ"), "{m}");
        assert!(m.contains("<redacted>"));
        let m = mask_line("Authorization: Bearer abc.def-ghi");
        assert!(!m.contains("abc.def-ghi"), "{m}");
        assert!(m.starts_with("Authorization: Bearer "), "{m}");
    }

    #[test]
    fn masks_authorization_headers_and_passwords() {
        let m = mask_line(r#"header "Authorization":"Harbor-Secret s3cr3tValue123456" sent"#);
        assert!(!m.contains("s3cr3tValue123456"), "{m}");
        assert!(m.contains("Harbor-Secret"), "{m}");
        let m = mask_line("connect host=db user=postgres password=Hunter2pass dbname=registry");
        assert!(!m.contains("Hunter2pass"), "{m}");
        assert!(m.contains("user=postgres"), "{m}");
        let m = mask_line("url=https://x/?client_secret=abc123&x=1");
        assert!(!m.contains("abc123"), "{m}");
    }

    #[test]
    fn masks_the_csrf_key_harbor_prints() {
        let m = mask_line("2024-06-03T08:15:02Z [WARNING] [/server/middleware/csrf/csrf.go:64]: Invalid CSRF key from environment: tooShortKey, generating random key...");
        assert!(!m.contains("tooShortKey"), "{m}");
        assert!(m.contains("generating random key"), "{m}");
        let m = mask_line("Invalid CSRF key length from the environment: abc. Please ensure the key length is 32 characters.");
        assert!(!m.contains("abc."), "{m}");
        // An empty key leaves nothing to mask.
        let m = mask_line("Invalid CSRF key from environment: , generating random key...");
        assert!(!m.contains("<redacted>"), "{m}");
    }

    #[test]
    fn masks_base64_blobs_but_not_paths_or_request_ids() {
        let m = mask_line("secret is UTdWMkxtOVhjNFJ0OFd6MQ== here");
        assert!(!m.contains("UTdWMkxtOVhjNFJ0OFd6MQ"), "{m}");
        let line = r#"2024-06-03T08:15:02Z [WARNING] [/server/middleware/security/v2_token.go:67][requestID="0968ba9698aa27dc3e07fce7fcd62b9a"]: failed to decode bearer token: crypto/rsa: verification error"#;
        assert_eq!(mask_line(line), line);
        let line = "[pod/harbor-core-5d8f7b9c4-x2x9k/core] 2024-06-03T08:15:02.123456789Z parse token error";
        assert_eq!(mask_line(line), line);
    }

    fn assert_masked(line: &str, secret: &str) {
        let m = mask_line(line);
        assert!(!m.contains(secret), "{line} → {m}");
        assert!(m.contains("<redacted>"), "{line} → {m}");
    }

    #[test]
    fn json_bodies_are_masked() {
        // Regression: `diagnose` showed JSON bodies with passwords and client secrets.
        assert_masked(
            r#"body {"username":"admin","password":"pw with space"}"#,
            "pw with space",
        );
        assert_masked(r#"{"secret": "s3cr3t"}"#, "s3cr3t");
        assert_masked(
            r#"CONFIG_OVERWRITE_JSON={"oidc_client_secret":"cs1","x":1}"#,
            "cs1",
        );
        assert_masked(
            r#"CONFIG_OVERWRITE_JSON="{\"oidc_client_secret\":\"cs2\"}""#,
            "cs2",
        );
        assert!(mask_line(r#"{"username":"admin"}"#).contains("admin"));
    }

    #[test]
    fn credentials_in_urls_are_masked() {
        // Regression: `postgres://u:PW@`, `redis://:PW@`, `https://admin:PW@` and
        // `client_secret%3D…` were shown.
        let m = mask_line("dial postgres://harbor:pgpw@db:5432/registry");
        assert_eq!(m, "dial postgres://harbor:<redacted>@db:5432/registry");
        assert_masked("redis://:redispw@redis:6379/0", "redispw");
        assert_masked(
            "get https://admin:adminpw@harbor.example.com/api",
            "adminpw",
        );
        assert_masked("redirect /cb?code=x&client_secret%3Dcspw%26scope", "cspw");
        let plain = "get https://harbor.example.com/api/v2.0/users?q=a@b";
        assert_eq!(mask_line(plain), plain);
    }

    #[test]
    fn keys_headers_and_flags_are_masked() {
        // Regression: `password: x`, `password = x`, `secretKey=`, `private_key=`,
        // `access_key=`, `passphrase=`, secret headers and `--password x` were shown.
        for (line, secret) in [
            ("config password: pw1", "pw1"),
            ("config password = pw2", "pw2"),
            ("secretKey=pw3", "pw3"),
            ("private_key=pw4", "pw4"),
            ("access_key=pw5", "pw5"),
            ("passphrase=pw6", "pw6"),
            ("X-Harbor-CSRF-Token: pw7", "pw7"),
            ("Cookie: sid=pw8; _gorilla_csrf=pw9", "pw9"),
            ("X-Registry-Auth: pw10", "pw10"),
            ("exec cli --password pw11 --insecure", "pw11"),
            ("exec cli --password 'pw 12'", "pw 12"),
        ] {
            assert_masked(line, secret);
        }
        // Prose stays: a bare `token:` is how Harbor introduces an error.
        for line in [
            "failed to decode bearer token: crypto/rsa: verification error",
            "parse token error, crypto/rsa: verification error",
            "run with --insecure --password-stdin",
        ] {
            assert_eq!(mask_line(line), line);
        }
    }

    #[test]
    fn huge_lines_of_separators_are_scanned_whole() {
        // Each pass looks at a byte a bounded number of times, so a line of a million
        // separators or URL schemes is one scan; the first secret key masks the rest.
        let line = "password=".repeat(200_000);
        assert_eq!(secret_ranges(&line), vec![(9..line.len())]);
        for unit in ["a:", "://", "--password "] {
            let line = unit.repeat(200_000);
            assert!(secret_ranges(&line).len() <= 1, "{unit}");
        }
    }
}
