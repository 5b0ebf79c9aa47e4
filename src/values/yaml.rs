//! A span-aware YAML tree on top of `saphyr-parser` events.
//!
//! saphyr gives every event a character range; this module turns those into byte ranges (so
//! findings and edits can slice the original text), fixes up the ranges saphyr reports in a way
//! that is awkward for edits (block scalars start at their indicator, empty values sit after
//! `key:`, anchors and tags are not part of a value), and types plain scalars the way Helm 3 sees
//! them: sigs.k8s.io/yaml on top of go-yaml v2, which resolves YAML 1.1 (`yes`, `on`, `0777` …).
//!
//! Aliases are expanded by cloning (the clone keeps the spans of the anchored node) and `<<`
//! merge keys are applied, so callers see the tree Helm sees. Both are bounded so that a hostile
//! file cannot make the tool allocate without limit: the copies that anchors and aliases make
//! count against [`MAX_NODES`], and nesting stops at [`MAX_DEPTH`]. Nodes written in the text
//! itself are bounded by the size cap of the input.
//!
//! Text that is strict JSON (a values file or `kubectl get -o json` output) is read by the JSON
//! reader of [`super::json`] instead, which gives the same tree in one pass: saphyr keeps every
//! token of a flow collection queued until the collection ends, so a large JSON document would
//! cost many times its size in memory.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle as SaphyrStyle, Tag};

use super::{Entry, Error, LineIndex, Node, ScalarStyle, SourceId, Span, Value};

/// Upper bound on the nodes copied for anchors and aliases (billion-laughs guard).
const MAX_NODES: usize = 1_000_000;

/// Upper bound on collection nesting; the rest of the module recurses over trees.
pub(crate) const MAX_DEPTH: usize = 256;

/// Parses every document of a YAML stream into spanned trees.
///
/// Errors name the file as `<input>`; [`parse_named`] takes the name to put in messages.
/// An empty stream gives no documents; an empty document (`---` alone) gives a `Null` node.
pub fn parse_documents(source: SourceId, text: &str) -> Result<Vec<Node>, Error> {
    parse_named(source, "<input>", text)
}

/// Like [`parse_documents`], with the file name (as the user gave it) used in error messages.
pub fn parse_named(source: SourceId, name: &str, text: &str) -> Result<Vec<Node>, Error> {
    #[cfg(test)]
    PARSES.with(|n| n.set(n.get() + 1));
    if let Some(docs) = super::json::parse(source, text) {
        return Ok(docs);
    }
    let mut builder = Builder::new(source, name, text);
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => {
                let start = builder.pos.byte(span.start.index());
                let end = builder.pos.byte(span.end.index());
                builder.event(event, start, end)?;
            }
            Err(e) => {
                let offset = builder.pos.byte(e.marker().index());
                // saphyr's messages describe the grammar ("did not find expected key"); the only
                // one that quotes input quotes a single reserved indicator (`@`, `` ` ``, `%`).
                return Err(builder.error_at(offset, e.info()));
            }
        }
    }
    Ok(builder.documents)
}

#[cfg(test)]
thread_local! {
    /// How many texts this thread has parsed: tests pin how often a command parses its input.
    pub(crate) static PARSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Maps saphyr's character indexes to byte offsets and byte offsets to line and column, from
/// one [`LineIndex`] of the text.
pub(crate) struct Positions<'a> {
    text: &'a str,
    index: LineIndex,
}

impl<'a> Positions<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Positions {
            text,
            index: LineIndex::new(text),
        }
    }

    /// Byte offset of a character index (saphyr's `Marker::index()` counts characters).
    pub(crate) fn byte(&self, char_index: usize) -> usize {
        self.index.byte_of_char(self.text, char_index)
    }

    /// 1-based line and column (in characters, a leading BOM not counted) of a byte offset.
    pub(crate) fn line_col(&self, offset: usize) -> (usize, usize) {
        self.index.line_col(self.text, offset)
    }

    pub(crate) fn span(&self, source: SourceId, start: usize, end: usize) -> Span {
        let (line, column) = self.line_col(start);
        Span {
            source,
            start,
            end: end.max(start),
            line,
            column,
        }
    }
}

/// A collection being built.
enum Frame {
    Seq {
        start: usize,
        flow: bool,
        anchor: usize,
        /// End of the last byte consumed inside the collection (for block collections).
        last_end: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        flow: bool,
        anchor: usize,
        last_end: usize,
        entries: Vec<Entry>,
        key: Option<PendingKey>,
        /// Maps pulled in with `<<`, in document order.
        merges: Vec<Node>,
    },
}

