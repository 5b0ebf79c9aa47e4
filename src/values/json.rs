//! A span-aware reader for text that is strict JSON (RFC 8259), giving exactly the tree the
//! YAML reader gives for the same text, in one pass and without a token queue.
//!
//! YAML is a superset of JSON, so JSON values files and `kubectl get -o json` output go through
//! the YAML reader too; but saphyr keeps every token of a flow collection queued until the
//! collection closes, so a large JSON document costs many times its size in memory. Text whose
//! first character is `{` or `[` is tried here first; anything that is not strict JSON (a YAML
//! flow collection, a comment, a second document, a `\u` surrogate escape, nesting deeper than
//! [`MAX_DEPTH`]) gives `None`, and the YAML reader takes it, errors included.
//!
//! Strings are double-quoted scalars, numbers, `true`, `false` and `null` plain scalars typed by
//! the same YAML 1.1 resolution as the YAML reader; every span is a byte range of the text.

use super::yaml::{resolve_plain, Positions, MAX_DEPTH};
use super::{Entry, Node, ScalarStyle, SourceId, Value};

/// The one document of a strict JSON text, or `None` if the text is not strict JSON.
pub(crate) fn parse(source: SourceId, text: &str) -> Option<Vec<Node>> {
    let bytes = text.as_bytes();
    let mut at = if text.starts_with('\u{feff}') { 3 } else { 0 };
    at = skip_ws(bytes, at);
    if !matches!(bytes.get(at), Some(b'{' | b'[')) {
        return None;
    }
    let mut reader = Reader {
        text,
        bytes,
        at,
        source,
        pos: Positions::new(text),
        depth: 0,
    };
    let root = reader.value()?;
    if skip_ws(bytes, reader.at) != bytes.len() {
        return None;
    }
    Some(vec![root])
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    source: SourceId,
    pos: Positions<'a>,
    depth: usize,
}

