//! The mail worker on a real database: each outbox row is rendered in its recipient's
//! language and sent exactly once, also with two workers on one database.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::cases::NewCase;
use overdrag_engine::domain::description::ProfessionalDescription;
use overdrag_engine::mail::{
    Deliverer, MailPreference, MailTemplates, Reminders, SentMail, Transport,
};
use overdrag_engine::storage::entity::outbox;
use overdrag_tests::{TestDb, on_both_databases, party, person, root};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::sync::{Arc, Mutex};

fn deliverer(db: &TestDb, transport: Transport) -> Deliverer {
    let templates = Arc::new(MailTemplates::load(&root().join("mail-templates")).unwrap());
    Deliverer::new(
        db.engine.clone(),
        templates,
        transport,
        "Overdrag <noreply@overdrag.invalid>",
        "https://overdrag.example/",
    )
    .unwrap()
}

/// Creates and submits a Syddanmark case; returns its number.
async fn submitted_case(db: &TestDb) -> (i64, String) {
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    person(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    person(engine, "jonas@rsyd.dk", "syddanmark", "secretariat").await;
    let input = NewCase {
        region: "syddanmark".into(),
        title: "IV-behandling i eget hjem".into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "syddanmark", "Odense Universitetshospital").await,
        receiving_party_id: party(engine, "syddanmark", "Odense Kommune").await,
    };
    let case = engine.create_case(&proposer, input).await.unwrap();
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
    let case = engine
        .revise_description(&proposer, case.id, case.version, description)
        .await
        .unwrap();
    let case = engine
        .transition(&proposer, case.id, case.version, "submit", None)
        .await
        .unwrap();
    (case.id, case.number)
}

/// A raw mail's text as written: quoted-printable soft line breaks joined, `=XX` left as is.
fn unfolded(raw: &str) -> String {
    raw.replace("=\r\n", "").replace("=\n", "")
}

/// New figures void both sign-offs: the economist's mail says whose sign-offs fell, who
/// changed the figures and which figures changed.
async fn the_sign_off_mail_after_new_figures_says_what_was_voided_by_whom(db: &TestDb) {
    let (case_id, _) = submitted_case(db).await;
    let engine = &db.engine;
    let secretariat = person(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let economist = person(engine, "lars@rsyd.dk", "syddanmark", "economist").await;
    let hospital = party(engine, "syddanmark", "Odense Universitetshospital").await;
    let odense = party(engine, "syddanmark", "Odense Kommune").await;
    let case = engine.case(&secretariat, case_id).await.unwrap();
    let case = engine
        .transition(
            &secretariat,
            case_id,
            case.version,
            "accept_description",
            None,
        )
        .await
        .unwrap();
    let line =
        |party_id, running_costs, savings| overdrag_engine::domain::economics::EconomicsLine {
            party_id,
            year: 2027,
            one_off_costs: 0,
            running_costs,
            savings,
        };
    let mut case = engine
        .replace_economics(
            &economist,
            case_id,
            case.version,
            vec![line(hospital, 0, 900_000), line(odense, 900_000, 0)],
            None,
        )
        .await
        .unwrap();
    for side in [
        overdrag_engine::domain::role::Side::Giving,
        overdrag_engine::domain::role::Side::Receiving,
    ] {
        case = engine
            .sign_off_economics(&economist, case_id, case.version, side)
            .await
            .unwrap();
    }
    engine
        .replace_economics(
            &economist,
            case_id,
            case.version,
            vec![line(hospital, 0, 900_000), line(odense, 1_200_000, 0)],
            None,
        )
        .await
        .unwrap();
    let mailbox: Arc<Mutex<Vec<SentMail>>> = Arc::default();
    deliverer(db, Transport::Memory(mailbox.clone()))
        .run_once(100)
        .await
        .unwrap();
    let sent = mailbox.lock().unwrap().clone();
    let mail = sent
        .iter()
        .filter(|m| m.to == "lars@rsyd.dk")
        .map(|m| unfolded(&m.raw))
        .find(|raw| raw.contains("Odense Kommunes godkendelser"))
        .unwrap_or_else(|| panic!("no sign-off mail naming the voided sign-offs: {sent:#?}"));
    for expected in [
        "Odense Universitetshospitals og Odense Kommunes godkendelser",
        "Odense Kommune, 2027: driftsudgifter 900.000 kr. =E2=86=92 1.200.000 kr.",
    ] {
        assert!(mail.contains(expected), "{expected} missing in:\n{mail}");
    }
}

/// The demo's hearings invite every heard party by mail, as a real one would, each at a
/// contact address on a `.invalid` domain that can reach nobody.
async fn the_demo_mails_every_heard_party_at_an_invalid_address(db: &TestDb) {
    overdrag_engine::demo::load(&db.engine).await.unwrap();
    let invitations: Vec<outbox::Model> = outbox::Entity::find()
        .filter(outbox::Column::Template.eq("hearing_invitation"))
        .all(db.engine.db())
        .await
        .unwrap();
    assert!(!invitations.is_empty(), "the demo opens hearings");
    for row in &invitations {
        let address = row.recipient_email.as_deref().unwrap_or_default();
        assert!(
            address.ends_with(".invalid"),
            "{address} for {}",
            row.recipient_name
        );
    }
    let every_address = outbox::Entity::find().all(db.engine.db()).await.unwrap();
    assert!(
        every_address.iter().all(|r| r
            .recipient_email
            .as_deref()
            .is_some_and(|a| a.ends_with(".invalid"))),
        "every demo mail goes to a .invalid address"
    );
}

async fn statuses(db: &TestDb, case_id: i64) -> Vec<String> {
    let mut rows: Vec<String> = outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case_id))
        .all(db.engine.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.status)
        .collect();
    rows.sort();
    rows
}