/// A key waiting for its value.
struct PendingKey {
    text: String,
    span: Span,
    is_merge: bool,
}

/// A finished node plus what its parent needs to know about it.
struct Done {
    node: Node,
    /// The key text if the node ends up as a mapping key.
    key_text: String,
    /// Where the node is written *here* (for an alias, the `*name` token, not the anchor).
    local: Span,
    /// A plain, untagged `<<`.
    is_merge_key: bool,
}

struct Builder<'a> {
    source: SourceId,
    name: &'a str,
    text: &'a str,
    pos: Positions<'a>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    /// End of the previous event, where the search for a block scalar's indicator starts.
    prev_end: usize,
    documents: Vec<Node>,
    root: Option<Node>,
}

impl<'a> Builder<'a> {
    fn new(source: SourceId, name: &'a str, text: &'a str) -> Self {
        Builder {
            source,
            name,
            text,
            pos: Positions::new(text),
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            prev_end: 0,
            documents: Vec::new(),
            root: None,
        }
    }

    fn error_at(&self, offset: usize, message: &str) -> Error {
        let (line, column) = self.pos.line_col(offset);
        Error::Yaml {
            file: self.name.to_string(),
            line,
            column,
            message: message.to_string(),
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        self.pos.span(self.source, start, end)
    }

    /// Whether the node completed next becomes a mapping key (its text is then needed).
    fn wants_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    /// The key text of `node` if it becomes a mapping key, else nothing (copying the text of
    /// every collection would cost its size once per nesting level).
    fn key_text_if_wanted(&self, node: &Node) -> String {
        if self.wants_key() {
            key_text(node, self.text)
        } else {
            String::new()
        }
    }

    fn count(&mut self, n: usize, at: usize) -> Result<(), Error> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(self.error_at(
                at,
                "too many nodes copied by anchors and aliases (more than 1000000)",
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, start: usize, end: usize) -> Result<(), Error> {
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.root = None;
            }
            Event::DocumentEnd => {
                let root = self.root.take().unwrap_or_else(|| Node {
                    value: Value::Null,
                    span: Some(self.span(start, start)),
                    style: Some(ScalarStyle::Plain),
                });
                self.documents.push(root);
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id).cloned() else {
                    return Err(self.error_at(start, "alias to an unknown or unfinished anchor"));
                };
                self.count(size, start)?;
                let key_text = self.key_text_if_wanted(&node);
                let local = self.span(start, end);
                self.complete(Done {
                    node,
                    key_text,
                    local,
                    is_merge_key: false,
                })?;
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.scalar(&value, style, anchor, tag.as_deref(), start, end)?;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.error_at(start, "collections nested too deeply"));
                }
                let start = skip_properties(self.text, start, end.max(start));
                let flow = matches!(self.text.as_bytes().get(start), Some(b'[' | b'{'));
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        start,
                        flow,
                        anchor,
                        last_end: start,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        start,
                        flow,
                        anchor,
                        last_end: start,
                        entries: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                    }
                };
                self.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => self.end_collection(end)?,
        }
        self.prev_end = end;
        Ok(())
    }

    fn scalar(
        &mut self,
        value: &str,
        style: SaphyrStyle,
        anchor: usize,
        tag: Option<&Tag>,
        start: usize,
        end: usize,
    ) -> Result<(), Error> {
        let end = end.max(start);
        let content = skip_properties(self.text, start, end);
        let had_properties = content != start;
        let (span_start, span_end, our_style) = match style {
            SaphyrStyle::Plain if value.is_empty() => {
                let at = self.empty_value_position(start, content, had_properties);
                (at, at, ScalarStyle::Plain)
            }
            SaphyrStyle::Plain => (content, end, ScalarStyle::Plain),
            SaphyrStyle::SingleQuoted => (
                content,
                quoted_end(self.text, content, end),
                ScalarStyle::SingleQuoted,
            ),
            SaphyrStyle::DoubleQuoted => (
                content,
                quoted_end(self.text, content, end),
                ScalarStyle::DoubleQuoted,
            ),
            SaphyrStyle::Literal | SaphyrStyle::Folded => {
                let from = if had_properties {
                    content
                } else {
                    self.prev_end.min(content)
                };
                let (s, e) = block_scalar_range(self.text, from, content, end);
                let st = if style == SaphyrStyle::Literal {
                    ScalarStyle::Literal
                } else {
                    ScalarStyle::Folded
                };
                (s, e, st)
            }
        };
        let typed = match tag {
            Some(tag) => tagged_value(tag, value),
            None if style == SaphyrStyle::Plain => resolve_plain(value),
            None => Value::String(value.to_string()),
        };
        let span = self.span(span_start, span_end);
        let node = Node {
            value: typed,
            span: Some(span),
            style: Some(our_style),
        };
        if anchor != 0 {
            self.count(1, span_start)?;
            self.anchors.insert(anchor, (node.clone(), 1));
        }
        let is_merge_key = tag.is_none() && style == SaphyrStyle::Plain && value == "<<";
        let key_text = if self.wants_key() {
            value.to_string()
        } else {
            String::new()
        };
        self.complete(Done {
            node,
            key_text,
            local: span,
            is_merge_key,
        })
    }

    /// Where a zero-length empty value goes: right after the `:` of its key when there is one.
    fn empty_value_position(&self, start: usize, content: usize, had_properties: bool) -> usize {
        if had_properties {
            return content;
        }
        if let Some(Frame::Map { key: Some(key), .. }) = self.stack.last() {
            let bytes = self.text.as_bytes();
            let mut i = key.span.end;
            while matches!(bytes.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
            if bytes.get(i) == Some(&b':') {
                return i + 1;
            }
        }
        start
    }

    fn end_collection(&mut self, end: usize) -> Result<(), Error> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (start, flow, anchor, last_end, value) = match frame {
            Frame::Seq {
                start,
                flow,
                anchor,
                last_end,
                items,
            } => (start, flow, anchor, last_end, Value::Seq(items)),
            Frame::Map {
                start,
                flow,
                anchor,
                last_end,
                entries,
                merges,
                ..
            } => (
                start,
                flow,
                anchor,
                last_end,
                Value::Map(apply_merges(entries, merges)),
            ),
        };
        let end = if flow { end } else { last_end };
        let span = self.span(start, end);
        let node = Node {
            value,
            span: Some(span),
            style: None,
        };
        if anchor != 0 {
            // The stored copy counts too: nested anchors would otherwise copy a large subtree
            // once per level.
            let size = node_count(&node);
            self.count(size, start)?;
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let key_text = self.key_text_if_wanted(&node);
        self.complete(Done {
            node,
            key_text,
            local: span,
            is_merge_key: false,
        })
    }

    fn complete(&mut self, done: Done) -> Result<(), Error> {
        let local_end = done.local.end;
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(done.node);
            return Ok(());
        };
        match frame {
            Frame::Seq {
                items, last_end, ..
            } => {
                *last_end = (*last_end).max(local_end);
                items.push(done.node);
            }
            Frame::Map {
                entries,
                key,
                merges,
                last_end,
                ..
            } => {
                *last_end = (*last_end).max(local_end);
                match key.take() {
                    None => {
                        *key = Some(PendingKey {
                            text: done.key_text,
                            span: done.local,
                            is_merge: done.is_merge_key,
                        });
                    }
                    Some(k) if k.is_merge => {
                        let ok = match &done.node.value {
                            Value::Map(_) => true,
                            Value::Seq(items) => items.iter().all(|n| n.as_map().is_some()),
                            _ => false,
                        };
                        if !ok {
                            let at = done.local.start;
                            return Err(self.error_at(
                                at,
                                "map merge requires a map or a list of maps as the value of `<<`",
                            ));
                        }
                        merges.push(done.node);
                    }
                    Some(k) => entries.push(Entry {
                        key: k.text,
                        key_span: Some(k.span),
                        node: done.node,
                    }),
                }
            }
        }
        Ok(())
    }
}

