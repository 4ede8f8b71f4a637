//! Reminders: a state's deadline approaching and passed, a hearing closing with answers
//! missing, and after approval the planned day the task moves and the follow-up. Each is enqueued at most once per case, kind, state and due date — a unique key in
//! the database, so it survives restarts and several servers — and none is sent once the case
//! has moved on, because the check is made against the case as it is now.

use crate::cases::Engine;
use crate::cases::lock_case;
use crate::domain::role::{Role, Side};
use crate::domain::text::Label;
use crate::error::EngineError;
use crate::journal_event::CaseEvent;
use crate::storage::entity::{handover_case, reminder};
use crate::storage::journal::{self, NewEvent};
use crate::storage::outbox;
use crate::workflow::Stage;
use crate::workflow::definition::{NotifyRule, Recipient};
use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use std::collections::BTreeSet;

/// The mail templates reminders use; they must exist.
pub const REMINDER_TEMPLATES: [&str; 5] = [
    "deadline_near",
    "deadline_passed",
    "hearing_closing",
    "implementation_due",
    "follow_up_due",
];

/// Cases a round reads at a time.
const BATCH: u64 = 500;

/// What a reminder round reads: see [`Reminders::window`].
struct Window {
    horizon: NaiveDate,
    open_states: BTreeSet<String>,
    hearing_states: BTreeSet<String>,
}

/// Working days before a hearing's deadline when missing answers are chased.
const HEARING_REMINDER_DAYS: u32 = 2;

#[derive(Clone, Debug)]
pub struct Reminders {
    engine: Engine,
    /// Working days before a deadline when the reminder goes out.
    days_before: u32,
}

impl Reminders {
    pub fn new(engine: Engine, days_before: u32) -> Self {
        Self {
            engine,
            days_before,
        }
    }

    /// Enqueues every reminder due now; returns how many.
    ///
    /// # Errors
    /// A database error.
    pub async fn run_once(&self) -> Result<usize, EngineError> {
        let round = self.round().await;
        self.engine.counters().count_reminder_run(round.is_err());
        round
    }

    async fn round(&self) -> Result<usize, EngineError> {
        let today = self.engine.today();
        let window = self.window(today);
        let mut enqueued = 0;
        let mut after = 0;
        loop {
            let cases = handover_case::Entity::find()
                .filter(handover_case::Column::Id.gt(after))
                .filter(handover_case::Column::State.is_in(window.open_states.iter().cloned()))
                .filter(
                    Condition::any()
                        .add(handover_case::Column::DueDate.lte(window.horizon))
                        .add(handover_case::Column::ImplementationOn.lte(window.horizon))
                        .add(handover_case::Column::FollowUpOn.lte(window.horizon))
                        .add(
                            handover_case::Column::State
                                .is_in(window.hearing_states.iter().cloned()),
                        ),
                )
                .order_by_asc(handover_case::Column::Id)
                .limit(BATCH)
                .all(self.engine.db())
                .await?;
            let Some(last) = cases.last() else {
                return Ok(enqueued);
            };
            after = last.id;
            for case in &cases {
                enqueued += self.remind(case, today).await?;
            }
        }
    }

    /// Which cases a round must look at: those in a state that is not terminal, with a date
    /// that falls within the reminder period of the most generous calendar, or in a hearing
    /// (whose own deadline is on the hearing). Years of closed cases and cases due next month
    /// are left in the database.
    fn window(&self, today: NaiveDate) -> Window {
        let mut window = Window {
            horizon: today,
            open_states: BTreeSet::new(),
            hearing_states: BTreeSet::new(),
        };
        for def in self.engine.workflows().definitions() {
            let reach = self.days_before.max(HEARING_REMINDER_DAYS);
            window.horizon = window
                .horizon
                .max(def.calendar.add_working_days(today, reach));
            for state in &def.states {
                if !state.stage.is_terminal() {
                    window.open_states.insert(state.id.to_string());
                }
                if state.stage == Stage::Hearing {
                    window.hearing_states.insert(state.id.to_string());
                }
            }
        }
        window
    }