async fn a_transitions_mails_are_rendered_and_sent_once(db: &TestDb) {
    let (case_id, number) = submitted_case(db).await;
    let mailbox: Arc<Mutex<Vec<SentMail>>> = Arc::default();
    let worker = deliverer(db, Transport::Memory(mailbox.clone()));
    let round = worker.run_once(50).await.unwrap();
    assert_eq!(round.sent, 3, "the proposer and both secretariat members");
    assert_eq!(
        worker.run_once(50).await.unwrap().sent,
        0,
        "nothing is sent twice"
    );
    let sent = mailbox.lock().unwrap().clone();
    let mut recipients: Vec<&str> = sent.iter().map(|m| m.to.as_str()).collect();
    recipients.sort_unstable();
    assert_eq!(
        recipients,
        ["anne@ouh.dk", "jonas@rsyd.dk", "mette@rsyd.dk"]
    );
    let mail = &sent[0].raw;
    assert!(mail.contains("Message-ID: <outbox-"), "{mail}");
    assert!(mail.contains(&number), "the case number is in the mail");
    assert!(
        mail.contains("Sagen er indsendt"),
        "Danish by default: {mail}"
    );
    assert!(mail.contains(&format!("https://overdrag.example/cases/{case_id}")));
    assert_eq!(statuses(db, case_id).await, ["sent", "sent", "sent"]);
}

