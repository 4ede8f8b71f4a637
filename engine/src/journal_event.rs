//! Journal events, typed. Each change to a case is journalled as one [`CaseEvent`]: its kind
//! goes to the `kind` column, what the transition, from/to state and comment columns hold is
//! taken from the variants that set them, and the rest is the JSON `payload`.
//!
//! The kinds and payload field names are those stored since the journal began, so events
//! already in a database read through the enum, and a payload is written exactly as the
//! `json!` calls it replaces wrote it (the keys sorted, absent values as `null`). The hash
//! chain covers the stored payload string, so old and new events verify alike.

use crate::cases::hearings::HearingAnswer;
use crate::cases::view::CaseKind;
use crate::domain::economics::EconomicsLine;
use crate::domain::role::Side;
use crate::domain::text::Label;
use crate::storage::entity::journal_event::Model;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The stored kind of each [`CaseEvent`] variant, for queries that filter on the column.
pub mod kind {
    pub const CREATED: &str = "created";
    pub const TRANSITION: &str = "transition";
    pub const REFUSED: &str = "refused";
    pub const DESCRIPTION_REVISED: &str = "description_revised";
    pub const ECONOMICS_CHANGED: &str = "economics_changed";
    pub const ECONOMICS_SIGNED_OFF: &str = "economics_signed_off";
    pub const CLASSIFIED: &str = "classified";
    pub const EXTERNAL_REFERENCE_RECORDED: &str = "external_reference_recorded";
    pub const DOCUMENT_ADDED: &str = "document_added";
    pub const HEARING_OPENED: &str = "hearing_opened";
    pub const HEARING_ANSWERED: &str = "hearing_answered";
    pub const IMPLEMENTATION_PLANNED: &str = "implementation_planned";
    pub const PLACED_ON_AGENDA: &str = "placed_on_agenda";
    pub const AGENDA_PUBLISHED: &str = "agenda_published";
    pub const REMINDER: &str = "reminder";
    pub const COUNCILS_CHOSEN: &str = "councils_chosen";
    pub const COUNCIL_RECOMMENDED: &str = "council_recommended";
    pub const REFORM_CARRIED: &str = "reform_carried";
    pub const MEETING_CHANGED: &str = "meeting_changed";
    pub const MEETING_CANCELLED: &str = "meeting_cancelled";

    /// Every kind the journal holds.
    pub const ALL: [&str; 20] = [
        CREATED,
        TRANSITION,
        REFUSED,
        DESCRIPTION_REVISED,
        ECONOMICS_CHANGED,
        ECONOMICS_SIGNED_OFF,
        CLASSIFIED,
        EXTERNAL_REFERENCE_RECORDED,
        DOCUMENT_ADDED,
        HEARING_OPENED,
        HEARING_ANSWERED,
        IMPLEMENTATION_PLANNED,
        PLACED_ON_AGENDA,
        AGENDA_PUBLISHED,
        REMINDER,
        COUNCILS_CHOSEN,
        COUNCIL_RECOMMENDED,
        REFORM_CARRIED,
        MEETING_CHANGED,
        MEETING_CANCELLED,
    ];
}

