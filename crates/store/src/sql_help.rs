//! The help centre in SQL. Articles and votes are the same text for SQLite and PostgreSQL;
//! only the search differs, FTS5's `MATCH` with `bm25` against `@@` with `ts_rank`, both over
//! the terms the running system made.

use sqlx::Row;

use crate::help::{HelpArticle, HelpHit, HelpListing, HelpSearch, HelpStore};
use crate::sql::{PgStore, SqliteStore};
use crate::{AnyStore, Result};

/// The columns `article_from!` reads, in order.
macro_rules! article_columns {
    () => {
        "id, slug, language, title, body, plain, title_terms, search_text, created_by, \
         created_ms, updated_by, updated_ms"
    };
}

macro_rules! article_from {
    ($r:expr) => {
        HelpArticle {
            id: $r.try_get(0)?,
            slug: $r.try_get(1)?,
            language: $r.try_get(2)?,
            title: $r.try_get(3)?,
            body: $r.try_get(4)?,
            plain: $r.try_get(5)?,
            title_terms: $r.try_get(6)?,
            search_text: $r.try_get(7)?,
            created_by: $r.try_get(8)?,
            created_ms: $r.try_get(9)?,
            updated_by: $r.try_get(10)?,
            updated_ms: $r.try_get(11)?,
        }
    };
}

/// Terms are letters and digits only; anything else is dropped rather than trusted inside
/// a query language.
fn clean(term: &str) -> String {
    term.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The search's cleaned terms written with `term`, then its cleaned prefix written with
/// `prefix`; empty ones left out. The two databases' query languages differ only there.
fn alternatives(
    s: &HelpSearch<'_>,
    term: impl Fn(&str) -> String,
    prefix: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut out: Vec<String> = s
        .terms
        .iter()
        .map(|t| clean(t))
        .filter(|t| !t.is_empty())
        .map(|t| term(&t))
        .collect();
    if let Some(p) = s.prefix.map(clean).filter(|p| !p.is_empty()) {
        out.push(prefix(&p));
    }
    out
}

/// The FTS5 query: the language's articles with any term in the title or the text.
fn fts5_query(s: &HelpSearch<'_>) -> Option<String> {
    let alternatives = alternatives(s, |t| format!("\"{t}\""), |p| format!("\"{p}\"*"));
    let language = clean(s.language);
    if alternatives.is_empty() || language.is_empty() {
        return None;
    }
    Some(format!(
        "language : \"{language}\" AND {{title_terms search_text}} : ({})",
        alternatives.join(" OR ")
    ))
}

/// The `tsquery` text: any term, or the prefix.
fn ts_query(s: &HelpSearch<'_>) -> Option<String> {
    let alternatives = alternatives(s, |t| format!("'{t}'"), |p| format!("'{p}':*"));
    (!alternatives.is_empty()).then(|| alternatives.join(" | "))
}

macro_rules! help_impl {
    ($store:ty, { $($search:tt)* }) => {
        impl HelpStore for $store {
            async fn add_help_article(&self, a: &HelpArticle) -> Result<Option<i64>> {
                let row = sqlx::query(
                    "INSERT INTO help_articles (slug, language, title, body, plain, title_terms, \
                     search_text, created_by, created_ms, updated_by, updated_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (slug, language) DO NOTHING RETURNING id",
                )
                .bind(&a.slug)
                .bind(&a.language)
                .bind(&a.title)
                .bind(&a.body)
                .bind(&a.plain)
                .bind(&a.title_terms)
                .bind(&a.search_text)
                .bind(&a.created_by)
                .bind(a.created_ms)
                .bind(&a.updated_by)
                .bind(a.updated_ms)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some(r.try_get(0)?),
                    None => None,
                })
            }

            async fn update_help_article(&self, a: &HelpArticle) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE help_articles SET title = $3, body = $4, plain = $5, \
                     title_terms = $6, search_text = $7, updated_by = $8, updated_ms = $9 \
                     WHERE slug = $1 AND language = $2",
                )
                .bind(&a.slug)
                .bind(&a.language)
                .bind(&a.title)
                .bind(&a.body)
                .bind(&a.plain)
                .bind(&a.title_terms)
                .bind(&a.search_text)
                .bind(&a.updated_by)
                .bind(a.updated_ms)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn help_article(&self, slug: &str, language: &str) -> Result<Option<HelpArticle>> {
                let row = sqlx::query(concat!(
                    "SELECT ", article_columns!(),
                    " FROM help_articles WHERE slug = $1 AND language = $2"
                ))
                .bind(slug)
                .bind(language)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some(article_from!(r)),
                    None => None,
                })
            }

            async fn help_translations(&self, slug: &str) -> Result<Vec<HelpArticle>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", article_columns!(),
                    " FROM help_articles WHERE slug = $1 ORDER BY language"
                ))
                .bind(slug)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(article_from!(r))).collect()
            }

            async fn help_articles(&self, language: Option<&str>) -> Result<Vec<HelpListing>> {
                let rows = sqlx::query(
                    "SELECT a.id, a.slug, a.language, a.title, a.updated_by, a.updated_ms, \
                     COALESCE(SUM(CASE WHEN v.helpful THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN NOT v.helpful THEN 1 ELSE 0 END), 0) \
                     FROM help_articles a LEFT JOIN help_votes v ON v.article = a.id \
                     WHERE $1 IS NULL OR a.language = $1 \
                     GROUP BY a.id, a.slug, a.language, a.title, a.updated_by, a.updated_ms \
                     ORDER BY a.language, a.slug",
                )
                .bind(language)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(HelpListing {
                            id: r.try_get(0)?,
                            slug: r.try_get(1)?,
                            language: r.try_get(2)?,
                            title: r.try_get(3)?,
                            updated_by: r.try_get(4)?,
                            updated_ms: r.try_get(5)?,
                            helpful: r.try_get(6)?,
                            unhelpful: r.try_get(7)?,
                        })
                    })
                    .collect()
            }

            $($search)*

            async fn vote_help(
                &self,
                article: i64,
                voter: &str,
                helpful: bool,
                at_ms: i64,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO help_votes (article, voter, helpful, voted_ms) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (article, voter) \
                     DO UPDATE SET helpful = excluded.helpful, voted_ms = excluded.voted_ms",
                )
                .bind(article)
                .bind(voter)
                .bind(helpful)
                .bind(at_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn help_vote_key(&self, candidate: &str) -> Result<String> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO help_vote_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                )
                .bind(candidate)
                .execute(&mut *tx)
                .await?;
                let key: String = sqlx::query("SELECT key FROM help_vote_key WHERE id = 1")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
                tx.commit().await?;
                Ok(key)
            }
        }
    };
}

