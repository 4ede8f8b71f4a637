//! The mail worker: claims due outbox rows (with a lease, and `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL so several servers never take the same row), renders each in its recipient's
//! language, sends it, and records the outcome. Delivery is at-least-once: a crash after the
//! server accepted a mail but before it was marked sent resends it when the lease runs out;
//! the stable Message-ID lets mail clients fold such a duplicate. A worker renews the lease
//! of each row just before sending it and skips a row whose lease another worker has taken
//! over meanwhile, so a round slower than the lease does not send anything twice.

use super::templates::{DigestContext, DigestItem, MailContext, MailTemplates, RenderedMail};
use super::transport::{SendError, Transport};
use crate::cases::Engine;
use crate::cases::view::CaseKind;
use crate::domain::calendar::{danish_date as danish_date_of, latest_danish_hour};
use crate::error::EngineError;
use crate::journal_event::CaseEvent;
use crate::render::danish::danish_date;
use crate::storage::entity::{
    app_user, handover_case, journal_event, organisation, outbox, region,
};
use crate::storage::outbox::{DIGEST, FAILED, PENDING};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Order, Query};
use sea_orm::{ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use std::sync::Arc;

const SENDING: &str = "sending";
/// A held row claimed by a digest round.
const DIGEST_SENDING: &str = "digest_sending";
/// The hour (Danish time) when the daily digest goes out.
pub const DIGEST_HOUR: u32 = 7;
const SENT: &str = "sent";
/// Transient failures are retried this many times before the row is marked failed.
pub const MAX_ATTEMPTS: i32 = 12;
/// The rows one round of [`Deliverer::run`] claims.
const BATCH: u64 = 50;
/// How long a worker may hold a claimed row before another may take it, unless
/// [`Deliverer::with_lease`] says otherwise. A worker killed while it holds rows leaves them
/// unsent for this long; then any worker sends them.
pub const LEASE: Duration = Duration::minutes(10);

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Rows this worker claimed but another took over when the lease ran out before their
    /// turn came: left to that worker, not sent twice.
    pub overtaken: usize,
}

/// Sends the outbox.
#[derive(Clone, Debug)]
pub struct Deliverer {
    engine: Engine,
    templates: Arc<MailTemplates>,
    transport: Transport,
    from: Mailbox,
    public_url: String,
    domain: String,
    lease: Duration,
}

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = Ord::max(attempts.clamp(0, 20) - 1, 0);
    Duration::seconds(Ord::min(30_i64 << doublings, 3_600))
}

/// A mail's text as it stands in a digest: without its own greeting and sign-off, which the
/// digest has once.
fn digest_excerpt(text: &str) -> String {
    let mut paragraphs: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if paragraphs
        .first()
        .is_some_and(|p| p.starts_with("Kære ") || p.starts_with("Dear "))
    {
        paragraphs.remove(0);
    }
    if paragraphs
        .last()
        .is_some_and(|p| p.starts_with("Med venlig hilsen") || p.starts_with("Kind regards"))
    {
        paragraphs.pop();
    }
    paragraphs.join("\n\n")
}

fn format_date(date: NaiveDate, lang: &str) -> String {
    if lang == "en" {
        date.format("%-d %B %Y").to_string()
    } else {
        danish_date(date)
    }
}

