//! Helm values as spanned YAML trees.
//!
//! This module owns everything between the bytes of a values file and the merged, effective
//! values a rule looks at: the span-aware YAML tree (every key and scalar keeps its byte range,
//! line and column), Helm 3 merging of several files, `--set`/`--set-string`/`--set-file`,
//! unwrapping of Flux `HelmRelease` and Argo CD `Application` documents, deploy-time
//! placeholders, Secret manifests as `kubectl get secret -o yaml|json` prints them, and
//! format-preserving byte-range edits of values files ([`edit`]).
//! It reads files and standard input; it never talks to a cluster.

mod doc_kind;
pub mod edit;
pub mod edit_rollback;
pub mod emit;
mod error;
mod json;
mod line_index;
mod load;
mod merge;
pub mod placeholder;
pub mod secret_manifest;
mod set;
mod source;
mod yaml;

pub use doc_kind::PinnedChart;
pub use error::Error;
pub use line_index::LineIndex;
pub use load::{load, DocKind, LoadOptions, LoadedDoc, Values};
pub use merge::{merge_into, prune_nulls};
pub use secret_manifest::{
    load_secret_file, secrets_from_text, secrets_in_documents, SecretEntry, SecretObject,
};
pub use set::{apply_set, SetKind};
pub use source::{SourceFile, SourceId, SourceOrigin, Sources};
pub use yaml::{parse_documents, parse_named};

/// How many texts the YAML reader has parsed on this thread (tests pin parse counts).
#[cfg(test)]
pub(crate) fn yaml_parses() -> usize {
    yaml::PARSES.with(std::cell::Cell::get)
}

/// A byte range in one source, with the 1-based line and column of its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    /// Which source the range is in.
    pub source: SourceId,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column of `start`, counted in characters.
    pub column: usize,
}

/// How a scalar was written in YAML; decides what Helm renders and how an edit must be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    /// `key: value`
    Plain,
    /// `key: 'value'`
    SingleQuoted,
    /// `key: "value"`
    DoubleQuoted,
    /// `key: |` (any chomping indicator)
    Literal,
    /// `key: >` (any chomping indicator)
    Folded,
}

/// The value of a node, typed the way Helm (YAML → JSON) sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null`, `Null`, `NULL` or an empty plain value.
    Null,
    /// A YAML 1.1 boolean as Helm's parser (go-yaml v2) resolves it: `true`, `yes`, `on`, `y`
    /// and their capitalised and negative forms.
    Bool(bool),
    /// An integer or float, kept as written (`1234567890123456`, `0x1F`, `1e3`).
    Number(String),
    /// A string scalar, already unescaped / folded / chomped.
    String(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as a string (Helm values keys are strings).
    pub key: String,
    /// Where the key is written, or `None` for keys made by `--set`.
    pub key_span: Option<Span>,
    /// The value.
    pub node: Node,
}

/// A YAML node with its place in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The typed value.
    pub value: Value,
    /// Byte range of the value (for block scalars: from the indicator to the end of the content).
    pub span: Option<Span>,
    /// The scalar style, `None` for collections and for values made by `--set`.
    pub style: Option<ScalarStyle>,
}

impl Node {
    /// A node with no source location (made by `--set` or by a default).
    pub fn synthetic(value: Value) -> Self {
        Node {
            value,
            span: None,
            style: None,
        }
    }

    /// The entries if this is a map.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The string if this is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The entry for `key` if this is a map (the last one wins, as in Helm).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().rev().find(|e| e.key == key)
    }

    /// The child node for `key` if this is a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.node)
    }

    /// The node at a dotted path such as `core.tokenKey`.
    pub fn get_path(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |node, key| node.get(key))
    }

    /// The entry at a dotted path (gives access to the key's span).
    pub fn entry_path(&self, path: &str) -> Option<&Entry> {
        let (parent, last) = match path.rsplit_once('.') {
            Some((parent, last)) => (self.get_path(parent)?, last),
            None => (self, path),
        };
        parent.entry(last)
    }

    /// A short name of the node's YAML type, for messages (`string`, `number`, `map` …).
    pub fn type_name(&self) -> &'static str {
        self.value.type_name()
    }
}

impl Value {
    /// A short name of the YAML type, for messages (`string`, `number`, `map` …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "map",
        }
    }
}
