//! Mails reach a real SMTP server (a sink started in the test, so lettre speaks real SMTP):
//! the right recipients, subject, text and Message-ID; an outage loses nothing; a permanent
//! refusal is recorded with its reason and leaves other mails alone.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::cases::NewCase;
use overdrag_engine::mail::{Deliverer, MailTemplates, Transport};
use overdrag_engine::storage::entity::outbox;
use overdrag_tests::smtp_sink::SmtpSink;
use overdrag_tests::{TestDb, meeting_today, on_both_databases, party, person, root};
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

async fn a_whole_case_sends_exactly_the_expected_mails_through_an_outage(db: &TestDb) {
    use overdrag_engine::domain::description::ProfessionalDescription;
    use overdrag_engine::domain::economics::EconomicsLine;
    use overdrag_engine::domain::role::Side;
    use sea_orm::{ActiveModelTrait, Set};
    use std::collections::BTreeSet;
    let engine = &db.engine;
    let anne = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let mette = person(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let lars = person(engine, "lars@rsyd.dk", "syddanmark", "economist").await;
    let jens = person(engine, "jens@rsyd.dk", "syddanmark", "steering_group").await;
    let birgitte = person(engine, "birgitte@rsyd.dk", "syddanmark", "committee").await;
    let (hospital, odense) = (
        party(engine, "syddanmark", "Odense Universitetshospital").await,
        party(engine, "syddanmark", "Odense Kommune").await,
    );
    for (id, email) in [
        (hospital, "sundhedsaftale@ouh.dk"),
        (odense, "sundhed@odense.dk"),
    ] {
        let org = overdrag_engine::storage::entity::organisation::Entity::find_by_id(id)
            .one(engine.db())
            .await
            .unwrap()
            .unwrap();
        let mut active: overdrag_engine::storage::entity::organisation::ActiveModel = org.into();
        active.contact_email = Set(Some(email.into()));
        active.update(engine.db()).await.unwrap();
    }
    let sink = SmtpSink::start("127.0.0.1:0", &[]).await;
    let addr = sink.addr;
    let worker = |engine: overdrag_engine::Engine| deliverer(engine, &format!("smtp://{addr}"));

    let input = NewCase {
        region: "syddanmark".into(),
        title: "IV-behandling i eget hjem".into(),
        kind: "transfer".into(),
        giving_party_id: hospital,
        receiving_party_id: odense,
    };
    let mut case = engine.create_case(&anne, input).await.unwrap();
    let description = ProfessionalDescription {
        task: "IV-antibiotika i eget hjem".into(),
        target_group: "Stabile voksne".into(),
        volume_per_year: Some(420),
        competences: "Infusion".into(),
        responsibility: "Hospitalet".into(),
        quality_and_safety: "Instruks".into(),
        documentation: "MedCom".into(),
        timeline: "1. april".into(),
        ..Default::default()
    };
    case = engine
        .revise_description(&anne, case.id, case.version, description)
        .await
        .unwrap();
    case = engine
        .transition(&anne, case.id, case.version, "submit", None)
        .await
        .unwrap();
    case = engine
        .transition(&mette, case.id, case.version, "accept_description", None)
        .await
        .unwrap();
    assert_eq!(
        worker(engine.clone()).run_once(100).await.unwrap().sent,
        6,
        "submitted and economics requested"
    );

    // The mail server goes down in the middle of the case.
    sink.stop().await;
    let lines = vec![
        EconomicsLine {
            party_id: hospital,
            year: 2027,
            one_off_costs: 0,
            running_costs: 0,
            savings: 4_500_000,
        },
        EconomicsLine {
            party_id: odense,
            year: 2027,
            one_off_costs: 0,
            running_costs: 3_900_000,
            savings: 0,
        },
    ];
    case = engine
        .replace_economics(&lars, case.id, case.version, lines, None)
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&lars, case.id, case.version, Side::Giving)
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&lars, case.id, case.version, Side::Receiving)
        .await
        .unwrap();
    case = engine
        .transition(&mette, case.id, case.version, "open_hearing", None)
        .await
        .unwrap();
    let opened = engine
        .open_hearing(&mette, case.id, None, None)
        .await
        .unwrap();
    for link in &opened.links {
        engine
            .answer_hearing_by_link(
                &link.token,
                overdrag_engine::cases::hearings::HearingAnswer::Agree,
                None,
            )
            .await
            .unwrap();
    }
    let down = worker(engine.clone()).run_once(100).await.unwrap();
    assert_eq!(
        (down.sent, down.failed),
        (0, 0),
        "nothing is lost while the server is down: {down:?}"
    );

    // Back up: everything waiting arrives once the backoff has passed, and the case goes on.
    let sink = SmtpSink::start(&addr.to_string(), &[]).await;
    let later_time = chrono::Utc::now() + chrono::Duration::minutes(5);
    let later = engine.clone().with_clock(Arc::new(move || later_time));
    case = later.case(&mette, case.id).await.unwrap();
    case = later
        .transition(&mette, case.id, case.version, "close_hearing", None)
        .await
        .unwrap();
    for (body, decider, decision) in [
        ("steering_group", &jens, "recommend"),
        ("committee", &birgitte, "approve"),
    ] {
        meeting_today(&later, &mette, "syddanmark", body, &[case.id]).await;
        case = later.case(decider, case.id).await.unwrap();
        case = later
            .transition(decider, case.id, case.version, decision, None)
            .await
            .unwrap();
    }
    case = later
        .transition(&mette, case.id, case.version, "start_follow_up", None)
        .await
        .unwrap();
    case = later
        .transition(&mette, case.id, case.version, "close", None)
        .await
        .unwrap();
    assert_eq!(case.state, "closed");
    let mut total = 0;
    loop {
        let round = worker(later.clone()).run_once(100).await.unwrap();
        total += round.sent;
        if round.sent == 0 {
            break;
        }
    }

    let (ouh, kommune) = ("sundhedsaftale@ouh.dk", "sundhed@odense.dk");
    let expected: BTreeSet<(&str, &str)> = [
        ("case_submitted", vec!["anne@ouh.dk", "mette@rsyd.dk"]),
        (
            "economics_requested",
            vec!["lars@rsyd.dk", ouh, kommune, "anne@ouh.dk"],
        ),
        ("signoff_needed", vec!["lars@rsyd.dk", ouh, kommune]),
        ("hearing_opened", vec![ouh, kommune, "anne@ouh.dk"]),
        ("hearing_invitation", vec![kommune]),
        (
            "hearing_closed",
            vec!["jens@rsyd.dk", "anne@ouh.dk", ouh, kommune],
        ),
        (
            "placed_on_agenda",
            vec![
                "anne@ouh.dk",
                ouh,
                kommune,
                "jens@rsyd.dk",
                "birgitte@rsyd.dk",
            ],
        ),
        (
            "agenda_published",
            vec![
                "anne@ouh.dk",
                ouh,
                kommune,
                "jens@rsyd.dk",
                "birgitte@rsyd.dk",
            ],
        ),
        (
            "steering_group_decision",
            vec!["anne@ouh.dk", ouh, kommune, "birgitte@rsyd.dk"],
        ),
        (
            "committee_decision",
            vec!["anne@ouh.dk", ouh, kommune, "mette@rsyd.dk"],
        ),
        ("follow_up_started", vec!["anne@ouh.dk", ouh, kommune]),
        ("case_closed", vec!["anne@ouh.dk", ouh, kommune]),
    ]
    .into_iter()
    .flat_map(|(template, to)| to.into_iter().map(move |t| (template, t)))
    .collect();
    let all = rows(db, case.id).await;
    let sent: BTreeSet<(&str, &str)> = all
        .iter()
        .filter(|r| r.status == "sent")
        .map(|r| {
            (
                r.template.as_str(),
                r.recipient_email.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(sent, expected);
    let sent_rows = all.iter().filter(|r| r.status == "sent").count();
    assert_eq!(
        sent_rows,
        6 + total,
        "every sent row went through the server once"
    );
    let received = sink.received.lock().unwrap().clone();
    assert_eq!(
        received.len(),
        total,
        "the server received each remaining mail once"
    );
    assert!(
        received
            .iter()
            .all(|m| m.data.contains("Med venlig hilsen")),
        "all in Danish"
    );
    sink.stop().await;
}

on_both_databases!(
    a_whole_case_sends_exactly_the_expected_mails_through_an_outage,
    a_failed_mail_is_resent_once_the_party_has_an_address,
    the_mail_arrives_whole_at_the_smtp_server,
    an_smtp_outage_loses_no_mail,
    a_permanent_refusal_is_recorded_and_others_are_sent,
);
