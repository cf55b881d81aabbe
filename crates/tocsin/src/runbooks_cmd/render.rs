//! The printed runbooks as one self-contained HTML page: Markdown rendered with comrak and
//! sanitized with ammonia, the roster, contacts, drills and single points of failure, an
//! embedded font and an A4 print stylesheet. Pure: the generation time is an argument.

use std::fmt;

use base64::Engine;
use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options};
use minijinja::{Environment, Value};
use serde::Serialize;
use tocsin_store::{Account, Shift};

use super::drills::DueDrill;
use crate::report::RedundancyReport;

const TEMPLATE: &str = include_str!("../../templates/runbooks/index.html");
const CSS: &str = include_str!("../../templates/runbooks/print.css");
const FONT_REGULAR: &[u8] = include_bytes!("../../assets/DejaVuSans.woff2");
const FONT_BOLD: &[u8] = include_bytes!("../../assets/DejaVuSans-Bold.woff2");

/// How many services a printed single point of failure names; the rest are counted.
const SERVICES_SHOWN: usize = 12;

/// One runbook, its HTML already sanitized.
#[derive(Debug, Clone)]
pub struct Runbook {
    /// The Markdown file's name.
    pub file: String,
    /// Its first heading, else the file's name.
    pub title: String,
    /// The body, sanitized: the only HTML the page marks safe.
    html: String,
}

impl Runbook {
    /// Renders `markdown` (GFM) and sanitizes the result. A leading heading becomes the title
    /// and leaves the body, so it is not printed twice.
    pub fn from_markdown(file: &str, markdown: &str) -> Result<Runbook, fmt::Error> {
        let arena = Arena::new();
        let options = gfm();
        let root = comrak::parse_document(&arena, markdown, &options);
        let heading = root
            .descendants()
            .find(|n| matches!(n.data.borrow().value, NodeValue::Heading(_)));
        let title = heading
            .map(|h| h.collect_text().trim().to_owned())
            .filter(|t| !t.is_empty());
        if let (Some(h), Some(_)) = (heading, &title) {
            if root
                .first_child()
                .is_some_and(|first| std::ptr::eq(first, h))
            {
                h.detach();
            }
        }
        images_as_text(&arena, root);
        mark_bare_links(&arena, root);
        let mut html = String::new();
        comrak::format_html(root, &options, &mut html)?;
        Ok(Runbook {
            file: file.to_owned(),
            title: title.unwrap_or_else(|| file.to_owned()),
            html: sanitizer().clean(&html).to_string(),
        })
    }
}

/// GitHub Flavored Markdown. Raw HTML is let through to ammonia, the one sanitizer, so that
/// harmless tags (`<kbd>`, `<br>`) survive and everything else goes.
fn gfm() -> Options<'static> {
    let mut o = Options::default();
    o.extension.table = true;
    o.extension.tasklist = true;
    o.extension.strikethrough = true;
    o.extension.autolink = true;
    o.render.r#unsafe = true;
    o
}

/// Images would be fetched when the page opens, and the network may be down when it is
/// read: each is printed as its description and address instead.
fn images_as_text<'a>(arena: &'a Arena<'a>, root: &'a AstNode<'a>) {
    let images: Vec<&AstNode<'_>> = root
        .descendants()
        .filter(|n| matches!(n.data.borrow().value, NodeValue::Image(_)))
        .collect();
    for image in images {
        let url = match &image.data.borrow().value {
            NodeValue::Image(link) => link.url.clone(),
            _ => continue,
        };
        let alt = image.collect_text();
        let text = format!("[image: {} <{url}>]", alt.trim());
        let node = arena.alloc(AstNode::from(NodeValue::Text(text.into())));
        image.insert_before(node);
        image.detach();
    }
}

/// A link whose text is its address already shows it: marked `bare`, the stylesheet does not
/// print the address a second time. The mark is raw HTML, sanitized like the rest.
fn mark_bare_links<'a>(arena: &'a Arena<'a>, root: &'a AstNode<'a>) {
    let links: Vec<&AstNode<'_>> = root
        .descendants()
        .filter(|n| match &n.data.borrow().value {
            NodeValue::Link(link) => n.collect_text() == link.url,
            _ => false,
        })
        .collect();
    for link in links {
        let url = link.collect_text();
        let url = escape_html(&url);
        let html = format!("<a class=\"bare\" href=\"{url}\">{url}</a>");
        let node = arena.alloc(AstNode::from(NodeValue::HtmlInline(html)));
        link.insert_before(node);
        link.detach();
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    // Task lists' check boxes, and nothing else of forms: read-only, never a text field.
    b.add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked"])
        .set_tag_attribute_value("input", "disabled", "")
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") if value != "checkbox" => None,
            _ => Some(value.into()),
        })
        .add_allowed_classes("a", ["bare"])
        .rm_tags(["img"]);
    b
}

/// A staff member as printed: never a password hash or a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Login.
    pub login: String,
    /// Role.
    pub role: String,
    /// E-mail, if set.
    pub email: Option<String>,
}

