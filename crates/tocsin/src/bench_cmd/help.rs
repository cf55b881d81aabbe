//! `tocsin bench help-search`: the help centre's search over `--articles` generated articles
//! in the five languages (hosting vocabulary in several word forms, each article about a few
//! topics and mentioning others now and then, common words between), written through the same
//! checks and stemming as the API, then `--queries` searches as customers type them (whole
//! words in other forms, the last word often cut short), each timed through the server's own
//! search (stemming, the database, snippets). On SQLite, and on PostgreSQL too when
//! `TOCSIN_TEST_POSTGRES` names a server. Prints JSON with p50/p99 against the goal (20 ms at
//! the 99th percentile).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use tocsin_app::help::Language;
use tocsin_app::ops::{article_of, search_help_articles, ArticleDraft};
use tocsin_store::{AnyStore, HelpStore, PgStore, Store};

/// Arguments of `tocsin bench help-search`.
#[derive(Args)]
pub struct HelpBench {
    /// Articles to write, spread over the five languages.
    #[arg(long, default_value_t = 10_000)]
    articles: usize,
    /// Searches to time on each backend.
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The goal at the 99th percentile, in milliseconds.
const GOAL_P99_MS: f64 = 20.0;

/// Per language: words of the trade in several forms each (a customer's query uses any form),
/// and the common words sentences carry between them.
struct Vocabulary {
    language: Language,
    words: &'static [&'static [&'static str]],
    common: &'static [&'static str],
}

const VOCABULARY: [Vocabulary; 5] = [
    Vocabulary {
        language: Language::Cs,
        words: &[
            &["server", "serveru", "serverem", "servery"],
            &["restart", "restartu", "restartovat"],
            &["faktura", "faktury", "fakturu", "fakturou"],
            &["platba", "platby", "platbu", "platbami"],
            &["doména", "domény", "doménu", "doménou"],
            &["schránka", "schránky", "schránku"],
            &["heslo", "hesla", "heslem"],
            &["záloha", "zálohy", "zálohu", "zálohou"],
            &["databáze", "databázi"],
            &["certifikát", "certifikátu", "certifikáty"],
            &["síť", "sítě", "sítí"],
            &["disk", "disku", "disky"],
            &["migrace", "migraci"],
            &["aktualizace", "aktualizaci"],
            &["účet", "účtu", "účtem"],
            &["výpadek", "výpadku", "výpadky"],
            &["údržba", "údržby", "údržbu"],
            &["záznam", "záznamu", "záznamy"],
            &["přístup", "přístupu"],
            &["klíč", "klíče", "klíčem"],
            &["paměť", "paměti"],
            &["limit", "limitu", "limity"],
            &["instalace", "instalaci"],
            &["nastavení"],
            &["přihlášení"],
            &["webhosting", "webhostingu"],
        ],
        common: &[
            "a", "v", "na", "se", "je", "pro", "jak", "to", "do", "po", "vaše", "váš",
        ],
    },
    Vocabulary {
        language: Language::En,
        words: &[
            &["server", "servers"],
            &["restart", "restarting", "restarted"],
            &["invoice", "invoices", "invoicing"],
            &["payment", "payments"],
            &["domain", "domains"],
            &["mailbox", "mailboxes"],
            &["password", "passwords"],
            &["backup", "backups"],
            &["restore", "restoring", "restored"],
            &["database", "databases"],
            &["certificate", "certificates"],
            &["network", "networks"],
            &["disk", "disks"],
            &["migration", "migrations", "migrate"],
            &["upgrade", "upgrading", "upgraded"],
            &["account", "accounts"],
            &["outage", "outages"],
            &["maintenance"],
            &["record", "records"],
            &["access", "accessing"],
            &["key", "keys"],
            &["memory"],
            &["limit", "limits"],
            &["install", "installing", "installation"],
            &["configure", "configuring", "configuration"],
            &["login", "logins"],
        ],
        common: &[
            "the", "a", "your", "to", "of", "and", "in", "is", "how", "for", "with", "on",
        ],
    },
    Vocabulary {
        language: Language::Pl,
        words: &[
            &["serwer", "serwera", "serwerze", "serwery"],
            &["restart", "restartu"],
            &["faktura", "faktury", "fakturze", "fakturę"],
            &["płatność", "płatności"],
            &["domena", "domeny", "domenie"],
            &["skrzynka", "skrzynki", "skrzynce"],
            &["hasło", "hasła", "hasłem"],
            &["kopia", "kopii", "kopię"],
            &["baza", "bazy", "bazie"],
            &["certyfikat", "certyfikatu", "certyfikaty"],
            &["sieć", "sieci"],
            &["dysk", "dysku", "dyski"],
            &["migracja", "migracji"],
            &["aktualizacja", "aktualizacji"],
            &["konto", "konta", "koncie"],
            &["awaria", "awarii"],
            &["konserwacja", "konserwacji"],
            &["rekord", "rekordu", "rekordy"],
            &["dostęp", "dostępu"],
            &["klucz", "klucza", "klucze"],
            &["pamięć", "pamięci"],
            &["limit", "limitu", "limity"],
            &["instalacja", "instalacji"],
            &["konfiguracja", "konfiguracji"],
            &["logowanie", "logowania"],
            &["hosting", "hostingu"],
        ],
        common: &[
            "i", "w", "na", "się", "jest", "do", "jak", "z", "dla", "to", "twój", "przez",
        ],
    },
    Vocabulary {
        language: Language::Fr,
        words: &[
            &["serveur", "serveurs"],
            &["redémarrer", "redémarré", "redémarrez"],
            &["facture", "factures", "facturé"],
            &["paiement", "paiements"],
            &["domaine", "domaines"],
            &["messagerie", "messageries"],
            &["mot de passe", "mots de passe"],
            &["sauvegarde", "sauvegardes", "sauvegarder"],
            &["restauration", "restaurer"],
            &["base de données", "bases de données"],
            &["certificat", "certificats"],
            &["réseau", "réseaux"],
            &["disque", "disques"],
            &["migration", "migrations", "migrer"],
            &["mise à jour", "mises à jour"],
            &["compte", "comptes"],
            &["panne", "pannes"],
            &["maintenance"],
            &["enregistrement", "enregistrements"],
            &["accès"],
            &["clé", "clés"],
            &["mémoire"],
            &["limite", "limites"],
            &["installation", "installer"],
            &["configuration", "configurer"],
            &["connexion", "connexions"],
        ],
        common: &[
            "le", "la", "les", "de", "du", "des", "votre", "et", "dans", "pour", "un", "une",
        ],
    },
    Vocabulary {
        language: Language::Ru,
        words: &[
            &["сервер", "сервера", "серверу", "сервером"],
            &["перезагрузка", "перезагрузки", "перезагрузку"],
            &["счёт", "счета", "счету"],
            &["оплата", "оплаты", "оплату"],
            &["домен", "домена", "домены"],
            &["почта", "почты", "почту"],
            &["пароль", "пароля", "пароли"],
            &["копия", "копии", "копию"],
            &["база", "базы", "базу"],
            &["сертификат", "сертификата", "сертификаты"],
            &["сеть", "сети"],
            &["диск", "диска", "диски"],
            &["миграция", "миграции"],
            &["обновление", "обновления"],
            &["аккаунт", "аккаунта"],
            &["сбой", "сбоя", "сбои"],
            &["обслуживание", "обслуживания"],
            &["запись", "записи"],
            &["доступ", "доступа"],
            &["ключ", "ключа", "ключи"],
            &["память", "памяти"],
            &["лимит", "лимита", "лимиты"],
            &["установка", "установки"],
            &["настройка", "настройки"],
            &["вход", "входа"],
            &["хостинг", "хостинга"],
        ],
        common: &[
            "и", "в", "на", "с", "как", "для", "не", "что", "по", "ваш", "это", "из",
        ],
    },
];

/// A small generator of our own, seeded, so runs compare.
struct Draw(fastrand::Rng);

impl Draw {
    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.0.usize(..from.len())]
    }

    /// `least` to `least + spread - 1` words of `v`: about one common word in three, the
    /// others trade words in random forms, 24 in 25 from `topic` (indexes into
    /// `v.words`) when it names any, else from every family.
    fn words(
        &mut self,
        v: &Vocabulary,
        topic: &[usize],
        least: usize,
        spread: usize,
    ) -> Vec<&'static str> {
        let n = least + self.0.usize(..spread.max(1));
        (0..n)
            .map(|_| {
                if self.0.u8(..3) == 0 {
                    return *self.pick(v.common);
                }
                let family = if !topic.is_empty() && self.0.u8(..25) != 0 {
                    *self.pick(topic)
                } else {
                    self.0.usize(..v.words.len())
                };
                *self.pick(v.words[family])
            })
            .collect()
    }
}

