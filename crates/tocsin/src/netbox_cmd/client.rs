//! A NetBox REST client of our own: the token header (v1 `Token`, v2 `Bearer nbt_…`), every
//! list walked through `next` in id order with only the fields the importer reads, and
//! errors that name the URL that failed.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{anyhow, bail, Context};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use tocsin_inventory::netbox::types::{Page, Status};
use zeroize::Zeroizing;

/// How many objects to ask for per page; NetBox answers at most its `MAX_PAGE_SIZE`
/// (1000 by default) and says where the rest is in `next`.
pub const PAGE_SIZE: u32 = 1000;

/// A connection to one NetBox.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    page_size: u32,
    requests: AtomicU64,
    bytes: AtomicU64,
}

/// The header value for a token: NetBox's v2 tokens (`nbt_…`, NetBox 4.5) go as `Bearer`,
/// older ones as `Token`.
fn authorization(token: &str) -> anyhow::Result<HeaderValue> {
    let scheme = if token.starts_with("nbt_") {
        "Bearer"
    } else {
        "Token"
    };
    let text = Zeroizing::new(format!("{scheme} {token}"));
    let mut value = HeaderValue::from_str(&text)
        .map_err(|_| anyhow!("the token holds characters a header cannot carry"))?;
    value.set_sensitive(true);
    Ok(value)
}

impl Client {
    /// A client of the NetBox at `url` (its base, e.g. `https://netbox.example/`).
    pub fn new(url: &str, token: &str, page_size: u32) -> anyhow::Result<Client> {
        let mut base = Url::parse(url).with_context(|| format!("`{url}` is not a URL (--url)"))?;
        if !matches!(base.scheme(), "http" | "https") {
            bail!("`{url}` is not an http or https URL (--url)");
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        // The process's one TLS provider; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization(token)?);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Client {
            http,
            base,
            page_size: page_size.max(1),
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        })
    }

    /// Requests made so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Response bytes received so far (after decompression).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// `GET url` as JSON of type `T`, with an error that names the URL.
    async fn get<T: DeserializeOwned>(&self, url: &Url) -> anyhow::Result<T> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let answer = self.http.get(url.clone()).send().await.map_err(|e| {
            anyhow!(
                "cannot reach NetBox at {url}: {}",
                std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string())
            )
        })?;
        let status = answer.status();
        let body = answer
            .bytes()
            .await
            .map_err(|e| anyhow!("NetBox at {url} broke off its answer: {e}"))?;
        self.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            bail!(
                "NetBox at {url} refused the token (HTTP {}{})",
                status.as_u16(),
                detail(&body).map_or_else(String::new, |d| format!(": {d}"))
            );
        }
        if !status.is_success() {
            bail!(
                "{url} answered HTTP {}{}",
                status.as_u16(),
                detail(&body).map_or_else(String::new, |d| format!(": {d}"))
            );
        }
        serde_json::from_slice(&body).map_err(|e| {
            anyhow!(
                "{url} did not answer like NetBox's REST API ({e}); is --url NetBox's base URL?"
            )
        })
    }

    /// NetBox's version, from `/api/status/`; this is also the check that `--url` is NetBox.
    pub async fn status(&self) -> anyhow::Result<String> {
        let url = self.url("api/status/")?;
        let status: Status = self.get(&url).await?;
        Ok(status.netbox_version)
    }

    fn url(&self, path: &str) -> anyhow::Result<Url> {
        self.base
            .join(path)
            .with_context(|| format!("cannot make a URL of {} and {path}", self.base))
    }

    /// Every object of the list at `path` (e.g. `api/dcim/devices/`), in id order, asking only
    /// for `fields` and filtered by `filters`, following `next` until the last page.
    pub async fn list<T: DeserializeOwned + HasId>(
        &self,
        path: &str,
        fields: &str,
        filters: &[(&str, &str)],
    ) -> anyhow::Result<Vec<T>> {
        let mut url = self.url(path)?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &self.page_size.to_string());
            q.append_pair("ordering", "id");
            q.append_pair("fields", fields);
            for (k, v) in filters {
                q.append_pair(k, v);
            }
        }
        let mut out: Vec<T> = Vec::new();
        let mut seen_pages = 0u64;
        let mut per_page = 0u64;
        loop {
            let page: Page<T> = self.get(&url).await?;
            seen_pages += 1;
            if per_page == 0 {
                per_page = page.results.len().max(1) as u64;
            }
            out.extend(page.results);
            let Some(next) = page.next else { break };
            let next_url = self.follow(&url, &next)?;
            // A server whose `next` never ends would keep us here for ever.
            if next_url == url || seen_pages > page.count / per_page + 2 {
                bail!(
                    "NetBox at {url} keeps pointing `next` at more pages than its count of {} needs",
                    page.count
                );
            }
            url = next_url;
        }
        out.sort_by_key(HasId::id);
        out.dedup_by_key(|o| o.id());
        Ok(out)
    }

    /// The URL of a `next` link, taken by its path and query from the server named in
    /// `--url`: NetBox behind a proxy often writes its own host name into `next`.
    fn follow(&self, current: &Url, next: &str) -> anyhow::Result<Url> {
        let given = Url::parse(next)
            .or_else(|_| current.join(next))
            .map_err(|_| {
                anyhow!("NetBox at {current} gave `next` = {next:?}, which is not a URL")
            })?;
        let mut url = self.base.clone();
        url.set_path(given.path());
        url.set_query(given.query());
        Ok(url)
    }
}

/// The `detail` NetBox gives with an error, or the start of a body that is not JSON.
fn detail(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Detail {
        detail: String,
    }
    if let Ok(d) = serde_json::from_slice::<Detail>(body) {
        return Some(d.detail);
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(120).collect())
}

/// Objects with a NetBox id.
pub trait HasId {
    /// The NetBox id.
    fn id(&self) -> u64;
}

macro_rules! has_id {
    ($($t:ident),*) => {
        $(impl HasId for tocsin_inventory::netbox::types::$t {
            fn id(&self) -> u64 {
                self.id
            }
        })*
    };
}

has_id!(
    Site,
    Device,
    Interface,
    PowerPort,
    PowerPanel,
    PowerFeed,
    Cluster,
    VirtualMachine,
    Tenant,
    Contact,
    ContactAssignment
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_tokens_go_as_bearer_and_others_as_token() -> anyhow::Result<()> {
        assert_eq!(authorization("nbt_abc.def")?, "Bearer nbt_abc.def");
        assert_eq!(authorization("0123abcd")?, "Token 0123abcd");
        assert!(authorization("0123abcd")?.is_sensitive());
        assert!(authorization("bad\ntoken").is_err());
        Ok(())
    }

    #[test]
    fn next_is_followed_by_path_and_query_on_the_given_server() -> anyhow::Result<()> {
        let c = Client::new("http://127.0.0.1:9/netbox", "t", 100)?;
        let cur = c.url("api/dcim/devices/?limit=100")?;
        let next = c.follow(
            &cur,
            "http://netbox.invalid/netbox/api/dcim/devices/?limit=100&offset=100&ordering=id",
        )?;
        assert_eq!(
            next.as_str(),
            "http://127.0.0.1:9/netbox/api/dcim/devices/?limit=100&offset=100&ordering=id"
        );
        Ok(())
    }
}
