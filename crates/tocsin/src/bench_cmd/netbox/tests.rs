//! Unit tests of the NetBox bench: the generated answer set and the loopback server.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};

use serde_json::Value;

use super::answers::{Answers, Endpoint};
use super::generate::{generate, Shape};
use super::model::Role;
use super::render::render;
use super::server::Server;

const SMALL: Shape = Shape {
    devices: 300,
    cables: 1500,
    seed: 7,
};

fn small() -> Answers {
    render(&generate(&SMALL).expect("the small shape is buildable"))
}

/// An endpoint's objects by id, parsed.
fn objects(a: &Answers, path: &str) -> HashMap<u64, Value> {
    let e = a.endpoint(path).expect("the endpoint is served");
    (0..e.len())
        .map(|i| {
            let v: Value = serde_json::from_slice(e.object(i)).expect("an object is JSON");
            (v["id"].as_u64().expect("an id"), v)
        })
        .collect()
}

fn within_one_percent(got: usize, want: usize) -> bool {
    got.abs_diff(want) * 100 <= want
}

#[test]
fn the_shape_gives_the_devices_exactly_and_the_cables_within_one_percent() {
    for shape in [
        SMALL,
        Shape {
            devices: 10_000,
            cables: 50_000,
            seed: 1,
        },
        Shape {
            devices: 2_000,
            cables: 8_500,
            seed: 3,
        },
    ] {
        let p = generate(&shape).expect("buildable");
        assert_eq!(p.devices.len(), shape.devices, "{shape:?}");
        assert!(
            within_one_percent(p.cables.len(), shape.cables),
            "{shape:?}: {} cables",
            p.cables.len()
        );
        for role in Role::ALL {
            assert!(
                p.devices.iter().any(|d| d.role == role),
                "{shape:?}: no {role:?}"
            );
        }
        assert!(
            !p.planted_single_pdu.is_empty() && !p.planted_single_leaf.is_empty(),
            "{shape:?}"
        );
    }
    let p = generate(&Shape {
        devices: 10_000,
        cables: 50_000,
        seed: 1,
    })
    .expect("buildable");
    assert!(
        (450..=550).contains(&p.tenants.len()),
        "{} tenants",
        p.tenants.len()
    );
}

#[test]
fn a_cable_count_out_of_reach_is_refused_with_the_reachable_range() {
    let e = generate(&Shape {
        devices: 300,
        cables: 100_000,
        seed: 1,
    })
    .err()
    .expect("refused");
    assert!(
        e.contains("--cables 100000") && e.contains("between"),
        "{e}"
    );
    assert!(generate(&Shape {
        devices: 5,
        cables: 10,
        seed: 1
    })
    .is_err());
}

#[test]
fn the_generator_is_deterministic_for_a_seed() {
    let a = small();
    let b = small();
    for (x, y) in a.endpoints.iter().zip(&b.endpoints) {
        assert_eq!(x.len(), y.len(), "{}", x.path);
        assert!(
            (0..x.len()).all(|i| x.object(i) == y.object(i)),
            "{}",
            x.path
        );
    }
}

/// The endpoint that lists objects of a cable end's `app.model`.
fn endpoint_of(object_type: &str) -> &'static str {
    match object_type {
        "dcim.interface" => "/api/dcim/interfaces/",
        "dcim.frontport" => "/api/dcim/front-ports/",
        "dcim.rearport" => "/api/dcim/rear-ports/",
        "dcim.powerport" => "/api/dcim/power-ports/",
        "dcim.poweroutlet" => "/api/dcim/power-outlets/",
        "dcim.powerfeed" => "/api/dcim/power-feeds/",
        other => panic!("unexpected cable end {other}"),
    }
}

