//! A fast reader for the YAML that inventories are written in at scale: top-level keys whose
//! lists hold one flow mapping per line (`  - {id: a, requires: [b, c]}`), as `tocsin
//! generate` and `tocsin import netbox` write them. It gives exactly the nodes, texts and
//! positions that [`super::Reader`] gives for such a file. Anything else it does not take
//! (block mappings, anchors, tags, multi-line scalars, escapes it does not know, errors) makes
//! it stop with [`Unsupported`], and the caller reads the whole file with `saphyr-parser`
//! instead, so that messages stay exactly those of the full parser.

use std::borrow::Cow;
use std::collections::VecDeque;

use super::{Node, Pos, TopLevel};

/// The file is not in the subset this reader takes; read it with the full parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

type Result<T> = std::result::Result<T, Unsupported>;

/// Flow collections nested deeper than this are left to the full parser.
const MAX_DEPTH: usize = 32;
/// Room made at once for the fields of a mapping that is an item of a top-level list.
const ENTRY_FIELDS: usize = 8;

/// Reads the top-level entries of one file, line by line.
pub struct FastReader<'a> {
    text: &'a str,
    b: &'a [u8],
    /// Start of the next line to read.
    at: usize,
    /// Number of that line, from 1.
    line: u32,
    /// The current list's indentation, while in a top-level block list.
    list: Option<usize>,
    /// Items of a top-level flow list (`key: [a, b]`), handed over one by one.
    pending: Option<VecDeque<Node<'a>>>,
    /// Whether a top-level key was read: a document without any is not a mapping.
    keyed: bool,
}

/// Whether `b` may be part of a plain scalar this reader takes.
fn safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'@' | b'+' | b'-' | b'~')
}

/// Whether a plain scalar may start with `b` (given what follows).
fn safe_start(b: u8, next: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'~') || (b == b'-' && safe(next))
}

/// Whether `b` holds a tab or a carriage return. The whole file is scanned before any of it
/// is read, so this compares blocks without branching, which the compiler turns into vector
/// instructions: the byte-at-a-time search took a few percent of a large inventory's load.
fn has_tab_or_cr(b: &[u8]) -> bool {
    b.chunks(512).any(|block| {
        block
            .iter()
            .fold(false, |seen, &c| seen | (c == b'\t') | (c == b'\r'))
    })
}

/// One line being read: its bytes and where it starts in the file.
struct Line<'a> {
    text: &'a str,
    b: &'a [u8],
    start: usize,
    number: u32,
    /// Offset in the line of its first non-ASCII byte (columns count characters).
    wide_from: usize,
}

impl<'a> Line<'a> {
    fn byte(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(b'\n')
    }

    fn pos(&self, i: usize) -> Pos {
        let col = if i <= self.wide_from {
            i
        } else {
            self.text
                .get(self.start..self.start + i)
                .map_or(i, |s| s.chars().count())
        };
        Pos {
            line: self.number,
            col: col as u32 + 1,
        }
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.byte(i) == b' ' {
            i += 1;
        }
        i
    }

    /// Whether the line has nothing but spaces and perhaps a comment from `i`.
    fn ends_at(&self, i: usize) -> bool {
        let j = self.skip_spaces(i);
        j == self.b.len() || (self.b[j] == b'#' && (j > i || i == 0))
    }