fn article(draw: &mut Draw, v: &Vocabulary, i: usize) -> ArticleDraft {
    // An article is about something: two to four families of words make most of its text,
    // as "restarting a server" or "invoices and payments" do.
    let topic: Vec<usize> = (0..2 + draw.0.usize(..3))
        .map(|_| draw.0.usize(..v.words.len()))
        .collect();
    let title = draw.words(v, &topic, 3, 4).join(" ");
    let mut body = String::new();
    for _ in 0..(2 + draw.0.usize(..4)) {
        let heading = draw.words(v, &topic, 2, 2).join(" ");
        body.push_str(&format!("## {heading}\n\n"));
        for _ in 0..(2 + draw.0.usize(..3)) {
            let sentence = draw.words(v, &topic, 8, 12).join(" ");
            body.push_str(&format!("{sentence}. "));
        }
        body.push_str(&format!(
            "\n\n- **{}**\n- `{}`\n\n",
            draw.words(v, &topic, 3, 1).join(" "),
            draw.words(v, &topic, 2, 1).join(" ")
        ));
    }
    ArticleDraft {
        slug: format!("article-{i}"),
        language: v.language.code().to_owned(),
        title,
        body,
    }
}

/// A query as a customer types it: one to three words, the last one often cut short.
fn query(draw: &mut Draw, v: &Vocabulary) -> String {
    let mut words = draw.words(v, &[], 1, 3);
    let mut text = words.join(" ");
    if draw.0.bool() {
        if let Some(last) = words.pop() {
            let cut: String = last
                .chars()
                .take(3 + draw.0.usize(..3).min(last.chars().count()))
                .collect();
            words.push("");
            text = format!("{}{cut}", words.join(" "));
        }
    } else {
        text.push(' ');
    }
    text
}

