//! A small YAML document tree with the line and column of every node, built from
//! `saphyr-parser` events one top-level entry at a time, so that a large inventory is never
//! held as one tree.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, StrInput};

mod fast;
mod piped;

pub use fast::{FastReader, Unsupported};
pub use piped::{with_reader_thread, Piped};

/// Where a node starts: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub col: u32,
}

impl Pos {
    fn of(span: &Span) -> Pos {
        Pos {
            line: span.start.line() as u32,
            col: span.start.col() as u32 + 1,
        }
    }
}

/// A YAML node; its text is borrowed from the file's when it can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node<'t> {
    /// A scalar; `plain` is false when it was quoted or a block scalar.
    Scalar {
        /// Its text.
        text: Cow<'t, str>,
        /// Whether it was written without quotes.
        plain: bool,
        /// Where.
        pos: Pos,
    },
    /// A sequence.
    Seq {
        /// Its items.
        items: Vec<Node<'t>>,
        /// Where.
        pos: Pos,
    },
    /// A mapping, in written order.
    Map {
        /// Its key and value pairs.
        entries: Vec<(Node<'t>, Node<'t>)>,
        /// Where.
        pos: Pos,
    },
}

impl Node<'_> {
    /// Where the node starts.
    pub fn pos(&self) -> Pos {
        match self {
            Node::Scalar { pos, .. } | Node::Seq { pos, .. } | Node::Map { pos, .. } => *pos,
        }
    }

    /// Whether this is YAML's null (`~`, `null`, or nothing, unquoted).
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { text, plain: true, .. }
            if text.is_empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Scalar { .. } if self.is_null() => "nothing",
            Node::Scalar { .. } => "a scalar",
            Node::Seq { .. } => "a list",
            Node::Map { .. } => "a mapping",
        }
    }

    /// Nodes counted against the alias budget: a scalar counts one per [`SCALAR_BYTES`] of
    /// its text too, so that aliases of a long string cannot copy it without bound.
    fn size(&self) -> usize {
        match self {
            Node::Scalar { text, .. } => 1 + text.len() / SCALAR_BYTES,
            Node::Seq { items, .. } => 1 + items.iter().map(Node::size).sum::<usize>(),
            Node::Map { entries, .. } => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
        }
    }
}

/// A syntax error, or a document shape the reader cannot take.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    /// Where.
    pub pos: Pos,
    /// What.
    pub message: String,
}

/// Deepest nesting accepted; inventories need five levels.
const MAX_DEPTH: usize = 64;
/// Most nodes that aliases may expand to in one document, against "billion laughs" inputs.
const MAX_ALIAS_NODES: usize = 1_000_000;
/// Bytes of scalar text that count as one more node against [`MAX_ALIAS_NODES`].
const SCALAR_BYTES: usize = 16;

/// Why a reader stopped before the end of the document.
pub enum Stop {
    /// The text is wrong here.
    Syntax(SyntaxError),
    /// [`FastReader`] does not take this text: read it with [`Reader`].
    Unsupported,
}

/// The top-level entries of one document, from either reader.
pub trait Entries<'a> {
    /// The next top-level entry.
    fn top(&mut self) -> Result<TopLevel<'a>, Stop>;
    /// The next item of a top-level list, or `None` at its end.
    fn item(&mut self) -> Result<Option<Node<'a>>, Stop>;
    /// Takes back an item once read, to free it where the reader prefers.
    fn done(&mut self, node: Node<'a>) {
        drop(node);
    }

    /// The item `k + 1` places after the one last handed over, when already read.
    fn ahead(&self, k: usize) -> Option<&Node<'a>> {
        let _ = k;
        None
    }
}

impl<'a, E: Entries<'a>> Entries<'a> for &mut E {
    fn top(&mut self) -> Result<TopLevel<'a>, Stop> {
        (**self).top()
    }

    fn item(&mut self) -> Result<Option<Node<'a>>, Stop> {
        (**self).item()
    }

    fn done(&mut self, node: Node<'a>) {
        (**self).done(node);
    }

    fn ahead(&self, k: usize) -> Option<&Node<'a>> {
        (**self).ahead(k)
    }
}

impl<'a> Entries<'a> for Reader<'a> {
    fn top(&mut self) -> Result<TopLevel<'a>, Stop> {
        self.next_top().map_err(Stop::Syntax)
    }

    fn item(&mut self) -> Result<Option<Node<'a>>, Stop> {
        self.next_item().map_err(Stop::Syntax)
    }
}

impl<'a> Entries<'a> for FastReader<'a> {
    fn top(&mut self) -> Result<TopLevel<'a>, Stop> {
        self.next_top().map_err(|Unsupported| Stop::Unsupported)
    }

    fn item(&mut self) -> Result<Option<Node<'a>>, Stop> {
        self.next_item().map_err(|Unsupported| Stop::Unsupported)
    }
}

/// Reads one YAML document whose root is a mapping, handing over its top-level entries.
pub struct Reader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    anchors: HashMap<usize, Node<'a>>,
    alias_budget: usize,
    /// Where the last event was, for errors at the end of input.
    last: Pos,
}

