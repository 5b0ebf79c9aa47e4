//! Writing JSON data as YAML text: Helm release values, live objects and backup files.
//!
//! Objects read from the cluster have no file. They are written out as YAML so that the same
//! span-aware parser reads them back and findings can point at a line of a virtual source
//! (`helm://harbor/harbor/values:12:3`), and so that backup files are readable and ready for
//! `kubectl apply -f`. Strings are double-quoted (JSON escapes are valid YAML), except multi-line
//! text without odd whitespace, which becomes a literal block so that PEM blocks stay readable.

use std::fmt::Write as _;

use serde_json::Value as Json;

/// One YAML document (no `---`) for a JSON value, with a trailing newline.
pub fn to_yaml(value: &Json) -> String {
    let mut out = String::new();
    match value {
        Json::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Json::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            write_inline(&mut out, scalar, 2);
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Json>, indent: usize) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        write_key(out, key);
        out.push(':');
        write_child(out, value, indent);
    }
}

fn write_seq(out: &mut String, items: &[Json], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Json::Object(map) if !map.is_empty() => {
                // The first entry goes on the dash line, the others align with it.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        out.push_str(&" ".repeat(indent + 2));
                    }
                    write_key(out, key);
                    out.push(':');
                    write_child(out, value, indent + 2);
                }
            }
            _ => write_child(out, item, indent),
        }
    }
}

/// Writes what follows `key:` or `-`: a nested block on the next lines, or an inline value.
fn write_child(out: &mut String, value: &Json, indent: usize) {
    match value {
        Json::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Json::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        other => {
            out.push(' ');
            write_inline(out, other, indent + 2);
            out.push('\n');
        }
    }
}

fn write_inline(out: &mut String, value: &Json, block_indent: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Json::String(s) => write_string(out, s, block_indent),
        Json::Array(_) => out.push_str("[]"),
        Json::Object(_) => out.push_str("{}"),
    }
}

/// A literal block keeps multi-line text readable; anything it could not represent exactly is
/// double-quoted instead.
fn write_string(out: &mut String, s: &str, indent: usize) {
    if literal_ok(s) {
        let body = s.trim_end_matches('\n');
        let trailing = s.len() - body.len();
        out.push_str(match trailing {
            0 => "|-",
            1 => "|",
            _ => "|+",
        });
        for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&" ".repeat(indent));
                out.push_str(line);
            }
        }
    } else {
        out.push_str(&quoted(s));
    }
}

fn literal_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\t', '\n'])
        && s.chars()
            .all(|c| c == '\n' || (!c.is_control() && c != '\u{feff}'))
        && s.split('\n').all(|line| !line.ends_with([' ', '\t']))
}

fn write_key(out: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && !is_reserved_word(key);
    if plain {
        out.push_str(key);
    } else {
        out.push_str(&quoted(key));
    }
}

/// Words a YAML 1.1 reader (Helm's) turns into something other than a string.
fn is_reserved_word(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
    )
}

fn quoted(s: &str) -> String {
    // serde_json escapes quotes, backslashes and control characters in a way YAML reads back.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// A values tree as JSON (what Helm hands the chart): numbers as numbers when they fit, the
/// rest as written.
pub fn to_json(node: &crate::values::Node) -> Json {
    use crate::values::Value;
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => n
            .parse::<i64>()
            .map(Json::from)
            .ok()
            .or_else(|| {
                n.parse::<f64>()
                    .ok()
                    .and_then(|f| serde_json::Number::from_f64(f).map(Json::Number))
            })
            .unwrap_or_else(|| Json::String(n.clone())),
        Value::String(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.node)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{parse_documents, SourceId, Value};
    use serde_json::json;

    fn round_trip(value: &Json) -> crate::values::Node {
        let text = to_yaml(value);
        let docs = parse_documents(SourceId(0), &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        docs.into_iter().next().expect("one document")
    }

    #[test]
    fn maps_lists_and_scalars_read_back() {
        let value = json!({
            "core": {"secret": "abc", "replicas": 2, "on": true, "empty": {}, "list": []},
            "yes": "no",
            "weird key": "null",
            "items": [{"name": "a", "value": 1}, "plain", ["nested"]],
            "nothing": null,
        });
        let text = to_yaml(&value);
        assert!(
            text.contains("core:\n  empty: {}\n") && text.contains("\n  secret: \"abc\"\n"),
            "{text}"
        );
        let node = round_trip(&value);
        assert_eq!(
            node.get_path("core.secret").and_then(|n| n.as_str()),
            Some("abc")
        );
        assert_eq!(
            node.get_path("core.replicas").map(|n| &n.value),
            Some(&Value::Number("2".into()))
        );
        assert_eq!(node.get("yes").and_then(|n| n.as_str()), Some("no"));
        assert_eq!(node.get("weird key").and_then(|n| n.as_str()), Some("null"));
        assert_eq!(node.get("nothing").map(|n| &n.value), Some(&Value::Null));
        let Some(Value::Seq(items)) = node.get("items").map(|n| &n.value) else {
            panic!("items: {text}");
        };
        assert_eq!(
            items[0].get("value").map(|n| &n.value),
            Some(&Value::Number("1".into()))
        );
        assert_eq!(items[1].as_str(), Some("plain"));
    }

    #[test]
    fn multi_line_strings_keep_every_byte() {
        for s in [
            "-----BEGIN X-----\nabc\n-----END X-----\n",
            "no trailing newline\nsecond",
            "two trailing\n\n",
            "  leading space\nx\n",
            "trailing space \nx\n",
            "tab\tinside\nx",
            "crlf\r\nx\n",
            "empty\n\nline\n",
            "quote \" and \\ backslash",
            "unicode é ✓\n",
        ] {
            let node = round_trip(&json!({ "k": s }));
            assert_eq!(node.get("k").and_then(|n| n.as_str()), Some(s), "{s:?}");
        }
        assert!(to_yaml(&json!({"k": "a\nb\n"})).contains("k: |\n  a\n  b\n"));
    }
}