/// Applies `<<` merges the YAML 1.1 way: explicit keys win, and among merged maps the earlier
/// one wins (go-yaml walks a merge list backwards so that earlier maps take precedence).
fn apply_merges(mut entries: Vec<Entry>, merges: Vec<Node>) -> Vec<Entry> {
    if merges.is_empty() {
        return entries;
    }
    let mut seen: HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
    let mut add = |map: Vec<Entry>, entries: &mut Vec<Entry>| {
        for entry in map {
            if seen.insert(entry.key.clone()) {
                entries.push(entry);
            }
        }
    };
    for merge in merges {
        match merge.value {
            Value::Map(map) => add(map, &mut entries),
            Value::Seq(items) => {
                for item in items {
                    if let Value::Map(map) = item.value {
                        add(map, &mut entries);
                    }
                }
            }
            _ => {}
        }
    }
    entries
}

/// Number of nodes in a tree (for the alias-expansion budget).
fn node_count(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(node_count).sum(),
        Value::Map(entries) => entries.iter().map(|e| node_count(&e.node)).sum(),
        _ => 0,
    }
}

/// The text a node stands for when it is used as a mapping key (Helm keys are strings).
fn key_text(node: &Node, text: &str) -> String {
    match &node.value {
        Value::String(s) | Value::Number(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::Seq(_) | Value::Map(_) => node
            .span
            .and_then(|s| text.get(s.start..s.end))
            .map(str::to_string)
            .unwrap_or_default(),
    }
}

/// End of a quoted scalar that starts at `start`: one past its closing quote.
///
/// saphyr's range for a quoted scalar runs on to the next token, over blanks and a trailing
/// comment (`k: "v" # note`); an edit or a mask must stop at the quote.
fn quoted_end(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    let Some(&quote) = bytes.get(start).filter(|&&b| b == b'"' || b == b'\'') else {
        return end;
    };
    let mut i = start + 1;
    while i < end.min(bytes.len()) {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    end
}

/// Skips anchors (`&a`) and tags (`!!str`) at `start`, with the blanks and comments after them.
fn skip_properties(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = start;
    while i < end && matches!(bytes.get(i), Some(b'&' | b'!')) {
        while i < end && !matches!(bytes.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            i += 1;
        }
        i = skip_blanks_and_comments(bytes, i, end);
    }
    i.min(end.max(start))
}

fn skip_blanks_and_comments(bytes: &[u8], mut i: usize, end: usize) -> usize {
    while i < end {
        match bytes.get(i) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => i += 1,
            Some(b'#') => {
                while i < end && bytes.get(i) != Some(&b'\n') {
                    i += 1;
                }
            }
            _ => break,
        }
    }
    i
}

/// The range of a block scalar: from its `|`/`>` indicator to the end of its last non-blank
/// content line, excluding that line's break and any trailing blank lines (also with `|+`).
///
/// `from` is where the indicator search starts (the end of the previous event or of the
/// node's properties), `content` and `end` are saphyr's range for the scalar.
fn block_scalar_range(text: &str, from: usize, content: usize, end: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut indicator = None;
    while i < content.max(end) {
        match bytes.get(i) {
            Some(b' ' | b'\t' | b'\r' | b'\n' | b':' | b'-' | b'?') => i += 1,
            Some(b'#') => {
                while i < end && bytes.get(i) != Some(&b'\n') {
                    i += 1;
                }
            }
            Some(b'&' | b'!') => {
                while i < end && !matches!(bytes.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                    i += 1;
                }
            }
            Some(b'|' | b'>') => {
                indicator = Some(i);
                break;
            }
            _ => break,
        }
    }
    let Some(start) = indicator else {
        return (
            content,
            trim_block_end(bytes, content, end).unwrap_or(content),
        );
    };
    let mut header_end = start + 1;
    while matches!(bytes.get(header_end), Some(b'0'..=b'9' | b'+' | b'-')) {
        header_end += 1;
    }
    // Content begins on the line after the header; the header may carry a comment.
    let body = bytes[header_end..end.max(header_end)]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(end, |p| header_end + p + 1);
    let stop = trim_block_end(bytes, body, end).unwrap_or(header_end);
    (start, stop.max(header_end))
}

/// End of the last non-blank line in `from..end`, keeping trailing spaces of that line.
fn trim_block_end(bytes: &[u8], from: usize, end: usize) -> Option<usize> {
    let end = end.min(bytes.len());
    if from >= end {
        return None;
    }
    let last = bytes[from..end]
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))?;
    let mut stop = from + last + 1;
    while stop < end && matches!(bytes[stop], b' ' | b'\t') {
        stop += 1;
    }
    Some(stop)
}