/// What one backend measured.
struct Measured {
    insert_seconds: f64,
    latencies_ms: Vec<f64>,
    results: usize,
    first: Vec<Option<String>>,
}

async fn measure(store: &AnyStore, b: &HelpBench) -> anyhow::Result<Measured> {
    store.migrate().await?;
    let mut draw = Draw(fastrand::Rng::with_seed(b.seed));
    let t = Instant::now();
    for i in 0..b.articles {
        let v = &VOCABULARY[i % VOCABULARY.len()];
        let a = article_of(&article(&mut draw, v, i), "bench", 0)
            .map_err(|e| anyhow::anyhow!("article {i}: {e}"))?;
        store
            .add_help_article(&a)
            .await?
            .with_context(|| format!("article {i} written twice"))?;
    }
    let insert_seconds = t.elapsed().as_secs_f64();
    let mut draw = Draw(fastrand::Rng::with_seed(b.seed ^ 0x5eed));
    let mut latencies_ms = Vec::with_capacity(b.queries);
    let mut results = 0;
    let mut first = Vec::with_capacity(b.queries);
    for i in 0..b.queries {
        let v = &VOCABULARY[i % VOCABULARY.len()];
        let text = query(&mut draw, v);
        let t = Instant::now();
        let found = search_help_articles(store, &text, Some(v.language), Some(10))
            .await
            .map_err(|e| anyhow::anyhow!("query `{text}`: {e}"))?;
        latencies_ms.push(t.elapsed().as_secs_f64() * 1e3);
        results += found.len();
        first.push(found.first().map(|f| f.slug.clone()));
    }
    Ok(Measured {
        insert_seconds,
        latencies_ms,
        results,
        first,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(backend: &str, m: &Measured, b: &HelpBench) -> serde_json::Value {
    let mut sorted = m.latencies_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let p99 = percentile(&sorted, 99.0);
    serde_json::json!({
        "backend": backend,
        "insert_seconds": m.insert_seconds,
        "queries": sorted.len(),
        "mean_results": m.results as f64 / sorted.len().max(1) as f64,
        "p50_ms": percentile(&sorted, 50.0),
        "p90_ms": percentile(&sorted, 90.0),
        "p99_ms": p99,
        "max_ms": sorted.last().copied().unwrap_or(0.0),
        "goal_p99_ms": GOAL_P99_MS,
        "meets_goal": p99 <= GOAL_P99_MS,
        "articles": b.articles,
    })
}

pub(super) fn run(b: HelpBench) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("tocsin-bench-help-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let runtime = crate::edge::runtime()?;
    let outcome = runtime.block_on(async {
        let mut backends = Vec::new();
        let sqlite = AnyStore::connect(&format!("sqlite://{}", dir.join("help.db").display()))
            .await?;
        let lite = measure(&sqlite, &b).await?;
        backends.push(report("sqlite", &lite, &b));
        let mut agreement = serde_json::Value::Null;
        if let Ok(admin_url) = std::env::var("TOCSIN_TEST_POSTGRES") {
            let name = format!("bench_help_{}", std::process::id());
            PgStore::connect(&admin_url)
                .await?
                .create_database_for_tests(&name)
                .await?;
            let (base, _) = admin_url
                .rsplit_once('/')
                .context("TOCSIN_TEST_POSTGRES: postgres://…/DATABASE")?;
            let pg = AnyStore::connect(&format!("{base}/{name}")).await?;
            let measured = measure(&pg, &b).await?;
            backends.push(report("postgres", &measured, &b));
            // Both find the same articles; their rankings differ in detail (bm25 against
            // ts_rank), so this is how often the best article is the same one.
            let same = lite
                .first
                .iter()
                .zip(&measured.first)
                .filter(|(a, b)| a == b)
                .count();
            agreement = serde_json::json!({
                "same_best_article": same as f64 / lite.first.len().max(1) as f64,
                "both_found_nothing": lite.first.iter().zip(&measured.first).filter(|(a, b)| a.is_none() && b.is_none()).count(),
            });
        }
        anyhow::Ok(serde_json::json!({
            "bench": "help",
            "articles": b.articles,
            "languages": VOCABULARY.iter().map(|v| v.language.code()).collect::<Vec<_>>(),
            "backends": backends,
            "sqlite_postgres_agreement": agreement,
        }))
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!("{}", serde_json::to_string_pretty(&outcome?)?);
    Ok(ExitCode::SUCCESS)
}
