//! The case service: every change to a case — creation, description, economics, sign-off,
//! transition — is one transaction in which the case's version, its content, a journal event
//! and any outbox rows commit together or not at all. A change states the version it saw; a
//! stale one is refused with the current version.

mod agenda;
mod case_councils;
mod create;
mod description;
mod economics;
mod exports;
mod hearing_open;
mod meeting_changes;
mod read;
pub mod reform;
mod transition;
mod write;
pub use create::NewCase;
pub use economics::MAX_ASSUMPTIONS_CHARS;
pub use hearing_open::{HearingRequest, IntoHearing};
pub use meeting_changes::{MAX_CANCEL_REASON_CHARS, MeetingChange};
pub use transition::MAX_COMMENT_CHARS;
pub(crate) use write::{CaseRowChanges, lock_case};
mod file;
pub mod implementation;
pub use exports::Export;
pub mod classification;
pub mod documents;
pub mod hearings;
pub mod list;
pub mod meetings;
pub mod next_step;
pub mod page;
pub mod portfolio;
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
use crate::domain::role::Role;
use crate::error::EngineError;
use crate::idempotency::{self};
use crate::policy::{self, CaseActor, case::CaseAction, case::CaseContext};
use crate::storage::db;
use crate::storage::entity::{handover_case, organisation, region};
use crate::storage::journal::{self};
use crate::storage::registry::{self, DefinitionKey};
use crate::workflow::WorkflowSet;
use crate::workflow::definition::{Definition, State};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
pub use view::Committed;

/// Where the engine gets the time; tests fix it.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A clock on the Danish date `day`, at the time of day it is now: for a demonstration of a
/// later model, or a rehearsal on a copy of the database.
pub fn clock_on(day: NaiveDate) -> Clock {
    let offset = move || {
        let today = danish_date(Utc::now());
        (day - today).num_days()
    };
    Arc::new(move || Utc::now() + chrono::Duration::days(offset()))
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
    /// Counts of steps and reminder runs since start, for the operator's `/metrics`.
    pub(crate) counters: Arc<crate::operations::StepCounters>,
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
            counters: Arc::default(),
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

    /// The name of the region `slug` ("Region Syddanmark") as read at the start, for the pages'
    /// headers; `None` for a region added since.
    pub fn region_name(&self, slug: &str) -> Option<&str> {
        self.regions
            .iter()
            .find(|r| r.slug == slug)
            .map(|r| r.name.as_str())
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

    /// The actor as the policy sees them on this case.
    fn case_actor(actor: &Actor, visible: &Visible) -> CaseActor {
        CaseActor::on_case(
            actor,
            &visible.region.slug,
            &visible.roles,
            visible.case.proposer_user_id,
        )
    }

    /// Loads the case `actor` may see, as it stands at the version they saw.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] for a case they may not see; [`EngineError::Conflict`] when
    /// it moved on from `expected_version`.
    async fn visible_at(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
    ) -> Result<Visible, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        Self::check_version(&visible.case, expected_version)
            .inspect_err(|_| self.counters.count_step(false))?;
        Ok(visible)
    }

    /// As [`Engine::visible_at`], when the policy allows `actor` to take `action` on it.
    ///
    /// # Errors
    /// As [`Engine::visible_at`] and [`Engine::permit`].
    async fn permitted_at(
        &self,
        actor: &Actor,
        case_id: i64,
        expected_version: i32,
        action: CaseAction,
    ) -> Result<Visible, EngineError> {
        // The role first: a caller who may not act at all hears so, whatever version they sent.
        let visible = self.visible(actor, case_id).await?;
        let permitted = self.permit(actor, &visible, action).await;
        permitted
            .and_then(|()| Self::check_version(&visible.case, expected_version))
            .inspect_err(|_| self.counters.count_step(false))?;
        Ok(visible)
    }

    /// Asks the policy whether `actor` may take `action` on the visible case; a refusal of
    /// their role or of the case's state is journaled.
    ///
    /// # Errors
    /// The policy's refusal.
    async fn permit(
        &self,
        actor: &Actor,
        visible: &Visible,
        action: CaseAction,
    ) -> Result<(), EngineError> {
        let case = &visible.case;
        let def = self.definition_of(case)?;
        let context = CaseContext {
            def,
            state: Self::state_of(def, case)?,
            giving_party_id: case.giving_party_id,
            receiving_party_id: case.receiving_party_id,
        };
        match policy::case::check(&context, &Self::case_actor(actor, visible), action) {
            Ok(()) => Ok(()),
            Err(refusal) if policy::case::is_journaled(&refusal) => Err(self
                .refused(actor, case.id, action.attempted(), refusal)
                .await),
            Err(other) => Err(other),
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
