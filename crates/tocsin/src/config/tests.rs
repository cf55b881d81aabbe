//! The configuration read from files and the environment.

use super::*;

fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

const BASE: &str = "listen = \"127.0.0.1:8080\"\ndatabase = \"sqlite:///tmp/x.db\"\ninventory = \"inv.yaml\"\n[smtp]\nhost = \"127.0.0.1\"\nfrom = \"Status <s@example.net>\"\npassword = \"hunter2\"\n[notify]\nhold_down = \"90s\"\n";

#[test]
fn file_and_environment_combine() {
    let (dir, path) = write(BASE);
    let env = vec![
        ("TOCSIN_SMTP_PORT".to_owned(), "2525".to_owned()),
        ("TOCSIN_NOTIFY_HOLD_DOWN".to_owned(), "0s".to_owned()),
        ("TOCSIN_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
        ("PATH".to_owned(), "/bin".to_owned()),
    ];
    let c = Config::load(&path, env.into_iter()).unwrap();
    assert_eq!(c.listen.port(), 0);
    let smtp = c.smtp.as_ref().unwrap();
    assert_eq!(smtp.port, 2525);
    assert_eq!(smtp.tls, Tls::None);
    assert_eq!(c.notify.hold_down, Duration::ZERO);
    assert_eq!(c.notify.broadcast_per_second, 50);
    assert!(c.notify.staff.is_empty());
    assert!(!c.notify.allow_private_webhooks, "off unless asked for");
    assert_eq!(c.inventory, dir.path().join("inv.yaml"));
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn the_providers_time_zone_is_utc_unless_named_and_checked() {
    let (_d, path) = write(BASE);
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert_eq!(c.sla.time_zone.iana_name(), Some("UTC"));
    let (_d, path) = write(&format!("{BASE}[sla]\ntime_zone = \"Europe/Prague\"\n"));
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert_eq!(c.sla.time_zone.iana_name(), Some("Europe/Prague"));
    let env = vec![(
        "TOCSIN_SLA_TIME_ZONE".to_owned(),
        "Europe/Warsaw".to_owned(),
    )];
    let c = Config::load(&path, env.into_iter()).unwrap();
    assert_eq!(c.sla.time_zone.iana_name(), Some("Europe/Warsaw"));
    let env = vec![(
        "TOCSIN_SLA_TIME_ZONE".to_owned(),
        "Europe/Atlantis".to_owned(),
    )];
    let e = Config::load(&path, env.into_iter())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("time_zone") && e.contains("Europe/Atlantis"),
        "{e}"
    );
}

#[test]
fn runbooks_are_resolved_against_the_file_and_a_missing_directory_is_named() {
    let (dir, path) = write(BASE);
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert_eq!(c.runbooks, None, "optional");
    std::fs::create_dir(dir.path().join("books")).unwrap();
    let (_d, path) = write(&format!("runbooks = \"books\"\n{BASE}"));
    let e = Config::load(&path, std::iter::empty())
        .unwrap_err()
        .to_string();
    assert!(e.contains("runbooks") && e.contains("books"), "{e}");
    let path = dir.path().join("tocsin.toml");
    std::fs::write(&path, format!("runbooks = \"books\"\n{BASE}")).unwrap();
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert_eq!(c.runbooks, Some(dir.path().join("books")));
    let env = vec![("TOCSIN_RUNBOOKS".to_owned(), "elsewhere".to_owned())];
    let e = Config::load(&path, env.into_iter())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("elsewhere") && e.contains("not a directory"),
        "{e}"
    );
}

