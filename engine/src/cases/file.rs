//! The stored content of a case that guards read: the latest description revision, the
//! economic figures, the sign-offs and the meeting agendas the case stands on.

use crate::domain::body::Body;
use crate::domain::description::ProfessionalDescription;
use crate::domain::economics::{EconomicsLine, figures_fingerprint};
use crate::domain::role::Side;
use crate::domain::text::Label;
use crate::storage::entity::{
    agenda_item, council_recommendation, description_revision, economics_line, economics_signoff,
    handover_case, hearing, hearing_party, journal_event, meeting,
};
use crate::workflow::Stage;
use crate::workflow::definition::Quorum;
use crate::workflow::guard::HearingFacts;
use crate::workflow::guard::{AgendaFacts, CaseFacts, Guard};
use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::BTreeSet;

pub(crate) struct CaseFile {
    pub description: Option<(description_revision::Model, ProfessionalDescription)>,
    pub lines: Vec<EconomicsLine>,
    pub signoffs: Vec<economics_signoff::Model>,
    /// Every agenda the case was placed on, with its meeting, oldest first.
    pub agenda: Vec<(agenda_item::Model, meeting::Model)>,
    /// When the case entered its current state.
    pub entered_state_at: Option<DateTime<Utc>>,
    /// The case's latest hearing and its parties.
    pub hearing: Option<(hearing::Model, Vec<hearing_party::Model>)>,
    /// The councils' recommendations on the case, oldest first.
    pub recommendations: Vec<council_recommendation::Model>,
}

/// The parts of a case file a step reads. A step reads only what its checks need: most
/// transitions check one guard or none, and each part is a statement of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parts {
    pub description: bool,
    pub lines: bool,
    pub signoffs: bool,
    /// The agenda items with their meetings.
    pub agenda: bool,
    pub hearing: bool,
    /// The councils' recommendations.
    pub recommendations: bool,
}

impl Parts {
    pub const ALL: Self = Self {
        description: true,
        lines: true,
        signoffs: true,
        agenda: true,
        hearing: true,
        recommendations: true,
    };

    /// Nothing but the case row itself.
    pub const NONE: Self = Self {
        description: false,
        lines: false,
        signoffs: false,
        agenda: false,
        hearing: false,
        recommendations: false,
    };

    /// The description alone: what an edit of it compares with.
    pub const DESCRIPTION: Self = Self {
        description: true,
        ..Self::NONE
    };

    /// The economic figures alone: what a sign-off fingerprints.
    pub const FIGURES: Self = Self {
        lines: true,
        ..Self::NONE
    };

    /// The figures with their sign-offs: what a change to the figures may void.
    pub const FIGURES_AND_SIGNOFFS: Self = Self {
        lines: true,
        signoffs: true,
        ..Self::NONE
    };

    /// What checking `guards` reads.
    pub fn for_guards(guards: &[Guard]) -> Self {
        let mut parts = Self::NONE;
        for guard in guards {
            match guard {
                Guard::DescriptionComplete => parts.description = true,
                Guard::EconomicsComplete => parts.lines = true,
                Guard::SignoffComplete => {
                    parts.lines = true;
                    parts.signoffs = true;
                }
                Guard::OnAgenda => parts.agenda = true,
                Guard::HearingClosed => parts.hearing = true,
                Guard::CommentGiven => {}
            }
        }
        parts
    }

    /// What a transition from a state of `stage` checking `guards` reads: in the council
    /// stage a decision also reads the councils' recommendations and, for the councils that
    /// follow from the heard parties, the hearing.
    pub fn for_transition(stage: Stage, guards: &[Guard]) -> Self {
        let mut parts = Self::for_guards(guards);
        if stage == Stage::Council && parts.agenda {
            parts.recommendations = true;
            parts.hearing = true;
        }
        parts
    }

    /// The agenda, the hearing and the recommendations count only from when the case entered
    /// its current state.
    fn needs_state_entry(self) -> bool {
        self.agenda || self.hearing || self.recommendations
    }
}