#[test]
fn every_cable_joins_two_existing_ends_that_name_it_and_each_other() {
    let a = small();
    let devices = objects(&a, "/api/dcim/devices/");
    let mut ends: HashMap<&str, HashMap<u64, Value>> = HashMap::new();
    for t in [
        "dcim.interface",
        "dcim.frontport",
        "dcim.rearport",
        "dcim.powerport",
        "dcim.poweroutlet",
        "dcim.powerfeed",
    ] {
        ends.insert(t, objects(&a, endpoint_of(t)));
    }
    let cables = objects(&a, "/api/dcim/cables/");
    assert!(within_one_percent(cables.len(), SMALL.cables));
    let mut kinds = HashSet::new();
    for (id, cable) in &cables {
        let side = |k: &str| -> (String, u64) {
            let t = &cable[k].as_array().expect("terminations")[0];
            let ty = t["object_type"].as_str().expect("type").to_owned();
            let oid = t["object_id"].as_u64().expect("id");
            assert_eq!(t["object"]["id"].as_u64(), Some(oid), "cable {id}");
            (ty, oid)
        };
        let (a_ty, a_id) = side("a_terminations");
        let (b_ty, b_id) = side("b_terminations");
        kinds.insert((a_ty.clone(), b_ty.clone()));
        for ((ty, oid), (peer_ty, peer_id), end) in [
            ((&a_ty, a_id), (&b_ty, b_id), "A"),
            ((&b_ty, b_id), (&a_ty, a_id), "B"),
        ] {
            let obj = ends[ty.as_str()]
                .get(&oid)
                .unwrap_or_else(|| panic!("cable {id}: no {ty} {oid}"));
            assert_eq!(obj["cable"]["id"].as_u64(), Some(*id), "{ty} {oid}");
            assert_eq!(obj["cable_end"], end, "{ty} {oid}");
            assert_eq!(obj["link_peers_type"], peer_ty.as_str(), "{ty} {oid}");
            assert_eq!(
                obj["link_peers"][0]["id"].as_u64(),
                Some(peer_id),
                "{ty} {oid}"
            );
            if ty != "dcim.powerfeed" {
                let d = obj["device"]["id"].as_u64().expect("a device");
                assert!(devices.contains_key(&d), "{ty} {oid}: no device {d}");
            }
        }
    }
    for want in [
        ("dcim.interface", "dcim.interface"),
        ("dcim.interface", "dcim.frontport"),
        ("dcim.frontport", "dcim.interface"),
        ("dcim.rearport", "dcim.rearport"),
        ("dcim.powerport", "dcim.poweroutlet"),
        ("dcim.powerport", "dcim.powerfeed"),
    ] {
        assert!(
            kinds.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?}"
        );
    }
    // Every uncabled port says so the way NetBox does.
    let interfaces = &ends["dcim.interface"];
    let loose = interfaces.values().filter(|i| i["cable"].is_null()).count();
    assert!(loose >= 300, "{loose} uncabled interfaces");
    for i in interfaces.values().filter(|i| i["cable"].is_null()) {
        assert!(i["connected_endpoints"].is_null() && i["link_peers"] == serde_json::json!([]));
    }
}

#[test]
fn connected_endpoints_of_interfaces_are_symmetric_and_trace_through_patch_panels() {
    let a = small();
    let interfaces = objects(&a, "/api/dcim/interfaces/");
    let (mut traced, mut patched) = (0, 0);
    for (id, i) in &interfaces {
        if i["connected_endpoints_type"] != "dcim.interface" {
            assert!(i["connected_endpoints"].is_null(), "interface {id}");
            continue;
        }
        traced += 1;
        let far = i["connected_endpoints"][0]["id"].as_u64().expect("far id");
        let back = &interfaces[&far]["connected_endpoints"][0]["id"];
        assert_eq!(back.as_u64(), Some(*id), "interface {id} reaches {far}");
        assert_eq!(i["connected_endpoints_reachable"], true);
        if i["link_peers_type"] == "dcim.frontport" {
            patched += 1;
            assert_ne!(
                i["link_peers"][0]["device"]["id"],
                interfaces[&far]["device"]["id"]
            );
        } else {
            assert_eq!(i["link_peers"][0]["id"].as_u64(), Some(far));
        }
    }
    assert!(
        traced > 0 && patched > 0,
        "{traced} traced, {patched} through panels"
    );
    // LAG members point at a `lag` interface of their own device.
    let mut members = 0;
    for i in interfaces.values().filter(|i| !i["lag"].is_null()) {
        members += 1;
        let lag = &interfaces[&i["lag"]["id"].as_u64().expect("lag id")];
        assert_eq!(lag["type"]["value"], "lag");
        assert_eq!(lag["device"]["id"], i["device"]["id"]);
    }
    assert!(members > 0);
}

#[test]
fn hosts_have_two_powered_psus_and_hypervisors_a_cluster() {
    let a = small();
    let devices = objects(&a, "/api/dcim/devices/");
    let ports = objects(&a, "/api/dcim/power-ports/");
    let mut psus: HashMap<u64, Vec<&Value>> = HashMap::new();
    for p in ports.values() {
        psus.entry(p["device"]["id"].as_u64().expect("device"))
            .or_default()
            .push(p);
    }
    for (id, d) in &devices {
        let role = d["role"]["slug"].as_str().expect("role");
        if role == "server" || role == "hypervisor" {
            let mine = &psus[id];
            assert_eq!(mine.len(), 2, "device {id}");
            assert!(mine
                .iter()
                .all(|p| p["connected_endpoints_type"] == "dcim.poweroutlet"));
            assert_eq!(d["cluster"].is_null(), role == "server", "device {id}");
        }
    }
}

