//! The stored content of a case that guards read: the latest description revision, the
//! economic figures and the sign-offs.

use crate::domain::description::ProfessionalDescription;
use crate::domain::economics::{EconomicsLine, figures_fingerprint};
use crate::domain::role::Side;
use crate::domain::text::Label;
use crate::storage::entity::{
    description_revision, economics_line, economics_signoff, handover_case,
};
use crate::workflow::guard::CaseFacts;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

pub(crate) struct CaseFile {
    pub description: Option<(description_revision::Model, ProfessionalDescription)>,
    pub lines: Vec<EconomicsLine>,
    pub signoffs: Vec<economics_signoff::Model>,
}

impl CaseFile {
    pub async fn load(db: &impl ConnectionTrait, case_id: i64) -> Result<Self, DbErr> {
        let latest = description_revision::Entity::find()
            .filter(description_revision::Column::CaseId.eq(case_id))
            .order_by_desc(description_revision::Column::Revision)
            .one(db)
            .await?;
        let description = match latest {
            Some(revision) => {
                let content = serde_json::from_str(&revision.content).map_err(|e| {
                    DbErr::Custom(format!(
                        "description revision {} is unreadable: {e}",
                        revision.id
                    ))
                })?;
                Some((revision, content))
            }
            None => None,
        };
        let lines = economics_line::Entity::find()
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
            .collect();
        let signoffs = economics_signoff::Entity::find()
            .filter(economics_signoff::Column::CaseId.eq(case_id))
            .all(db)
            .await?;
        Ok(Self {
            description,
            lines,
            signoffs,
        })
    }

    pub fn fingerprint(&self) -> String {
        figures_fingerprint(&self.lines)
    }

    /// Whether a sign-off still holds: it was given on exactly the current figures.
    pub fn signoff_valid(&self, signoff: &economics_signoff::Model) -> bool {
        !self.lines.is_empty() && signoff.fingerprint == self.fingerprint()
    }

    pub fn facts(&self, case: &handover_case::Model) -> CaseFacts {
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
        }
    }
}
