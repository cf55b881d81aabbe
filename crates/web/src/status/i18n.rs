//! The status page's words in each supported language, and choosing a language from
//! `Accept-Language` or `?lang=`.

use serde::Serialize;
use tocsin_model::inventory::Language;

/// Every sentence of the public page, in one language.
#[derive(Debug, Serialize)]
pub(crate) struct Texts {
    pub language_name: &'static str,
    pub title: &'static str,
    pub skip: &'static str,
    pub language: &'static str,
    pub all_operational: &'static str,
    pub minor: &'static str,
    pub major: &'static str,
    pub critical: &'static str,
    pub components: &'static str,
    pub other: &'static str,
    pub operational: &'static str,
    pub degraded_performance: &'static str,
    pub partial_outage: &'static str,
    pub major_outage: &'static str,
    pub under_maintenance: &'static str,
    pub active_incidents: &'static str,
    pub no_active_incidents: &'static str,
    pub recent_incidents: &'static str,
    pub maintenance: &'static str,
    pub no_maintenance: &'static str,
    pub investigating: &'static str,
    pub identified: &'static str,
    pub monitoring: &'static str,
    pub resolved: &'static str,
    pub started: &'static str,
    pub affects: &'static str,
    pub disruption: &'static str,
    pub no_updates: &'static str,
    pub uptime_90: &'static str,
    pub no_services: &'static str,
    pub outage_days: &'static str,
    pub no_outage_days: &'static str,
    pub uptime_note: &'static str,
    pub updated: &'static str,
    pub feed: &'static str,
    pub calendar: &'static str,
    pub json: &'static str,
    pub scheduled: &'static str,
    pub in_progress: &'static str,
    pub window_from: &'static str,
    pub window_until: &'static str,
}

const EN: Texts = Texts {
    language_name: "English",
    title: "Service status",
    skip: "Skip to content",
    language: "Language",
    all_operational: "All systems operational",
    minor: "Partial system outage",
    major: "Major service outage",
    critical: "All services down",
    components: "Components",
    other: "Other services",
    operational: "Operational",
    degraded_performance: "Degraded performance",
    partial_outage: "Partial outage",
    major_outage: "Major outage",
    under_maintenance: "Under maintenance",
    active_incidents: "Active incidents",
    no_active_incidents: "No active incidents.",
    recent_incidents: "Recent incidents",
    maintenance: "Upcoming maintenance",
    no_maintenance: "No maintenance is scheduled.",
    investigating: "Investigating",
    identified: "Identified",
    monitoring: "Monitoring",
    resolved: "Resolved",
    started: "Started",
    affects: "Affects",
    disruption: "Service disruption",
    no_updates: "We are looking into it; updates will follow here.",
    uptime_90: "uptime over the last 90 days",
    no_services: "No services yet",
    outage_days: "Days with outages",
    no_outage_days: "No outages recorded in the last 90 days.",
    uptime_note: "Uptime is computed from the outages Tocsin recorded; a day without a recorded outage counts as fully up.",
    updated: "Updated",
    feed: "Incident history (Atom)",
    calendar: "Maintenance calendar (iCalendar)",
    json: "Status as JSON",
    scheduled: "Scheduled",
    in_progress: "In progress",
    window_from: "From",
    window_until: "until",
};

const CS: Texts = Texts {
    language_name: "Čeština",
    title: "Stav služeb",
    skip: "Přejít na obsah",
    language: "Jazyk",
    all_operational: "Všechny systémy v provozu",
    minor: "Částečný výpadek",
    major: "Závažný výpadek služeb",
    critical: "Všechny služby mimo provoz",
    components: "Součásti",
    other: "Ostatní služby",
    operational: "V provozu",
    degraded_performance: "Snížený výkon",
    partial_outage: "Částečný výpadek",
    major_outage: "Úplný výpadek",
    under_maintenance: "Probíhá údržba",
    active_incidents: "Probíhající incidenty",
    no_active_incidents: "Žádné probíhající incidenty.",
    recent_incidents: "Nedávné incidenty",
    maintenance: "Plánovaná údržba",
    no_maintenance: "Není naplánována žádná údržba.",
    investigating: "Zjišťujeme příčinu",
    identified: "Příčina nalezena",
    monitoring: "Sledujeme",
    resolved: "Vyřešeno",
    started: "Začátek",
    affects: "Týká se",
    disruption: "Narušení služeb",
    no_updates: "Situaci řešíme; další informace doplníme zde.",
    uptime_90: "dostupnost za posledních 90 dní",
    no_services: "Zatím žádné služby",
    outage_days: "Dny s výpadky",
    no_outage_days: "Za posledních 90 dní nebyl zaznamenán žádný výpadek.",
    uptime_note: "Dostupnost vychází z výpadků, které Tocsin zaznamenal; den bez zaznamenaného výpadku se počítá jako plně dostupný.",
    updated: "Aktualizováno",
    feed: "Historie incidentů (Atom)",
    calendar: "Kalendář údržby (iCalendar)",
    json: "Stav ve formátu JSON",
    scheduled: "Naplánováno",
    in_progress: "Probíhá",
    window_from: "Od",
    window_until: "do",
};

