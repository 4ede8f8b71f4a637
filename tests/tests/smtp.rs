//! Mails reach a real SMTP server (a sink started in the test, so lettre speaks real SMTP):
//! the right recipients, subject, text and Message-ID; an outage loses nothing; a permanent
//! refusal is recorded with its reason and leaves other mails alone.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::cases::NewCase;
use overdrag_engine::mail::{Deliverer, MailTemplates, Transport};
use overdrag_engine::storage::entity::outbox;
use overdrag_tests::smtp_sink::SmtpSink;
use overdrag_tests::{TestDb, on_both_databases, party, person, root};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::sync::Arc;

fn deliverer(engine: overdrag_engine::Engine, url: &str) -> Deliverer {
    let templates = Arc::new(MailTemplates::load(&root().join("mail-templates")).unwrap());
    let transport = Transport::configure(Some(url), std::env::temp_dir()).unwrap();
    Deliverer::new(
        engine,
        templates,
        transport,
        "Overdrag <noreply@overdrag.invalid>",
        "https://overdrag.example",
    )
    .unwrap()
}

/// A Syddanmark case withdrawn by its proposer: mails to the proposer and the secretariat.
async fn withdrawn_case(db: &TestDb, secretariat: &[&str]) -> i64 {
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    for email in secretariat {
        person(engine, email, "syddanmark", "secretariat").await;
    }
    let input = NewCase {
        region: "syddanmark".into(),
        title: "Kateteranlæggelse i hjemmet".into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "syddanmark", "Odense Universitetshospital").await,
        receiving_party_id: party(engine, "syddanmark", "Odense Kommune").await,
    };
    let case = engine.create_case(&proposer, input).await.unwrap();
    engine
        .transition(
            &proposer,
            case.id,
            case.version,
            "withdraw",
            Some("Løses inden for den nuværende aftale."),
        )
        .await
        .unwrap();
    case.id
}

async fn rows(db: &TestDb, case_id: i64) -> Vec<outbox::Model> {
    let mut rows = outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case_id))
        .all(db.engine.db())
        .await
        .unwrap();
    rows.retain(|r| r.recipient_email.is_some());
    rows.sort_by(|a, b| a.recipient_email.cmp(&b.recipient_email));
    rows
}

async fn the_mail_arrives_whole_at_the_smtp_server(db: &TestDb) {
    let case_id = withdrawn_case(db, &["mette@rsyd.dk"]).await;
    let sink = SmtpSink::start("127.0.0.1:0", &[]).await;
    let round = deliverer(db.engine.clone(), &sink.url())
        .run_once(50)
        .await
        .unwrap();
    assert_eq!(round.sent, 2);
    let received = sink.received.lock().unwrap().clone();
    let mut to: Vec<String> = received.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["anne@ouh.dk", "mette@rsyd.dk"]);
    let mail = &received[0];
    assert_eq!(mail.from, "noreply@overdrag.invalid");
    assert!(mail.data.contains("Subject: SYD-"), "{}", mail.data);
    assert!(mail.data.contains("Message-ID: <outbox-"), "{}", mail.data);
    assert!(
        mail.data
            .contains("Content-Type: text/plain; charset=utf-8")
    );
    for row in rows(db, case_id).await {
        assert_eq!(row.status, "sent");
        assert!(
            row.reply.as_deref().is_some_and(|r| r.starts_with("250")),
            "{:?}",
            row.reply
        );
    }
    sink.stop().await;
}

