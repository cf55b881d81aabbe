//! The Atom feed of incidents (RFC 4287) and the maintenance calendar (RFC 5545), whose writer
//! (`calendar`) also writes each customer's private calendar in the client area.

use std::fmt::Write;

use super::api::incident_name;
use super::i18n::{status_label, texts};
use super::snapshot::Snapshot;
use super::time::{human, ical, rfc3339};
use super::Meta;

/// How long a finished maintenance window stays in a calendar (the public one and each
/// customer's).
pub(crate) use super::manual::KEPT_MS;

/// Escapes text for XML content and attribute values.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The feed's id: the page's own URL when it has an absolute one, else a URN of its page id.
fn feed_id(meta: &Meta) -> String {
    if meta.url.starts_with("http://") || meta.url.starts_with("https://") {
        format!("{}/history.atom", meta.url.trim_end_matches('/'))
    } else {
        format!("urn:tocsin:{}:history", meta.page_id)
    }
}

/// `history.atom`: one entry per incident (latest first), its public updates as content.
pub(crate) fn atom(s: &Snapshot, meta: &Meta) -> String {
    let t = texts(tocsin_model::inventory::Language::En);
    let id = feed_id(meta);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n");
    let _ = writeln!(out, "  <id>{}</id>", xml(&id));
    let _ = writeln!(
        out,
        "  <title>{} — incident history</title>",
        xml(&meta.name)
    );
    let updated = s
        .incidents
        .iter()
        .map(|i| i.updated_ms)
        .max()
        .unwrap_or(meta.created_ms);
    let _ = writeln!(out, "  <updated>{}</updated>", rfc3339(updated));
    let _ = writeln!(out, "  <author><name>{}</name></author>", xml(&meta.name));
    out.push_str("  <link rel=\"self\" type=\"application/atom+xml\" href=\"history.atom\"/>\n");
    out.push_str("  <link rel=\"alternate\" type=\"text/html\" href=\"./\"/>\n");
    out.push_str("  <generator>Tocsin</generator>\n");
    for i in &s.incidents {
        let mut html = String::new();
        let _ = write!(
            html,
            "<p>{}: {}</p>",
            xml(t.started),
            xml(&human(i.opened_ms))
        );
        if let Some(r) = i.resolved_ms {
            let _ = write!(html, "<p>{}: {}</p>", xml(t.resolved), xml(&human(r)));
        }
        if !i.updates.is_empty() {
            html.push_str("<ul>");
            for u in &i.updates {
                let _ = write!(
                    html,
                    "<li><strong>{}</strong> ({}): {}</li>",
                    xml(status_label(t, &u.status)),
                    xml(&human(u.at_ms)),
                    xml(&u.body)
                );
            }
            html.push_str("</ul>");
        }
        out.push_str("  <entry>\n");
        let _ = writeln!(out, "    <id>{}:incident:{}</id>", xml(&id), i.id);
        let _ = writeln!(
            out,
            "    <title>{} [{}]</title>",
            xml(&incident_name(s, i, t.disruption)),
            xml(status_label(t, &i.status))
        );
        let _ = writeln!(out, "    <published>{}</published>", rfc3339(i.opened_ms));
        let _ = writeln!(out, "    <updated>{}</updated>", rfc3339(i.updated_ms));
        let _ = writeln!(
            out,
            "    <link rel=\"alternate\" type=\"text/html\" href=\"./#incident-{}\"/>",
            i.id
        );
        let _ = writeln!(out, "    <content type=\"html\">{}</content>", xml(&html));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// Escapes iCalendar TEXT (RFC 5545 §3.3.11), dropping the control characters TEXT cannot
/// carry (all but tab and the line feed it writes as `\n`).
fn ical_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character, and
/// ends it with CRLF.
fn push_folded(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// One maintenance window as a calendar event, in the words of whoever reads the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CalendarEvent {
    /// The event's `UID`: the same for as long as the window exists, moved or cancelled, so
    /// that subscribed calendars update the event rather than add another.
    pub uid: String,
    /// `SUMMARY`, plain text.
    pub summary: String,
    /// `DESCRIPTION`, plain text.
    pub description: String,
    /// Called off: `STATUS:CANCELLED` and no longer taking up the subscriber's time.
    pub cancelled: bool,
    pub created_ms: i64,
    /// When it was last planned, moved or cancelled (`DTSTAMP`, `LAST-MODIFIED`).
    pub updated_ms: i64,
    /// How many times it was moved or cancelled (`SEQUENCE`).
    pub sequence: i64,
    pub starts_ms: i64,
    pub ends_ms: i64,
}

/// A `VCALENDAR` named `name` with `events`, every line escaped and folded at 75 octets. A
/// cancelled window stays as the same event (same `UID`) with `STATUS:CANCELLED`, so that
/// subscribed calendars mark or drop it rather than keep a window that silently vanished from
/// the feed (RFC 5545 §3.8.1.11); every move or cancellation raises `SEQUENCE`, and
/// `DTSTAMP`/`LAST-MODIFIED` say when it last changed.
pub(crate) fn calendar(name: &str, generated_ms: i64, events: &[CalendarEvent]) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Tocsin//Status page//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", ical_text(name)),
        format!("X-TOCSIN-GENERATED:{}", ical(generated_ms)),
    ];
    for e in events {
        let (status, transp) = if e.cancelled {
            ("CANCELLED", "TRANSPARENT")
        } else {
            ("CONFIRMED", "OPAQUE")
        };
        lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", ical_text(&e.uid)),
            format!("DTSTAMP:{}", ical(e.updated_ms)),
            format!("CREATED:{}", ical(e.created_ms)),
            format!("LAST-MODIFIED:{}", ical(e.updated_ms)),
            format!("SEQUENCE:{}", e.sequence),
            format!("DTSTART:{}", ical(e.starts_ms)),
            format!("DTEND:{}", ical(e.ends_ms)),
            format!("SUMMARY:{}", ical_text(&e.summary)),
            format!("DESCRIPTION:{}", ical_text(&e.description)),
            format!("STATUS:{status}"),
            format!("TRANSP:{transp}"),
            "END:VEVENT".to_owned(),
        ]);
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for l in lines {
        push_folded(&mut out, &l);
    }
    out
}