/// A running server on its own runtime, for a blocking client.
struct Running {
    server: Server,
    _runtime: tokio::runtime::Runtime,
}

fn serve(answers: Answers, token: &str) -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime
        .block_on(Server::start(answers, token.to_owned()))
        .expect("the server starts");
    Running {
        server,
        _runtime: runtime,
    }
}

/// `GET path` with `authorization`: the status, the `API-Version` header and the body.
fn get(r: &Running, path: &str, authorization: Option<&str>) -> (u16, Option<String>, Value) {
    let mut s = std::net::TcpStream::connect(r.server.addr).expect("connects");
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {}\r\n{auth}Connection: close\r\n\r\n",
        r.server.addr
    )
    .expect("writes");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("reads");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head[9..12].parse().expect("a status");
    let version = head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("api-version: ")
            .map(str::to_owned)
    });
    let body = serde_json::from_slice(&raw[split + 4..]).expect("a JSON body");
    (status, version, body)
}

/// Follows `next` from `start` and returns every result and the first page's count.
fn walk(r: &Running, start: &str, auth: &str) -> (Vec<Value>, u64, usize) {
    let (mut url, mut results, mut pages) = (start.to_owned(), Vec::new(), 0);
    let mut count = None;
    loop {
        let (status, version, body) = get(r, &url, Some(auth));
        assert_eq!((status, version.as_deref()), (200, Some("4.2")), "{url}");
        count.get_or_insert(body["count"].as_u64().expect("count"));
        results.extend(body["results"].as_array().expect("results").iter().cloned());
        pages += 1;
        match body["next"].as_str() {
            Some(next) => {
                let prefix = format!("http://{}", r.server.addr);
                url = next
                    .strip_prefix(&prefix)
                    .expect("next under our base")
                    .to_owned();
            }
            None => break,
        }
    }
    (results, count.unwrap_or(0), pages)
}

#[test]
fn pagination_walks_every_object_once_through_next_with_filters_and_fields() {
    let answers = small();
    let interfaces = objects(&answers, "/api/dcim/interfaces/");
    let mut cabled: Vec<u64> = interfaces
        .iter()
        .filter(|(_, i)| !i["cable"].is_null())
        .map(|(id, _)| *id)
        .collect();
    cabled.sort_unstable();
    let lags = interfaces
        .values()
        .filter(|i| i["type"]["value"] == "lag")
        .count();
    let devices = answers.endpoint("/api/dcim/devices/").map(Endpoint::len);
    let r = serve(answers, "0123456789abcdef0123456789abcdef01234567");
    let auth = "Token 0123456789abcdef0123456789abcdef01234567";

    let (got, count, pages) = walk(
        &r,
        "/api/dcim/interfaces/?limit=97&ordering=id&cabled=true&fields=id,cable",
        auth,
    );
    let ids: Vec<u64> = got.iter().map(|o| o["id"].as_u64().expect("id")).collect();
    assert_eq!(ids, cabled);
    assert_eq!(count as usize, cabled.len());
    assert_eq!(pages, cabled.len().div_ceil(97));
    for o in &got {
        let keys: Vec<&String> = o.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["cable", "id"]);
        assert!(o["cable"]["url"]
            .as_str()
            .expect("url")
            .starts_with("http://127.0.0.1:"));
    }

    let (got, count, _) = walk(&r, "/api/dcim/interfaces/?type=lag&limit=10", auth);
    assert_eq!((got.len(), count as usize), (lags, lags));
    assert!(got.iter().all(|o| o["type"]["value"] == "lag"));

    // A limit above MAX_PAGE_SIZE is cut to it; brief keeps the brief keys.
    let (status, _, body) = get(&r, "/api/dcim/devices/?limit=5000&brief=true", Some(auth));
    assert_eq!(status, 200);
    assert_eq!(
        body["results"].as_array().map(Vec::len),
        devices.map(|d| d.min(1000))
    );
    let first = body["results"][0].as_object().expect("object");
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        ["description", "display", "id", "name", "url"]
    );

    let (got, _, _) = walk(&r, "/api/dcim/devices/?limit=50&offset=0", auth);
    assert_eq!(Some(got.len()), devices);
    let (_, _, body) = get(&r, "/api/dcim/devices/?limit=50&offset=100", Some(auth));
    let prefix = format!("http://{}", r.server.addr);
    assert_eq!(
        body["previous"],
        format!("{prefix}/api/dcim/devices/?limit=50&offset=50")
    );
    let (_, _, body) = get(&r, "/api/dcim/devices/?limit=50&offset=50", Some(auth));
    assert_eq!(
        body["previous"],
        format!("{prefix}/api/dcim/devices/?limit=50")
    );

    let (got, _, _) = walk(
        &r,
        "/api/tenancy/contact-assignments/?object_type=tenancy.tenant",
        auth,
    );
    assert!(!got.is_empty() && got.iter().all(|o| o["object_type"] == "tenancy.tenant"));

    let (status, version, body) = get(&r, "/api/status/", Some(auth));
    assert_eq!((status, version.as_deref()), (200, Some("4.2")));
    assert_eq!(body["netbox-version"], "4.2.9");
    let served = r.server.served();
    assert!(served.requests > 10 && served.bytes > 0 && served.refused == 0);
}

