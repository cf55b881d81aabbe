//! The help centre's articles, their helpfulness votes and the full-text search over them.
//! The store indexes the terms the running system made (stemmed, folded words) and never
//! stems anything itself: SQLite keeps an FTS5 index beside the table, PostgreSQL a `simple`
//! `tsvector` column with a GIN index, and both find the same articles for the same terms.

use crate::Result;

/// One article in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpArticle {
    /// Id (0 before it is stored).
    pub id: i64,
    /// Its address under `/help/`, shared by its translations.
    pub slug: String,
    /// ISO 639-1 code.
    pub language: String,
    /// Its title.
    pub title: String,
    /// The Markdown as written.
    pub body: String,
    /// The body's text without markup, which snippets quote.
    pub plain: String,
    /// The title's terms, separated by spaces (weighted above the rest).
    pub title_terms: String,
    /// The terms of the title and the body, separated by spaces.
    pub search_text: String,
    /// Who wrote it first.
    pub created_by: String,
    /// When, ms since the epoch.
    pub created_ms: i64,
    /// Who changed it last.
    pub updated_by: String,
    /// When, ms since the epoch.
    pub updated_ms: i64,
}

/// An article as lists show it: no body, and its votes counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpListing {
    /// Id.
    pub id: i64,
    /// Address under `/help/`.
    pub slug: String,
    /// ISO 639-1 code.
    pub language: String,
    /// Title.
    pub title: String,
    /// Who changed it last.
    pub updated_by: String,
    /// When, ms since the epoch.
    pub updated_ms: i64,
    /// Visitors who found it helpful.
    pub helpful: i64,
    /// Visitors who did not.
    pub unhelpful: i64,
}

/// A search: articles of `language` with any of `terms`, or a term starting with `prefix`.
#[derive(Debug, Clone, Copy)]
pub struct HelpSearch<'a> {
    /// ISO 639-1 code.
    pub language: &'a str,
    /// Whole terms (letters and digits only, as the running system makes them).
    pub terms: &'a [String],
    /// The beginning of a term, if any.
    pub prefix: Option<&'a str>,
    /// At most this many articles.
    pub limit: i64,
}

/// An article found, as a search answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpHit {
    /// Address under `/help/`.
    pub slug: String,
    /// ISO 639-1 code.
    pub language: String,
    /// Title.
    pub title: String,
    /// The body's text, for the snippet.
    pub plain: String,
}

/// The help centre's storage. Every method is one transaction.
#[allow(async_fn_in_trait)]
pub trait HelpStore {
    /// Stores a new article (`id` is not read) and indexes it; returns its id, or `None`
    /// when its slug already has an article in its language (then nothing is stored).
    async fn add_help_article(&self, article: &HelpArticle) -> Result<Option<i64>>;
    /// Replaces the title, texts and terms of the article of `article.slug` in
    /// `article.language`, and who changed it when, re-indexing it in the same transaction;
    /// `false` when there is none.
    async fn update_help_article(&self, article: &HelpArticle) -> Result<bool>;
    /// The article of `slug` in `language`.
    async fn help_article(&self, slug: &str, language: &str) -> Result<Option<HelpArticle>>;
    /// Every language's article of `slug`, by language.
    async fn help_translations(&self, slug: &str) -> Result<Vec<HelpArticle>>;
    /// The articles of `language` (of all languages when `None`), by language and slug, with
    /// their votes counted.
    async fn help_articles(&self, language: Option<&str>) -> Result<Vec<HelpListing>>;
    /// The articles a search finds, best first (title matches above body matches, equal
    /// ones in the order they were written); none when it has neither terms nor a prefix.
    async fn search_help(&self, search: &HelpSearch<'_>) -> Result<Vec<HelpHit>>;
    /// Records `voter`'s answer on article `article`, replacing their earlier one.
    async fn vote_help(&self, article: i64, voter: &str, helpful: bool, at_ms: i64) -> Result<()>;
    /// The key of the voters' hashes: `candidate` when none was stored yet (then it is), else
    /// the stored one, even when several instances ask at once.
    async fn help_vote_key(&self, candidate: &str) -> Result<String>;
}