const PL: Texts = Texts {
    language_name: "Polski",
    title: "Status usług",
    skip: "Przejdź do treści",
    language: "Język",
    all_operational: "Wszystkie systemy działają",
    minor: "Częściowa awaria systemu",
    major: "Poważna awaria usług",
    critical: "Wszystkie usługi niedostępne",
    components: "Komponenty",
    other: "Pozostałe usługi",
    operational: "Działa",
    degraded_performance: "Obniżona wydajność",
    partial_outage: "Częściowa awaria",
    major_outage: "Poważna awaria",
    under_maintenance: "Prace konserwacyjne",
    active_incidents: "Trwające incydenty",
    no_active_incidents: "Brak trwających incydentów.",
    recent_incidents: "Ostatnie incydenty",
    maintenance: "Planowane prace",
    no_maintenance: "Nie zaplanowano żadnych prac.",
    investigating: "Badamy przyczynę",
    identified: "Przyczyna ustalona",
    monitoring: "Monitorujemy",
    resolved: "Rozwiązany",
    started: "Początek",
    affects: "Dotyczy",
    disruption: "Zakłócenie usług",
    no_updates: "Zajmujemy się tym; kolejne informacje pojawią się tutaj.",
    uptime_90: "dostępność w ostatnich 90 dniach",
    no_services: "Brak usług",
    outage_days: "Dni z awariami",
    no_outage_days: "W ostatnich 90 dniach nie odnotowano awarii.",
    uptime_note: "Dostępność wyliczana jest z awarii zarejestrowanych przez Tocsin; dzień bez zarejestrowanej awarii liczy się jako w pełni dostępny.",
    updated: "Zaktualizowano",
    feed: "Historia incydentów (Atom)",
    calendar: "Kalendarz prac (iCalendar)",
    json: "Status w formacie JSON",
    scheduled: "Zaplanowane",
    in_progress: "W toku",
    window_from: "Od",
    window_until: "do",
};

const FR: Texts = Texts {
    language_name: "Français",
    title: "État des services",
    skip: "Aller au contenu",
    language: "Langue",
    all_operational: "Tous les systèmes sont opérationnels",
    minor: "Panne partielle",
    major: "Panne majeure",
    critical: "Tous les services sont interrompus",
    components: "Composants",
    other: "Autres services",
    operational: "Opérationnel",
    degraded_performance: "Performances dégradées",
    partial_outage: "Panne partielle",
    major_outage: "Panne majeure",
    under_maintenance: "En maintenance",
    active_incidents: "Incidents en cours",
    no_active_incidents: "Aucun incident en cours.",
    recent_incidents: "Incidents récents",
    maintenance: "Maintenances prévues",
    no_maintenance: "Aucune maintenance n’est prévue.",
    investigating: "Analyse en cours",
    identified: "Cause identifiée",
    monitoring: "Sous surveillance",
    resolved: "Résolu",
    started: "Début",
    affects: "Concerne",
    disruption: "Perturbation des services",
    no_updates: "Nous nous en occupons ; les prochaines informations paraîtront ici.",
    uptime_90: "de disponibilité sur les 90 derniers jours",
    no_services: "Aucun service pour l’instant",
    outage_days: "Jours avec des pannes",
    no_outage_days: "Aucune panne enregistrée ces 90 derniers jours.",
    uptime_note: "La disponibilité est calculée à partir des pannes enregistrées par Tocsin ; un jour sans panne enregistrée compte comme entièrement disponible.",
    updated: "Mis à jour",
    feed: "Historique des incidents (Atom)",
    calendar: "Calendrier des maintenances (iCalendar)",
    json: "État au format JSON",
    scheduled: "Planifiée",
    in_progress: "En cours",
    window_from: "Du",
    window_until: "au",
};