async fn without_smtp_mails_are_written_as_eml_files(db: &TestDb) {
    let (case_id, _) = submitted_case(db).await;
    let dir = std::env::temp_dir().join(format!(
        "overdrag-eml-{}-{case_id}-{}",
        std::process::id(),
        db.url.len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let worker = deliverer(db, Transport::configure(None, dir.clone()).unwrap());
    assert_eq!(worker.run_once(50).await.unwrap().sent, 3);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 3);
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(
        text.contains("From: Overdrag <noreply@overdrag.invalid>"),
        "{text}"
    );
}

/// More mail is due than one round takes (50): the worker goes on at once instead of
/// waiting for its next tick, or it could never keep up with a busy server.
async fn a_backlog_goes_out_without_waiting_for_the_next_tick(db: &TestDb) {
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    person(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let giving = party(engine, "syddanmark", "Odense Universitetshospital").await;
    let receiving = party(engine, "syddanmark", "Odense Kommune").await;
    for n in 0..40 {
        let input = NewCase {
            region: "syddanmark".into(),
            title: format!("Sag {n}"),
            kind: "transfer".into(),
            giving_party_id: giving,
            receiving_party_id: receiving,
        };
        let case = engine.create_case(&proposer, input).await.unwrap();
        engine
            .transition(&proposer, case.id, case.version, "withdraw", None)
            .await
            .unwrap();
    }
    let pending = outbox::Entity::find()
        .filter(outbox::Column::Status.eq("pending"))
        .all(engine.db())
        .await
        .unwrap()
        .len();
    assert!(pending > 50, "{pending} rows are not more than one round");
    let mailbox: Arc<Mutex<Vec<SentMail>>> = Arc::default();
    let worker = deliverer(db, Transport::Memory(mailbox.clone()));
    let running = tokio::spawn(worker.run(std::time::Duration::from_secs(3_600)));
    let started = std::time::Instant::now();
    while mailbox.lock().unwrap().len() < pending
        && started.elapsed() < std::time::Duration::from_secs(20)
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    running.abort();
    assert_eq!(mailbox.lock().unwrap().len(), pending);
}

async fn two_workers_send_each_mail_exactly_once(db: &TestDb) {
    let mut cases = Vec::new();
    for n in 0..4 {
        let engine = &db.engine;
        let proposer = person(engine, &format!("p{n}@ouh.dk"), "syddanmark", "proposer").await;
        let input = NewCase {
            region: "syddanmark".into(),
            title: format!("Sag {n}"),
            kind: "transfer".into(),
            giving_party_id: party(engine, "syddanmark", "Odense Universitetshospital").await,
            receiving_party_id: party(engine, "syddanmark", "Odense Kommune").await,
        };
        let case = engine.create_case(&proposer, input).await.unwrap();
        let case = engine
            .transition(&proposer, case.id, case.version, "withdraw", None)
            .await
            .unwrap();
        cases.push(case.id);
    }
    person(&db.engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let expected: usize = {
        let rows = outbox::Entity::find().all(db.engine.db()).await.unwrap();
        rows.iter().filter(|r| r.status == "pending").count()
    };
    let mailbox: Arc<Mutex<Vec<SentMail>>> = Arc::default();
    let (a, b) = (
        deliverer(db, Transport::Memory(mailbox.clone())),
        deliverer(db, Transport::Memory(mailbox.clone())),
    );
    let (first, second) = tokio::join!(async { a.run_once(2).await.unwrap() }, async {
        b.run_once(2).await.unwrap()
    });
    let mut total = first.sent + second.sent;
    while total < expected {
        total += a.run_once(2).await.unwrap().sent;
    }
    let sent = mailbox.lock().unwrap();
    assert_eq!(sent.len(), expected);
    let mut ids: Vec<String> = sent
        .iter()
        .map(|m| {
            m.raw
                .lines()
                .find(|l| l.starts_with("Message-ID"))
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), expected, "no mail was sent twice");
}

async fn reminders_fire_once_and_stop_when_the_case_moves_on(db: &TestDb) {
    let (case_id, _) = submitted_case(db).await;
    let secretariat = person(&db.engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let case = db.engine.case(&secretariat, case_id).await.unwrap();
    let due = case.due_date.expect("description review has a deadline");
    let at = |date: chrono::NaiveDate| {
        let moment = date.and_hms_opt(12, 0, 0).unwrap().and_utc();
        db.engine.clone().with_clock(Arc::new(move || moment))
    };
    assert_eq!(
        Reminders::new(db.engine.clone(), 3)
            .run_once()
            .await
            .unwrap(),
        0,
        "ten working days ahead: nothing yet"
    );
    let near = Reminders::new(at(due - chrono::Duration::days(1)), 3);
    assert_eq!(near.run_once().await.unwrap(), 1);
    assert_eq!(near.run_once().await.unwrap(), 0, "each reminder once");
    let passed = Reminders::new(at(due + chrono::Duration::days(1)), 3);
    assert_eq!(passed.run_once().await.unwrap(), 1);
    assert_eq!(passed.run_once().await.unwrap(), 0);
    let kinds: Vec<String> = outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case_id))
        .all(db.engine.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.template)
        .filter(|t| t.starts_with("deadline"))
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "deadline_near").count(),
        2,
        "both secretariat members: {kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| *k == "deadline_passed").count(), 2);
    // The case moves on: no reminder for the old state, and the new deadline is far away.
    let later = at(due + chrono::Duration::days(1));
    later
        .transition(
            &secretariat,
            case_id,
            case.version,
            "accept_description",
            None,
        )
        .await
        .unwrap();
    assert_eq!(Reminders::new(later, 3).run_once().await.unwrap(), 0);
    let mailbox: Arc<Mutex<Vec<SentMail>>> = Arc::default();
    let templates = Arc::new(MailTemplates::load(&root().join("mail-templates")).unwrap());
    let worker = Deliverer::new(
        at(due + chrono::Duration::days(2)),
        templates,
        Transport::Memory(mailbox.clone()),
        "Overdrag <noreply@overdrag.invalid>",
        "https://overdrag.example",
    )
    .unwrap();
    worker.run_once(100).await.unwrap();
    let reminder_rows: Vec<(String, Option<String>)> = outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case_id))
        .all(db.engine.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.template.starts_with("deadline"))
        .map(|r| (r.status, r.last_error))
        .collect();
    assert!(
        reminder_rows.iter().all(|(status, _)| status == "sent"),
        "reminder mails render and go out: {reminder_rows:?}"
    );
    assert!(
        mailbox
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.raw.contains("Fristen er overskredet")),
        "the reminder's subject"
    );
    let journal = db.engine.journal(&secretariat, case_id).await.unwrap();
    assert_eq!(
        journal
            .events
            .iter()
            .filter(|e| e.kind == "reminder")
            .count(),
        2
    );
    assert!(journal.chain.verified);
}

