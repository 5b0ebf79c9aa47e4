//! `--set`, `--set-string` and `--set-file` with Helm's `strvals` syntax.
//!
//! This is a port of Helm 3's `pkg/strvals/parser.go`: `a.b=c`, several pairs separated by `,`,
//! backslash escapes (`\,`, `\.`, `\=`, any `\x` is `x`), list indexes (`a[0]=x`, `a[1].b=y`,
//! padded with nulls), list literals (`a={x,y}`) and the same value typing. Like Helm, a
//! `--set` parses *into* the values merged from the files, so `a.b=1` fails when the files made
//! `a` a string or null (Helm reports an interface-conversion error there).
//!
//! Deviation: Helm silently ignores an empty key (`=1`, `a.=1`); here it is an error, because
//! it is always a typo. Created nodes point at the value's bytes inside the argument (for
//! `--set-file`, at the path), so findings can say `--set:1:12`.

use super::yaml::Positions;
use super::{Entry, Error, Node, SourceId, Span, Value};
use crate::input::Kind;

/// Helm's limit on `a.b.c…` nesting (`MaxNestedNameLevel`).
const MAX_NESTED_NAME_LEVEL: usize = 30;
/// Helm's limit on list indexes (`MaxIndex`): `a[65536]` is the largest allowed.
const MAX_INDEX: usize = 65_536;
/// Limit on the nesting of one key path, names and list indexes together (`a[0][0]…`): the
/// same as for YAML, since the tree is walked recursively afterwards. Helm has none.
const MAX_DEPTH: usize = super::yaml::MAX_DEPTH;
/// Limit on the values all `--set*` arguments of one run create together, counting the nulls
/// a list index pads with (room for three lists at Helm's largest index). Helm has none.
pub(crate) const MAX_SET_VALUES: usize = 1 << 18;
/// How much of a key path an error message shows.
const SHOWN_PATH: usize = 80;

/// What the `--set*` arguments of one run may still create ([`MAX_SET_VALUES`]).
#[derive(Debug)]
pub(crate) struct SetBudget {
    left: usize,
}

impl Default for SetBudget {
    fn default() -> Self {
        SetBudget {
            left: MAX_SET_VALUES,
        }
    }
}

/// Which flag an argument came from; decides the typing of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: `true`/`false`/`null`/integers are typed, the rest are strings.
    Set,
    /// `--set-string`: every value is a string.
    SetString,
    /// `--set-file`: every value is a path whose file content becomes a string.
    SetFile,
}

impl SetKind {
    /// The flag as the user types it.
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Set => "--set",
            SetKind::SetString => "--set-string",
            SetKind::SetFile => "--set-file",
        }
    }
}

/// Applies one `--set`-style argument to `root` (a map; anything else is first replaced by an
/// empty map).
///
/// `source` is the id of `arg` in [`super::Sources`] and `index` the 1-based position of the
/// argument among those of its flag (for messages). Messages may name key paths and, for
/// `--set-file`, the path, but never a value.
pub fn apply_set(
    root: &mut Node,
    kind: SetKind,
    arg: &str,
    source: SourceId,
    index: usize,
) -> Result<(), Error> {
    apply_set_within(root, kind, arg, source, index, &mut SetBudget::default())
}

/// [`apply_set`] drawing on a budget shared by every argument of a run.
pub(crate) fn apply_set_within(
    root: &mut Node,
    kind: SetKind,
    arg: &str,
    source: SourceId,
    index: usize,
    budget: &mut SetBudget,
) -> Result<(), Error> {
    if !matches!(root.value, Value::Map(_)) {
        *root = Node {
            value: Value::Map(Vec::new()),
            span: root.span,
            style: None,
        };
    }
    let Value::Map(entries) = &mut root.value else {
        return Ok(());
    };
    let mut parser = StrVals {
        arg,
        pos: 0,
        kind,
        source,
        positions: Positions::new(arg),
        path: Vec::new(),
        budget,
    };
    loop {
        match parser.key(entries, 0) {
            Ok(Step::Continue) => {}
            Ok(Step::Eof) => return Ok(()),
            Err(reason) => {
                return Err(Error::InvalidSet {
                    flag: kind.flag(),
                    index,
                    reason,
                })
            }
        }
    }
}

