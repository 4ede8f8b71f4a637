//! The case service on a real database: one transaction per change, optimistic concurrency,
//! gap-free numbers, the hash-chained journal and the outbox — on SQLite, and on PostgreSQL.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::cases::NewCase;
use overdrag_engine::cases::hearings::HearingAnswer;
use overdrag_engine::cases::implementation::ImplementationPlan;
use overdrag_engine::cases::meetings::NewMeeting;
use overdrag_engine::cases::view::CaseView;
use overdrag_engine::domain::economics::EconomicsLine;
use overdrag_engine::domain::role::Side;
use overdrag_engine::mail::Reminders;
use overdrag_engine::storage::entity::{journal_event, outbox};
use overdrag_engine::workflow::machine::Refusal;
use overdrag_engine::{Actor, Engine, EngineError};
use overdrag_tests::{TestDb, full_description, meeting_today, on_both_databases, party, person};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::collections::BTreeMap;
use std::sync::Arc;

struct Syddanmark {
    proposer: Actor,
    secretariat: Actor,
    economist: Actor,
    steering: Actor,
    committee: Actor,
    hospital: i64,
    odense: i64,
}

async fn syddanmark(engine: &Engine) -> Syddanmark {
    Syddanmark {
        proposer: person(engine, "anne@ouh.dk", "syddanmark", "proposer").await,
        secretariat: person(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await,
        economist: person(engine, "lars@rsyd.dk", "syddanmark", "economist").await,
        steering: person(engine, "jens@rsyd.dk", "syddanmark", "steering_group").await,
        committee: person(engine, "birgitte@rsyd.dk", "syddanmark", "committee").await,
        hospital: party(engine, "syddanmark", "Odense Universitetshospital").await,
        odense: party(engine, "syddanmark", "Odense Kommune").await,
    }
}

async fn new_case(engine: &Engine, s: &Syddanmark) -> CaseView {
    let input = NewCase {
        region: "syddanmark".into(),
        title: "IV-behandling i eget hjem".into(),
        kind: "transfer".into(),
        giving_party_id: s.hospital,
        receiving_party_id: s.odense,
    };
    engine
        .create_case(&s.proposer, input)
        .await
        .expect("case created")
}

fn figures(s: &Syddanmark, running: i64) -> Vec<EconomicsLine> {
    (2027..2031)
        .flat_map(|year| {
            [
                EconomicsLine {
                    party_id: s.hospital,
                    year,
                    one_off_costs: 0,
                    running_costs: 0,
                    savings: 4_500_000,
                },
                EconomicsLine {
                    party_id: s.odense,
                    year,
                    one_off_costs: if year == 2027 { 200_000 } else { 0 },
                    running_costs: running,
                    savings: 0,
                },
            ]
        })
        .collect()
}

async fn step(
    engine: &Engine,
    actor: &Actor,
    case: &CaseView,
    transition: &str,
    comment: Option<&str>,
) -> CaseView {
    engine
        .transition(actor, case.id, case.version, transition, comment)
        .await
        .unwrap_or_else(|e| panic!("{transition} from {}: {e}", case.state))
}

/// Holds a meeting of `body` today with the case on its published agenda, so the body's
/// members may decide it now.
async fn put_on_agenda(engine: &Engine, s: &Syddanmark, case: &CaseView, body: &str) -> CaseView {
    meeting_today(engine, &s.secretariat, "syddanmark", body, &[case.id]).await;
    engine.case(&s.proposer, case.id).await.unwrap()
}

/// Opens the case's hearing and lets every heard party agree through its link.
async fn hear_everyone(engine: &Engine, s: &Syddanmark, case: &CaseView) -> CaseView {
    let opened = engine
        .open_hearing(&s.secretariat, case.id, None, None)
        .await
        .unwrap();
    for link in &opened.links {
        engine
            .answer_hearing_by_link(&link.token, HearingAnswer::Agree, None)
            .await
            .unwrap();
    }
    engine.case(&s.proposer, case.id).await.unwrap()
}

/// A new case driven through description, economics and hearing to the steering group.
async fn awaiting_steering_group(engine: &Engine, s: &Syddanmark) -> CaseView {
    let mut case = new_case(engine, s).await;
    case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    case = step(engine, &s.proposer, &case, "submit", None).await;
    case = step(engine, &s.secretariat, &case, "accept_description", None).await;
    case = engine
        .replace_economics(
            &s.economist,
            case.id,
            case.version,
            figures(s, 3_900_000),
            None,
        )
        .await
        .unwrap();
    for side in [Side::Giving, Side::Receiving] {
        case = engine
            .sign_off_economics(&s.economist, case.id, case.version, side)
            .await
            .unwrap();
    }
    case = step(engine, &s.secretariat, &case, "open_hearing", None).await;
    case = hear_everyone(engine, s, &case).await;
    step(engine, &s.secretariat, &case, "close_hearing", None).await
}

/// The addresses a case's mails of `template` went to; a party without an address as `-`.
async fn recipients_of(engine: &Engine, case_id: i64, template: &str) -> Vec<String> {
    let mut to: Vec<String> = outbox_rows(engine, case_id)
        .await
        .into_iter()
        .filter(|r| r.template == template)
        .map(|r| r.recipient_email.unwrap_or_else(|| "-".into()))
        .collect();
    to.sort();
    to
}

async fn a_published_agenda_tells_each_party_and_member_once(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    person(engine, "karen@rsyd.dk", "syddanmark", "steering_group").await;
    let first = awaiting_steering_group(engine, &s).await;
    let second = awaiting_steering_group(engine, &s).await;
    let held_on = engine.today() + chrono::Duration::days(14);
    let meeting = engine
        .create_meeting(
            &s.secretariat,
            NewMeeting {
                region: "syddanmark".into(),
                body: "steering_group".into(),
                title: "Strategisk Sundhedsstyregruppe, møde 5".into(),
                held_on,
                material_deadline: held_on - chrono::Duration::days(7),
            },
        )
        .await
        .unwrap();
    for case in [&first, &second] {
        engine
            .place_on_agenda(&s.secretariat, meeting.id, case.id, false)
            .await
            .unwrap();
    }
    let reordered = engine
        .move_agenda_item(&s.secretariat, meeting.id, second.id, 1)
        .await
        .unwrap();
    let order: Vec<(i32, i64)> = reordered
        .agenda
        .iter()
        .map(|a| (a.position, a.case_id))
        .collect();
    assert_eq!(order, [(1, second.id), (2, first.id)]);
    assert!(reordered.published_at.is_none(), "a draft until published");
    assert!(matches!(
        engine.publish_agenda(&s.steering, meeting.id).await,
        Err(EngineError::Forbidden { .. })
    ));
    assert!(matches!(
        engine
            .move_agenda_item(&s.proposer, meeting.id, first.id, 1)
            .await,
        Err(EngineError::Forbidden { .. })
    ));

    let published = engine
        .publish_agenda(&s.secretariat, meeting.id)
        .await
        .unwrap();
    assert!(published.published_at.is_some());
    assert!(
        matches!(
            engine.publish_agenda(&s.secretariat, meeting.id).await,
            Err(EngineError::Invalid(f)) if f[0].message.contains("was published")
        ),
        "an agenda is published once"
    );
    for case in [&first, &second] {
        assert_eq!(
            recipients_of(engine, case.id, "agenda_published").await,
            ["-", "-", "anne@ouh.dk", "jens@rsyd.dk", "karen@rsyd.dk"],
            "the proposer, both members, and the two parties (without an address, marked failed)"
        );
        let journal = engine.journal(&s.secretariat, case.id).await.unwrap();
        let event = journal
            .events
            .iter()
            .find(|e| e.kind == "agenda_published")
            .unwrap();
        assert_eq!(event.details["meeting"]["id"], meeting.id);
        assert!(journal.chain.verified);
    }
}

async fn an_approved_cases_dates_are_planned_and_reminded_once(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let today = engine.today();
    let start = today + chrono::Duration::days(30);
    let evaluation = today + chrono::Duration::days(200);
    let plan = |implementation_on, follow_up_on| ImplementationPlan {
        implementation_on: Some(implementation_on),
        follow_up_on: Some(follow_up_on),
    };
    let mut case = awaiting_steering_group(engine, &s).await;
    assert!(
        matches!(
            engine.plan_implementation(&s.secretariat, case.id, case.version, plan(start, evaluation)).await,
            Err(EngineError::Invalid(f)) if f[0].field == "implementation_on"
        ),
        "not before the committee's approval"
    );
    case = put_on_agenda(engine, &s, &case, "steering_group").await;
    case = step(engine, &s.steering, &case, "recommend", None).await;
    case = put_on_agenda(engine, &s, &case, "committee").await;
    case = step(engine, &s.committee, &case, "approve", None).await;
    assert!(matches!(
        engine
            .plan_implementation(&s.proposer, case.id, case.version, plan(start, evaluation))
            .await,
        Err(EngineError::Forbidden { .. })
    ));
    assert!(matches!(
        engine.plan_implementation(&s.secretariat, case.id, case.version, plan(start, start)).await,
        Err(EngineError::Invalid(f)) if f[0].field == "follow_up_on"
    ));
    case = engine
        .plan_implementation(
            &s.secretariat,
            case.id,
            case.version,
            plan(start, evaluation),
        )
        .await
        .unwrap();
    assert_eq!(
        (case.implementation_on, case.follow_up_on),
        (Some(start), Some(evaluation))
    );

    let at = |date: chrono::NaiveDate| {
        let moment = date.and_hms_opt(12, 0, 0).unwrap().and_utc();
        Reminders::new(db.engine.clone().with_clock(Arc::new(move || moment)), 3)
    };
    assert_eq!(
        at(today).run_once().await.unwrap(),
        0,
        "a month ahead: nothing yet"
    );
    let before_start = at(start - chrono::Duration::days(1));
    assert_eq!(before_start.run_once().await.unwrap(), 1);
    assert_eq!(
        before_start.run_once().await.unwrap(),
        0,
        "each reminder once"
    );
    let before_evaluation = at(evaluation - chrono::Duration::days(1));
    before_evaluation.run_once().await.unwrap();
    before_evaluation.run_once().await.unwrap();
    let parties = ["-", "-", "anne@ouh.dk", "mette@rsyd.dk"];
    assert_eq!(
        recipients_of(engine, case.id, "implementation_due").await,
        parties
    );
    assert_eq!(
        recipients_of(engine, case.id, "follow_up_due").await,
        parties
    );
    // Closed: no more reminders.
    case = engine.case(&s.secretariat, case.id).await.unwrap();
    case = step(engine, &s.secretariat, &case, "start_follow_up", None).await;
    step(engine, &s.secretariat, &case, "close", None).await;
    let after = at(evaluation + chrono::Duration::days(400));
    assert_eq!(after.run_once().await.unwrap(), 0);
    let journal = engine.journal(&s.secretariat, case.id).await.unwrap();
    let planned = journal
        .events
        .iter()
        .find(|e| e.kind == "implementation_planned")
        .unwrap();
    assert_eq!(planned.details["changes"][0]["new"], start.to_string());
    assert!(journal.chain.verified);
}

async fn two_answers_sent_at_once_through_one_link_count_once(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let mut case = new_case(engine, &s).await;
    case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    case = step(engine, &s.proposer, &case, "submit", None).await;
    case = step(engine, &s.secretariat, &case, "accept_description", None).await;
    case = engine
        .replace_economics(
            &s.economist,
            case.id,
            case.version,
            figures(&s, 3_900_000),
            None,
        )
        .await
        .unwrap();
    for side in [Side::Giving, Side::Receiving] {
        case = engine
            .sign_off_economics(&s.economist, case.id, case.version, side)
            .await
            .unwrap();
    }
    step(engine, &s.secretariat, &case, "open_hearing", None).await;
    let opened = engine
        .open_hearing(&s.secretariat, case.id, None, None)
        .await
        .unwrap();
    let token = opened.links[0].token.clone();
    let (agree, object) = tokio::join!(
        engine.answer_hearing_once(&token, HearingAnswer::Agree, None),
        engine.answer_hearing_once(
            &token,
            HearingAnswer::Object,
            Some("Vi mangler ressourcer.")
        )
    );
    assert_eq!(
        [agree.is_ok(), object.is_ok()]
            .iter()
            .filter(|ok| **ok)
            .count(),
        1,
        "exactly one of two simultaneous answers counts: {agree:?} {object:?}"
    );
    let journal = engine.journal(&s.secretariat, case.id).await.unwrap();
    assert_eq!(
        journal
            .events
            .iter()
            .filter(|e| e.kind == "hearing_answered")
            .count(),
        1
    );
}

async fn outbox_rows(engine: &Engine, case_id: i64) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case_id))
        .all(engine.db())
        .await
        .unwrap()
}