async fn a_digest_reader_gets_one_mail_a_day_with_everything(db: &TestDb) {
    let reader = person(&db.engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    db.engine
        .set_mail_preference(&reader, MailPreference { daily_digest: true })
        .await
        .unwrap();
    let (first, first_number) = submitted_case(db).await;
    let (second, second_number) = submitted_case(db).await;
    let mailbox: Arc<Mutex<Vec<SentMail>>> = Arc::default();
    let worker = deliverer(db, Transport::Memory(mailbox.clone()));
    assert_eq!(
        worker.run_once(50).await.unwrap().sent,
        4,
        "the proposer and the other secretariat member get theirs at once, twice"
    );
    assert!(
        mailbox
            .lock()
            .unwrap()
            .iter()
            .all(|m| m.to != "mette@rsyd.dk"),
        "the digest reader's mails are held"
    );
    assert_eq!(
        worker.run_digest_once().await.unwrap().sent,
        0,
        "nothing before the next digest hour"
    );
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let digest_worker = Deliverer::new(
        db.engine.clone().with_clock(Arc::new(move || tomorrow)),
        Arc::new(MailTemplates::load(&root().join("mail-templates")).unwrap()),
        Transport::Memory(mailbox.clone()),
        "Overdrag <noreply@overdrag.invalid>",
        "https://overdrag.example/",
    )
    .unwrap();
    assert_eq!(digest_worker.run_digest_once().await.unwrap().sent, 1);
    assert_eq!(
        digest_worker.run_digest_once().await.unwrap().sent,
        0,
        "once"
    );
    let digests: Vec<SentMail> = mailbox
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.to == "mette@rsyd.dk")
        .cloned()
        .collect();
    assert_eq!(digests.len(), 1);
    let raw = &digests[0].raw;
    assert!(raw.contains("Message-ID: <digest-"), "{raw}");
    assert!(
        raw.contains(&first_number) && raw.contains(&second_number),
        "{raw}"
    );
    assert!(
        raw.contains("dagligt overblik") || raw.contains("Dagligt overblik"),
        "{raw}"
    );
    for case in [first, second] {
        let held: Vec<(String, Option<String>)> = outbox::Entity::find()
            .filter(outbox::Column::CaseId.eq(case))
            .filter(outbox::Column::RecipientEmail.eq("mette@rsyd.dk"))
            .all(db.engine.db())
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.status, r.reply))
            .collect();
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].0, "sent");
        assert!(
            held[0]
                .1
                .as_deref()
                .is_some_and(|r| r.starts_with("in the daily digest"))
        );
    }
    // Leaving the digest releases what it held.
    let (third, _) = submitted_case(db).await;
    assert!(statuses(db, third).await.contains(&"digest".to_owned()));
    db.engine
        .set_mail_preference(
            &reader,
            MailPreference {
                daily_digest: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(worker.run_once(50).await.unwrap().sent, 3);
    assert_eq!(statuses(db, third).await, ["sent", "sent", "sent"]);
}

on_both_databases!(
    the_demo_mails_every_heard_party_at_an_invalid_address,
    the_sign_off_mail_after_new_figures_says_what_was_voided_by_whom,
    a_digest_reader_gets_one_mail_a_day_with_everything,
    reminders_fire_once_and_stop_when_the_case_moves_on,
    a_transitions_mails_are_rendered_and_sent_once,
    without_smtp_mails_are_written_as_eml_files,
    two_workers_send_each_mail_exactly_once,
    a_backlog_goes_out_without_waiting_for_the_next_tick,
);