/// One journal event. Fields marked as columns are stored in the event's own columns, not in
/// its payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum CaseEvent {
    /// The case was proposed; its chain opens.
    Created {
        /// Column `to_state`: the workflow's initial state.
        #[serde(skip)]
        to_state: String,
        number: String,
        title: String,
        kind: CaseKind,
        giving_party_id: i64,
        receiving_party_id: i64,
        workflow: WorkflowVersion,
    },
    /// A workflow transition was taken.
    Transition {
        /// Column `transition`.
        #[serde(skip)]
        transition: String,
        /// Column `from_state`.
        #[serde(skip)]
        from_state: String,
        /// Column `to_state`.
        #[serde(skip)]
        to_state: String,
        /// Column `comment`.
        #[serde(skip)]
        comment: Option<String>,
        #[serde(default)]
        label: Option<Label>,
        #[serde(default)]
        due_date: Option<NaiveDate>,
        /// The meeting a body's decision was taken at (journalled since meetings exist).
        #[serde(default)]
        meeting: Option<MeetingRef>,
        /// The council whose recommendation, the last of the case's councils', moved the case
        /// on (2027 model); absent for every other transition.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        council: Option<crate::councils::CouncilRef>,
    },
    /// Something was attempted and refused.
    Refused { attempted: String, reason: String },
    /// A new revision of the professional description.
    DescriptionRevised {
        revision: i32,
        #[serde(default)]
        changes: Vec<FieldChange>,
    },
    /// The economic figures or assumptions changed.
    EconomicsChanged {
        #[serde(default)]
        before: Vec<EconomicsLine>,
        #[serde(default)]
        after: Vec<EconomicsLine>,
        /// The sides whose sign-offs the new figures void.
        #[serde(default)]
        voided_signoffs: Vec<String>,
        /// Written since assumptions are journalled; `null` when they did not change.
        #[serde(default)]
        assumptions: Option<TextChange>,
    },
    /// A side signed off the figures with this fingerprint.
    EconomicsSignedOff { side: Side, figures: String },
    /// Publicity or KLE number changed.
    Classified {
        #[serde(default)]
        changes: Vec<ClassificationChange>,
    },
    /// A party's own reference for the case was recorded.
    ExternalReferenceRecorded {
        party_id: i64,
        party: String,
        #[serde(default)]
        old: Option<String>,
        new: String,
    },
    /// A document was attached.
    DocumentAdded {
        document: i64,
        file_name: String,
        content_type: String,
        size: u64,
        sha256: String,
    },
    /// A hearing was opened among these parties (their names).
    HearingOpened {
        hearing: i64,
        deadline: NaiveDate,
        /// The quorum rule as stored with the hearing: `all`, `majority` or `at_least:N`.
        quorum: String,
        #[serde(default)]
        parties: Vec<String>,
    },
    /// A heard party answered.
    HearingAnswered {
        /// Column `comment`: the answer's text.
        #[serde(skip)]
        comment: Option<String>,
        hearing: i64,
        party_id: i64,
        answer: HearingAnswer,
        via: AnsweredVia,
        #[serde(default)]
        previous: Option<HearingAnswer>,
    },
    /// The implementation or follow-up day changed.
    ImplementationPlanned {
        #[serde(default)]
        changes: Vec<ImplementationChange>,
    },
    /// The case was placed on a meeting's agenda.
    PlacedOnAgenda {
        meeting: MeetingRef,
        position: i32,
        after_deadline: bool,
    },
    /// The agenda the case is on was published.
    AgendaPublished {
        meeting: MeetingRef,
        position: i32,
        label: Label,
    },
    /// The secretariat changed the title or the dates of the meeting whose agenda the case
    /// is on.
    MeetingChanged {
        /// The meeting as it is now.
        meeting: MeetingRef,
        /// The meeting as it was.
        was: MeetingRef,
        #[serde(default)]
        material_deadline: Option<DateChange>,
    },
    /// The meeting whose agenda the case was on was cancelled; the case left the agenda and
    /// awaits another meeting of the body.
    MeetingCancelled {
        /// Column `comment`: why the meeting was cancelled.
        #[serde(skip)]
        comment: Option<String>,
        meeting: MeetingRef,
    },
    /// A reminder was sent.
    Reminder {
        /// Column `to_state`: the state the case was in.
        #[serde(skip)]
        to_state: String,
        /// The reminder's kind: `deadline_near`, `deadline_passed`, `hearing_closing`, ...
        reminder: String,
        due_date: NaiveDate,
        label: Label,
    },
    /// The secretariat chose the councils of a case that has no municipal party to give it
    /// its councils.
    CouncilsChosen {
        councils: Vec<crate::councils::CouncilRef>,
        reason: String,
    },
    /// One of the case's councils gave its recommendation at a meeting; the case waits for the
    /// others (the last one's recommendation is the transition that moves the case on).
    CouncilRecommended {
        council: crate::councils::CouncilRef,
        /// The transition the council took: `recommend`, `recommend_rejection`.
        transition: String,
        #[serde(default)]
        label: Option<Label>,
        #[serde(default)]
        comment: Option<String>,
        #[serde(default)]
        meeting: Option<MeetingRef>,
    },
    /// The 2027 reform carried the open case onto its region's 2027 model (and, for Region
    /// Hovedstaden and Region Sjælland, into Region Østdanmark).
    ReformCarried {
        /// Column `to_state`: the state the case is in now.
        #[serde(skip)]
        to_state: String,
        from_region: String,
        to_region: String,
        from_workflow: WorkflowVersion,
        to_workflow: WorkflowVersion,
        from_state: String,
        /// The bodies that decide the case from now on, by key.
        bodies: Vec<String>,
        /// The councils the case has on the new model.
        councils: Vec<crate::councils::CouncilRef>,
        /// The agendas the case left: meetings of abolished or merged bodies after the date.
        #[serde(default)]
        left_agendas: Vec<MeetingRef>,
        /// The giving and receiving parties, when they changed to the new region's.
        #[serde(default)]
        parties: Option<[i64; 2]>,
        label: Label,
    },
}

