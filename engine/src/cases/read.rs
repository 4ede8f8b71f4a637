//! Reading a case as an actor sees it: the case view with the transitions they may take, and
//! the journal with its verification.

use super::file::CaseFile;
use super::view::{
    AvailableTransition, CaseKind, CaseView, DescriptionView, EconomicsView, EventView,
    JournalView, PartyRef, SignoffView, UserRef, WorkflowRef,
};
use super::{Engine, Visible};
use crate::actor::Actor;
use crate::domain::economics_summary::{self, PartyInfo, Sector};
use crate::error::EngineError;
use crate::policy::{self};
use crate::storage::entity::{app_user, organisation};
use crate::storage::journal::{self, ChainVerification};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, BTreeSet};

impl Engine {
    /// The case as `actor` sees it, with the transitions they may take now.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when it does not exist or is in another region.
    pub async fn case(&self, actor: &Actor, case_id: i64) -> Result<CaseView, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let file = CaseFile::load(&self.db, case_id).await?;
        self.view_of(actor, &visible, &file).await
    }

    /// The visible case as `actor` sees it, from its loaded file.
    pub(super) async fn view_of(
        &self,
        actor: &Actor,
        visible: &Visible,
        file: &CaseFile,
    ) -> Result<CaseView, EngineError> {
        let case = &visible.case;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let facts = self.facts_of(case, file, state).await?;
        let options = policy::transition_options(
            def,
            &state.id,
            &facts,
            &Self::case_actor(actor, visible),
            self.today(),
        );

        let mut user_ids: BTreeSet<i64> = file.signoffs.iter().map(|s| s.user_id).collect();
        user_ids.insert(case.proposer_user_id);
        if let Some((revision, _)) = &file.description {
            user_ids.insert(revision.author_user_id);
        }
        let users = self.user_refs(user_ids).await?;
        let user = |id: i64| {
            users.get(&id).cloned().unwrap_or(UserRef {
                id,
                name: String::new(),
            })
        };
        let mut party_ids: BTreeSet<i64> = file.lines.iter().map(|l| l.party_id).collect();
        party_ids.extend([case.giving_party_id, case.receiving_party_id]);
        let parties: BTreeMap<i64, organisation::Model> = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(party_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let party = |id: i64| {
            parties.get(&id).map_or(
                PartyRef {
                    id,
                    name: String::new(),
                    kind: String::new(),
                },
                |o| PartyRef {
                    id,
                    name: o.name.clone(),
                    kind: o.kind.clone(),
                },
            )
        };

        Ok(CaseView {
            id: case.id,
            number: case.number.clone(),
            region: visible.region.slug.clone(),
            region_name: visible.region.name.clone(),
            title: case.title.clone(),
            kind: CaseKind::parse(&case.kind).unwrap_or(CaseKind::Transfer),
            giving_party: party(case.giving_party_id),
            receiving_party: party(case.receiving_party_id),
            proposer: user(case.proposer_user_id),
            state: case.state.clone(),
            state_label: state.label.clone(),
            stage: state.stage,
            version: case.version,
            due_date: case.due_date,
            workflow: WorkflowRef {
                key: def.key.clone(),
                version: def.version,
            },
            created_at: case.created_at,
            updated_at: case.updated_at,
            description: file
                .description
                .as_ref()
                .map(|(revision, content)| DescriptionView {
                    revision: revision.revision,
                    author: user(revision.author_user_id),
                    revised_at: revision.created_at,
                    content: content.clone(),
                }),
            economics: EconomicsView {
                lines: file.lines.clone(),
                signoffs: file
                    .signoffs
                    .iter()
                    .filter_map(|s| {
                        Some(SignoffView {
                            side: s.side.parse().ok()?,
                            by: user(s.user_id),
                            signed_at: s.signed_at,
                            valid: file.signoff_valid(s),
                        })
                    })
                    .collect(),
                assumptions: case.economics_assumptions.clone(),
                summary: economics_summary::summarise(
                    &file.lines,
                    &parties
                        .values()
                        .map(|o| PartyInfo {
                            id: o.id,
                            name: o.name.clone(),
                            sector: Sector::of_kind(&o.kind),
                        })
                        .collect::<Vec<_>>(),
                    file.description
                        .as_ref()
                        .and_then(|(_, d)| d.volume_per_year),
                    def.fair_balance_percent,
                ),
            },
            available_transitions: options
                .into_iter()
                .map(|o| AvailableTransition {
                    id: o.transition.id.to_string(),
                    label: o.transition.label.clone(),
                    to: o.transition.to.to_string(),
                    requires_comment: o.transition.require_comment,
                    opens_hearing: def.hearing.is_some()
                        && def.state_by_str(o.transition.to.as_str()).map(|s| s.stage)
                            == Some(crate::workflow::Stage::Hearing),
                    blocked_by: o.blocked_by,
                })
                .collect(),
            public: case.public,
            kle: case.kle.clone(),
            implementation_on: case.implementation_on,
            follow_up_on: case.follow_up_on,
            external_references: self.external_references(case.id).await?,
            documents: self.document_views(case.id).await?,
            councils: self.councils_of_case(case, file).await?,
        })
    }

    pub(super) async fn user_refs(
        &self,
        ids: BTreeSet<i64>,
    ) -> Result<BTreeMap<i64, UserRef>, EngineError> {
        Ok(app_user::Entity::find()
            .filter(app_user::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| {
                (
                    u.id,
                    UserRef {
                        id: u.id,
                        name: u.name,
                    },
                )
            })
            .collect())
    }

    /// The case's journal, oldest first, and whether its hash chain verifies.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the case.
    pub async fn journal(&self, actor: &Actor, case_id: i64) -> Result<JournalView, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let events = journal::events_of(&self.db, case_id).await?;
        self.journal_of(&visible, events).await
    }

    /// The visible case's journal from its loaded events.
    pub(super) async fn journal_of(
        &self,
        visible: &Visible,
        events: Vec<crate::storage::entity::journal_event::Model>,
    ) -> Result<JournalView, EngineError> {
        let case_id = visible.case.id;
        let chain = journal::verify(&events);
        let users = self
            .user_refs(events.iter().filter_map(|e| e.actor_user_id).collect())
            .await?;
        Ok(JournalView {
            case_id,
            number: visible.case.number.clone(),
            events: events
                .into_iter()
                .map(|e| {
                    let actor = e.actor_user_id.and_then(|id| users.get(&id).cloned());
                    EventView::of(e, actor)
                })
                .collect(),
            chain,
        })
    }

    /// Verifies one case's hash chain, whoever asks (for operators and tests).
    ///
    /// # Errors
    /// A database error.
    pub async fn verify_journal(&self, case_id: i64) -> Result<ChainVerification, EngineError> {
        Ok(journal::verify(
            &journal::events_of(&self.db, case_id).await?,
        ))
    }
}

/// The organisations a case concerns: its giving and receiving party and every heard party.
pub(super) fn case_parties(
    case: &crate::storage::entity::handover_case::Model,
    file: &CaseFile,
) -> Vec<i64> {
    let heard = file
        .hearing
        .iter()
        .flat_map(|(_, parties)| parties.iter().map(|p| p.organisation_id));
    [case.giving_party_id, case.receiving_party_id]
        .into_iter()
        .chain(heard)
        .collect()
}
