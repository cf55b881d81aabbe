//! A generator of realistic provider inventories for tests, benchmarks and the demo: sites
//! fed by grid and two generators behind ATSes, UPS pairs, PDUs per rack, a leaf-switch pair
//! per pod under a spine pair, a SAN with three controllers, hypervisors mostly dual-homed and
//! dual-fed with a few miswired, VMs, customers writing in five languages and their services,
//! each on a plan with a credit policy.

use std::io::{self, Write};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// How many customers (services are about three per customer).
    pub customers: usize,
    /// Seed of the deterministic random choices.
    pub seed: u64,
}

/// SplitMix64: small, fast and good enough to pick shapes; the same seed gives the same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: usize) -> bool {
        self.below(1000) < per_mille
    }
}

const SITE_NAMES: &[&str] = &[
    "Hluboká DC1",
    "Praha Sitel",
    "Warszawa WAW1",
    "Roubaix RBX3",
    "Moskva M9",
    "Brno Kokura",
    "Gravelines GRA2",
    "Kraków KRK1",
];
const COMPANY_WORDS: &[&str] = &[
    "Alfa", "Bohemia", "Morava", "Vltava", "Orzeł", "Wisła", "Lumière", "Étoile", "Sever", "Zenit",
    "Nova", "Pixel", "Granit", "Kvant", "Horizon", "Delta", "Sokol", "Bistro",
];
const COMPANY_FORMS: &[(&str, &str)] = &[
    ("cs", "s.r.o."),
    ("cs", "a.s."),
    ("pl", "sp. z o.o."),
    ("fr", "SARL"),
    ("fr", "SAS"),
    ("ru", "ООО"),
    ("en", "Ltd"),
];
const TIERS: &[&str] = &["basic", "business", "premium", "enterprise"];

/// Product of a service, with how many in a thousand services are of it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Product {
    Vps,
    Web,
    Mail,
    Domain,
    Dedicated,
    HaVps,
    Storage,
}

const PRODUCTS: &[(Product, usize)] = &[
    (Product::Vps, 100),
    (Product::Web, 400),
    (Product::Mail, 200),
    (Product::Domain, 150),
    (Product::Dedicated, 50),
    (Product::HaVps, 30),
    (Product::Storage, 70),
];

impl Product {
    /// The plans sold for this product; a service takes one by its index.
    fn plans(self) -> &'static [&'static str] {
        match self {
            Product::Vps => &["vps-s", "vps-m", "vps-l", "vps-cz"],
            Product::Web => &["web-basic", "web-pro"],
            Product::Mail => &["mail"],
            Product::Domain => &["dns"],
            Product::Dedicated => &["dedicated"],
            Product::HaVps => &["vps-ha"],
            Product::Storage => &["storage"],
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Product::Vps => "vps",
            Product::Web => "webhosting",
            Product::Mail => "mail",
            Product::Domain => "dns",
            Product::Dedicated => "dedicated",
            Product::HaVps => "vps-ha",
            Product::Storage => "object-storage",
        }
    }
}

/// One service decided before anything is written, since its VMs go in `nodes:`.
struct Planned {
    customer: u32,
    product: Product,
    site: u16,
    /// Hypervisor (or rack, for dedicated servers) chosen, and a second one for HA.
    host: u32,
    host2: u32,
    needs_dns: bool,
}

struct Layout {
    sites: usize,
    racks_per_site: usize,
    hvs_per_rack: usize,
    web_per_site: usize,
}

impl Layout {
    fn pods(&self) -> usize {
        self.racks_per_site.div_ceil(10)
    }
}

