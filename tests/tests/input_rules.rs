//! Titles, names and dates as a user gives them: invisible or multi-line titles and names, and
//! dates outside 2000–2100, are refused with a field error naming the fix — on SQLite, and on
//! PostgreSQL as ignored tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::NaiveDate;
use overdrag_engine::cases::NewCase;
use overdrag_engine::cases::implementation::ImplementationPlan;
use overdrag_engine::cases::meetings::NewMeeting;
use overdrag_engine::cases::view::CaseView;
use overdrag_engine::domain::economics::EconomicsLine;
use overdrag_engine::domain::role::Side;
use overdrag_engine::users::{NewUser, add_member};
use overdrag_engine::{Actor, Engine, EngineError, FieldError};
use overdrag_tests::{TestDb, full_description, on_both_databases, party, person};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The field errors of a refusal; panics on success or another error.
fn field_errors<T: std::fmt::Debug>(result: Result<T, EngineError>) -> Vec<FieldError> {
    match result {
        Err(EngineError::Invalid(errors)) => errors,
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn names(errors: &[FieldError], field: &str) -> bool {
    errors.iter().any(|e| e.field == field)
}

const BAD_TITLES: [&str; 7] = [
    "\u{200B}\u{200B}\u{200B}\u{200B}",
    "\u{FEFF}\u{00AD}\u{2060}\u{200C}\u{200D} \u{200B}",
    "IV-behandling\ni eget hjem",
    "IV-behandling\r i eget hjem",
    "IV-behandling\u{2028}i eget hjem",
    "IV-behandling\u{2029}i eget hjem",
    "IV-behandling\0 i eget hjem",
];

async fn new_case(engine: &Engine, proposer: &Actor, title: &str) -> Result<CaseView, EngineError> {
    let input = NewCase {
        region: "syddanmark".into(),
        title: title.into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "syddanmark", "Odense Universitetshospital").await,
        receiving_party_id: party(engine, "syddanmark", "Odense Kommune").await,
    };
    engine.create_case(proposer, input).await
}

async fn invisible_or_multi_line_case_titles_are_refused(db: &TestDb) {
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    for title in BAD_TITLES {
        let errors = field_errors(new_case(engine, &proposer, title).await);
        assert!(names(&errors, "title"), "{title:?}: {errors:?}");
    }
    let tab = field_errors(new_case(engine, &proposer, "IV\tbehandling").await);
    assert!(tab[0].message.contains("one line"), "{tab:?}");
    let case = new_case(engine, &proposer, "Sår & \"pleje\" <x> – 2. udgave")
        .await
        .unwrap();
    assert_eq!(case.title, "Sår & \"pleje\" <x> – 2. udgave");
}

fn meeting(title: &str, held_on: NaiveDate, material_deadline: NaiveDate) -> NewMeeting {
    NewMeeting {
        region: "syddanmark".into(),
        body: "steering_group".into(),
        title: title.into(),
        held_on,
        material_deadline,
    }
}

async fn meeting_titles_and_dates_are_checked(db: &TestDb) {
    let engine = &db.engine;
    let secretariat = person(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let held_on = engine.today() + chrono::Duration::days(14);
    let deadline = held_on - chrono::Duration::days(7);
    for title in BAD_TITLES {
        let errors = field_errors(
            engine
                .create_meeting(&secretariat, meeting(title, held_on, deadline))
                .await,
        );
        assert!(names(&errors, "title"), "{title:?}: {errors:?}");
    }
    let far = field_errors(
        engine
            .create_meeting(&secretariat, meeting("Møde", day(2150, 3, 1), deadline))
            .await,
    );
    assert!(names(&far, "held_on"), "{far:?}");
    assert!(far[0].message.contains("2100"), "{far:?}");
    let early = field_errors(
        engine
            .create_meeting(&secretariat, meeting("Møde", held_on, day(1999, 12, 31)))
            .await,
    );
    assert!(names(&early, "material_deadline"), "{early:?}");
    engine
        .create_meeting(&secretariat, meeting("Møde", held_on, deadline))
        .await
        .unwrap();
}

async fn user_names_are_checked(db: &TestDb) {
    let engine = &db.engine;
    for (i, name) in BAD_TITLES.iter().chain(&["\u{200B}"]).enumerate() {
        let input = NewUser {
            email: format!("user{i}@rsyd.dk"),
            name: (*name).into(),
            region: "syddanmark".into(),
            role: "proposer".into(),
            organisation: None,
            language: None,
        };
        let errors = field_errors(add_member(engine.db(), input, chrono::Utc::now()).await);
        assert!(names(&errors, "name"), "{name:?}: {errors:?}");
    }
}

async fn implementation_dates_outside_2000_to_2100_are_refused(db: &TestDb) {
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = person(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let case = new_case(engine, &proposer, "IV-behandling i eget hjem")
        .await
        .unwrap();
    let plan = ImplementationPlan {
        implementation_on: Some(day(1999, 1, 1)),
        follow_up_on: Some(day(2101, 1, 1)),
    };
    let errors = field_errors(
        engine
            .plan_implementation(&secretariat, case.id, case.version, plan)
            .await,
    );
    assert!(
        errors
            .iter()
            .any(|e| e.field == "implementation_on" && e.message.contains("2000")),
        "{errors:?}"
    );
    assert!(names(&errors, "follow_up_on"), "{errors:?}");
}

async fn a_hearing_deadline_after_2100_is_refused(db: &TestDb) {
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = person(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let economist = person(engine, "lars@rsyd.dk", "syddanmark", "economist").await;
    let hospital = party(engine, "syddanmark", "Odense Universitetshospital").await;
    let odense = party(engine, "syddanmark", "Odense Kommune").await;
    let mut case = new_case(engine, &proposer, "IV-behandling i eget hjem")
        .await
        .unwrap();
    case = engine
        .revise_description(&proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    for (actor, transition) in [(&proposer, "submit"), (&secretariat, "accept_description")] {
        case = engine
            .transition(actor, case.id, case.version, transition, None)
            .await
            .unwrap();
    }
    let lines: Vec<EconomicsLine> = (2027..2031)
        .flat_map(|year| {
            [
                EconomicsLine {
                    party_id: hospital,
                    year,
                    one_off_costs: 0,
                    running_costs: 0,
                    savings: 4_500_000,
                },
                EconomicsLine {
                    party_id: odense,
                    year,
                    one_off_costs: if year == 2027 { 200_000 } else { 0 },
                    running_costs: 3_900_000,
                    savings: 0,
                },
            ]
        })
        .collect();
    case = engine
        .replace_economics(&economist, case.id, case.version, lines, None)
        .await
        .unwrap();
    for side in [Side::Giving, Side::Receiving] {
        case = engine
            .sign_off_economics(&economist, case.id, case.version, side)
            .await
            .unwrap();
    }
    engine
        .transition(&secretariat, case.id, case.version, "open_hearing", None)
        .await
        .unwrap();
    let errors = field_errors(
        engine
            .open_hearing(&secretariat, case.id, Some(day(2200, 1, 1)), None)
            .await,
    );
    assert!(names(&errors, "deadline"), "{errors:?}");
    assert!(errors[0].message.contains("2100"), "{errors:?}");
}

on_both_databases!(
    invisible_or_multi_line_case_titles_are_refused,
    meeting_titles_and_dates_are_checked,
    user_names_are_checked,
    implementation_dates_outside_2000_to_2100_are_refused,
    a_hearing_deadline_after_2100_is_refused,
);
