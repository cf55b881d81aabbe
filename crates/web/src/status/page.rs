//! The public status page in HTML, from the compiled-in template with HTML auto-escaping:
//! every name and update body is escaped by the engine, not by hand.

use minijinja::Environment;
use serde::Serialize;
use tocsin_model::inventory::Language;

use super::api::{incident_name, indicator};
use super::i18n::{status_label, texts, Texts};
use super::snapshot::{IncidentView, Snapshot};
use super::time::{human, rfc3339};
use super::Meta;

/// The stylesheet, served at `assets/status.css` relative to the page.
pub(crate) const CSS: &str = include_str!("../../templates/status/status.css");

/// How the language switcher links: query parameters on the server, files in the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    /// `?lang=cs`.
    Query,
    /// `index.cs.html` (English is `index.html`).
    Files,
}

/// How many resolved incidents the page lists under "recent".
const RECENT: usize = 5;

/// Loads the template; failing here is a build defect, caught by the unit tests.
pub(crate) fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    // The name's `.html` turns auto-escaping on.
    env.add_template(
        "index.html",
        include_str!("../../templates/status/index.html"),
    )?;
    Ok(env)
}

#[derive(Serialize)]
struct View<'a> {
    lang: &'static str,
    t: &'static Texts,
    name: &'a str,
    indicator: &'static str,
    indicator_symbol: &'static str,
    indicator_text: &'static str,
    langs: Vec<LangLink>,
    groups: Vec<GroupView>,
    active: Vec<IncidentHtml>,
    maintenances: Vec<MaintenanceHtml>,
    recent: Vec<IncidentHtml>,
    first_date: &'a str,
    last_date: &'a str,
    updated: String,
    updated_iso: String,
}

#[derive(Serialize)]
struct LangLink {
    code: &'static str,
    name: &'static str,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct GroupView {
    name: String,
    components: Vec<ComponentHtml>,
}

#[derive(Serialize)]
struct ComponentHtml {
    id: String,
    name: String,
    status: &'static str,
    status_label: &'static str,
    symbol: &'static str,
    uptime: Option<String>,
    bars: Vec<Bar>,
    outage_days: Vec<String>,
}

#[derive(Serialize)]
struct Bar {
    class: &'static str,
    title: Option<String>,
}

#[derive(Serialize)]
struct IncidentHtml {
    id: i64,
    name: String,
    status: String,
    status_label: String,
    started: String,
    started_iso: String,
    resolved: Option<String>,
    resolved_iso: Option<String>,
    updates: Vec<UpdateHtml>,
}

#[derive(Serialize)]
struct MaintenanceHtml {
    id: i64,
    title: String,
    body: String,
    status: &'static str,
    status_label: &'static str,
    starts: String,
    starts_iso: String,
    ends: String,
    ends_iso: String,
    components: Vec<String>,
}

#[derive(Serialize)]
struct UpdateHtml {
    status_label: String,
    at: String,
    at_iso: String,
    body: String,
}

fn symbol(status: &str) -> &'static str {
    match status {
        "operational" | "none" => "✓",
        "partial_outage" | "degraded_performance" | "minor" => "▲",
        "under_maintenance" | "maintenance" => "⚙",
        _ => "✕",
    }
}

/// A percentage written the way `language` writes decimals.
fn percent(p: f64, language: Language) -> String {
    let s = format!("{p:.2}");
    match language {
        Language::En => s,
        _ => s.replace('.', ","),
    }
}

fn incident_html(s: &Snapshot, i: &IncidentView, t: &'static Texts) -> IncidentHtml {
    IncidentHtml {
        id: i.id,
        name: incident_name(s, i, t.disruption),
        status: i.status.clone(),
        status_label: status_label(t, &i.status).to_owned(),
        started: human(i.opened_ms),
        started_iso: rfc3339(i.opened_ms),
        resolved: i.resolved_ms.map(human),
        resolved_iso: i.resolved_ms.map(rfc3339),
        updates: i
            .updates
            .iter()
            .map(|u| UpdateHtml {
                status_label: status_label(t, &u.status).to_owned(),
                at: human(u.at_ms),
                at_iso: rfc3339(u.at_ms),
                body: u.body.clone(),
            })
            .collect(),
    }
}

