//! The help centre's operations: engineers write articles (one per slug and language,
//! Markdown), everyone reads and searches them, and visitors say whether one helped.
//!
//! Search stems the query as articles were stemmed when written (`crate::help`), so the
//! database only matches tokens. A vote counts once per article and visitor: the visitor is
//! a signed-in account or else the client's address (an IPv6 address by its /64, which one
//! household or office shares), kept only as an HMAC under a random key the store draws once,
//! so the votes table never holds an address. A later vote replaces the visitor's earlier
//! one. Votes are not audited: they are anonymous and would drown the trail.

use std::net::IpAddr;

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;
use tocsin_store::{HelpArticle, HelpListing, HelpSearch, HelpStore};

use super::Refused;
use crate::help::{self, Language};
use crate::{Action, Principal, System};

/// The longest slug, title, body and query.
const MAX_SLUG: usize = 100;
const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 200_000;
const MAX_QUERY: usize = 500;
/// Articles a search answers at most.
pub const MAX_FOUND: usize = 50;
/// Articles a search answers when not told.
pub const DEFAULT_FOUND: usize = 10;

/// An article as written.
#[derive(Debug, Clone, Default)]
pub struct ArticleDraft {
    /// Its address under `/help/`: lowercase letters, digits and dashes.
    pub slug: String,
    /// ISO 639-1 code: `cs`, `en`, `pl`, `fr` or `ru`.
    pub language: String,
    /// Its title.
    pub title: String,
    /// Markdown.
    pub body: String,
}

/// Who votes: the one vote they have on each article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Voter {
    /// A signed-in account, by login.
    Account(String),
    /// An anonymous visitor, by the client's address.
    Address(IpAddr),
}

