//! The carrying: the merged regions' people and organisations first (idempotent, one
//! transaction), then each case in a transaction of its own through the write skeleton, so a
//! case is moved whole or not at all, with its journal event and its mails.

use super::ReformScope;
use super::plan::Prepared;
use crate::cases::Engine;
use crate::cases::write::{CaseRowChanges, Change, Mails, Written};
use crate::domain::economics::{EconomicsLine, figures_fingerprint};
use crate::domain::role::Role;
use crate::domain::role::Side;
use crate::domain::text::Label;
use crate::error::EngineError;
use crate::journal_event::{CaseEvent, WorkflowVersion};
use crate::storage::db;
use crate::storage::entity::{
    agenda_item, app_user, economics_line, economics_signoff, handover_case, hearing,
    hearing_party, membership, organisation,
};
use crate::workflow::carry_over::CarryOver;
use crate::workflow::definition::{NotifyRule, Recipient};
use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The mail every party of a carried case gets.
pub const CASE_MOVED_BY_REFORM: &str = "case_moved_by_reform";

/// What a run carried.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ReformReport {
    pub carried: Vec<CarriedCase>,
    /// Cases that could not go, with why (as in the plan).
    pub blocked: Vec<CarriedCase>,
    /// Memberships of people of the merged regions added in the region that took them over.
    pub memberships_added: usize,
    /// Organisations whose contact address was copied to their counterpart.
    pub contacts_copied: usize,
    /// People whose organisation is now the new region's.
    pub people_moved: usize,
}

/// One case of a run.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CarriedCase {
    pub case_id: i64,
    pub number: String,
    /// `region/state` before and after, or the reason it stayed.
    pub outcome: String,
}

impl Engine {
    /// Carries every open case in `scope` that the reform moves, as `overdrag reform apply`
    /// does. `on` is the day it counts as (today unless a rehearsal gives one); before the
    /// reform's day it refuses. At most `limit` cases are carried (all when `None`): a rerun
    /// carries the rest, and a case already carried is not carried again.
    ///
    /// # Errors
    /// [`EngineError::ReformNotYet`] before the day; [`EngineError::Forbidden`] for someone who
    /// administers no region; a database error (the cases carried before it stay carried).
    pub async fn apply_reform(
        &self,
        scope: ReformScope<'_>,
        on: Option<NaiveDate>,
        limit: Option<usize>,
    ) -> Result<ReformReport, EngineError> {
        let reform = self.reform()?;
        let today = on.unwrap_or_else(|| self.today());
        if today < reform.on {
            return Err(EngineError::ReformNotYet {
                reform: reform.name.clone(),
                on: reform.on,
                today,
            });
        }
        if !scope.is_anyone() {
            return Err(EngineError::Forbidden {
                action: "carrying the cases across the reform".into(),
                needed: vec![Role::Admin],
            });
        }
        let mut report = self.carry_accounts(reform, scope).await?;
        for outcome in self.prepare_reform(reform, scope).await? {
            match outcome {
                Ok(prepared) => {
                    if limit.is_some_and(|l| report.carried.len() >= l) {
                        break;
                    }
                    let line = CarriedCase {
                        case_id: prepared.case.id,
                        number: prepared.case.number.clone(),
                        outcome: format!(
                            "{}/{} -> {}/{}",
                            prepared.from_region,
                            prepared.case.state,
                            prepared.to_region,
                            prepared.moved.state
                        ),
                    };
                    self.carry_case(scope.actor_user_id(), prepared).await?;
                    tracing::info!(case = %line.number, outcome = %line.outcome, "carried across the reform");
                    report.carried.push(line);
                }
                Err(blocked) => report.blocked.push(CarriedCase {
                    case_id: blocked.case.id,
                    number: blocked.case.number,
                    outcome: blocked.reason,
                }),
            }
        }
        Ok(report)
    }

