//! A validated workflow definition: every state, role, guard and template it names exists.

use crate::domain::calendar::WorkingCalendar;
use crate::domain::ids::{RegionSlug, StateId, TransitionId};
use crate::domain::role::{Role, Side};
use crate::domain::text::Label;
use crate::workflow::guard::Guard;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Where a state sits in the health agreements' model. States are configurable; their stage is
/// what the engine reasons about (withdrawal, approval, the order of decisions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Draft,
    DescriptionReview,
    Economics,
    Hearing,
    SteeringGroup,
    Committee,
    /// From 2027: every one of the case's sundhedsråd gives its recommendation.
    Council,
    /// From 2027: the regionsråd decides on the councils' recommendations.
    RegionalCouncil,
    Implementation,
    FollowUp,
    Closed,
    Withdrawn,
    Rejected,
}

impl Stage {
    pub const ALL: [Stage; 13] = [
        Stage::Draft,
        Stage::DescriptionReview,
        Stage::Economics,
        Stage::Hearing,
        Stage::SteeringGroup,
        Stage::Committee,
        Stage::Council,
        Stage::RegionalCouncil,
        Stage::Implementation,
        Stage::FollowUp,
        Stage::Closed,
        Stage::Withdrawn,
        Stage::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::DescriptionReview => "description_review",
            Stage::Economics => "economics",
            Stage::Hearing => "hearing",
            Stage::SteeringGroup => "steering_group",
            Stage::Committee => "committee",
            Stage::Council => "council",
            Stage::RegionalCouncil => "regional_council",
            Stage::Implementation => "implementation",
            Stage::FollowUp => "follow_up",
            Stage::Closed => "closed",
            Stage::Withdrawn => "withdrawn",
            Stage::Rejected => "rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// A case in a terminal stage never moves again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Stage::Closed | Stage::Withdrawn | Stage::Rejected)
    }

    /// The committee or the regionsråd has approved the case (approval is final once reached).
    pub fn is_approved(self) -> bool {
        matches!(
            self,
            Stage::Implementation | Stage::FollowUp | Stage::Closed
        )
    }
}

/// A part of the case file that can be edited in a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Description,
    Economics,
}

impl Section {
    pub fn parse(raw: &str) -> Option<Section> {
        match raw {
            "description" => Some(Section::Description),
            "economics" => Some(Section::Economics),
            _ => None,
        }
    }
}

/// Who receives a notification.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Recipient {
    /// The case's own proposer.
    Proposer,
    /// Every holder of the role in the case's region.
    Role(Role),
    /// The contact address of the giving or receiving party.
    Party(Side),
    /// The contact address of one organisation (reminders to heard parties; not written in
    /// definition files).
    Organisation(i64),
}

impl Recipient {
    /// Parses `proposer`, `role:ROLE` or `party:giving|receiving`.
    ///
    /// # Errors
    /// When the text is none of those.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let unknown = || {
            format!(
                "unknown recipient `{raw}`; use `proposer`, `role:<role>` or `party:giving` / `party:receiving`"
            )
        };
        match raw.split_once(':') {
            None if raw == "proposer" => Ok(Recipient::Proposer),
            Some(("role", role)) => role
                .parse()
                .map(Recipient::Role)
                .map_err(|e| format!("recipient `{raw}`: {e}")),
            Some(("party", side)) => side.parse().map(Recipient::Party).map_err(|_| unknown()),
            _ => Err(unknown()),
        }
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::Proposer => f.write_str("proposer"),
            Recipient::Role(role) => write!(f, "role:{role}"),
            Recipient::Party(side) => write!(f, "party:{side}"),
            Recipient::Organisation(id) => write!(f, "organisation:{id}"),
        }
    }
}

/// One mail template to send to some recipients when a transition is taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotifyRule {
    pub template: String,
    pub to: Vec<Recipient>,
}

/// How many heard parties must answer before a hearing can close.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule", content = "count")]
pub enum Quorum {
    All,
    Majority,
    AtLeast(u32),
}

impl Quorum {
    /// The rule as stored with a hearing: `all`, `majority` or `at_least:N`.
    pub fn stored(self) -> String {
        match self {
            Quorum::All => "all".into(),
            Quorum::Majority => "majority".into(),
            Quorum::AtLeast(n) => format!("at_least:{n}"),
        }
    }

