//! The plan: for each open case on a definition that a reform ends, where it goes (region,
//! definition, state, councils, who is told, which agendas it leaves) or why it cannot go.
//! Computing it changes nothing; the carrying applies exactly what it computes.

use super::ReformScope;
use crate::cases::Engine;
use crate::cases::file::{CaseFile, Parts};
use crate::councils::CouncilRef;
use crate::domain::body::Body;
use crate::domain::text::Label;
use crate::error::EngineError;
use crate::journal_event::MeetingRef;
use crate::storage::entity::{app_user, handover_case, organisation, region};
use crate::workflow::carry_over::{Carry, CarryOver, VersionRef};
use crate::workflow::{Definition, Stage};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where the open cases go, as `overdrag reform plan` prints it and the API returns it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReformPlan {
    pub reform: String,
    /// The day the reform takes effect.
    pub on: NaiveDate,
    /// Whether the carrying may run today (or on the day given for a rehearsal).
    pub may_apply: bool,
    pub cases: Vec<PlannedCase>,
    /// Open cases per region and state now.
    pub counts: Vec<PlanCount>,
}

/// One open case and where it goes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlannedCase {
    pub case_id: i64,
    pub number: String,
    pub title: String,
    pub region: String,
    pub workflow: VersionRef,
    pub state: String,
    pub state_label: Label,
    /// Where it goes; `None` when it cannot go yet.
    pub destination: Option<Destination>,
    /// Why it cannot go yet, and what to do.
    pub blocked: Option<String>,
}

/// Where a case goes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Destination {
    pub region: String,
    pub workflow: VersionRef,
    pub state: String,
    pub state_label: Label,
    pub councils: Vec<CouncilRef>,
    /// Who gets the mail about the move, by name.
    pub told: Vec<String>,
    /// The agendas it leaves: meetings of abolished or merged bodies after the day.
    #[schema(value_type = Vec<Object>)]
    pub leaves_agendas: Vec<MeetingRef>,
    /// What the secretariat must see to after the move.
    pub note: Option<String>,
}

/// How many open cases a region has in a state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct PlanCount {
    pub region: String,
    pub state: String,
    pub cases: usize,
}

/// Everything the carrying of one case writes, computed by the plan.
pub(super) struct Prepared {
    /// The case as it is.
    pub case: handover_case::Model,
    /// The case's row as it will be.
    pub moved: handover_case::Model,
    pub from_region: String,
    pub to_region: String,
    pub from: VersionRef,
    pub to: VersionRef,
    /// The organisations that are replaced by the new region's (merged regions only).
    pub successors: BTreeMap<i64, i64>,
    pub councils: Vec<CouncilRef>,
    /// The heard parties of a hearing the case is in, by their new ids.
    pub heard: Vec<i64>,
    /// The agenda items it leaves, with their meetings.
    pub leaves: Vec<(i64, MeetingRef)>,
    /// The keys of the bodies that decide it from now on.
    pub bodies: Vec<String>,
    pub told: Vec<String>,
    pub note: Option<String>,
}

impl Engine {
    /// The reform that carries cases: the first carry-over the workflows hold.
    pub(super) fn reform(&self) -> Result<&CarryOver, EngineError> {
        self.workflows
            .carry_overs()
            .first()
            .ok_or(EngineError::NotFound { what: "reform" })
    }

