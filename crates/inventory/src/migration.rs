//! Reads the VMs to migrate and the customers' downtime windows (`--vms FILE`, per
//! `shared/spec/migration.md`) into the model's planning request, with `FILE:LINE:COL` and the
//! field for every problem. The customers of a VM are found in the inventory's graph.

use std::path::Path;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::HashMap;
use tocsin_model::migration::{
    customers_of, parse_link, CustomerWindows, DiskFormat, MigrationVm, Request,
    DEFAULT_OVERHEAD_SECONDS, DEFAULT_STREAMS, MAX_STREAMS,
};
use tocsin_model::Inventory;

use crate::fields::Fields;
use crate::yaml::{Node, Pos, Reader, TopLevel};
use crate::{Diagnostic, LoadError};

mod values;
mod windows;

use values::{duration_seconds, positive};
use windows::read_windows;

const TOP_KEYS: &[&str] = &[
    "windows",
    "time_zone",
    "from",
    "link",
    "streams",
    "overhead",
    "vms",
];
const VM_KEYS: &[&str] = &["id", "disk_bytes", "format"];

/// What the command line says over the file.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    /// `--link`, bit/s.
    pub link_bits_per_second: Option<u64>,
    /// `--streams`.
    pub streams: Option<u32>,
}

/// Reads `path` against `inventory`.
pub fn read_vms_path(
    path: &Path,
    inventory: &Inventory,
    overrides: Overrides,
) -> Result<Request, LoadError> {
    let shown = path.display().to_string();
    let fail = |message: String| LoadError {
        diagnostics: vec![Diagnostic {
            file: shown.clone(),
            pos: None,
            message,
        }],
    };
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| fail("not valid UTF-8".into()))?;
    read_vms(&shown, &text, inventory, overrides)
}

/// Reads the text of a VMs file named `file` in messages; every problem is reported.
pub fn read_vms(
    file: &str,
    text: &str,
    inventory: &Inventory,
    overrides: Overrides,
) -> Result<Request, LoadError> {
    let mut diagnostics: Vec<(Pos, String)> = Vec::new();
    let request = {
        let mut error = |pos: Pos, message: String| diagnostics.push((pos, message));
        read(text, inventory, overrides, &mut error)
    };
    match request {
        Some(r) if diagnostics.is_empty() => Ok(r),
        _ => {
            diagnostics.sort_by_key(|(p, _)| *p);
            Err(LoadError {
                diagnostics: diagnostics
                    .into_iter()
                    .map(|(pos, message)| Diagnostic {
                        file: file.to_owned(),
                        pos: Some(pos),
                        message,
                    })
                    .collect(),
            })
        }
    }
}

/// What the top level said, before the pieces are put together.
#[derive(Default)]
struct Top<'t> {
    windows: Option<Node<'t>>,
    time_zone: Option<(TimeZone, Pos)>,
    from: Option<Date>,
    link: Option<u64>,
    streams: Option<u32>,
    overhead: Option<u64>,
    vms: Vec<Node<'t>>,
    vms_seen: bool,
}

