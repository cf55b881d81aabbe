//! Accounts, sessions and API tokens; the audit trail; what customers set in the client
//! area; component statuses set by staff (maintenance windows are in `maintenance.rs`). The store keeps rows: it
//! never sees a password or a token, only their hashes.

use crate::Result;

/// Someone who logs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Dense id.
    pub id: i64,
    /// What they type to log in (an e-mail address for customers, usually).
    pub login: String,
    /// `admin`, `shift_lead`, `engineer`, `junior` or `customer`.
    pub role: String,
    /// The inventory customer id, for the role `customer`.
    pub customer: Option<String>,
    /// PHC string of the password hash (argon2id).
    pub password_hash: String,
    /// A disabled account cannot log in and its sessions and tokens stop working.
    pub disabled: bool,
    /// Where staff are mailed (the shift lead on duty, of an opened incident).
    pub email: Option<String>,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// Login.
    pub login: &'a str,
    /// Role.
    pub role: &'a str,
    /// Customer id for customers.
    pub customer: Option<&'a str>,
    /// PHC string.
    pub password_hash: &'a str,
    /// E-mail address, for staff.
    pub email: Option<&'a str>,
    /// When created.
    pub created_ms: i64,
}

/// A live browser session, found by its token's hash.
#[derive(Debug, Clone)]
pub struct Session {
    /// Whose.
    pub account: Account,
    /// The anti-forgery token its forms carry.
    pub csrf: String,
    /// When it stops being valid.
    pub expires_ms: i64,
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Order.
    pub id: i64,
    /// When.
    pub at_ms: i64,
    /// Login of who did it.
    pub actor: String,
    /// What, as a dotted verb: `vertex.down`, `incident.note`, `component.status`…
    pub action: String,
    /// On what: `vertex:sw-a`, `incident:3`, `customer:c1`…
    pub target: String,
    /// The reason or the text given.
    pub detail: String,
}

/// What a customer set in the client area. `Debug` never prints the webhook secret or the
/// feed token, so that neither can reach a log.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Preferences {
    /// Language of their notices (`cs`, `en`…); the inventory's when `None`.
    pub language: Option<String>,
    /// Addresses told of incidents; the inventory's contacts when empty.
    pub contacts: Vec<String>,
    /// Their own webhook, with its signing secret.
    pub webhook_url: Option<String>,
    /// The HMAC secret of that webhook.
    pub webhook_secret: Option<String>,
    /// The secret in their private Atom feed's URL.
    pub feed_token: String,
    /// When last changed.
    pub updated_ms: i64,
}

impl std::fmt::Debug for Preferences {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Whether a secret is set is useful when debugging; its value never is.
        let redacted = |s: Option<&str>| s.map(|_| "<redacted>");
        f.debug_struct("Preferences")
            .field("language", &self.language)
            .field("contacts", &self.contacts)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &redacted(self.webhook_secret.as_deref()))
            .field("feed_token", &"<redacted>")
            .field("updated_ms", &self.updated_ms)
            .finish()
    }
}

/// A component status set by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentStatus {
    /// Component id.
    pub component: String,
    /// `degraded_performance` or `under_maintenance`.
    pub status: String,
    /// Why, for staff.
    pub note: String,
    /// Who set it.
    pub set_by: String,
    /// When.
    pub set_ms: i64,
}

/// A member of staff on duty from `starts_ms` to `ends_ms` (ms since the epoch, end excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    /// Id (0 before it is stored).
    pub id: i64,
    /// Login of whom.
    pub login: String,
    /// Start.
    pub starts_ms: i64,
    /// End, after the start.
    pub ends_ms: i64,
    /// Whether they lead the shift: lead shifts never overlap.
    pub lead: bool,
    /// Who planned it.
    pub created_by: String,
    /// When it was planned.
    pub created_ms: i64,
}

/// A lead shift refused because it overlaps this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftOverlap {
    /// The lead shift already planned.
    pub existing: Shift,
}

/// Who is on duty at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OnDuty {
    /// Login of the shift lead.
    pub lead: Option<String>,
    /// The lead's e-mail address, when their account has one.
    pub lead_email: Option<String>,
    /// Everyone on duty, the lead included, by login.
    pub on_duty: Vec<String>,
}