    /// Where every open case in `scope` goes, as of `on` (today unless a rehearsal gives a
    /// day). Changes nothing.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] for someone who administers no region;
    /// [`EngineError::NotFound`] when no carry-over is loaded; a database error.
    pub async fn reform_plan(
        &self,
        scope: ReformScope<'_>,
        on: Option<NaiveDate>,
    ) -> Result<ReformPlan, EngineError> {
        let reform = self.reform()?;
        if !scope.is_anyone() {
            return Err(EngineError::Forbidden {
                action: "planning the reform's carrying of cases".into(),
                needed: vec![crate::domain::role::Role::Admin],
            });
        }
        let prepared = self.prepare_reform(reform, scope).await?;
        let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        let cases = prepared
            .into_iter()
            .map(|outcome| {
                let (case, region, def, destination, blocked) = match outcome {
                    Ok(p) => {
                        let destination = Destination {
                            region: p.to_region.clone(),
                            workflow: p.to.clone(),
                            state: p.moved.state.clone(),
                            state_label: self.state_label(&p.to, &p.moved.state),
                            councils: p.councils.clone(),
                            told: p.told.clone(),
                            leaves_agendas: p.leaves.iter().map(|(_, m)| m.clone()).collect(),
                            note: p.note.clone(),
                        };
                        (p.case, p.from_region, p.from, Some(destination), None)
                    }
                    Err(blocked) => (
                        blocked.case,
                        blocked.region,
                        blocked.from,
                        None,
                        Some(blocked.reason),
                    ),
                };
                *counts
                    .entry((region.clone(), case.state.clone()))
                    .or_default() += 1;
                PlannedCase {
                    case_id: case.id,
                    number: case.number,
                    title: case.title,
                    region,
                    state_label: self.state_label(&def, &case.state),
                    workflow: def,
                    state: case.state,
                    destination,
                    blocked,
                }
            })
            .collect();
        Ok(ReformPlan {
            reform: reform.name.clone(),
            on: reform.on,
            may_apply: on.unwrap_or_else(|| self.today()) >= reform.on,
            cases,
            counts: counts
                .into_iter()
                .map(|((region, state), cases)| PlanCount {
                    region,
                    state,
                    cases,
                })
                .collect(),
        })
    }

    /// Prepares the carrying of every open case in `scope` on a definition the reform ends,
    /// oldest case first.
    pub(super) async fn prepare_reform(
        &self,
        reform: &CarryOver,
        scope: ReformScope<'_>,
    ) -> Result<Vec<Result<Prepared, Blocked>>, EngineError> {
        let ending: BTreeMap<i64, (&Definition, &Carry)> = self
            .workflows
            .definitions()
            .iter()
            .filter_map(|def| {
                let carry = reform.carry_of(def)?;
                let id = self.definition_ids.get(&(
                    def.region.to_string(),
                    def.key.clone(),
                    def.version,
                ))?;
                Some((*id, (def, carry)))
            })
            .collect();
        let cases = handover_case::Entity::find()
            .filter(handover_case::Column::WorkflowId.is_in(ending.keys().copied()))
            .order_by_asc(handover_case::Column::Id)
            .all(&self.db)
            .await?;
        let mut successors_of: BTreeMap<(i64, i64), BTreeMap<i64, i64>> = BTreeMap::new();
        let mut prepared = Vec::new();
        for case in cases {
            let Some((from_def, carry)) = ending.get(&case.workflow_id).copied() else {
                continue;
            };
            if from_def
                .state_by_str(&case.state)
                .is_none_or(|s| s.stage.is_terminal())
            {
                continue;
            }
            if !scope.covers(from_def.region.as_str(), carry.to.region.as_str()) {
                continue;
            }
            let from_region = self.region_named(from_def.region.as_str()).await?;
            let to_region = self.region_named(carry.to.region.as_str()).await?;
            let key = (from_region.id, to_region.id);
            if !successors_of.contains_key(&key) {
                let map = self
                    .organisation_successors(&from_region, &to_region)
                    .await?;
                successors_of.insert(key, map);
            }
            let successors = &successors_of[&key];
            prepared.push(
                self.prepare_case(
                    reform,
                    case,
                    from_def,
                    carry,
                    &from_region,
                    &to_region,
                    successors,
                )
                .await?,
            );
        }
        Ok(prepared)
    }

