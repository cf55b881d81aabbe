-- Help centre articles, one per slug and language. body is the Markdown as written, plain
-- its text without markup (snippets quote it); title_terms and search_text are the title's
-- and the whole article's words stemmed and folded by the running system, which stems the
-- queries the same way, so both backends index the same tokens.
CREATE TABLE help_articles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    plain       TEXT    NOT NULL,
    title_terms TEXT    NOT NULL,
    search_text TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_ms  INTEGER NOT NULL,
    UNIQUE (slug, language)
);
CREATE INDEX help_articles_language ON help_articles (language, slug);

-- The full-text index over the stemmed columns, its content read from help_articles and
-- kept by triggers in the writing transaction. The tokens are already folded: unicode61
-- must not fold again (it would turn й into и on one side only). Prefix indexes make the
-- word being typed cheap to look up.
CREATE VIRTUAL TABLE help_fts USING fts5(
    language, title_terms, search_text,
    content = 'help_articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3 4'
);
CREATE TRIGGER help_articles_ai AFTER INSERT ON help_articles BEGIN
    INSERT INTO help_fts (rowid, language, title_terms, search_text)
    VALUES (new.id, new.language, new.title_terms, new.search_text);
END;
CREATE TRIGGER help_articles_ad AFTER DELETE ON help_articles BEGIN
    INSERT INTO help_fts (help_fts, rowid, language, title_terms, search_text)
    VALUES ('delete', old.id, old.language, old.title_terms, old.search_text);
END;
CREATE TRIGGER help_articles_au AFTER UPDATE ON help_articles BEGIN
    INSERT INTO help_fts (help_fts, rowid, language, title_terms, search_text)
    VALUES ('delete', old.id, old.language, old.title_terms, old.search_text);
    INSERT INTO help_fts (rowid, language, title_terms, search_text)
    VALUES (new.id, new.language, new.title_terms, new.search_text);
END;

-- "Was this helpful?": one answer per article and voter, a later answer replacing the
-- earlier. voter is a keyed hash (of an account or a client address), never the address.
CREATE TABLE help_votes (
    article  INTEGER NOT NULL REFERENCES help_articles (id) ON DELETE CASCADE,
    voter    TEXT    NOT NULL,
    helpful  BOOLEAN NOT NULL,
    voted_ms INTEGER NOT NULL,
    PRIMARY KEY (article, voter)
);

-- The key of the voters' hashes: drawn once by the first instance that needs it, shared
-- by every instance.
CREATE TABLE help_vote_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT    NOT NULL
);