async fn an_smtp_outage_loses_no_mail(db: &TestDb) {
    let case_id = withdrawn_case(db, &["mette@rsyd.dk"]).await;
    // Find a free port, and keep nothing listening on it: the server is down.
    let probe = SmtpSink::start("127.0.0.1:0", &[]).await;
    let addr = probe.addr;
    probe.stop().await;
    let down = deliverer(db.engine.clone(), &format!("smtp://{addr}"))
        .run_once(50)
        .await
        .unwrap();
    assert_eq!((down.sent, down.retried), (0, 2));
    for row in rows(db, case_id).await {
        assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
        assert!(row.last_error.is_some());
    }
    // The server comes back; once the backoff has passed, the mails arrive.
    let sink = SmtpSink::start(&addr.to_string(), &[]).await;
    let too_soon = deliverer(db.engine.clone(), &sink.url())
        .run_once(50)
        .await
        .unwrap();
    assert_eq!(too_soon.sent, 0, "the worker waits out the backoff");
    let later_time = chrono::Utc::now() + chrono::Duration::minutes(2);
    let later = db.engine.clone().with_clock(Arc::new(move || later_time));
    let back = deliverer(later, &sink.url()).run_once(50).await.unwrap();
    assert_eq!(back.sent, 2);
    assert_eq!(sink.received.lock().unwrap().len(), 2);
    assert!(
        rows(db, case_id)
            .await
            .iter()
            .all(|r| r.status == "sent" && r.attempts == 2)
    );
    sink.stop().await;
}

async fn a_permanent_refusal_is_recorded_and_others_are_sent(db: &TestDb) {
    let case_id = withdrawn_case(db, &["mette@rsyd.dk", "gone@rsyd.dk"]).await;
    let sink = SmtpSink::start("127.0.0.1:0", &["gone@rsyd.dk"]).await;
    let round = deliverer(db.engine.clone(), &sink.url())
        .run_once(50)
        .await
        .unwrap();
    assert_eq!((round.sent, round.failed), (2, 1));
    let all = rows(db, case_id).await;
    let refused = all
        .iter()
        .find(|r| r.recipient_email.as_deref() == Some("gone@rsyd.dk"))
        .unwrap();
    assert_eq!(refused.status, "failed");
    assert!(
        refused
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("550") || e.contains("mailbox unavailable")),
        "{:?}",
        refused.last_error
    );
    assert_eq!(all.iter().filter(|r| r.status == "sent").count(), 2);
    assert_eq!(
        deliverer(db.engine.clone(), &sink.url())
            .run_once(50)
            .await
            .unwrap()
            .sent,
        0,
        "a failed mail is not retried by itself"
    );
    sink.stop().await;
}

async fn a_failed_mail_is_resent_once_the_party_has_an_address(db: &TestDb) {
    use sea_orm::{ActiveModelTrait, Set};
    let case_id = withdrawn_case(db, &[]).await;
    let admin = person(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await;
    let unreachable = outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case_id))
        .filter(outbox::Column::Status.eq("failed"))
        .all(db.engine.db())
        .await
        .unwrap();
    let row = unreachable
        .iter()
        .find(|r| r.recipient_name == "Odense Kommune")
        .unwrap()
        .clone();
    let odense = overdrag_engine::storage::entity::organisation::Entity::find_by_id(
        party(&db.engine, "syddanmark", "Odense Kommune").await,
    )
    .one(db.engine.db())
    .await
    .unwrap()
    .unwrap();
    let mut active: overdrag_engine::storage::entity::organisation::ActiveModel = odense.into();
    active.contact_email = Set(Some("sundhed@odense.dk".into()));
    active.update(db.engine.db()).await.unwrap();
    let resent = db.engine.resend_mail(&admin, row.id).await.unwrap();
    assert_eq!(
        (resent.status.as_str(), resent.recipient_email.as_deref()),
        ("pending", Some("sundhed@odense.dk"))
    );
    let sink = SmtpSink::start("127.0.0.1:0", &[]).await;
    deliverer(db.engine.clone(), &sink.url())
        .run_once(50)
        .await
        .unwrap();
    assert!(
        sink.received
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.to == ["sundhed@odense.dk"])
    );
    sink.stop().await;
}

on_both_databases!(
    a_failed_mail_is_resent_once_the_party_has_an_address,
    the_mail_arrives_whole_at_the_smtp_server,
    an_smtp_outage_loses_no_mail,
    a_permanent_refusal_is_recorded_and_others_are_sent,
);