impl CaseFile {
    /// The whole case file.
    pub async fn load(db: &impl ConnectionTrait, case_id: i64) -> Result<Self, DbErr> {
        Self::load_parts(db, case_id, Parts::ALL).await
    }

    /// The `parts` of the case file; the others are left empty.
    pub async fn load_parts(
        db: &impl ConnectionTrait,
        case_id: i64,
        parts: Parts,
    ) -> Result<Self, DbErr> {
        let description = if parts.description {
            latest_description(db, case_id).await?
        } else {
            None
        };
        let lines = if parts.lines {
            economics_lines(db, case_id).await?
        } else {
            Vec::new()
        };
        let signoffs = if parts.signoffs {
            economics_signoff::Entity::find()
                .filter(economics_signoff::Column::CaseId.eq(case_id))
                .all(db)
                .await?
        } else {
            Vec::new()
        };
        let agenda = if parts.agenda {
            agenda_of(db, case_id).await?
        } else {
            Vec::new()
        };
        let entered_state_at = if parts.needs_state_entry() {
            journal_event::Entity::find()
                .filter(journal_event::Column::CaseId.eq(case_id))
                .filter(journal_event::Column::Kind.is_in([
                    crate::journal_event::kind::CREATED,
                    crate::journal_event::kind::TRANSITION,
                ]))
                .order_by_desc(journal_event::Column::Seq)
                .one(db)
                .await?
                .map(|e| e.occurred_at)
        } else {
            None
        };
        let hearing = if parts.hearing {
            latest_hearing(db, case_id).await?
        } else {
            None
        };
        let recommendations = if parts.recommendations {
            council_recommendation::Entity::find()
                .filter(council_recommendation::Column::CaseId.eq(case_id))
                .order_by_asc(council_recommendation::Column::Id)
                .all(db)
                .await?
        } else {
            Vec::new()
        };
        Ok(Self {
            description,
            lines,
            signoffs,
            agenda,
            entered_state_at,
            hearing,
            recommendations,
        })
    }

    pub fn fingerprint(&self) -> String {
        figures_fingerprint(&self.lines)
    }

    /// Whether a sign-off still holds: it was given on exactly the current figures.
    pub fn signoff_valid(&self, signoff: &economics_signoff::Model) -> bool {
        !self.lines.is_empty() && signoff.fingerprint == self.fingerprint()
    }

    /// The meeting of `body` whose agenda the case was placed on since it reached its current
    /// state (the latest such placement).
    pub fn current_meeting(&self, body: Body) -> Option<&meeting::Model> {
        self.agenda
            .iter()
            .filter(|(item, meeting)| {
                meeting.body() == Some(body)
                    && self.entered_state_at.is_none_or(|at| item.placed_at >= at)
            })
            .map(|(_, meeting)| meeting)
            .next_back()
    }

    /// The councils' recommendations given since the case reached its current state.
    pub fn current_recommendations(&self) -> impl Iterator<Item = &council_recommendation::Model> {
        self.recommendations.iter().filter(|r| {
            self.entered_state_at
                .is_none_or(|at| r.recommended_at >= at)
        })
    }

    /// The hearing's progress on `today`, if a hearing was opened since the case reached its
    /// current state.
    pub fn hearing_facts(&self, today: NaiveDate) -> Option<HearingFacts> {
        let (hearing, parties) = self.hearing.as_ref()?;
        if self
            .entered_state_at
            .is_some_and(|at| hearing.opened_at < at)
        {
            return None;
        }
        Some(hearing_facts_of(hearing, parties, today))
    }