#[test]
fn trusted_proxies_from_file_and_environment_and_named_when_wrong() {
    let (_d, path) = write(&format!(
        "trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n{BASE}"
    ));
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert!(c.trusted_proxies.contains("10.2.3.4".parse().unwrap()));
    let env = vec![(
        "TOCSIN_TRUSTED_PROXIES".to_owned(),
        "::1, 192.168.0.0/16".to_owned(),
    )];
    let c = Config::load(&path, env.into_iter()).unwrap();
    assert!(c.trusted_proxies.contains("192.168.7.7".parse().unwrap()));
    assert!(!c.trusted_proxies.contains("10.2.3.4".parse().unwrap()));
    let (_d, path) = write(&format!("trusted_proxies = [\"proxy.lan\"]\n{BASE}"));
    let e = format!("{:#}", Config::load(&path, std::iter::empty()).unwrap_err());
    assert!(e.contains("trusted_proxies[0]: `proxy.lan`"), "{e}");
}

#[test]
fn staff_and_broadcast_rate_from_file_and_environment() {
    let text = format!("{BASE}broadcast_per_second = 5\nstaff = [\"noc@provider.example\"]\n");
    let (_d, path) = write(&text);
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert_eq!(c.notify.broadcast_per_second, 5);
    assert_eq!(c.notify.staff, ["noc@provider.example"]);
    let env = vec![
        (
            "TOCSIN_NOTIFY_STAFF".to_owned(),
            "a@provider.example, b@provider.example".to_owned(),
        ),
        (
            "TOCSIN_NOTIFY_BROADCAST_PER_SECOND".to_owned(),
            "200".to_owned(),
        ),
    ];
    let c = Config::load(&path, env.into_iter()).unwrap();
    assert_eq!(c.notify.staff, ["a@provider.example", "b@provider.example"]);
    assert_eq!(c.notify.broadcast_per_second, 200);
    let env = vec![(
        "TOCSIN_NOTIFY_STAFF".to_owned(),
        "[\"x@y.example\"]".to_owned(),
    )];
    let c = Config::load(&path, env.into_iter()).unwrap();
    assert_eq!(c.notify.staff, ["x@y.example"]);
    let env = vec![("TOCSIN_NOTIFY_STAFF".to_owned(), "nobody".to_owned())];
    let err = Config::load(&path, env.into_iter())
        .unwrap_err()
        .to_string();
    assert!(err.contains("`nobody` is not an e-mail address"), "{err}");
}

#[test]
fn private_webhooks_from_file_and_environment() {
    let (_d, path) = write(&format!("{BASE}allow_private_webhooks = true\n"));
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert!(c.notify.allow_private_webhooks);
    let (_d, path) = write(BASE);
    let env = vec![(
        "TOCSIN_NOTIFY_ALLOW_PRIVATE_WEBHOOKS".to_owned(),
        "true".to_owned(),
    )];
    let c = Config::load(&path, env.into_iter()).unwrap();
    assert!(c.notify.allow_private_webhooks);
    let env = vec![(
        "TOCSIN_NOTIFY_ALLOW_PRIVATE_WEBHOOKS".to_owned(),
        "yes".to_owned(),
    )];
    let err = Config::load(&path, env.into_iter())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("allow_private_webhooks") || err.contains("bool"),
        "{err}"
    );
}

#[test]
fn alert_tokens_from_file_and_environment_are_never_printed() {
    let token = "alert-token-0123456789";
    let (_d, path) = write(&format!("{BASE}[alerts]\ntokens = [\"{token}\"]\n"));
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert_eq!(c.alerts.tokens.len(), 1);
    assert!(!format!("{c:?}").contains(token), "{c:?}");
    // A token of digits stays a token; commas separate several.
    let digits = "1234567890123456789";
    let env = vec![(
        "TOCSIN_ALERTS_TOKENS".to_owned(),
        format!("{token}, {digits}"),
    )];
    let c = Config::load(&path, env.into_iter()).unwrap();
    assert_eq!(c.alerts.tokens.len(), 2);
    let env = vec![("TOCSIN_ALERTS_TOKENS".to_owned(), digits.to_owned())];
    assert_eq!(
        Config::load(&path, env.into_iter())
            .unwrap()
            .alerts
            .tokens
            .len(),
        1
    );
    // `[]` opens the endpoints on purpose; no `[alerts]` leaves them open too.
    let env = vec![("TOCSIN_ALERTS_TOKENS".to_owned(), "[]".to_owned())];
    assert!(Config::load(&path, env.into_iter())
        .unwrap()
        .alerts
        .tokens
        .is_empty());
    let (_d, path) = write(BASE);
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert!(c.alerts.tokens.is_empty());
    let env = vec![("TOCSIN_ALERTS_TOKENS".to_owned(), token.to_owned())];
    assert_eq!(
        Config::load(&path, env.into_iter())
            .unwrap()
            .alerts
            .tokens
            .len(),
        1
    );
}