/// Writes a whole inventory as YAML.
pub fn generate(shape: Shape, out: &mut impl Write) -> io::Result<()> {
    let mut rng = Rng(shape.seed ^ 0x746f_6373_696e);
    let n = shape.customers.max(1);
    let services_expected = n * 3;
    let sites = (n / 100_000 + 2).min(SITE_NAMES.len());
    let vms_expected = services_expected * 16 / 100 + 1;
    let hvs_per_rack = 16;
    let racks_per_site = (vms_expected / 40 / hvs_per_rack / sites + 1).max(2);
    let web_per_site = (services_expected * 4 / 10 / 400 / sites + 1).max(2);
    let layout = Layout {
        sites,
        racks_per_site,
        hvs_per_rack,
        web_per_site,
    };
    // Decide services first.
    let mut planned: Vec<Planned> = Vec::with_capacity(services_expected + n);
    let mut customer_services: Vec<u32> = Vec::with_capacity(n + 1);
    for c in 0..n as u32 {
        customer_services.push(planned.len() as u32);
        let count = 1 + rng.below(5);
        for _ in 0..count {
            let mut pick = rng.below(1000);
            let mut product = Product::Vps;
            for &(p, share) in PRODUCTS {
                if pick < share {
                    product = p;
                    break;
                }
                pick -= share;
            }
            let site = rng.below(sites) as u16;
            let hosts = racks_per_site * hvs_per_rack;
            planned.push(Planned {
                customer: c,
                product,
                site,
                host: rng.below(hosts) as u32,
                host2: rng.below(hosts) as u32,
                needs_dns: rng.chance(300),
            });
        }
    }
    customer_services.push(planned.len() as u32);

    writeln!(
        out,
        "# Generated by `tocsin generate --customers {n} --seed {}`.",
        shape.seed
    )?;
    writeln!(out, "version: 1")?;
    writeln!(out, "sites:")?;
    for (s, name) in SITE_NAMES.iter().enumerate().take(sites) {
        writeln!(out, "  - {{id: dc{}, name: {}}}", s + 1, quote(name))?;
    }
    write_components(out, sites)?;
    out.write_all(PLANS.as_bytes())?;
    writeln!(out, "nodes:")?;
    for s in 0..sites {
        write_site(out, &layout, s, &mut rng)?;
    }
    write_service_nodes(out, &planned, &layout)?;
    writeln!(out, "customers:")?;
    writeln!(
        out,
        "  - {{id: provider, name: \"Provider NOC\", contacts: [{{email: noc@provider.example, language: en}}], tier: internal}}"
    )?;
    for c in 0..n {
        write_customer(out, c, &mut rng)?;
    }
    writeln!(out, "services:")?;
    writeln!(
        out,
        "  - {{id: dns, customer: provider, kind: dns, name: \"Authoritative DNS\", component: dns, requires: [{{any: [vm-ns1, vm-ns2]}}]}}"
    )?;
    for (i, p) in planned.iter().enumerate() {
        write_service(out, i, p, &layout)?;
    }
    Ok(())
}

/// Credit policies as in the SLA contract's example, and the plans of [`Product::plans`]:
/// VPS tiered in EUR (one in CZK), hosting hourly.
const PLANS: &str = r#"credit_policies:
  - {id: tiered, tiers: [{below: 99.9, percent: 10}, {below: 99.0, percent: 30}, {below: 95.0, percent: 100}]}
  - {id: hourly, per_hour: 2.5, cap: 100, min_outage: 5m}
plans:
  - {id: vps-s, name: "VPS S", price: "6.00", currency: EUR, sla: 99.9, credits: tiered}
  - {id: vps-m, name: "VPS M", price: "12.00", currency: EUR, sla: 99.9, credits: tiered}
  - {id: vps-l, name: "VPS L", price: "24.00", currency: EUR, sla: 99.9, credits: tiered}
  - {id: vps-cz, name: "VPS CZ", price: "290.00", currency: CZK, sla: 99.5, credits: tiered}
  - {id: vps-ha, name: "VPS HA", price: "49.00", currency: EUR, sla: 99.95, credits: tiered}
  - {id: web-basic, name: "Web Basic", price: "3.50", currency: EUR, sla: 99.5, credits: hourly}
  - {id: web-pro, name: "Web Pro", price: "9.90", currency: EUR, sla: 99.9, credits: hourly, maintenance: counted}
  - {id: mail, name: "Mail", price: "2.00", currency: EUR, sla: 99.9, credits: hourly}
  - {id: dns, name: "DNS", price: "1.00", currency: EUR, sla: 99.99, credits: hourly}
  - {id: dedicated, name: "Dedicated", price: "89.00", currency: EUR, sla: 99.9, credits: tiered}
  - {id: storage, name: "Object storage 1 TB", price: "15.00", currency: EUR, sla: 99.9, credits: tiered}