/// The value of an explicitly tagged scalar.
fn tagged_value(tag: &Tag, value: &str) -> Value {
    if tag.is_yaml_core_schema() {
        match tag.suffix.as_str() {
            "int" | "float" => return Value::Number(value.to_string()),
            "null" => return Value::Null,
            "bool" => {
                if let Some(b) = yaml11_bool(value) {
                    return Value::Bool(b);
                }
                return Value::String(value.to_string());
            }
            // `!!str`, `!!binary` (kept as its base64 text) and anything else core.
            _ => return Value::String(value.to_string()),
        }
    }
    // go-yaml v2 leaves scalars with a tag it does not know as strings; a bare `!` (the
    // non-specific tag) forces a string too.
    Value::String(value.to_string())
}

/// YAML 1.1 booleans as go-yaml v2 resolves them.
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// Types a plain scalar as go-yaml v2 does (YAML 1.1 resolution).
///
/// Timestamps (`2024-01-01`) stay strings here: go-yaml would make them a time that
/// sigs.k8s.io/yaml turns back into an RFC 3339 string, which is still a string.
pub(crate) fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return Value::Number(s.to_string()),
        _ => {}
    }
    if let Some(b) = yaml11_bool(s) {
        return Value::Bool(b);
    }
    if is_yaml11_number(s) {
        return Value::Number(s.to_string());
    }
    Value::String(s.to_string())
}