    fn slice(&self, from: usize, to: usize) -> Result<&'a str> {
        self.text
            .get(self.start + from..self.start + to)
            .ok_or(Unsupported)
    }

    /// A plain scalar from `i`, all of it on this line; returns it and where it ends.
    fn plain(&self, i: usize) -> Result<(Node<'a>, usize)> {
        if !safe_start(self.byte(i), self.byte(i + 1)) {
            return Err(Unsupported);
        }
        let mut end = i + 1;
        let mut j = i + 1;
        loop {
            let c = self.byte(j);
            if safe(c) {
                j += 1;
                end = j;
            } else if c == b':' && safe(self.byte(j + 1)) {
                j += 1;
            } else if c == b' ' {
                let k = self.skip_spaces(j);
                if safe(self.byte(k)) {
                    j = k;
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        let text = self.slice(i, end)?;
        Ok((
            Node::Scalar {
                text: Cow::Borrowed(text),
                plain: true,
                pos: self.pos(i),
            },
            end,
        ))
    }

    /// Checks a non-ASCII byte sequence at `j` inside a quoted scalar: line and paragraph
    /// separators, NEL, C1 controls and byte order marks are left to the full parser.
    fn wide_ok(&self, j: usize) -> bool {
        !matches!(
            (self.byte(j), self.byte(j + 1), self.byte(j + 2)),
            (0xC2, 0x80..=0x9F, _) | (0xE2, 0x80, 0xA8 | 0xA9) | (0xEF, 0xBB, 0xBF)
        )
    }

    /// The quoted scalar opened at `i` and closed at `end`: `owned` holds its text up to
    /// `from` when escapes made it differ from the file's, otherwise it is borrowed.
    fn quoted(
        &self,
        i: usize,
        owned: Option<String>,
        from: usize,
        end: usize,
    ) -> Result<(Node<'a>, usize)> {
        let text = match owned {
            Some(mut s) => {
                s.push_str(self.slice(from, end)?);
                Cow::Owned(s)
            }
            None => Cow::Borrowed(self.slice(from, end)?),
        };
        let node = Node::Scalar {
            text,
            plain: false,
            pos: self.pos(i),
        };
        Ok((node, end + 1))
    }

    /// A single-quoted scalar whose opening quote is at `i`.
    fn single(&self, i: usize) -> Result<(Node<'a>, usize)> {
        let mut owned: Option<String> = None;
        let mut from = i + 1;
        let mut j = i + 1;
        loop {
            match self.byte(j) {
                b'\'' if self.byte(j + 1) == b'\'' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.slice(from, j + 1)?);
                    j += 2;
                    from = j;
                }
                b'\'' => break,
                b'\n' => return Err(Unsupported),
                c if c < 0x20 || c == 0x7F => return Err(Unsupported),
                c if c >= 0x80 && !self.wide_ok(j) => return Err(Unsupported),
                _ => j += 1,
            }
        }
        self.quoted(i, owned, from, j)
    }

    /// A double-quoted scalar whose opening quote is at `i`.
    fn double(&self, i: usize) -> Result<(Node<'a>, usize)> {
        let mut owned: Option<String> = None;
        let mut from = i + 1;
        let mut j = i + 1;
        loop {
            match self.byte(j) {
                b'"' => break,
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.slice(from, j)?);
                    j = self.escape(j + 1, s)?;
                    from = j;
                }
                b'\n' => return Err(Unsupported),
                c if c < 0x20 || c == 0x7F => return Err(Unsupported),
                c if c >= 0x80 && !self.wide_ok(j) => return Err(Unsupported),
                _ => j += 1,
            }
        }
        self.quoted(i, owned, from, j)
    }

    /// The escape after a backslash at `j - 1`, appended to `out`; returns where it ends.
    fn escape(&self, j: usize, out: &mut String) -> Result<usize> {
        let simple = match self.byte(j) {
            b'\\' => '\\',
            b'"' => '"',
            b'/' => '/',
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'0' => '\0',
            b'x' => return self.hex(j + 1, 2, out),
            b'u' => return self.hex(j + 1, 4, out),
            _ => return Err(Unsupported),
        };
        out.push(simple);
        Ok(j + 1)
    }

    fn hex(&self, j: usize, digits: usize, out: &mut String) -> Result<usize> {
        let text = self.slice(j, j + digits)?;
        if !text.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(Unsupported);
        }
        let code = u32::from_str_radix(text, 16).map_err(|_| Unsupported)?;
        // Control characters and surrogates are left to the full parser.
        if code < 0x20 || (0x7F..0xA0).contains(&code) {
            return Err(Unsupported);
        }
        out.push(char::from_u32(code).ok_or(Unsupported)?);
        Ok(j + digits)
    }

    /// Any node from `i` (a flow collection or a scalar); returns it and where it ends.
    fn node(&self, i: usize, depth: usize) -> Result<(Node<'a>, usize)> {
        match self.byte(i) {
            b'{' => self.map(i, depth + 1),
            b'[' => self.seq(i, depth + 1),
            b'"' => self.double(i),
            b'\'' => self.single(i),
            _ => self.plain(i),
        }
    }

    fn map(&self, i: usize, depth: usize) -> Result<(Node<'a>, usize)> {
        if depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        // An entry of a top-level list has up to about eight fields: room for them at once
        // saves growing the vector twice; nested mappings hold one or two.
        let mut entries = Vec::with_capacity(if depth <= 2 { ENTRY_FIELDS } else { 0 });
        let mut j = self.skip_spaces(i + 1);
        if self.byte(j) != b'}' {
            loop {
                let (key, k) = match self.byte(j) {
                    b'"' => self.double(j)?,
                    b'\'' => self.single(j)?,
                    _ => self.plain(j)?,
                };
                // `key: value`, the value on the same line.
                if self.byte(k) != b':' || self.byte(k + 1) != b' ' {
                    return Err(Unsupported);
                }
                let v = self.skip_spaces(k + 1);
                if matches!(self.byte(v), b',' | b'}' | b'#' | b'\n') {
                    return Err(Unsupported);
                }
                let (value, e) = self.node(v, depth)?;
                entries.push((key, value));
                j = self.skip_spaces(e);
                match self.byte(j) {
                    b',' => {
                        j = self.skip_spaces(j + 1);
                        if matches!(self.byte(j), b'}' | b',') {
                            return Err(Unsupported);
                        }
                    }
                    b'}' => break,
                    _ => return Err(Unsupported),
                }
            }
        }
        let node = Node::Map {
            entries,
            pos: self.pos(i),
        };
        Ok((node, j + 1))
    }

    fn seq(&self, i: usize, depth: usize) -> Result<(Node<'a>, usize)> {
        if depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        let mut items = Vec::new();
        let mut j = self.skip_spaces(i + 1);
        if self.byte(j) != b']' {
            loop {
                let (item, e) = self.node(j, depth)?;
                items.push(item);
                j = self.skip_spaces(e);
                match self.byte(j) {
                    b',' => {
                        j = self.skip_spaces(j + 1);
                        if matches!(self.byte(j), b']' | b',') {
                            return Err(Unsupported);
                        }
                    }
                    b']' => break,
                    _ => return Err(Unsupported),
                }
            }
        }
        let node = Node::Seq {
            items,
            pos: self.pos(i),
        };
        Ok((node, j + 1))
    }
}