const RU: Texts = Texts {
    language_name: "Русский",
    title: "Состояние сервисов",
    skip: "Перейти к содержанию",
    language: "Язык",
    all_operational: "Все системы работают",
    minor: "Частичный сбой",
    major: "Серьёзный сбой",
    critical: "Все сервисы недоступны",
    components: "Компоненты",
    other: "Прочие сервисы",
    operational: "Работает",
    degraded_performance: "Снижена производительность",
    partial_outage: "Частичный сбой",
    major_outage: "Полный сбой",
    under_maintenance: "Техническое обслуживание",
    active_incidents: "Текущие инциденты",
    no_active_incidents: "Текущих инцидентов нет.",
    recent_incidents: "Недавние инциденты",
    maintenance: "Плановые работы",
    no_maintenance: "Плановые работы не запланированы.",
    investigating: "Выясняем причину",
    identified: "Причина найдена",
    monitoring: "Наблюдаем",
    resolved: "Решено",
    started: "Начало",
    affects: "Затрагивает",
    disruption: "Нарушение работы сервисов",
    no_updates: "Мы занимаемся проблемой; новости появятся здесь.",
    uptime_90: "доступность за последние 90 дней",
    no_services: "Сервисов пока нет",
    outage_days: "Дни со сбоями",
    no_outage_days: "За последние 90 дней сбоев не зарегистрировано.",
    uptime_note: "Доступность рассчитана по сбоям, которые зарегистрировал Tocsin; день без зарегистрированного сбоя считается полностью доступным.",
    updated: "Обновлено",
    feed: "История инцидентов (Atom)",
    calendar: "Календарь плановых работ (iCalendar)",
    json: "Состояние в формате JSON",
    scheduled: "Запланированы",
    in_progress: "Идут",
    window_from: "С",
    window_until: "до",
};

/// The words in `language`.
pub(crate) fn texts(language: Language) -> &'static Texts {
    match language {
        Language::Cs => &CS,
        Language::En => &EN,
        Language::Pl => &PL,
        Language::Fr => &FR,
        Language::Ru => &RU,
    }
}

/// The label of a component or incident status in `t`, or the status itself if unknown.
pub(crate) fn status_label<'a>(t: &'a Texts, status: &'a str) -> &'a str {
    match status {
        "operational" => t.operational,
        "degraded_performance" => t.degraded_performance,
        "partial_outage" => t.partial_outage,
        "major_outage" => t.major_outage,
        "under_maintenance" => t.under_maintenance,
        "investigating" => t.investigating,
        "identified" => t.identified,
        "monitoring" => t.monitoring,
        "resolved" => t.resolved,
        "scheduled" => t.scheduled,
        "in_progress" => t.in_progress,
        other => other,
    }
}

/// The language asked for: `?lang=` when it names a supported one, else the best match of
/// `Accept-Language` (RFC 9110 quality values, primary subtag only), else English.
pub(crate) fn negotiate(query_lang: Option<&str>, accept_language: Option<&str>) -> Language {
    if let Some(l) = query_lang.and_then(|q| Language::from_code(&q.to_ascii_lowercase())) {
        return l;
    }
    let Some(header) = accept_language else {
        return Language::En;
    };
    let mut best: Option<(u32, Language)> = None;
    for range in header.split(',') {
        let mut parts = range.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .next()
            .map_or(1000, |q| {
                q.trim()
                    .parse::<f32>()
                    .map_or(0, |q| (q.clamp(0.0, 1.0) * 1000.0) as u32)
            });
        let Some(language) = Language::from_code(&primary) else {
            continue;
        };
        if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, language));
        }
    }
    best.map_or(Language::En, |(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_then_quality_then_english() {
        assert_eq!(negotiate(Some("pl"), Some("cs")), Language::Pl);
        assert_eq!(negotiate(Some("xx"), Some("cs-CZ,cs;q=0.9")), Language::Cs);
        assert_eq!(
            negotiate(None, Some("de-DE,de;q=0.9,fr;q=0.5,ru;q=0.7")),
            Language::Ru
        );
        assert_eq!(negotiate(None, Some("cs;q=0,en-GB;q=0.1")), Language::En);
        assert_eq!(negotiate(None, Some("de")), Language::En);
        assert_eq!(negotiate(None, Some("FR-ca")), Language::Fr);
        assert_eq!(negotiate(None, None), Language::En);
        assert_eq!(negotiate(None, Some(";;,q=,")), Language::En);
    }

    #[test]
    fn every_language_labels_every_status() {
        for l in Language::ALL {
            let t = texts(l);
            for s in ["operational", "partial_outage", "major_outage", "resolved"] {
                assert_ne!(status_label(t, s), s, "{l:?} {s}");
            }
        }
    }
}