async fn a_case_goes_from_draft_to_closed(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let mut case = new_case(engine, &s).await;
    assert_eq!(case.state, "draft");
    assert!(
        case.number.starts_with("SYD-") && case.number.ends_with("-0001"),
        "{}",
        case.number
    );

    case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    case = step(engine, &s.proposer, &case, "submit", None).await;
    case = step(engine, &s.secretariat, &case, "accept_description", None).await;
    assert_eq!(case.state, "economic_assessment");
    assert!(
        case.due_date.is_some(),
        "the economic assessment has a deadline"
    );
    case = engine
        .replace_economics(
            &s.economist,
            case.id,
            case.version,
            figures(&s, 3_900_000),
            None,
        )
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&s.economist, case.id, case.version, Side::Giving)
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&s.economist, case.id, case.version, Side::Receiving)
        .await
        .unwrap();
    case = step(engine, &s.secretariat, &case, "open_hearing", None).await;
    case = hear_everyone(engine, &s, &case).await;
    case = step(engine, &s.secretariat, &case, "close_hearing", None).await;
    case = put_on_agenda(engine, &s, &case, "steering_group").await;
    case = step(engine, &s.steering, &case, "recommend", None).await;
    case = put_on_agenda(engine, &s, &case, "committee").await;
    case = step(
        engine,
        &s.committee,
        &case,
        "approve_with_conditions",
        Some("Opfølgning efter 12 måneder."),
    )
    .await;
    assert_eq!(case.state, "implementation");
    case = step(engine, &s.secretariat, &case, "start_follow_up", None).await;
    case = step(engine, &s.secretariat, &case, "close", None).await;
    assert_eq!(case.state, "closed");
    assert!(
        case.available_transitions.is_empty(),
        "a closed case offers nothing"
    );

    let journal = engine.journal(&s.proposer, case.id).await.unwrap();
    assert!(journal.chain.verified, "{:?}", journal.chain);
    // Every event of the case's life reads back as a typed event, stored and as viewed.
    let rows = journal_event::Entity::find()
        .filter(journal_event::Column::CaseId.eq(case.id))
        .all(engine.db())
        .await
        .unwrap();
    for row in &rows {
        assert!(row.event().is_ok(), "{}: {:?}", row.kind, row.event());
    }
    assert!(journal.events.iter().all(|e| e.event().is_ok()));
    let kinds: Vec<&str> = journal.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "transition").count(), 8);
    assert_eq!(kinds[..2], ["created", "description_revised"]);
    let decision = journal
        .events
        .iter()
        .find(|e| e.transition.as_deref() == Some("approve_with_conditions"))
        .unwrap();
    assert_eq!(
        decision.comment.as_deref(),
        Some("Opfølgning efter 12 måneder.")
    );
    assert_eq!(
        decision.actor.as_ref().map(|a| a.id),
        Some(s.committee.user_id)
    );

    let mails = outbox_rows(engine, case.id).await;
    let submitted: Vec<_> = mails
        .iter()
        .filter(|m| m.template == "case_submitted")
        .filter_map(|m| m.recipient_email.clone())
        .collect();
    assert_eq!(
        submitted.len(),
        2,
        "proposer and secretariat get the submission mail: {submitted:?}"
    );
    assert!(
        submitted.contains(&"anne@ouh.dk".to_owned())
            && submitted.contains(&"mette@rsyd.dk".to_owned())
    );
    // The parties have no contact address in the reference data: the rows say so instead of vanishing.
    let unreachable = mails
        .iter()
        .filter(|m| m.recipient_email.is_none())
        .collect::<Vec<_>>();
    assert!(
        !unreachable.is_empty()
            && unreachable.iter().all(|m| m.status == "failed"
                && m.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("kontaktadresse")))
    );
}