#[test]
fn bad_alert_tokens_are_named_by_position_and_not_shown() {
    let err = |text: String, env: Vec<(String, String)>| {
        let (_d, path) = write(&text);
        format!("{:#}", Config::load(&path, env.into_iter()).unwrap_err())
    };
    let good = "alert-token-0123456789";
    let e = err(
        format!("{BASE}[alerts]\ntokens = [\"{good}\", \"\"]\n"),
        vec![],
    );
    assert!(e.contains("[alerts] tokens[1] is empty"), "{e}");
    let e = err(
        format!("{BASE}[alerts]\ntokens = [\"tiny-secret\"]\n"),
        vec![],
    );
    assert!(
        e.contains("[alerts] tokens[0] has 11 characters; an alert token needs at least 16"),
        "{e}"
    );
    assert!(!e.contains("tiny-secret"), "{e}");
    let e = err(format!("{BASE}[alerts]\ntokens = [\"{good} x\"]\n"), vec![]);
    assert!(e.contains("[alerts] tokens[0] holds a space"), "{e}");
    assert!(!e.contains(good), "{e}");
    // A variable left empty is a mistake, not "no tokens".
    let env = vec![("TOCSIN_ALERTS_TOKENS".to_owned(), String::new())];
    let e = err(format!("{BASE}[alerts]\ntokens = [\"{good}\"]\n"), env);
    assert!(e.contains("[alerts] tokens[0] is empty"), "{e}");
    let e = err(format!("{BASE}[alerts]\ntoken = \"{good}\"\n"), vec![]);
    assert!(e.contains("token"), "{e}");
}

#[test]
fn listen_public_from_file_and_environment() {
    let (_d, path) = write(BASE);
    assert_eq!(
        Config::load(&path, std::iter::empty())
            .unwrap()
            .listen_public,
        None
    );
    let (_d, path) = write(&format!("listen_public = \"0.0.0.0:8443\"\n{BASE}"));
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert_eq!(c.listen_public, Some("0.0.0.0:8443".parse().unwrap()));
    let env = vec![(
        "TOCSIN_LISTEN_PUBLIC".to_owned(),
        "127.0.0.1:9443".to_owned(),
    )];
    let c = Config::load(&path, env.into_iter()).unwrap();
    assert_eq!(c.listen_public, Some("127.0.0.1:9443".parse().unwrap()));
    let env = vec![("TOCSIN_LISTEN_PUBLIC".to_owned(), "status".to_owned())];
    let e = format!("{:#}", Config::load(&path, env.into_iter()).unwrap_err());
    assert!(e.contains("listen_public"), "{e}");
}

#[test]
fn unknown_keys_and_bad_values_are_errors() {
    let (_d, path) = write(&format!("{BASE}colour = \"red\"\n"));
    let err = Config::load(&path, std::iter::empty())
        .unwrap_err()
        .to_string();
    assert!(err.contains("colour"), "{err}");
    let (_d, path) = write(&BASE.replace("90s", "soon"));
    let err = Config::load(&path, std::iter::empty())
        .unwrap_err()
        .to_string();
    assert!(err.contains("`soon` is not a duration"), "{err}");
}