/// What the parser does after a key: go on with the next pair or stop at the end of input.
enum Step {
    Continue,
    Eof,
}

/// Why `valList` did not produce a list.
enum ListErr {
    Eof,
    NotList,
    Other(String),
}

/// Runes read up to a stop character, with the raw byte range they occupy in the argument.
struct Run {
    text: String,
    start: usize,
    end: usize,
    /// The stop character, `None` at the end of input.
    last: Option<char>,
}

struct StrVals<'a> {
    arg: &'a str,
    pos: usize,
    kind: SetKind,
    source: SourceId,
    positions: Positions<'a>,
    /// The key path so far, for messages.
    path: Vec<String>,
    budget: &'a mut SetBudget,
}

impl StrVals<'_> {
    fn next_char(&mut self) -> Option<char> {
        let c = self.arg[self.pos..].chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn peek_char(&self) -> Option<char> {
        self.arg[self.pos..].chars().next()
    }

    /// Helm's `runesUntil`: reads until a stop character, `\x` stands for `x`.
    fn runes_until(&mut self, stop: &[char]) -> Run {
        let start = self.pos;
        let mut text = String::new();
        loop {
            let before = self.pos;
            match self.next_char() {
                None => {
                    return Run {
                        text,
                        start,
                        end: before,
                        last: None,
                    }
                }
                Some(c) if stop.contains(&c) => {
                    return Run {
                        text,
                        start,
                        end: before,
                        last: Some(c),
                    };
                }
                Some('\\') => match self.next_char() {
                    None => {
                        return Run {
                            text,
                            start,
                            end: before,
                            last: None,
                        }
                    }
                    Some(c) => text.push(c),
                },
                Some(c) => text.push(c),
            }
        }
    }

    /// The key path so far followed by `key`, cut to its first [`SHOWN_PATH`] characters.
    fn path_with(&self, key: &str) -> String {
        let mut p = String::new();
        for step in self.path.iter().map(String::as_str).chain([key]) {
            if !p.is_empty() && !step.starts_with('[') {
                p.push('.');
            }
            p.push_str(step);
            if p.len() > SHOWN_PATH {
                break;
            }
        }
        if let Some((cut, _)) = p.char_indices().nth(SHOWN_PATH) {
            p.truncate(cut);
            p.push('…');
        }
        p
    }

    /// Refuses a path nested deeper than [`MAX_DEPTH`] (names and list indexes together).
    fn check_depth(&self, key: &str) -> Result<(), String> {
        if self.path.len() >= MAX_DEPTH {
            return Err(format!(
                "`{}` is nested deeper than {MAX_DEPTH} levels (keys and list indexes together)",
                self.path_with(key)
            ));
        }
        Ok(())
    }

    /// Takes `n` values from the run's budget.
    fn spend(&mut self, n: usize, key: &str) -> Result<(), String> {
        if n > self.budget.left {
            return Err(format!(
                "`{}`: the --set arguments would create more than {MAX_SET_VALUES} values in all (a list index pads the list with nulls up to it)",
                self.path_with(key)
            ));
        }
        self.budget.left -= n;
        Ok(())
    }

    /// Helm's `setIndex`: pads with nulls up to `i`, within the budget.
    fn set_index(&mut self, list: &mut Vec<Node>, i: usize, node: Node) -> Result<(), String> {
        let grow = (i + 1).saturating_sub(list.len());
        self.spend(grow, &format!("[{i}]"))?;
        if grow > 0 {
            list.resize(i + 1, Node::synthetic(Value::Null));
        }
        list[i] = node;
        Ok(())
    }

    fn span(&self, start: usize, end: usize) -> Span {
        self.positions.span(self.source, start, end)
    }

    fn key(&mut self, data: &mut Vec<Entry>, level: usize) -> Result<Step, String> {
        let run = self.runes_until(&['=', '[', ',', '.']);
        let k = run.text;
        match run.last {
            None if k.is_empty() => Ok(Step::Eof),
            None => Err(format!("key `{}` has no value", self.path_with(&k))),
            Some(_) if k.is_empty() => Err(if self.path.is_empty() {
                "empty key".to_string()
            } else {
                format!("empty key after `{}`", self.path.join("."))
            }),
            Some(',') => Err(format!(
                "key `{}` has no value (cannot end with `,`)",
                self.path_with(&k)
            )),
            Some('[') => {
                self.check_depth(&k)?;
                let i = self.key_index(&k)?;
                let at = data.iter().rposition(|e| e.key == k);
                let list = match at.map(|i| &mut data[i].node.value) {
                    None => Vec::new(),
                    Some(Value::Seq(items)) => std::mem::take(items),
                    Some(other) => {
                        return Err(format!(
                            "`{}` is a {} in the values, not a list",
                            self.path_with(&k),
                            other.type_name()
                        ))
                    }
                };
                self.path.push(k.clone());
                let (list, step) = self.list_item(list, i, level);
                self.path.pop();
                set(data, &k, Node::synthetic(Value::Seq(list)));
                step
            }
            Some('=') => {
                let start = self.pos;
                match self.val_list(&k) {
                    Ok((items, end)) => {
                        let node = Node {
                            value: Value::Seq(items),
                            span: Some(self.span(start, end)),
                            style: None,
                        };
                        set_from_flag(data, &k, node);
                        Ok(Step::Continue)
                    }
                    Err(ListErr::Eof) => {
                        let node = self.typed(String::new(), start, start, &k)?;
                        set_from_flag(data, &k, node);
                        Ok(Step::Eof)
                    }
                    Err(ListErr::NotList) => {
                        let run = self.runes_until(&[',']);
                        let node = self.typed(run.text, run.start, run.end, &k)?;
                        set_from_flag(data, &k, node);
                        Ok(Step::Continue)
                    }
                    Err(ListErr::Other(e)) => Err(e),
                }
            }
            Some(_) => {
                // '.': descend into (or create) a map.
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return Err(format!(
                        "`{}`: value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}",
                        self.path_with(&k)
                    ));
                }
                let at = data.iter().rposition(|e| e.key == k);
                let mut fresh = Vec::new();
                let inner = match at.map(|i| &mut data[i].node.value) {
                    None => &mut fresh,
                    Some(Value::Map(entries)) => entries,
                    Some(other) => {
                        return Err(format!(
                            "`{}` is a {} in the values, not a map",
                            self.path_with(&k),
                            other.type_name()
                        ))
                    }
                };
                self.path.push(k.clone());
                let step = self.key(inner, level);
                self.path.pop();
                let empty = inner.is_empty();
                if matches!(step, Ok(Step::Continue)) && empty {
                    return Err(format!("key map `{}` has no value", self.path_with(&k)));
                }
                if at.is_none() && !empty {
                    set(data, &k, Node::synthetic(Value::Map(fresh)));
                }
                step
            }
        }
    }

    /// Helm's `keyIndex`: the decimal number before `]`.
    fn key_index(&mut self, key: &str) -> Result<usize, String> {
        let run = self.runes_until(&[']']);
        if run.last.is_none() {
            return Err(format!(
                "list index of `{}` is not closed with `]`",
                self.path_with(key)
            ));
        }
        // Go's strconv.Atoi: optional sign, decimal digits.
        let index: i64 = run.text.parse().map_err(|_| {
            format!(
                "list index `{}` of `{}` is not a number",
                run.text,
                self.path_with(key)
            )
        })?;
        // Helm's wording (`setIndex`), with the key path.
        if index < 0 {
            return Err(format!(
                "`{}`: negative {index} index not allowed",
                self.path_with(key)
            ));
        }
        usize::try_from(index)
            .ok()
            .filter(|&i| i <= MAX_INDEX)
            .ok_or_else(|| {
                format!(
                    "`{}`: index of {index} is greater than maximum supported index of {MAX_INDEX}",
                    self.path_with(key)
                )
            })
    }

    /// Helm's `listItem`: what follows `key[i]`.
    fn list_item(
        &mut self,
        mut list: Vec<Node>,
        i: usize,
        level: usize,
    ) -> (Vec<Node>, Result<Step, String>) {
        let name = format!("[{i}]");
        let run = self.runes_until(&['[', '.', '=']);
        if !run.text.is_empty() {
            let path = self.path_with(&name);
            return (
                list,
                Err(format!("unexpected data after the list index of `{path}`")),
            );
        }
        match run.last {
            // Helm stops quietly on `a[0]` with nothing after it.
            None => (list, Ok(Step::Eof)),
            Some('=') => {
                let start = self.pos;
                let node = match self.val_list(&name) {
                    Ok((items, end)) => Node {
                        value: Value::Seq(items),
                        span: Some(self.span(start, end)),
                        style: None,
                    },
                    Err(ListErr::Eof) => match self.typed(String::new(), start, start, &name) {
                        Ok(node) => node,
                        Err(e) => return (list, Err(e)),
                    },
                    Err(ListErr::NotList) => {
                        let run = self.runes_until(&[',']);
                        match self.typed(run.text, run.start, run.end, &name) {
                            Ok(node) => node,
                            Err(e) => return (list, Err(e)),
                        }
                    }
                    Err(ListErr::Other(e)) => return (list, Err(e)),
                };
                let stored = self.set_index(&mut list, i, node);
                (list, stored.map(|()| Step::Continue))
            }
            Some('[') => {
                if let Err(e) = self.check_depth(&name) {
                    return (list, Err(e));
                }
                let next = match self.key_index(&name) {
                    Ok(next) => next,
                    Err(e) => return (list, Err(e)),
                };
                let current = match list.get_mut(i).map(|n| &mut n.value) {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Seq(items)) => std::mem::take(items),
                    Some(other) => {
                        let what = other.type_name();
                        let path = self.path_with(&name);
                        return (list, Err(format!("`{path}` is a {what}, not a list")));
                    }
                };
                self.path.push(name);
                let (inner, step) = self.list_item(current, next, level);
                self.path.pop();
                if let Err(e) = self.set_index(&mut list, i, Node::synthetic(Value::Seq(inner))) {
                    return (list, Err(e));
                }
                (list, step)
            }
            Some(_) => {
                // '.': a map inside the list; a non-map there is replaced, as Helm does.
                let mut inner = match list.get_mut(i).map(|n| &mut n.value) {
                    Some(Value::Map(entries)) => std::mem::take(entries),
                    _ => Vec::new(),
                };
                self.path.push(name);
                let step = self.key(&mut inner, level);
                self.path.pop();
                match step {
                    Ok(Step::Continue) => {
                        let stored =
                            self.set_index(&mut list, i, Node::synthetic(Value::Map(inner)));
                        (list, stored.map(|()| Step::Continue))
                    }
                    // Helm returns io.EOF here before storing the map.
                    other => (list, other),
                }
            }
        }
    }

    /// Helm's `valList`: `{a,b}` after `=`; also returns the end of the closing `}`.
    fn val_list(&mut self, key: &str) -> Result<(Vec<Node>, usize), ListErr> {
        match self.peek_char() {
            None => return Err(ListErr::Eof),
            Some('{') => {
                self.pos += 1;
            }
            Some(_) => return Err(ListErr::NotList),
        }
        let mut items = Vec::new();
        loop {
            let run = self.runes_until(&[',', '}']);
            match run.last {
                None => {
                    let path = self.path_with(key);
                    return Err(ListErr::Other(format!(
                        "list of `{path}` must terminate with `}}`"
                    )));
                }
                Some('}') => {
                    let end = self.pos;
                    if self.peek_char() == Some(',') {
                        self.pos += 1;
                    }
                    items.push(
                        self.typed(run.text, run.start, run.end, key)
                            .map_err(ListErr::Other)?,
                    );
                    return Ok((items, end));
                }
                Some(_) => {
                    items.push(
                        self.typed(run.text, run.start, run.end, key)
                            .map_err(ListErr::Other)?,
                    );
                }
            }
        }
    }

    /// A value node for the raw bytes `start..end` of the argument.
    fn typed(&mut self, text: String, start: usize, end: usize, key: &str) -> Result<Node, String> {
        self.spend(1, key)?;
        let value = match self.kind {
            SetKind::Set => typed_val(text),
            SetKind::SetString => Value::String(text),
            SetKind::SetFile => {
                match crate::input::read_text(std::path::Path::new(&text), &text, Kind::SetFile) {
                    Ok(content) => Value::String(content),
                    Err(crate::input::Error::Io { source, .. }) => {
                        let path = self.path_with(key);
                        return Err(format!("cannot read file `{text}` for `{path}`: {source}"));
                    }
                    Err(e) => return Err(format!("`{}`: {e}", self.path_with(key))),
                }
            }
        };
        Ok(Node {
            value,
            span: Some(self.span(start, end)),
            style: None,
        })
    }
}