/// The workflow definition a case was created under.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowVersion {
    pub key: String,
    pub version: u32,
}

/// A meeting as journalled with an agenda placement or a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRef {
    pub id: i64,
    pub title: String,
    pub held_on: NaiveDate,
    /// The body's key: `steering_group`, `committee`, `council:<id>` or `regional_council`.
    pub body: String,
}

impl MeetingRef {
    /// The body whose meeting it was, as journalled.
    pub fn body(&self) -> Option<crate::domain::body::Body> {
        self.body.parse().ok()
    }
}

impl From<&crate::storage::entity::meeting::Model> for MeetingRef {
    fn from(m: &crate::storage::entity::meeting::Model) -> Self {
        Self {
            id: m.id,
            title: m.title.clone(),
            held_on: m.held_on,
            body: m.body.clone(),
        }
    }
}

/// One changed field of the professional description. Its fields hold texts, lists and
/// flags, so the values stay JSON; `null` where the field had (or has) no value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(default)]
    pub old: Value,
    #[serde(default)]
    pub new: Value,
}

/// A text's old and new value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextChange {
    pub old: String,
    pub new: String,
}

/// One change of a case's classification, stored as `{"field": .., "old": .., "new": ..}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum ClassificationChange {
    Public {
        old: bool,
        new: bool,
    },
    Kle {
        #[serde(default)]
        old: Option<String>,
        #[serde(default)]
        new: Option<String>,
    },
}

/// One change of a case's implementation plan, stored as `{"field": .., "old": .., "new": ..}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum ImplementationChange {
    ImplementationOn {
        #[serde(default)]
        old: Option<NaiveDate>,
        #[serde(default)]
        new: Option<NaiveDate>,
    },
    FollowUpOn {
        #[serde(default)]
        old: Option<NaiveDate>,
        #[serde(default)]
        new: Option<NaiveDate>,
    },
}

/// A date that changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateChange {
    pub old: NaiveDate,
    pub new: NaiveDate,
}

/// How a hearing answer came in: from a signed-in member or by the party's personal link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnsweredVia {
    Member,
    Link,
}

/// What an event puts in the journal's columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub kind: &'static str,
    pub transition: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub comment: Option<String>,
    /// The payload as stored, keys sorted.
    pub payload: String,
}

/// The columns of a stored event besides its kind and payload.
#[derive(Clone, Copy, Debug, Default)]
pub struct Columns<'a> {
    pub transition: Option<&'a str>,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub comment: Option<&'a str>,
}

/// Why a stored event does not read as a [`CaseEvent`].
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// A kind this version does not know (written by a newer version, or edited).
    #[error("unknown journal event kind `{0}`")]
    UnknownKind(String),
    #[error("the {kind} event's payload does not read: {source}")]
    Payload {
        kind: String,
        source: serde_json::Error,
    },
    #[error("the {kind} event has no {column}")]
    MissingColumn { kind: String, column: &'static str },
}