async fn a_stale_version_is_refused_with_the_current_version(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = new_case(engine, &s).await;
    let edited = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    let stale = engine
        .transition(&s.proposer, case.id, case.version, "submit", None)
        .await;
    match stale {
        Err(EngineError::Conflict { expected, current }) => {
            assert_eq!(expected, case.version);
            assert_eq!(current, edited.version);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn twenty_concurrent_transitions_yield_one_success(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = new_case(engine, &s).await;
    let case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    let attempts = (0..20)
        .map(|_| {
            let engine = engine.clone();
            let proposer = s.proposer.clone();
            let (id, version) = (case.id, case.version);
            tokio::spawn(async move {
                engine
                    .transition(&proposer, id, version, "submit", None)
                    .await
            })
        })
        .collect::<Vec<_>>();
    let mut successes = 0;
    let mut conflicts = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => successes += 1,
            Err(EngineError::Conflict { .. }) => conflicts += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!((successes, conflicts), (1, 19));
    let journal = engine.journal(&s.proposer, case.id).await.unwrap();
    assert_eq!(
        journal
            .events
            .iter()
            .filter(|e| e.kind == "transition")
            .count(),
        1
    );
    assert!(journal.chain.verified);
    assert_eq!(
        outbox_rows(engine, case.id).await.len(),
        2,
        "one submission's mails, not twenty"
    );
}

/// A decision's guards read the case file after the case: a loser that read the case before
/// the winner committed, and the file after, must still be told 409, not that the case is
/// off the agenda, and no refusal may be journalled on so stale a picture.
async fn twenty_concurrent_decisions_yield_one_success_and_nineteen_conflicts(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = awaiting_steering_group(engine, &s).await;
    let case = put_on_agenda(engine, &s, &case, "steering_group").await;
    // Staggered, so that some losers read the case while the winner's change is under way.
    let attempts = (0..20u64)
        .map(|n| {
            let engine = engine.clone();
            let steering = s.steering.clone();
            let (id, version) = (case.id, case.version);
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(2 * n)).await;
                engine
                    .transition(&steering, id, version, "recommend", None)
                    .await
            })
        })
        .collect::<Vec<_>>();
    let mut successes = 0;
    let mut conflicts = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => successes += 1,
            Err(EngineError::Conflict { .. }) => conflicts += 1,
            Err(other) => panic!("a loser must be told 409, not: {other}"),
        }
    }
    assert_eq!((successes, conflicts), (1, 19));
    let journal = engine.journal(&s.proposer, case.id).await.unwrap();
    assert!(
        journal.events.iter().all(|e| e.kind != "refused"),
        "no refusal is journalled for a race lost"
    );
    assert!(journal.chain.verified);
}

