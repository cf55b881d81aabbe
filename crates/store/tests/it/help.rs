//! The help centre's store: articles one per slug and language, updates re-indexed in their
//! transaction, search over the terms the running system made (here written out as its
//! stemmer makes them: `serveru`, `serverem` → `server`; `fakturze`, `faktury` → `faktur`;
//! `сервера`, `серверу` → `сервер`; `factures` → `factur`; `restarting` → `restart`), best
//! first, one language at a time, and votes once per voter.

use tocsin_store::{AnyStore, HelpArticle, HelpSearch, HelpStore};

fn article(slug: &str, language: &str, title: &str, title_terms: &str, text: &str) -> HelpArticle {
    HelpArticle {
        id: 0,
        slug: slug.into(),
        language: language.into(),
        title: title.into(),
        body: format!("# {title}\n\nBody of {slug}."),
        plain: format!("{title}\nBody of {slug}."),
        title_terms: title_terms.into(),
        search_text: format!("{title_terms} {text}"),
        created_by: "engineer".into(),
        created_ms: 10,
        updated_by: "engineer".into(),
        updated_ms: 10,
    }
}

async fn found(s: &AnyStore, language: &str, terms: &[&str], prefix: Option<&str>) -> Vec<String> {
    let terms: Vec<String> = terms.iter().map(|t| t.to_string()).collect();
    s.search_help(&HelpSearch {
        language,
        terms: &terms,
        prefix,
        limit: 10,
    })
    .await
    .unwrap()
    .into_iter()
    .map(|h| format!("{}/{}", h.slug, h.language))
    .collect()
}

async fn five_languages(s: &AnyStore) {
    for a in [
        // "Restart serveru" / "Jak restartovat virtuální server ze zákaznické sekce".
        article(
            "restart",
            "cs",
            "Restart serveru",
            "restart server",
            "jak restartovat virtualn server zakaznick sekc",
        ),
        // "Faktury a platby" / "Kde najdete fakturze…".
        article(
            "invoices",
            "cs",
            "Faktury a platby",
            "faktur platb",
            "kde najdet faktur pdf",
        ),
        article(
            "restart",
            "pl",
            "Restart serwera",
            "restart serwer",
            "jak zrestartowa serwer",
        ),
        article(
            "invoices",
            "pl",
            "Faktury i płatności",
            "faktur platnosc",
            "gdzie znajdz faktur",
        ),
        article(
            "restart",
            "ru",
            "Перезагрузка сервера",
            "перезагрузк сервер",
            "как перезагруз сервер",
        ),
        article(
            "invoices",
            "fr",
            "Vos factures",
            "factur",
            "telecharg factur pdf",
        ),
        article(
            "restart",
            "en",
            "Restarting a server",
            "restart server",
            "restart server control panel",
        ),
        article(
            "invoices",
            "en",
            "Invoices and payments",
            "invoic payment",
            "download invoic pdf",
        ),
        // Mentions servers once, in the text only: found after the articles about them.
        article(
            "dns",
            "en",
            "DNS records",
            "dns record",
            "point domain server address record",
        ),
    ] {
        assert!(
            s.add_help_article(&a).await.unwrap().is_some(),
            "{}",
            a.slug
        );
    }
}

pub async fn help_articles_are_one_per_slug_and_language(s: &AnyStore) {
    let a = article(
        "restart",
        "en",
        "Restarting a server",
        "restart server",
        "panel",
    );
    let id = s.add_help_article(&a).await.unwrap().unwrap();
    assert_eq!(s.add_help_article(&a).await.unwrap(), None);
    let cs = article(
        "restart",
        "cs",
        "Restart serveru",
        "restart server",
        "panel",
    );
    assert!(s.add_help_article(&cs).await.unwrap().is_some());
    let stored = s.help_article("restart", "en").await.unwrap().unwrap();
    assert_eq!(stored, HelpArticle { id, ..a.clone() });
    assert_eq!(s.help_article("restart", "fr").await.unwrap(), None);
    let both: Vec<String> = s
        .help_translations("restart")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.language)
        .collect();
    assert_eq!(both, ["cs", "en"]);
    assert_eq!(s.help_articles(Some("en")).await.unwrap().len(), 1);
    assert_eq!(s.help_articles(None).await.unwrap().len(), 2);
}

pub async fn an_updated_article_is_found_by_its_new_words_only(s: &AnyStore) {
    let a = article(
        "restart",
        "en",
        "Restarting a server",
        "restart server",
        "panel",
    );
    s.add_help_article(&a).await.unwrap().unwrap();
    assert_eq!(found(s, "en", &["restart"], None).await, ["restart/en"]);
    let changed = HelpArticle {
        title: "Rebooting a machine".into(),
        title_terms: "reboot machin".into(),
        search_text: "reboot machin panel".into(),
        updated_by: "lead".into(),
        updated_ms: 20,
        ..a.clone()
    };
    assert!(s.update_help_article(&changed).await.unwrap());
    assert!(found(s, "en", &["restart"], None).await.is_empty());
    assert_eq!(found(s, "en", &["reboot"], None).await, ["restart/en"]);
    let stored = s.help_article("restart", "en").await.unwrap().unwrap();
    assert_eq!(
        (
            stored.title.as_str(),
            stored.created_by.as_str(),
            stored.created_ms
        ),
        ("Rebooting a machine", "engineer", 10)
    );
    assert_eq!(
        (stored.updated_by.as_str(), stored.updated_ms),
        ("lead", 20)
    );
    let missing = HelpArticle {
        slug: "nothing".into(),
        ..changed
    };
    assert!(!s.update_help_article(&missing).await.unwrap());
}