/// Whether go-yaml v2 would resolve a plain scalar as an int or a float.
fn is_yaml11_number(s: &str) -> bool {
    let Some(first) = s.bytes().next() else {
        return false;
    };
    if first == b'.' {
        // go-yaml: "not in the map, so maybe a normal float" → strconv.ParseFloat.
        return s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
            && s.parse::<f64>().is_ok();
    }
    if !(first.is_ascii_digit() || first == b'+' || first == b'-') {
        return false;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    go_parse_int(&plain) || is_yaml_style_float(&plain)
}

/// Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeds.
fn go_parse_int(s: &str) -> bool {
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = rest.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &rest[2..]),
        Some("0o") => (8, &rest[2..]),
        Some("0b") => (2, &rest[2..]),
        _ if rest.len() > 1 && rest.starts_with('0') => (8, &rest[1..]),
        _ => (10, rest),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return false;
    }
    let Ok(magnitude) = u128::from_str_radix(digits, radix) else {
        return false;
    };
    if negative {
        magnitude <= u128::from(i64::MAX.unsigned_abs()) + 1
    } else {
        // A leading `+` is only accepted by ParseInt, so it caps at i64::MAX.
        let max = if s.starts_with('+') {
            u128::from(i64::MAX.unsigned_abs())
        } else {
            u128::from(u64::MAX)
        };
        magnitude <= max
    }
}