    pub fn facts(&self, case: &handover_case::Model, today: NaiveDate) -> CaseFacts {
        let empty = ProfessionalDescription::default();
        let description = self.description.as_ref().map_or(&empty, |(_, d)| d);
        let has_figures = |party: i64| self.lines.iter().any(|l| l.party_id == party);
        let mut economics_missing = Vec::new();
        if !has_figures(case.giving_party_id) {
            economics_missing.push(Side::Giving);
        }
        if !has_figures(case.receiving_party_id) {
            economics_missing.push(Side::Receiving);
        }
        CaseFacts {
            description_missing: description
                .missing_fields()
                .into_iter()
                .map(|f| Label::new(f.da, f.en))
                .collect(),
            economics_missing,
            signed_off: self
                .signoffs
                .iter()
                .filter(|s| self.signoff_valid(s))
                .filter_map(|s| s.side.parse::<Side>().ok())
                .collect(),
            on_agenda: self
                .agenda
                .iter()
                .filter_map(|(_, meeting)| meeting.body())
                .collect::<BTreeSet<Body>>()
                .into_iter()
                .filter_map(|body| {
                    let meeting = self.current_meeting(body)?;
                    let item = AgendaFacts {
                        meeting_id: meeting.id,
                        body,
                        held_on: meeting.held_on,
                        published: meeting.published_at.is_some(),
                    };
                    Some((body, item))
                })
                .collect(),
            councils: Vec::new(),
            recommended: self
                .current_recommendations()
                .map(|r| r.council_id)
                .collect(),
            hearing: self.hearing_facts(today),
        }
    }
}

async fn latest_description(
    db: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Option<(description_revision::Model, ProfessionalDescription)>, DbErr> {
    let Some(revision) = description_revision::Entity::find()
        .filter(description_revision::Column::CaseId.eq(case_id))
        .order_by_desc(description_revision::Column::Revision)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let content = serde_json::from_str(&revision.content).map_err(|e| {
        DbErr::Custom(format!(
            "description revision {} is unreadable: {e}",
            revision.id
        ))
    })?;
    Ok(Some((revision, content)))
}

async fn economics_lines(
    db: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Vec<EconomicsLine>, DbErr> {
    Ok(economics_line::Entity::find()
        .filter(economics_line::Column::CaseId.eq(case_id))
        .order_by_asc(economics_line::Column::PartyId)
        .order_by_asc(economics_line::Column::Year)
        .all(db)
        .await?
        .into_iter()
        .map(|l| EconomicsLine {
            party_id: l.party_id,
            year: l.year,
            one_off_costs: l.one_off_costs,
            running_costs: l.running_costs,
            savings: l.savings,
        })
        .collect())
}

/// Every agenda the case was placed on, with its meeting, oldest first.
async fn agenda_of(
    db: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Vec<(agenda_item::Model, meeting::Model)>, DbErr> {
    let items = agenda_item::Entity::find()
        .filter(agenda_item::Column::CaseId.eq(case_id))
        .order_by_asc(agenda_item::Column::PlacedAt)
        .all(db)
        .await?;
    // Most cases stand on no agenda: no need to ask for its meetings.
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let meetings = meeting::Entity::find()
        .filter(meeting::Column::Id.is_in(items.iter().map(|i| i.meeting_id)))
        .all(db)
        .await?;
    Ok(items
        .into_iter()
        .filter_map(|item| {
            meetings
                .iter()
                .find(|m| m.id == item.meeting_id)
                .cloned()
                .map(|m| (item, m))
        })
        .collect())
}

async fn latest_hearing(
    db: &impl ConnectionTrait,
    case_id: i64,
) -> Result<Option<(hearing::Model, Vec<hearing_party::Model>)>, DbErr> {
    let Some(hearing) = hearing::Entity::find()
        .filter(hearing::Column::CaseId.eq(case_id))
        .order_by_desc(hearing::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let parties = hearing_party::Entity::find()
        .filter(hearing_party::Column::HearingId.eq(hearing.id))
        .order_by_asc(hearing_party::Column::Id)
        .all(db)
        .await?;
    Ok(Some((hearing, parties)))
}

/// The progress on `today` of `hearing` with its heard `parties`.
pub(super) fn hearing_facts_of(
    hearing: &hearing::Model,
    parties: &[hearing_party::Model],
    today: NaiveDate,
) -> HearingFacts {
    HearingFacts {
        parties: u32::try_from(parties.len()).unwrap_or(u32::MAX),
        answered: u32::try_from(parties.iter().filter(|p| p.answer.is_some()).count())
            .unwrap_or(u32::MAX),
        deadline: hearing.deadline,
        deadline_passed: today > hearing.deadline,
        quorum: Quorum::from_stored(&hearing.quorum),
    }
}