pub async fn search_finds_word_forms_of_each_language_best_first(s: &AnyStore) {
    five_languages(s).await;
    // cs "serverem" and "serveru" are the term "server"; the title match comes first.
    assert_eq!(found(s, "cs", &["server"], None).await, ["restart/cs"]);
    assert_eq!(found(s, "cs", &["faktur"], None).await, ["invoices/cs"]);
    assert_eq!(found(s, "pl", &["faktur"], None).await, ["invoices/pl"]);
    assert_eq!(found(s, "pl", &["serwer"], None).await, ["restart/pl"]);
    assert_eq!(found(s, "ru", &["сервер"], None).await, ["restart/ru"]);
    assert_eq!(found(s, "fr", &["factur"], None).await, ["invoices/fr"]);
    // Best first: the article about restarting servers, then the one mentioning a server.
    assert_eq!(
        found(s, "en", &["server"], None).await,
        ["restart/en", "dns/en"]
    );
    assert_eq!(
        found(s, "en", &["restart", "server"], None).await,
        ["restart/en", "dns/en"]
    );
    // Any term: one found by each.
    let mut either = found(s, "en", &["invoic", "dns"], None).await;
    either.sort();
    assert_eq!(either, ["dns/en", "invoices/en"]);
    // The word being typed: a prefix of its term.
    assert_eq!(found(s, "en", &[], Some("invo")).await, ["invoices/en"]);
    assert_eq!(found(s, "cs", &[], Some("fak")).await, ["invoices/cs"]);
    assert_eq!(found(s, "ru", &[], Some("перезаг")).await, ["restart/ru"]);
    // Nothing to look for, or nothing that matches.
    assert!(found(s, "en", &[], None).await.is_empty());
    assert!(found(s, "en", &["zebra"], None).await.is_empty());
}

pub async fn search_keeps_to_its_language(s: &AnyStore) {
    five_languages(s).await;
    // "restart" is a term in cs, pl and en; each search sees its own language only.
    assert_eq!(found(s, "cs", &["restart"], None).await, ["restart/cs"]);
    assert_eq!(found(s, "pl", &["restart"], None).await, ["restart/pl"]);
    assert_eq!(found(s, "en", &["restart"], None).await, ["restart/en"]);
    assert!(found(s, "fr", &["restart"], None).await.is_empty());
    assert!(found(s, "de", &["restart"], None).await.is_empty());
    // The language's own code is not a term of its articles.
    assert!(found(s, "en", &["en"], None).await.is_empty());
    // A hit carries the text the snippet is cut from.
    let terms = vec!["factur".to_owned()];
    let hits = s
        .search_help(&HelpSearch {
            language: "fr",
            terms: &terms,
            prefix: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].title, "Vos factures");
    assert_eq!(hits[0].plain, "Vos factures\nBody of invoices.");
}

pub async fn search_returns_at_most_its_limit(s: &AnyStore) {
    for i in 0..30 {
        let a = article(&format!("a{i:02}"), "en", "Server", "server", "server");
        s.add_help_article(&a).await.unwrap().unwrap();
    }
    let terms = vec!["server".to_owned()];
    let hits = s
        .search_help(&HelpSearch {
            language: "en",
            terms: &terms,
            prefix: None,
            limit: 7,
        })
        .await
        .unwrap();
    // Equal ranks come in the order written.
    let slugs: Vec<&str> = hits.iter().map(|h| h.slug.as_str()).collect();
    assert_eq!(slugs, ["a00", "a01", "a02", "a03", "a04", "a05", "a06"]);
}

pub async fn votes_count_once_per_voter_and_article(s: &AnyStore) {
    five_languages(s).await;
    let id = s.help_article("restart", "en").await.unwrap().unwrap().id;
    let other = s.help_article("dns", "en").await.unwrap().unwrap().id;
    s.vote_help(id, "v1", true, 1).await.unwrap();
    s.vote_help(id, "v1", true, 2).await.unwrap();
    s.vote_help(id, "v2", true, 3).await.unwrap();
    s.vote_help(id, "v3", false, 4).await.unwrap();
    // v3 changes their mind; v1 votes on another article too.
    s.vote_help(id, "v3", true, 5).await.unwrap();
    s.vote_help(other, "v1", false, 6).await.unwrap();
    let list = s.help_articles(Some("en")).await.unwrap();
    let counts: Vec<(&str, i64, i64)> = list
        .iter()
        .map(|l| (l.slug.as_str(), l.helpful, l.unhelpful))
        .collect();
    assert_eq!(
        counts,
        [("dns", 0, 1), ("invoices", 0, 0), ("restart", 3, 0)]
    );
}

pub async fn the_vote_key_is_drawn_once(s: &AnyStore) {
    let first = s.help_vote_key("aaaa").await.unwrap();
    assert_eq!(first, "aaaa");
    assert_eq!(s.help_vote_key("bbbb").await.unwrap(), "aaaa");
}
