//! Who acts and what they may do. Staff roles follow seed 001: an admin runs the
//! installation, the shift lead owns crisis communication, engineers act on the
//! infrastructure, junior engineers read everything and take only limited actions. Customers
//! see their own services and incidents and nothing else. Every operation of the running
//! system takes the acting [`Principal`] and checks its [`Action`] here, whichever face
//! (console form, JSON API) it came through.

/// What an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads everything; notes, what-if.
    Junior,
    /// Also marks vertices down and up by hand.
    Engineer,
    /// Also speaks to customers: public updates, broadcasts, component statuses, maintenance.
    ShiftLead,
    /// Also reloads the inventory and manages accounts.
    Admin,
    /// A provider's customer: the client area only.
    Customer,
}

impl Role {
    /// Every role, staff by increasing rights, then customers.
    pub const ALL: [Role; 5] = [
        Role::Junior,
        Role::Engineer,
        Role::ShiftLead,
        Role::Admin,
        Role::Customer,
    ];

    /// As stored and typed: `junior`, `engineer`, `shift_lead`, `admin`, `customer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Junior => "junior",
            Role::Engineer => "engineer",
            Role::ShiftLead => "shift_lead",
            Role::Admin => "admin",
            Role::Customer => "customer",
        }
    }

    /// Parses a stored or typed role.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Staff, of any rank.
    pub fn is_staff(self) -> bool {
        self != Role::Customer
    }

    /// Whether this role may do `action`: the one place that says which rank each action
    /// needs.
    pub fn may(self, action: Action) -> bool {
        let least = match action {
            Action::View | Action::Note | Action::WhatIf | Action::OpenEnvelope => Role::Junior,
            Action::MarkVertex
            | Action::Upgrade
            | Action::DrillResult
            | Action::RecordOutage
            | Action::AnswerTicket
            | Action::WriteHelp
            | Action::Intervene => Role::Engineer,
            Action::PublicUpdate
            | Action::Broadcast
            | Action::ComponentStatus
            | Action::Maintenance
            | Action::PlanDrill
            | Action::DecideCredit
            | Action::AssignTicket
            | Action::CannedReplies => Role::ShiftLead,
            Action::Reload | Action::Accounts | Action::ManageShifts | Action::SealEnvelope => {
                Role::Admin
            }
            Action::OwnPreferences | Action::OwnCredits | Action::OwnTickets => {
                return self == Role::Customer
            }
        };
        self.is_staff() && self >= least
    }
}

/// What accounts do, each allowed from some rank up (see [`Role::may`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the console and the staff API.
    View,
    /// Write an internal note on an incident.
    Note,
    /// Ask what a failure would do.
    WhatIf,
    /// Mark a vertex down or up by hand.
    MarkVertex,
    /// Publish an update customers see.
    PublicUpdate,
    /// Mail every customer.
    Broadcast,
    /// Set a component's status by hand.
    ComponentStatus,
    /// Plan, move or cancel maintenance.
    Maintenance,
    /// Plan and run a rolling upgrade of a redundant group.
    Upgrade,
    /// Register an emergency drill and its schedule.
    PlanDrill,
    /// Record how a drill went.
    DrillResult,
    /// Re-read the inventory.
    Reload,
    /// Manage accounts.
    Accounts,
    /// Plan who is on duty and who leads.
    ManageShifts,
    /// A customer saves their own notice preferences.
    OwnPreferences,
    /// Record an outage monitoring missed, for SLA accounting.
    RecordOutage,
    /// Approve or reject an SLA credit.
    DecideCredit,
    /// A customer chooses the compensation of their own SLA credit.
    OwnCredits,
    /// A customer opens, answers, closes and rates their own support tickets.
    OwnTickets,
    /// Answer customers on a ticket, set its status, triage and merge tickets, open one for
    /// a customer.
    AnswerTicket,
    /// Assign a ticket to an engineer.
    AssignTicket,
    /// Write the canned replies staff reuse.
    CannedReplies,
    /// Write and change help centre articles.
    WriteHelp,
    /// Work on a customer's server under their authorisation: see the credentials, log the
    /// work, give new credentials, escalate a hardware fault (the assigned engineer only).
    Intervene,
    /// Seal a secret in an envelope.
    SealEnvelope,
    /// Open a sealed envelope, with a reason every admin is told.
    OpenEnvelope,
}

/// An authenticated account acting on the running system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account's login, written to the audit trail.
    pub login: String,
    /// What it may do.
    pub role: Role,
    /// The inventory customer, for customers.
    pub customer: Option<String>,
}

impl Principal {
    /// The running system acting on its own (a timer, an automatic approval), audited under
    /// `login`; it may do what an administrator may.
    pub fn automatic(login: impl Into<String>) -> Principal {
        Principal {
            login: login.into(),
            role: Role::Admin,
            customer: None,
        }
    }

    /// `Ok` when this account may do `action`, else a refusal saying which role it has.
    pub fn require(&self, action: Action) -> Result<(), crate::Refused> {
        if self.role.may(action) {
            Ok(())
        } else {
            Err(crate::Refused::Forbidden(format!(
                "the role {} may not do this ({action:?})",
                self.role.as_str()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grow_in_rights_and_customers_have_none_of_staff() {
        use Action::*;
        let all = [
            View,
            Note,
            WhatIf,
            MarkVertex,
            PublicUpdate,
            Broadcast,
            ComponentStatus,
            Maintenance,
            Upgrade,
            PlanDrill,
            DrillResult,
            Reload,
            Accounts,
            ManageShifts,
            RecordOutage,
            DecideCredit,
            AnswerTicket,
            AssignTicket,
            CannedReplies,
            WriteHelp,
            Intervene,
            SealEnvelope,
            OpenEnvelope,
        ];
        let allowed = |r: Role| all.iter().filter(|&&a| r.may(a)).count();
        assert_eq!(allowed(Role::Junior), 4);
        assert_eq!(allowed(Role::Engineer), 11);
        assert_eq!(allowed(Role::ShiftLead), 19);
        assert_eq!(allowed(Role::Admin), 23);
        assert_eq!(allowed(Role::Customer), 0);
        assert!(!Role::Engineer.may(PublicUpdate));
        assert!(!Role::Junior.may(MarkVertex));
        assert!(!Role::Junior.may(WriteHelp) && Role::Engineer.may(WriteHelp));
        assert!(!Role::Junior.may(Intervene) && Role::Engineer.may(Intervene));
        assert!(Role::Junior.may(OpenEnvelope) && !Role::ShiftLead.may(SealEnvelope));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(r.may(OwnPreferences), r == Role::Customer);
            assert_eq!(r.may(OwnCredits), r == Role::Customer);
            assert_eq!(r.may(OwnTickets), r == Role::Customer);
        }
    }
}
