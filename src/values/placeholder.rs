//! Deploy-time placeholders: strings that a deployment tool replaces before Helm sees them.
//!
//! A value such as `${HARBOR_SECRET_KEY}` or `<path:kv/data/harbor#secretKey>` is not the
//! secret itself, so rules must not judge its length or entropy. This module only recognises
//! the syntax; it never resolves anything.
//!
//! Recognised: Flux post-build substitution / envsubst `${VAR}` with the shell operators
//! (`${VAR:=default}`, `${VAR:-x}` …), argocd-vault-plugin `<path:…>` (with optional `#key`),
//! vals / helm-secrets `ref+<scheme>://…`, and Go templates as helmfile renders them (`{{ … }}`).
//! A lone `$`, `${` without a valid variable name, or `<` in a password does not match.

/// The first deploy-time placeholder inside `s`, as a slice of `s`.
pub fn find_placeholder(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        // Only ASCII trigger bytes start a placeholder, and those are always char boundaries;
        // slicing at any other byte could land inside a multi-byte character.
        if !matches!(b, b'$' | b'<' | b'r' | b'{') {
            continue;
        }
        let rest = &s[i..];
        let len = match b {
            b'$' => env_var(rest),
            b'<' => avp_path(rest),
            b'r' => vals_ref(rest),
            _ => go_template(rest),
        };
        if let Some(len) = len {
            return Some(&s[i..i + len]);
        }
    }
    None
}

/// Whether `s` contains a deploy-time placeholder.
pub fn has_placeholder(s: &str) -> bool {
    find_placeholder(s).is_some()
}

/// `${NAME}` or `${NAME<op>word}` with op one of `:=`, `:-`, `:+`, `:?`, `=`, `-`, `+`, `?`.
fn env_var(s: &str) -> Option<usize> {
    let body = s.strip_prefix("${")?;
    let name_len = body
        .char_indices()
        .take_while(|&(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()))
        .count();
    if name_len == 0 {
        return None;
    }
    let after = &body[name_len..];
    if after.starts_with('}') {
        return Some(2 + name_len + 1);
    }
    let op_len = if [":=", ":-", ":+", ":?"]
        .iter()
        .any(|op| after.starts_with(op))
    {
        2
    } else if after.starts_with(['=', '-', '+', '?']) {
        1
    } else {
        return None;
    };
    let close = after[op_len..].find('}')?;
    Some(2 + name_len + op_len + close + 1)
}

/// `<path:some/path#key>` or `<path:some/path>` (argocd-vault-plugin inline path).
fn avp_path(s: &str) -> Option<usize> {
    let body = s.strip_prefix("<path:")?;
    let close = body.find('>')?;
    let inner = &body[..close];
    if inner.is_empty() || inner.starts_with('#') || inner.contains(char::is_whitespace) {
        return None;
    }
    Some("<path:".len() + close + 1)
}

/// `ref+<scheme>://…` up to the next whitespace or quote (vals, helm-secrets).
fn vals_ref(s: &str) -> Option<usize> {
    let body = s.strip_prefix("ref+")?;
    let scheme_len = body
        .chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
        .count();
    if scheme_len == 0 || !body[scheme_len..].starts_with("://") {
        return None;
    }
    let rest = &body[scheme_len + 3..];
    let path_len = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .unwrap_or(rest.len());
    if path_len == 0 {
        return None;
    }
    Some(4 + scheme_len + 3 + path_len)
}

/// `{{ … }}` (Go template as helmfile renders values files).
fn go_template(s: &str) -> Option<usize> {
    let body = s.strip_prefix("{{")?;
    let close = body.find("}}")?;
    if body[..close].trim().is_empty() {
        return None;
    }
    Some(2 + close + 2)
}

#[cfg(test)]
mod tests {
    // Regression: a password with non-ASCII characters once panicked on a char boundary.
    #[test]
    fn non_ascii_text_is_scanned_without_panicking() {
        assert_eq!(super::find_placeholder("pässwörd-ß€"), None);
        assert_eq!(super::find_placeholder("ü${VAR}é"), Some("${VAR}"));
    }

    use super::*;

    #[test]
    fn recognises_placeholders() {
        let cases = [
            ("${HARBOR_SECRET}", "${HARBOR_SECRET}"),
            ("prefix-${VAR:=default}-suffix", "${VAR:=default}"),
            ("${VAR:-x}", "${VAR:-x}"),
            ("${_v1}", "${_v1}"),
            (
                "<path:secret/data/harbor#secretKey>",
                "<path:secret/data/harbor#secretKey>",
            ),
            ("<path:kv/data/harbor>", "<path:kv/data/harbor>"),
            (
                "ref+vault://secret/data/harbor#/key",
                "ref+vault://secret/data/harbor#/key",
            ),
            ("ref+awssm://prod/harbor", "ref+awssm://prod/harbor"),
            ("x {{ .Values.key }} y", "{{ .Values.key }}"),
            ("{{ requiredEnv \"KEY\" }}", "{{ requiredEnv \"KEY\" }}"),
        ];
        for (input, expected) in cases {
            assert_eq!(find_placeholder(input), Some(expected), "{input}");
        }
    }

    #[test]
    fn first_placeholder_wins() {
        assert_eq!(find_placeholder("{{ a }} ${B}"), Some("{{ a }}"));
        assert_eq!(find_placeholder("${B} {{ a }}"), Some("${B}"));
    }

    #[test]
    fn passwords_with_dollar_or_angle_brackets_do_not_match() {
        let passwords = [
            "pa$$word",
            "p@ss$WORD1",
            "${",
            "${}",
            "${1abc}",
            "${ VAR }",
            "a<b>c",
            "<pathology>",
            "<path:>",
            "ref+",
            "refs+vault",
            "ref+vault:/x",
            "{{}}",
            "{{ unclosed",
            "Harbor12345",
            "",
        ];
        for p in passwords {
            assert_eq!(find_placeholder(p), None, "{p}");
            assert!(!has_placeholder(p));
        }
    }
}