    /// Reads a stored rule; an unreadable one demands every answer.
    pub fn from_stored(raw: &str) -> Quorum {
        match raw {
            "majority" => Quorum::Majority,
            other => other
                .strip_prefix("at_least:")
                .and_then(|n| n.parse().ok())
                .map_or(Quorum::All, Quorum::AtLeast),
        }
    }
}

/// The hearing of affected parties, where a region holds one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HearingRule {
    /// Who is heard: `municipalities`, `general_practice`, `hospitals` or `body:<key>`.
    pub parties: Vec<String>,
    pub quorum: Quorum,
    /// Working days the parties have to answer.
    pub answer_days: u32,
}

/// The names a region gives its bodies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bodies {
    pub secretariat: String,
    pub steering_group: String,
    /// The political committee (SSU); only in a model with a committee stage (until 2026).
    pub committee: Option<String>,
    /// The regionsråd's name; only in a model with a regional-council stage (from 2027).
    pub regional_council: Option<String>,
    /// Further bodies, e.g. a patient-involvement committee that is heard.
    pub others: BTreeMap<String, String>,
}

impl Bodies {
    /// The region's own name for `body`; a council's name is its own, kept with the council.
    pub fn name_of(&self, body: crate::domain::body::Body) -> Option<&str> {
        use crate::domain::body::Body;
        match body {
            Body::Secretariat => Some(&self.secretariat),
            Body::SteeringGroup => Some(&self.steering_group),
            Body::Committee => self.committee.as_deref(),
            // Every region has its regionsråd, whether or not this version decides with it.
            Body::RegionalCouncil => {
                Some(self.regional_council.as_deref().unwrap_or("Regionsrådet"))
            }
            Body::Council(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct State {
    pub id: StateId,
    pub label: Label,
    pub stage: Stage,
    /// The role expected to act while a case is in this state; none for terminal states.
    pub actor: Option<Role>,
    pub editable: Vec<Section>,
    /// The sides that must sign off the economics before leaving (the `signoff_complete` guard).
    pub signoff: Vec<Side>,
    /// Working days a case may stay here before it is overdue.
    pub due_days: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub id: TransitionId,
    pub label: Label,
    pub from: Vec<StateId>,
    pub to: StateId,
    pub by: Vec<Role>,
    pub guards: Vec<Guard>,
    pub require_comment: bool,
    pub notify: Vec<NotifyRule>,
}

/// A validated workflow definition for one region and version.
#[derive(Clone, Debug, Serialize)]
pub struct Definition {
    /// The file it was loaded from, for messages.
    #[serde(skip)]
    pub file: String,
    pub key: String,
    pub version: u32,
    pub region: RegionSlug,
    pub name: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub case_prefix: String,
    pub initial: StateId,
    /// Years the economic assessment covers.
    pub agreement_years: u32,
    /// Per cent by which added costs and savings may differ and still count as balanced.
    pub fair_balance_percent: u32,
    pub bodies: Bodies,
    pub hearing: Option<HearingRule>,
    #[serde(skip)]
    pub calendar: WorkingCalendar,
    pub states: Vec<State>,
    pub transitions: Vec<Transition>,
    /// SHA-256 of the file's bytes: a stored version must never change under a case.
    pub content_hash: String,
    #[serde(skip)]
    pub source: String,
}

impl Definition {
    pub fn state(&self, id: &StateId) -> Option<&State> {
        self.states.iter().find(|s| &s.id == id)
    }

    pub fn state_by_str(&self, id: &str) -> Option<&State> {
        self.states.iter().find(|s| s.id.as_str() == id)
    }

    /// The transitions leaving `state`, in file order.
    pub fn transitions_from<'a>(
        &'a self,
        state: &StateId,
    ) -> impl Iterator<Item = &'a Transition> + use<'a> {
        let state = state.clone();
        self.transitions
            .iter()
            .filter(move |t| t.from.contains(&state))
    }

    pub fn is_in_force_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }
}

/// A problem in a definition file, with where it is and what to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct DefinitionError {
    pub file: String,
    pub line: usize,
    pub message: String,
}
