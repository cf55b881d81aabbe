//! The help centre's words: articles are found by the word forms of their language, so that
//! a Czech customer typing "serverem" finds the article titled "Restart serveru". Text is cut
//! into words, lowercased, stemmed by the language's Snowball-family stemmer and folded
//! (Latin diacritics removed) in Rust, into a `search_text` the database indexes as plain
//! tokens; queries go through the same steps. So SQLite's FTS5 and PostgreSQL's `simple`
//! text search see the same tokens and find the same articles, for Czech and Polish too,
//! which neither database stems.
//!
//! Markdown bodies are read here only for their words (`text`); rendering them to HTML is the
//! web face's business.

pub mod stem;
mod stop;
pub mod text;

pub use stem::{index_text, parse_language, query, terms, Language, Query};
pub use text::{plain_text, snippet};