/// Enabled staff accounts, most senior role first, then by login.
pub fn staff_contacts(accounts: &[Account]) -> Vec<Contact> {
    const ROLES: [&str; 4] = ["admin", "shift_lead", "engineer", "junior"];
    let mut staff: Vec<Contact> = accounts
        .iter()
        .filter(|a| !a.disabled && ROLES.contains(&a.role.as_str()))
        .map(|a| Contact {
            login: a.login.clone(),
            role: a.role.clone(),
            email: a.email.clone(),
        })
        .collect();
    let rank = |role: &str| ROLES.iter().position(|r| *r == role);
    staff.sort_by(|a, b| {
        rank(&a.role)
            .cmp(&rank(&b.role))
            .then(a.login.cmp(&b.login))
    });
    staff
}

/// Everything the page prints.
pub struct Book<'a> {
    /// The provider's name, if known.
    pub provider: Option<&'a str>,
    /// When it was generated.
    pub generated_ms: i64,
    /// The provider's time zone.
    pub time_zone: &'a jiff::tz::TimeZone,
    /// The runbooks, in file name order.
    pub runbooks: &'a [Runbook],
    /// Shifts of the roster's window, by start.
    pub roster: &'a [Shift],
    /// Staff.
    pub contacts: &'a [Contact],
    /// Drill occurrences due, earliest first.
    pub drills: &'a [DueDrill],
    /// `tocsin spof`'s report.
    pub spof: &'a RedundancyReport<'a>,
}

/// A moment in the provider's zone and in UTC.
#[derive(Serialize)]
struct When {
    local: String,
    utc: String,
}

fn when(ms: i64, tz: &jiff::tz::TimeZone) -> When {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => When {
            local: t
                .to_zoned_datetime(tz.clone())
                .strftime("%a %Y-%m-%d %H:%M %Z")
                .to_string(),
            utc: t
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .strftime("%a %Y-%m-%d %H:%M UTC")
                .to_string(),
        },
        Err(_) => When {
            local: format!("{ms} ms"),
            utc: format!("{ms} ms"),
        },
    }
}

fn duration(ms: i64) -> String {
    let minutes = ms / 60_000;
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A CSS string literal holding `text`, every character that could end it escaped.
fn css_string(text: &str) -> String {
    let mut s = String::from("\"");
    for c in text.chars() {
        if c.is_alphanumeric() || " .,:;-_/()@".contains(c) {
            s.push(c);
        } else {
            s.push_str(&format!("\\{:x} ", u32::from(c)));
        }
    }
    s.push('"');
    s
}

fn font(bytes: &[u8]) -> Value {
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    Value::from_safe_string(format!("data:font/woff2;base64,{data}"))
}

/// The whole page.
pub fn render(book: &Book<'_>) -> Result<String, minijinja::Error> {
    let tz = book.time_zone;
    let generated = when(book.generated_ms, tz);
    let emails: std::collections::HashMap<&str, &str> = book
        .contacts
        .iter()
        .filter_map(|c| Some((c.login.as_str(), c.email.as_deref()?)))
        .collect();
    let roster: Vec<Value> = book
        .roster
        .iter()
        .map(|s| {
            minijinja::context! {
                login => s.login,
                email => emails.get(s.login.as_str()),
                lead => s.lead,
                starts => when(s.starts_ms, tz),
                ends => when(s.ends_ms, tz),
            }
        })
        .collect();
    let drills: Vec<Value> = book
        .drills
        .iter()
        .map(|d| {
            minijinja::context! {
                title => d.title,
                targets => d.targets,
                starts => when(d.occurrence_ms, tz),
                duration => duration(d.duration_ms),
                announced => d.announced,
                overdue => d.overdue,
            }
        })
        .collect();
    let imagined: Vec<Value> = book
        .spof
        .imagined
        .iter()
        .map(|x| {
            minijinja::context! {
                id => x.id,
                kind => x.kind,
                count => x.services.len(),
                shown => &x.services[..x.services.len().min(SERVICES_SHOWN)],
                more => x.services.len().saturating_sub(SERVICES_SHOWN),
            }
        })
        .collect();
    let runbooks: Vec<Value> = book
        .runbooks
        .iter()
        .map(|r| {
            minijinja::context! {
                title => r.title,
                file => r.file,
                html => Value::from_safe_string(r.html.clone()),
            }
        })
        .collect();
    let heading = match book.provider {
        Some(p) => format!("{p} — runbooks, printed {}", generated.local),
        None => format!("Runbooks, printed {}", generated.local),
    };
    let css = CSS.replace("/*RUNNING_HEADER*/", &css_string(&heading));
    let mut env = Environment::new();
    env.add_template("index.html", TEMPLATE)?;
    env.get_template("index.html")?.render(minijinja::context! {
        css => Value::from_safe_string(css),
        font_regular => font(FONT_REGULAR),
        font_bold => font(FONT_BOLD),
        provider => book.provider,
        generated => generated,
        zone => tz.iana_name().unwrap_or("the provider's zone"),
        runbooks => runbooks,
        roster => roster,
        contacts => book.contacts,
        drills => drills,
        spof => minijinja::context! {
            services => book.spof.services,
            with_any => book.spof.with_any,
            imagined => imagined,
        },
    })
}

#[cfg(test)]
mod tests;
