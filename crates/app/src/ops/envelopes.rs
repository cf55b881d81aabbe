//! Sealed envelopes (`shared/spec/desk.md`, seed 001: the social networks' passwords in an
//! envelope a support engineer may open in an emergency). An admin seals a secret; any staff
//! member may open it with a reason, which is recorded and mailed to every admin in the same
//! transaction before the secret is answered; the listing names envelopes and openings only.

use serde::{Deserialize, Serialize};
use tocsin_model::inventory::Language;
use tocsin_model::time::rfc3339;
use tocsin_notify::{Notice, NoticeKind};
use tocsin_store::{
    AccountStore, Envelope, EnvelopeOpening, InterventionStore, NewNotice, OutboxRow,
};
use zeroize::Zeroizing;

use super::tickets::credentials::{bound_to, keyring, seal_ref};
use crate::{Action, Principal, Refused, System};

/// The outbox kind of an envelope's opening, followed by the opening's time and envelope.
pub const ENVELOPE_KIND_PREFIX: &str = "envelope-opened.";
const TABLE: &str = "envelopes";
/// The longest name, secret and reason.
const MAX_NAME: usize = 200;
const MAX_SECRET: usize = 64 * 1024;
const MAX_REASON: usize = 2_000;

/// An envelope as listed: never its secret.
#[derive(Debug, Clone, Serialize)]
pub struct EnvelopeView {
    /// Number.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The admin who sealed it last.
    pub sealed_by: String,
    /// When.
    pub sealed: String,
    /// Who opened it, when and why, newest first.
    pub openings: Vec<OpeningView>,
}

/// One opening.
#[derive(Debug, Clone, Serialize)]
pub struct OpeningView {
    /// Staff login.
    pub opened_by: String,
    /// The reason given.
    pub reason: String,
    /// When.
    pub at: String,
}

/// What the outbox keeps of an opening to write its mail; never the secret.
#[derive(Serialize, Deserialize)]
struct OpeningPayload {
    envelope: i64,
    name: String,
    opened_by: String,
    reason: String,
    at_ms: i64,
}

fn view(e: &Envelope, openings: &[EnvelopeOpening]) -> EnvelopeView {
    EnvelopeView {
        id: e.id,
        name: e.name.clone(),
        sealed_by: e.sealed_by.clone(),
        sealed: rfc3339(e.sealed_ms),
        openings: openings
            .iter()
            .map(|o| OpeningView {
                opened_by: o.opened_by.clone(),
                reason: o.reason.clone(),
                at: rfc3339(o.at_ms),
            })
            .collect(),
    }
}

fn secret_checked(secret: &str) -> Result<(), Refused> {
    if secret.trim().is_empty() {
        return Err(Refused::invalid("secret", "secret is empty"));
    }
    if secret.len() > MAX_SECRET {
        return Err(Refused::invalid(
            "secret",
            format!("secret is longer than {MAX_SECRET} bytes"),
        ));
    }
    Ok(())
}

impl System {
    /// Every envelope with its openings — `GET /api/v1/envelopes` (any staff).
    pub async fn envelopes(&self, who: &Principal) -> Result<Vec<EnvelopeView>, Refused> {
        who.require(Action::View)?;
        Ok(self
            .store
            .envelopes()
            .await?
            .iter()
            .map(|(e, o)| view(e, o))
            .collect())
    }

