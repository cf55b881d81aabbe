//! Authorisation, route by route: one table names every route the server has and who may use
//! it; the test asks each route as an anonymous visitor, as a customer and as every staff role,
//! and checks that exactly the allowed ones get through. A second test reads the web crate's
//! source for `.route("…")` and fails when a route is missing from the table, so a new route
//! cannot ship without being classified here.

use std::path::Path;

use crate::serve::{add_account, api_token, http_as, start};

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// Everyone: the public status outputs, login, health.
    Public,
    /// Monitoring systems push alerts without an account (the server contract).
    Alerts,
    /// Staff from this role up: `junior`, `engineer`, `shift_lead`, `admin`.
    Staff(&'static str),
    /// Customers, each only their own data.
    Customer,
    /// Customers (each their own) and staff from this role up.
    Account(&'static str),
    /// Only this customer: the data of one customer, which any other is refused with `404`
    /// (the same answer as for something that does not exist).
    CustomerOnly(&'static str),
    /// Whoever holds the secret in the URL (private feeds); a wrong one is `404`.
    Capability,
}

use Policy::*;

/// Every route: method, path as routed, path as requested, policy.
const ROUTES: &[(&str, &str, &str, Policy)] = &[
    ("GET", "/", "/", Public),
    ("GET", "/healthz", "/healthz", Public),
    ("GET", "/assets/status.css", "/assets/status.css", Public),
    ("GET", "/assets/app.css", "/assets/app.css", Public),
    ("GET", "/api/openapi.json", "/api/openapi.json", Public),
    ("GET", "/index.html", "/index.html", Public),
    ("GET", "/index.en.html", "/index.en.html", Public),
    ("GET", "/index.cs.html", "/index.cs.html", Public),
    (
        "GET",
        "/api/v2/summary.json",
        "/api/v2/summary.json",
        Public,
    ),
    ("GET", "/api/v2/status.json", "/api/v2/status.json", Public),
    (
        "GET",
        "/api/v2/components.json",
        "/api/v2/components.json",
        Public,
    ),
    (
        "GET",
        "/api/v2/incidents.json",
        "/api/v2/incidents.json",
        Public,
    ),
    ("GET", "/history.atom", "/history.atom", Public),
    ("GET", "/maintenance.ics", "/maintenance.ics", Public),
    ("GET", "/login", "/login", Public),
    ("POST", "/login", "/login", Public),
    ("POST", "/logout", "/logout", Public),
    (
        "POST",
        "/api/v1/alerts/alertmanager",
        "/api/v1/alerts/alertmanager",
        Alerts,
    ),
    ("POST", "/api/v1/alerts", "/api/v1/alerts", Alerts),
    (
        "POST",
        "/api/v1/alerts/zabbix",
        "/api/v1/alerts/zabbix",
        Alerts,
    ),
    (
        "GET",
        "/api/v1/alerts/unmatched",
        "/api/v1/alerts/unmatched",
        Staff("junior"),
    ),
    ("GET", "/api/v1/impact", "/api/v1/impact", Staff("junior")),
    (
        "GET",
        "/api/v1/incidents",
        "/api/v1/incidents",
        Staff("junior"),
    ),
    (
        "GET",
        "/api/v1/incidents/{id}",
        "/api/v1/incidents/1",
        Staff("junior"),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/updates",
        "/api/v1/incidents/1/updates",
        Staff("junior"),
    ),
    ("GET", "/api/v1/outbox", "/api/v1/outbox", Staff("junior")),
    ("GET", "/api/v1/shifts", "/api/v1/shifts", Staff("junior")),
    ("POST", "/api/v1/shifts", "/api/v1/shifts", Staff("admin")),
    (
        "GET",
        "/api/v1/shifts/now",
        "/api/v1/shifts/now",
        Staff("junior"),
    ),
    ("GET", "/console/shifts", "/console/shifts", Staff("junior")),
    ("POST", "/console/shifts", "/console/shifts", Staff("admin")),
    ("GET", "/api/v1/drills", "/api/v1/drills", Staff("junior")),
    (
        "POST",
        "/api/v1/drills",
        "/api/v1/drills",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/api/v1/drills/{id}/results",
        "/api/v1/drills/1/results",
        Staff("engineer"),
    ),
    ("GET", "/console/drills", "/console/drills", Staff("junior")),
    (
        "POST",
        "/console/drills",
        "/console/drills",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/console/drills/{id}/results",
        "/console/drills/1/results",
        Staff("engineer"),
    ),
    (
        "GET",
        "/api/v1/maintenance/{id}",
        "/api/v1/maintenance/1",
        Staff("junior"),
    ),
    (
        "GET",
        "/api/v1/upgrades",
        "/api/v1/upgrades",
        Staff("junior"),
    ),
    (
        "POST",
        "/api/v1/upgrades",
        "/api/v1/upgrades",
        Staff("engineer"),
    ),
    (
        "GET",
        "/api/v1/upgrades/{id}",
        "/api/v1/upgrades/1",
        Staff("junior"),
    ),
    (
        "POST",
        "/api/v1/upgrades/{id}/steps/{n}/{action}",
        "/api/v1/upgrades/1/steps/1/verify",
        Staff("engineer"),
    ),
    (
        "GET",
        "/console/upgrades",
        "/console/upgrades",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/upgrades",
        "/console/upgrades",
        Staff("engineer"),
    ),
    (
        "GET",
        "/console/upgrades/{id}",
        "/console/upgrades/1",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/upgrades/{id}/steps/{n}/{action}",
        "/console/upgrades/1/steps/1/verify",
        Staff("engineer"),
    ),
    (
        "POST",
        "/api/v1/broadcasts",
        "/api/v1/broadcasts",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/api/v1/inventory/reload",
        "/api/v1/inventory/reload",
        Staff("admin"),
    ),
    (
        "GET",
        "/api/v1/whatif",
        "/api/v1/whatif?down=sw-a",
        Staff("junior"),
    ),
    ("GET", "/api/v1/marks", "/api/v1/marks", Staff("junior")),
    ("POST", "/api/v1/marks", "/api/v1/marks", Staff("engineer")),
    (
        "GET",
        "/api/v1/components",
        "/api/v1/components",
        Staff("junior"),
    ),
    (
        "POST",
        "/api/v1/components/{id}/status",
        "/api/v1/components/cloud/status",
        Staff("shift_lead"),
    ),
    (
        "GET",
        "/api/v1/maintenance",
        "/api/v1/maintenance",
        Staff("junior"),
    ),
    (
        "POST",
        "/api/v1/maintenance",
        "/api/v1/maintenance",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/api/v1/maintenance/{id}/move",
        "/api/v1/maintenance/1/move",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/api/v1/maintenance/{id}/cancel",
        "/api/v1/maintenance/1/cancel",
        Staff("shift_lead"),
    ),
    (
        "GET",
        "/api/v1/account/preferences",
        "/api/v1/account/preferences",
        Customer,
    ),
    (
        "PUT",
        "/api/v1/account/preferences",
        "/api/v1/account/preferences",
        Customer,
    ),
    ("GET", "/metrics", "/metrics", Staff("junior")),
    ("GET", "/demo/outbox", "/demo/outbox", Staff("junior")),
    ("GET", "/account", "/account", Customer),
    (
        "GET",
        "/account/preferences",
        "/account/preferences",
        Customer,
    ),
    (
        "POST",
        "/account/preferences",
        "/account/preferences",
        Customer,
    ),
    (
        "GET",
        "/account/incidents/{id}",
        "/account/incidents/1",
        CustomerOnly("beta"),
    ),
    (
        "GET",
        "/account/feed/{file}",
        "/account/feed/0123456789abcdef.atom",
        Capability,
    ),
    (
        "GET",
        "/account/maintenance/{file}",
        "/account/maintenance/0123456789abcdef.ics",
        Capability,
    ),
    ("GET", "/console", "/console", Staff("junior")),
    ("GET", "/console/audit", "/console/audit", Staff("junior")),
    (
        "GET",
        "/console/components",
        "/console/components",
        Staff("junior"),
    ),
    (
        "GET",
        "/console/incidents",
        "/console/incidents",
        Staff("junior"),
    ),
    (
        "GET",
        "/console/incidents/{id}",
        "/console/incidents/1",
        Staff("junior"),
    ),
    (
        "GET",
        "/console/broadcast",
        "/console/broadcast",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/broadcast",
        "/console/broadcast",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/console/inventory/reload",
        "/console/inventory/reload",
        Staff("admin"),
    ),
    ("GET", "/console/outbox", "/console/outbox", Staff("junior")),
    ("GET", "/console/spof", "/console/spof", Staff("junior")),
    (
        "GET",
        "/console/vertices",
        "/console/vertices",
        Staff("junior"),
    ),
    (
        "GET",
        "/console/whatif",
        "/console/whatif?down=sw-a",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/incidents/{id}/updates",
        "/console/incidents/1/updates",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/vertices",
        "/console/vertices",
        Staff("engineer"),
    ),
    (
        "POST",
        "/console/components/status",
        "/console/components/status",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/console/maintenance",
        "/console/maintenance",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/console/maintenance/{id}/cancel",
        "/console/maintenance/1/cancel",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/console/maintenance/{id}/move",
        "/console/maintenance/1/move",
        Staff("shift_lead"),
    ),
    ("GET", "/api/v1/sla", "/api/v1/sla", Staff("junior")),
    ("GET", "/api/v1/outages", "/api/v1/outages", Staff("junior")),
    (
        "POST",
        "/api/v1/outages",
        "/api/v1/outages",
        Staff("engineer"),
    ),
    ("GET", "/api/v1/credits", "/api/v1/credits", Staff("junior")),
    (
        "POST",
        "/api/v1/credits/{id}/approve",
        "/api/v1/credits/1/approve",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/api/v1/credits/{id}/reject",
        "/api/v1/credits/1/reject",
        Staff("shift_lead"),
    ),
    (
        "GET",
        "/api/v1/account/sla",
        "/api/v1/account/sla",
        Customer,
    ),
    (
        "GET",
        "/api/v1/account/credits",
        "/api/v1/account/credits",
        Customer,
    ),
    (
        "POST",
        "/api/v1/account/credits/{id}/choice",
        "/api/v1/account/credits/1/choice",
        Customer,
    ),
    ("GET", "/console/sla", "/console/sla", Staff("junior")),
    (
        "POST",
        "/console/sla/outages",
        "/console/sla/outages",
        Staff("engineer"),
    ),
    (
        "POST",
        "/console/credits/{id}/approve",
        "/console/credits/1/approve",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/console/credits/{id}/reject",
        "/console/credits/1/reject",
        Staff("shift_lead"),
    ),
    ("GET", "/account/sla", "/account/sla", Customer),
    (
        "GET",
        "/api/v1/tickets",
        "/api/v1/tickets",
        Account("junior"),
    ),
    (
        "POST",
        "/api/v1/tickets",
        "/api/v1/tickets",
        Account("engineer"),
    ),
    (
        "GET",
        "/api/v1/tickets/queue",
        "/api/v1/tickets/queue",
        Staff("junior"),
    ),
    (
        "GET",
        "/api/v1/tickets/{id}",
        "/api/v1/tickets/1",
        Account("junior"),
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/replies",
        "/api/v1/tickets/1/replies",
        Account("junior"),
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/status",
        "/api/v1/tickets/1/status",
        Account("engineer"),
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/rating",
        "/api/v1/tickets/1/rating",
        Customer,
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/assign",
        "/api/v1/tickets/1/assign",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/triage",
        "/api/v1/tickets/1/triage",
        Staff("engineer"),
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/merge",
        "/api/v1/tickets/1/merge",
        Staff("engineer"),
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/credentials/reveal",
        "/api/v1/tickets/1/credentials/reveal",
        Staff("engineer"),
    ),
    (
        "DELETE",
        "/api/v1/tickets/{id}/authorisation",
        "/api/v1/tickets/1/authorisation",
        Customer,
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/work",
        "/api/v1/tickets/1/work",
        Staff("engineer"),
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/new-credentials",
        "/api/v1/tickets/1/new-credentials",
        Staff("engineer"),
    ),
    (
        "GET",
        "/api/v1/tickets/{id}/new-credentials",
        "/api/v1/tickets/1/new-credentials",
        Customer,
    ),
    (
        "POST",
        "/api/v1/tickets/{id}/hardware",
        "/api/v1/tickets/1/hardware",
        Staff("engineer"),
    ),
    (
        "GET",
        "/api/v1/envelopes",
        "/api/v1/envelopes",
        Staff("junior"),
    ),
    (
        "POST",
        "/api/v1/envelopes",
        "/api/v1/envelopes",
        Staff("admin"),
    ),
    (
        "POST",
        "/api/v1/envelopes/{id}/open",
        "/api/v1/envelopes/1/open",
        Staff("junior"),
    ),
    (
        "POST",
        "/api/v1/envelopes/{id}/reseal",
        "/api/v1/envelopes/1/reseal",
        Staff("admin"),
    ),
    (
        "GET",
        "/api/v1/tickets/{id}/attachments/{*key}",
        "/api/v1/tickets/1/attachments/desk/x",
        Account("junior"),
    ),
    (
        "GET",
        "/api/v1/canned-replies",
        "/api/v1/canned-replies",
        Staff("junior"),
    ),
    (
        "POST",
        "/api/v1/canned-replies",
        "/api/v1/canned-replies",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/account/credits/{id}/choice",
        "/account/credits/1/choice",
        Customer,
    ),
    (
        "GET",
        "/console/tickets",
        "/console/tickets",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/tickets",
        "/console/tickets",
        Staff("engineer"),
    ),
    (
        "GET",
        "/console/tickets/{id}",
        "/console/tickets/1",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/tickets/{id}/replies",
        "/console/tickets/1/replies",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/tickets/{id}/status",
        "/console/tickets/1/status",
        Staff("engineer"),
    ),
    (
        "POST",
        "/console/tickets/{id}/assign",
        "/console/tickets/1/assign",
        Staff("shift_lead"),
    ),
    (
        "POST",
        "/console/tickets/{id}/triage",
        "/console/tickets/1/triage",
        Staff("engineer"),
    ),
    (
        "POST",
        "/console/tickets/{id}/merge",
        "/console/tickets/1/merge",
        Staff("engineer"),
    ),
    (
        "POST",
        "/console/tickets/{id}/reveal",
        "/console/tickets/1/reveal",
        Staff("engineer"),
    ),
    (
        "POST",
        "/console/tickets/{id}/work",
        "/console/tickets/1/work",
        Staff("engineer"),
    ),
    (
        "POST",
        "/console/tickets/{id}/new-credentials",
        "/console/tickets/1/new-credentials",
        Staff("engineer"),
    ),
    (
        "POST",
        "/console/tickets/{id}/hardware",
        "/console/tickets/1/hardware",
        Staff("engineer"),
    ),
    (
        "GET",
        "/console/envelopes",
        "/console/envelopes",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/envelopes",
        "/console/envelopes",
        Staff("admin"),
    ),
    (
        "POST",
        "/console/envelopes/{id}/reseal",
        "/console/envelopes/1/reseal",
        Staff("admin"),
    ),
    (
        "POST",
        "/console/envelopes/{id}/open",
        "/console/envelopes/1/open",
        Staff("junior"),
    ),
    (
        "GET",
        "/console/canned-replies",
        "/console/canned-replies",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/canned-replies",
        "/console/canned-replies",
        Staff("shift_lead"),
    ),
    ("GET", "/assets/canned.js", "/assets/canned.js", Public),
    ("GET", "/account/tickets", "/account/tickets", Customer),
    ("POST", "/account/tickets", "/account/tickets", Customer),
    (
        "GET",
        "/account/tickets/new",
        "/account/tickets/new",
        Customer,
    ),
    (
        "GET",
        "/account/tickets/intervention",
        "/account/tickets/intervention",
        Customer,
    ),
    (
        "POST",
        "/account/tickets/intervention",
        "/account/tickets/intervention",
        Customer,
    ),
    (
        "POST",
        "/account/tickets/{id}/revoke",
        "/account/tickets/1/revoke",
        Customer,
    ),
    (
        "POST",
        "/account/tickets/{id}/new-credentials",
        "/account/tickets/1/new-credentials",
        Customer,
    ),
    // Ticket 1 does not exist: customers get the area's 404, the answer for another
    // customer's ticket too (`desk_pages` checks that one).
    (
        "GET",
        "/account/tickets/{id}",
        "/account/tickets/1",
        Customer,
    ),
    (
        "POST",
        "/account/tickets/{id}/replies",
        "/account/tickets/1/replies",
        Customer,
    ),
    (
        "POST",
        "/account/tickets/{id}/status",
        "/account/tickets/1/status",
        Customer,
    ),
    (
        "POST",
        "/account/tickets/{id}/rating",
        "/account/tickets/1/rating",
        Customer,
    ),
    (
        "GET",
        "/account/tickets/{id}/attachments/{*key}",
        "/account/tickets/1/attachments/desk/x",
        Customer,
    ),
    // Another customer's e-mail is the 404 of one that does not exist; which customer's row
    // 1 is, and whether it was sent yet, depends on the notice worker, so the table only
    // demands a customer here and `account_sla_mail` checks the 404s.
    (
        "GET",
        "/account/messages/{id}",
        "/account/messages/1",
        Customer,
    ),
    ("GET", "/help", "/help", Public),
    ("GET", "/help/{slug}", "/help/restart", Public),
    (
        "POST",
        "/help/{slug}/{language}/vote",
        "/help/restart/en/vote",
        Public,
    ),
    (
        "GET",
        "/assets/help-suggest.js",
        "/assets/help-suggest.js",
        Public,
    ),
    (
        "GET",
        "/api/v1/help/search",
        "/api/v1/help/search?q=restart&lang=en",
        Public,
    ),
    (
        "POST",
        "/api/v1/help/articles/{slug}/{language}/vote",
        "/api/v1/help/articles/restart/en/vote",
        Public,
    ),
    (
        "GET",
        "/api/v1/help/articles",
        "/api/v1/help/articles",
        Staff("junior"),
    ),
    (
        "POST",
        "/api/v1/help/articles",
        "/api/v1/help/articles",
        Staff("engineer"),
    ),
    (
        "PUT",
        "/api/v1/help/articles/{slug}/{language}",
        "/api/v1/help/articles/restart/en",
        Staff("engineer"),
    ),
    ("GET", "/console/help", "/console/help", Staff("junior")),
    ("POST", "/console/help", "/console/help", Staff("engineer")),
    (
        "GET",
        "/console/help/{slug}/{language}",
        "/console/help/restart/en",
        Staff("junior"),
    ),
    (
        "POST",
        "/console/help/{slug}/{language}",
        "/console/help/restart/en",
        Staff("engineer"),
    ),
];

const STAFF: [&str; 4] = ["junior", "engineer", "shift_lead", "admin"];

fn rank(role: &str) -> Option<usize> {
    STAFF.iter().position(|r| *r == role)
}

/// What a request answered as `who` must look like under `policy`.
fn allowed(policy: Policy, who: Option<&str>) -> bool {
    match (policy, who) {
        (Public | Alerts, _) => true,
        (Staff(least), Some(role)) => rank(role).is_some_and(|r| Some(r) >= rank(least)),
        (Customer, Some(who)) => who.starts_with("customer"),
        (Account(least), Some(who)) => {
            who.starts_with("customer") || rank(who).is_some_and(|r| Some(r) >= rank(least))
        }
        (CustomerOnly(c), Some(who)) => who == format!("customer {c}"),
        _ => false,
    }
}

fn refused(policy: Policy, status: u16, body: &str) -> bool {
    // 401/403 for APIs; pages send anonymous visitors to the login form; another customer's
    // data and a wrong capability look like nothing is there.
    status == 401
        || status == 403
        || (status == 303 && body.is_empty())
        || (status == 404 && matches!(policy, CustomerOnly(_) | Capability))
}

#[test]
fn every_route_refuses_whoever_it_does_not_serve() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::serve::example_config(dir.path(), None, "http://status.example.net");
    let mut tokens: Vec<(&str, String)> = Vec::new();
    for role in STAFF {
        let login = format!("{role}@provider.test");
        add_account(&config, &login, role, None);
        tokens.push((role, api_token(&config, &login)));
    }
    for customer in ["acme", "beta"] {
        let login = format!("someone@{customer}.test");
        add_account(&config, &login, "customer", Some(customer));
        tokens.push((
            if customer == "acme" {
                "customer acme"
            } else {
                "customer beta"
            },
            api_token(&config, &login),
        ));
    }
    let server = start(&config);
    // Incident 1, to ask about: hv-08 down takes beta's vps-2 down, not acme's.
    let (status, _) = http_as(
        &server.addr,
        "POST",
        "/api/v1/alerts",
        r#"{"node":"hv-08","state":"down","source":"t","id":"a1"}"#,
        None,
    );
    assert_eq!(status, 202);
    let within = std::time::Duration::from_secs(10);
    crate::serve::wait_for(
        &server.addr,
        "/api/v1/incidents",
        "an incident",
        within,
        |b| b.contains("vps-2"),
    );

    let mut wrong = Vec::new();
    for &(method, _, path, policy) in ROUTES {
        let mut ask = |who: Option<&str>, token: Option<&str>| {
            // An empty JSON object: enough to pass authorisation and fail validation, so a
            // request that gets through changes nothing. A PUT replaces a whole document, so
            // it gets a body that is not JSON at all.
            let body = match method {
                "POST" => "{}",
                "PUT" => "not json",
                _ => "",
            };
            let (status, reply) = http_as(&server.addr, method, path, body, token);
            let expect = allowed(policy, who);
            let got_through = !refused(policy, status, &reply);
            if got_through != expect {
                wrong.push(format!(
                    "{method} {path} as {}: {status} {reply:.120} (expected {})",
                    who.unwrap_or("anonymous"),
                    if expect { "allowed" } else { "refused" }
                ));
            }
        };
        ask(None, None);
        ask(Some("nobody"), Some("not-a-token"));
        for (role, token) in &tokens {
            ask(Some(role), Some(token));
        }
    }
    assert!(
        wrong.is_empty(),
        "authorisation differs from the table:\n{}",
        wrong.join("\n")
    );
}

/// Every `.route("PATH", …)` in the web crate's source, with its methods.
fn routes_in_source() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src");
    let mut found = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // Unit tests build routers of their own; they are not the server's routes.
            if path.extension().is_none_or(|e| e != "rs")
                || path.file_name().is_some_and(|n| n == "tests.rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut rest = text.as_str();
            while let Some(at) = rest.find(".route(") {
                rest = &rest[at + ".route(".len()..];
                let trimmed = rest.trim_start();
                let Some(literal) = trimmed.strip_prefix('"') else {
                    continue;
                };
                let end = literal.find('"').unwrap();
                let route = literal[..end].to_owned();
                // The handler expression up to the end of this call names the methods.
                let call = &literal[end..literal.find("\n        .").unwrap_or(literal.len())];
                for method in ["get", "post", "put", "delete", "patch"] {
                    // A method router, not a name ending in one (`fixed_output(`).
                    let named = call.match_indices(&format!("{method}(")).any(|(at, _)| {
                        !call[..at]
                            .chars()
                            .next_back()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_')
                    });
                    if named {
                        found.push((method.to_uppercase(), route.clone()));
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn the_table_names_every_route_of_the_server() {
    let found = routes_in_source();
    assert!(found.len() >= 20, "route scan found too little: {found:?}");
    let missing: Vec<String> = found
        .iter()
        .filter(|(m, r)| !ROUTES.iter().any(|(tm, tr, _, _)| tm == m && tr == r))
        .map(|(m, r)| format!("{m} {r}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes with no authorisation rule in authz.rs: {missing:?}"
    );
}

#[test]
fn the_openapi_document_lists_every_json_route_with_who_may_use_it() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/templates/status/openapi.json"),
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut wrong = Vec::new();
    for &(method, route, _, policy) in ROUTES {
        let api =
            route.starts_with("/api/v1/") || route.starts_with("/api/v2/") || route == "/metrics";
        if !api {
            continue;
        }
        let op = &doc["paths"][route][method.to_lowercase()];
        if !op.is_object() {
            wrong.push(format!("{method} {route}: not in the OpenAPI document"));
            continue;
        }
        let secured = op["security"].is_array();
        match policy {
            Staff(least) => {
                let declared = op["x-tocsin-least-role"].as_str().unwrap_or("");
                if !secured || !declared.starts_with(least) {
                    wrong.push(format!(
                        "{method} {route}: documented as `{declared}`, secured {secured}; the table says {least}"
                    ));
                }
            }
            Account(least) => {
                let declared = op["x-tocsin-least-role"].as_str().unwrap_or("");
                if !secured || declared != format!("{least} or customer") {
                    wrong.push(format!(
                        "{method} {route}: documented as `{declared}`, secured {secured}; the table says {least} or customer"
                    ));
                }
            }
            Customer | CustomerOnly(_) => {
                let declared = op["x-tocsin-least-role"].as_str().unwrap_or("");
                if !secured || declared != "customer" {
                    wrong.push(format!(
                        "{method} {route}: documented as `{declared}`, secured {secured}; the table says customers"
                    ));
                }
            }
            // Alert endpoints take a token only when `[alerts] tokens` is set: documented with
            // the empty requirement `{}` among the alternatives.
            Alerts if secured && !op["security"].as_array().is_some_and(|a| a.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty()))) => {
                wrong.push(format!("{method} {route}: documented as always secured, but open without [alerts] tokens"))
            }
            Alerts => {}
            _ if secured => wrong.push(format!("{method} {route}: documented as secured but open")),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