    /// Enqueues the reminders due now for one case; returns how many.
    async fn remind(
        &self,
        case: &handover_case::Model,
        today: NaiveDate,
    ) -> Result<usize, EngineError> {
        let mut enqueued = 0;
        let Ok(def) = self.engine.definition_of(case) else {
            return Ok(0);
        };
        let Some(state) = def.state_by_str(&case.state) else {
            return Ok(0);
        };
        if state.stage.is_terminal() {
            return Ok(0);
        }
        if let (Some(due), Some(actor)) = (case.due_date, state.actor) {
            let near = def.calendar.add_working_days(today, self.days_before) >= due;
            let kind = if today > due {
                Some("deadline_passed")
            } else if near {
                Some("deadline_near")
            } else {
                None
            };
            let to = if actor == Role::Proposer {
                Recipient::Proposer
            } else {
                Recipient::Role(actor)
            };
            if let Some(kind) = kind
                && self
                    .enqueue_once(
                        case,
                        kind,
                        due,
                        vec![to, Recipient::Role(Role::Secretariat)],
                    )
                    .await?
            {
                enqueued += 1;
            }
        }
        let parties = || {
            vec![
                Recipient::Proposer,
                Recipient::Party(Side::Giving),
                Recipient::Party(Side::Receiving),
                Recipient::Role(Role::Secretariat),
            ]
        };
        let near = |date| def.calendar.add_working_days(today, self.days_before) >= date;
        if state.stage == Stage::Implementation
            && let Some(moves_on) = case.implementation_on
            && near(moves_on)
            && self
                .enqueue_once(case, "implementation_due", moves_on, parties())
                .await?
        {
            enqueued += 1;
        }
        if matches!(state.stage, Stage::Implementation | Stage::FollowUp)
            && let Some(follow_up) = case.follow_up_on
            && near(follow_up)
            && self
                .enqueue_once(case, "follow_up_due", follow_up, parties())
                .await?
        {
            enqueued += 1;
        }
        if state.stage == Stage::Hearing
            && let Some(hearing) = self.engine.open_hearing_parties(case, today).await?
            && def.calendar.add_working_days(today, HEARING_REMINDER_DAYS) >= hearing.0
            && !hearing.1.is_empty()
        {
            let to = hearing.1.into_iter().map(Recipient::Organisation).collect();
            if self
                .enqueue_once(case, "hearing_closing", hearing.0, to)
                .await?
            {
                enqueued += 1;
            }
        }
        Ok(enqueued)
    }

    /// Runs rounds until the process stops.
    pub async fn run(self, every: std::time::Duration) {
        loop {
            match self.run_once().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "reminders enqueued"),
                Err(error) => tracing::warn!(%error, "reminder round failed; retrying"),
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Records the reminder and enqueues its mails in one transaction, unless it was sent before.
    async fn enqueue_once(
        &self,
        case: &handover_case::Model,
        kind: &'static str,
        due: NaiveDate,
        to: Vec<Recipient>,
    ) -> Result<bool, EngineError> {
        // Most rounds find the reminder recorded already; a read says so without queueing
        // for the write lock.
        let recorded = reminder::Entity::find()
            .filter(reminder::Column::CaseId.eq(case.id))
            .filter(reminder::Column::Kind.eq(kind))
            .filter(reminder::Column::State.eq(case.state.as_str()))
            .filter(reminder::Column::DueOn.eq(due))
            .one(self.engine.db())
            .await?;
        if recorded.is_some() {
            return Ok(false);
        }
        let now = self.engine.now();
        let txn = self.engine.begin_write().await?;
        let claim = reminder::ActiveModel {
            case_id: Set(case.id),
            kind: Set(kind.to_owned()),
            state: Set(case.state.clone()),
            due_on: Set(due),
            created_at: Set(now),
            ..Default::default()
        };
        let inserted = reminder::Entity::insert(claim)
            .on_conflict(
                OnConflict::columns([
                    reminder::Column::CaseId,
                    reminder::Column::Kind,
                    reminder::Column::State,
                    reminder::Column::DueOn,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        if inserted == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        lock_case(&txn, case.id).await?;
        let label = match kind {
            "deadline_passed" => Label::new(
                "Påmindelse: fristen er overskredet",
                "Reminder: the deadline has passed",
            ),
            "hearing_closing" => Label::new(
                "Påmindelse: høringen lukker snart",
                "Reminder: the hearing closes soon",
            ),
            "implementation_due" => Label::new(
                "Påmindelse: opgaven overgår snart",
                "Reminder: the task moves soon",
            ),
            "follow_up_due" => Label::new(
                "Påmindelse: opfølgningen nærmer sig",
                "Reminder: the follow-up is due soon",
            ),
            _ => Label::new(
                "Påmindelse: fristen nærmer sig",
                "Reminder: the deadline is near",
            ),
        };
        let event = NewEvent::from_event(
            None,
            CaseEvent::Reminder {
                to_state: case.state.clone(),
                reminder: kind.to_owned(),
                due_date: due,
                label,
            },
        );
        let event = journal::append(&txn, case.id, event, now).await?;
        outbox::enqueue(
            &txn,
            case,
            event.id,
            &[NotifyRule {
                template: kind.to_owned(),
                to,
            }],
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }
}
