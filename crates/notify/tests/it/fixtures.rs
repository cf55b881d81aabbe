//! Notices used across the tests.

use tocsin_model::inventory::Language;
use tocsin_notify::{Notice, NoticeKind, Sender, ServiceLine};

/// 2026-11-22 16:11:51 UTC.
pub const DATE: i64 = 1_795_363_911;

pub fn sender() -> Sender {
    Sender {
        from: "Tocsin NOC <noc@status.example.net>".to_owned(),
        list_id: "status.example.net".to_owned(),
    }
}

/// A customer with four affected services whose outages last 1 minute, 22 minutes, 1 hour
/// 5 minutes, and one whose clock jumped back (up before it went down).
pub fn notice(kind: NoticeKind, language: Language) -> Notice {
    let resolved = kind == NoticeKind::Resolved;
    let line = |id: &str, name: &str, down: i64, up: i64| ServiceLine {
        id: id.to_owned(),
        name: name.to_owned(),
        down_since: DATE - down,
        back_up_at: resolved.then_some(DATE - up),
    };
    Notice {
        kind,
        incident_id: 42,
        incident_title: "Hypervisor hv-07 restart".to_owned(),
        customer_name: "Pekárna Novák s.r.o.".to_owned(),
        to: "jana@pekarna.example".to_owned(),
        language,
        services: vec![
            line("vps-1042", "Web server www-1", 1320, 1260),
            line("db-7", "Databáze PostgreSQL", 1320, 0),
            line("mail-3", "Poštovní server", 5220, 1320),
            line("backup-9", "Záloha", 100, 400),
        ],
        public_url: "https://status.example.net/".to_owned(),
        date: DATE,
        outbox_id: if resolved { 1002 } else { 1001 },
        body: String::new(),
        at_risk: 0,
        window: None,
        credit: None,
        ticket: None,
    }
}
