//! `shared/spec/ha.md` from outside: three `tocsin serve` on one PostgreSQL take a burst of
//! alerts round-robin while their leader is killed and restarted, and end as one Tocsin: one
//! leader, the same applied position and impact on every instance, each outage one incident,
//! each notice delivered once (but for what was in flight at the kill), sessions valid on all.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tocsin_store::{AnyStore, IncidentRow, IncidentStore};

use crate::crash::sent_recorded;
use crate::mail::Keeper;
use crate::serve::{alertmanager, fresh_postgres, http, http_as, json_of, start, Running};
use crate::serve::{ADMIN, PASSWORD};
use crate::session::{login, Browser};

const SWITCHES: usize = 20;
const CUSTOMERS_PER_SWITCH: usize = 3;
const ROUNDS: usize = 6;
/// The contract's bound on a takeover.
const TAKEOVER: Duration = Duration::from_secs(15);
/// The contract's bound on an alert reaching every instance.
const SPREAD: Duration = Duration::from_secs(5);
/// A notice claimed by the killed instance waits for its claim to lapse (60 s, the outbox's
/// lease) before another instance sends it; this covers that and the rest of the delivery.
const MAIL_AFTER_KILL: Duration = Duration::from_secs(80);
/// With the outbox idle and nothing new at the SMTP server for this long, no more is coming.
const QUIET: Duration = Duration::from_secs(5);

/// Switch `sw-i` and, per switch, customers `ci-j` whose one service `si-j` needs only it, so
/// that each switch outage is its own incident and each contact hears of one switch only.
fn inventory() -> String {
    let mut nodes = String::new();
    let mut customers = String::new();
    let mut services = String::new();
    for i in 0..SWITCHES {
        nodes.push_str(&format!(
            "  - {{id: sw-{i}, kind: switch, labels: {{instance: \"sw-{i}:9100\"}}}}\n"
        ));
        for j in 0..CUSTOMERS_PER_SWITCH {
            customers.push_str(&format!(
                "  - {{id: c{i}-{j}, name: Customer {i}-{j}, contacts: [{{email: {}, language: en}}]}}\n",
                contact(i, j)
            ));
            services.push_str(&format!(
                "  - {{id: s{i}-{j}, customer: c{i}-{j}, name: vps {i}-{j}, requires: [sw-{i}]}}\n"
            ));
        }
    }
    format!("version: 1\nnodes:\n{nodes}customers:\n{customers}services:\n{services}")
}

fn contact(switch: usize, customer: usize) -> String {
    format!("u{switch}-{customer}@x.example")
}

/// The burst, as (switch, firing): every round goes over every switch with a fixed mix of new
/// outages, repeated firing alerts, recoveries and resolutions of what is already up; the last
/// round leaves every fourth switch down.
fn burst() -> Vec<(usize, bool)> {
    (0..ROUNDS)
        .flat_map(|r| {
            (0..SWITCHES).map(move |i| match r + 1 < ROUNDS {
                true => (i, (i * i + 3 * r * i + 2 * r) % 5 < 2),
                false => (i, i % 4 == 0),
            })
        })
        .collect()
}

/// What the alerts answered `202` imply, in the order they were answered.
#[derive(Default)]
struct Expected {
    down: BTreeSet<usize>,
    outages: BTreeMap<usize, usize>,
    recoveries: BTreeMap<usize, usize>,
}

impl Expected {
    fn accept(&mut self, switch: usize, firing: bool) {
        let was = self.down.contains(&switch);
        match (was, firing) {
            (false, true) => {
                self.down.insert(switch);
                *self.outages.entry(switch).or_default() += 1;
            }
            (true, false) => {
                self.down.remove(&switch);
                *self.recoveries.entry(switch).or_default() += 1;
            }
            _ => {}
        }
    }

    /// The notices due: every contact of a switch hears of each outage and each recovery.
    fn notices(&self) -> usize {
        let events: usize = self.outages.values().chain(self.recoveries.values()).sum();
        events * CUSTOMERS_PER_SWITCH
    }

    /// Every vertex `GET /api/v1/impact` must list as down: the switches and their services.
    fn down_vertices(&self) -> BTreeSet<String> {
        self.down
            .iter()
            .flat_map(|i| {
                std::iter::once(format!("sw-{i}"))
                    .chain((0..CUSTOMERS_PER_SWITCH).map(move |j| format!("s{i}-{j}")))
            })
            .collect()
    }
}