fn read(
    text: &str,
    inventory: &Inventory,
    overrides: Overrides,
    error: &mut dyn FnMut(Pos, String),
) -> Option<Request> {
    let start = Pos { line: 1, col: 1 };
    let mut reader = match Reader::new(text) {
        Ok(r) => r,
        Err(e) if e.message.starts_with("the file is empty") => {
            error(
                e.pos,
                "the file is empty: expected a mapping with `vms:`".into(),
            );
            return None;
        }
        Err(e) => {
            error(e.pos, e.message);
            return None;
        }
    };
    let mut top = Top::default();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let next = match reader.next_top() {
            Ok(t) => t,
            Err(e) => {
                error(e.pos, e.message);
                return None;
            }
        };
        let (key, value) = match next {
            TopLevel::End => break,
            TopLevel::List(key) => (key, None),
            TopLevel::Value(key, value) => (key, Some(value)),
        };
        let name = match &key {
            Node::Scalar { text, pos, .. } => {
                if !TOP_KEYS.contains(&&**text) {
                    error(
                        *pos,
                        format!(
                            "unknown top-level key `{text}` (allowed: {})",
                            TOP_KEYS.join(", ")
                        ),
                    );
                } else if seen.iter().any(|s| s == text) {
                    error(*pos, format!("top-level key `{text}` appears twice"));
                } else {
                    seen.push(text.to_string());
                }
                &**text
            }
            other => {
                error(other.pos(), "a top-level key must be a plain name".into());
                ""
            }
        };
        let Some(value) = value else {
            // A list: read it item by item, keeping only `vms`.
            let is_vms = name == "vms";
            top.vms_seen |= is_vms;
            loop {
                match reader.next_item() {
                    Ok(Some(item)) if is_vms => top.vms.push(item),
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        error(e.pos, e.message);
                        return None;
                    }
                }
            }
            if name == "windows" {
                error(
                    key.pos(),
                    "`windows` must be a mapping of `default` and customer ids to lists, found a list"
                        .into(),
                );
            } else if !is_vms && TOP_KEYS.contains(&name) {
                error(
                    key.pos(),
                    format!("`{name}` must be a single value, found a list"),
                );
            }
            continue;
        };
        top_value(&mut top, name, &value, error);
    }
    if !top.vms_seen {
        error(start, "missing `vms`: the list of VMs to migrate".into());
    }
    let link = overrides.link_bits_per_second.or(top.link);
    if link.is_none() && !seen.iter().any(|k| k == "link") {
        error(
            start,
            "no link speed: give `link:` (such as 10Gbit/s) here or --link".into(),
        );
    }
    if top.time_zone.is_none() && !seen.iter().any(|k| k == "time_zone") {
        error(
            start,
            "missing `time_zone` (an IANA zone such as Europe/Prague)".into(),
        );
    }
    if top.from.is_none() && !seen.iter().any(|k| k == "from") {
        error(
            start,
            "missing `from`: the first day waves may use, such as 2026-12-01".into(),
        );
    }
    let mut customers = Customers::default();
    let vms = read_vms_list(&top.vms, inventory, &mut customers, error);
    let default_windows = read_windows(top.windows.as_ref(), inventory, &mut customers, error);
    let (zone, _) = top.time_zone?;
    Some(Request {
        zone,
        from: top.from?,
        link_bits_per_second: link?,
        streams: overrides.streams.or(top.streams).unwrap_or(DEFAULT_STREAMS),
        overhead_seconds: top.overhead.unwrap_or(DEFAULT_OVERHEAD_SECONDS),
        default_windows,
        customers: customers.list,
        vms,
    })
}

