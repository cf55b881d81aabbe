//! A NetBox stand-in for the import tests: serves recorded or made-up objects with NetBox's
//! list semantics (token check, `limit` capped at the recording server's MAX_PAGE_SIZE of
//! 100, `offset`, `next` links on NetBox's own placeholder host, the `cabled`, `type` and
//! `object_type` filters and `fields`), and records every request.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// The answers a fake NetBox gives.
#[derive(Clone, Default)]
pub struct Data {
    /// `GET /api/status/`.
    pub status: Value,
    /// Each list endpoint's path (`/api/dcim/devices/`) and its objects in id order.
    pub lists: BTreeMap<String, Vec<Value>>,
    /// Answer every request with this HTML page instead, as a server that is not NetBox.
    pub html: bool,
}

impl Data {
    /// Every recorded page of `dir` (laid out as `shared/fixtures/netbox-4.2-demo` is).
    pub fn recorded(dir: &Path) -> Data {
        let mut data = Data::default();
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with("api_") {
                continue;
            }
            let path = format!("/{}/", name.replace('_', "/"));
            let mut objects = Vec::new();
            for page in std::fs::read_dir(entry.path()).unwrap() {
                let body: Value =
                    serde_json::from_slice(&std::fs::read(page.unwrap().path()).unwrap()).unwrap();
                match body.get("results") {
                    Some(results) => objects.extend(results.as_array().unwrap().iter().cloned()),
                    None => data.status = body,
                }
            }
            objects.sort_by_key(|o| o["id"].as_u64().unwrap());
            if path != "/api/status/" {
                data.lists.insert(path, objects);
            }
        }
        data
    }

    /// The objects of `path`, made on first use.
    pub fn list(&mut self, path: &str) -> &mut Vec<Value> {
        self.lists.entry(path.to_owned()).or_default()
    }
}

/// A running fake NetBox.
pub struct FakeNetbox {
    pub url: String,
    pub data: Arc<Mutex<Data>>,
    /// Each request's target and `Authorization` header.
    pub requests: Arc<Mutex<Vec<(String, String)>>>,
}

impl FakeNetbox {
    /// Serves `data` on a free port of 127.0.0.1, accepting `token`.
    pub fn start(data: Data, token: &str) -> FakeNetbox {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let data = Arc::new(Mutex::new(data));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (d, r, token) = (data.clone(), requests.clone(), token.to_owned());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (d, r, token) = (d.clone(), r.clone(), token.clone());
                std::thread::spawn(move || serve(stream, &d, &r, &token));
            }
        });
        FakeNetbox {
            url,
            data,
            requests,
        }
    }

    /// The requests made so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    stream: TcpStream,
    data: &Mutex<Data>,
    requests: &Mutex<Vec<(String, String)>>,
    token: &str,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split(' ').nth(1).unwrap_or("/").to_owned();
        let mut auth = String::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("authorization") {
                    auth = v.trim().to_owned();
                }
            }
        }
        requests
            .lock()
            .unwrap()
            .push((target.clone(), auth.clone()));
        let (status, body, kind) = answer(&target, &auth, token, &data.lock().unwrap());
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nAPI-Version: 4.2\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if writer
            .write_all(head.as_bytes())
            .and_then(|()| writer.write_all(body.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

fn answer(target: &str, auth: &str, token: &str, data: &Data) -> (u16, String, &'static str) {
    if data.html {
        return (
            200,
            "<!doctype html><title>Welcome to nginx!</title>".into(),
            "text/html",
        );
    }
    let scheme = if token.starts_with("nbt_") {
        "Bearer"
    } else {
        "Token"
    };
    if auth != format!("{scheme} {token}") {
        return (
            403,
            json!({"detail": "Invalid token"}).to_string(),
            "application/json",
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path == "/api/status/" {
        return (200, data.status.to_string(), "application/json");
    }
    let Some(objects) = data.lists.get(path) else {
        return (
            404,
            json!({"detail": "Not found."}).to_string(),
            "application/json",
        );
    };
    let q: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let chosen: Vec<&Value> = objects
        .iter()
        .filter(|o| match q.get("cabled").map(|v| v.to_lowercase()) {
            Some(v) if v == "true" => !o["cable"].is_null(),
            Some(v) if v == "false" => o["cable"].is_null(),
            _ => true,
        })
        .filter(|o| q.get("type").is_none_or(|t| o["type"]["value"] == json!(t)))
        .filter(|o| {
            q.get("object_type")
                .is_none_or(|t| o["object_type"] == json!(t))
        })
        .collect();
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50)
        .min(100);
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let fields: Option<Vec<&str>> = q.get("fields").map(|f| f.split(',').collect());
    let results: Vec<Value> = chosen
        .iter()
        .skip(offset)
        .take(limit)
        .map(|o| match &fields {
            None => (*o).clone(),
            Some(keep) => Value::Object(
                o.as_object()
                    .unwrap()
                    .iter()
                    .filter(|(k, _)| keep.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        })
        .collect();
    let next = (offset + limit < chosen.len()).then(|| {
        let mut q = q.clone();
        q.insert("limit".into(), limit.to_string());
        q.insert("offset".into(), (offset + limit).to_string());
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(q.iter())
            .finish();
        format!("http://netbox.invalid{path}?{query}")
    });
    let body = json!({"count": chosen.len(), "next": next, "previous": null, "results": results});
    (200, body.to_string(), "application/json")
}