/// The clauses of the contract that did not hold, gathered so that one run reports all of
/// them rather than stopping at the first.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, holds: bool, what: impl FnOnce() -> String) {
        if !holds {
            let what = what();
            eprintln!("ha: does not hold: {what}");
            self.0.push(what);
        }
    }
}

/// What `GET /healthz` says under the contract.
#[derive(Debug, Clone, Copy)]
struct Health {
    leader: bool,
    applied: i64,
}

/// `Ok(None)` when the instance answers something other than 200 (it may be unhealthy for a
/// moment); an error when it answers 200 without the contract's JSON, which will not change.
fn health(addr: &str) -> Result<Option<Health>, String> {
    let (status, body) = http(addr, "GET", "/healthz", "");
    if status != 200 {
        return Ok(None);
    }
    let v: Value = serde_json::from_str(&body)
        .map_err(|_| format!("/healthz answers {body:?}, not the JSON of spec/ha.md"))?;
    match (v["role"].as_str(), v["applied"].as_i64()) {
        (Some(role @ ("leader" | "follower")), Some(applied)) => Ok(Some(Health {
            leader: role == "leader",
            applied,
        })),
        _ => Err(format!("/healthz answers {body}: no role or applied")),
    }
}

/// The one number `sql` answers on `database`.
fn number(database: &str, sql: &str) -> i64 {
    let out = Command::new("psql")
        .args([database, "-tAc", sql])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{sql}: {text} {err}"))
}

/// The highest sequence number of the alert log.
fn last_alert(database: &str) -> i64 {
    number(database, "SELECT coalesce(max(id), 0) FROM alerts")
}

/// Notices waiting to be sent or claimed by a sender.
fn outbox_busy(database: &str) -> i64 {
    let sql = "SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')";
    number(database, sql)
}

fn stored_incidents(database: &str) -> Vec<IncidentRow> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = AnyStore::connect(database).await.unwrap();
        store.incidents(100_000).await.unwrap()
    })
}