"#;

fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for ch in s.chars() {
        match ch {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

fn write_components(out: &mut impl Write, sites: usize) -> io::Result<()> {
    writeln!(out, "components:")?;
    writeln!(out, "  - {{id: dns, name: \"DNS\", group: \"Network\"}}")?;
    writeln!(
        out,
        "  - {{id: mail, name: \"E-mail\", group: \"Hosting\"}}"
    )?;
    for s in 1..=sites {
        let site = quote(SITE_NAMES[s - 1]);
        let site = site.trim_matches('"');
        for (id, name, group) in [
            ("vps", "VPS", "Cloud"),
            ("web", "Web hosting", "Hosting"),
            ("dedicated", "Dedicated servers", "Dedicated"),
            ("storage", "Object storage", "Storage"),
        ] {
            writeln!(
                out,
                "  - {{id: {id}-dc{s}, name: \"{name} — {site}\", group: \"{group}\"}}"
            )?;
        }
    }
    Ok(())
}

/// Power, network, storage and compute of one site.
fn write_site(out: &mut impl Write, l: &Layout, s: usize, rng: &mut Rng) -> io::Result<()> {
    let d = format!("dc{}", s + 1);
    let site = &d;
    writeln!(out, "  - {{id: grid-{d}, kind: power-feed, site: {site}}}")?;
    for side in ["a", "b"] {
        writeln!(out, "  - {{id: gen-{d}-{side}, kind: generator, site: {site}, labels: {{instance: \"gen-{d}-{side}.mgmt:9100\"}}}}")?;
        writeln!(out, "  - {{id: ats-{d}-{side}, kind: ats, site: {site}, requires: [{{any: [grid-{d}, gen-{d}-{side}]}}]}}")?;
        writeln!(out, "  - {{id: ups-{d}-{side}, kind: ups, site: {site}, labels: {{instance: \"ups-{d}-{side}.mgmt:9100\"}}, requires: [ats-{d}-{side}]}}")?;
    }
    for i in 1..=2 {
        writeln!(out, "  - {{id: spine-{d}-{i}, kind: switch, site: {site}, labels: {{instance: \"spine-{d}-{i}.mgmt:9100\"}}, requires: [{{any: [ups-{d}-a, ups-{d}-b]}}]}}")?;
        writeln!(out, "  - {{id: edge-{d}-{i}, kind: router, site: {site}, requires: [{{any: [ups-{d}-a, ups-{d}-b]}}, {{any: [spine-{d}-1, spine-{d}-2]}}]}}")?;
    }
    writeln!(out, "  - {{id: fw-{d}, kind: firewall, site: {site}, requires: [{{any: [edge-{d}-1, edge-{d}-2]}}]}}")?;
    for p in 0..l.pods() {
        for side in ["a", "b"] {
            writeln!(out, "  - {{id: leaf-{d}-p{p:02}-{side}, kind: switch, site: {site}, labels: {{instance: \"leaf-{d}-p{p:02}-{side}.mgmt:9100\"}}, requires: [ups-{d}-{side}, {{any: [spine-{d}-1, spine-{d}-2]}}]}}")?;
        }
    }
    for c in 1..=3 {
        writeln!(out, "  - {{id: san-{d}-ctl{c}, kind: storage, site: {site}, requires: [{{any: [ups-{d}-a, ups-{d}-b]}}, {{any: [leaf-{d}-p00-a, leaf-{d}-p00-b]}}]}}")?;
    }
    writeln!(out, "  - {{id: san-{d}, kind: storage, site: {site}, requires: [{{at_least: 2, of: [san-{d}-ctl1, san-{d}-ctl2, san-{d}-ctl3]}}]}}")?;
    for r in 0..l.racks_per_site {
        let p = r / 10;
        for side in ["a", "b"] {
            writeln!(out, "  - {{id: pdu-{d}-r{r:03}-{side}, kind: pdu, site: {site}, requires: [ups-{d}-{side}]}}")?;
        }
        for h in 0..l.hvs_per_rack {
            let hv = format!("hv-{d}-r{r:03}-{h:02}");
            let labels = format!("labels: {{instance: \"{hv}.mgmt:9100\"}}");
            // Seed 000: NICs cabled to one switch make a "redundant" host single-homed;
            // some hosts also have one power supply connected.
            let network = if rng.chance(20) {
                format!("leaf-{d}-p{p:02}-a")
            } else {
                format!("{{any: [leaf-{d}-p{p:02}-a, leaf-{d}-p{p:02}-b]}}")
            };
            let power = if rng.chance(10) {
                format!("pdu-{d}-r{r:03}-b")
            } else {
                format!("{{any: [pdu-{d}-r{r:03}-a, pdu-{d}-r{r:03}-b]}}")
            };
            writeln!(out, "  - {{id: {hv}, kind: hypervisor, site: {site}, {labels}, requires: [{power}, {network}, san-{d}]}}")?;
        }
    }
    // Shared web hosting servers and the mail cluster are VMs on the first racks.
    for w in 0..l.web_per_site {
        writeln!(
            out,
            "  - {{id: web-{d}-{w:03}, kind: vm, site: {site}, requires: [{}]}}",
            hv_id(l, s, w * 7)
        )?;
    }
    for m in 1..=2 {
        writeln!(
            out,
            "  - {{id: mx-{d}-{m}, kind: vm, site: {site}, requires: [{}]}}",
            hv_id(l, s, m * 3)
        )?;
    }
    if s < 2 {
        writeln!(
            out,
            "  - {{id: vm-ns{}, kind: vm, site: {site}, requires: [{}]}}",
            s + 1,
            hv_id(l, s, 5)
        )?;
    }
    Ok(())
}

fn hv_id(l: &Layout, site: usize, host: usize) -> String {
    let host = host % (l.racks_per_site * l.hvs_per_rack);
    format!(
        "hv-dc{}-r{:03}-{:02}",
        site + 1,
        host / l.hvs_per_rack,
        host % l.hvs_per_rack
    )
}

/// The VMs and dedicated servers services run on.
fn write_service_nodes(out: &mut impl Write, planned: &[Planned], l: &Layout) -> io::Result<()> {
    for (i, p) in planned.iter().enumerate() {
        let s = p.site as usize;
        let d = s + 1;
        match p.product {
            Product::Vps => writeln!(
                out,
                "  - {{id: vm-{i}, kind: vm, site: dc{d}, requires: [{}]}}",
                hv_id(l, s, p.host as usize)
            )?,
            Product::HaVps => {
                let other = (s + 1) % l.sites;
                writeln!(
                    out,
                    "  - {{id: vm-{i}-a, kind: vm, site: dc{d}, requires: [{}]}}",
                    hv_id(l, s, p.host as usize)
                )?;
                writeln!(
                    out,
                    "  - {{id: vm-{i}-b, kind: vm, site: dc{}, requires: [{}]}}",
                    other + 1,
                    hv_id(l, other, p.host2 as usize)
                )?;
            }
            Product::Dedicated => {
                let r = p.host as usize % l.racks_per_site;
                let pod = r / 10;
                // Half the dedicated servers are the cheap kind: one power supply, one NIC.
                if p.needs_dns {
                    writeln!(out, "  - {{id: srv-{i}, kind: server, site: dc{d}, requires: [pdu-dc{d}-r{r:03}-a, leaf-dc{d}-p{pod:02}-a]}}")?;
                } else {
                    writeln!(out, "  - {{id: srv-{i}, kind: server, site: dc{d}, requires: [{{any: [pdu-dc{d}-r{r:03}-a, pdu-dc{d}-r{r:03}-b]}}, {{any: [leaf-dc{d}-p{pod:02}-a, leaf-dc{d}-p{pod:02}-b]}}]}}")?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn write_customer(out: &mut impl Write, c: usize, rng: &mut Rng) -> io::Result<()> {
    let (lang, form) = COMPANY_FORMS[rng.below(COMPANY_FORMS.len())];
    let word = COMPANY_WORDS[rng.below(COMPANY_WORDS.len())];
    // Countries and VAT ids follow the customer's number, so that the random choices (and
    // so the graph) of a seed stay what they were before customers had them.
    let country = match lang {
        "cs" if c % 5 == 0 => Some("SK"),
        "cs" => Some("CZ"),
        "pl" => Some("PL"),
        "fr" => Some("FR"),
        "en" if c % 4 == 3 => Some("US"),
        "en" => Some("DE"),
        _ => None,
    };
    let name = if lang == "ru" {
        format!("{form} «{word}»")
    } else {
        format!("{word} {form}")
    };
    let tier = TIERS[rng.below(TIERS.len())];
    write!(
        out,
        "  - {{id: c{c:07}, name: {}, tier: {tier}, ",
        quote(&name)
    )?;
    if let Some(country) = country {
        write!(out, "country: {country}, ")?;
        // National VAT number lengths; two customers in three are VAT registered.
        let digits = match country {
            "CZ" => 8,
            "DE" => 9,
            "FR" => 11,
            "SK" | "PL" => 10,
            _ => 0,
        };
        if digits > 0 && c % 3 != 2 {
            let number = (c as u64).wrapping_mul(2_654_435_761) % 10u64.pow(digits);
            let width = digits as usize;
            write!(out, "vat_id: {country}{number:0width$}, ")?;
        }
    }
    write!(
        out,
        "contacts: [{{email: ops@c{c:07}.example, language: {lang}}}"
    )?;
    if rng.chance(300) {
        let second = ["cs", "en", "pl", "fr", "ru"][rng.below(5)];
        write!(
            out,
            ", {{email: billing@c{c:07}.example, language: {second}}}"
        )?;
    }
    writeln!(out, "]}}")
}

fn write_service(out: &mut impl Write, i: usize, p: &Planned, l: &Layout) -> io::Result<()> {
    let d = p.site as usize + 1;
    let c = p.customer;
    let kind = p.product.kind();
    let dns = if p.needs_dns { ", dns" } else { "" };
    let (component, requires) = match p.product {
        Product::Vps => (format!("vps-dc{d}"), format!("vm-{i}{dns}")),
        Product::HaVps => (
            format!("vps-dc{d}"),
            format!("{{any: [vm-{i}-a, vm-{i}-b]}}{dns}"),
        ),
        Product::Web => (
            format!("web-dc{d}"),
            format!("web-dc{d}-{:03}, dns", p.host as usize % l.web_per_site),
        ),
        Product::Mail => (
            "mail".to_owned(),
            format!("{{any: [mx-dc{d}-1, mx-dc{d}-2]}}, dns"),
        ),
        Product::Domain => ("dns".to_owned(), "dns".to_owned()),
        Product::Dedicated => (format!("dedicated-dc{d}"), format!("srv-{i}")),
        Product::Storage => (
            format!("storage-dc{d}"),
            format!("san-dc{d}, {{any: [edge-dc{d}-1, edge-dc{d}-2]}}"),
        ),
    };
    let plans = p.product.plans();
    let plan = plans[i % plans.len()];
    writeln!(
        out,
        "  - {{id: s{i}, customer: c{c:07}, kind: {kind}, name: \"{kind} {i}\", component: {component}, plan: {plan}, requires: [{requires}]}}"
    )
}

#[cfg(test)]
mod tests;