/// Helm's `typedVal` for `--set`.
fn typed_val(val: String) -> Value {
    if val.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if val.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if val.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if val == "0" {
        return Value::Number(val);
    }
    if !val.is_empty() && !val.starts_with('0') && val.parse::<i64>().is_ok() {
        return Value::Number(val);
    }
    Value::String(val)
}

/// Helm's `set` of a value given in the argument: the entry, replaced or new, points at the
/// value in the argument (`--set:1:14`), as when no file sets it, since that is where the value
/// now comes from; the file's line with the value it replaces is never shown for it.
fn set_from_flag(data: &mut Vec<Entry>, key: &str, node: Node) {
    set(data, key, node);
    if let Some(entry) = data.iter_mut().rev().find(|e| e.key == key) {
        entry.key_span = None;
    }
}

/// Helm's `set`: replaces or appends `key`. A replaced entry keeps its key span (a list or map
/// the argument changes only in part is still written in the file).
fn set(data: &mut Vec<Entry>, key: &str, node: Node) {
    if let Some(entry) = data.iter_mut().rev().find(|e| e.key == key) {
        entry.node = node;
    } else {
        data.push(Entry {
            key: key.to_string(),
            key_span: None,
            node,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::parse_documents;

    const SRC: SourceId = SourceId(9);

    fn empty() -> Node {
        Node::synthetic(Value::Map(Vec::new()))
    }

    fn set_ok(root: &mut Node, kind: SetKind, arg: &str) {
        apply_set(root, kind, arg, SRC, 1).unwrap_or_else(|e| panic!("{arg}: {e}"));
    }

    fn num(s: &str) -> Value {
        Value::Number(s.into())
    }

    fn string(s: &str) -> Value {
        Value::String(s.into())
    }

    fn seq(node: &Node) -> &[Node] {
        match &node.value {
            Value::Seq(items) => items,
            other => panic!("not a list: {other:?}"),
        }
    }

    #[test]
    fn simple_pairs_and_typing() {
        let mut root = empty();
        set_ok(
            &mut root,
            SetKind::Set,
            "a.b=c,n=12,z=0,lead=012,big=1234567890123456789012,t=TRUE,f=false,nul=null,e=,neg=-3",
        );
        assert_eq!(root.get_path("a.b").unwrap().value, string("c"));
        assert_eq!(root.get("n").unwrap().value, num("12"));
        assert_eq!(root.get("z").unwrap().value, num("0"));
        assert_eq!(root.get("lead").unwrap().value, string("012"));
        assert_eq!(
            root.get("big").unwrap().value,
            string("1234567890123456789012")
        );
        assert_eq!(root.get("t").unwrap().value, Value::Bool(true));
        assert_eq!(root.get("f").unwrap().value, Value::Bool(false));
        assert_eq!(root.get("nul").unwrap().value, Value::Null);
        assert_eq!(root.get("e").unwrap().value, string(""));
        assert_eq!(root.get("neg").unwrap().value, num("-3"));
        let mut root = empty();
        set_ok(&mut root, SetKind::SetString, "n=12,t=true,nul=null,e=");
        assert_eq!(root.get("n").unwrap().value, string("12"));
        assert_eq!(root.get("t").unwrap().value, string("true"));
        assert_eq!(root.get("nul").unwrap().value, string("null"));
        assert_eq!(root.get("e").unwrap().value, string(""));
    }

    #[test]
    fn trailing_empty_value_is_an_empty_string() {
        let mut root = empty();
        set_ok(&mut root, SetKind::Set, "a=");
        assert_eq!(root.get("a").unwrap().value, string(""));
    }

    #[test]
    fn escapes() {
        let mut root = empty();
        set_ok(&mut root, SetKind::Set, r"a\.b=x\,y\=z,c=back\\slash");
        assert_eq!(root.get("a.b").unwrap().value, string("x,y=z"));
        assert_eq!(root.get("c").unwrap().value, string(r"back\slash"));
        let arg = r"a\.b=x\,y\=z,c=back\\slash";
        let span = root.get("a.b").unwrap().span.unwrap();
        assert_eq!(&arg[span.start..span.end], r"x\,y\=z");
        assert_eq!(span.source, SRC);
    }

    #[test]
    fn spans_point_into_the_argument() {
        let arg = "core.secret=abc,registry.secret=defgh";
        let mut root = empty();
        set_ok(&mut root, SetKind::Set, arg);
        let span = root.get_path("registry.secret").unwrap().span.unwrap();
        assert_eq!(&arg[span.start..span.end], "defgh");
        assert_eq!((span.line, span.column), (1, 33));
        assert!(root.get_path("core.secret").unwrap().style.is_none());
    }

    #[test]
    fn list_indexes_and_literals() {
        let mut root = empty();
        set_ok(
            &mut root,
            SetKind::Set,
            "a[2]=x,b[1].c=y,d={1,two,true},e[0][1]=z",
        );
        let a = seq(root.get("a").unwrap());
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].value, Value::Null);
        assert_eq!(a[2].value, string("x"));
        let b = seq(root.get("b").unwrap());
        assert_eq!(b[0].value, Value::Null);
        assert_eq!(b[1].get("c").unwrap().value, string("y"));
        let d = seq(root.get("d").unwrap());
        assert_eq!(
            d.iter().map(|n| n.value.clone()).collect::<Vec<_>>(),
            [num("1"), string("two"), Value::Bool(true)]
        );
        let arg = "a[2]=x,b[1].c=y,d={1,two,true},e[0][1]=z";
        let span = root.get("d").unwrap().span.unwrap();
        assert_eq!(&arg[span.start..span.end], "{1,two,true}");
        let e0 = &seq(root.get("e").unwrap())[0];
        assert_eq!(seq(e0)[1].value, string("z"));
        // Helm quirk: `{}` is a list with one empty string.
        let mut root = empty();
        set_ok(&mut root, SetKind::Set, "l={}");
        assert_eq!(seq(root.get("l").unwrap()).len(), 1);
    }

    #[test]
    fn set_replaces_what_the_files_had() {
        let mut root = parse_documents(SourceId(0), "a:\n  b: file\n  keep: 1\nl: [1, 2, 3]\n")
            .unwrap()
            .remove(0);
        set_ok(&mut root, SetKind::Set, "a.b=flag,l[1]=x,a.n=null");
        assert_eq!(root.get_path("a.b").unwrap().value, string("flag"));
        assert_eq!(root.get_path("a.b").unwrap().span.unwrap().source, SRC);
        assert!(root.get_path("a.keep").is_some());
        assert_eq!(root.get_path("a.n").unwrap().value, Value::Null);
        let l = seq(root.get("l").unwrap());
        assert_eq!(l.len(), 3);
        assert_eq!(l[1].value, string("x"));
        // Regression: a `--set` overriding a file's value pointed at the file's line, which
        // showed the replaced secret; it points at the argument.
        let entry = root.entry_path("a.b").unwrap();
        assert!(entry.key_span.is_none());
        let at = entry.node.span.unwrap();
        assert_eq!((at.source, at.line, at.column), (SRC, 1, 5));
    }

    #[test]
    fn malformed_arguments_are_errors_without_values() {
        for arg in [
            "a.b",
            "a[x]=1",
            "=1",
            "a,b=1",
            "a[0=1",
            "a={x,y",
            "a.=1",
            "a[-1]=1",
            "a[70000]=1",
        ] {
            let mut root = empty();
            let err = apply_set(&mut root, SetKind::Set, arg, SRC, 3).unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with("invalid --set argument #3: "),
                "{arg}: {msg}"
            );
        }
        let mut root = empty();
        let err = apply_set(&mut root, SetKind::Set, "password=hunter2,x", SRC, 1).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn path_through_a_scalar_fails_like_helm() {
        let mut root = parse_documents(SourceId(0), "a: text\nn:\n")
            .unwrap()
            .remove(0);
        assert!(apply_set(&mut root, SetKind::Set, "a.b=1", SRC, 1).is_err());
        assert!(apply_set(&mut root, SetKind::Set, "n.b=1", SRC, 1).is_err());
        assert!(apply_set(&mut root, SetKind::Set, "a[0]=1", SRC, 1).is_err());
        // A leaf replaces whatever type was there.
        set_ok(&mut root, SetKind::Set, "a=1");
        assert_eq!(root.get("a").unwrap().value, num("1"));
    }

    #[test]
    fn set_file_reads_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, "-----BEGIN KEY-----\n").unwrap();
        let arg = format!("core.tokenKey={}", path.display());
        let mut root = empty();
        set_ok(&mut root, SetKind::SetFile, &arg);
        let node = root.get_path("core.tokenKey").unwrap();
        assert_eq!(node.as_str(), Some("-----BEGIN KEY-----\n"));
        let span = node.span.unwrap();
        assert_eq!(&arg[span.start..span.end], path.display().to_string());
    }

    #[test]
    fn set_file_missing_file_names_the_path() {
        let mut root = empty();
        let err = apply_set(
            &mut root,
            SetKind::SetFile,
            "k=/nonexistent/dir/file.pem",
            SRC,
            2,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("invalid --set-file argument #2: "), "{msg}");
        assert!(msg.contains("/nonexistent/dir/file.pem"), "{msg}");
    }

    #[test]
    fn nesting_limit() {
        let deep = format!("{}=1", vec!["k"; 40].join("."));
        let mut root = empty();
        let err = apply_set(&mut root, SetKind::Set, &deep, SRC, 1).unwrap_err();
        assert!(
            err.to_string().ends_with(
                "value name nested level is greater than maximum supported nested level of 30"
            ),
            "{err}"
        );
        let ok = format!("{}=1", vec!["k"; 30].join("."));
        set_ok(&mut empty(), SetKind::Set, &ok);
    }

    // `a[0][0]…` 20,000 deep overflowed the stack (SIGABRT); it is refused at 256 levels.
    #[test]
    fn deeply_nested_list_indexes_are_refused_not_a_stack_overflow() {
        let arg = format!("a{}=1", "[0]".repeat(20_000));
        let mut root = empty();
        let err = apply_set(&mut root, SetKind::Set, &arg, SRC, 1).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("is nested deeper than 256 levels"), "{msg}");
        // The message shows a bounded excerpt of the path, not 60,000 characters.
        assert!(msg.len() < 300, "{}", msg.len());
        let fine = format!("a{}=1", "[0]".repeat(200));
        set_ok(&mut empty(), SetKind::Set, &fine);
    }

    // Helm's limit and wording: index 65536 is the largest allowed.
    #[test]
    fn list_index_limit_is_helms() {
        set_ok(&mut empty(), SetKind::Set, "a[65536]=1");
        let err = apply_set(&mut empty(), SetKind::Set, "a[65537]=1", SRC, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --set argument #1: `a`: index of 65537 is greater than maximum supported index of 65536"
        );
        let err = apply_set(&mut empty(), SetKind::Set, "a[-1]=1", SRC, 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid --set argument #1: `a`: negative -1 index not allowed"
        );
    }

    // `a0[65536]=1,…` for 200 keys allocated 1.1 GB; the values a run creates are capped.
    #[test]
    fn many_large_list_indexes_are_refused_in_bounded_memory() {
        let arg: Vec<String> = (0..200).map(|i| format!("a{i}[65536]=1")).collect();
        let mut root = empty();
        let err = apply_set(&mut root, SetKind::Set, &arg.join(","), SRC, 1).unwrap_err();
        assert!(
            err.to_string()
                .contains("would create more than 262144 values in all"),
            "{err}"
        );
        let created: usize = root
            .as_map()
            .unwrap()
            .iter()
            .map(|e| seq(&e.node).len())
            .sum();
        assert!(created <= MAX_SET_VALUES, "{created}");
    }

    // The budget is shared by every argument of a run, not renewed per argument.
    #[test]
    fn the_value_budget_spans_arguments() {
        let mut budget = SetBudget::default();
        let mut root = empty();
        let mut failed_at = None;
        for i in 1..=5 {
            let arg = format!("l{i}[65536]=1");
            if apply_set_within(&mut root, SetKind::Set, &arg, SRC, i, &mut budget).is_err() {
                failed_at = Some(i);
                break;
            }
        }
        assert_eq!(failed_at, Some(4));
    }
}
