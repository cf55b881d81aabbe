//! SLA compensation in the browser: an outage recorded for last month earns ACME a credit; the
//! customer chooses an offer in the client area and a shift lead approves it in the console,
//! each through the forms a person uses.

use super::portal::log_in;
use super::*;
use crate::serve::add_account;

/// The month before `YYYY-MM`.
fn month_before(month: &str) -> String {
    let (y, m) = month.split_once('-').unwrap();
    let (y, m): (i32, u32) = (y.parse().unwrap(), m.parse().unwrap());
    if m == 1 {
        format!("{}-12", y - 1)
    } else {
        format!("{y}-{:02}", m - 1)
    }
}

/// The browser tests' inventory with ACME (in Czechia: 21 % VAT) and its VPS on a plan of
/// 99.9 %.
fn planned(dir: &Path) -> PathBuf {
    let config = setup(dir);
    let inventory = INVENTORY
        .replacen(
            "version: 1\n",
            "version: 1\nplans:\n  - {id: vps-m, name: VPS M, price: \"12.00\", currency: EUR, sla: 99.9, credits: tiered}\ncredit_policies:\n  - id: tiered\n    tiers:\n      - {below: 99.9, percent: 10}\n      - {below: 95.0, percent: 100}\n",
            1,
        )
        .replacen("{id: s-web, customer: acme,", "{id: s-web, customer: acme, plan: vps-m,", 1)
        .replacen("    name: ACME\n", "    name: ACME\n    country: CZ\n", 1);
    std::fs::write(dir.join("inventory.yaml"), inventory).unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}[sla]\nclaim_days = 60\n")).unwrap();
    config
}

async fn submit(b: &Browser, form: &str) {
    b.client()
        .find(Locator::Css(&format!(
            "form[action='{form}'] button[type=submit]"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[test]
fn browser_customer_chooses_compensation_and_a_shift_lead_approves_it() {
    with_browser("sla", |b| async move {
        let dir = tempfile::tempdir().unwrap();
        let config = planned(dir.path());
        add_account(&config, "it@acme.test", "customer", Some("acme"));
        add_account(&config, "lead@provider.test", "shift_lead", None);
        let server = start(&config);
        let addr = server.addr.as_str();
        let (_, now) = http(addr, "GET", "/api/v1/sla", "");
        let month = month_before(crate::serve::json_of(&now)["month"].as_str().unwrap());
        let outage = format!(
            r#"{{"down":["sw-a"],"start":"{month}-02T00:00:00Z","end":"{month}-04T00:00:00Z"}}"#
        );
        let (status, reply) = http(addr, "POST", "/api/v1/outages", &outage);
        assert_eq!(status, 201, "{reply}");
        crate::serve::wait_for(addr, "/api/v1/credits", "the credit", PAGE_WAIT, |b| {
            b.contains("s-web")
        });
        let (_, credits) = http(addr, "GET", "/api/v1/credits", "");
        let id = crate::serve::json_of(&credits)["credits"][0]["id"]
            .as_i64()
            .unwrap();

        // The customer sees the month, the credit and its outage, and chooses free days.
        log_in(&b, addr, "it@acme.test", "/account/sla", "/account/sla").await;
        let text = b.text().await;
        assert!(
            text.contains("12.00 EUR") && text.contains("14.52 EUR"),
            "{text}"
        );
        assert!(text.contains(&format!("{month}-02 00:00 UTC")), "{text}");
        assert!(text.contains("Waiting for your choice"), "{text}");
        b.screenshot("1-offered").await;
        b.client()
            .find(Locator::Css(&format!(
                "#credit-{id} input[value=extension]"
            )))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        submit(&b, &format!("/account/credits/{id}/choice")).await;
        let text = b
            .text_until("the saved choice", |t| {
                t.contains("Your choice is saved.") || t.contains("refused")
            })
            .await;
        assert!(text.contains("Your choice is saved."), "{text}");
        assert!(text.contains("Our staff will confirm it."), "{text}");
        b.screenshot("2-chosen").await;

        // The shift lead approves it in the console with a reason.
        b.client().delete_all_cookies().await.unwrap();
        let page = format!("/console/sla?month={month}");
        log_in(&b, addr, "lead@provider.test", &page, "/console/sla").await;
        let text = b.text().await;
        assert!(
            text.contains(&format!("Credit {id}: s-web (acme)")),
            "{text}"
        );
        b.client()
            .find(Locator::Id(&format!("approve-{id}")))
            .await
            .unwrap()
            .send_keys("two days down, confirmed")
            .await
            .unwrap();
        submit(&b, &format!("/console/credits/{id}/approve")).await;
        let text = b
            .text_until("the approval", |t| {
                t.contains("Credit approved") || t.contains("refused")
            })
            .await;
        assert!(text.contains("Credit approved"), "{text}");
        assert!(text.contains("No credit waits for approval."), "{text}");
        assert!(
            text.contains("lead@provider.test: two days down, confirmed"),
            "{text}"
        );
        b.screenshot("3-approved").await;
        b.close().await;
    });
}
