//! Writing mails to the outbox in the transaction that caused them. Recipients are resolved
//! now, so the mail goes to whoever held the role when the decision was taken.

use crate::domain::role::Side;
use crate::storage::entity::{app_user, handover_case, membership, organisation, outbox};
use crate::workflow::definition::{NotifyRule, Recipient};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, JoinType,
    QueryFilter, QuerySelect, Set,
};
use std::collections::{BTreeMap, BTreeSet};

pub const PENDING: &str = "pending";
pub const FAILED: &str = "failed";
/// Held for the recipient's daily digest.
pub const DIGEST: &str = "digest";

struct Addressee {
    name: String,
    language: String,
    digest: bool,
}

impl Addressee {
    fn user(user: &app_user::Model) -> (String, Self) {
        (
            user.email.to_lowercase(),
            Self {
                name: user.name.clone(),
                language: user.language.clone(),
                digest: user.mail_digest,
            },
        )
    }
}

/// Enqueues the mails of one event: one per person, even when they match several recipients
/// or several rules (the first rule that names them decides the template). A user who chose
/// the daily digest gets the row held for it. A party without a contact address gets a row
/// marked failed with the reason, so an admin sees it rather than it vanishing.
///
/// Every recipient of every rule is resolved with at most three reads, and the rows are
/// written with one insert: this runs inside the transaction of nearly every step.
///
/// # Errors
/// A database error.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    case: &handover_case::Model,
    journal_event_id: i64,
    rules: &[NotifyRule],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let directory = Directory::read(db, case, rules).await?;
    enqueue_to(db, case, &directory, journal_event_id, rules, now).await
}