/// What the top level offers next.
pub enum TopLevel<'a> {
    /// A key whose value is a list: call [`Reader::next_item`] until it returns `None`.
    List(Node<'a>),
    /// A key with any other value.
    Value(Node<'a>, Node<'a>),
    /// The document ended.
    End,
}

impl<'a> Reader<'a> {
    /// Starts reading `text`; fails unless it begins a document whose root is a mapping.
    pub fn new(text: &'a str) -> Result<Self, SyntaxError> {
        let mut reader = Reader {
            parser: Parser::new_from_str(text),
            anchors: HashMap::new(),
            alias_budget: MAX_ALIAS_NODES,
            last: Pos { line: 1, col: 1 },
        };
        loop {
            let (event, pos) = reader.next()?;
            match event {
                Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => continue,
                Event::MappingStart(anchor, _) => {
                    if anchor != 0 {
                        return Err(SyntaxError {
                            pos,
                            message: "an anchor on the whole document is not supported".into(),
                        });
                    }
                    return Ok(reader);
                }
                Event::StreamEnd => {
                    return Err(SyntaxError {
                        pos,
                        message: "the file is empty: expected a mapping with `version: 1`".into(),
                    })
                }
                _ => {
                    return Err(SyntaxError {
                        pos,
                        message: "expected a mapping at the top level".into(),
                    })
                }
            }
        }
    }

    fn next(&mut self) -> Result<(Event<'a>, Pos), SyntaxError> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => {
                let pos = Pos::of(&span);
                self.last = pos;
                Ok((event, pos))
            }
            Some(Err(err)) => Err(SyntaxError {
                pos: Pos {
                    line: err.marker().line() as u32,
                    col: err.marker().col() as u32 + 1,
                },
                message: format!("YAML syntax: {}", err.info()),
            }),
            None => Err(SyntaxError {
                pos: self.last,
                message: "unexpected end of input".into(),
            }),
        }
    }

    /// The next top-level entry.
    pub fn next_top(&mut self) -> Result<TopLevel<'a>, SyntaxError> {
        let (event, pos) = self.next()?;
        let key = match event {
            Event::MappingEnd => {
                // The rest must be the end of the document and of the stream.
                loop {
                    let (event, pos) = self.next()?;
                    match event {
                        Event::DocumentEnd | Event::Nothing => continue,
                        Event::StreamEnd => return Ok(TopLevel::End),
                        _ => {
                            return Err(SyntaxError {
                                pos,
                                message: "only one YAML document per file is supported".into(),
                            })
                        }
                    }
                }
            }
            other => self.node_from(other, pos, 1)?,
        };
        let (event, pos) = self.next()?;
        match event {
            Event::SequenceStart(0, _) => Ok(TopLevel::List(key)),
            other => {
                let value = self.node_from(other, pos, 1)?;
                Ok(TopLevel::Value(key, value))
            }
        }
    }

    /// The next item of a top-level list, or `None` at its end.
    pub fn next_item(&mut self) -> Result<Option<Node<'a>>, SyntaxError> {
        let (event, pos) = self.next()?;
        match event {
            Event::SequenceEnd => Ok(None),
            other => self.node_from(other, pos, 2).map(Some),
        }
    }

    fn node_from(
        &mut self,
        event: Event<'a>,
        pos: Pos,
        depth: usize,
    ) -> Result<Node<'a>, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(SyntaxError {
                pos,
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
            });
        }
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, _) => (
                Node::Scalar {
                    text,
                    plain: style == ScalarStyle::Plain,
                    pos,
                },
                anchor,
            ),
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, p) = self.next()?;
                    if let Event::SequenceEnd = event {
                        break;
                    }
                    items.push(self.node_from(event, p, depth + 1)?);
                }
                (Node::Seq { items, pos }, anchor)
            }
            Event::MappingStart(anchor, _) => {
                let mut entries = Vec::new();
                loop {
                    let (event, p) = self.next()?;
                    if let Event::MappingEnd = event {
                        break;
                    }
                    let key = self.node_from(event, p, depth + 1)?;
                    let (event, p) = self.next()?;
                    let value = self.node_from(event, p, depth + 1)?;
                    entries.push((key, value));
                }
                (Node::Map { entries, pos }, anchor)
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Err(SyntaxError {
                        pos,
                        message: "alias to an unknown anchor".into(),
                    });
                };
                let size = target.size();
                if size > self.alias_budget {
                    return Err(SyntaxError {
                        pos,
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes in this file"
                        ),
                    });
                }
                self.alias_budget -= size;
                (target.clone(), 0)
            }
            _ => {
                return Err(SyntaxError {
                    pos,
                    message: "unexpected YAML structure".into(),
                })
            }
        };
        if anchor != 0 {
            let size = node.size();
            if size > self.alias_budget {
                return Err(SyntaxError {
                    pos,
                    message: format!("anchors hold more than {MAX_ALIAS_NODES} nodes in this file"),
                });
            }
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }
}
