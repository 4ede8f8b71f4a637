//! The case service: every change to a case — creation, description, economics, sign-off,
//! transition — is one transaction in which the case's version, its content, a journal event
//! and any outbox rows commit together or not at all. A change states the version it saw; a
//! stale one is refused with the current version.

mod agenda;
mod exports;
mod file;
pub mod implementation;
pub use exports::Export;
pub mod classification;
pub mod decision;
pub mod documents;
pub mod hearings;
pub mod list;
pub mod meetings;
pub mod revisions;
pub mod view;
// The meeting, decision, workflow and public screens.
pub mod hearing_page;
pub mod meeting_desk;
pub mod public;
pub mod workflow_overview;
// The case screens of the web application (issue 6).
pub mod actions;
pub mod tasks;

use crate::actor::Actor;
use crate::domain::calendar::danish_date;
use crate::domain::description::ProfessionalDescription;
use crate::domain::economics::EconomicsLine;
use crate::domain::economics_summary::{self, PartyInfo, Sector};
use crate::domain::ids::{StateId, TransitionId};
use crate::domain::role::{Role, Side};
use crate::error::{EngineError, FieldError};
use crate::idempotency::{self, Claim};
use crate::storage::db;
use crate::storage::entity::{
    app_user, description_revision, economics_line, economics_signoff, handover_case, organisation,
    region,
};
use crate::storage::journal::{self, ChainVerification, NewEvent};
use crate::storage::registry::{self, DefinitionKey};
use crate::storage::{numbers, outbox};
use crate::workflow::WorkflowSet;
use crate::workflow::definition::{Definition, Recipient, Section, State};
use crate::workflow::machine::{self, CaseActor};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use file::{CaseFile, Parts};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
pub use view::Committed;
use view::{
    AvailableTransition, CaseKind, CaseView, DescriptionView, EconomicsView, EventView,
    JournalView, PartyRef, SignoffView, UserRef, WorkflowRef,
};

/// Where the engine gets the time; tests fix it.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Longest comment accepted with a transition.
pub const MAX_COMMENT_CHARS: usize = 5_000;

/// Longest text of assumptions behind the economics.
pub const MAX_ASSUMPTIONS_CHARS: usize = 10_000;

/// A case to create.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub region: String,
    pub title: String,
    pub kind: String,
    pub giving_party_id: i64,
    pub receiving_party_id: i64,
}

/// The engine: the validated workflows and the database, and every operation on cases.
#[derive(Clone)]
pub struct Engine {
    db: DatabaseConnection,
    workflows: Arc<WorkflowSet>,
    definition_ids: BTreeMap<DefinitionKey, i64>,
    definition_keys: BTreeMap<i64, DefinitionKey>,
    clock: Clock,
    documents: crate::storage::documents::DocumentStore,
    /// The regions, read once at start: they come with the migrations and never change while
    /// the server runs, and nearly every request needs one.
    regions: Arc<Vec<region::Model>>,
    /// How long an `Idempotency-Key` claim without an answer counts as still running.
    idempotency_lease: chrono::Duration,
    /// The turns of this server's writers (on SQLite; PostgreSQL queues its own).
    writers: db::WriteQueue,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("definitions", &self.definition_ids.len())
            .finish_non_exhaustive()
    }
}

struct Visible {
    case: handover_case::Model,
    region: region::Model,
    roles: BTreeSet<Role>,
}

/// Columns of the case's row that a change sets together with its new version.
#[derive(Debug, Default)]
pub(crate) struct CaseRowChanges(Vec<(handover_case::Column, sea_orm::Value)>);

impl CaseRowChanges {
    pub(crate) fn none() -> Self {
        Self::default()
    }

    /// The case moves to `state`, due on `due_date` there.
    fn state(state: &StateId, due_date: Option<NaiveDate>) -> Self {
        Self::none()
            .set(handover_case::Column::State, state.as_str())
            .set(handover_case::Column::DueDate, due_date)
    }

    pub(crate) fn set(
        mut self,
        column: handover_case::Column,
        value: impl Into<sea_orm::Value>,
    ) -> Self {
        self.0.push((column, value.into()));
        self
    }
}

impl Engine {
    /// Registers the workflow definitions in the database and returns the engine.
    ///
    /// # Errors
    /// When a stored definition version has changed, or a database error.
    pub async fn start(
        db: DatabaseConnection,
        workflows: WorkflowSet,
    ) -> Result<Self, EngineError> {
        let definition_ids = registry::register(&db, &workflows, Utc::now()).await?;
        let definition_keys = definition_ids
            .iter()
            .map(|(k, v)| (*v, k.clone()))
            .collect();
        check_versions_in_use(&db, &definition_keys).await?;
        let regions = Arc::new(region::Entity::find().all(&db).await?);
        Ok(Self {
            writers: db::WriteQueue::open(&db).await?,
            regions,
            db,
            workflows: Arc::new(workflows),
            definition_ids,
            definition_keys,
            clock: Arc::new(Utc::now),
            documents: crate::storage::documents::DocumentStore::new("data/documents"),
            idempotency_lease: idempotency::LEASE,
        })
    }