/// As [`enqueue`], to recipients already resolved with [`Directory::read`]: a step resolves
/// them while it reads the case file, before it takes the write lock, so the lock is held
/// only for the writes.
///
/// # Errors
/// A database error.
pub async fn enqueue_to(
    db: &impl ConnectionTrait,
    case: &handover_case::Model,
    directory: &Directory,
    journal_event_id: i64,
    rules: &[NotifyRule],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut rows = Vec::new();
    let mut reached: BTreeSet<String> = BTreeSet::new();
    for rule in rules {
        let mut addressees: BTreeMap<String, Addressee> = BTreeMap::new();
        let mut unreachable: Vec<String> = Vec::new();
        for recipient in &rule.to {
            match recipient {
                Recipient::Proposer => {
                    if let Some(user) = directory.users.get(&case.proposer_user_id) {
                        let (email, who) = Addressee::user(user);
                        addressees.insert(email, who);
                    }
                }
                Recipient::Role(role) => {
                    let members = directory.members.get(role.as_str());
                    for user in members
                        .into_iter()
                        .flatten()
                        .filter_map(|id| directory.users.get(id))
                    {
                        let (email, who) = Addressee::user(user);
                        addressees.insert(email, who);
                    }
                }
                Recipient::Party(_) | Recipient::Organisation(_) => {
                    let Some(party) =
                        party_of(case, recipient).and_then(|id| directory.organisations.get(&id))
                    else {
                        continue;
                    };
                    match &party.contact_email {
                        Some(email) => {
                            addressees.insert(
                                email.to_lowercase(),
                                Addressee {
                                    name: party.name.clone(),
                                    language: "da".into(),
                                    digest: false,
                                },
                            );
                        }
                        None => unreachable.push(party.name.clone()),
                    }
                }
            }
        }
        for (email, who) in addressees {
            if !reached.insert(email.clone()) {
                continue;
            }
            rows.push(row(
                case,
                journal_event_id,
                &rule.template,
                Some(email),
                who.name,
                who.language,
                if who.digest { DIGEST } else { PENDING },
                None,
                now,
            ));
        }
        for name in unreachable {
            if !reached.insert(format!("unreachable:{name}")) {
                continue;
            }
            let reason = format!(
                "{name} har ingen kontaktadresse; tilføj den under organisationer og send mailen igen"
            );
            rows.push(row(
                case,
                journal_event_id,
                &rule.template,
                None,
                name,
                "da".into(),
                FAILED,
                Some(reason),
                now,
            ));
        }
    }
    let written = rows.len();
    if !rows.is_empty() {
        outbox::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(written)
}

/// The organisation a party or organisation recipient names.
fn party_of(case: &handover_case::Model, recipient: &Recipient) -> Option<i64> {
    match recipient {
        Recipient::Party(Side::Giving) => Some(case.giving_party_id),
        Recipient::Party(Side::Receiving) => Some(case.receiving_party_id),
        Recipient::Organisation(id) => Some(*id),
        Recipient::Proposer | Recipient::Role(_) => None,
    }
}

/// Everyone the rules of one event may name, read at once.
#[derive(Debug)]
pub struct Directory {
    users: BTreeMap<i64, app_user::Model>,
    /// The user ids holding each role in the case's region.
    members: BTreeMap<String, Vec<i64>>,
    organisations: BTreeMap<i64, organisation::Model>,
}

impl Directory {
    /// Reads everyone `rules` name for `case`: at most two reads, none when no rule names
    /// anyone.
    ///
    /// # Errors
    /// A database error.
    pub async fn read(
        db: &impl ConnectionTrait,
        case: &handover_case::Model,
        rules: &[NotifyRule],
    ) -> Result<Self, DbErr> {
        let recipients = || rules.iter().flat_map(|r| r.to.iter());
        let roles: BTreeSet<&str> = recipients()
            .filter_map(|r| match r {
                Recipient::Role(role) => Some(role.as_str()),
                _ => None,
            })
            .collect();
        let organisation_ids: BTreeSet<i64> =
            recipients().filter_map(|r| party_of(case, r)).collect();
        // The role holders with their accounts in one read, the proposer in the same one.
        let wants_proposer = recipients().any(|r| matches!(r, Recipient::Proposer));
        let mut members: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut users: BTreeMap<i64, app_user::Model> = BTreeMap::new();
        if !roles.is_empty() || wants_proposer {
            let holds_role = Condition::all()
                .add(membership::Column::RegionId.eq(case.region_id))
                .add(membership::Column::Role.is_in(roles));
            let found: Vec<(app_user::Model, Option<membership::Model>)> = app_user::Entity::find()
                .select_also(membership::Entity)
                .join(
                    JoinType::LeftJoin,
                    sea_orm::RelationDef::from(
                        membership::Entity::belongs_to(app_user::Entity)
                            .from(membership::Column::UserId)
                            .to(app_user::Column::Id)
                            .on_condition(move |_, _| holds_role.clone()),
                    )
                    .rev(),
                )
                .filter(
                    Condition::any()
                        .add(membership::Column::Id.is_not_null())
                        .add(app_user::Column::Id.eq(if wants_proposer {
                            case.proposer_user_id
                        } else {
                            0
                        })),
                )
                .all(db)
                .await?;
            for (user, membership) in found {
                if let Some(m) = membership {
                    members.entry(m.role).or_default().push(m.user_id);
                }
                users.insert(user.id, user);
            }
        }
        let organisations = if organisation_ids.is_empty() {
            BTreeMap::new()
        } else {
            organisation::Entity::find()
                .filter(organisation::Column::Id.is_in(organisation_ids))
                .all(db)
                .await?
                .into_iter()
                .map(|o| (o.id, o))
                .collect()
        };
        Ok(Self {
            users,
            members,
            organisations,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    case: &handover_case::Model,
    journal_event_id: i64,
    template: &str,
    email: Option<String>,
    name: String,
    language: String,
    status: &str,
    last_error: Option<String>,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        case_id: Set(case.id),
        journal_event_id: Set(journal_event_id),
        template: Set(template.to_owned()),
        recipient_email: Set(email),
        recipient_name: Set(name),
        language: Set(language),
        status: Set(status.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(last_error),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
}

/// Enqueues a hearing invitation to one organisation's contact address, carrying its personal
/// link token until the mail is sent. Without an address the row is marked failed with the
/// reason, for an admin to resend once the address is known.
///
/// # Errors
/// A database error.
pub async fn enqueue_invitation(
    db: &impl ConnectionTrait,
    case: &handover_case::Model,
    journal_event_id: i64,
    party: &organisation::Model,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut active = match &party.contact_email {
        Some(email) => row(
            case,
            journal_event_id,
            "hearing_invitation",
            Some(email.to_lowercase()),
            party.name.clone(),
            "da".into(),
            PENDING,
            None,
            now,
        ),
        None => {
            let reason = format!(
                "{} har ingen kontaktadresse; tilføj den under organisationer og send mailen igen",
                party.name
            );
            row(
                case,
                journal_event_id,
                "hearing_invitation",
                None,
                party.name.clone(),
                "da".into(),
                FAILED,
                Some(reason),
                now,
            )
        }
    };
    active.link_token = sea_orm::Set(Some(token.to_owned()));
    active.insert(db).await?;
    Ok(())
}
