-- Help centre articles, one per slug and language. body is the Markdown as written, plain
-- its text without markup (snippets quote it); title_terms and search_text are the title's
-- and the whole article's words stemmed and folded by the running system, which stems the
-- queries the same way, so both backends index the same tokens. The `simple` configuration
-- only lowercases: it leaves the tokens as the running system made them.
CREATE TABLE help_articles (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    plain       TEXT    NOT NULL,
    title_terms TEXT    NOT NULL,
    search_text TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_ms  BIGINT  NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_ms  BIGINT  NOT NULL,
    search      tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title_terms), 'A')
        || setweight(to_tsvector('simple', search_text), 'B')
    ) STORED,
    UNIQUE (slug, language)
);
CREATE INDEX help_articles_language ON help_articles (language, slug);
-- Without a pending list: articles are written rarely and searched as customers type, and
-- a search would otherwise scan every entry not yet merged (9 ms of a 10 ms search after
-- 10,000 articles were written, until the next vacuum).
CREATE INDEX help_articles_search ON help_articles USING GIN (search) WITH (fastupdate = off);

-- "Was this helpful?": one answer per article and voter, a later answer replacing the
-- earlier. voter is a keyed hash (of an account or a client address), never the address.
CREATE TABLE help_votes (
    article  BIGINT  NOT NULL REFERENCES help_articles (id) ON DELETE CASCADE,
    voter    TEXT    NOT NULL,
    helpful  BOOLEAN NOT NULL,
    voted_ms BIGINT  NOT NULL,
    PRIMARY KEY (article, voter)
);

-- The key of the voters' hashes: drawn once by the first instance that needs it, shared
-- by every instance.
CREATE TABLE help_vote_key (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT    NOT NULL
);