help_impl!(SqliteStore, {
    async fn search_help(&self, s: &HelpSearch<'_>) -> Result<Vec<HelpHit>> {
        let Some(query) = fts5_query(s) else {
            return Ok(Vec::new());
        };
        // bm25 is lower for better matches; the language column weighs nothing, a title
        // match four times a body match. Ranked and cut inside FTS5 (its `rank` column,
        // which it sorts itself) before the articles are joined: a broad query matches most
        // of a language's articles, and joining them all first costs more than the search.
        let rows = sqlx::query(
            "SELECT a.slug, a.language, a.title, a.plain FROM \
             (SELECT rowid, rank FROM help_fts WHERE help_fts MATCH $1 \
              AND rank MATCH 'bm25(0.0, 4.0, 1.0)' ORDER BY rank, rowid LIMIT $2) AS f \
             JOIN help_articles a ON a.id = f.rowid ORDER BY f.rank, f.rowid",
        )
        .bind(query)
        .bind(s.limit)
        .fetch_all(&self.pool)
        .await?;
        hits(&rows)
    }
});

help_impl!(PgStore, {
    async fn search_help(&self, s: &HelpSearch<'_>) -> Result<Vec<HelpHit>> {
        let Some(query) = ts_query(s) else {
            return Ok(Vec::new());
        };
        // The title is weight A, the text B: ts_rank counts an A match 2.5 times a B one.
        let rows = sqlx::query(
            "SELECT slug, language, title, plain FROM help_articles \
             WHERE language = $1 AND search @@ to_tsquery('simple', $2) \
             ORDER BY ts_rank(search, to_tsquery('simple', $2)) DESC, id LIMIT $3",
        )
        .bind(s.language)
        .bind(query)
        .bind(s.limit)
        .fetch_all(&self.pool)
        .await?;
        hits(&rows)
    }
});

fn hits<R: Row>(rows: &[R]) -> Result<Vec<HelpHit>>
where
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|r| {
            Ok(HelpHit {
                slug: r.try_get(0)?,
                language: r.try_get(1)?,
                title: r.try_get(2)?,
                plain: r.try_get(3)?,
            })
        })
        .collect()
}

impl HelpStore for AnyStore {
    async fn add_help_article(&self, article: &HelpArticle) -> Result<Option<i64>> {
        dispatch!(self, s => s.add_help_article(article).await)
    }
    async fn update_help_article(&self, article: &HelpArticle) -> Result<bool> {
        dispatch!(self, s => s.update_help_article(article).await)
    }
    async fn help_article(&self, slug: &str, language: &str) -> Result<Option<HelpArticle>> {
        dispatch!(self, s => s.help_article(slug, language).await)
    }
    async fn help_translations(&self, slug: &str) -> Result<Vec<HelpArticle>> {
        dispatch!(self, s => s.help_translations(slug).await)
    }
    async fn help_articles(&self, language: Option<&str>) -> Result<Vec<HelpListing>> {
        dispatch!(self, s => s.help_articles(language).await)
    }
    async fn search_help(&self, search: &HelpSearch<'_>) -> Result<Vec<HelpHit>> {
        dispatch!(self, s => s.search_help(search).await)
    }
    async fn vote_help(&self, article: i64, voter: &str, helpful: bool, at_ms: i64) -> Result<()> {
        dispatch!(self, s => s.vote_help(article, voter, helpful, at_ms).await)
    }
    async fn help_vote_key(&self, candidate: &str) -> Result<String> {
        dispatch!(self, s => s.help_vote_key(candidate).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_quote_terms_and_drop_anything_else() {
        let terms = vec!["server".to_owned(), "x\"y OR".to_owned()];
        let s = HelpSearch {
            language: "cs",
            terms: &terms,
            prefix: Some("rest'"),
            limit: 5,
        };
        assert_eq!(
            fts5_query(&s).as_deref(),
            Some("language : \"cs\" AND {title_terms search_text} : (\"server\" OR \"xyOR\" OR \"rest\"*)")
        );
        assert_eq!(
            ts_query(&s).as_deref(),
            Some("'server' | 'xyOR' | 'rest':*")
        );
        let none = HelpSearch {
            language: "cs",
            terms: &[],
            prefix: None,
            limit: 5,
        };
        assert_eq!(fts5_query(&none), None);
        assert_eq!(ts_query(&none), None);
    }
}