async fn case_numbers_are_gap_free_under_concurrency(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let creations = (0..20)
        .map(|_| {
            let engine = engine.clone();
            let proposer = s.proposer.clone();
            let input = NewCase {
                region: "syddanmark".into(),
                title: "Blodprøvetagning i hjemmet".into(),
                kind: "transfer".into(),
                giving_party_id: s.hospital,
                receiving_party_id: s.odense,
            };
            tokio::spawn(async move { engine.create_case(&proposer, input).await })
        })
        .collect::<Vec<_>>();
    let mut numbers = Vec::new();
    for creation in creations {
        numbers.push(creation.await.unwrap().expect("created").number);
    }
    numbers.sort();
    let year = engine.today().format("%Y").to_string();
    let expected: Vec<String> = (1..=20).map(|n| format!("SYD-{year}-{n:04}")).collect();
    assert_eq!(numbers, expected);
    // Another region counts on its own.
    let nord = person(engine, "nord@rn.dk", "nordjylland", "proposer").await;
    let input = NewCase {
        region: "nordjylland".into(),
        title: "Sondeernæring".into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "nordjylland", "Aalborg Universitetshospital").await,
        receiving_party_id: party(engine, "nordjylland", "Aalborg Kommune").await,
    };
    assert!(
        engine
            .create_case(&nord, input)
            .await
            .unwrap()
            .number
            .ends_with("-0001")
    );
}

async fn a_refused_transition_changes_nothing(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = new_case(engine, &s).await;
    let refused = engine
        .transition(&s.proposer, case.id, case.version, "submit", None)
        .await;
    match refused {
        Err(EngineError::Refused(Refusal::Blocked { failures, .. })) => {
            assert_eq!(failures.len(), 1);
            assert!(
                failures[0].message.da.contains("Målgruppe"),
                "{}",
                failures[0].message.da
            );
        }
        other => panic!("expected the description guard to block, got {other:?}"),
    }
    let wrong_role = engine
        .transition(&s.secretariat, case.id, case.version, "submit", None)
        .await;
    assert!(
        matches!(
            wrong_role,
            Err(EngineError::Refused(Refusal::RoleNotAllowed { .. }))
        ),
        "{wrong_role:?}"
    );
    let return_without_comment = engine
        .transition(
            &s.secretariat,
            case.id,
            case.version,
            "return_to_proposer",
            None,
        )
        .await;
    assert!(matches!(
        return_without_comment,
        Err(EngineError::Refused(Refusal::NotAvailable { .. }))
    ));

    let after = engine.case(&s.proposer, case.id).await.unwrap();
    assert_eq!(
        (after.state.as_str(), after.version),
        ("draft", case.version)
    );
    // Each refusal is journaled with who tried what, and the chain still verifies.
    let journal = engine.journal(&s.proposer, case.id).await.unwrap();
    let refusals: Vec<_> = journal
        .events
        .iter()
        .filter(|e| e.kind == "refused")
        .collect();
    assert_eq!((journal.events.len(), refusals.len()), (4, 3));
    assert_eq!(
        refusals[1].actor.as_ref().map(|a| a.id),
        Some(s.secretariat.user_id)
    );
    assert_eq!(refusals[1].details["attempted"], "transition submit");
    assert!(journal.chain.verified);
    assert!(outbox_rows(engine, case.id).await.is_empty());
}

async fn a_return_needs_a_comment(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = new_case(engine, &s).await;
    let case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    let case = step(engine, &s.proposer, &case, "submit", None).await;
    let refused = engine
        .transition(
            &s.secretariat,
            case.id,
            case.version,
            "return_to_proposer",
            Some("  "),
        )
        .await;
    assert!(
        matches!(refused, Err(EngineError::Refused(Refusal::Blocked { .. }))),
        "{refused:?}"
    );
    let returned = step(
        engine,
        &s.secretariat,
        &case,
        "return_to_proposer",
        Some("Uddyb behandlingsansvaret."),
    )
    .await;
    assert_eq!(returned.state, "draft");
}

async fn another_region_cannot_see_or_move_the_case(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = new_case(engine, &s).await;
    let outsider = person(engine, "sek@rn.dk", "nordjylland", "secretariat").await;
    assert!(matches!(
        engine.case(&outsider, case.id).await,
        Err(EngineError::NotFound { .. })
    ));
    assert!(matches!(
        engine
            .transition(&outsider, case.id, case.version, "withdraw", None)
            .await,
        Err(EngineError::NotFound { .. })
    ));
    assert!(matches!(
        engine.journal(&outsider, case.id).await,
        Err(EngineError::NotFound { .. })
    ));
}