/// Accounts and everything staff and customers set by hand.
#[allow(async_fn_in_trait)]
pub trait AccountStore {
    /// Creates an account; `None` when the login is taken.
    async fn create_account(&self, account: &NewAccount<'_>) -> Result<Option<i64>>;
    /// Replaces an account's password hash (and enables it); false when there is no such login.
    async fn set_password(&self, login: &str, password_hash: &str) -> Result<bool>;
    /// Enables or disables an account and, when disabling, ends its sessions and tokens.
    async fn set_disabled(&self, login: &str, disabled: bool) -> Result<bool>;
    /// The account with this login.
    async fn account_by_login(&self, login: &str) -> Result<Option<Account>>;
    /// Every account, by login.
    async fn accounts(&self) -> Result<Vec<Account>>;

    /// Records a session.
    async fn create_session(
        &self,
        token_hash: &str,
        account_id: i64,
        csrf: &str,
        created_ms: i64,
        expires_ms: i64,
    ) -> Result<()>;
    /// The session with this token hash, if it exists, has not expired at `now_ms` and its
    /// account is enabled.
    async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<Session>>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Forgets sessions expired before `now_ms`; returns how many.
    async fn purge_sessions(&self, now_ms: i64) -> Result<u64>;

    /// Records an API token.
    async fn create_token(
        &self,
        token_hash: &str,
        account_id: i64,
        name: &str,
        created_ms: i64,
    ) -> Result<()>;
    /// The enabled account owning the token with this hash.
    async fn token_account(&self, token_hash: &str) -> Result<Option<Account>>;

    /// Appends to the audit trail; returns the entry's id.
    async fn audit(
        &self,
        at_ms: i64,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<i64>;
    /// The newest `limit` entries, newest first; only those on `target` when given.
    async fn audit_log(&self, limit: i64, target: Option<&str>) -> Result<Vec<AuditEntry>>;

    /// A customer's preferences.
    async fn preferences(&self, customer: &str) -> Result<Option<Preferences>>;
    /// Every customer's preferences.
    async fn all_preferences(&self) -> Result<Vec<(String, Preferences)>>;
    /// Stores a customer's preferences (insert or replace).
    async fn set_preferences(&self, customer: &str, preferences: &Preferences) -> Result<()>;
    /// The customer whose private feed has this token.
    async fn customer_by_feed_token(&self, token: &str) -> Result<Option<String>>;

    /// Every component status set by hand.
    async fn component_statuses(&self) -> Result<Vec<ComponentStatus>>;
    /// Sets a component's status by hand, or clears it when `status` is `None`.
    async fn set_component_status(
        &self,
        component: &str,
        status: Option<&ComponentStatus>,
    ) -> Result<()>;

    /// Plans a shift (`id` is not read); returns its id, or the lead shift it overlaps when it
    /// is a lead shift overlapping another (then nothing is stored).
    async fn add_shift(&self, shift: &Shift) -> Result<std::result::Result<i64, ShiftOverlap>>;
    /// Shifts overlapping `from_ms`..`to_ms`, by start.
    async fn shifts(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Shift>>;
    /// Who is on duty at `at_ms`.
    async fn on_duty(&self, at_ms: i64) -> Result<OnDuty>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_debug_never_prints_the_secrets() {
        let p = Preferences {
            language: Some("cs".into()),
            contacts: vec!["ops@acme.example".into()],
            webhook_url: Some("https://hooks.acme.example/in".into()),
            webhook_secret: Some("hush-hush-0123456789".into()),
            feed_token: "feed-token-abcdef".into(),
            updated_ms: 7,
        };
        let printed = format!("{p:?}");
        assert!(
            printed.contains("https://hooks.acme.example/in"),
            "{printed}"
        );
        assert!(printed.contains("ops@acme.example"), "{printed}");
        assert!(
            printed.contains("webhook_secret: Some(\"<redacted>\")"),
            "{printed}"
        );
        assert!(!printed.contains("hush-hush"), "{printed}");
        assert!(!printed.contains("feed-token-abcdef"), "{printed}");
        let none = format!("{:?}", Preferences::default());
        assert!(none.contains("webhook_secret: None"), "{none}");
    }
}
