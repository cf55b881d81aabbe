//! Encrypted and authenticated delivery: STARTTLS with login, implicit TLS, and the failures
//! an operator must see (bad password, untrusted certificate) as retries with a reason.

use tocsin_model::inventory::Language;
use tocsin_notify::{compose, envelope, Mailer, NoticeKind, Outcome, Secret, SmtpConfig, Tls};

use crate::fixtures::{notice, sender};
use crate::peer::{certificate, Keeper};

fn options(tls: &str, cert: &std::path::Path, key: &std::path::Path) -> Vec<String> {
    vec![
        "--tls".to_owned(),
        tls.to_owned(),
        "--cert".to_owned(),
        cert.display().to_string(),
        "--key".to_owned(),
        key.display().to_string(),
        "--login".to_owned(),
        "tocsin:s3cret pass".to_owned(),
        "--pipelining".to_owned(),
    ]
}

fn config(port: u16, tls: Tls, ca: Option<&std::path::Path>, password: &str) -> SmtpConfig {
    let mut c = SmtpConfig::new("localhost", port);
    c.tls = tls;
    c.ca_file = ca.map(std::path::Path::to_path_buf);
    c.username = Some("tocsin".to_owned());
    c.password = Some(Secret::new(password));
    c.timeout = std::time::Duration::from_secs(10);
    c
}

async fn send_one(mailer: &Mailer) -> Outcome {
    let n = notice(NoticeKind::Resolved, Language::Fr);
    let e = envelope(&n, &sender()).unwrap();
    mailer.send(&e, &compose(&n, &sender()).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_and_login_deliver() {
    let Some((_dir, cert, key)) = certificate() else {
        return;
    };
    let Some(keeper) = Keeper::start_with(&options("starttls", &cert, &key)) else {
        return;
    };
    let mailer = Mailer::new(&config(
        keeper.port,
        Tls::StartTls,
        Some(&cert),
        "s3cret pass",
    ))
    .unwrap();
    assert_eq!(send_one(&mailer).await, Outcome::Delivered);
    assert_eq!(keeper.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_and_login_deliver() {
    let Some((_dir, cert, key)) = certificate() else {
        return;
    };
    let Some(keeper) = Keeper::start_with(&options("implicit", &cert, &key)) else {
        return;
    };
    let mailer = Mailer::new(&config(keeper.port, Tls::Tls, Some(&cert), "s3cret pass")).unwrap();
    assert_eq!(send_one(&mailer).await, Outcome::Delivered);
    assert_eq!(keeper.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_retry_that_names_the_login_and_not_the_password() {
    let Some((_dir, cert, key)) = certificate() else {
        return;
    };
    let Some(keeper) = Keeper::start_with(&options("starttls", &cert, &key)) else {
        return;
    };
    let mailer = Mailer::new(&config(
        keeper.port,
        Tls::StartTls,
        Some(&cert),
        "wrong horse",
    ))
    .unwrap();
    let outcome = send_one(&mailer).await;
    let Outcome::Retry { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("login as tocsin failed"), "{reason}");
    assert!(!reason.contains("wrong horse"), "{reason}");
    assert!(keeper.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_a_retry_and_nothing_is_sent() {
    let Some((_dir, cert, key)) = certificate() else {
        return;
    };
    let Some(keeper) = Keeper::start_with(&options("starttls", &cert, &key)) else {
        return;
    };
    let mailer = Mailer::new(&config(keeper.port, Tls::StartTls, None, "s3cret pass")).unwrap();
    let outcome = send_one(&mailer).await;
    let Outcome::Retry { reason } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(reason.contains("TLS"), "{reason}");
    assert!(keeper.messages().is_empty());
}