impl Deliverer {
    /// # Errors
    /// When `from` is not a mail address.
    pub fn new(
        engine: Engine,
        templates: Arc<MailTemplates>,
        transport: Transport,
        from: &str,
        public_url: &str,
    ) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("OVERDRAG_MAIL_FROM `{from}` is not a mail address: {e}"))?;
        let public_url = public_url.trim_end_matches('/').to_owned();
        let domain = from.email.domain().to_owned();
        Ok(Self {
            engine,
            templates,
            transport,
            from,
            public_url,
            domain,
            lease: LEASE,
        })
    }

    /// Holds claimed rows for `lease` instead of [`LEASE`]. Shorter means mail held by a
    /// crashed worker goes out sooner; it must stay well above the time one round takes, or
    /// a slow round's rows are claimed (and sent) a second time.
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sends every due row, `limit` at most, and says what happened.
    ///
    /// # Errors
    /// A database error; failures to send are recorded on the rows, not returned.
    pub async fn run_once(&self, limit: u64) -> Result<DeliveryRound, EngineError> {
        let claimed = self.claim(limit).await?;
        self.deliver(claimed).await
    }

    /// Sends rows this worker claimed, one after the other. Each is sent only if this worker
    /// still holds its lease when the row's turn comes (and the lease is renewed then): a
    /// round slower than the lease finds the rows it no longer holds taken over by another
    /// worker, and leaves them to it rather than sending them twice.
    async fn deliver(&self, rows: Vec<outbox::Model>) -> Result<DeliveryRound, EngineError> {
        let mut round = DeliveryRound::default();
        for mut row in rows {
            if !self.renew(&mut row, SENDING).await? {
                round.overtaken += 1;
                continue;
            }
            let outcome = match self.message(&row).await {
                Ok(message) => {
                    self.transport
                        .send(&message, &format!("{:06}-{}", row.id, row.template))
                        .await
                }
                Err(reason) => Err(SendError::Permanent(reason)),
            };
            match &outcome {
                Ok(_) => round.sent += 1,
                Err(SendError::Transient(_)) if row.attempts + 1 < MAX_ATTEMPTS => {
                    round.retried += 1
                }
                Err(_) => round.failed += 1,
            }
            self.record(&row, outcome, PENDING).await?;
        }
        Ok(round)
    }

    /// Extends this worker's lease on `row` from now, if the worker still holds it: the row is
    /// still `claimed_status` with the lease it was claimed (or last renewed) with. Otherwise
    /// the lease ran out and another worker claimed the row since.
    async fn renew(
        &self,
        row: &mut outbox::Model,
        claimed_status: &str,
    ) -> Result<bool, EngineError> {
        let Some(held) = row.lease_until else {
            return Ok(false);
        };
        let until = self.engine.now() + self.lease;
        let renewed = outbox::Entity::update_many()
            .col_expr(outbox::Column::LeaseUntil, Expr::value(until))
            .filter(outbox::Column::Id.eq(row.id))
            .filter(outbox::Column::Status.eq(claimed_status))
            .filter(outbox::Column::LeaseUntil.eq(held))
            .exec(self.engine.db())
            .await?
            .rows_affected
            == 1;
        if renewed {
            row.lease_until = Some(until);
        }
        Ok(renewed)
    }

    /// Sends each reader of the daily digest one mail holding everything kept for them before
    /// the latest digest hour (07:00 Danish time). Each held row is marked with the digest's
    /// outcome, so the admin view shows it like any other mail.
    ///
    /// # Errors
    /// A database error; failures to send are recorded on the rows.
    pub async fn run_digest_once(&self) -> Result<DeliveryRound, EngineError> {
        let now = self.engine.now();
        let cutoff = latest_danish_hour(now, DIGEST_HOUR);
        let due = Condition::all()
            .add(outbox::Column::Status.eq(DIGEST))
            .add(outbox::Column::CreatedAt.lt(cutoff))
            .add(outbox::Column::NextAttemptAt.lte(now));
        let mut by_recipient: BTreeMap<String, Vec<outbox::Model>> = BTreeMap::new();
        for row in self.claim_where(due, DIGEST_SENDING, 1_000).await? {
            by_recipient
                .entry(row.recipient_email.clone().unwrap_or_default())
                .or_default()
                .push(row);
        }
        let mut round = DeliveryRound::default();
        for rows in by_recipient.into_values() {
            let mut items = Vec::new();
            let mut included = Vec::new();
            for mut row in rows {
                if !self.renew(&mut row, DIGEST_SENDING).await? {
                    round.overtaken += 1;
                    continue;
                }
                match self.rendered(&row).await {
                    Ok((context, mail)) => {
                        items.push(DigestItem {
                            case_number: context.case_number,
                            title: context.title,
                            subject: mail.subject,
                            text: digest_excerpt(&mail.text),
                            case_url: context.case_url,
                        });
                        included.push(row);
                    }
                    Err(reason) => {
                        round.failed += 1;
                        self.record(&row, Err(SendError::Permanent(reason)), DIGEST)
                            .await?;
                    }
                }
            }
            let (Some(first), Some(last)) = (included.first(), included.last()) else {
                continue;
            };
            let context = DigestContext {
                recipient_name: first.recipient_name.clone(),
                date: format_date(danish_date_of(now), &first.language),
                count: items.len(),
                items,
            };
            let message_id = format!("<digest-{}-{}@{}>", first.id, last.id, self.domain);
            let outcome = match self
                .templates
                .render_digest(&first.language, &context)
                .and_then(|mail| self.build(first, mail, message_id))
            {
                Ok(message) => {
                    self.transport
                        .send(&message, &format!("{:06}-digest", first.id))
                        .await
                }
                Err(reason) => Err(SendError::Permanent(reason)),
            };
            match &outcome {
                Ok(_) => round.sent += 1,
                Err(SendError::Transient(_)) => round.retried += 1,
                Err(_) => round.failed += 1,
            }
            for row in &included {
                let outcome = outcome
                    .clone()
                    .map(|reply| format!("in the daily digest: {reply}"));
                self.record(row, outcome, DIGEST).await?;
            }
        }
        Ok(round)
    }

    /// Runs rounds until the process stops: a round every `every`, and the next one at once
    /// while a round finds a full batch, so a backlog goes out as fast as it can be sent
    /// rather than 50 mails per tick.
    pub async fn run(self, every: std::time::Duration) {
        loop {
            let full = match self.run_once(BATCH).await {
                Ok(round) => {
                    if round != DeliveryRound::default() {
                        tracing::info!(?round, "mail round");
                    }
                    round.sent + round.retried + round.failed + round.overtaken >= BATCH as usize
                }
                Err(error) => {
                    tracing::warn!(%error, "mail round failed; retrying");
                    false
                }
            };
            match self.run_digest_once().await {
                Ok(round) if round != DeliveryRound::default() => {
                    tracing::info!(?round, "digest round")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "digest round failed; retrying"),
            }
            if !full {
                tokio::time::sleep(every).await;
            }
        }
    }

    /// Claims due rows in one statement: on PostgreSQL the inner select skips rows another
    /// worker holds; on SQLite the statement itself takes the write lock.
    async fn claim(&self, limit: u64) -> Result<Vec<outbox::Model>, EngineError> {
        let now = self.engine.now();
        let due = Condition::all()
            .add(outbox::Column::Status.eq(PENDING))
            .add(outbox::Column::NextAttemptAt.lte(now));
        self.claim_where(due, SENDING, limit).await
    }

    /// Claims rows that are `due`, or whose lease in `claimed_status` ran out, by setting them
    /// to `claimed_status` with a fresh lease.
    async fn claim_where(
        &self,
        due: Condition,
        claimed_status: &str,
        limit: u64,
    ) -> Result<Vec<outbox::Model>, EngineError> {
        let db = self.engine.db();
        let now = self.engine.now();
        let due = Condition::any().add(due).add(
            Condition::all()
                .add(outbox::Column::Status.eq(claimed_status))
                .add(outbox::Column::LeaseUntil.lt(now)),
        );
        let mut due_ids = Query::select();
        due_ids
            .column(outbox::Column::Id)
            .from(outbox::Entity)
            .cond_where(due)
            .order_by(outbox::Column::Id, Order::Asc)
            .limit(limit);
        if db.get_database_backend() == DbBackend::Postgres {
            due_ids.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let mut claimed = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value(claimed_status))
            .col_expr(outbox::Column::LeaseUntil, Expr::value(now + self.lease))
            .filter(Expr::col(outbox::Column::Id).in_subquery(due_ids))
            .exec_with_returning(db)
            .await?;
        claimed.sort_by_key(|r| r.id);
        Ok(claimed)
    }

    /// Records the outcome of sending `row`; a transient failure puts it back as
    /// `retry_status`, to be tried again after the backoff.
    async fn record(
        &self,
        row: &outbox::Model,
        outcome: Result<String, SendError>,
        retry_status: &str,
    ) -> Result<(), EngineError> {
        let now = self.engine.now();
        let attempts = row.attempts + 1;
        let mut update = outbox::Entity::update_many()
            .col_expr(outbox::Column::Attempts, Expr::value(attempts))
            .col_expr(
                outbox::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(outbox::Column::Id.eq(row.id));
        update = match outcome {
            Ok(reply) => update
                .col_expr(outbox::Column::Status, Expr::value(SENT))
                .col_expr(outbox::Column::SentAt, Expr::value(now))
                .col_expr(outbox::Column::Reply, Expr::value(reply))
                // A personal link is kept only until its mail is out.
                .col_expr(
                    outbox::Column::LinkToken,
                    Expr::value(Option::<String>::None),
                ),
            Err(SendError::Transient(reason)) if attempts < MAX_ATTEMPTS => update
                .col_expr(outbox::Column::Status, Expr::value(retry_status))
                .col_expr(
                    outbox::Column::NextAttemptAt,
                    Expr::value(now + backoff(attempts)),
                )
                .col_expr(outbox::Column::LastError, Expr::value(reason)),
            Err(SendError::Transient(reason)) => update
                .col_expr(outbox::Column::Status, Expr::value(FAILED))
                .col_expr(
                    outbox::Column::LastError,
                    Expr::value(format!("gave up after {attempts} attempts: {reason}")),
                ),
            Err(SendError::Permanent(reason)) => update
                .col_expr(outbox::Column::Status, Expr::value(FAILED))
                .col_expr(outbox::Column::LastError, Expr::value(reason)),
        };
        update.exec(self.engine.db()).await?;
        Ok(())
    }

    /// The mail of one row, rendered for its recipient.
    async fn message(&self, row: &outbox::Model) -> Result<Message, String> {
        let (context, mail) = self.rendered(row).await?;
        self.build(
            row,
            mail,
            format!(
                "<outbox-{}.{}@{}>",
                row.id, context.case_number, self.domain
            ),
        )
    }

    /// One row's mail, rendered in its recipient's language.
    async fn rendered(&self, row: &outbox::Model) -> Result<(MailContext, RenderedMail), String> {
        let context = self.context(row).await.map_err(|e| e.to_string())?;
        let region = self.region_of(row).await.map_err(|e| e.to_string())?;
        let mail = self
            .templates
            .render(&region, &row.template, &row.language, &context)?;
        Ok((context, mail))
    }

    /// A message to the row's recipient.
    fn build(
        &self,
        row: &outbox::Model,
        mail: RenderedMail,
        message_id: String,
    ) -> Result<Message, String> {
        let address = row
            .recipient_email
            .as_deref()
            .ok_or("no recipient address")?;
        let to: Mailbox = format!(
            "{} <{address}>",
            row.recipient_name.replace(['<', '>', '"'], "")
        )
        .parse()
        .or_else(|_| address.parse())
        .map_err(|e| format!("bad recipient address `{address}`: {e}"))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(message_id));
        let built = match mail.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(mail.text, html)),
            None => builder.header(ContentType::TEXT_PLAIN).body(mail.text),
        };
        built.map_err(|e| format!("the mail cannot be built: {e}"))
    }

    async fn region_of(&self, row: &outbox::Model) -> Result<String, EngineError> {
        let case = handover_case::Entity::find_by_id(row.case_id)
            .one(self.engine.db())
            .await?
            .ok_or(EngineError::NotFound { what: "case" })?;
        Ok(region::Entity::find_by_id(case.region_id)
            .one(self.engine.db())
            .await?
            .map(|r| r.slug)
            .unwrap_or_default())
    }

    async fn context(&self, row: &outbox::Model) -> Result<MailContext, EngineError> {
        let db = self.engine.db();
        let not_found = |what| EngineError::NotFound { what };
        let event = journal_event::Entity::find_by_id(row.journal_event_id)
            .one(db)
            .await?
            .ok_or(not_found("journal event"))?;
        let case = handover_case::Entity::find_by_id(row.case_id)
            .one(db)
            .await?
            .ok_or(not_found("case"))?;
        let region = region::Entity::find_by_id(case.region_id)
            .one(db)
            .await?
            .ok_or(not_found("region"))?;
        let actor = match event.actor_user_id {
            Some(id) => app_user::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|u| u.name),
            None => None,
        };
        let def = self.engine.definition_of(&case)?;
        let lang = row.language.as_str();
        let typed = event.event().ok();
        let meeting = typed.as_ref().and_then(CaseEvent::meeting);
        let state_label = |id: Option<&String>| {
            id.and_then(|s| def.state_by_str(s))
                .map(|s| s.label.in_language(lang).to_owned())
                .unwrap_or_default()
        };
        let to_state = event.to_state.as_ref().and_then(|s| def.state_by_str(s));
        let expected_action = to_state.and_then(|s| s.actor).map(|role| {
            if lang == "en" {
                format!(
                    "The case now waits for the {}.",
                    role.as_str().replace('_', " ")
                )
            } else {
                format!("Sagen venter nu på {}.", role.danish())
            }
        });
        // A council's own name is kept with the council; its meeting's title names it too.
        let body_name = meeting.and_then(|m| {
            let body = m.body()?;
            Some(
                def.bodies
                    .name_of(body)
                    .map_or_else(|| m.title.clone(), str::to_owned),
            )
        });
        let due_date = typed
            .as_ref()
            .and_then(CaseEvent::due_date)
            .map(|d| format_date(d, lang));
        let (voided_signoffs, figure_changes) = match typed.as_ref() {
            Some(CaseEvent::EconomicsChanged {
                before,
                after,
                voided_signoffs,
                ..
            }) => {
                let names = self.party_names(&case, before.iter().chain(after)).await?;
                let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
                let side_party = |side: &str| {
                    name(if side == "giving" {
                        case.giving_party_id
                    } else {
                        case.receiving_party_id
                    })
                };
                (
                    super::figure_changes::voided_signoffs(voided_signoffs, side_party, lang),
                    super::figure_changes::figure_changes(before, after, name, lang),
                )
            }
            _ => (None, Vec::new()),
        };
        Ok(MailContext {
            recipient_name: row.recipient_name.clone(),
            case_number: case.number.clone(),
            title: case.title.clone(),
            region_name: region.name,
            kind_label: CaseKind::parse(&case.kind)
                .unwrap_or(CaseKind::Transfer)
                .label()
                .in_language(lang)
                .to_owned(),
            from_state: match typed.as_ref() {
                // A carried case's old state is one of the definition it left.
                Some(CaseEvent::ReformCarried {
                    from_region,
                    from_workflow,
                    from_state,
                    ..
                }) => crate::domain::ids::RegionSlug::parse(from_region)
                    .ok()
                    .and_then(|region| {
                        self.engine.workflows().find(
                            &region,
                            &from_workflow.key,
                            from_workflow.version,
                        )
                    })
                    .and_then(|d| d.state_by_str(from_state))
                    .map(|s| s.label.in_language(lang).to_owned())
                    .unwrap_or_else(|| from_state.clone()),
                _ => state_label(event.from_state.as_ref()),
            },
            to_state: state_label(event.to_state.as_ref()),
            transition_label: typed
                .as_ref()
                .and_then(CaseEvent::label)
                .map(|l| l.in_language(lang).to_owned())
                .unwrap_or_default(),
            actor_name: actor.unwrap_or_default(),
            comment: event.comment.clone(),
            due_date,
            expected_action,
            body_name,
            case_url: format!("{}/cases/{}", self.public_url, case.id),
            hearing_url: row
                .link_token
                .as_ref()
                .map(|token| format!("{}/hearing/{token}", self.public_url)),
            meeting_title: meeting.map(|m| m.title.clone()),
            meeting_date: meeting.map(|m| format_date(m.held_on, lang)),
            meeting_was: match typed.as_ref() {
                Some(CaseEvent::MeetingChanged { was, .. }) => Some(format_date(was.held_on, lang)),
                _ => None,
            },
            voided_signoffs,
            figure_changes,
        })
    }

    /// The names of the case's two parties and of the parties of `lines`, by id.
    async fn party_names(
        &self,
        case: &handover_case::Model,
        lines: impl Iterator<Item = &crate::domain::economics::EconomicsLine>,
    ) -> Result<BTreeMap<i64, String>, EngineError> {
        let ids: std::collections::BTreeSet<i64> = lines
            .map(|l| l.party_id)
            .chain([case.giving_party_id, case.receiving_party_id])
            .collect();
        Ok(organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(ids))
            .all(self.engine.db())
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cases::NewCase;
    use crate::storage::db;
    use crate::users::{NewUser, add_user};
    use crate::workflow::WorkflowSet;
    use std::path::PathBuf;
    use std::sync::Mutex;

    /// An engine on a fresh SQLite file with three withdrawn cases: mail is due.
    async fn engine_with_mail_due() -> Engine {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let templates = MailTemplates::load(&root.join("mail-templates")).unwrap();
        let workflows = WorkflowSet::load_dir(&root.join("workflows"), templates.events()).unwrap();
        let dir = std::env::temp_dir().join(format!(
            "overdrag-lease-{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        let conn = db::connect(None, &dir).await.unwrap();
        db::migrate(&conn).await.unwrap();
        let engine = Engine::start(conn, workflows).await.unwrap();
        let person = |email: &str, role: &str| NewUser {
            email: email.into(),
            name: format!("Test {role}"),
            region: "syddanmark".into(),
            role: role.into(),
            organisation: None,
            language: None,
        };
        let (proposer, _) = add_user(engine.db(), person("anne@ouh.dk", "proposer"), Utc::now())
            .await
            .unwrap();
        add_user(
            engine.db(),
            person("mette@rsyd.dk", "secretariat"),
            Utc::now(),
        )
        .await
        .unwrap();
        let parties = engine.parties("syddanmark").await.unwrap();
        for n in 0..3 {
            let input = NewCase {
                region: "syddanmark".into(),
                title: format!("Sag {n}"),
                kind: "transfer".into(),
                giving_party_id: parties[0].id,
                receiving_party_id: parties[1].id,
            };
            let case = engine.create_case(&proposer, input).await.unwrap();
            engine
                .transition(&proposer, case.id, case.version, "withdraw", None)
                .await
                .unwrap();
        }
        engine
    }

    fn worker(engine: &Engine, mailbox: &Arc<Mutex<Vec<super::super::SentMail>>>) -> Deliverer {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        Deliverer::new(
            engine.clone(),
            Arc::new(MailTemplates::load(&root.join("mail-templates")).unwrap()),
            Transport::Memory(mailbox.clone()),
            "Overdrag <noreply@overdrag.invalid>",
            "https://overdrag.example",
        )
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_worker_slower_than_its_lease_leaves_the_rows_another_took_over() {
        let engine = engine_with_mail_due().await;
        let mailbox = Arc::default();
        // Slow: its lease is over before it sends anything.
        let slow = worker(&engine, &mailbox).with_lease(Duration::zero());
        let other = worker(&engine, &mailbox);
        let claimed = slow.claim(50).await.unwrap();
        assert!(claimed.len() >= 6, "{} rows", claimed.len());

        let taken_over = other.run_once(50).await.unwrap();
        assert_eq!(taken_over.sent, claimed.len());
        let late = slow.deliver(claimed.clone()).await.unwrap();
        assert_eq!((late.sent, late.overtaken), (0, claimed.len()));
        assert_eq!(
            mailbox.lock().unwrap().len(),
            claimed.len(),
            "no mail twice"
        );
    }

    #[test]
    fn a_digest_keeps_a_mails_substance_without_its_greeting_and_sign_off() {
        let text = "Kære Mette\n\nSagen er indsendt.\n\nSag: SYD-2026-0001\n\nMed venlig hilsen\nSekretariatet";
        assert_eq!(
            super::digest_excerpt(text),
            "Sagen er indsendt.\n\nSag: SYD-2026-0001"
        );
    }

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(5), Duration::seconds(480));
        assert_eq!(backoff(11), Duration::seconds(3_600));
    }
}