const DESK: &str = "[desk]\naddress = \"support@example.net\"\ninbound = \"127.0.0.1:2525\"\nkey_file = \"desk.key\"\n[desk.calendars.office]\ntime_zone = \"Europe/Prague\"\nmon = [\"08:00-12:00\", \"13:00-17:00\"]\nfri = [\"08:00-12:00\"]\nholidays = [\"2026-12-24\"]\n[[desk.tiers]]\nid = \"business\"\ncalendar = \"office\"\nfirst_response = \"30m\"\nnext_response = \"4h\"\nresolution = \"2d\"\n[[desk.tiers]]\nid = \"premium\"\ncalendar = \"24x7\"\nfirst_response = \"10m\"\nnext_response = \"1h\"\nresolution = \"8h\"\nreplacement = \"2h\"\n";

#[test]
fn the_desk_reads_the_specs_calendars_and_tiers() {
    let (_d, path) = write(&format!("{BASE}{DESK}"));
    let c = Config::load(&path, std::iter::empty()).unwrap();
    let tiers = c.desk.tiers().unwrap();
    let ids: Vec<&str> = tiers.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["business", "premium"]);
    let business = &tiers[0].1;
    // "2d" is 48 hours of counted time.
    assert_eq!(business.resolution_ms, 48 * 3_600_000);
    assert_eq!(business.first_response_ms, 30 * 60_000);
    // Monday 2026-12-07 11:45 Prague + 30 min waits over lunch.
    let monday = "2026-12-07T10:45:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let due = business.calendar.add(monday, 30 * 60_000);
    assert_eq!(
        jiff::Timestamp::from_millisecond(due).unwrap().to_string(),
        "2026-12-07T12:15:00Z"
    );
    assert_eq!(
        tiers[1].1.calendar,
        tocsin_model::calendar::Calendar::Always
    );
    // A hardware replacement target where the tier names one, 4 h where it does not.
    let policy = c.desk.policy().unwrap();
    assert_eq!(policy.replacement_ms("premium"), 2 * 3_600_000);
    assert_eq!(policy.replacement_ms("business"), 4 * 3_600_000);
}

#[test]
fn desk_mistakes_are_named() {
    for (change, what) in [
        (
            ("calendar = \"office\"", "calendar = \"night\""),
            "calendar `night`",
        ),
        (("\"13:00-17:00\"", "\"13:00-12:00\""), "13:00-12:00"),
        (("\"2026-12-24\"", "\"2026-12-32\""), "2026-12-32"),
        (("id = \"premium\"", "id = \"business\""), "used twice"),
        (("support@example.net", "support"), "[desk] address"),
        (
            ("resolution = \"2d\"", "resolution = \"soon\""),
            "resolution",
        ),
    ] {
        let text = format!("{BASE}{}", DESK.replacen(change.0, change.1, 1));
        let (_d, path) = write(&text);
        let e = format!("{:#}", Config::load(&path, std::iter::empty()).unwrap_err());
        assert!(e.contains(what), "{what}: {e}");
    }
}

/// Writes a self-signed certificate and its key (`NAME.pem`, `NAME.key`) into `dir` with the
/// openssl tool; false (after saying so) when there is none outside CI.
fn openssl_pair(dir: &Path, name: &str) -> bool {
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=desk.example.net"])
        .arg("-keyout")
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(dir.join(format!("{name}.pem")))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        assert!(
            std::env::var_os("CI").is_none(),
            "the openssl tool is missing"
        );
        eprintln!("SKIPPED: no openssl tool to make a test certificate");
    }
    made
}

fn desk_with(keys: &str) -> String {
    format!(
        "{BASE}{}",
        DESK.replacen(
            "key_file = \"desk.key\"\n",
            &format!("key_file = \"desk.key\"\n{keys}"),
            1
        )
    )
}

