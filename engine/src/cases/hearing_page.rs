//! The page behind a heard party's personal link: the case in brief, and one answer. The link
//! answers once; a party who wants to change its answer asks the secretariat.

use super::Engine;
use super::file::CaseFile;
use super::hearings::{HearingAnswer, HearingInvitation};
use super::view::CaseKind;
use crate::domain::description::FIELDS;
use crate::domain::economics::EconomicsLine;
use crate::domain::economics_summary::{PartyEconomics, PartyInfo, Sector, summarise};
use crate::domain::text::Label;
use crate::error::EngineError;
use crate::storage::entity::organisation;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

/// One field of the professional description, shown to the heard party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryField {
    pub label: Label,
    pub text: String,
}

/// What the holder of a hearing link reads before answering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HearingCase {
    pub invitation: HearingInvitation,
    pub kind: Label,
    pub giving_party: String,
    pub receiving_party: String,
    /// The task and its target group, from the professional description.
    pub summary: Vec<SummaryField>,
    pub answered_at: Option<DateTime<Utc>>,
    /// The case's figures per party and year, the heard party's own first: what it is asked
    /// to accept.
    pub economics: Vec<PartyEconomics>,
    /// The heard party has lines of its own in the assessment; when not, it reads the others'.
    pub has_own_figures: bool,
}

/// The description fields a heard party is shown.
const SUMMARY_FIELDS: [&str; 3] = ["task", "target_group", "timeline"];

impl Engine {
    /// The case behind a hearing link, in brief, with the party's answer if it gave one.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for an unknown token.
    pub async fn hearing_case(&self, token: &str) -> Result<HearingCase, EngineError> {
        let (party, hearing, case) = self.by_token(token).await?;
        let invitation = self.hearing_invitation(token).await?;
        let name = |id: i64| async move {
            Ok::<_, EngineError>(
                organisation::Entity::find_by_id(id)
                    .one(&self.db)
                    .await?
                    .map(|o| o.name)
                    .unwrap_or_default(),
            )
        };
        let file = CaseFile::load(&self.db, case.id).await?;
        let content = file
            .description
            .as_ref()
            .map(|(_, d)| serde_json::to_value(d).unwrap_or_default());
        let summary = FIELDS
            .iter()
            .filter(|f| SUMMARY_FIELDS.contains(&f.key))
            .filter_map(|f| {
                let text = content.as_ref()?.get(f.key)?.as_str()?.trim();
                (!text.is_empty()).then(|| SummaryField {
                    label: Label::new(f.da, f.en),
                    text: text.to_owned(),
                })
            })
            .collect();
        debug_assert_eq!(hearing.id, party.hearing_id);
        let economics = self.figures_for(&file.lines, party.organisation_id).await?;
        let has_own_figures = economics
            .first()
            .is_some_and(|p| p.party_id == party.organisation_id);
        Ok(HearingCase {
            invitation,
            kind: CaseKind::parse(&case.kind)
                .unwrap_or(CaseKind::Transfer)
                .label(),
            giving_party: name(case.giving_party_id).await?,
            receiving_party: name(case.receiving_party_id).await?,
            summary,
            answered_at: party.answered_at,
            economics,
            has_own_figures,
        })
    }

    /// The figures of `lines` per party, the party `first` first and the others by name.
    async fn figures_for(
        &self,
        lines: &[EconomicsLine],
        first: i64,
    ) -> Result<Vec<PartyEconomics>, EngineError> {
        let parties: Vec<PartyInfo> = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(lines.iter().map(|l| l.party_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| PartyInfo {
                id: o.id,
                sector: Sector::of_kind(&o.kind),
                name: o.name,
            })
            .collect();
        // The balance and threshold are the case page's business; only the rows are shown.
        let mut rows = summarise(lines, &parties, None, 0).parties;
        rows.sort_by(|a, b| {
            (a.party_id != first)
                .cmp(&(b.party_id != first))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(rows)
    }

    /// Records the party's answer through its link, once: a link that has answered is refused,
    /// as is an answer after the deadline.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for an unknown token; [`EngineError::Invalid`] on field
    /// `answer` when the party has answered or the hearing is closed, on field `text` when
    /// remarks or an objection come without a text.
    pub async fn answer_hearing_once(
        &self,
        token: &str,
        answer: HearingAnswer,
        text: Option<&str>,
    ) -> Result<HearingInvitation, EngineError> {
        let (party, hearing, case) = self.by_token(token).await?;
        if let (Some(given), Some(at)) = (&party.answer, party.answered_at) {
            return Err(EngineError::invalid(
                "answer",
                format!(
                    "your organisation answered `{given}` on {}; ask the secretariat to change the answer",
                    crate::domain::calendar::danish_date(at)
                ),
                format!(
                    "jeres organisation svarede »{}« den {}; kontakt sekretariatet, hvis svaret skal ændres",
                    match given.as_str() {
                        "agree" => "enig",
                        "agree_with_remarks" => "enig med bemærkninger",
                        "object" => "gør indsigelse",
                        other => other,
                    },
                    crate::render::danish::danish_date(crate::domain::calendar::danish_date(at))
                ),
            ));
        }
        self.answer_by_link(&party, &hearing, &case, answer, text)
            .await
    }
}