/// `maintenance.ics`: one `VEVENT` per planned maintenance window, those finished in the last
/// 30 days included, so that a calendar keeps them; cancelled ones as such (see
/// [`calendar`]).
pub(crate) fn ics(s: &Snapshot, meta: &Meta) -> String {
    let events: Vec<CalendarEvent> = s
        .maintenances
        .iter()
        .map(|m| {
            let names: Vec<&str> = m
                .components
                .iter()
                .filter_map(|&c| s.components.get(c))
                .map(|c| c.name.as_str())
                .collect();
            let mut description = m.body.clone();
            if !names.is_empty() {
                if !description.is_empty() {
                    description.push_str("\n\n");
                }
                description.push_str(&format!("Affects: {}", names.join(", ")));
            }
            // Said in the title too, for the calendars that show cancelled events as if they
            // were on.
            let summary = if m.cancelled() {
                format!("Cancelled: {}", m.title)
            } else {
                m.title.clone()
            };
            CalendarEvent {
                uid: format!("maintenance-{}@{}", m.id, meta.page_id),
                summary,
                description,
                cancelled: m.cancelled(),
                created_ms: m.created_ms,
                updated_ms: m.updated_ms,
                sequence: m.sequence,
                starts_ms: m.starts_ms,
                ends_ms: m.ends_ms,
            }
        })
        .collect();
    calendar(
        &format!("{} maintenance", meta.name),
        meta.updated_ms,
        &events,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            xml("<a href='x'>&\"\u{1}"),
            "&lt;a href=&apos;x&apos;&gt;&amp;&quot;"
        );
        assert_eq!(ical_text("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
        assert_eq!(ical_text("bell\u{7}\r\ttab\u{7f}"), "bell\ttab");
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "žluťoučký kůň ".repeat(10));
        push_folded(&mut out, &line);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l:?} is {} octets", l.len());
        }
        assert_eq!(out.replace("\r\n ", "").strip_suffix("\r\n"), Some(&*line));
    }
}