#[test]
fn the_inbound_listener_greets_as_the_desks_domain_without_tls_by_default() {
    let (_d, path) = write(&desk_with(""));
    let c = Config::load(&path, std::iter::empty()).unwrap();
    let (at, inbound) = c.desk.inbound_listener().unwrap().unwrap();
    assert_eq!(at, "127.0.0.1:2525".parse().unwrap());
    assert_eq!(inbound.address, "support@example.net");
    assert_eq!(inbound.hostname, "example.net");
    assert_eq!(inbound.max_size, desk::DEFAULT_INBOUND_MAX_SIZE);
    assert!(inbound.tls.is_none());
    let (_d, path) = write(&desk_with(
        "inbound_hostname = \"mx1.example.net\"\ninbound_max_size = 1048576\n",
    ));
    let (_, inbound) = Config::load(&path, std::iter::empty())
        .unwrap()
        .desk
        .inbound_listener()
        .unwrap()
        .unwrap();
    assert_eq!(inbound.hostname, "mx1.example.net");
    assert_eq!(inbound.max_size, 1_048_576);
}

#[test]
fn the_inbound_certificate_and_key_beside_the_file_make_starttls() {
    let (dir, path) = write(&desk_with(
        "inbound_certificate = \"tls/desk.pem\"\ninbound_key = \"tls/desk.key\"\n",
    ));
    std::fs::create_dir(dir.path().join("tls")).unwrap();
    if !openssl_pair(&dir.path().join("tls"), "desk") {
        return;
    }
    let c = Config::load(&path, std::iter::empty()).unwrap();
    assert_eq!(
        c.desk.inbound_certificate.as_deref(),
        Some(dir.path().join("tls/desk.pem").as_path())
    );
    let (_, inbound) = c.desk.inbound_listener().unwrap().unwrap();
    assert!(inbound.tls.is_some());
}

#[test]
fn inbound_certificate_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    if !openssl_pair(dir.path(), "one") || !openssl_pair(dir.path(), "two") {
        return;
    }
    std::fs::write(dir.path().join("junk.pem"), "not a certificate\n").unwrap();
    let at = |f: &str| dir.path().join(f).display().to_string();
    for (keys, what) in [
        (
            format!("inbound_certificate = \"{}\"\n", at("one.pem")),
            "[desk] inbound_certificate is set without inbound_key".to_owned(),
        ),
        (
            format!("inbound_key = \"{}\"\n", at("one.key")),
            "[desk] inbound_key is set without inbound_certificate".to_owned(),
        ),
        (
            format!(
                "inbound_certificate = \"{}\"\ninbound_key = \"{}\"\n",
                at("junk.pem"),
                at("one.key")
            ),
            format!(
                "[desk] inbound_certificate `{}`: no certificate",
                at("junk.pem")
            ),
        ),
        (
            format!(
                "inbound_certificate = \"{}\"\ninbound_key = \"{}\"\n",
                at("one.pem"),
                at("one.pem")
            ),
            format!("[desk] inbound_key `{}`", at("one.pem")),
        ),
        (
            format!(
                "inbound_certificate = \"{}\"\ninbound_key = \"{}\"\n",
                at("one.pem"),
                at("two.key")
            ),
            "do not make a TLS identity".to_owned(),
        ),
        (
            format!(
                "inbound_certificate = \"{}\"\ninbound_key = \"{}\"\n",
                at("one.pem"),
                at("missing.key")
            ),
            format!("[desk] inbound_key `{}`", at("missing.key")),
        ),
        (
            "inbound_max_size = 10\n".to_owned(),
            "[desk] inbound_max_size".to_owned(),
        ),
    ] {
        let (_d, path) = write(&desk_with(&keys));
        let e = format!("{:#}", Config::load(&path, std::iter::empty()).unwrap_err());
        assert!(e.contains(&what), "{what}: {e}");
    }
    // A certificate with no listener to use it is a mistake too.
    let text = format!(
        "{BASE}[desk]\naddress = \"support@example.net\"\ninbound_certificate = \"{}\"\ninbound_key = \"{}\"\n",
        at("one.pem"),
        at("one.key")
    );
    let (_d, path) = write(&text);
    let e = format!("{:#}", Config::load(&path, std::iter::empty()).unwrap_err());
    assert!(e.contains("[desk] inbound is not"), "{e}");
}