impl<'a> FastReader<'a> {
    /// Starts reading `text`, or says at once that it is not for this reader.
    pub fn new(text: &'a str) -> Result<Self> {
        // Tabs, carriage returns and byte order marks have rules of their own.
        if has_tab_or_cr(text.as_bytes()) || text.starts_with('\u{feff}') {
            return Err(Unsupported);
        }
        Ok(FastReader {
            text,
            b: text.as_bytes(),
            at: 0,
            line: 1,
            list: None,
            pending: None,
            keyed: false,
        })
    }

    /// The line starting at `self.at`, without its line break; `None` at the end.
    fn peek_line(&self) -> Option<Line<'a>> {
        if self.at >= self.b.len() {
            return None;
        }
        let rest = &self.b[self.at..];
        let len = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
        let b = &rest[..len];
        let wide_from = b.iter().position(|&c| c >= 0x80).unwrap_or(len);
        Some(Line {
            text: self.text,
            b,
            start: self.at,
            number: self.line,
            wide_from,
        })
    }

    fn advance(&mut self, line: &Line<'a>) {
        self.at = line.start + line.b.len() + 1;
        self.line += 1;
    }

    /// Skips blank and comment lines; the next line with content, left unread.
    fn content_line(&mut self) -> Option<Line<'a>> {
        while let Some(line) = self.peek_line() {
            let i = line.skip_spaces(0);
            if i == line.b.len() || line.b[i] == b'#' {
                self.advance(&line);
                continue;
            }
            return Some(line);
        }
        None
    }

    /// The next top-level entry.
    pub fn next_top(&mut self) -> Result<TopLevel<'a>> {
        if self.list.is_some() || self.pending.is_some() {
            return Err(Unsupported);
        }
        let Some(line) = self.content_line() else {
            return if self.keyed {
                Ok(TopLevel::End)
            } else {
                Err(Unsupported)
            };
        };
        // Document markers, directives, and anything but a plain key at column 1.
        if line.b.starts_with(b"---") || line.b.starts_with(b"...") {
            return Err(Unsupported);
        }
        let (key, k) = line.plain(0)?;
        if line.byte(k) != b':' {
            return Err(Unsupported);
        }
        self.keyed = true;
        if line.ends_at(k + 1) {
            self.advance(&line);
            // The value is a block list on the next lines.
            let next = self.content_line().ok_or(Unsupported)?;
            let n = next.skip_spaces(0);
            if next.byte(n) != b'-' || !matches!(next.byte(n + 1), b' ') {
                return Err(Unsupported);
            }
            self.list = Some(n);
            return Ok(TopLevel::List(key));
        }
        if line.byte(k + 1) != b' ' {
            return Err(Unsupported);
        }
        let v = line.skip_spaces(k + 1);
        let (value, e) = line.node(v, 1)?;
        if !line.ends_at(e) {
            return Err(Unsupported);
        }
        self.advance(&line);
        match value {
            Node::Seq { items, .. } => {
                self.pending = Some(items.into());
                Ok(TopLevel::List(key))
            }
            value => Ok(TopLevel::Value(key, value)),
        }
    }

    /// The next item of a top-level list, or `None` at its end.
    pub fn next_item(&mut self) -> Result<Option<Node<'a>>> {
        if let Some(pending) = &mut self.pending {
            let item = pending.pop_front();
            if item.is_none() {
                self.pending = None;
            }
            return Ok(item);
        }
        let indent = self.list.ok_or(Unsupported)?;
        let Some(line) = self.content_line() else {
            self.list = None;
            return Ok(None);
        };
        let n = line.skip_spaces(0);
        if n == 0 && line.byte(0) != b'-' {
            self.list = None;
            return Ok(None);
        }
        if n != indent || line.byte(n) != b'-' || line.byte(n + 1) != b' ' {
            return Err(Unsupported);
        }
        let v = line.skip_spaces(n + 1);
        if line.ends_at(v) {
            return Err(Unsupported);
        }
        let (node, e) = line.node(v, 1)?;
        if !line.ends_at(e) {
            return Err(Unsupported);
        }
        self.advance(&line);
        Ok(Some(node))
    }
}

#[cfg(test)]
mod tests;