    /// Gives the people of each merged region in scope the same roles in the region that takes
    /// it over, points their organisation at its counterpart there, and copies organisations'
    /// contact addresses the counterpart lacks. Safe to repeat: what is there already stays.
    async fn carry_accounts(
        &self,
        reform: &CarryOver,
        scope: ReformScope<'_>,
    ) -> Result<ReformReport, EngineError> {
        let mut report = ReformReport::default();
        let txn = self.begin_write().await?;
        for (from_slug, to_slug) in &reform.merges {
            if !scope.covers(from_slug.as_str(), to_slug.as_str()) {
                continue;
            }
            let (Some(from), Some(to)) = (
                self.region_by_slug(from_slug.as_str()).await?,
                self.region_by_slug(to_slug.as_str()).await?,
            ) else {
                continue;
            };
            let successors = self.organisation_successors(&from, &to).await?;
            let held: BTreeSet<(i64, String)> = membership::Entity::find()
                .filter(membership::Column::RegionId.eq(to.id))
                .all(&txn)
                .await?
                .into_iter()
                .map(|m| (m.user_id, m.role))
                .collect();
            for old in membership::Entity::find()
                .filter(membership::Column::RegionId.eq(from.id))
                .all(&txn)
                .await?
            {
                if held.contains(&(old.user_id, old.role.clone())) {
                    continue;
                }
                membership::ActiveModel {
                    user_id: Set(old.user_id),
                    region_id: Set(to.id),
                    role: Set(old.role),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                report.memberships_added += 1;
            }
            let contacts: BTreeMap<i64, String> = organisation::Entity::find()
                .filter(organisation::Column::RegionId.eq(from.id))
                .filter(organisation::Column::ContactEmail.is_not_null())
                .all(&txn)
                .await?
                .into_iter()
                .filter_map(|o| Some((o.id, o.contact_email?)))
                .collect();
            for (old_id, new_id) in &successors {
                let moved = app_user::Entity::update_many()
                    .col_expr(app_user::Column::OrganisationId, Expr::value(*new_id))
                    .filter(app_user::Column::OrganisationId.eq(*old_id))
                    .exec(&txn)
                    .await?;
                report.people_moved += usize::try_from(moved.rows_affected).unwrap_or(0);
                let Some(email) = contacts.get(old_id) else {
                    continue;
                };
                let copied = organisation::Entity::update_many()
                    .col_expr(
                        organisation::Column::ContactEmail,
                        Expr::value(email.clone()),
                    )
                    .filter(organisation::Column::Id.eq(*new_id))
                    .filter(organisation::Column::ContactEmail.is_null())
                    .exec(&txn)
                    .await?;
                report.contacts_copied += usize::try_from(copied.rows_affected).unwrap_or(0);
            }
        }
        txn.commit().await?;
        Ok(report)
    }

    /// Carries one case in one transaction: its row (region, definition, state, parties),
    /// its figures, sign-offs and heard parties onto the new region's organisations, the
    /// agendas it leaves, one journal event and one mail to each party.
    async fn carry_case(&self, actor_user_id: Option<i64>, p: Prepared) -> Result<(), EngineError> {
        use handover_case::Column;
        let row = CaseRowChanges::none()
            .set(Column::RegionId, p.moved.region_id)
            .set(Column::WorkflowId, p.moved.workflow_id)
            .set(Column::State, p.moved.state.clone())
            .set(Column::DueDate, p.moved.due_date)
            .set(Column::GivingPartyId, p.moved.giving_party_id)
            .set(Column::ReceivingPartyId, p.moved.receiving_party_id);
        let change = Change {
            expected_version: Some(p.case.version),
            row,
            claim: None,
        };
        let parties_changed = p.moved.giving_party_id != p.case.giving_party_id
            || p.moved.receiving_party_id != p.case.receiving_party_id;
        let mut to = vec![
            Recipient::Proposer,
            Recipient::Party(Side::Giving),
            Recipient::Party(Side::Receiving),
            Recipient::Role(Role::Secretariat),
        ];
        to.extend(p.heard.iter().map(|id| Recipient::Organisation(*id)));
        let rules = vec![NotifyRule {
            template: CASE_MOVED_BY_REFORM.into(),
            to,
        }];
        let event = CaseEvent::ReformCarried {
            to_state: p.moved.state.clone(),
            from_region: p.from_region.clone(),
            to_region: p.to_region.clone(),
            from_workflow: WorkflowVersion {
                key: p.from.key.clone(),
                version: p.from.version,
            },
            to_workflow: WorkflowVersion {
                key: p.to.key.clone(),
                version: p.to.version,
            },
            from_state: p.case.state.clone(),
            bodies: p.bodies.clone(),
            councils: p.councils.clone(),
            left_agendas: p.leaves.iter().map(|(_, m)| m.clone()).collect(),
            parties: parties_changed
                .then_some([p.moved.giving_party_id, p.moved.receiving_party_id]),
            label: Label::new(
                "Overført ved sundhedsreformen",
                "Carried over by the health reform",
            ),
        };
        let case_id = p.case.id;
        self.commit_change(actor_user_id, &p.moved, change, async |txn, _now| {
            move_organisations(txn, case_id, &p).await?;
            let items: Vec<i64> = p.leaves.iter().map(|(id, _)| *id).collect();
            if !items.is_empty() {
                agenda_item::Entity::delete_many()
                    .filter(agenda_item::Column::Id.is_in(items))
                    .exec(txn)
                    .await?;
            }
            Ok(Written::event(event).with_mails(Mails::Rules(rules)))
        })
        .await?;
        Ok(())
    }
}

/// Puts a merged region's case's figures and heard parties on the new region's
/// organisations; a sign-off given on the figures still holds on the same figures.
async fn move_organisations(
    txn: &db::WriteTransaction,
    case_id: i64,
    p: &Prepared,
) -> Result<(), EngineError> {
    if p.successors.is_empty() {
        return Ok(());
    }
    let lines = economics_line::Entity::find()
        .filter(economics_line::Column::CaseId.eq(case_id))
        .all(txn)
        .await?;
    let figures = |lines: &[economics_line::Model], map: bool| -> Vec<EconomicsLine> {
        lines
            .iter()
            .map(|l| EconomicsLine {
                party_id: if map {
                    p.successors.get(&l.party_id).copied().unwrap_or(l.party_id)
                } else {
                    l.party_id
                },
                year: l.year,
                one_off_costs: l.one_off_costs,
                running_costs: l.running_costs,
                savings: l.savings,
            })
            .collect()
    };
    let (before, after) = (
        figures_fingerprint(&figures(&lines, false)),
        figures_fingerprint(&figures(&lines, true)),
    );
    for line in &lines {
        if let Some(new) = p.successors.get(&line.party_id) {
            let mut active: economics_line::ActiveModel = line.clone().into();
            active.party_id = Set(*new);
            active.update(txn).await?;
        }
    }
    if !lines.is_empty() {
        economics_signoff::Entity::update_many()
            .col_expr(economics_signoff::Column::Fingerprint, Expr::value(after))
            .filter(economics_signoff::Column::CaseId.eq(case_id))
            .filter(economics_signoff::Column::Fingerprint.eq(before))
            .exec(txn)
            .await?;
    }
    let hearings: Vec<i64> = hearing::Entity::find()
        .filter(hearing::Column::CaseId.eq(case_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|h| h.id)
        .collect();
    if hearings.is_empty() {
        return Ok(());
    }
    for party in hearing_party::Entity::find()
        .filter(hearing_party::Column::HearingId.is_in(hearings))
        .all(txn)
        .await?
    {
        if let Some(new) = p.successors.get(&party.organisation_id) {
            let mut active: hearing_party::ActiveModel = party.into();
            active.organisation_id = Set(*new);
            active.update(txn).await?;
        }
    }
    Ok(())
}