impl CaseEvent {
    /// The kind stored in the `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Created { .. } => kind::CREATED,
            Self::Transition { .. } => kind::TRANSITION,
            Self::Refused { .. } => kind::REFUSED,
            Self::DescriptionRevised { .. } => kind::DESCRIPTION_REVISED,
            Self::EconomicsChanged { .. } => kind::ECONOMICS_CHANGED,
            Self::EconomicsSignedOff { .. } => kind::ECONOMICS_SIGNED_OFF,
            Self::Classified { .. } => kind::CLASSIFIED,
            Self::ExternalReferenceRecorded { .. } => kind::EXTERNAL_REFERENCE_RECORDED,
            Self::DocumentAdded { .. } => kind::DOCUMENT_ADDED,
            Self::HearingOpened { .. } => kind::HEARING_OPENED,
            Self::HearingAnswered { .. } => kind::HEARING_ANSWERED,
            Self::ImplementationPlanned { .. } => kind::IMPLEMENTATION_PLANNED,
            Self::PlacedOnAgenda { .. } => kind::PLACED_ON_AGENDA,
            Self::AgendaPublished { .. } => kind::AGENDA_PUBLISHED,
            Self::MeetingChanged { .. } => kind::MEETING_CHANGED,
            Self::MeetingCancelled { .. } => kind::MEETING_CANCELLED,
            Self::Reminder { .. } => kind::REMINDER,
            Self::CouncilsChosen { .. } => kind::COUNCILS_CHOSEN,
            Self::CouncilRecommended { .. } => kind::COUNCIL_RECOMMENDED,
            Self::ReformCarried { .. } => kind::REFORM_CARRIED,
        }
    }

    /// The payload as JSON, as stored and as the journal view shows it.
    ///
    /// # Errors
    /// When serde cannot serialise it (not for these types).
    pub fn payload(&self) -> Result<Value, serde_json::Error> {
        match serde_json::to_value(self)? {
            Value::Object(mut tagged) => Ok(tagged.remove("payload").unwrap_or(Value::Null)),
            other => Err(serde::ser::Error::custom(format!(
                "an event serialised as {other}"
            ))),
        }
    }

    /// What the event puts in each column.
    ///
    /// # Errors
    /// As [`CaseEvent::payload`].
    pub fn stored(&self) -> Result<Stored, serde_json::Error> {
        let payload = self.payload()?.to_string();
        let mut stored = Stored {
            kind: self.kind(),
            transition: None,
            from_state: None,
            to_state: None,
            comment: None,
            payload,
        };
        match self {
            Self::Created { to_state, .. }
            | Self::Reminder { to_state, .. }
            | Self::ReformCarried { to_state, .. } => {
                stored.to_state = Some(to_state.clone());
            }
            Self::Transition {
                transition,
                from_state,
                to_state,
                comment,
                ..
            } => {
                stored.transition = Some(transition.clone());
                stored.from_state = Some(from_state.clone());
                stored.to_state = Some(to_state.clone());
                stored.comment.clone_from(comment);
            }
            Self::HearingAnswered { comment, .. } | Self::MeetingCancelled { comment, .. } => {
                stored.comment.clone_from(comment);
            }
            _ => {}
        }
        Ok(stored)
    }

    /// Reads a stored event from its kind, columns and payload text.
    ///
    /// # Errors
    /// An unknown kind, a payload that does not fit the kind, or a column the kind needs
    /// that is empty.
    pub fn read(kind: &str, columns: Columns<'_>, payload: &str) -> Result<Self, EventError> {
        let payload = serde_json::from_str(payload).map_err(|source| EventError::Payload {
            kind: kind.to_owned(),
            source,
        })?;
        Self::read_value(kind, columns, payload)
    }

    /// As [`CaseEvent::read`], for a payload already parsed (the journal view's `details`).
    ///
    /// # Errors
    /// As [`CaseEvent::read`].
    pub fn read_value(
        kind: &str,
        columns: Columns<'_>,
        payload: Value,
    ) -> Result<Self, EventError> {
        if !kind::ALL.contains(&kind) {
            return Err(EventError::UnknownKind(kind.to_owned()));
        }
        let tagged = serde_json::json!({ "kind": kind, "payload": payload });
        let mut event: Self =
            serde_json::from_value(tagged).map_err(|source| EventError::Payload {
                kind: kind.to_owned(),
                source,
            })?;
        let column = |value: Option<&str>, column: &'static str| {
            value.map(str::to_owned).ok_or(EventError::MissingColumn {
                kind: kind.to_owned(),
                column,
            })
        };
        match &mut event {
            Self::Created { to_state, .. }
            | Self::Reminder { to_state, .. }
            | Self::ReformCarried { to_state, .. } => {
                *to_state = column(columns.to_state, "to_state")?;
            }
            Self::Transition {
                transition,
                from_state,
                to_state,
                comment,
                ..
            } => {
                *transition = column(columns.transition, "transition")?;
                *from_state = column(columns.from_state, "from_state")?;
                *to_state = column(columns.to_state, "to_state")?;
                *comment = columns.comment.map(str::to_owned);
            }
            Self::HearingAnswered { comment, .. } | Self::MeetingCancelled { comment, .. } => {
                *comment = columns.comment.map(str::to_owned);
            }
            _ => {}
        }
        Ok(event)
    }

    /// The label the event shows with: a transition's, an agenda publication's or a
    /// reminder's.
    pub fn label(&self) -> Option<&Label> {
        match self {
            Self::Transition { label, .. } | Self::CouncilRecommended { label, .. } => {
                label.as_ref()
            }
            Self::AgendaPublished { label, .. }
            | Self::Reminder { label, .. }
            | Self::ReformCarried { label, .. } => Some(label),
            _ => None,
        }
    }

    /// The meeting the event concerns: a decision's, an agenda placement's or publication's.
    pub fn meeting(&self) -> Option<&MeetingRef> {
        match self {
            Self::Transition { meeting, .. } | Self::CouncilRecommended { meeting, .. } => {
                meeting.as_ref()
            }
            Self::PlacedOnAgenda { meeting, .. }
            | Self::AgendaPublished { meeting, .. }
            | Self::MeetingChanged { meeting, .. }
            | Self::MeetingCancelled { meeting, .. } => Some(meeting),
            _ => None,
        }
    }

    /// The day the event sets or reminds of: a transition's new due date, a reminder's due
    /// date, a hearing's deadline.
    pub fn due_date(&self) -> Option<NaiveDate> {
        match self {
            Self::Transition { due_date, .. } => *due_date,
            Self::Reminder { due_date, .. } => Some(*due_date),
            Self::HearingOpened { deadline, .. } => Some(*deadline),
            _ => None,
        }
    }
}

