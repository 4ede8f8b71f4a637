//! A region's workflow in force, with how many of the region's cases stand in each state: the
//! data behind the workflow diagram.

use super::Engine;
use crate::actor::Actor;
use crate::domain::role::Role;
use crate::domain::text::Label;
use crate::error::EngineError;
use crate::storage::entity::{handover_case, region};
use crate::workflow::Stage;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateCount {
    pub id: String,
    pub label: Label,
    pub stage: Stage,
    /// A case here never moves again.
    pub terminal: bool,
    /// The role expected to act here.
    pub actor: Option<Role>,
    /// The region's cases in this state now.
    pub cases: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransitionSummary {
    pub id: String,
    pub label: Label,
    pub from: Vec<String>,
    pub to: String,
    pub by: Vec<Role>,
    pub require_comment: bool,
    /// What must hold before it can be taken, in words.
    pub guards: Vec<Label>,
}

/// The workflow a region's new cases follow today, and the count of cases per state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkflowOverview {
    pub region: String,
    pub region_name: String,
    pub name: String,
    pub version: u32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub initial: String,
    pub states: Vec<StateCount>,
    pub transitions: Vec<TransitionSummary>,
    /// Cases in states this version does not have (they follow an older version).
    pub other_states: Vec<(String, u64)>,
}

impl Engine {
    /// The region's workflow in force today (else its latest), with the count of the region's
    /// cases in each state.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for a region the actor is not a member of.
    pub async fn workflow_overview(
        &self,
        actor: &Actor,
        region: &str,
    ) -> Result<WorkflowOverview, EngineError> {
        const NOT_FOUND: EngineError = EngineError::NotFound { what: "region" };
        let region = region::Entity::find()
            .filter(region::Column::Slug.eq(region.trim()))
            .one(&self.db)
            .await?
            .filter(|r| actor.roles_in(&r.slug).is_some())
            .ok_or(NOT_FOUND)?;
        let def = self
            .workflows
            .in_force(&region.slug, self.today())
            .or_else(|| self.workflows.latest(&region.slug))
            .ok_or_else(|| EngineError::NoWorkflow {
                region: region.slug.clone(),
                date: self.today(),
            })?;
        let rows: Vec<(String, i64)> = handover_case::Entity::find()
            .select_only()
            .column(handover_case::Column::State)
            .column_as(Expr::col(handover_case::Column::Id).count(), "cases")
            .filter(handover_case::Column::RegionId.eq(region.id))
            .group_by(handover_case::Column::State)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut counts: BTreeMap<String, u64> = rows
            .into_iter()
            .map(|(state, n)| (state, u64::try_from(n).unwrap_or(0)))
            .collect();
        let states = def
            .states
            .iter()
            .map(|s| StateCount {
                id: s.id.to_string(),
                label: s.label.clone(),
                stage: s.stage,
                terminal: s.stage.is_terminal(),
                actor: s.actor,
                cases: counts.remove(s.id.as_str()).unwrap_or(0),
            })
            .collect();
        let transitions = def
            .transitions
            .iter()
            .map(|t| TransitionSummary {
                id: t.id.to_string(),
                label: t.label.clone(),
                from: t.from.iter().map(ToString::to_string).collect(),
                to: t.to.to_string(),
                by: t.by.clone(),
                require_comment: t.require_comment,
                guards: t.guards.iter().map(|g| g.explanation()).collect(),
            })
            .collect();
        Ok(WorkflowOverview {
            region: region.slug,
            region_name: region.name,
            name: def.name.clone(),
            version: def.version,
            valid_from: def.valid_from,
            valid_to: def.valid_to,
            initial: def.initial.to_string(),
            states,
            transitions,
            other_states: counts.into_iter().collect(),
        })
    }
}
