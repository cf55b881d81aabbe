//! `tocsin import netbox --watch INTERVAL`: re-imports on an interval; only when the result
//! differs from the file on disk is it checked, written and the server told to reload, with
//! a summary of what changed in the log. A failed round keeps the file as it was.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use reqwest::header::{HeaderValue, AUTHORIZATION};
use tocsin_inventory::netbox::{self, Options};

use super::{import, read_token, Client, NetboxArgs};
use crate::edge::write_atomically;

/// The Tocsin server to reload after a change.
struct Reloader {
    http: reqwest::Client,
    url: reqwest::Url,
    auth: HeaderValue,
}

impl Reloader {
    fn new(base: &str, token: &str) -> anyhow::Result<Reloader> {
        let base = reqwest::Url::parse(base)
            .with_context(|| format!("`{base}` is not a URL (--reload)"))?;
        let url = base
            .join("api/v1/inventory/reload")
            .with_context(|| format!("cannot make the reload URL of {base}"))?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| anyhow!("the reload token holds characters a header cannot carry"))?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Reloader { http, url, auth })
    }

    async fn reload(&self) -> anyhow::Result<()> {
        let answer = self
            .http
            .post(self.url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .map_err(|e| anyhow!("cannot reach the Tocsin server at {}: {e}", self.url))?;
        let status = answer.status();
        if !status.is_success() {
            let body = answer.text().await.unwrap_or_default();
            bail!(
                "the Tocsin server at {} refused the reload (HTTP {}): {}",
                self.url,
                status.as_u16(),
                body.chars().take(2000).collect::<String>()
            );
        }
        Ok(())
    }
}

/// Runs rounds until Ctrl-C or SIGTERM.
pub(super) async fn run(
    client: &Client,
    options: &Options,
    args: &NetboxArgs,
    every: Duration,
) -> anyhow::Result<ExitCode> {
    let Some(out) = &args.out else {
        bail!("--watch needs --out FILE");
    };
    let reloader = match (&args.reload, &args.reload_token_file) {
        (Some(url), Some(file)) => Some(Reloader::new(
            url,
            &read_token(file, "--reload-token-file")?,
        )?),
        (Some(_), None) => bail!("--reload needs --reload-token-file"),
        _ => None,
    };
    let shown = out.display().to_string();
    tracing::info!(netbox = %args.url, out = %shown, every = %humantime::format_duration(every), "watching NetBox");
    loop {
        round(client, options, out, &shown, reloader.as_ref()).await;
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = crate::edge::stop_signal() => break,
        }
    }
    tracing::info!("stopped watching NetBox");
    Ok(ExitCode::SUCCESS)
}

/// One import; every failure is logged, and the file and server stay as they were.
async fn round(
    client: &Client,
    options: &Options,
    out: &std::path::Path,
    shown: &str,
    reloader: Option<&Reloader>,
) {
    let before = client.requests();
    let imported = match import(client, options).await {
        Ok(i) => i,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "NetBox import failed; the inventory stays as it was");
            return;
        }
    };
    let requests = client.requests() - before;
    let old = std::fs::read_to_string(out).unwrap_or_default();
    if old == imported.text {
        tracing::info!(
            requests,
            warnings = imported.warnings.len(),
            "NetBox unchanged"
        );
        return;
    }
    if let Err(e) = tocsin_inventory::load_str(shown, &imported.text) {
        tracing::error!(errors = %e, "the imported inventory does not pass check; not written");
        return;
    }
    for w in &imported.warnings {
        tracing::warn!("netbox {w}");
    }
    let diff = netbox::diff(&old, &imported.text);
    if let Err(e) = write_atomically(out, imported.text.as_bytes()) {
        tracing::error!(error = %format!("{e:#}"), "cannot write the inventory");
        return;
    }
    tracing::info!(requests, netbox = %imported.netbox_version, nodes = imported.counts.nodes, services = imported.counts.services, changes = %diff, "inventory changed and written");
    if let Some(r) = reloader {
        match r.reload().await {
            Ok(()) => tracing::info!(server = %r.url, "server reloaded"),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "reload failed"),
        }
    }
}