    #[allow(clippy::too_many_arguments)]
    async fn prepare_case(
        &self,
        reform: &CarryOver,
        case: handover_case::Model,
        from_def: &Definition,
        carry: &Carry,
        from_region: &region::Model,
        to_region: &region::Model,
        successors: &BTreeMap<i64, i64>,
    ) -> Result<Result<Prepared, Blocked>, EngineError> {
        let blocked = |case: handover_case::Model, reason: String| Blocked {
            case,
            region: from_region.slug.clone(),
            from: carry.from.clone(),
            reason,
        };
        let Some(to_def) = self
            .workflows
            .definitions()
            .iter()
            .find(|d| carry.to.names(d))
        else {
            return Ok(Err(blocked(case, format!("{} is not loaded", carry.to))));
        };
        let Some(to_id) = self.definition_ids.get(&(
            to_def.region.to_string(),
            to_def.key.clone(),
            to_def.version,
        )) else {
            return Ok(Err(blocked(case, format!("{} is not stored", carry.to))));
        };
        let Some(to_state) = from_def
            .state_by_str(&case.state)
            .and_then(|s| carry.states.get(&s.id))
            .and_then(|id| to_def.state(id))
        else {
            return Ok(Err(blocked(
                case.clone(),
                format!(
                    "the carry-over does not say where state `{}` goes; add it to {}",
                    case.state, reform.file
                ),
            )));
        };
        let merged = from_region.id != to_region.id;
        let successor = |id: i64| {
            if merged {
                successors.get(&id).copied()
            } else {
                Some(id)
            }
        };
        let mut file = CaseFile::load_parts(
            &self.db,
            case.id,
            Parts {
                agenda: true,
                hearing: true,
                ..Parts::NONE
            },
        )
        .await?;
        let mut orphans = Vec::new();
        for id in [case.giving_party_id, case.receiving_party_id] {
            if successor(id).is_none() {
                orphans.push(id);
            }
        }
        if let Some((_, parties)) = file.hearing.as_mut() {
            for party in parties.iter_mut() {
                match successor(party.organisation_id) {
                    Some(id) => party.organisation_id = id,
                    None => orphans.push(party.organisation_id),
                }
            }
        }
        if !orphans.is_empty() {
            return Ok(Err(blocked(
                case,
                format!(
                    "organisation(s) {orphans:?} have no counterpart in {}; add them there (same kind and name) and plan again",
                    to_region.name
                ),
            )));
        }
        let due_date = if to_state.id.as_str() == case.state {
            case.due_date
        } else {
            to_state.due_days.map(|days| {
                to_def
                    .calendar
                    .add_working_days(reform.on.max(self.today()), days)
            })
        };
        let moved = handover_case::Model {
            region_id: to_region.id,
            workflow_id: *to_id,
            state: to_state.id.to_string(),
            due_date,
            giving_party_id: successor(case.giving_party_id).unwrap_or(case.giving_party_id),
            receiving_party_id: successor(case.receiving_party_id)
                .unwrap_or(case.receiving_party_id),
            ..case.clone()
        };
        let councils = self.councils_of_case(&moved, &file).await?;
        let has_council_stage = to_def.states.iter().any(|s| s.stage == Stage::Council);
        let note = (has_council_stage && councils.is_empty()).then(|| {
            "no council's area holds a municipal party of the case: the secretariat chooses its councils before the councils' step".to_owned()
        });
        let in_hearing = from_def
            .state_by_str(&case.state)
            .is_some_and(|s| s.stage == Stage::Hearing);
        let heard: Vec<i64> = if in_hearing {
            file.hearing_facts(self.today())
                .and(file.hearing.as_ref())
                .map(|(_, parties)| parties.iter().map(|p| p.organisation_id).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        // The case leaves the agendas of bodies that do not go on: the committee's after the
        // day, and every meeting of a merged region's bodies it still waits on.
        let current_body = from_def
            .state_by_str(&case.state)
            .and_then(|s| Body::deciding_in(s.stage));
        let current_item = current_body
            .and_then(|body| file.current_meeting(body))
            .map(|m| m.id);
        let leaves = file
            .agenda
            .iter()
            .filter(|(_, meeting)| {
                let after = meeting.held_on >= reform.on;
                let abolished = meeting.body() == Some(Body::Committee);
                (after && (abolished || merged)) || (merged && current_item == Some(meeting.id))
            })
            .map(|(item, meeting)| (item.id, MeetingRef::from(meeting)))
            .collect();
        let mut bodies: Vec<String> = to_def
            .states
            .iter()
            .filter_map(|s| Body::deciding_in(s.stage))
            .map(Body::key)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if has_council_stage {
            bodies.extend(councils.iter().map(|c| Body::Council(c.id).key()));
        }
        let told = self
            .told_about(&moved, &heard, &to_def.bodies.secretariat)
            .await?;
        Ok(Ok(Prepared {
            from_region: from_region.slug.clone(),
            to_region: to_region.slug.clone(),
            from: carry.from.clone(),
            to: carry.to.clone(),
            successors: if merged {
                successors.clone()
            } else {
                BTreeMap::new()
            },
            councils,
            heard,
            leaves,
            bodies,
            told,
            note,
            moved,
            case,
        }))
    }

    /// The label of `state` in the definition `version`; the id itself if it is unknown.
    fn state_label(&self, version: &VersionRef, state: &str) -> Label {
        self.workflows
            .definitions()
            .iter()
            .find(|d| version.names(d))
            .and_then(|d| d.state_by_str(state))
            .map_or_else(|| Label::new(state, state), |s| s.label.clone())
    }

    async fn region_named(&self, slug: &str) -> Result<region::Model, EngineError> {
        self.region_by_slug(slug)
            .await?
            .ok_or(EngineError::NotFound { what: "region" })
    }

    /// Each organisation of `from` and its counterpart in `to`, the region that takes it over:
    /// the same kind and code, or else the same kind and name; the region's own administration
    /// is the new region's.
    pub(super) async fn organisation_successors(
        &self,
        from: &region::Model,
        to: &region::Model,
    ) -> Result<BTreeMap<i64, i64>, EngineError> {
        if from.id == to.id {
            return Ok(BTreeMap::new());
        }
        let of = |region_id: i64| {
            organisation::Entity::find()
                .filter(organisation::Column::RegionId.eq(region_id))
                .all(&self.db)
        };
        let (old, new) = (of(from.id).await?, of(to.id).await?);
        let counterpart = |o: &organisation::Model| {
            new.iter().find(|n| {
                n.kind == o.kind
                    && (o.kind == "region"
                        || match (&o.code, &n.code) {
                            (Some(a), Some(b)) => a == b,
                            _ => n.name == o.name,
                        })
            })
        };
        Ok(old
            .iter()
            .filter_map(|o| counterpart(o).map(|n| (o.id, n.id)))
            .collect())
    }

    /// The names of those the mail about the move goes to: the proposer, the giving and
    /// receiving parties, the heard parties of a hearing in progress, and the secretariat.
    async fn told_about(
        &self,
        moved: &handover_case::Model,
        heard: &[i64],
        secretariat: &str,
    ) -> Result<Vec<String>, EngineError> {
        let mut told = Vec::new();
        if let Some(proposer) = app_user::Entity::find_by_id(moved.proposer_user_id)
            .one(&self.db)
            .await?
        {
            told.push(proposer.name);
        }
        let ids: BTreeSet<i64> = [moved.giving_party_id, moved.receiving_party_id]
            .into_iter()
            .chain(heard.iter().copied())
            .collect();
        let organisations = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(ids))
            .order_by_asc(organisation::Column::Name)
            .all(&self.db)
            .await?;
        told.extend(organisations.into_iter().map(|o| o.name));
        told.push(secretariat.to_owned());
        Ok(told)
    }
}

/// A case that cannot be carried yet, and why.
pub(super) struct Blocked {
    pub case: handover_case::Model,
    pub region: String,
    pub from: VersionRef,
    pub reason: String,
}