    /// Keeps document bytes under `dir` (content-addressed).
    #[must_use]
    pub fn with_document_store(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.documents = crate::storage::documents::DocumentStore::new(dir);
        self
    }

    /// Uses `clock` for the time from now on.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Counts an `Idempotency-Key` claim without an answer as abandoned after `lease`
    /// instead of [`idempotency::LEASE`].
    #[must_use]
    pub fn with_idempotency_lease(mut self, lease: chrono::Duration) -> Self {
        self.idempotency_lease = lease;
        self
    }

    pub(crate) fn idempotency_lease(&self) -> chrono::Duration {
        self.idempotency_lease
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Begins a transaction that will write, in its turn among this server's writers.
    ///
    /// # Errors
    /// A database error, or no turn within [`db::WRITE_TURN_TIMEOUT`].
    pub async fn begin_write(&self) -> Result<db::WriteTransaction, sea_orm::DbErr> {
        self.writers.begin(&self.db).await
    }

    /// Reports each statement, on the pool and on the writer's connection alike, to
    /// `callback` (see [`DatabaseConnection::set_metric_callback`]).
    pub fn set_metric_callback<F>(&mut self, callback: F)
    where
        F: Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    {
        let callback = Arc::new(callback);
        let pool = callback.clone();
        self.db.set_metric_callback(move |info| pool(info));
        self.writers.set_metric_callback(move |info| callback(info));
    }

    /// Whether the database answers.
    ///
    /// # Errors
    /// The database error when it does not.
    pub async fn ping(&self) -> Result<(), EngineError> {
        Ok(self.db.ping().await?)
    }

    pub fn workflows(&self) -> &WorkflowSet {
        &self.workflows
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        journal::storable((self.clock)())
    }

    /// Today in Denmark.
    pub fn today(&self) -> NaiveDate {
        danish_date((self.clock)())
    }

    pub(crate) fn definition_of(
        &self,
        case: &handover_case::Model,
    ) -> Result<&Definition, EngineError> {
        let key = self
            .definition_keys
            .get(&case.workflow_id)
            .ok_or_else(|| EngineError::DefinitionMissing(format!("id {}", case.workflow_id)))?;
        self.workflows
            .definitions()
            .iter()
            .find(|d| d.region.as_str() == key.0 && d.key == key.1 && d.version == key.2)
            .ok_or_else(|| {
                EngineError::DefinitionMissing(format!("{} {} v{}", key.0, key.1, key.2))
            })
    }

    fn state_of<'d>(
        def: &'d Definition,
        case: &handover_case::Model,
    ) -> Result<&'d State, EngineError> {
        def.state_by_str(&case.state).ok_or_else(|| {
            EngineError::DefinitionMissing(format!(
                "{} v{} has no state `{}` (case {})",
                def.region, def.version, case.state, case.number
            ))
        })
    }

    /// The region with `id`; read from the database only when it was added after the start.
    pub(crate) async fn region_by_id(&self, id: i64) -> Result<Option<region::Model>, EngineError> {
        match self.regions.iter().find(|r| r.id == id) {
            Some(region) => Ok(Some(region.clone())),
            None => Ok(region::Entity::find_by_id(id).one(&self.db).await?),
        }
    }

    /// The region named by `slug`; read from the database only when it was added after the start.
    pub(crate) async fn region_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<region::Model>, EngineError> {
        match self.regions.iter().find(|r| r.slug == slug) {
            Some(region) => Ok(Some(region.clone())),
            None => Ok(region::Entity::find()
                .filter(region::Column::Slug.eq(slug))
                .one(&self.db)
                .await?),
        }
    }

    /// Loads a case the actor may see; another region's case is reported as not found.
    async fn visible(&self, actor: &Actor, case_id: i64) -> Result<Visible, EngineError> {
        const NOT_FOUND: EngineError = EngineError::NotFound { what: "case" };
        let case = handover_case::Entity::find_by_id(case_id)
            .one(&self.db)
            .await?
            .ok_or(NOT_FOUND)?;
        let region = self.region_by_id(case.region_id).await?.ok_or(NOT_FOUND)?;
        let roles = actor.roles_in(&region.slug).cloned().ok_or(NOT_FOUND)?;
        Ok(Visible {
            case,
            region,
            roles,
        })
    }

    /// The actor's roles on this case: `proposer` only for the case's own proposer.
    fn case_actor(actor: &Actor, visible: &Visible) -> CaseActor {
        let mut roles = visible.roles.clone();
        if visible.case.proposer_user_id != actor.user_id {
            roles.remove(&Role::Proposer);
        }
        CaseActor { roles }
    }

    fn check_version(case: &handover_case::Model, expected: i32) -> Result<(), EngineError> {
        if case.version == expected {
            Ok(())
        } else {
            Err(EngineError::Conflict {
                expected,
                current: case.version,
            })
        }
    }

    /// Moves the case's version on, only if it is still `expected`, and sets `changes` on the
    /// case's row in the same statement. This is the first write of every change, so it also
    /// takes the case's lock for the rest of the transaction; it answers where the case's
    /// journal stands under that lock, for the change's event to follow.
    async fn bump(
        &self,
        txn: &db::WriteTransaction,
        case_id: i64,
        expected: i32,
        changes: CaseRowChanges,
    ) -> Result<journal::Head, EngineError> {
        if let Some(head) = move_version(txn, case_id, Some(expected), self.now(), changes).await? {
            return Ok(head);
        }
        let current = handover_case::Entity::find_by_id(case_id)
            .one(txn)
            .await?
            .map_or(expected, |c| c.version);
        Err(EngineError::Conflict { expected, current })
    }

    /// Journals that `actor` tried `attempted` on the case and was refused, and hands the
    /// refusal back. The case's version does not move: a refusal changes nothing else.
    async fn refused(
        &self,
        actor: &Actor,
        case_id: i64,
        attempted: String,
        refusal: EngineError,
    ) -> EngineError {
        self.journal_refusal(actor, case_id, None, attempted, refusal)
            .await
    }

    /// As [`Engine::refused`], for a refusal decided on the case as it stood at version
    /// `seen`. The case and the file its guards read are loaded one after the other, so a
    /// change committed in between (a concurrent decision) can make guards fail that held
    /// for the version the actor saw. If the case has moved on, the actor is told 409 with
    /// the current version, as they would have been a moment later, and nothing is journalled.
    async fn refused_at(
        &self,
        actor: &Actor,
        case_id: i64,
        seen: i32,
        attempted: String,
        refusal: EngineError,
    ) -> EngineError {
        self.journal_refusal(actor, case_id, Some(seen), attempted, refusal)
            .await
    }

    async fn journal_refusal(
        &self,
        actor: &Actor,
        case_id: i64,
        seen: Option<i32>,
        attempted: String,
        refusal: EngineError,
    ) -> EngineError {
        let record = async {
            let txn = self.begin_write().await?;
            lock_case(&txn, case_id).await?;
            if let Some(seen) = seen {
                let current = handover_case::Entity::find_by_id(case_id)
                    .one(&txn)
                    .await?
                    .map_or(seen, |c| c.version);
                if current != seen {
                    txn.rollback().await?;
                    return Ok(Some(current));
                }
            }
            let event = NewEvent {
                kind: "refused",
                actor_user_id: Some(actor.user_id),
                payload: json!({ "attempted": attempted, "reason": refusal.to_string() }),
                ..Default::default()
            };
            journal::append(&txn, case_id, event, self.now()).await?;
            txn.commit().await.map(|()| None)
        };
        match record.await {
            Ok(Some(current)) => EngineError::Conflict {
                expected: seen.unwrap_or(current),
                current,
            },
            Ok(None) => refusal,
            Err(error) => {
                tracing::error!(%error, case_id, "could not journal a refusal");
                refusal
            }
        }
    }

    /// Which of the organisations `ids` are parties in region `region_id`, in one read.
    async fn parties_among(
        &self,
        region_id: i64,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<BTreeSet<i64>, EngineError> {
        let ids: BTreeSet<i64> = ids.into_iter().collect();
        Ok(organisation::Entity::find()
            .select_only()
            .column(organisation::Column::Id)
            .filter(organisation::Column::RegionId.eq(region_id))
            .filter(organisation::Column::Id.is_in(ids))
            .into_tuple::<i64>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect())
    }

    /// The region named by `slug`, if the actor holds `role` there.
    ///
    /// # Errors
    /// [`EngineError::Invalid`] for an unknown region; [`EngineError::Forbidden`] without the role.
    async fn region_to_act_in(
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
        let length = "give the case a title of 3 to 200 characters that names the task";
        problems.extend(crate::domain::text::single_line_name_problem(
            "title", &title, 3, 200, length,
        ));
        let kind = CaseKind::parse(&input.kind);
        if kind.is_none() {
            problems.push(FieldError::new(
                "kind",
                format!("unknown kind `{}`; use transfer or new_task", input.kind),
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
                problems.push(FieldError::new(field, format!("organisation {id} is not a party in {}; pick one from the region's parties", region.name)));
            }
        }
        if input.giving_party_id == input.receiving_party_id {
            problems.push(FieldError::new(
                "receiving_party",
                "the receiving party must differ from the giving party",
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
            search_text: Set(list::search_text(&title, &[])),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let event = NewEvent {
            kind: "created",
            actor_user_id: Some(actor.user_id),
            to_state: Some(def.initial.to_string()),
            payload: json!({
                "number": number, "title": title, "kind": kind.as_str(),
                "giving_party_id": input.giving_party_id, "receiving_party_id": input.receiving_party_id,
                "workflow": {"key": def.key, "version": def.version},
            }),
            ..Default::default()
        };
        journal::open(&txn, case.id, event, now).await?;
        let committed = Committed::of(&case);
        idempotency::record_commit(&txn, claim, &committed).await?;
        txn.commit().await?;
        Ok(committed)
    }

    /// The case as `actor` sees it, with the transitions they may take now.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when it does not exist or is in another region.
    pub async fn case(&self, actor: &Actor, case_id: i64) -> Result<CaseView, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        self.view(actor, &visible).await
    }

    async fn view(&self, actor: &Actor, visible: &Visible) -> Result<CaseView, EngineError> {
        let case = &visible.case;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let file = CaseFile::load(&self.db, case.id).await?;
        let facts = file.facts(case, self.today());
        let options = machine::options(def, &state.id, &facts, &Self::case_actor(actor, visible));

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
                    blocked_by: o.blocked_by,
                })
                .collect(),
            public: case.public,
            kle: case.kle.clone(),
            implementation_on: case.implementation_on,
            follow_up_on: case.follow_up_on,
            external_references: self.external_references(case.id).await?,
            documents: self.document_views(case.id).await?,
        })
    }

    async fn user_refs(&self, ids: BTreeSet<i64>) -> Result<BTreeMap<i64, UserRef>, EngineError> {
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

    /// Takes `transition` on the case: checks role and guards, then commits the new state, the
    /// journal event and the outbox rows in one transaction.
    ///
    /// # Errors
    /// [`EngineError::Conflict`] on a stale version; [`EngineError::Refused`] saying why the
    /// state machine refused; [`EngineError::Invalid`] for an over-long comment.
    pub async fn transition(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        transition: &str,
        comment: Option<&str>,
    ) -> Result<CaseView, EngineError> {
        self.commit_transition(actor, case_id, expected_version, transition, comment)
            .await?;
        self.case(actor, case_id).await
    }

    /// As [`Engine::transition`], answering only what was committed: the durable step itself.
    ///
    /// # Errors
    /// As [`Engine::transition`].
    pub async fn commit_transition(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        transition: &str,
        comment: Option<&str>,
    ) -> Result<Committed, EngineError> {
        self.commit_transition_keyed(actor, case_id, expected_version, transition, comment, None)
            .await
    }

    /// As [`Engine::commit_transition`], recording on `claim`'s `Idempotency-Key`, in the
    /// same transaction, that the transition was taken.
    ///
    /// # Errors
    /// As [`Engine::transition`]; [`EngineError::IdempotencyTakenOver`] when a retry took the
    /// key over, and nothing was changed.
    pub async fn commit_transition_keyed(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        transition: &str,
        comment: Option<&str>,
        claim: Option<&Claim>,
    ) -> Result<Committed, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let case = &visible.case;
        Self::check_version(case, expected_version)?;
        if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
            return Err(EngineError::invalid(
                "comment",
                format!(
                    "the comment is longer than {MAX_COMMENT_CHARS} characters; shorten it or attach a document"
                ),
            ));
        }
        let transition = TransitionId::parse(transition)
            .map_err(|e| EngineError::invalid("transition", e.to_string()))?;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let chosen = def.transitions_from(&state.id).find(|t| t.id == transition);
        // Only what the transition's guards check is read; an unknown transition is refused
        // by the machine without any.
        let parts = chosen.map_or(Parts::NONE, |t| Parts::for_guards(&t.guards));
        // Who the transition's mails go to is read alongside, on another connection.
        let no_rules = Vec::new();
        let rules = chosen.map_or(&no_rules, |t| &t.notify);
        let (file, directory) = tokio::try_join!(
            CaseFile::load_parts(&self.db, case.id, parts),
            outbox::Directory::read(&self.db, case, rules),
        )?;
        let facts = file.facts(case, self.today());
        let actor_on_case = Self::case_actor(actor, &visible);
        let decision = match machine::decide(
            def,
            &state.id,
            &facts,
            &actor_on_case,
            &transition,
            comment,
            self.today(),
        ) {
            Ok(decision) => decision,
            Err(refusal) => {
                let attempted = format!("transition {transition}");
                return Err(self
                    .refused_at(actor, case.id, case.version, attempted, refusal.into())
                    .await);
            }
        };
        let label = chosen.map(|t| t.label.clone());
        // A body's decision records the meeting it was taken at.
        let decided_at_meeting =
            chosen.is_some_and(|t| t.guards.contains(&crate::workflow::guard::Guard::OnAgenda));
        let meeting = decided_at_meeting
            .then(|| file.current_meeting(state.stage))
            .flatten()
            .map(|m| json!({ "id": m.id, "title": m.title, "held_on": m.held_on, "body": m.body }));
        let now = self.now();

        let txn = self.begin_write().await?;
        let head = self
            .bump(
                &txn,
                case.id,
                expected_version,
                CaseRowChanges::state(&decision.to, decision.due_date),
            )
            .await?;
        let event = NewEvent {
            kind: "transition",
            actor_user_id: Some(actor.user_id),
            transition: Some(decision.transition.to_string()),
            from_state: Some(decision.from.to_string()),
            to_state: Some(decision.to.to_string()),
            comment: decision.comment.clone(),
            payload: json!({ "label": label, "due_date": decision.due_date, "meeting": meeting }),
        };
        let event = journal::append_after(&txn, case.id, head, event, now).await?;
        outbox::enqueue_to(
            &txn,
            case,
            &directory,
            event.id,
            &decision.notifications,
            now,
        )
        .await?;
        let committed = Committed::after(case, Some(decision.to.as_str()));
        idempotency::record_commit(&txn, claim, &committed).await?;
        txn.commit().await?;
        Ok(committed)
    }

    fn may_edit(
        actor: &Actor,
        visible: &Visible,
        state: &State,
        section: Section,
        editors: &[Role],
    ) -> Result<(), EngineError> {
        let (name, action) = match section {
            Section::Description => (
                "professional description",
                "editing the professional description",
            ),
            Section::Economics => ("economic assessment", "editing the economic assessment"),
        };
        if !state.editable.contains(&section) {
            return Err(EngineError::NotEditable {
                section: name,
                state: state.id.to_string(),
            });
        }
        let roles = Self::case_actor(actor, visible).roles;
        if editors.iter().any(|r| roles.contains(r)) {
            Ok(())
        } else {
            Err(EngineError::Forbidden {
                action: action.into(),
                needed: editors.to_vec(),
            })
        }
    }

    /// Stores a new revision of the professional description; every revision is kept, and the
    /// journal records each changed field with its old and new value.
    ///
    /// # Errors
    /// [`EngineError::NotEditable`] outside the states that allow it; [`EngineError::Forbidden`]
    /// for the wrong role; [`EngineError::Invalid`] for fields over their limits;
    /// [`EngineError::Conflict`] on a stale version.
    pub async fn revise_description(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        description: ProfessionalDescription,
    ) -> Result<CaseView, EngineError> {
        self.commit_description(actor, case_id, expected_version, description)
            .await?;
        self.case(actor, case_id).await
    }

    /// As [`Engine::revise_description`], answering only what was committed.
    ///
    /// # Errors
    /// As [`Engine::revise_description`].
    pub async fn commit_description(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        description: ProfessionalDescription,
    ) -> Result<Committed, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let case = &visible.case;
        Self::check_version(case, expected_version)?;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let mut editors: Vec<Role> = state.actor.into_iter().collect();
        editors.push(Role::Secretariat);
        if let Err(refusal) = Self::may_edit(actor, &visible, state, Section::Description, &editors)
        {
            return Err(self
                .refused(
                    actor,
                    case.id,
                    "revise the professional description".into(),
                    refusal,
                )
                .await);
        }
        let violations = description.limit_violations();
        if !violations.is_empty() {
            return Err(EngineError::Invalid(
                violations
                    .into_iter()
                    .map(|(f, m)| FieldError::new(f, m))
                    .collect(),
            ));
        }
        let file = CaseFile::load_parts(&self.db, case.id, Parts::DESCRIPTION).await?;
        let previous = file
            .description
            .as_ref()
            .map(|(_, d)| d.clone())
            .unwrap_or_default();
        let changes = changed_fields(&previous, &description);
        if changes.is_empty() && file.description.is_some() {
            return Ok(Committed::of(case));
        }
        let revision = file.description.as_ref().map_or(1, |(r, _)| r.revision + 1);
        let content = serde_json::to_string(&description)
            .map_err(|e| EngineError::invalid("description", e.to_string()))?;
        let now = self.now();

        let searchable = list::search_text(&case.title, &description.texts());
        let txn = self.begin_write().await?;
        let head = self
            .bump(
                &txn,
                case.id,
                expected_version,
                CaseRowChanges::none().set(handover_case::Column::SearchText, searchable),
            )
            .await?;
        description_revision::ActiveModel {
            case_id: Set(case.id),
            revision: Set(revision),
            author_user_id: Set(actor.user_id),
            content: Set(content),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let event = NewEvent {
            kind: "description_revised",
            actor_user_id: Some(actor.user_id),
            payload: json!({ "revision": revision, "changes": changes }),
            ..Default::default()
        };
        journal::append_after(&txn, case.id, head, event, now).await?;
        txn.commit().await?;
        Ok(Committed::after(case, None))
    }

    /// Replaces the figures of the economic assessment. A change voids every sign-off given on
    /// the old figures, and the journal says so.
    ///
    /// # Errors
    /// As [`Engine::revise_description`], and [`EngineError::Invalid`] naming each bad line.
    pub async fn replace_economics(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        lines: Vec<EconomicsLine>,
        assumptions: Option<&str>,
    ) -> Result<CaseView, EngineError> {
        self.commit_economics(actor, case_id, expected_version, lines, assumptions)
            .await?;
        self.case(actor, case_id).await
    }

    /// As [`Engine::replace_economics`], answering only what was committed.
    ///
    /// # Errors
    /// As [`Engine::replace_economics`].
    pub async fn commit_economics(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        lines: Vec<EconomicsLine>,
        assumptions: Option<&str>,
    ) -> Result<Committed, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let case = &visible.case;
        Self::check_version(case, expected_version)?;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let editors = [Role::Economist, Role::Secretariat];
        if let Err(refusal) = Self::may_edit(actor, &visible, state, Section::Economics, &editors) {
            return Err(self
                .refused(
                    actor,
                    case.id,
                    "change the economic assessment".into(),
                    refusal,
                )
                .await);
        }
        let parties = self
            .parties_among(case.region_id, lines.iter().map(|l| l.party_id))
            .await?;
        let mut problems = economics_problems(&lines, &parties);
        if assumptions.is_some_and(|a| a.chars().count() > MAX_ASSUMPTIONS_CHARS) {
            problems.push(FieldError::new("assumptions", format!("write the assumptions in at most {MAX_ASSUMPTIONS_CHARS} characters; attach a document for more")));
        }
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems));
        }
        let file = CaseFile::load_parts(&self.db, case.id, Parts::FIGURES_AND_SIGNOFFS).await?;
        let mut sorted = lines.clone();
        sorted.sort();
        let new_assumptions = assumptions
            .map(|a| a.trim().to_owned())
            .filter(|a| *a != case.economics_assumptions);
        if sorted == file.lines && new_assumptions.is_none() {
            return Ok(Committed::of(case));
        }
        // Sign-offs hold for figures, not for the assumptions: only new figures void them.
        let voided: Vec<String> = if sorted == file.lines {
            Vec::new()
        } else {
            file.signoffs
                .iter()
                .filter(|s| file.signoff_valid(s))
                .map(|s| s.side.clone())
                .collect()
        };
        let now = self.now();

        let txn = self.begin_write().await?;
        let mut row = CaseRowChanges::none();
        if let Some(text) = &new_assumptions {
            row = row.set(handover_case::Column::EconomicsAssumptions, text.as_str());
        }
        let head = self.bump(&txn, case.id, expected_version, row).await?;
        if sorted != file.lines {
            economics_line::Entity::delete_many()
                .filter(economics_line::Column::CaseId.eq(case.id))
                .exec(&txn)
                .await?;
            if !sorted.is_empty() {
                economics_line::Entity::insert_many(sorted.iter().map(|line| {
                    economics_line::ActiveModel {
                        case_id: Set(case.id),
                        party_id: Set(line.party_id),
                        year: Set(line.year),
                        one_off_costs: Set(line.one_off_costs),
                        running_costs: Set(line.running_costs),
                        savings: Set(line.savings),
                        ..Default::default()
                    }
                }))
                .exec_without_returning(&txn)
                .await?;
            }
        }
        let event = NewEvent {
            kind: "economics_changed",
            actor_user_id: Some(actor.user_id),
            payload: json!({
                "before": file.lines,
                "after": sorted,
                "voided_signoffs": voided,
                "assumptions": new_assumptions.as_ref().map(|new| json!({ "old": case.economics_assumptions, "new": new })),
            }),
            ..Default::default()
        };
        let event = journal::append_after(&txn, case.id, head, event, now).await?;
        if sorted != file.lines {
            let rule = crate::workflow::definition::NotifyRule {
                template: "signoff_needed".into(),
                to: vec![
                    Recipient::Role(Role::Economist),
                    Recipient::Party(Side::Giving),
                    Recipient::Party(Side::Receiving),
                ],
            };
            outbox::enqueue(&txn, case, event.id, &[rule], now).await?;
        }
        txn.commit().await?;
        Ok(Committed::after(case, None))
    }

    /// Records that `side` accepts the current figures.
    ///
    /// # Errors
    /// [`EngineError::NotEditable`] when the state takes no sign-off from that side;
    /// [`EngineError::Forbidden`] unless the actor is an economist; [`EngineError::Invalid`]
    /// when there are no figures yet; [`EngineError::Conflict`] on a stale version.
    pub async fn sign_off_economics(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        side: Side,
    ) -> Result<CaseView, EngineError> {
        self.commit_signoff(actor, case_id, expected_version, side)
            .await?;
        self.case(actor, case_id).await
    }

    /// As [`Engine::sign_off_economics`], answering only what was committed.
    ///
    /// # Errors
    /// As [`Engine::sign_off_economics`].
    pub async fn commit_signoff(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        side: Side,
    ) -> Result<Committed, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let case = &visible.case;
        Self::check_version(case, expected_version)?;
        let def = self.definition_of(case)?;
        let state = Self::state_of(def, case)?;
        let refusal = if !state.signoff.contains(&side) {
            Some(EngineError::NotEditable {
                section: "economics sign-off",
                state: state.id.to_string(),
            })
        } else if !Self::case_actor(actor, &visible)
            .roles
            .contains(&Role::Economist)
        {
            Some(EngineError::Forbidden {
                action: "signing off the economics".into(),
                needed: vec![Role::Economist],
            })
        } else {
            // An economist of one of the parties signs only for that party's side; the region's
            // own economists (no organisation) sign on a party's behalf.
            let party = match side {
                Side::Giving => case.giving_party_id,
                Side::Receiving => case.receiving_party_id,
            };
            actor.organisation_id.filter(|o| *o != party).map(|_| EngineError::Forbidden {
                action: format!("signing off the economics for the {side} party (you belong to another organisation)"),
                needed: vec![Role::Economist],
            })
        };
        if let Some(refusal) = refusal {
            let attempted = format!("sign off the economics for the {side} party");
            return Err(self.refused(actor, case.id, attempted, refusal).await);
        }
        let file = CaseFile::load_parts(&self.db, case.id, Parts::FIGURES).await?;
        if file.lines.is_empty() {
            return Err(EngineError::invalid(
                "side",
                "there are no figures to sign off yet; the economic assessment must be filled in first",
            ));
        }
        let fingerprint = file.fingerprint();
        let now = self.now();

        let txn = self.begin_write().await?;
        let head = self
            .bump(&txn, case.id, expected_version, CaseRowChanges::none())
            .await?;
        economics_signoff::Entity::delete_many()
            .filter(economics_signoff::Column::CaseId.eq(case.id))
            .filter(economics_signoff::Column::Side.eq(side.as_str()))
            .exec(&txn)
            .await?;
        economics_signoff::ActiveModel {
            case_id: Set(case.id),
            side: Set(side.as_str().to_owned()),
            user_id: Set(actor.user_id),
            fingerprint: Set(fingerprint.clone()),
            signed_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let event = NewEvent {
            kind: "economics_signed_off",
            actor_user_id: Some(actor.user_id),
            payload: json!({ "side": side, "figures": fingerprint }),
            ..Default::default()
        };
        journal::append_after(&txn, case.id, head, event, now).await?;
        txn.commit().await?;
        Ok(Committed::after(case, None))
    }

    /// The case's journal, oldest first, and whether its hash chain verifies.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see the case.
    pub async fn journal(&self, actor: &Actor, case_id: i64) -> Result<JournalView, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        let events = journal::events_of(&self.db, case_id).await?;
        let chain = journal::verify(&events);
        let users = self
            .user_refs(events.iter().filter_map(|e| e.actor_user_id).collect())
            .await?;
        Ok(JournalView {
            case_id,
            number: visible.case.number,
            events: events
                .into_iter()
                .map(|e| EventView {
                    seq: e.seq,
                    occurred_at: e.occurred_at,
                    actor: e.actor_user_id.and_then(|id| users.get(&id).cloned()),
                    kind: e.kind,
                    transition: e.transition,
                    from_state: e.from_state,
                    to_state: e.to_state,
                    comment: e.comment,
                    details: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
                    hash: e.hash,
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

/// The fields that differ between two descriptions, each with its old and new value.
fn changed_fields(
    old: &ProfessionalDescription,
    new: &ProfessionalDescription,
) -> Vec<serde_json::Value> {
    let (serde_json::Value::Object(old), serde_json::Value::Object(new)) = (json!(old), json!(new))
    else {
        return Vec::new();
    };
    new.iter()
        .filter(|(key, value)| old.get(*key) != Some(value))
        .map(|(key, value)| json!({ "field": key, "old": old.get(key), "new": value }))
        .collect()
}

/// Problems with a set of economic lines, each naming the line and field.
fn economics_problems(lines: &[EconomicsLine], parties: &BTreeSet<i64>) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if lines.len() > 1_000 {
        problems.push(FieldError::new(
            "lines",
            "at most 1000 lines; one per party and year",
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        for (field, message) in line.violations() {
            problems.push(FieldError::new(format!("lines[{i}].{field}"), message));
        }
        if !parties.contains(&line.party_id) {
            problems.push(FieldError::new(
                format!("lines[{i}].party_id"),
                format!(
                    "organisation {} is not a party in the case's region",
                    line.party_id
                ),
            ));
        }
        if !(2000..=2100).contains(&line.year) {
            problems.push(FieldError::new(
                format!("lines[{i}].year"),
                format!("year {} is outside 2000–2100", line.year),
            ));
        }
        if !seen.insert((line.party_id, line.year)) {
            problems.push(FieldError::new(
                format!("lines[{i}]"),
                format!(
                    "party {} has two lines for {}; merge them into one",
                    line.party_id, line.year
                ),
            ));
        }
    }
    problems
}

/// Every definition version a stored case uses must be loaded, or its cases could not move.
async fn check_versions_in_use(
    db: &DatabaseConnection,
    loaded: &BTreeMap<i64, DefinitionKey>,
) -> Result<(), EngineError> {
    use crate::storage::entity::workflow_definition;
    use sea_orm::QuerySelect;
    let used: Vec<i64> = handover_case::Entity::find()
        .select_only()
        .column(handover_case::Column::WorkflowId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let Some(id) = used.into_iter().find(|id| !loaded.contains_key(id)) else {
        return Ok(());
    };
    let stored = workflow_definition::Entity::find_by_id(id).one(db).await?;
    let name = stored.map_or_else(
        || format!("id {id}"),
        |d| format!("{} {} v{}", d.region, d.key, d.version),
    );
    Err(EngineError::DefinitionMissing(format!(
        "{name}: stored cases use it; keep its file in workflows/ (e.g. as <region>-<label>.toml)"
    )))
}

/// Locks a case's row without changing it, so an append to its journal cannot take the same
/// place in the chain as a concurrent change.
///
/// # Errors
/// A database error.
pub(crate) async fn lock_case(
    txn: &db::WriteTransaction,
    case_id: i64,
) -> Result<(), sea_orm::DbErr> {
    handover_case::Entity::update_many()
        .col_expr(
            handover_case::Column::Version,
            Expr::col(handover_case::Column::Version),
        )
        .filter(handover_case::Column::Id.eq(case_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Moves the case's version on and locks its row: the guards' facts changed.
pub(crate) async fn touch(
    txn: &db::WriteTransaction,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<(), EngineError> {
    move_version(txn, case_id, None, now, CaseRowChanges::none()).await?;
    Ok(())
}

/// Moves the case's version on (only from `expected`, if given) with `changes`, and reads the
/// head of its journal in the same statement, under the row lock the update takes. `None` when
/// no row was updated: the case is gone or at another version.
async fn move_version(
    txn: &db::WriteTransaction,
    case_id: i64,
    expected: Option<i32>,
    now: DateTime<Utc>,
    changes: CaseRowChanges,
) -> Result<Option<journal::Head>, EngineError> {
    use handover_case::Column;
    use sea_orm::sea_query::{Query, ReturningClause};
    let mut update = Query::update();
    update
        .table(handover_case::Entity)
        .value(Column::Version, Expr::col(Column::Version).add(1))
        .value(Column::UpdatedAt, Expr::value(now))
        .and_where(Expr::col(Column::Id).eq(case_id));
    if let Some(expected) = expected {
        update.and_where(Expr::col(Column::Version).eq(expected));
    }
    for (column, value) in changes.0 {
        update.value(column, Expr::value(value));
    }
    update.returning(ReturningClause::Exprs(journal::head_exprs(case_id)));
    match txn.query_one(&update).await? {
        Some(row) => Ok(Some(journal::Head::from_row(&row)?)),
        None => Ok(None),
    }
}