/// go-yaml v2's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: SourceId = SourceId(0);

    fn parse1(text: &str) -> Node {
        let mut docs = parse_documents(SRC, text).unwrap();
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.remove(0)
    }

    fn slice<'t>(text: &'t str, node: &Node) -> &'t str {
        let span = node.span.unwrap();
        &text[span.start..span.end]
    }

    #[test]
    fn spans_for_every_scalar_style() {
        let text = "plain: hello world\n\
                    single: 'it''s'\n\
                    double: \"a\\tb\"\n\
                    literal: |\n  line one\n  line two\n\n\
                    strip: |-\n  x\n\
                    keep: |+\n  y\n\n\
                    folded: >\n  a\n  b\n\
                    indented: |2\n    four\n\
                    commented: | # why\n  z\n\
                    empty:\n\
                    emptycomment: # nothing\n\
                    multi: first\n  second\n\
                    flow: [1, {k: v}]\n\
                    last: end";
        let root = parse1(text);
        let cases = [
            ("plain", "hello world", ScalarStyle::Plain),
            ("single", "'it''s'", ScalarStyle::SingleQuoted),
            ("double", "\"a\\tb\"", ScalarStyle::DoubleQuoted),
            ("literal", "|\n  line one\n  line two", ScalarStyle::Literal),
            ("strip", "|-\n  x", ScalarStyle::Literal),
            ("keep", "|+\n  y", ScalarStyle::Literal),
            ("folded", ">\n  a\n  b", ScalarStyle::Folded),
            ("indented", "|2\n    four", ScalarStyle::Literal),
            ("commented", "| # why\n  z", ScalarStyle::Literal),
            ("multi", "first\n  second", ScalarStyle::Plain),
            ("last", "end", ScalarStyle::Plain),
        ];
        for (key, expected, style) in cases {
            let node = root.get(key).unwrap();
            assert_eq!(slice(text, node), expected, "{key}");
            assert_eq!(node.style, Some(style), "{key}");
            let entry = root.entry(key).unwrap();
            let ks = entry.key_span.unwrap();
            assert_eq!(&text[ks.start..ks.end], key);
        }
        assert_eq!(
            root.get("literal").unwrap().as_str(),
            Some("line one\nline two\n")
        );
        assert_eq!(root.get("keep").unwrap().as_str(), Some("y\n\n"));
        assert_eq!(root.get("indented").unwrap().as_str(), Some("  four\n"));
        assert_eq!(root.get("multi").unwrap().as_str(), Some("first second"));
        assert_eq!(root.get("double").unwrap().as_str(), Some("a\tb"));
        assert_eq!(slice(text, root.get("flow").unwrap()), "[1, {k: v}]");
        for key in ["empty", "emptycomment"] {
            let node = root.get(key).unwrap();
            let span = node.span.unwrap();
            assert_eq!(span.start, span.end, "{key}");
            assert_eq!(node.value, Value::Null);
            let key_span = root.entry(key).unwrap().key_span.unwrap();
            assert_eq!(&text[key_span.start..span.start], format!("{key}:"));
        }
    }

    #[test]
    fn quoted_spans_stop_at_the_closing_quote() {
        // Regression: the span ran on over a trailing comment, so an edit or a mask ate it.
        for (text, want) in [
            ("k: \"\" # pin it\n", "\"\""),
            ("k: \"a\\\"b\" # c\n", "\"a\\\"b\""),
            ("k: 'it''s'  # c\n", "'it''s'"),
            ("a: {k: \"x\" , b: 1}\n", "\"x\""),
        ] {
            let root = parse1(text);
            let node = root.get("k").or_else(|| root.get_path("a.k")).unwrap();
            assert_eq!(slice(text, node), want, "{text:?}");
        }
    }

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a:\n  b: c\n";
        let root = parse1(text);
        let span = root.get_path("a.b").unwrap().span.unwrap();
        assert_eq!((span.line, span.column), (2, 6));
        let key_span = root.entry_path("a.b").unwrap().key_span.unwrap();
        assert_eq!((key_span.line, key_span.column), (2, 3));
    }

    #[test]
    fn spans_are_bytes_with_crlf_bom_and_non_ascii() {
        let text = "\u{feff}name: \u{e9}t\u{e9} \u{1f600}\r\nkey: |\r\n  l1\r\n  l2\r\nq: \"\u{fc}\"\r\nafter: x\r\n";
        let root = parse1(text);
        assert_eq!(
            slice(text, root.get("name").unwrap()),
            "\u{e9}t\u{e9} \u{1f600}"
        );
        assert_eq!(slice(text, root.get("key").unwrap()), "|\r\n  l1\r\n  l2");
        assert_eq!(root.get("key").unwrap().as_str(), Some("l1\nl2\n"));
        assert_eq!(slice(text, root.get("q").unwrap()), "\"\u{fc}\"");
        let after = root.get("after").unwrap();
        assert_eq!(slice(text, after), "x");
        assert_eq!(after.span.unwrap().line, 6);
        let name_key = root.entry("name").unwrap().key_span.unwrap();
        // The BOM is not a column.
        assert_eq!((name_key.line, name_key.column), (1, 1));
        let name = root.get("name").unwrap().span.unwrap();
        assert_eq!((name.line, name.column), (1, 7));
    }

    #[test]
    fn block_scalars_in_sequences_and_with_properties() {
        let text =
            "list:\n- |\n  a\n- >-\n  b\nt: !!str |\n  c\nanch: &x |\n  d\nempty: |\nnext: 1\n";
        let root = parse1(text);
        let Value::Seq(items) = &root.get("list").unwrap().value else {
            panic!()
        };
        assert_eq!(slice(text, &items[0]), "|\n  a");
        assert_eq!(slice(text, &items[1]), ">-\n  b");
        assert_eq!(slice(text, root.get("t").unwrap()), "|\n  c");
        assert_eq!(slice(text, root.get("anch").unwrap()), "|\n  d");
        assert_eq!(slice(text, root.get("empty").unwrap()), "|");
        assert_eq!(root.get("empty").unwrap().as_str(), Some(""));
        // After a nested block mapping, and at the document root.
        let text = "- a: 1\n  b: 2\n- |\n  x\n";
        let docs = parse_documents(SRC, text).unwrap();
        let Value::Seq(items) = &docs[0].value else {
            panic!()
        };
        assert_eq!(slice(text, &items[0]), "a: 1\n  b: 2");
        assert_eq!(slice(text, &items[1]), "|\n  x");
        let text = "--- >\n  folded\n";
        assert_eq!(slice(text, &parse1(text)), ">\n  folded");
    }

    #[test]
    fn typing_follows_helm() {
        let cases: &[(&str, Value)] = &[
            ("1234567890123456", Value::Number("1234567890123456".into())),
            ("\"123\"", Value::String("123".into())),
            ("'true'", Value::String("true".into())),
            ("yes", Value::Bool(true)),
            ("Off", Value::Bool(false)),
            ("y", Value::Bool(true)),
            ("N", Value::Bool(false)),
            ("TRUE", Value::Bool(true)),
            ("tRUE", Value::String("tRUE".into())),
            ("~", Value::Null),
            ("null", Value::Null),
            ("NULL", Value::Null),
            ("nULL", Value::String("nULL".into())),
            ("0x1F", Value::Number("0x1F".into())),
            ("0o17", Value::Number("0o17".into())),
            ("0777", Value::Number("0777".into())),
            ("0b101", Value::Number("0b101".into())),
            ("-1_000", Value::Number("-1_000".into())),
            ("+12", Value::Number("+12".into())),
            ("1.5", Value::Number("1.5".into())),
            ("1e3", Value::Number("1e3".into())),
            ("-.Inf", Value::Number("-.Inf".into())),
            (".nan", Value::Number(".nan".into())),
            (".5", Value::Number(".5".into())),
            ("08", Value::Number("08".into())),
            ("1.2.3", Value::String("1.2.3".into())),
            ("0x", Value::String("0x".into())),
            ("v1.2", Value::String("v1.2".into())),
            ("2024-01-01", Value::String("2024-01-01".into())),
            ("!!str 12", Value::String("12".into())),
            ("!!int \"12\"", Value::Number("12".into())),
            ("!!float 1", Value::Number("1".into())),
            ("!!bool yes", Value::Bool(true)),
            ("!!null x", Value::Null),
            ("!!binary aGk=", Value::String("aGk=".into())),
            ("|\n  yes", Value::String("yes\n".into())),
        ];
        for (src, expected) in cases {
            let text = format!("v: {src}\n");
            let root = parse1(&text);
            assert_eq!(&root.get("v").unwrap().value, expected, "{src}");
        }
        let root = parse1("m: {}\nl: []\n");
        assert_eq!(root.get("m").unwrap().value, Value::Map(vec![]));
        assert_eq!(root.get("l").unwrap().value, Value::Seq(vec![]));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text = "base: &b\n  x: 1\n  y: 2\nother: &o {y: 20, z: 30}\n\
                    copy: *b\n\
                    one:\n  <<: *b\n  y: 3\n\
                    before:\n  y: 4\n  <<: *b\n\
                    many:\n  <<: [*o, *b]\n  w: 0\n";
        let root = parse1(text);
        let copy = root.get("copy").unwrap();
        assert_eq!(copy.get("x").unwrap().value, Value::Number("1".into()));
        // The clone keeps the anchored node's spans.
        assert_eq!(
            copy.get("x").unwrap().span,
            root.get_path("base.x").unwrap().span
        );
        let one = root.get("one").unwrap();
        assert_eq!(one.get("x").unwrap().value, Value::Number("1".into()));
        assert_eq!(one.get("y").unwrap().value, Value::Number("3".into()));
        assert!(one.get("<<").is_none());
        assert_eq!(
            root.get_path("before.y").unwrap().value,
            Value::Number("4".into())
        );
        let many = root.get("many").unwrap();
        assert_eq!(many.get("y").unwrap().value, Value::Number("20".into()));
        assert_eq!(many.get("x").unwrap().value, Value::Number("1".into()));
        assert_eq!(many.get("z").unwrap().value, Value::Number("30".into()));
        // A quoted "<<" is an ordinary key.
        let root = parse1("\"<<\": 1\n");
        assert!(root.get("<<").is_some());
    }

    #[test]
    fn bad_merge_and_unknown_alias_are_errors() {
        assert!(matches!(
            parse_documents(SRC, "a:\n  <<: 1\n"),
            Err(Error::Yaml { .. })
        ));
        assert!(matches!(
            parse_documents(SRC, "a: *nope\n"),
            Err(Error::Yaml { .. })
        ));
    }

    #[test]
    fn alias_bombs_are_refused() {
        use std::fmt::Write as _;
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            let refs = vec![format!("*a{p}"); 10].join(", ");
            writeln!(text, "a{i}: &a{i} [{refs}]").unwrap();
        }
        let err = parse_documents(SRC, &text).unwrap_err();
        assert!(err.to_string().contains("too many nodes"), "{err}");
    }

    #[test]
    fn multi_document_streams_and_empty_documents() {
        let docs = parse_documents(SRC, "a: 1\n---\n# only a comment\n---\n- x\n...\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert!(docs[0].get("a").is_some());
        assert_eq!(docs[1].value, Value::Null);
        assert!(matches!(docs[2].value, Value::Seq(_)));
        assert!(parse_documents(SRC, "").unwrap().is_empty());
        assert!(parse_documents(SRC, "# nothing\n").unwrap().is_empty());
    }

    #[test]
    fn json_input_and_non_string_keys() {
        let text = r#"{"a": {"b": [1, "two", true, null]}, "c": 1.5}"#;
        let root = parse1(text);
        let Value::Seq(items) = &root.get_path("a.b").unwrap().value else {
            panic!()
        };
        assert_eq!(items[1].value, Value::String("two".into()));
        assert_eq!(items[3].value, Value::Null);
        assert_eq!(slice(text, &items[1]), "\"two\"");
        let root = parse1("1: a\ntrue: b\n0x10: c\n");
        let keys: Vec<_> = root
            .as_map()
            .unwrap()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["1", "true", "0x10"]);
    }

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let root = parse1("a: 1\na: 2\n");
        assert_eq!(root.as_map().unwrap().len(), 2);
        assert_eq!(root.get("a").unwrap().value, Value::Number("2".into()));
    }

    #[test]
    fn errors_have_positions_and_no_content() {
        let err = parse_documents(SRC, "a: ok\nsecret: \"hunter2\n").unwrap_err();
        let Error::Yaml {
            line,
            column,
            message,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert!(*line >= 2, "{err}");
        assert!(*column >= 1);
        assert!(!message.contains("hunter2"));
        let err = parse_named(SRC, "v.yaml", "a: [1, 2\n").unwrap_err();
        assert!(err.to_string().starts_with("v.yaml:"), "{err}");
        let err = parse_documents(SRC, "a: b: c\n").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Yaml {
                    line: 1,
                    column: 5,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(MAX_DEPTH + 10);
        assert!(parse_documents(SRC, &text).is_err());
    }

    /// Checks every span of a tree against the text it claims to cover.
    fn check_spans(text: &str, node: &Node, file: &str) {
        let span = node.span.unwrap();
        let raw = &text[span.start..span.end];
        match node.style {
            Some(ScalarStyle::SingleQuoted) => {
                assert!(
                    raw.starts_with('\'') && raw.ends_with('\''),
                    "{file}:{}",
                    span.line
                );
            }
            Some(ScalarStyle::DoubleQuoted) => {
                assert!(
                    raw.starts_with('"') && raw.ends_with('"'),
                    "{file}:{}",
                    span.line
                );
            }
            Some(ScalarStyle::Literal) => assert!(raw.starts_with('|'), "{file}:{}", span.line),
            Some(ScalarStyle::Folded) => assert!(raw.starts_with('>'), "{file}:{}", span.line),
            Some(ScalarStyle::Plain) if !raw.contains('\n') => {
                let expected = match &node.value {
                    Value::String(s) | Value::Number(s) => s.as_str(),
                    _ => raw,
                };
                assert_eq!(raw, expected, "{file}:{}", span.line);
            }
            _ => {}
        }
        match &node.value {
            Value::Seq(items) => items.iter().for_each(|n| check_spans(text, n, file)),
            Value::Map(entries) => {
                for entry in entries {
                    let ks = entry.key_span.unwrap();
                    let key_raw = &text[ks.start..ks.end];
                    assert!(
                        key_raw == entry.key || key_raw.contains(&entry.key),
                        "{file}:{}",
                        ks.line
                    );
                    check_spans(text, &entry.node, file);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn spans_hold_on_shared_values_files() {
        let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
        if !base.is_dir() {
            crate::test_skip(&format!(
                "spans_hold_on_shared_values_files: {} is absent",
                base.display()
            ));
            return;
        }
        let mut files = Vec::new();
        for dir in ["harbor-helm", "real-world-values"] {
            let Ok(entries) = std::fs::read_dir(base.join(dir)) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                if path.is_dir() {
                    files.push(path.join("values.yaml"));
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(path);
                }
            }
        }
        assert!(!files.is_empty());
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let file = path.display().to_string();
            for doc in parse_documents(SRC, &text).unwrap_or_else(|e| panic!("{file}: {e}")) {
                check_spans(&text, &doc, &file);
            }
        }
    }
}