impl Model {
    /// The stored event, typed.
    ///
    /// # Errors
    /// As [`CaseEvent::read`].
    pub fn event(&self) -> Result<CaseEvent, EventError> {
        CaseEvent::read(&self.kind, self.columns(), &self.payload)
    }

    /// The event's transition, from/to state and comment columns.
    pub fn columns(&self) -> Columns<'_> {
        Columns {
            transition: self.transition.as_deref(),
            from_state: self.from_state.as_deref(),
            to_state: self.to_state.as_deref(),
            comment: self.comment.as_deref(),
        }
    }

    /// The payload for the journal view: the typed event's, or, for an event this version
    /// cannot read (an unknown kind), the stored JSON as it is, so it still shows.
    pub fn details(&self) -> Value {
        match self.event() {
            Ok(event) => event.payload().unwrap_or(Value::Null),
            Err(error) => {
                tracing::warn!(%error, event = self.id, "a journal event does not read");
                serde_json::from_str(&self.payload).unwrap_or(Value::Null)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn meeting() -> MeetingRef {
        MeetingRef {
            id: 7,
            title: "Styregruppemøde marts".into(),
            held_on: day("2026-03-12"),
            body: "steering_group".into(),
        }
    }

    fn label() -> Label {
        Label::new("Godkend", "Approve")
    }

    fn line(party_id: i64) -> EconomicsLine {
        EconomicsLine {
            party_id,
            year: 2026,
            one_off_costs: 100_000,
            running_costs: 20_000,
            savings: 5_000,
        }
    }

    /// One event of every kind.
    fn every_kind() -> Vec<CaseEvent> {
        vec![
            CaseEvent::Created {
                to_state: "draft".into(),
                number: "RSD-2026-0001".into(),
                title: "Sårpleje".into(),
                kind: CaseKind::Transfer,
                giving_party_id: 1,
                receiving_party_id: 2,
                workflow: WorkflowVersion {
                    key: "standard".into(),
                    version: 1,
                },
            },
            CaseEvent::Transition {
                transition: "approve".into(),
                from_state: "steering_group".into(),
                to_state: "approved".into(),
                comment: Some("Enig".into()),
                label: Some(label()),
                due_date: Some(day("2026-04-01")),
                meeting: Some(meeting()),
                council: None,
            },
            CaseEvent::Transition {
                transition: "withdraw".into(),
                from_state: "draft".into(),
                to_state: "withdrawn".into(),
                comment: None,
                label: None,
                due_date: None,
                meeting: None,
                council: None,
            },
            CaseEvent::Refused {
                attempted: "transition submit".into(),
                reason: "the description is missing".into(),
            },
            CaseEvent::DescriptionRevised {
                revision: 2,
                changes: vec![
                    FieldChange {
                        field: "evidence".into(),
                        old: Value::Null,
                        new: Value::String("Ny evidens".into()),
                    },
                    FieldChange {
                        field: "consent".into(),
                        old: Value::Bool(false),
                        new: Value::Bool(true),
                    },
                ],
            },
            CaseEvent::EconomicsChanged {
                before: vec![line(1)],
                after: vec![line(1), line(2)],
                voided_signoffs: vec!["giving".into()],
                assumptions: Some(TextChange {
                    old: String::new(),
                    new: "Priser i 2026-niveau".into(),
                }),
            },
            CaseEvent::EconomicsSignedOff {
                side: Side::Receiving,
                figures: "ab12".into(),
            },
            CaseEvent::Classified {
                changes: vec![
                    ClassificationChange::Public {
                        old: false,
                        new: true,
                    },
                    ClassificationChange::Kle {
                        old: None,
                        new: Some("29.09.00".into()),
                    },
                ],
            },
            CaseEvent::ExternalReferenceRecorded {
                party_id: 2,
                party: "Odense Kommune".into(),
                old: None,
                new: "SAG-42".into(),
            },
            CaseEvent::DocumentAdded {
                document: 3,
                file_name: "notat.pdf".into(),
                content_type: "application/pdf".into(),
                size: 1234,
                sha256: "ff00".into(),
            },
            CaseEvent::HearingOpened {
                hearing: 4,
                deadline: day("2026-05-01"),
                quorum: "at_least:2".into(),
                parties: vec!["Odense Kommune".into(), "Kolding Kommune".into()],
            },
            CaseEvent::HearingAnswered {
                comment: Some("Med bemærkninger".into()),
                hearing: 4,
                party_id: 2,
                answer: HearingAnswer::AgreeWithRemarks,
                via: AnsweredVia::Link,
                previous: Some(HearingAnswer::Agree),
            },
            CaseEvent::ImplementationPlanned {
                changes: vec![
                    ImplementationChange::ImplementationOn {
                        old: None,
                        new: Some(day("2026-09-01")),
                    },
                    ImplementationChange::FollowUpOn {
                        old: Some(day("2027-01-01")),
                        new: None,
                    },
                ],
            },
            CaseEvent::PlacedOnAgenda {
                meeting: meeting(),
                position: 1,
                after_deadline: true,
            },
            CaseEvent::AgendaPublished {
                meeting: meeting(),
                position: 1,
                label: Label::new("Dagsordenen er offentliggjort", "The agenda is published"),
            },
            CaseEvent::Reminder {
                to_state: "hearing".into(),
                reminder: "hearing_closing".into(),
                due_date: day("2026-05-01"),
                label: Label::new(
                    "Påmindelse: høringen lukker snart",
                    "Reminder: the hearing closes soon",
                ),
            },
            CaseEvent::CouncilsChosen {
                councils: vec![crate::councils::CouncilRef {
                    id: 3,
                    name: "Sundhedsråd Fyn".into(),
                }],
                reason: "Opgaven løses af almen praksis på Fyn".into(),
            },
            CaseEvent::CouncilRecommended {
                council: crate::councils::CouncilRef {
                    id: 3,
                    name: "Sundhedsråd Fyn".into(),
                },
                transition: "recommend".into(),
                label: Some(label()),
                comment: None,
                meeting: Some(meeting()),
            },
            CaseEvent::ReformCarried {
                to_state: "councils".into(),
                from_region: "hovedstaden".into(),
                to_region: "oestdanmark".into(),
                from_workflow: WorkflowVersion {
                    key: "opgaveoverdragelse".into(),
                    version: 1,
                },
                to_workflow: WorkflowVersion {
                    key: "opgaveoverdragelse".into(),
                    version: 1,
                },
                from_state: "committee".into(),
                bodies: vec!["council:7".into(), "regional_council".into()],
                councils: vec![crate::councils::CouncilRef {
                    id: 7,
                    name: "Sundhedsråd Byen".into(),
                }],
                left_agendas: vec![meeting()],
                parties: Some([40, 41]),
                label: Label::new("Overført ved reformen", "Carried by the reform"),
            },
            CaseEvent::MeetingChanged {
                meeting: MeetingRef {
                    held_on: day("2026-03-19"),
                    ..meeting()
                },
                was: meeting(),
                material_deadline: Some(DateChange {
                    old: day("2026-03-02"),
                    new: day("2026-03-09"),
                }),
            },
            CaseEvent::MeetingCancelled {
                comment: Some("Mødet er aflyst; sagen tages op på næste møde".into()),
                meeting: meeting(),
            },
        ]
    }

    fn read_back(stored: &Stored) -> Result<CaseEvent, EventError> {
        CaseEvent::read(
            stored.kind,
            Columns {
                transition: stored.transition.as_deref(),
                from_state: stored.from_state.as_deref(),
                to_state: stored.to_state.as_deref(),
                comment: stored.comment.as_deref(),
            },
            &stored.payload,
        )
    }

    #[test]
    fn every_kind_round_trips_through_its_columns_and_payload() {
        let events = every_kind();
        let mut kinds: Vec<&str> = events.iter().map(CaseEvent::kind).collect();
        kinds.dedup();
        assert_eq!(kinds, kind::ALL, "one test event per kind, in order");
        for event in events {
            let stored = event.stored().unwrap();
            // The serde tag and the kind column agree.
            assert_eq!(
                serde_json::to_value(&event).unwrap()["kind"],
                stored.kind,
                "{event:?}"
            );
            assert_eq!(read_back(&stored).unwrap(), event);
        }
    }

    #[test]
    fn the_columns_come_from_the_variants_that_set_them() {
        let events = every_kind();
        let transition = events[1].stored().unwrap();
        assert_eq!(transition.transition.as_deref(), Some("approve"));
        assert_eq!(transition.from_state.as_deref(), Some("steering_group"));
        assert_eq!(transition.to_state.as_deref(), Some("approved"));
        assert_eq!(transition.comment.as_deref(), Some("Enig"));
        assert!(!transition.payload.contains("approve\""));
        let created = events[0].stored().unwrap();
        assert_eq!(created.to_state.as_deref(), Some("draft"));
        assert_eq!((created.transition, created.comment), (None, None));
        let answered = events[11].stored().unwrap();
        assert_eq!(answered.comment.as_deref(), Some("Med bemærkninger"));
        assert_eq!(answered.to_state, None);
        let reminder = events[15].stored().unwrap();
        assert_eq!(reminder.to_state.as_deref(), Some("hearing"));
        let refused = events[3].stored().unwrap();
        assert_eq!(
            (
                refused.transition,
                refused.from_state,
                refused.to_state,
                refused.comment
            ),
            (None, None, None, None)
        );
    }

    /// Payloads as the `json!` calls before this module wrote them, byte for byte.
    #[test]
    fn todays_stored_payloads_read_and_are_written_alike() {
        let cases: [(&str, Columns<'_>, &str); 8] = [
            (
                "transition",
                Columns {
                    transition: Some("approve"),
                    from_state: Some("steering_group"),
                    to_state: Some("approved"),
                    comment: Some("Enig"),
                },
                r#"{"due_date":"2026-04-01","label":{"da":"Godkend","en":"Approve"},"meeting":{"body":"steering_group","held_on":"2026-03-12","id":7,"title":"Styregruppemøde marts"}}"#,
            ),
            (
                "transition",
                Columns {
                    transition: Some("withdraw"),
                    from_state: Some("draft"),
                    to_state: Some("withdrawn"),
                    comment: None,
                },
                r#"{"due_date":null,"label":null,"meeting":null}"#,
            ),
            (
                "created",
                Columns {
                    to_state: Some("draft"),
                    ..Columns::default()
                },
                r#"{"giving_party_id":1,"kind":"transfer","number":"RSD-2026-0001","receiving_party_id":2,"title":"Sårpleje","workflow":{"key":"standard","version":1}}"#,
            ),
            (
                "classified",
                Columns::default(),
                r#"{"changes":[{"field":"public","new":true,"old":false},{"field":"kle","new":"29.09.00","old":null}]}"#,
            ),
            (
                "economics_changed",
                Columns::default(),
                r#"{"after":[{"one_off_costs":100000,"party_id":1,"running_costs":20000,"savings":5000,"year":2026}],"assumptions":null,"before":[],"voided_signoffs":[]}"#,
            ),
            (
                "hearing_answered",
                Columns {
                    comment: Some("Med bemærkninger"),
                    ..Columns::default()
                },
                r#"{"answer":"agree_with_remarks","hearing":4,"party_id":2,"previous":null,"via":"member"}"#,
            ),
            (
                "agenda_published",
                Columns::default(),
                r#"{"label":{"da":"Dagsordenen er offentliggjort","en":"The agenda is published"},"meeting":{"body":"committee","held_on":"2026-03-12","id":7,"title":"Udvalgsmøde"},"position":2}"#,
            ),
            (
                "reminder",
                Columns {
                    to_state: Some("hearing"),
                    ..Columns::default()
                },
                r#"{"due_date":"2026-05-01","label":{"da":"Påmindelse: høringen lukker snart","en":"Reminder: the hearing closes soon"},"reminder":"hearing_closing"}"#,
            ),
        ];
        for (kind, columns, payload) in cases {
            let event = CaseEvent::read(kind, columns, payload).unwrap();
            assert_eq!(event.kind(), kind);
            assert_eq!(event.stored().unwrap().payload, payload, "{kind}");
        }
        let decision = CaseEvent::read(cases[0].0, cases[0].1, cases[0].2).unwrap();
        assert_eq!(
            decision,
            CaseEvent::Transition {
                transition: "approve".into(),
                from_state: "steering_group".into(),
                to_state: "approved".into(),
                comment: Some("Enig".into()),
                label: Some(label()),
                due_date: Some(day("2026-04-01")),
                meeting: Some(meeting()),
                council: None,
            }
        );
        let Ok(CaseEvent::Classified { changes }) =
            CaseEvent::read(cases[3].0, cases[3].1, cases[3].2)
        else {
            panic!("a classification reads as one");
        };
        assert_eq!(
            changes[1],
            ClassificationChange::Kle {
                old: None,
                new: Some("29.09.00".into())
            }
        );
    }

    /// The other kinds: the payload as the `json!` call before this module wrote it reads
    /// and is written back byte for byte.
    #[test]
    fn todays_payloads_of_the_other_kinds_read_and_are_written_alike() {
        let cases = [
            (
                "refused",
                r#"{"attempted":"transition submit","reason":"the description is missing"}"#,
            ),
            (
                "description_revised",
                r#"{"changes":[{"field":"evidence","new":"Ny evidens","old":null},{"field":"consent","new":true,"old":false}],"revision":2}"#,
            ),
            (
                "economics_signed_off",
                r#"{"figures":"ab12","side":"giving"}"#,
            ),
            (
                "external_reference_recorded",
                r#"{"new":"SAG-42","old":"SAG-41","party":"Odense Kommune","party_id":2}"#,
            ),
            (
                "document_added",
                r#"{"content_type":"application/pdf","document":3,"file_name":"notat.pdf","sha256":"ff00","size":1234}"#,
            ),
            (
                "hearing_opened",
                r#"{"deadline":"2026-05-01","hearing":4,"parties":["Odense Kommune","Kolding Kommune"],"quorum":"majority"}"#,
            ),
            (
                "implementation_planned",
                r#"{"changes":[{"field":"implementation_on","new":"2026-09-01","old":null},{"field":"follow_up_on","new":null,"old":"2027-01-01"}]}"#,
            ),
            (
                "placed_on_agenda",
                r#"{"after_deadline":false,"meeting":{"body":"steering_group","held_on":"2026-03-12","id":7,"title":"Styregruppemøde marts"},"position":3}"#,
            ),
            (
                "economics_changed",
                r#"{"after":[],"assumptions":{"new":"Nye forudsætninger","old":""},"before":[],"voided_signoffs":["giving","receiving"]}"#,
            ),
        ];
        for (kind, payload) in cases {
            let event = CaseEvent::read(kind, Columns::default(), payload).unwrap();
            assert_eq!(event.kind(), kind);
            assert_eq!(event.stored().unwrap().payload, payload, "{kind}");
        }
        let Ok(CaseEvent::PlacedOnAgenda { meeting: at, .. }) =
            CaseEvent::read(cases[7].0, Columns::default(), cases[7].1)
        else {
            panic!("an agenda placement reads as one");
        };
        assert_eq!(at, meeting());
    }

    #[test]
    fn older_payloads_without_later_fields_read() {
        // Transitions before meetings were journalled, economics before assumptions were.
        let transition = CaseEvent::read(
            "transition",
            Columns {
                transition: Some("submit"),
                from_state: Some("draft"),
                to_state: Some("screening"),
                comment: None,
            },
            r#"{"due_date":"2026-02-02","label":{"da":"Indsend","en":"Submit"}}"#,
        )
        .unwrap();
        assert_eq!(transition.meeting(), None);
        assert_eq!(transition.due_date(), Some(day("2026-02-02")));
        let economics = CaseEvent::read(
            "economics_changed",
            Columns::default(),
            r#"{"after":[],"before":[],"voided_signoffs":["giving"],"extra":1}"#,
        )
        .unwrap();
        assert!(matches!(
            economics,
            CaseEvent::EconomicsChanged {
                assumptions: None,
                ..
            }
        ));
    }

    #[test]
    fn an_unknown_kind_or_an_unfitting_payload_is_an_error() {
        assert!(matches!(
            CaseEvent::read("teleported", Columns::default(), "{}"),
            Err(EventError::UnknownKind(kind)) if kind == "teleported"
        ));
        assert!(matches!(
            CaseEvent::read("refused", Columns::default(), r#"{"attempted":3}"#),
            Err(EventError::Payload { .. })
        ));
        assert!(matches!(
            CaseEvent::read("transition", Columns::default(), "{}"),
            Err(EventError::MissingColumn {
                column: "transition",
                ..
            })
        ));
    }

    #[test]
    fn the_journal_view_shows_an_unknown_event_as_stored() {
        let model = Model {
            id: 1,
            case_id: 1,
            seq: 1,
            occurred_at: chrono::Utc::now(),
            actor_user_id: None,
            kind: "teleported".into(),
            transition: None,
            from_state: None,
            to_state: None,
            comment: None,
            payload: r#"{"to":"mars"}"#.into(),
            prev_hash: String::new(),
            hash: String::new(),
        };
        assert!(model.event().is_err());
        assert_eq!(model.details(), serde_json::json!({ "to": "mars" }));
    }
}
