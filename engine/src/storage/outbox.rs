//! Writing mails to the outbox in the transaction that caused them. Recipients are resolved
//! now, so the mail goes to whoever held the role when the decision was taken.

use crate::domain::role::Side;
use crate::storage::entity::{app_user, handover_case, membership, organisation, outbox};
use crate::workflow::definition::{NotifyRule, Recipient};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
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
    fn user(user: app_user::Model) -> (String, Self) {
        (
            user.email.to_lowercase(),
            Self {
                name: user.name,
                language: user.language,
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
/// # Errors
/// A database error.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    case: &handover_case::Model,
    journal_event_id: i64,
    rules: &[NotifyRule],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut written = 0;
    let mut reached: BTreeSet<String> = BTreeSet::new();
    for rule in rules {
        let mut addressees: BTreeMap<String, Addressee> = BTreeMap::new();
        let mut unreachable: Vec<String> = Vec::new();
        for recipient in &rule.to {
            match recipient {
                Recipient::Proposer => {
                    if let Some(user) = app_user::Entity::find_by_id(case.proposer_user_id)
                        .one(db)
                        .await?
                    {
                        let (email, who) = Addressee::user(user);
                        addressees.insert(email, who);
                    }
                }
                Recipient::Role(role) => {
                    let user_ids: Vec<i64> = membership::Entity::find()
                        .filter(membership::Column::RegionId.eq(case.region_id))
                        .filter(membership::Column::Role.eq(role.as_str()))
                        .all(db)
                        .await?
                        .into_iter()
                        .map(|m| m.user_id)
                        .collect();
                    for user in app_user::Entity::find()
                        .filter(app_user::Column::Id.is_in(user_ids))
                        .all(db)
                        .await?
                    {
                        let (email, who) = Addressee::user(user);
                        addressees.insert(email, who);
                    }
                }
                Recipient::Party(_) | Recipient::Organisation(_) => {
                    let party_id = match recipient {
                        Recipient::Party(Side::Giving) => case.giving_party_id,
                        Recipient::Party(Side::Receiving) => case.receiving_party_id,
                        Recipient::Organisation(id) => *id,
                        _ => continue,
                    };
                    if let Some(party) = organisation::Entity::find_by_id(party_id).one(db).await? {
                        match party.contact_email {
                            Some(email) => {
                                addressees.insert(
                                    email.to_lowercase(),
                                    Addressee {
                                        name: party.name,
                                        language: "da".into(),
                                        digest: false,
                                    },
                                );
                            }
                            None => unreachable.push(party.name),
                        }
                    }
                }
            }
        }
        for (email, who) in addressees {
            if !reached.insert(email.clone()) {
                continue;
            }
            row(
                case,
                journal_event_id,
                &rule.template,
                Some(email),
                who.name,
                who.language,
                if who.digest { DIGEST } else { PENDING },
                None,
                now,
            )
            .insert(db)
            .await?;
            written += 1;
        }
        for name in unreachable {
            if !reached.insert(format!("unreachable:{name}")) {
                continue;
            }
            let reason = format!(
                "{name} har ingen kontaktadresse; tilføj den under organisationer og send mailen igen"
            );
            row(
                case,
                journal_event_id,
                &rule.template,
                None,
                name,
                "da".into(),
                FAILED,
                Some(reason),
                now,
            )
            .insert(db)
            .await?;
            written += 1;
        }
    }
    Ok(written)
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