impl Reader<'_> {
    fn node(&self, value: Value, start: usize, style: Option<ScalarStyle>) -> Node {
        Node {
            value,
            span: Some(self.pos.span(self.source, start, self.at)),
            style,
        }
    }

    /// A collection that closed just before `self.at`. Its span runs on over the blanks after
    /// the bracket on the same line, as the YAML reader's does.
    fn collection(&self, value: Value, start: usize) -> Node {
        let mut end = self.at;
        while matches!(self.bytes.get(end), Some(b' ' | b'\t')) {
            end += 1;
        }
        Node {
            value,
            span: Some(self.pos.span(self.source, start, end)),
            style: None,
        }
    }

    fn value(&mut self) -> Option<Node> {
        self.at = skip_ws(self.bytes, self.at);
        let start = self.at;
        match *self.bytes.get(start)? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => {
                let s = self.string()?;
                Some(self.node(Value::String(s), start, Some(ScalarStyle::DoubleQuoted)))
            }
            b't' | b'f' | b'n' => {
                let word = ["true", "false", "null"]
                    .into_iter()
                    .find(|w| self.bytes[start..].starts_with(w.as_bytes()))?;
                self.at += word.len();
                self.plain(start)
            }
            b'-' | b'0'..=b'9' => {
                self.number()?;
                self.plain(start)
            }
            _ => None,
        }
    }

    /// A plain scalar that ends at `self.at`, typed as the YAML reader types it.
    fn plain(&self, start: usize) -> Option<Node> {
        // A plain scalar must end where JSON says it ends, or YAML would read on (`1x`).
        if !matches!(
            self.bytes.get(self.at),
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}')
        ) {
            return None;
        }
        let raw = &self.text[start..self.at];
        Some(self.node(resolve_plain(raw), start, Some(ScalarStyle::Plain)))
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.bytes.get(r.at).is_some_and(u8::is_ascii_digit) {
                r.at += 1;
            }
            r.at - from
        };
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at) {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.bytes.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.bytes.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        Some(())
    }

    /// A string at `self.at` (on its opening quote), unescaped; `self.at` ends past the
    /// closing quote.
    fn string(&mut self) -> Option<String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character in one go.
            let run = self.bytes[self.at..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            out.push_str(&self.text[self.at..self.at + run]);
            self.at += run;
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'\\' => {
                    let c = self.escape()?;
                    out.push(c);
                }
                // A raw control character is not JSON (YAML would fold a raw line break).
                _ => return None,
            }
        }
    }

    /// The escape at `self.at` (on its backslash).
    fn escape(&mut self) -> Option<char> {
        let kind = *self.bytes.get(self.at + 1)?;
        self.at += 2;
        Some(match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            // A surrogate (even a JSON pair) is `None` here: the YAML reader, like Helm's,
            // takes `\u` as a code point and refuses surrogates.
            b'u' => char::from_u32(self.hex4()?)?,
            _ => return None,
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    /// Enters a collection: `None` past [`MAX_DEPTH`] (the YAML reader then reports it).
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// Reads a collection at `self.at` (on its opening bracket): `item`s separated by commas
    /// up to the `close` bracket. Returns where it starts.
    fn bracketed(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<usize> {
        self.enter()?;
        let start = self.at;
        self.at = skip_ws(self.bytes, self.at + 1);
        if self.bytes.get(self.at) == Some(&close) {
            self.at += 1;
        } else {
            loop {
                item(self)?;
                self.at = skip_ws(self.bytes, self.at);
                match self.bytes.get(self.at) {
                    Some(b',') => self.at += 1,
                    Some(&c) if c == close => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(start)
    }

    fn object(&mut self) -> Option<Node> {
        let mut entries = Vec::new();
        let start = self.bracketed(b'}', |r| {
            r.at = skip_ws(r.bytes, r.at);
            if r.bytes.get(r.at) != Some(&b'"') {
                return None;
            }
            let key_start = r.at;
            let key = r.string()?;
            let key_span = r.pos.span(r.source, key_start, r.at);
            r.at = skip_ws(r.bytes, r.at);
            if r.bytes.get(r.at) != Some(&b':') {
                return None;
            }
            r.at += 1;
            let node = r.value()?;
            entries.push(Entry {
                key,
                key_span: Some(key_span),
                node,
            });
            Some(())
        })?;
        Some(self.collection(Value::Map(entries), start))
    }

    fn array(&mut self) -> Option<Node> {
        let mut items = Vec::new();
        let start = self.bracketed(b']', |r| {
            items.push(r.value()?);
            Some(())
        })?;
        Some(self.collection(Value::Seq(items), start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: SourceId = SourceId(3);

    /// The YAML reader's tree for the same text.
    fn via_yaml(text: &str) -> Vec<Node> {
        let mut builder_text = String::from(text);
        // A trailing comment makes the text non-JSON, so parse_named takes the YAML path; it
        // changes no span before it.
        builder_text.push_str("\n# yaml");
        crate::values::parse_documents(SRC, &builder_text).unwrap()
    }

    // The JSON reader must give the tree (values, spans, styles) the YAML reader gives.
    #[test]
    fn same_tree_as_the_yaml_reader() {
        let texts = [
            r#"{"a": {"b": [1, "two", true, null, -0.5e+3, 0, 1E400]}, "c": 1.5}"#,
            r#"{"apiVersion":"v1","kind":"List","items":[{"kind":"Secret","data":{"tls.key":"QUJD"}}]}"#,
            "{\n  \"k\": \"caf\u{e9} \\u00e9 \\u0041 \\\" \\\\ \\/ \\n\\t\",\n  \"e\": {},\n  \"l\": []\n}",
            "\u{feff}{\"bom\": 1}",
            "[[[[1]]], {\"x\": [{}]}]",
            r#"{"dup": 1, "dup": 2, "<<": {"m": 1}, "big": 123456789012345678901234567890}"#,
            "\r\n\t{ \"a\" : 1 , \"b\" :\r\n [ 2 ,3 ] }\r\n",
            "{\"a\": [1] \t , \"b\": {\"c\": 2}   }  ",
            "[[1]  \n , {\"x\":1}  ]",
            r#"{"yes": "yes", "on": on_is_not_json}"#,
        ];
        for text in texts {
            let Some(json) = parse(SRC, text) else {
                assert!(text.contains("on_is_not_json"), "{text}");
                continue;
            };
            assert_eq!(json, via_yaml(text), "{text}");
        }
    }

    #[test]
    fn anything_but_strict_json_is_left_to_the_yaml_reader() {
        for text in [
            "a: 1",
            "{a: 1}",
            "{\"a\": 1} # note",
            "{\"a\": 1}\n---\n{\"b\": 2}",
            "{\"a\": 01}",
            "{\"a\": .5}",
            "{\"a\": 1,}",
            "[1 2]",
            "{\"a\": \"\\ud800\"}",
            "{\"a\": \"\\ud83d\\ude00\"}",
            "{\"a\": \"raw\nbreak\"}",
            "{\"a\": \"\\x41\"}",
            "{\"a\": truex}",
            "[NaN]",
            "",
            "   ",
            "{\"unclosed\": [1, 2",
        ] {
            assert!(parse(SRC, text).is_none(), "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse(SRC, &deep).is_none());
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(SRC, &ok).is_some());
    }

    // The chart's defaults as `kubectl`/`helm` would print them, pretty and minified.
    #[test]
    fn same_tree_for_the_chart_defaults_as_json() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/chart/values-1.19.1.yaml"
        );
        let yaml = std::fs::read_to_string(path).unwrap();
        let docs = crate::values::parse_documents(SRC, &yaml).unwrap();
        let json = crate::values::emit::to_json(&docs[0]);
        for text in [
            serde_json::to_string(&json).unwrap(),
            serde_json::to_string_pretty(&json).unwrap(),
        ] {
            let fast = parse(SRC, &text).expect("strict JSON");
            assert_eq!(fast, via_yaml(&text));
        }
    }

    // A one-line JSON document is read in one pass: the spans of its last values are right.
    #[test]
    fn spans_of_a_long_one_line_document() {
        let items: Vec<String> = (0..2000)
            .map(|i| format!("{{\"k{i}\":\"v{i}\"}}"))
            .collect();
        let text = format!("[{}]", items.join(","));
        let docs = parse(SRC, &text).unwrap();
        let Value::Seq(list) = &docs[0].value else {
            panic!()
        };
        let span = list[1999].get("k1999").unwrap().span.unwrap();
        assert_eq!(&text[span.start..span.end], "\"v1999\"");
        assert_eq!((span.line, span.column), (1, span.start + 1));
    }
}