#[test]
fn a_wrong_or_missing_token_gets_403() {
    let r = serve(small(), "0123456789abcdef0123456789abcdef01234567");
    for auth in [
        Some("Token 0123456789abcdef0123456789abcdef01234568"),
        Some("Bearer 0123456789abcdef0123456789abcdef01234567"),
        Some("0123456789abcdef0123456789abcdef01234567"),
        None,
    ] {
        let (status, _, body) = get(&r, "/api/dcim/sites/", auth);
        assert_eq!(status, 403, "{auth:?}");
        let want = if auth.is_some() {
            "Invalid token"
        } else {
            "Authentication credentials were not provided."
        };
        assert_eq!(body, serde_json::json!({ "detail": want }), "{auth:?}");
    }
    let (status, _, _) = get(
        &r,
        "/api/dcim/sites/",
        Some("Token 0123456789abcdef0123456789abcdef01234567"),
    );
    assert_eq!(status, 200);
    assert_eq!(r.server.served().refused, 4);

    let v2 = serve(small(), "nbt_abc.0123456789abcdef");
    let (status, _, _) = get(
        &v2,
        "/api/dcim/sites/",
        Some("Bearer nbt_abc.0123456789abcdef"),
    );
    assert_eq!(status, 200);
}

#[test]
fn inventory_lists_are_counted_at_their_item_indentation() {
    let yaml = "version: 1\nnodes:\n  - id: a\n    requires:\n      - b\n  - id: b\n\
                services:\n- id: s1\n  requires: [a]\n- id: s2\ncustomers: []\n";
    assert_eq!(super::count_items(yaml), [2, 2, 0]);
}

#[test]
fn fields_naming_every_key_give_each_object_byte_for_byte() {
    let a = small();
    // Each endpoint with its objects' last member, the one that ends at the closing brace.
    for (path, last) in [
        ("/api/dcim/interfaces/", "_occupied"),
        ("/api/dcim/power-outlets/", "_occupied"),
        ("/api/dcim/cables/", "last_updated"),
    ] {
        let e = a.endpoint(path).expect("served");
        let first: serde_json::Map<String, Value> =
            serde_json::from_slice(e.object(0)).expect("JSON");
        let every = first.keys().cloned().collect::<Vec<_>>().join(",");
        let page = |params: &[(&str, &str)]| {
            let params: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            let q = super::answers::Query::parse(&params, e.filter(), 1000).expect("a query");
            let mut out = Vec::new();
            e.page(&q, "http://nb.example", &mut out);
            out
        };
        // The links differ (they carry `fields`); the results must not, to the byte.
        let results = |page: Vec<u8>| {
            let at = page
                .windows(11)
                .position(|w| w == b"\"results\":[")
                .expect("results");
            page[at..].to_vec()
        };
        let whole = results(page(&[("limit", "200")]));
        assert_eq!(
            results(page(&[("limit", "200"), ("fields", &every)])),
            whole,
            "{path}"
        );
        let without: Value =
            serde_json::from_slice(&whole[10..whole.len() - 1]).expect("JSON results");
        let only: Value = serde_json::from_slice(&page(&[("fields", last)])).expect("JSON");
        assert!(!without[0][last].is_null(), "{path}");
        assert_eq!(only["results"][0][last], without[0][last], "{path}");
        assert_eq!(
            only["results"][0].as_object().map(|o| o.len()),
            Some(1),
            "{path}"
        );
    }
}