/// Renders the page in `language`.
pub(crate) fn render(
    env: &Environment<'static>,
    s: &Snapshot,
    meta: &Meta,
    language: Language,
    links: Links,
) -> Result<String, minijinja::Error> {
    let t = texts(language);
    let mut groups: Vec<GroupView> = Vec::new();
    let mut other: Vec<ComponentHtml> = Vec::new();
    for c in &s.components {
        let bars = c
            .daily
            .iter()
            .zip(&s.dates)
            .map(|(d, date)| Bar {
                class: match d {
                    None => "none",
                    Some(p) if *p >= 100.0 => "ok",
                    Some(p) if *p >= 99.0 => "minor",
                    Some(_) => "major",
                },
                // Only days with an outage carry a tooltip: it keeps the page small, and the
                // same facts are listed as text under "days with outages".
                title: d
                    .filter(|p| *p < 100.0)
                    .map(|p| format!("{date}: {} %", percent(p, language))),
            })
            .collect();
        let outage_days = c
            .daily
            .iter()
            .zip(&s.dates)
            .filter_map(|(d, date)| {
                d.filter(|p| *p < 100.0)
                    .map(|p| format!("{date}: {} %", percent(p, language)))
            })
            .collect();
        let html = ComponentHtml {
            id: c.id.clone(),
            name: c.name.clone(),
            status: c.status,
            status_label: status_label(t, c.status),
            symbol: symbol(c.status),
            uptime: c.uptime.map(|p| percent(p, language)),
            bars,
            outage_days,
        };
        match &c.group {
            None => other.push(html),
            Some(g) => match groups.iter_mut().find(|x| &x.name == g) {
                Some(x) => x.components.push(html),
                None => groups.push(GroupView {
                    name: g.clone(),
                    components: vec![html],
                }),
            },
        }
    }
    if !other.is_empty() {
        groups.push(GroupView {
            name: t.other.to_owned(),
            components: other,
        });
    }
    let ind = indicator(s);
    let langs = Language::ALL
        .into_iter()
        .map(|l| LangLink {
            code: l.code(),
            name: texts(l).language_name,
            href: match (links, l) {
                (Links::Query, l) => format!("?lang={}", l.code()),
                (Links::Files, Language::En) => "index.html".to_owned(),
                (Links::Files, l) => format!("index.{}.html", l.code()),
            },
            current: l == language,
        })
        .collect();
    let view = View {
        lang: language.code(),
        t,
        name: &meta.name,
        indicator: ind,
        indicator_symbol: symbol(ind),
        indicator_text: match ind {
            "none" => t.all_operational,
            "minor" => t.minor,
            "maintenance" => t.under_maintenance,
            "major" => t.major,
            _ => t.critical,
        },
        langs,
        groups,
        active: s
            .incidents
            .iter()
            .filter(|i| i.resolved_ms.is_none())
            .map(|i| incident_html(s, i, t))
            .collect(),
        maintenances: s
            .maintenances
            .iter()
            .filter(|m| m.upcoming())
            .map(|m| MaintenanceHtml {
                id: m.id,
                title: m.title.clone(),
                body: m.body.clone(),
                status: m.status,
                status_label: status_label(t, m.status),
                starts: human(m.starts_ms),
                starts_iso: rfc3339(m.starts_ms),
                ends: human(m.ends_ms),
                ends_iso: rfc3339(m.ends_ms),
                components: m
                    .components
                    .iter()
                    .filter_map(|&c| s.components.get(c))
                    .map(|c| c.name.clone())
                    .collect(),
            })
            .collect(),
        recent: s
            .incidents
            .iter()
            .filter(|i| i.resolved_ms.is_some())
            .take(RECENT)
            .map(|i| incident_html(s, i, t))
            .collect(),
        first_date: s.dates.first().map_or("", String::as_str),
        last_date: s.dates.last().map_or("", String::as_str),
        updated: human(meta.updated_ms),
        updated_iso: rfc3339(meta.updated_ms),
    };
    env.get_template("index.html")?.render(&view)
}