    /// Seals `secret` in a new envelope `name` — `POST /api/v1/envelopes` (admin).
    pub async fn seal_envelope(
        &self,
        who: &Principal,
        name: &str,
        secret: &Zeroizing<String>,
    ) -> Result<EnvelopeView, Refused> {
        who.require(Action::SealEnvelope)?;
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(Refused::invalid(
                "name",
                format!("name must be 1 to {MAX_NAME} bytes"),
            ));
        }
        secret_checked(secret)?;
        let ring = keyring(self.vault.as_ref())?;
        let reference = seal_ref()?;
        let sealed = ring
            .seal(secret.as_bytes(), &bound_to(TABLE, &reference, "secret"))
            .map_err(|e| Refused::Unavailable(format!("the secret was not sealed: {e}")))?;
        let envelope = Envelope {
            id: 0,
            name: name.to_owned(),
            seal_ref: reference,
            secret: sealed,
            sealed_by: who.login.clone(),
            sealed_ms: self.clock.now_ms(),
        };
        let id = self.store.seal_envelope(&envelope).await?.ok_or_else(|| {
            Refused::Conflict(format!("an envelope named `{name}` exists already"))
        })?;
        self.audit(who, "envelope.seal", &format!("E-{id}"), name)
            .await;
        Ok(view(&Envelope { id, ..envelope }, &[]))
    }

    /// Replaces the secret of envelope `id` (a changed password) — `POST
    /// /api/v1/envelopes/{id}/reseal` (admin); its openings stay listed.
    pub async fn reseal_envelope(
        &self,
        who: &Principal,
        id: i64,
        secret: &Zeroizing<String>,
    ) -> Result<EnvelopeView, Refused> {
        who.require(Action::SealEnvelope)?;
        secret_checked(secret)?;
        let ring = keyring(self.vault.as_ref())?;
        let all = self.store.envelopes().await?;
        let Some((old, openings)) = all.into_iter().find(|(e, _)| e.id == id) else {
            return Err(Refused::NotFound(format!("no envelope E-{id}")));
        };
        let reference = seal_ref()?;
        let sealed = ring
            .seal(secret.as_bytes(), &bound_to(TABLE, &reference, "secret"))
            .map_err(|e| Refused::Unavailable(format!("the secret was not sealed: {e}")))?;
        let envelope = Envelope {
            seal_ref: reference,
            secret: sealed,
            sealed_by: who.login.clone(),
            sealed_ms: self.clock.now_ms(),
            ..old
        };
        self.store
            .seal_envelope(&envelope)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("no envelope E-{id}")))?;
        self.audit(who, "envelope.reseal", &format!("E-{id}"), &envelope.name)
            .await;
        Ok(view(&envelope, &openings))
    }

    /// Opens envelope `id` for `reason` — `POST /api/v1/envelopes/{id}/open` (any staff):
    /// the opening and a mail to every admin are stored before the secret is answered.
    pub async fn open_envelope(
        &self,
        who: &Principal,
        id: i64,
        reason: &str,
    ) -> Result<Zeroizing<String>, Refused> {
        who.require(Action::OpenEnvelope)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Refused::invalid(
                "reason",
                "reason is required: every admin is told why",
            ));
        }
        if reason.len() > MAX_REASON {
            return Err(Refused::invalid(
                "reason",
                format!("reason is longer than {MAX_REASON} bytes"),
            ));
        }
        let ring = keyring(self.vault.as_ref())?;
        let names = self.store.envelopes().await?;
        let Some((listed, _)) = names.iter().find(|(e, _)| e.id == id) else {
            return Err(Refused::NotFound(format!("no envelope E-{id}")));
        };
        let now = self.clock.now_ms();
        let payload = OpeningPayload {
            envelope: id,
            name: listed.name.clone(),
            opened_by: who.login.clone(),
            reason: reason.to_owned(),
            at_ms: now,
        };
        let payload = serde_json::to_string(&payload)
            .map_err(|e| Refused::Unavailable(format!("the opening was not written: {e}")))?;
        let mut admins: Vec<String> = self
            .store
            .accounts()
            .await?
            .into_iter()
            .filter(|a| a.role == "admin" && !a.disabled)
            .filter_map(|a| a.email)
            .collect();
        admins.sort();
        admins.dedup();
        if admins.is_empty() {
            tracing::warn!(
                envelope = id,
                "an envelope was opened and no admin has an e-mail address to tell"
            );
        }
        let notices: Vec<NewNotice> = admins
            .into_iter()
            .map(|to| NewNotice {
                incident_id: 0,
                customer: String::new(),
                contact: to,
                language: Language::default().code().to_owned(),
                kind: format!("{ENVELOPE_KIND_PREFIX}{id}.{now}"),
                payload: payload.clone(),
                created_ms: now,
            })
            .collect();
        let opening = EnvelopeOpening {
            id: 0,
            envelope: id,
            opened_by: who.login.clone(),
            reason: reason.to_owned(),
            at_ms: now,
        };
        let Some(envelope) = self.store.open_envelope(&opening, &notices).await? else {
            return Err(Refused::NotFound(format!("no envelope E-{id}")));
        };
        self.wake_outbox();
        self.audit(who, "envelope.open", &format!("E-{id}"), reason)
            .await;
        let clear = ring
            .open(
                &envelope.secret,
                &bound_to(TABLE, &envelope.seal_ref, "secret"),
            )
            .map_err(|e| {
                tracing::error!(envelope = id, error = %e, "a sealed envelope did not open");
                Refused::Unavailable(format!("the envelope did not open: {e}"))
            })?;
        let text = std::str::from_utf8(&clear)
            .map_err(|_| Refused::Unavailable("the envelope's secret is not text".to_owned()))?;
        let mut out = Zeroizing::new(String::with_capacity(text.len()));
        out.push_str(text);
        Ok(out)
    }
}

/// The mail of an envelope's opening queued in the outbox.
pub fn envelope_notice(row: &OutboxRow, public_url: &str) -> Result<Notice, String> {
    let p: OpeningPayload = serde_json::from_str(&row.notice.payload)
        .map_err(|e| format!("outbox row {}: unreadable payload: {e}", row.id))?;
    Ok(Notice {
        kind: NoticeKind::EnvelopeOpened,
        incident_id: p.envelope.max(0) as u64,
        incident_title: p.name,
        customer_name: p.opened_by,
        to: row.notice.contact.clone(),
        language: Language::from_code(&row.notice.language).unwrap_or_default(),
        services: Vec::new(),
        public_url: public_url.to_owned(),
        date: p.at_ms.div_euclid(1000),
        outbox_id: row.id.max(0) as u64,
        body: p.reason,
        at_risk: 0,
        window: None,
        credit: None,
        ticket: None,
    })
}