impl Voter {
    /// What identifies the voter before it is hashed.
    fn identity(&self) -> String {
        match self {
            Voter::Account(login) => format!("account:{login}"),
            Voter::Address(IpAddr::V4(a)) => format!("v4:{a}"),
            Voter::Address(IpAddr::V6(a)) => match a.to_ipv4_mapped() {
                Some(v4) => format!("v4:{v4}"),
                None => {
                    let s = a.segments();
                    format!("v6:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }
}

/// An article a search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundArticle {
    /// Address under `/help/`.
    pub slug: String,
    /// Title.
    pub title: String,
    /// ISO 639-1 code.
    pub language: String,
    /// Plain text around the first word the query looked for.
    pub snippet: String,
}

/// The language of `code`, or a refusal naming the field.
pub fn language(field: &'static str, code: &str) -> Result<Language, Refused> {
    crate::help::parse_language(code).ok_or_else(|| {
        Refused::invalid(
            field,
            format!("{field}: one of cs, en, pl, fr, ru (not `{}`)", code.trim()),
        )
    })
}

fn checked_slug(slug: &str) -> Result<&str, Refused> {
    let slug = slug.trim();
    let fine = !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if fine {
        Ok(slug)
    } else {
        Err(Refused::invalid(
            "slug",
            format!(
                "slug: lowercase letters, digits and inner dashes, at most {MAX_SLUG} (such as `restart-a-server`), not `{slug}`"
            ),
        ))
    }
}

/// The article `draft` makes, written by `login` at `now_ms`: checked (a refusal names the
/// field) and stemmed for search, as it is stored.
pub fn article_of(draft: &ArticleDraft, login: &str, now_ms: i64) -> Result<HelpArticle, Refused> {
    let slug = checked_slug(&draft.slug)?;
    let lang = language("language", &draft.language)?;
    let title = draft.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(Refused::invalid(
            "title",
            format!("title: say what the article answers, in at most {MAX_TITLE} characters"),
        ));
    }
    if draft.body.trim().is_empty() || draft.body.len() > MAX_BODY {
        return Err(Refused::invalid(
            "body",
            format!("body: the article in Markdown, not empty, at most {MAX_BODY} bytes"),
        ));
    }
    let plain = help::plain_text(&draft.body);
    Ok(HelpArticle {
        id: 0,
        slug: slug.to_owned(),
        language: lang.code().to_owned(),
        title: title.to_owned(),
        body: draft.body.clone(),
        title_terms: help::index_text(lang, title),
        search_text: help::index_text(lang, &format!("{title}\n{plain}")),
        plain,
        created_by: login.to_owned(),
        created_ms: now_ms,
        updated_by: login.to_owned(),
        updated_ms: now_ms,
    })
}

impl System {
    /// Writes an article (engineers and up): a new one when `create`, else the existing one
    /// of its slug and language is replaced. Audited.
    pub async fn write_help_article(
        &self,
        who: &Principal,
        draft: ArticleDraft,
        create: bool,
    ) -> Result<HelpArticle, Refused> {
        who.require(Action::WriteHelp)?;
        let mut article = article_of(&draft, &who.login, self.clock.now_ms())?;
        let (slug, lang) = (article.slug.clone(), article.language.clone());
        let target = format!("help:{}/{}", article.slug, article.language);
        if create {
            match self.store.add_help_article(&article).await? {
                Some(id) => article.id = id,
                None => {
                    return Err(Refused::Conflict(format!(
                        "slug: `{}` already has an article in {}; change it with PUT /api/v1/help/articles/{}/{}",
                        article.slug, article.language, article.slug, article.language
                    )))
                }
            }
            self.audit(who, "help.create", &target, &article.title)
                .await;
        } else {
            if !self.store.update_help_article(&article).await? {
                return Err(Refused::NotFound(format!(
                    "no help article `{}` in {}",
                    article.slug, article.language
                )));
            }
            self.audit(who, "help.update", &target, &article.title)
                .await;
            if let Some(stored) = self.store.help_article(&slug, &lang).await? {
                article = stored;
            }
        }
        Ok(article)
    }

    /// The articles of `language` (all when `None`), by language and slug, with their votes
    /// (public: the votes are only shown to staff).
    pub async fn help_index(
        &self,
        language: Option<Language>,
    ) -> Result<Vec<HelpListing>, Refused> {
        Ok(self
            .store
            .help_articles(language.map(Language::code))
            .await?)
    }

    /// The articles with their votes, for staff.
    pub async fn help_articles_for_staff(
        &self,
        who: &Principal,
    ) -> Result<Vec<HelpListing>, Refused> {
        who.require(Action::View)?;
        self.help_index(None).await
    }

    /// Every language's article of `slug` (public), by language.
    pub async fn help_translations(&self, slug: &str) -> Result<Vec<HelpArticle>, Refused> {
        Ok(self.store.help_translations(slug).await?)
    }

    /// The articles that match `text` in `language` (in every language, a language's best
    /// in turn, when `None`), best first, at most `limit` ([`DEFAULT_FOUND`] when `None`,
    /// [`MAX_FOUND`] at most). Public.
    pub async fn search_help(
        &self,
        text: &str,
        language: Option<Language>,
        limit: Option<usize>,
    ) -> Result<Vec<FoundArticle>, Refused> {
        search(&*self.store, text, language, limit).await
    }

    /// Records whether article `slug` in `language` helped `voter` (public). The voter's
    /// earlier answer on it is replaced.
    pub async fn vote_help(
        &self,
        slug: &str,
        language: &str,
        helpful: bool,
        voter: &Voter,
    ) -> Result<(), Refused> {
        let lang = crate::ops::help::language("language", language)?;
        let Some(article) = self.store.help_article(slug, lang.code()).await? else {
            return Err(Refused::NotFound(format!(
                "no help article `{slug}` in {}",
                lang.code()
            )));
        };
        let key = self.store.help_vote_key(&random_key()?).await?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
            .map_err(|e| Refused::Unavailable(format!("vote key: {e}")))?;
        mac.update(voter.identity().as_bytes());
        let voter = hex::encode(mac.finalize().into_bytes());
        self.store
            .vote_help(article.id, &voter, helpful, self.clock.now_ms())
            .await?;
        Ok(())
    }
}

/// The search behind [`System::search_help`], on any store: the query stemmed as the
/// articles were, the store's matches, a snippet for each.
pub async fn search(
    store: &impl HelpStore,
    text: &str,
    language: Option<Language>,
    limit: Option<usize>,
) -> Result<Vec<FoundArticle>, Refused> {
    if text.chars().count() > MAX_QUERY {
        return Err(Refused::invalid(
            "q",
            format!("q: at most {MAX_QUERY} characters"),
        ));
    }
    let limit = limit.unwrap_or(DEFAULT_FOUND).clamp(1, MAX_FOUND);
    let languages: Vec<Language> = match language {
        Some(l) => vec![l],
        None => Language::ALL.to_vec(),
    };
    let mut per_language = Vec::with_capacity(languages.len());
    for lang in languages {
        let query = help::query(lang, text);
        let hits = store
            .search_help(&HelpSearch {
                language: lang.code(),
                terms: &query.terms,
                prefix: query.prefix.as_deref(),
                limit: limit as i64,
            })
            .await?;
        let found: Vec<FoundArticle> = hits
            .into_iter()
            .map(|h| FoundArticle {
                snippet: help::snippet(lang, &h.plain, &query),
                slug: h.slug,
                title: h.title,
                language: h.language,
            })
            .collect();
        per_language.push(found.into_iter());
    }
    // Ranks of different languages do not compare: take each one's best in turn.
    let mut out = Vec::with_capacity(limit);
    while out.len() < limit {
        let before = out.len();
        for found in per_language.iter_mut() {
            if out.len() < limit {
                out.extend(found.next());
            }
        }
        if out.len() == before {
            break;
        }
    }
    Ok(out)
}

/// 32 random bytes from the operating system, as hex.
fn random_key() -> Result<String, Refused> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| Refused::Unavailable(format!("no randomness for the vote key: {e}")))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain_addresses() {
        assert_eq!(
            checked_slug(" restart-a-server ").ok(),
            Some("restart-a-server")
        );
        for bad in ["", "Restart", "a b", "-a", "a-", "../x", "ä"] {
            assert!(checked_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn voters_are_identified_without_their_whole_ipv6_address() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1"
            .parse()
            .unwrap_or(IpAddr::from([0u8; 4]));
        let b: IpAddr = "2001:db8:1:2:bbbb::9"
            .parse()
            .unwrap_or(IpAddr::from([0u8; 4]));
        assert_eq!(Voter::Address(a).identity(), Voter::Address(b).identity());
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap_or(IpAddr::from([0u8; 4]));
        assert_eq!(Voter::Address(mapped).identity(), "v4:192.0.2.7");
        assert_ne!(
            Voter::Account("x".into()).identity(),
            Voter::Address(mapped).identity()
        );
    }
}
