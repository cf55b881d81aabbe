//! Wire shapes of the alert sources: Prometheus Alertmanager's webhook (version 4) and
//! Tocsin's generic JSON, parsed with the path of any error (`alerts[2].status: …`).

use std::collections::BTreeMap;

use serde::Deserialize;
use tocsin_model::State;
use tocsin_store::AlertStatus;

use tocsin_app::{Incoming, Target};

/// Alertmanager's webhook body; fields Tocsin does not use are accepted and ignored.
#[derive(Debug, Deserialize)]
pub struct AlertmanagerWebhook {
    /// "4" for current Alertmanager.
    #[serde(default)]
    pub version: Option<String>,
    /// The alerts of the notification.
    pub alerts: Vec<AlertmanagerAlert>,
}

/// One alert of an Alertmanager notification.
#[derive(Debug, Deserialize)]
pub struct AlertmanagerAlert {
    /// `firing` or `resolved`.
    pub status: String,
    /// Identifying labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Alertmanager's identity of the alert.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// When it started (RFC 3339), as Alertmanager says.
    #[serde(default, rename = "startsAt")]
    pub starts_at: Option<String>,
}

/// Tocsin's generic alert.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericAlert {
    /// The vertex id.
    pub node: String,
    /// `down`, `degraded` or `up`.
    pub state: String,
    /// Which system sent it.
    #[serde(default)]
    pub source: Option<String>,
    /// Its identity at that system; a later alert with the same id replaces it.
    #[serde(default)]
    pub id: Option<String>,
}

/// Parses JSON into `T`, saying where it is wrong.
pub fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, String> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            format!("malformed JSON: {inner}")
        } else {
            format!("malformed JSON at `{path}`: {inner}")
        }
    })
}

/// The alerts of an Alertmanager notification, received at `now_ms`.
pub fn alertmanager(body: &[u8], now_ms: i64) -> Result<Vec<Incoming>, String> {
    let hook: AlertmanagerWebhook = parse(body)?;
    if let Some(v) = &hook.version {
        if v != "4" {
            return Err(format!(
                "unsupported Alertmanager webhook version `{v}` (expected \"4\")"
            ));
        }
    }
    hook.alerts
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let status = match a.status.as_str() {
                "firing" => AlertStatus::Firing,
                "resolved" => AlertStatus::Resolved,
                other => {
                    return Err(format!(
                        "alerts[{i}].status: `{other}` is neither `firing` nor `resolved`"
                    ))
                }
            };
            let state = match a.labels.get("tocsin_state").map(String::as_str) {
                Some("degraded") => State::Degraded,
                _ => State::Down,
            };
            // Without a fingerprint the labels are the identity, as Alertmanager's are.
            let fingerprint = match a.fingerprint.filter(|f| !f.is_empty()) {
                Some(f) => f,
                None => format!(
                    "labels:{}",
                    serde_json::to_string(&a.labels).unwrap_or_default()
                ),
            };
            let target = match a.labels.get("tocsin_node") {
                Some(node) => Target::Node(node.clone()),
                None => Target::Labels(a.labels.into_iter().collect()),
            };
            Ok(Incoming {
                source: "alertmanager".to_owned(),
                fingerprint,
                status,
                state,
                target,
                received_ms: now_ms,
            })
        })
        .collect()
}

/// A generic alert, received at `now_ms`.
pub fn generic(body: &[u8], now_ms: i64) -> Result<Incoming, String> {
    let a: GenericAlert = parse(body)?;
    let (status, state) = match a.state.as_str() {
        "down" => (AlertStatus::Firing, State::Down),
        "degraded" => (AlertStatus::Firing, State::Degraded),
        "up" => (AlertStatus::Resolved, State::Up),
        other => {
            return Err(format!(
                "state: `{other}` is not one of `down`, `degraded`, `up`"
            ))
        }
    };
    if a.node.is_empty() {
        return Err("node: must name a vertex".to_owned());
    }
    let source = a
        .source
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "generic".to_owned());
    Ok(Incoming {
        fingerprint: a
            .id
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("node:{}", a.node)),
        source: format!("generic:{source}"),
        status,
        state,
        target: Target::Node(a.node),
        received_ms: now_ms,
    })
}

/// Zabbix's webhook media type, as Tocsin's documentation tells to set it up: `event_id`
/// ({EVENT.ID}), `event_value` ({EVENT.VALUE}: 1 problem, 0 recovery), `host` ({HOST.HOST}),
/// `tags` ({EVENT.TAGSJSON}: a list of `{tag, value}`, or the same as a JSON string, or an
/// object of tag → value).
#[derive(Debug, Deserialize)]
pub struct ZabbixEvent {
    /// The problem's event id; its recovery carries the same.
    pub event_id: serde_json::Value,
    /// 1 for a problem, 0 for its recovery.
    pub event_value: serde_json::Value,
    /// The host's technical name.
    #[serde(default)]
    pub host: Option<String>,
    /// The event's tags.
    #[serde(default)]
    pub tags: Option<serde_json::Value>,
}

fn scalar_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn zabbix_tags(tags: &serde_json::Value) -> Result<Vec<(String, String)>, String> {
    match tags {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::String(s) if s.trim().is_empty() => Ok(Vec::new()),
        serde_json::Value::String(s) => {
            let inner: serde_json::Value =
                serde_json::from_str(s).map_err(|e| format!("tags: not JSON: {e}"))?;
            zabbix_tags(&inner)
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let tag = t.get("tag").and_then(scalar_text);
                let value = t.get("value").and_then(scalar_text).unwrap_or_default();
                tag.map(|tag| (tag, value))
                    .ok_or_else(|| format!("tags[{i}]: expected {{\"tag\": …, \"value\": …}}"))
            })
            .collect(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                scalar_text(v)
                    .map(|v| (k.clone(), v))
                    .ok_or_else(|| format!("tags.{k}: expected a string"))
            })
            .collect(),
        _ => Err("tags: expected a list of {tag, value}".to_owned()),
    }
}

/// A Zabbix problem or recovery event, received at `now_ms`.
pub fn zabbix(body: &[u8], now_ms: i64) -> Result<Incoming, String> {
    let e: ZabbixEvent = parse(body)?;
    let event_id = scalar_text(&e.event_id)
        .filter(|s| !s.is_empty())
        .ok_or("event_id: expected the event's id ({EVENT.ID})")?;
    let status = match scalar_text(&e.event_value).as_deref() {
        Some("1") => AlertStatus::Firing,
        Some("0") => AlertStatus::Resolved,
        _ => {
            return Err(
                "event_value: expected 1 (problem) or 0 (recovery) ({EVENT.VALUE})".to_owned(),
            )
        }
    };
    let mut labels = match &e.tags {
        Some(t) => zabbix_tags(t)?,
        None => Vec::new(),
    };
    let state = match labels.iter().find(|(k, _)| k == "tocsin_state") {
        Some((_, v)) if v == "degraded" => State::Degraded,
        _ => State::Down,
    };
    let node = labels
        .iter()
        .find(|(k, _)| k == "tocsin_node")
        .map(|(_, v)| v.clone());
    let target = match (node, e.host) {
        (Some(node), _) => Target::Node(node),
        (None, Some(host)) => {
            labels.push(("host".to_owned(), host.clone()));
            Target::HostOrLabels(host, labels)
        }
        (None, None) => Target::Labels(labels),
    };
    Ok(Incoming {
        source: "zabbix".to_owned(),
        fingerprint: format!("event:{event_id}"),
        status,
        state,
        target,
        received_ms: now_ms,
    })
}
