//! The chart's naming rules (`templates/_helpers.tpl`, unchanged from chart 1.9 to 1.19): which
//! objects a release owns, and which Secrets its values name. Pure; decides what to read.

use crate::values::{Node, Value};

/// Helm truncates names to 63 characters and trims a trailing `-`.
fn trunc63(name: &str) -> String {
    let cut: String = name.chars().take(63).collect();
    cut.trim_end_matches('-').to_string()
}

/// `harbor.fullname`: `fullnameOverride`; else the release name when it contains the chart
/// name (`nameOverride` or `harbor`); else `<release>-<name>`.
pub fn fullname(
    release: &str,
    name_override: Option<&str>,
    fullname_override: Option<&str>,
) -> String {
    if let Some(full) = fullname_override.filter(|s| !s.is_empty()) {
        return trunc63(full);
    }
    let name = name_override.filter(|s| !s.is_empty()).unwrap_or("harbor");
    if release.contains(name) {
        trunc63(release)
    } else {
        trunc63(&format!("{release}-{name}"))
    }
}

/// `<fullname>` of a release with these (user-supplied) values.
pub fn release_fullname(release: &str, values: &Node) -> String {
    let text = |path: &str| values.get_path(path).and_then(Node::as_str);
    fullname(release, text("nameOverride"), text("fullnameOverride"))
}

/// The credential Secrets the chart itself writes, by suffix of `<fullname>`.
pub const CHART_SECRET_SUFFIXES: &[&str] = &[
    "-core",
    "-jobservice",
    "-registry",
    "-registry-htpasswd",
    "-database",
];

/// The chart's own credential Secrets of a release.
pub fn chart_secrets(fullname: &str) -> Vec<String> {
    CHART_SECRET_SUFFIXES
        .iter()
        .map(|suffix| format!("{fullname}{suffix}"))
        .collect()
}

/// Keys whose value names an existing Secret (`core.secretName`, every `existingSecret`,
/// `existingSecretSecretKey`, `internalTLS.*.secretName`, `expose.tls.secret.secretName`,
/// `caSecretName` …). Keys such as `existingSecretKey` name a data key, not a Secret.
const NAMING_KEYS: &[&str] = &[
    "secretName",
    "existingSecret",
    "existingSecretSecretKey",
    "existingSecretAdminPassword",
    "existingXsrfSecret",
    "caSecretName",
    "caBundleSecretName",
    "uaaSecretName",
    "notarySecretName",
];

/// Every Secret the values name, with the values path naming it, in document order.
pub fn secrets_named_by(values: &Node) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(values, "", &mut out);
    out
}

fn walk(node: &Node, path: &str, out: &mut Vec<(String, String)>) {
    let Value::Map(entries) = &node.value else {
        return;
    };
    for entry in entries {
        let child = if path.is_empty() {
            entry.key.clone()
        } else {
            format!("{path}.{}", entry.key)
        };
        match &entry.node.value {
            Value::Map(_) => walk(&entry.node, &child, out),
            Value::String(name)
                if NAMING_KEYS.contains(&entry.key.as_str())
                    && !name.is_empty()
                    && crate::values::placeholder::find_placeholder(name).is_none()
                    && is_dns_name(name) =>
            {
                out.push((child, name.clone()));
            }
            _ => {}
        }
    }
}

/// A valid Secret name (RFC 1123 subdomain); anything else cannot exist and is not requested.
fn is_dns_name(name: &str) -> bool {
    name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{parse_documents, SourceId};

    #[test]
    fn fullname_follows_the_chart_helpers() {
        assert_eq!(fullname("harbor", None, None), "harbor");
        assert_eq!(fullname("my-harbor", None, None), "my-harbor");
        assert_eq!(fullname("registry", None, None), "registry-harbor");
        assert_eq!(fullname("registry", Some("hub"), None), "registry-hub");
        assert_eq!(fullname("x", None, Some("custom-")), "custom");
        let long = "a".repeat(70);
        assert_eq!(fullname(&long, None, None).len(), 63);
    }

    #[test]
    fn secrets_named_by_values() {
        let text = "core:\n  secretName: token\n  existingSecret: core-secret\n  existingSecretKey: not-a-name\n\
                    existingSecretSecretKey: skey\nexpose:\n  tls:\n    secret:\n      secretName: ingress-tls\n\
                    internalTLS:\n  core:\n    secretName: \"\"\ncaSecretName: \"${CA}\"\n";
        let root = parse_documents(SourceId(0), text).unwrap().remove(0);
        let names: Vec<_> = secrets_named_by(&root)
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(names, ["token", "core-secret", "skey", "ingress-tls"]);
    }
}