fn down_of(addr: &str) -> BTreeSet<String> {
    let impact = json_of(&http(addr, "GET", "/api/v1/impact", "").1);
    impact["down"]
        .as_array()
        .unwrap_or_else(|| panic!("no down list: {impact}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Polls `holds` until it does or `within` has passed; whether it did.
fn eventually(within: Duration, mut holds: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if holds() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether the session `cookie` reads the staff API on `addr`, which refuses the same request
/// without it.
fn session_works(addr: &str, cookie: &str) -> bool {
    let browser = Browser {
        addr: addr.to_owned(),
        cookie: cookie.to_owned(),
    };
    let anonymous = http_as(addr, "GET", "/api/v1/impact", "", None).0;
    browser.get("/api/v1/impact").status == 200 && anonymous == 401
}

/// `(incident, kind)` of a kept message, from its `Message-ID: <incident-ID.KIND.ROW@…>`.
fn notice_of(message: &str) -> (String, String) {
    let id = message
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: <incident-"))
        .unwrap_or_else(|| panic!("no incident Message-ID:\n{message}"));
    let mut parts = id.split('.');
    let incident = parts.next().unwrap().to_owned();
    let kind = parts.next().unwrap().to_owned();
    (incident, kind)
}

/// At most `n` items of a list for a message, and how many more there are.
fn brief<T: std::fmt::Debug>(items: &[T]) -> String {
    const N: usize = 8;
    match items.len() > N {
        true => format!("{:?} and {} more", &items[..N], items.len() - N),
        false => format!("{items:?}"),
    }
}

/// Three instances of one configuration, of which one may be dead for a while.
struct Group {
    servers: Vec<Option<Running>>,
    config: PathBuf,
    database: String,
}

impl Group {
    fn addr(&self, i: usize) -> String {
        self.servers[i].as_ref().unwrap().addr.clone()
    }

    fn live(&self) -> Vec<usize> {
        (0..self.servers.len())
            .filter(|&i| self.servers[i].is_some())
            .collect()
    }

    /// The live instances that say they lead.
    fn leaders(&self) -> Result<Vec<usize>, String> {
        let mut found = Vec::new();
        for i in self.live() {
            if health(&self.addr(i))?.is_some_and(|h| h.leader) {
                found.push(i);
            }
        }
        Ok(found)
    }
}

/// What happened during the burst.
struct Burst {
    expected: Expected,
    victim: usize,
    killed_at: Instant,
    /// From the kill until one survivor said it leads, as far as seen during the burst.
    takeover: Option<Duration>,
    /// Notices delivered but not recorded as sent when the leader was killed: the most that
    /// may go out twice.
    in_flight: usize,
    /// Whether `/healthz` speaks the contract; when it does not, nothing waits on it.
    healthy: bool,
}

/// Sends the burst round-robin, killing the leader halfway and restarting it at three
/// quarters; an alert an instance does not accept goes on to the next.
fn send_burst(group: &mut Group, keeper: &Keeper, findings: &mut Findings) -> Burst {
    let plan = burst();
    let (kill_at, restart_at) = (plan.len() / 2, plan.len() * 3 / 4);
    let mut expected = Expected::default();
    let (mut refused, mut unaccepted, mut stale) = (Vec::new(), Vec::new(), Vec::new());
    let mut healthy = true;
    let mut killed = None;
    let mut takeover = None;
    let mut in_flight = 0;
    for (k, &(switch, firing)) in plan.iter().enumerate() {
        if k == kill_at {
            let victim = match group.leaders() {
                Ok(found) if found.len() == 1 => found[0],
                Ok(found) => {
                    findings.check(false, || format!("leaders before the kill: {found:?}"));
                    found.first().copied().unwrap_or(0)
                }
                Err(e) => {
                    findings.check(false, || e);
                    healthy = false;
                    0
                }
            };
            let mut dead = group.servers[victim].take().unwrap();
            dead.child.kill().unwrap();
            dead.child.wait().unwrap();
            let when = Instant::now();
            // Recorded first, delivered after: everything delivered but not recorded at the
            // kill is in the difference, which only grows as the survivors go on. The pause
            // lets the SMTP server finish messages whose last bytes left before the kill.
            let recorded = sent_recorded(&group.database) as usize;
            std::thread::sleep(Duration::from_millis(300));
            in_flight = keeper.messages().len().saturating_sub(recorded);
            killed = Some((victim, when));
        }
        if k == restart_at {
            let (victim, _) = killed.unwrap();
            group.servers[victim] = Some(start(&group.config));
        }
        if let (true, None, Some((_, when))) = (healthy, takeover, killed) {
            match group.leaders() {
                Ok(found) if found.len() == 1 => takeover = Some(when.elapsed()),
                Ok(_) => {}
                Err(e) => {
                    findings.check(false, || e);
                    healthy = false;
                }
            }
        }
        let body = alertmanager(
            if firing { "firing" } else { "resolved" },
            json!({"alertname": "SwitchDown", "instance": format!("sw-{switch}:9100")}),
            &format!("fp-sw-{switch}"),
        );
        let live = group.live();
        let accepted = (0..live.len())
            .map(|n| live[(k + n) % live.len()])
            .find(|&i| {
                let path = "/api/v1/alerts/alertmanager";
                let (status, reply) = http(&group.addr(i), "POST", path, &body);
                if status != 202 {
                    refused.push(format!("alert {k} on instance {i}: {status} {reply}"));
                }
                status == 202
            });
        let Some(by) = accepted else {
            unaccepted.push(k);
            continue;
        };
        expected.accept(switch, firing);
        // The instance that answered 202 already shows the alert.
        if down_of(&group.addr(by)).contains(&format!("sw-{switch}")) != firing {
            stale.push(format!("alert {k} (sw-{switch} firing={firing}) on {by}"));
        }
    }
    eprintln!(
        "ha: {} alerts, {} accepted, {} refusals on the way: {}",
        plan.len(),
        plan.len() - unaccepted.len(),
        refused.len(),
        brief(&refused)
    );
    findings.check(unaccepted.is_empty(), || {
        format!("alerts no live instance accepted: {}", brief(&unaccepted))
    });
    findings.check(stale.is_empty(), || {
        format!("impact after a 202 misses the alert: {}", brief(&stale))
    });
    let (victim, killed_at) = killed.unwrap();
    Burst {
        expected,
        victim,
        killed_at,
        takeover,
        in_flight,
        healthy,
    }
}

/// One leader, taken over within the contract's bound, and every instance at the log's end.
fn check_converged(group: &Group, burst: &mut Burst, findings: &mut Findings) {
    let mut seen = String::from("not waited for: /healthz does not speak the contract");
    let mut spoken = burst.healthy;
    let converged = spoken
        && eventually(TAKEOVER + SPREAD, || {
            let last = last_alert(&group.database);
            let all: Result<Vec<Option<Health>>, String> = group
                .live()
                .iter()
                .map(|&i| health(&group.addr(i)))
                .collect();
            seen = format!("log at {last}, /healthz {all:?}");
            let Ok(all) = all else {
                spoken = false;
                return true; // no use waiting for what it does not say
            };
            let leading = all.iter().flatten().filter(|h| h.leader).count();
            if leading == 1 && burst.takeover.is_none() {
                burst.takeover = Some(burst.killed_at.elapsed());
            }
            leading == 1 && all.iter().all(|h| h.is_some_and(|h| h.applied == last))
        });
    findings.check(converged && spoken, || {
        format!("one leader and the whole log applied everywhere: {seen}")
    });
    eprintln!(
        "ha: instance {} killed as leader; takeover after {:?}",
        burst.victim, burst.takeover
    );
    findings.check(burst.takeover.is_some_and(|t| t <= TAKEOVER), || {
        format!(
            "a leader within {TAKEOVER:?} of the kill: {:?}",
            burst.takeover
        )
    });
}

/// Every instance shows the impact of the alerts answered 202.
fn check_impact(group: &Group, expected: &Expected, findings: &mut Findings) {
    let want = expected.down_vertices();
    for i in group.live() {
        let mut got = BTreeSet::new();
        let same = eventually(SPREAD, || {
            got = down_of(&group.addr(i));
            got == want
        });
        findings.check(same, || {
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            format!(
                "instance {i}'s impact: down misses {} and has extra {}",
                brief(&missing),
                brief(&extra)
            )
        });
    }
}

/// One incident per outage, each with its switch's services, open where still down.
fn check_incidents(database: &str, expected: &Expected, findings: &mut Findings) {
    let mut per_switch: BTreeMap<usize, Vec<IncidentRow>> = BTreeMap::new();
    for row in stored_incidents(database) {
        let switch = match &row.roots[..] {
            [root] => root.strip_prefix("sw-").and_then(|n| n.parse().ok()),
            _ => None,
        };
        match switch {
            Some(s) => per_switch.entry(s).or_default().push(row),
            None => findings.check(false, || format!("an incident with roots {:?}", row.roots)),
        }
    }
    let (mut counts, mut open, mut services) = (Vec::new(), Vec::new(), Vec::new());
    for s in 0..SWITCHES {
        let rows = per_switch.get(&s).map_or(&[][..], |r| &r[..]);
        let outages = expected.outages.get(&s).copied().unwrap_or(0);
        if rows.len() != outages {
            counts.push(format!("sw-{s}: {} for {outages}", rows.len()));
        }
        let opened = rows.iter().filter(|r| r.resolved_ms.is_none()).count();
        let down = usize::from(expected.down.contains(&s));
        if opened != down {
            open.push(format!("sw-{s}: {opened} open, {down} down"));
        }
        let theirs: BTreeSet<String> = (0..CUSTOMERS_PER_SWITCH)
            .map(|j| format!("s{s}-{j}"))
            .collect();
        for r in rows {
            let got: BTreeSet<String> = r.services.iter().map(|x| x.service.clone()).collect();
            if got != theirs {
                services.push(format!("incident {} of sw-{s}: {got:?}", r.id));
            }
        }
    }
    findings.check(counts.is_empty(), || {
        format!("incidents per outage: {}", brief(&counts))
    });
    findings.check(open.is_empty(), || {
        format!("open incidents per switch down: {}", brief(&open))
    });
    findings.check(services.is_empty(), || {
        format!("incidents' services: {}", brief(&services))
    });
}

/// Waits until the outbox has nothing left to send and the SMTP server has `due` messages,
/// or has heard nothing new for a while with the outbox idle; returns what it kept.
fn await_mail(
    keeper: &Keeper,
    database: &str,
    due: usize,
    deadline: Instant,
    findings: &mut Findings,
) -> Vec<(String, String)> {
    let mut quiet = (keeper.messages().len(), Instant::now());
    loop {
        let got = keeper.messages().len();
        if got != quiet.0 {
            quiet = (got, Instant::now());
        }
        if outbox_busy(database) == 0 && (got >= due || quiet.1.elapsed() > QUIET) {
            return keeper.messages();
        }
        if Instant::now() > deadline {
            findings.check(false, || {
                format!("the outbox still had work {MAIL_AFTER_KILL:?} after the kill")
            });
            return keeper.messages();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Each contact got one "opened" per outage of its switch and one "resolved" per recovery,
/// each message once but for at most `in_flight` repeats.
fn check_mail(
    messages: &[(String, String)],
    expected: &Expected,
    in_flight: usize,
    findings: &mut Findings,
) {
    let mut incidents: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for (to, m) in messages {
        let (incident, kind) = notice_of(m);
        ids.insert(m.lines().find(|l| l.starts_with("Message-ID:")).unwrap());
        incidents
            .entry((to.clone(), kind))
            .or_default()
            .insert(incident);
    }
    let mut wrong = Vec::new();
    for i in 0..SWITCHES {
        for j in 0..CUSTOMERS_PER_SWITCH {
            for (kind, per_switch) in [
                ("opened", &expected.outages),
                ("resolved", &expected.recoveries),
            ] {
                let want = per_switch.get(&i).copied().unwrap_or(0);
                let got = incidents
                    .get(&(contact(i, j), kind.to_owned()))
                    .map_or(0, BTreeSet::len);
                if got != want {
                    wrong.push(format!("{} {kind} {got} of {want}", contact(i, j)));
                }
            }
        }
    }
    findings.check(wrong.is_empty(), || {
        format!("notices per contact and event: {}", brief(&wrong))
    });
    let duplicates = messages.len() - ids.len();
    eprintln!(
        "ha: {} messages for {} notices: {duplicates} duplicates, bound {in_flight} (delivered but not recorded at the kill)",
        messages.len(),
        expected.notices()
    );
    findings.check(duplicates <= in_flight, || {
        format!("{duplicates} notices went out twice, {in_flight} were in flight at the kill")
    });
}

#[test]
fn three_instances_survive_a_leader_kill_as_one_tocsin() {
    let Some(database) = fresh_postgres("ha") else {
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inventory.yaml"), inventory()).unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    // One configuration for all; no archive, whose writer lock is one instance's.
    let config = crate::crash::config(dir.path(), "tocsin.toml", &database, keeper.port);
    let mut group = Group {
        servers: (0..3).map(|_| Some(start(&config))).collect(),
        config,
        database,
    };
    let mut findings = Findings::default();

    let session = login(&group.addr(0), ADMIN, PASSWORD)
        .unwrap_or_else(|r| panic!("login: {} {}", r.status, r.body))
        .cookie;
    for i in 1..3 {
        findings.check(session_works(&group.addr(i), &session), || {
            format!("a session made on instance 0 works on instance {i}")
        });
    }

    let mut burst = send_burst(&mut group, &keeper, &mut findings);
    eprintln!("ha: burst sent after {:?}", started.elapsed());
    check_converged(&group, &mut burst, &mut findings);
    check_impact(&group, &burst.expected, &mut findings);
    check_incidents(&group.database, &burst.expected, &mut findings);
    let messages = await_mail(
        &keeper,
        &group.database,
        burst.expected.notices(),
        burst.killed_at + MAIL_AFTER_KILL,
        &mut findings,
    );
    check_mail(&messages, &burst.expected, burst.in_flight, &mut findings);
    // The session made on instance 0 before the kill works on all three now.
    for i in group.live() {
        findings.check(session_works(&group.addr(i), &session), || {
            format!("the session made before the kill works on instance {i} after it")
        });
    }
    eprintln!("ha: done after {:?}", started.elapsed());
    assert!(
        findings.0.is_empty(),
        "{} clauses of shared/spec/ha.md do not hold:\n- {}",
        findings.0.len(),
        findings.0.join("\n- ")
    );
}