fn top_value<'t>(
    top: &mut Top<'t>,
    name: &str,
    value: &Node<'t>,
    error: &mut dyn FnMut(Pos, String),
) -> Option<()> {
    let scalar = |error: &mut dyn FnMut(Pos, String)| -> Option<(String, Pos)> {
        match value {
            Node::Scalar { text, pos, .. } if !value.is_null() => Some((text.to_string(), *pos)),
            other => {
                error(
                    other.pos(),
                    format!(
                        "`{name}` must be a single value, found {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    };
    match name {
        "windows" => top.windows = Some(value.clone()),
        "vms" => {
            top.vms_seen = true;
            if !value.is_null() {
                error(
                    value.pos(),
                    format!("`vms` must be a list, found {}", value.type_name()),
                );
            }
        }
        "time_zone" => {
            let (text, pos) = scalar(error)?;
            match TimeZone::get(&text) {
                Ok(zone) => top.time_zone = Some((zone, pos)),
                Err(_) => error(
                    pos,
                    format!("time_zone: `{text}` is not an IANA time zone such as Europe/Prague"),
                ),
            }
        }
        "from" => {
            let (text, pos) = scalar(error)?;
            match text.parse::<Date>() {
                Ok(d) => top.from = Some(d),
                Err(_) => error(
                    pos,
                    format!("from: `{text}` is not a date such as 2026-12-01"),
                ),
            }
        }
        "link" => {
            let (text, pos) = scalar(error)?;
            match parse_link(&text) {
                Ok(l) => top.link = Some(l),
                Err(e) => error(pos, format!("link: {e}")),
            }
        }
        "streams" => {
            let (text, pos) = scalar(error)?;
            match positive(&text).and_then(|n| u32::try_from(n).ok()) {
                Some(n) if n <= MAX_STREAMS => top.streams = Some(n),
                _ => error(
                    pos,
                    format!(
                        "streams: `{text}` is not a whole number of parallel transfers from 1 to {MAX_STREAMS}"
                    ),
                ),
            }
        }
        "overhead" => {
            let (text, pos) = scalar(error)?;
            match duration_seconds(&text) {
                Some(s) => top.overhead = Some(s),
                None => error(
                    pos,
                    format!("overhead: `{text}` is not a length of time such as 5m, 300s or 1h30m"),
                ),
            }
        }
        _ => {}
    }
    Some(())
}

/// The customers VMs and windows name, numbered in the order first named.
#[derive(Default)]
struct Customers {
    index: HashMap<u32, usize>,
    list: Vec<CustomerWindows>,
}

impl Customers {
    pub(crate) fn number(&mut self, inventory: &Inventory, c: u32) -> usize {
        *self.index.entry(c).or_insert_with(|| {
            self.list.push(CustomerWindows {
                id: inventory.customer_id(c).to_owned(),
                windows: None,
            });
            self.list.len() - 1
        })
    }
}

fn read_vms_list(
    items: &[Node<'_>],
    inventory: &Inventory,
    customers: &mut Customers,
    error: &mut dyn FnMut(Pos, String),
) -> Vec<MigrationVm> {
    let mut vms = Vec::with_capacity(items.len());
    let mut seen: HashMap<String, Pos> = HashMap::new();
    for item in items {
        let Some(f) = Fields::check(item, VM_KEYS, "a VM", error) else {
            continue;
        };
        let id = f.text("id", error);
        let vertex = match id {
            None => {
                error(f.pos, "a VM without `id`".into());
                None
            }
            Some((id, pos)) => {
                if let Some(first) = seen.insert(id.to_owned(), pos) {
                    error(
                        pos,
                        format!(
                            "VM `{id}` is listed twice (first at {}:{})",
                            first.line, first.col
                        ),
                    );
                }
                let v = inventory.graph.find(id);
                if v.is_none() {
                    error(
                        pos,
                        format!("id: unknown VM `{id}`: not a vertex of the inventory"),
                    );
                }
                v
            }
        };
        let who = id.map_or("VM".to_owned(), |(id, _)| format!("VM `{id}`"));
        let disk_bytes = match f.text("disk_bytes", error) {
            None => {
                error(f.pos, format!("{who} has no `disk_bytes`"));
                None
            }
            Some((text, pos)) => {
                let n = positive(text);
                if n.is_none() {
                    error(
                        pos,
                        format!(
                            "disk_bytes of {who}: `{text}` is not a whole number of bytes above 0"
                        ),
                    );
                }
                n
            }
        };
        let format = match f.text("format", error) {
            None => {
                error(f.pos, format!("{who} has no `format`"));
                None
            }
            Some((text, pos)) => {
                let format = DiskFormat::from_name(text);
                if format.is_none() {
                    error(
                        pos,
                        format!(
                            "format of {who}: `{text}` is not one of vmdk, vhdx, vpc, qcow2, raw"
                        ),
                    );
                }
                format
            }
        };
        if let (Some((id, _)), Some(v), Some(disk_bytes), Some(format)) =
            (id, vertex, disk_bytes, format)
        {
            let list = customers_of(inventory, v)
                .into_iter()
                .map(|c| customers.number(inventory, c))
                .collect();
            vms.push(MigrationVm {
                id: id.to_owned(),
                disk_bytes,
                format,
                customers: list,
            });
        }
    }
    vms
}

#[cfg(test)]
mod tests;
