//! What the engine hands out about a case: views, never entities.

use crate::domain::description::ProfessionalDescription;
use crate::domain::economics::EconomicsLine;
use crate::domain::role::Side;
use crate::domain::text::Label;
use crate::storage::journal::ChainVerification;
use crate::workflow::Stage;
use crate::workflow::guard::GuardFailure;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Whether a task moves between sectors or is a new task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Transfer,
    NewTask,
}

impl CaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::Transfer => "transfer",
            CaseKind::NewTask => "new_task",
        }
    }

    pub fn parse(raw: &str) -> Option<CaseKind> {
        match raw {
            "transfer" => Some(CaseKind::Transfer),
            "new_task" => Some(CaseKind::NewTask),
            _ => None,
        }
    }

    pub fn label(self) -> Label {
        match self {
            CaseKind::Transfer => Label::new("Opgaveoverdragelse", "Task transfer"),
            CaseKind::NewTask => Label::new("Ny opgave", "New task"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PartyRef {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserRef {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DescriptionView {
    pub revision: i32,
    pub author: UserRef,
    pub revised_at: DateTime<Utc>,
    pub content: ProfessionalDescription,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SignoffView {
    pub side: Side,
    pub by: UserRef,
    pub signed_at: DateTime<Utc>,
    /// False once the figures changed after the sign-off.
    pub valid: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EconomicsView {
    pub lines: Vec<EconomicsLine>,
    pub signoffs: Vec<SignoffView>,
    /// The assumptions behind the figures, as free text.
    pub assumptions: String,
    /// Totals per party, sector and period, and the fair-balance indicator.
    pub summary: crate::domain::economics_summary::EconomicsSummary,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AvailableTransition {
    pub id: String,
    pub label: Label,
    pub to: String,
    pub requires_comment: bool,
    /// The transition leads into the case's hearing, which `POST /cases/{id}/hearing` with
    /// the transition opens in the same step.
    pub opens_hearing: bool,
    /// Guards that do not hold yet, in words; empty when the transition can be taken now.
    pub blocked_by: Vec<GuardFailure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WorkflowRef {
    pub key: String,
    pub version: u32,
}

/// What a committed change answers: the case's new version and state, enough to take the next
/// step, without reading the whole case back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Committed {
    /// The case id.
    pub id: i64,
    pub number: String,
    pub state: String,
    pub version: i32,
}

impl Committed {
    /// The case as it is stored.
    pub(crate) fn of(case: &crate::storage::entity::handover_case::Model) -> Self {
        Self {
            id: case.id,
            number: case.number.clone(),
            state: case.state.clone(),
            version: case.version,
        }
    }

    /// The case after a change that moved its version on by one and, when given, its state.
    pub(crate) fn after(
        case: &crate::storage::entity::handover_case::Model,
        state: Option<&str>,
    ) -> Self {
        Self {
            id: case.id,
            number: case.number.clone(),
            state: state.map_or_else(|| case.state.clone(), str::to_owned),
            version: case.version + 1,
        }
    }
}

/// A case as its reader sees it, with the transitions that reader may take now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub number: String,
    pub region: String,
    pub region_name: String,
    pub title: String,
    pub kind: CaseKind,
    pub giving_party: PartyRef,
    pub receiving_party: PartyRef,
    pub proposer: UserRef,
    pub state: String,
    pub state_label: Label,
    pub stage: Stage,
    pub version: i32,
    pub due_date: Option<NaiveDate>,
    pub workflow: WorkflowRef,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub description: Option<DescriptionView>,
    pub economics: EconomicsView,
    pub available_transitions: Vec<AvailableTransition>,
    /// Open (åben) to the public, or closed (lukket): closed cases stay off public pages.
    pub public: bool,
    /// The KLE classification, e.g. 29.30.00.
    pub kle: Option<String>,
    /// Each party's own ESDH case number.
    pub external_references: Vec<super::classification::ExternalReferenceView>,
    /// Attached documents, oldest first.
    pub documents: Vec<super::documents::DocumentView>,
    /// The councils (sundhedsråd, from 2027) whose areas hold the case's municipal parties:
    /// giving, receiving or heard.
    pub councils: Vec<crate::councils::CouncilRef>,
    /// After approval: the day the task moves to the receiving party.
    pub implementation_on: Option<NaiveDate>,
    /// After approval: the day the handover is evaluated.
    pub follow_up_on: Option<NaiveDate>,
}

/// One journal event as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub seq: i32,
    pub occurred_at: DateTime<Utc>,
    pub actor: Option<UserRef>,
    pub kind: String,
    pub transition: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub comment: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub hash: String,
}

impl EventView {
    /// The view of a stored event; its `details` are the typed event's payload (or, for an
    /// event this version cannot read, the payload as stored).
    pub fn of(e: crate::storage::entity::journal_event::Model, actor: Option<UserRef>) -> Self {
        Self {
            details: e.details(),
            seq: e.seq,
            occurred_at: e.occurred_at,
            actor,
            kind: e.kind,
            transition: e.transition,
            from_state: e.from_state,
            to_state: e.to_state,
            comment: e.comment,
            hash: e.hash,
        }
    }

    /// The event, typed, read back from the view.
    ///
    /// # Errors
    /// As [`crate::journal_event::CaseEvent::read`].
    pub fn event(
        &self,
    ) -> Result<crate::journal_event::CaseEvent, crate::journal_event::EventError> {
        crate::journal_event::CaseEvent::read_value(
            &self.kind,
            crate::journal_event::Columns {
                transition: self.transition.as_deref(),
                from_state: self.from_state.as_deref(),
                to_state: self.to_state.as_deref(),
                comment: self.comment.as_deref(),
            },
            self.details.clone(),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct JournalView {
    pub case_id: i64,
    pub number: String,
    pub events: Vec<EventView>,
    pub chain: ChainVerification,
}
