//! `tocsin import netbox` against a NetBox stand-in that replays NetBox 4.2.9's recorded
//! answers (`shared/fixtures/netbox-4.2-demo`) and cases of our own in the same shapes; the
//! output is judged by `tocsin check`, `spof` and `impact`, as a user would.

mod cases;
mod fake;
mod watch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

use fake::{Data, FakeNetbox};

const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

fn tocsin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .output()
        .unwrap()
}

fn recorded() -> Data {
    Data::recorded(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory/tests/fixtures/netbox-4.2-demo"),
    )
}

fn token_file(dir: &Path, token: &str) -> PathBuf {
    let path = dir.join("netbox.token");
    std::fs::write(&path, format!("{token}\n")).unwrap();
    path
}

/// Runs the import into `DIR/inventory.yaml`; returns the output and the file's text.
fn import(netbox: &FakeNetbox, dir: &Path, token: &str) -> (Output, String) {
    let out = dir.join("inventory.yaml");
    let tf = token_file(dir, token);
    let run = tocsin(&[
        "import",
        "netbox",
        "--url",
        &netbox.url,
        "--token-file",
        tf.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    (run, text)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn spof(path: &Path) -> Value {
    let o = tocsin(&["spof", "--inventory", path.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice::<Value>(&o.stdout).unwrap()["services"].clone()
}

/// The lines of the entry `id` in an imported file.
fn entry<'t>(text: &'t str, id: &str) -> Vec<&'t str> {
    let start = format!("  - id: \"{id}\"");
    let mut lines = text.lines().skip_while(|l| *l != start);
    let first = lines.next().unwrap_or_else(|| panic!("no entry {id}"));
    std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with("    ") || l.starts_with("      ")))
        .collect()
}

fn ids_in(text: &str, section: &str) -> usize {
    text.split(&format!("\n{section}:\n"))
        .nth(1)
        .map_or(0, |rest| {
            rest.lines()
                .take_while(|l| l.starts_with(' '))
                .filter(|l| l.starts_with("  - id: "))
                .count()
        })
}

#[test]
fn netbox_demo_answers_become_an_inventory_that_passes_check() {
    let data = recorded();
    let netbox = FakeNetbox::start(data.clone(), TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let (run, text) = import(&netbox, dir.path(), TOKEN);
    assert!(run.status.success(), "{}", stderr(&run));
    let inventory = dir.path().join("inventory.yaml");
    let check = tocsin(&["check", "--inventory", inventory.to_str().unwrap()]);
    assert!(check.status.success(), "{}\n{}", stderr(&check), text);

    // Every device, power feed and VM is a node; every tenant a customer; every device
    // with a tenant a service (the demo's VMs have none).
    let count = |p: &str| data.lists[p].len();
    assert_eq!(
        ids_in(&text, "nodes"),
        count("/api/dcim/devices/")
            + count("/api/dcim/power-feeds/")
            + count("/api/virtualization/virtual-machines/")
    );
    assert_eq!(ids_in(&text, "customers"), count("/api/tenancy/tenants/"));
    let tenanted = data.lists["/api/dcim/devices/"]
        .iter()
        .filter(|d| !d["tenant"].is_null())
        .count();
    assert_eq!(ids_in(&text, "services"), tenanted);
    assert_eq!(ids_in(&text, "sites"), count("/api/dcim/sites/"));

    // Three patch panels share the name PP:MDF: the first keeps it, the others get their id.
    let panels: Vec<u64> = data.lists["/api/dcim/devices/"]
        .iter()
        .filter(|d| d["name"] == json!("PP:MDF"))
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    assert_eq!(panels.len(), 3);
    assert!(text.contains("  - id: \"pp:mdf\"\n"));
    for id in &panels[1..] {
        assert!(text.contains(&format!("  - id: \"pp:mdf-{id}\"\n")), "{id}");
    }
    // An unnamed device is named by NetBox's display text.
    assert!(text.contains("labels: {netbox_device: \"r105-torsw:1\"}"));

    // The router's power comes through its PDU, which therefore is a single point of failure.
    assert_eq!(
        entry(&text, "dmi01-akron-rtr01"),
        [
            "  - id: \"dmi01-akron-rtr01\"",
            "    kind: \"router\"",
            "    site: \"dm-akron\"",
            "    labels: {netbox_device: \"dmi01-akron-rtr01\"}",
            "    requires:",
            "      - \"dmi01-akron-pdu01\"",
        ]
    );
    let spofs = spof(&inventory);
    assert_eq!(
        spofs["svc-dmi01-akron-rtr01"],
        json!(["dmi01-akron-pdu01", "dmi01-akron-rtr01"])
    );

    // Each VM's cluster has no device in the demo: a warning per VM, naming type and id.
    let err = stderr(&run);
    for vm in &data.lists["/api/virtualization/virtual-machines/"] {
        let line = format!(
            "warning: netbox virtualization.virtualmachine {}: {}: its cluster",
            vm["id"],
            vm["name"].as_str().unwrap()
        );
        assert!(err.contains(&line), "{line}\n{err}");
    }

    // Every request carried the token; lists were walked page by page through `next`, in id
    // order, with only the fields the importer reads.
    let requests = netbox.requests();
    assert!(requests
        .iter()
        .all(|(_, auth)| auth == &format!("Token {TOKEN}")));
    let cabled = data.lists["/api/dcim/interfaces/"]
        .iter()
        .filter(|i| !i["cable"].is_null())
        .count();
    let pages: Vec<&String> = requests
        .iter()
        .map(|(t, _)| t)
        .filter(|t| t.starts_with("/api/dcim/interfaces/?") && t.contains("cabled=true"))
        .collect();
    assert_eq!(pages.len(), cabled.div_ceil(100), "{pages:?}");
    assert!(pages
        .iter()
        .all(|t| t.contains("ordering=id") && t.contains("fields=")));
    assert!(!requests
        .iter()
        .any(|(t, _)| t.starts_with("/api/dcim/cables/")));
}

#[test]
fn a_server_whose_two_uplinks_land_on_one_leaf_is_a_single_point_of_failure() {
    let v2 = "nbt_5h1CYlgLoApR.0123456789abcdef0123456789abcdef01234567";
    let netbox = FakeNetbox::start(cases::data_centre(1), v2);
    let dir = tempfile::tempdir().unwrap();
    let (run, text) = import(&netbox, dir.path(), v2);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(netbox
        .requests()
        .iter()
        .all(|(_, a)| a == &format!("Bearer {v2}")));
    let inventory = dir.path().join("inventory.yaml");
    let spofs = spof(&inventory);
    assert_eq!(
        spofs["svc-srv-single"],
        json!(["leaf-a", "srv-single"]),
        "{text}"
    );
    assert_eq!(spofs["svc-srv-dual"], json!(["srv-dual"]));
    assert_eq!(spofs["svc-vm-web"], json!(["vm-web"]));
    assert_eq!(spofs["svc-vm-db"], json!(["hv-1", "vm-db"]));

    let impact = tocsin(&[
        "impact",
        "--inventory",
        inventory.to_str().unwrap(),
        "--down",
        "leaf-a",
        "--json",
    ]);
    let impact: Value = serde_json::from_slice(&impact.stdout).unwrap();
    assert!(impact["down"]
        .as_array()
        .unwrap()
        .contains(&json!("svc-srv-single")));
    assert!(impact["degraded"]
        .as_array()
        .unwrap()
        .contains(&json!("svc-srv-dual")));

    // Power through two PDUs on two feeds; a LAG's members count as the bond, whose MTU the
    // host gets; the management port is not an uplink; the panel's path reaches leaf-b.
    assert_eq!(
        entry(&text, "hv-1"),
        [
            "  - id: \"hv-1\"",
            "    kind: \"hypervisor\"",
            "    site: \"dc1\"",
            "    mtu: 9000",
            "    labels: {netbox_device: \"hv-1\"}",
            "    requires:",
            "      - any: [\"pdu-a\", \"pdu-b\"]",
            "      - any: [\"leaf-a\", \"leaf-b\"]",
        ]
    );
    assert!(entry(&text, "hv-2").contains(&"      - \"pdu-a\""));
    assert!(entry(&text, "pdu-a").contains(&"      - \"feed-a\""));
    assert!(entry(&text, "srv-dual").contains(&"      - any: [\"leaf-a\", \"leaf-b\"]"));
    assert!(entry(&text, "leaf-a").contains(&"    mtu: 9216"));
    assert!(entry(&text, "leaf-b").contains(&"    mtu: 9016"));
    assert!(entry(&text, "vm-web").contains(&"        of: [\"hv-1\", \"hv-2\"]"));
    assert_eq!(
        entry(&text, "acme"),
        [
            "  - id: \"acme\"",
            "    name: \"ACME s.r.o.\"",
            "    contacts:",
            "      - email: \"ops@acme.example\"",
            "        name: \"ACME ops\"",
        ]
    );
    let err = stderr(&run);
    assert!(
        err.contains("warning: netbox tenancy.contact 2: Beta boss: no e-mail address"),
        "{err}"
    );
    assert!(
        err.contains("warning: netbox virtualization.virtualmachine 3: vm-lost"),
        "{err}"
    );

    // Fixed in NetBox: the second uplink moves to leaf-b, and leaf-a is no longer a SPOF.
    let fixed = FakeNetbox::start(cases::data_centre(2), TOKEN);
    let dir2 = tempfile::tempdir().unwrap();
    let (run, _) = import(&fixed, dir2.path(), TOKEN);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(
        spof(&dir2.path().join("inventory.yaml"))["svc-srv-single"],
        json!(["srv-single"])
    );
}

#[test]
fn failures_name_the_url_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let netbox = FakeNetbox::start(cases::data_centre(1), TOKEN);

    let (run, text) = import(&netbox, dir.path(), "not-the-token");
    assert!(!run.status.success());
    assert!(text.is_empty());
    let err = stderr(&run);
    assert!(
        err.contains(&format!(
            "NetBox at {}/api/status/ refused the token (HTTP 403: Invalid token)",
            netbox.url
        )),
        "{err}"
    );
    assert!(!err.contains("not-the-token"), "{err}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let tf = token_file(dir.path(), TOKEN);
    let run = tocsin(&[
        "import",
        "netbox",
        "--url",
        &url,
        "--token-file",
        tf.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(
        stderr(&run).contains(&format!("cannot reach NetBox at {url}/api/status/")),
        "{}",
        stderr(&run)
    );

    let nginx = FakeNetbox::start(
        Data {
            html: true,
            ..Data::default()
        },
        TOKEN,
    );
    let run = tocsin(&[
        "import",
        "netbox",
        "--url",
        &nginx.url,
        "--token-file",
        tf.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(
        stderr(&run).contains(&format!(
            "{}/api/status/ did not answer like NetBox's REST API",
            nginx.url
        )),
        "{}",
        stderr(&run)
    );

    std::fs::write(&tf, "\n").unwrap();
    let run = tocsin(&[
        "import",
        "netbox",
        "--url",
        &netbox.url,
        "--token-file",
        tf.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("is empty"), "{}", stderr(&run));

    // Without --out, the inventory goes to standard output.
    std::fs::write(&tf, TOKEN).unwrap();
    let run = tocsin(&[
        "import",
        "netbox",
        "--url",
        &netbox.url,
        "--token-file",
        tf.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(String::from_utf8_lossy(&run.stdout).contains("  - id: \"srv-single\""));
}

#[test]
fn imported_mtus_meet_the_fabric_declared_beside_them() {
    // The import goes into a directory beside a file of the provider's own declaring the
    // VXLAN fabric; hosts at 9000 over leaf-b's 9016 are 34 bytes short (seed 000).
    let netbox = FakeNetbox::start(cases::data_centre(2), TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory");
    std::fs::create_dir(&inventory).unwrap();
    let (run, _) = import(&netbox, &inventory, TOKEN);
    assert!(run.status.success(), "{}", stderr(&run));
    std::fs::remove_file(inventory.join("netbox.token")).unwrap();
    let fabric = inventory.join("zz-fabric.yaml");
    std::fs::write(
        &fabric,
        "version: 1\nfabric:\n  encapsulation: vxlan\n  underlay: ipv4\n",
    )
    .unwrap();
    let imported = inventory.join("inventory.yaml");
    let text = std::fs::read_to_string(&imported).unwrap();
    let line_of = |id: &str| {
        let at = text.find(&format!("  - id: \"{id}\"")).unwrap();
        text[..at].lines().count()
            + 1
            + entry(&text, id)
                .iter()
                .position(|l| l.starts_with("    mtu:"))
                .unwrap()
    };
    let strict = tocsin(&[
        "check",
        "--inventory",
        inventory.to_str().unwrap(),
        "--strict",
    ]);
    assert_eq!(strict.status.code(), Some(1), "{}", stderr(&strict));
    let err = stderr(&strict);
    for host in ["hv-1", "hv-2"] {
        let want = format!(
            "{}:{}:10: {host} mtu 9000 + vxlan/ipv4 50 = 9050 exceeds leaf-b mtu 9016 (34 bytes short)",
            imported.display(),
            line_of(host)
        );
        assert!(err.contains(&want), "{want}\n{err}");
    }
    assert!(!err.contains("srv-single"), "{err}");
    // At 9216 on leaf-b the same hosts pass.
    std::fs::write(&imported, text.replace("    mtu: 9016", "    mtu: 9216")).unwrap();
    let strict = tocsin(&[
        "check",
        "--inventory",
        inventory.to_str().unwrap(),
        "--strict",
    ]);
    assert!(strict.status.success(), "{}", stderr(&strict));
}
