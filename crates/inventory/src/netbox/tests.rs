//! The mapping on NetBox 4.2.9's recorded demo answers, read straight from the files: the
//! inventory it writes loads, and unmapped objects are warned about, never dropped silently.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::types::*;
use super::*;

fn fixture<T: DeserializeOwned>(dir: &str) -> Vec<T> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/netbox-4.2-demo");
    let mut pages: Vec<_> = std::fs::read_dir(base.join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort_by_key(|p| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok())
    });
    pages
        .into_iter()
        .flat_map(|p| {
            serde_json::from_slice::<Page<T>>(&std::fs::read(p).unwrap())
                .unwrap()
                .results
        })
        .collect()
}

fn demo() -> Answers {
    Answers {
        version: "4.2.9".into(),
        sites: fixture("api_dcim_sites"),
        devices: fixture("api_dcim_devices"),
        interfaces: fixture("api_dcim_interfaces"),
        power_ports: fixture("api_dcim_power-ports"),
        power_panels: fixture("api_dcim_power-panels"),
        power_feeds: fixture("api_dcim_power-feeds"),
        clusters: fixture("api_virtualization_clusters"),
        virtual_machines: fixture("api_virtualization_virtual-machines"),
        tenants: fixture("api_tenancy_tenants"),
        contacts: fixture("api_tenancy_contacts"),
        contact_assignments: fixture("api_tenancy_contact-assignments"),
    }
}

fn options(roles: &[&str]) -> Options {
    Options {
        network_roles: roles.iter().map(|r| r.to_string()).collect(),
        source: "http://netbox.invalid".into(),
    }
}

#[test]
fn the_demo_maps_to_an_inventory_that_loads() {
    let answers = demo();
    let imported = import(&answers, &options(DEFAULT_NETWORK_ROLES));
    let inventory = crate::load_str("netbox.yaml", &imported.text)
        .unwrap_or_else(|e| panic!("{e}\n{}", imported.text));
    assert_eq!(
        imported.counts.nodes,
        answers.devices.len() + answers.power_feeds.len() + answers.virtual_machines.len()
    );
    assert_eq!(inventory.services.len(), imported.counts.services);
    assert_eq!(inventory.customers.len(), answers.tenants.len());
    // The same answers give the same bytes, so `--watch` sees no change.
    assert_eq!(
        imported.text,
        import(&answers, &options(DEFAULT_NETWORK_ROLES)).text
    );
}

#[test]
fn with_the_demos_own_switch_roles_its_cabled_devices_require_them() {
    // The demo calls its switches `tor-switch` and `distribution-switch`: named as the
    // network, the devices cabled to them require them, and routers' paths to circuits that
    // end nowhere are warned about.
    let answers = demo();
    let roles = [
        "tor-switch",
        "distribution-switch",
        "core-switch",
        "access-switch",
    ];
    let imported = import(&answers, &options(&roles));
    crate::load_str("netbox.yaml", &imported.text).unwrap();
    assert!(
        imported.text.contains("  - id: \"dmi01-akron-rtr01\"\n    kind: \"router\"\n    site: \"dm-akron\"\n    labels: {netbox_device: \"dmi01-akron-rtr01\"}\n    requires:\n      - \"dmi01-akron-pdu01\"\n      - \"dmi01-akron-sw01\"\n"),
        "{}",
        imported.text
    );
    assert!(imported
        .warnings
        .iter()
        .any(|w| w.object == "dcim.interface" && w.message.contains("circuits.providernetwork")));
}

#[test]
fn a_vm_on_a_device_requires_it_and_one_in_a_cluster_any_of_its_devices() {
    let mut answers = demo();
    let host = answers.devices[0].id;
    answers.devices[1].cluster = answers.virtual_machines[1].cluster.clone();
    answers.virtual_machines[0].device = Some(Ref {
        id: host,
        name: None,
        slug: None,
        display: None,
    });
    let imported = import(&answers, &options(DEFAULT_NETWORK_ROLES));
    let vm0 = format!("  - id: \"{}\"\n", answers.virtual_machines[0].name);
    let at = imported.text.find(&vm0).unwrap();
    assert!(imported.text[at..].contains("    requires:\n      - \"dmi01-akron-rtr01\"\n"));
    let vm1 = format!("  - id: \"{}\"\n", answers.virtual_machines[1].name);
    let at = imported.text.find(&vm1).unwrap();
    assert!(imported.text[at..]
        .contains("    requires:\n      - at_least: 1\n        of: [\"dmi01-albany-rtr01\"]\n"));
    let warned: Vec<u64> = imported
        .warnings
        .iter()
        .filter(|w| w.object == "virtualization.virtualmachine")
        .map(|w| w.id)
        .collect();
    assert!(!warned.contains(&answers.virtual_machines[0].id));
    assert!(!warned.contains(&answers.virtual_machines[1].id));
    let cluster = answers.virtual_machines[1].cluster.as_ref().map(|c| c.id);
    let placed = answers
        .virtual_machines
        .iter()
        .enumerate()
        .filter(|(i, vm)| *i == 0 || vm.cluster.as_ref().map(|c| c.id) == cluster)
        .count();
    assert_eq!(warned.len(), answers.virtual_machines.len() - placed);
}