async fn changing_the_figures_voids_a_signoff(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let mut case = new_case(engine, &s).await;
    case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    case = step(engine, &s.proposer, &case, "submit", None).await;
    case = step(engine, &s.secretariat, &case, "accept_description", None).await;
    case = engine
        .replace_economics(
            &s.economist,
            case.id,
            case.version,
            figures(&s, 3_900_000),
            None,
        )
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&s.economist, case.id, case.version, Side::Giving)
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&s.economist, case.id, case.version, Side::Receiving)
        .await
        .unwrap();
    assert!(case.economics.signoffs.iter().all(|s| s.valid));
    // An economist of the receiving municipality may sign for the receiving side only.
    let odense_economist = overdrag_engine::users::add_user(
        engine.db(),
        overdrag_engine::users::NewUser {
            email: "oek@odense.dk".into(),
            name: "Ole Krog".into(),
            region: "syddanmark".into(),
            role: "economist".into(),
            organisation: Some("Odense Kommune".into()),
            language: None,
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .0;
    let for_the_hospital = engine
        .sign_off_economics(&odense_economist, case.id, case.version, Side::Giving)
        .await;
    assert!(
        matches!(for_the_hospital, Err(EngineError::Forbidden { .. })),
        "{for_the_hospital:?}"
    );
    let case = engine
        .sign_off_economics(&odense_economist, case.id, case.version, Side::Receiving)
        .await
        .unwrap();
    assert!(case.economics.signoffs.iter().all(|s| s.valid));
    let mut case = case;
    case = engine
        .replace_economics(
            &s.economist,
            case.id,
            case.version,
            figures(&s, 4_100_000),
            None,
        )
        .await
        .unwrap();
    assert!(
        case.economics.signoffs.iter().all(|s| !s.valid),
        "old sign-offs no longer hold"
    );
    let seen_by_secretariat = engine.case(&s.secretariat, case.id).await.unwrap();
    let open = seen_by_secretariat
        .available_transitions
        .iter()
        .find(|t| t.id == "open_hearing")
        .unwrap();
    assert_eq!(open.blocked_by.len(), 1);
    let journal = engine.journal(&s.economist, case.id).await.unwrap();
    let change = journal
        .events
        .iter()
        .rev()
        .find(|e| e.kind == "economics_changed")
        .unwrap();
    assert_eq!(
        change.details["voided_signoffs"],
        serde_json::json!(["giving", "receiving"])
    );
    let bad = engine
        .replace_economics(
            &s.economist,
            case.id,
            case.version,
            vec![EconomicsLine {
                party_id: s.odense,
                year: 2027,
                one_off_costs: -5,
                running_costs: 0,
                savings: 0,
            }],
            None,
        )
        .await;
    match bad {
        Err(EngineError::Invalid(fields)) => assert_eq!(fields[0].field, "lines[0].one_off_costs"),
        other => panic!("expected a field error, got {other:?}"),
    }
    let templates: Vec<String> = outbox_rows(engine, case.id)
        .await
        .into_iter()
        .map(|r| r.template)
        .collect();
    assert!(
        templates.iter().filter(|t| *t == "signoff_needed").count() >= 2,
        "each change of figures asks for sign-off: {templates:?}"
    );
}

async fn tampering_with_the_journal_is_detected(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = new_case(engine, &s).await;
    let case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    step(
        engine,
        &s.proposer,
        &case,
        "withdraw",
        Some("Ikke længere relevant."),
    )
    .await;
    assert!(engine.verify_journal(case.id).await.unwrap().verified);
    engine
        .db()
        .execute_unprepared(&format!(
            "UPDATE journal_event SET comment = 'Ændret bagefter' WHERE case_id = {} AND seq = 3",
            case.id
        ))
        .await
        .unwrap();
    let chain = engine.verify_journal(case.id).await.unwrap();
    assert!(!chain.verified);
    assert_eq!(chain.broken_at, Some(3));
    let count = journal_event::Entity::find()
        .filter(journal_event::Column::CaseId.eq(case.id))
        .count(engine.db())
        .await
        .unwrap();
    assert_eq!(count, 3);
}

async fn a_terminal_case_stays_terminal(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = new_case(engine, &s).await;
    let withdrawn = step(engine, &s.proposer, &case, "withdraw", None).await;
    assert_eq!(withdrawn.state, "withdrawn");
    let all: BTreeMap<&str, &Actor> = [
        ("proposer", &s.proposer),
        ("secretariat", &s.secretariat),
        ("steering", &s.steering),
        ("committee", &s.committee),
    ]
    .into();
    for (who, actor) in all {
        for transition in [
            "submit",
            "withdraw",
            "approve",
            "close",
            "return_to_proposer",
        ] {
            let refused = engine
                .transition(
                    actor,
                    case.id,
                    withdrawn.version,
                    transition,
                    Some("forsøg"),
                )
                .await;
            assert!(
                matches!(
                    refused,
                    Err(EngineError::Refused(Refusal::NotAvailable { .. }))
                ),
                "{who} {transition}: {refused:?}"
            );
        }
    }
}

async fn only_the_cases_own_proposer_may_withdraw_it(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = new_case(engine, &s).await;
    let colleague = person(engine, "kollega@ouh.dk", "syddanmark", "proposer").await;
    let refused = engine
        .transition(&colleague, case.id, case.version, "withdraw", None)
        .await;
    assert!(
        matches!(
            refused,
            Err(EngineError::Refused(Refusal::RoleNotAllowed { .. }))
        ),
        "{refused:?}"
    );
    let edit = engine
        .revise_description(&colleague, case.id, case.version, full_description())
        .await;
    assert!(
        matches!(edit, Err(EngineError::Forbidden { .. })),
        "{edit:?}"
    );
}

async fn bad_input_names_the_field_and_writes_nothing(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let input = NewCase {
        region: "syddanmark".into(),
        title: " x ".into(),
        kind: "move".into(),
        giving_party_id: s.odense,
        receiving_party_id: s.odense,
    };
    match engine.create_case(&s.proposer, input).await {
        Err(EngineError::Invalid(fields)) => {
            let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
            assert_eq!(names, ["title", "kind", "receiving_party"]);
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    let other_region = party(engine, "nordjylland", "Aalborg Kommune").await;
    let input = NewCase {
        region: "syddanmark".into(),
        title: "IV-behandling".into(),
        kind: "transfer".into(),
        giving_party_id: s.hospital,
        receiving_party_id: other_region,
    };
    assert!(matches!(
        engine.create_case(&s.proposer, input).await,
        Err(EngineError::Invalid(_))
    ));
    let input = NewCase {
        region: "syddanmark".into(),
        title: "IV-behandling".into(),
        kind: "transfer".into(),
        giving_party_id: s.hospital,
        receiving_party_id: s.odense,
    };
    assert!(matches!(
        engine.create_case(&s.secretariat, input).await,
        Err(EngineError::Forbidden { .. })
    ));
    let cases = overdrag_engine::storage::entity::handover_case::Entity::find()
        .count(engine.db())
        .await
        .unwrap();
    assert_eq!(cases, 0);
}

/// The shipped set with an edited Syddanmark file: beside the original (a new version), or
/// instead of it (a changed version).
fn with_syddanmark(
    edit: impl Fn(&str) -> String,
    keep_original: bool,
) -> overdrag_engine::workflow::WorkflowSet {
    let root = overdrag_tests::root();
    let templates = overdrag_engine::mail::MailTemplates::load(&root.join("mail-templates"))
        .unwrap()
        .events()
        .clone();
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(root.join("workflows")).unwrap() {
        let path = entry.unwrap().path();
        // The carry-overs in `reform/` are no definitions.
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        if name.ends_with("syddanmark.toml") {
            sources.push(("edited/syddanmark.toml".to_owned(), edit(&text)));
            if !keep_original {
                continue;
            }
        }
        if name.ends_with(".toml") {
            sources.push((name, text));
        }
    }
    overdrag_engine::workflow::WorkflowSet::from_sources(&sources, &templates).unwrap()
}

async fn a_case_keeps_the_definition_version_it_started_on(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let old = new_case(engine, &s).await;
    assert_eq!(old.workflow.version, 1);
    // Version 3 (2 is the 2027 model) renames the draft state's label; it applies to new cases.
    let v2 = with_syddanmark(
        |text| {
            text.replacen("version = 1", "version = 3", 1).replacen(
                "da = \"Kladde\"",
                "da = \"Udkast\"",
                1,
            )
        },
        true,
    );
    let restarted = db.restart_with(v2).await.expect("restart with version 3");
    let new = restarted
        .create_case(
            &s.proposer,
            NewCase {
                region: "syddanmark".into(),
                title: "Stomipleje".into(),
                kind: "transfer".into(),
                giving_party_id: s.hospital,
                receiving_party_id: s.odense,
            },
        )
        .await
        .unwrap();
    assert_eq!(new.workflow.version, 3);
    assert_eq!(new.state_label.da, "Udkast");
    let old = restarted.case(&s.proposer, old.id).await.unwrap();
    assert_eq!(
        (old.workflow.version, old.state_label.da.as_str()),
        (1, "Kladde")
    );
    let withdrawn = restarted
        .transition(&s.proposer, old.id, old.version, "withdraw", None)
        .await
        .unwrap();
    assert_eq!(withdrawn.state, "withdrawn");
    // A version open cases use cannot disappear from workflows/.
    let only_v2 = with_syddanmark(
        |text| {
            text.replacen("version = 1", "version = 3", 1).replacen(
                "da = \"Kladde\"",
                "da = \"Udkast\"",
                1,
            )
        },
        false,
    );
    match db.restart_with(only_v2).await {
        Err(EngineError::DefinitionMissing(what)) => {
            assert!(what.contains("syddanmark opgaveoverdragelse v1"), "{what}")
        }
        other => panic!("expected the missing version to stop the start, got {other:?}"),
    }
}
async fn a_stored_version_cannot_change_content(db: &TestDb) {
    // No case uses it yet: the version may still be corrected (a model not yet in force).
    let unused = with_syddanmark(
        |text| text.replacen("due_days = 30", "due_days = 28", 1),
        false,
    );
    let engine = db
        .restart_with(unused)
        .await
        .expect("an unused version's content may change");
    let s = syddanmark(&engine).await;
    new_case(&engine, &s).await;
    // Once a case uses it, only the end of its validity may move.
    let changed = with_syddanmark(
        |text| text.replacen("due_days = 28", "due_days = 25", 1),
        false,
    );
    match db.restart_with(changed).await {
        Err(EngineError::DefinitionChanged { version, .. }) => assert_eq!(version, 1),
        other => panic!("expected the changed definition to be refused, got {other:?}"),
    }
    let ended = with_syddanmark(
        |text| {
            text.replacen("due_days = 30", "due_days = 28", 1).replacen(
                "valid_to = 2026-12-31",
                "valid_to = 2026-06-30",
                1,
            )
        },
        false,
    );
    db.restart_with(ended)
        .await
        .expect("ending a version's validity is not a change of what its cases follow");
}

async fn bodies_decide_only_cases_on_their_agenda(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let today = engine.today();
    let plan = |body: &str, held_in: i64, deadline_in: i64| NewMeeting {
        region: "syddanmark".into(),
        body: body.into(),
        title: "Strategisk Sundhedsstyregruppe, møde 4".into(),
        held_on: today + chrono::Duration::days(held_in),
        material_deadline: today + chrono::Duration::days(deadline_in),
    };
    let mut case = new_case(engine, &s).await;
    let meeting = engine
        .create_meeting(&s.secretariat, plan("steering_group", 10, 5))
        .await
        .unwrap();
    let early = engine
        .place_on_agenda(&s.secretariat, meeting.id, case.id, false)
        .await;
    assert!(
        matches!(&early, Err(EngineError::Invalid(f)) if f[0].message.contains("only cases awaiting the steering group")),
        "{early:?}"
    );
    assert!(matches!(
        engine
            .create_meeting(&s.proposer, plan("steering_group", 10, 5))
            .await,
        Err(EngineError::Forbidden { .. })
    ));
    assert!(matches!(
        engine
            .create_meeting(&s.secretariat, plan("steering_group", 10, 12))
            .await,
        Err(EngineError::Invalid(_))
    ));

    case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    case = step(engine, &s.proposer, &case, "submit", None).await;
    case = step(engine, &s.secretariat, &case, "accept_description", None).await;
    case = engine
        .replace_economics(
            &s.economist,
            case.id,
            case.version,
            figures(&s, 3_900_000),
            None,
        )
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&s.economist, case.id, case.version, Side::Giving)
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&s.economist, case.id, case.version, Side::Receiving)
        .await
        .unwrap();
    case = step(engine, &s.secretariat, &case, "open_hearing", None).await;
    case = hear_everyone(engine, &s, &case).await;
    case = step(engine, &s.secretariat, &case, "close_hearing", None).await;
    let blocked = engine
        .transition(&s.steering, case.id, case.version, "recommend", None)
        .await;
    match blocked {
        Err(EngineError::Refused(Refusal::Blocked { failures, .. })) => {
            assert!(failures[0].message.da.contains("dagsordenen"))
        }
        other => panic!("expected the agenda guard to block, got {other:?}"),
    }
    // The material deadline has passed: only an override places it, and the journal says so.
    // The meeting is held today, so once its agenda is published the body may decide.
    let late = engine
        .create_meeting(&s.secretariat, plan("steering_group", 0, -1))
        .await
        .unwrap();
    assert!(matches!(
        engine
            .place_on_agenda(&s.secretariat, late.id, case.id, false)
            .await,
        Err(EngineError::Invalid(_))
    ));
    let placed = engine
        .place_on_agenda(&s.secretariat, late.id, case.id, true)
        .await
        .unwrap();
    assert_eq!(
        (placed.agenda.len(), placed.agenda[0].after_deadline),
        (1, true)
    );
    assert_eq!(placed.body_name, "Strategisk Sundhedsstyregruppe");
    engine
        .publish_agenda(&s.secretariat, late.id)
        .await
        .unwrap();
    let case = engine.case(&s.steering, case.id).await.unwrap();
    let recommended = step(engine, &s.steering, &case, "recommend", None).await;
    assert_eq!(recommended.state, "committee");
    // On the committee's side, the steering group's agenda does not count.
    let approve = recommended
        .available_transitions
        .iter()
        .find(|t| t.id == "approve");
    assert!(approve.is_none(), "only committee members see approve");
    let seen = engine.case(&s.committee, case.id).await.unwrap();
    assert_eq!(
        seen.available_transitions
            .iter()
            .find(|t| t.id == "approve")
            .map(|t| t.blocked_by.len()),
        Some(1)
    );

    let minutes = engine.minutes(&s.secretariat, late.id).await.unwrap();
    assert_eq!(minutes.decisions.len(), 1);
    assert_eq!(minutes.decisions[0].decision, "recommend");
    let journal = engine.journal(&s.secretariat, case.id).await.unwrap();
    let placement = journal
        .events
        .iter()
        .find(|e| e.kind == "placed_on_agenda")
        .unwrap();
    assert_eq!(placement.details["after_deadline"], true);
    let decision = journal
        .events
        .iter()
        .find(|e| e.transition.as_deref() == Some("recommend"))
        .unwrap();
    assert_eq!(decision.details["meeting"]["id"], late.id);
    let outsider = person(engine, "sek@rn.dk", "nordjylland", "secretariat").await;
    assert!(matches!(
        engine.meeting(&outsider, late.id).await,
        Err(EngineError::NotFound { .. })
    ));
    let placed_mails = outbox_rows(engine, case.id)
        .await
        .into_iter()
        .filter(|r| r.template == "placed_on_agenda")
        .count();
    assert!(
        placed_mails >= 2,
        "the proposer and the steering group hear of the agenda"
    );
}

async fn a_hearing_closes_on_its_quorum_and_refuses_late_answers(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let mut case = new_case(engine, &s).await;
    case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    case = step(engine, &s.proposer, &case, "submit", None).await;
    case = step(engine, &s.secretariat, &case, "accept_description", None).await;
    case = engine
        .replace_economics(
            &s.economist,
            case.id,
            case.version,
            figures(&s, 3_900_000),
            None,
        )
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&s.economist, case.id, case.version, Side::Giving)
        .await
        .unwrap();
    case = engine
        .sign_off_economics(&s.economist, case.id, case.version, Side::Receiving)
        .await
        .unwrap();
    case = step(engine, &s.secretariat, &case, "open_hearing", None).await;
    let blocked = |case: &CaseView| {
        case.available_transitions
            .iter()
            .find(|t| t.id == "close_hearing")
            .map(|t| {
                t.blocked_by
                    .iter()
                    .map(|f| f.message.da.clone())
                    .collect::<Vec<_>>()
            })
    };
    let seen = engine.case(&s.secretariat, case.id).await.unwrap();
    assert!(
        blocked(&seen).unwrap()[0].contains("ikke sendt ud"),
        "{:?}",
        blocked(&seen)
    );
    assert!(matches!(
        engine.open_hearing(&s.proposer, case.id, None, None).await,
        Err(EngineError::Forbidden { .. })
    ));

    {
        use sea_orm::{ActiveModelTrait, Set};
        let assens = overdrag_engine::storage::entity::organisation::Entity::find_by_id(
            party(engine, "syddanmark", "Assens Kommune").await,
        )
        .one(engine.db())
        .await
        .unwrap()
        .unwrap();
        let mut active: overdrag_engine::storage::entity::organisation::ActiveModel = assens.into();
        active.contact_email = Set(Some("sundhed@assens.dk".into()));
        active.update(engine.db()).await.unwrap();
    }
    let aalborg = party(engine, "nordjylland", "Aalborg Kommune").await;
    let elsewhere = engine
        .open_hearing(&s.secretariat, case.id, None, Some(&[s.odense, aalborg]))
        .await;
    assert!(
        matches!(&elsewhere, Err(EngineError::Invalid(f)) if f[0].field == "parties"),
        "{elsewhere:?}"
    );
    let opened = engine
        .open_hearing(&s.secretariat, case.id, None, None)
        .await
        .unwrap();
    assert_eq!(
        opened.links.len(),
        22,
        "all 22 municipalities of Syddanmark are heard"
    );
    assert!(
        opened
            .links
            .iter()
            .all(|l| l.token.starts_with("hrg_") && l.token.len() == 68)
    );
    // Every heard party's invitation carries its own link; only Assens has an address so far.
    let invitations: Vec<outbox::Model> = outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case.id))
        .filter(outbox::Column::Template.eq("hearing_invitation"))
        .all(engine.db())
        .await
        .unwrap();
    assert_eq!(invitations.len(), 22);
    let mut tokens: Vec<String> = invitations
        .iter()
        .filter_map(|r| r.link_token.clone())
        .collect();
    let mut links: Vec<String> = opened.links.iter().map(|l| l.token.clone()).collect();
    tokens.sort();
    links.sort();
    assert_eq!(tokens, links);
    assert_eq!(
        invitations.iter().filter(|r| r.status == "pending").count(),
        1,
        "{:?}",
        invitations
            .iter()
            .map(|r| (&r.recipient_name, &r.recipient_email, &r.status))
            .collect::<Vec<_>>()
    );
    let mailbox: std::sync::Arc<std::sync::Mutex<Vec<overdrag_engine::mail::SentMail>>> =
        std::sync::Arc::default();
    let templates = std::sync::Arc::new(
        overdrag_engine::mail::MailTemplates::load(&overdrag_tests::root().join("mail-templates"))
            .unwrap(),
    );
    let worker = overdrag_engine::mail::Deliverer::new(
        engine.clone(),
        templates,
        overdrag_engine::mail::Transport::Memory(mailbox.clone()),
        "Overdrag <noreply@overdrag.invalid>",
        "https://overdrag.example",
    )
    .unwrap();
    worker.run_once(100).await.unwrap();
    let assens_token = opened
        .links
        .iter()
        .find(|l| l.party.name == "Assens Kommune")
        .unwrap()
        .token
        .clone();
    let sent = mailbox.lock().unwrap().clone();
    let invitation = sent
        .iter()
        .find(|m| m.to == "sundhed@assens.dk")
        .expect("Assens got its invitation");
    let unfolded = invitation.raw.replace("=\r\n", "").replace("=\n", "");
    assert!(
        unfolded.contains(&format!("https://overdrag.example/hearing/{assens_token}")),
        "{}",
        invitation.raw
    );
    let after: Vec<outbox::Model> = outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case.id))
        .filter(outbox::Column::Template.eq("hearing_invitation"))
        .all(engine.db())
        .await
        .unwrap();
    assert!(
        after
            .iter()
            .filter(|r| r.status == "sent")
            .all(|r| r.link_token.is_none()),
        "a sent link is not kept"
    );
    assert!(matches!(
        engine
            .open_hearing(&s.secretariat, case.id, None, None)
            .await,
        Err(EngineError::Invalid(_))
    ));
    let objection = engine
        .answer_hearing_by_link(&opened.links[0].token, HearingAnswer::Object, None)
        .await;
    assert!(
        matches!(&objection, Err(EngineError::Invalid(f)) if f[0].field == "text"),
        "{objection:?}"
    );
    // Eleven municipalities other than Odense answer by link; Odense answers below: 12 of 22.
    for link in opened
        .links
        .iter()
        .filter(|l| l.party.name != "Odense Kommune")
        .take(11)
    {
        engine
            .answer_hearing_by_link(&link.token, HearingAnswer::Agree, None)
            .await
            .unwrap();
    }
    // A member of a heard municipality answers as a logged-in user.
    let odense_user = overdrag_engine::users::add_user(
        engine.db(),
        overdrag_engine::users::NewUser {
            email: "hanne@odense.dk".into(),
            name: "Hanne Friis".into(),
            region: "syddanmark".into(),
            role: "proposer".into(),
            organisation: Some("Odense Kommune".into()),
            language: None,
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .0;
    let heard = engine
        .answer_hearing_as_member(
            &odense_user,
            case.id,
            HearingAnswer::AgreeWithRemarks,
            Some("Kræver oplæring af nattevagten."),
        )
        .await
        .unwrap();
    assert_eq!(
        heard
            .parties
            .iter()
            .find(|p| p.party.name == "Odense Kommune")
            .and_then(|p| p.answer),
        Some(HearingAnswer::AgreeWithRemarks)
    );
    let answered = heard.answered;
    assert_eq!(answered, 12);
    assert!(
        !heard.closed,
        "the deadline has not passed and not everyone answered"
    );
    let seen = engine.case(&s.secretariat, case.id).await.unwrap();
    // Enough answered for the quorum, but the others may answer until the deadline: the
    // refusal says so, with the date written the Danish way.
    let reason = &blocked(&seen).unwrap()[0];
    assert!(reason.contains("og det er nok"), "{reason}");
    assert!(
        reason.contains(&overdrag_engine::render::danish::danish_date(
            opened.hearing.deadline
        )),
        "{reason}"
    );

    // After the deadline: the majority answered, so the hearing is closed; late answers are refused.
    let after = opened
        .hearing
        .deadline
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        + chrono::Duration::days(1);
    let later = engine
        .clone()
        .with_clock(std::sync::Arc::new(move || after));
    let late = later
        .answer_hearing_by_link(&opened.links[21].token, HearingAnswer::Agree, None)
        .await;
    assert!(
        matches!(&late, Err(EngineError::Invalid(f)) if f[0].message.contains("no longer accepted")),
        "{late:?}"
    );
    let invitation = later
        .hearing_invitation(&opened.links[21].token)
        .await
        .unwrap();
    assert_eq!(
        (invitation.open, invitation.case_number.as_str()),
        (false, case.number.as_str())
    );
    let case = later.case(&s.secretariat, case.id).await.unwrap();
    assert_eq!(blocked(&case).map(|b| b.len()), Some(0));
    let closed = later
        .transition(&s.secretariat, case.id, case.version, "close_hearing", None)
        .await
        .unwrap();
    assert_eq!(closed.state, "steering_group");
    let journal = engine.journal(&s.secretariat, case.id).await.unwrap();
    assert_eq!(
        journal
            .events
            .iter()
            .filter(|e| e.kind == "hearing_answered")
            .count(),
        answered
    );
    assert!(journal.chain.verified);
    assert!(matches!(
        engine.hearing_invitation("hrg_guess").await,
        Err(EngineError::NotFound { .. })
    ));
}

on_both_databases!(
    two_answers_sent_at_once_through_one_link_count_once,
    a_published_agenda_tells_each_party_and_member_once,
    an_approved_cases_dates_are_planned_and_reminded_once,
    a_hearing_closes_on_its_quorum_and_refuses_late_answers,
    bodies_decide_only_cases_on_their_agenda,
    a_case_keeps_the_definition_version_it_started_on,
    a_stored_version_cannot_change_content,
    a_case_goes_from_draft_to_closed,
    a_stale_version_is_refused_with_the_current_version,
    twenty_concurrent_transitions_yield_one_success,
    twenty_concurrent_decisions_yield_one_success_and_nineteen_conflicts,
    case_numbers_are_gap_free_under_concurrency,
    a_refused_transition_changes_nothing,
    a_return_needs_a_comment,
    another_region_cannot_see_or_move_the_case,
    changing_the_figures_voids_a_signoff,
    tampering_with_the_journal_is_detected,
    a_terminal_case_stays_terminal,
    only_the_cases_own_proposer_may_withdraw_it,
    bad_input_names_the_field_and_writes_nothing,
);
