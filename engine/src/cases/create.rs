//! Creating a case: the proposer's region, a gap-free number, the workflow in force today.

use super::Engine;
use super::view::Committed;
use super::view::{CaseKind, CaseView};
use crate::actor::Actor;
use crate::domain::role::Role;
use crate::error::{EngineError, FieldError};
use crate::idempotency::{self, Claim};
use crate::journal_event::{CaseEvent, WorkflowVersion};
use crate::storage::entity::{handover_case, region};
use crate::storage::journal::{self, NewEvent};
use crate::storage::numbers;
use chrono::Datelike;
use sea_orm::{ActiveModelTrait, Set};

/// A case to create.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub region: String,
    pub title: String,
    pub kind: String,
    pub giving_party_id: i64,
    pub receiving_party_id: i64,
}

impl Engine {
    /// The region named by `slug`, if the actor holds `role` there.
    ///
    /// # Errors
    /// [`EngineError::Invalid`] for an unknown region; [`EngineError::Forbidden`] without the role.
    pub(super) async fn region_to_act_in(
        &self,
        actor: &Actor,
        slug: &str,
        role: Role,
        action: &str,
    ) -> Result<region::Model, EngineError> {
        let Some(region) = self.region_by_slug(slug.trim()).await? else {
            return Err(EngineError::invalid(
                "region",
                format!("unknown region `{slug}`"),
                format!("regionen »{slug}« findes ikke"),
            ));
        };
        if actor.has_role(&region.slug, role) {
            Ok(region)
        } else {
            Err(EngineError::Forbidden {
                action: format!("{action} in {}", region.name),
                needed: vec![role],
            })
        }
    }

    /// Creates a case in the region's workflow in force today, with a gap-free number.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is a proposer in the region;
    /// [`EngineError::Invalid`] naming each bad field; [`EngineError::NoWorkflow`].
    pub async fn create_case(
        &self,
        actor: &Actor,
        input: NewCase,
    ) -> Result<CaseView, EngineError> {
        let committed = self.commit_case(actor, input).await?;
        self.case(actor, committed.id).await
    }

    /// As [`Engine::create_case`], answering only what was committed.
    ///
    /// # Errors
    /// As [`Engine::create_case`].
    pub async fn commit_case(
        &self,
        actor: &Actor,
        input: NewCase,
    ) -> Result<Committed, EngineError> {
        self.commit_case_keyed(actor, input, None).await
    }

    /// As [`Engine::commit_case`], recording on `claim`'s `Idempotency-Key`, in the same
    /// transaction, that the case was created.
    ///
    /// # Errors
    /// As [`Engine::create_case`]; [`EngineError::IdempotencyTakenOver`] when a retry took
    /// the key over, and nothing was created.
    pub async fn commit_case_keyed(
        &self,
        actor: &Actor,
        input: NewCase,
        claim: Option<&Claim>,
    ) -> Result<Committed, EngineError> {
        let region = self
            .region_to_act_in(actor, &input.region, Role::Proposer, "creating a case")
            .await?;
        let mut problems = Vec::new();
        let title = input.title.trim().to_owned();
        let length = crate::domain::text::Label::new(
            "giv sagen en titel på 3 til 200 tegn, der nævner opgaven",
            "give the case a title of 3 to 200 characters that names the task",
        );
        problems.extend(crate::domain::text::single_line_name_problem(
            "title", &title, 3, 200, &length,
        ));
        let kind = CaseKind::parse(&input.kind);
        if kind.is_none() {
            problems.push(FieldError::new(
                "kind",
                format!("unknown kind `{}`; use transfer or new_task", input.kind),
                format!(
                    "sagstypen »{}« findes ikke; vælg opgaveoverdragelse eller ny opgave",
                    input.kind
                ),
            ));
        }
        let parties = self
            .parties_among(region.id, [input.giving_party_id, input.receiving_party_id])
            .await?;
        for (field, id) in [
            ("giving_party", input.giving_party_id),
            ("receiving_party", input.receiving_party_id),
        ] {
            if !parties.contains(&id) {
                problems.push(FieldError::new(
                    field,
                    format!("organisation {id} is not a party in {}; pick one from the region's parties", region.name),
                    format!("organisation {id} er ikke en part i {}; vælg en af regionens parter", region.name),
                ));
            }
        }
        if input.giving_party_id == input.receiving_party_id {
            problems.push(FieldError::new(
                "receiving_party",
                "the receiving party must differ from the giving party",
                "den modtagende part skal være en anden end den afgivende part",
            ));
        }
        let (Some(kind), true) = (kind, problems.is_empty()) else {
            return Err(EngineError::Invalid(problems));
        };

        let today = self.today();
        let def = self
            .workflows
            .in_force(&region.slug, today)
            .ok_or_else(|| EngineError::NoWorkflow {
                region: region.slug.clone(),
                date: today,
            })?;
        let workflow_id =
            self.definition_ids[&(def.region.to_string(), def.key.clone(), def.version)];
        let initial = def
            .state(&def.initial)
            .ok_or_else(|| EngineError::DefinitionMissing(def.initial.to_string()))?;
        let due_date = initial
            .due_days
            .map(|d| def.calendar.add_working_days(today, d));
        let now = self.now();

        let txn = self.begin_write().await?;
        let seq = numbers::next_seq(&txn, region.id, today.year()).await?;
        let number = numbers::format_number(&def.case_prefix, today.year(), seq);
        let case = handover_case::ActiveModel {
            region_id: Set(region.id),
            workflow_id: Set(workflow_id),
            number: Set(number.clone()),
            title: Set(title.clone()),
            kind: Set(kind.as_str().to_owned()),
            giving_party_id: Set(input.giving_party_id),
            receiving_party_id: Set(input.receiving_party_id),
            proposer_user_id: Set(actor.user_id),
            state: Set(def.initial.to_string()),
            version: Set(1),
            due_date: Set(due_date),
            created_at: Set(now),
            updated_at: Set(now),
            search_text: Set(super::list::search_text(&title, &[])),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let event = NewEvent::from_event(
            Some(actor.user_id),
            CaseEvent::Created {
                to_state: def.initial.to_string(),
                number,
                title,
                kind,
                giving_party_id: input.giving_party_id,
                receiving_party_id: input.receiving_party_id,
                workflow: WorkflowVersion {
                    key: def.key.clone(),
                    version: def.version,
                },
            },
        );
        journal::open(&txn, case.id, event, now).await?;
        let committed = Committed::of(&case);
        idempotency::record_commit(&txn, claim, &committed).await?;
        txn.commit().await?;
        self.counters.count_step(true);
        Ok(committed)
    }
}
