//! The engine's one policy, on a real database and on every shipped workflow: only the body
//! whose meeting holds an item decides it, only at a held meeting with a published agenda; an
//! economist of an organisation changes only that organisation's figures; a region's
//! administrator manages only the users of that region.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::domain::body::Body;
use overdrag_engine::domain::role::{Role, Side};
use overdrag_engine::users::{self, NewUser};
use overdrag_engine::workflow::machine::{MeetingNotReady, Refusal};
use overdrag_engine::workflow::{Definition, Stage};
use overdrag_engine::{Engine, EngineError};
use overdrag_tests::drive::{Region, case_at, figures, on_agenda, region};
use overdrag_tests::{TestClock, TestDb, on_both_databases, person};

/// Every shipped definition with its region, the later ones on a clock moved to their start.
async fn each_workflow(db: &TestDb, test: impl AsyncFn(&Engine, &Region)) {
    let clock = TestClock::default();
    let engine = db.engine.clone().with_clock(clock.clock());
    let mut definitions: Vec<Definition> = engine.workflows().definitions().to_vec();
    definitions.sort_by_key(|d| d.valid_from);
    // These holes are the 2024–27 models'; the 2027 models' council and regionsråd rules are
    // tested end to end in model_2027.rs (and on the machine in state_machine_properties.rs).
    definitions.retain(|d| d.states.iter().all(|s| s.stage != Stage::Council));
    for def in &definitions {
        if def.valid_from > engine.today() {
            let days = (def.valid_from - engine.today()).num_days() + 1;
            clock.advance(chrono::Duration::days(days));
        }
        let r = region(&engine, def).await;
        test(&engine, &r).await;
    }
}

async fn a_body_decides_only_the_items_on_its_own_meetings(db: &TestDb) {
    each_workflow(db, async |engine, r| {
        for (stage, other) in [
            (Stage::SteeringGroup, Role::Committee),
            (Stage::Committee, Role::SteeringGroup),
        ] {
            let case = case_at(engine, r, stage).await;
            let body = Body::deciding_in(stage).expect("deciding body");
            let meeting = on_agenda(engine, r, &case, body, 0).await;
            engine
                .publish_agenda(r.who(Role::Secretariat), meeting)
                .await
                .expect("published");
            let case = engine.case(r.who(Role::Proposer), case.id).await.unwrap();
            let refused = engine
                .transition(r.who(other), case.id, case.version, "reject", Some("Nej"))
                .await;
            assert!(
                matches!(
                    refused,
                    Err(EngineError::Refused(Refusal::NotMember { body: b, .. })) if b == body
                ),
                "{}: a {other} member rejected an item of {body}: {refused:?}",
                r.slug
            );
            let other_view = engine.case(r.who(other), case.id).await.unwrap();
            assert!(
                other_view
                    .available_transitions
                    .iter()
                    .all(|t| t.id != "reject"),
                "{}: {other} is offered the reject of {body}",
                r.slug
            );
            let member = r.who(body.member_role());
            engine
                .transition(member, case.id, case.version, "reject", Some("Nej"))
                .await
                .unwrap_or_else(|e| panic!("{}: the {body} could not reject: {e}", r.slug));
        }
    })
    .await;
}

async fn a_decision_waits_for_a_held_meeting_with_a_published_agenda(db: &TestDb) {
    let clock = TestClock::default();
    let engine = &db.engine.clone().with_clock(clock.clock());
    let def = engine
        .workflows()
        .in_force("syddanmark", engine.today())
        .unwrap()
        .clone();
    let r = region(engine, &def).await;
    let steering = r.who(Role::SteeringGroup);
    let case = case_at(engine, &r, Stage::SteeringGroup).await;

    // On the agenda of today's meeting, but the agenda is not published.
    let today = on_agenda(engine, &r, &case, Body::SteeringGroup, 0).await;
    let case = engine.case(steering, case.id).await.unwrap();
    let refused = engine
        .transition(steering, case.id, case.version, "recommend", None)
        .await;
    assert!(
        matches!(
            refused,
            Err(EngineError::Refused(Refusal::MeetingNotReady {
                reason: MeetingNotReady::AgendaNotPublished,
                meeting_id,
                ..
            })) if meeting_id == today
        ),
        "{refused:?}"
    );
    let offered = engine.case(steering, case.id).await.unwrap();
    let recommend = offered
        .available_transitions
        .iter()
        .find(|t| t.id == "recommend")
        .expect("recommend offered");
    assert!(
        !recommend.blocked_by.is_empty(),
        "shown as blocked, with the reason"
    );

    // Moved to a meeting in a week whose agenda is published: not before that day.
    let later = on_agenda(engine, &r, &case, Body::SteeringGroup, 7).await;
    engine
        .publish_agenda(r.who(Role::Secretariat), later)
        .await
        .unwrap();
    let case = engine.case(steering, case.id).await.unwrap();
    let refused = engine
        .transition(steering, case.id, case.version, "recommend", None)
        .await;
    assert!(
        matches!(
            refused,
            Err(EngineError::Refused(Refusal::MeetingNotReady {
                reason: MeetingNotReady::NotHeld { .. },
                ..
            }))
        ),
        "{refused:?}"
    );
    clock.advance(chrono::Duration::days(7));
    let decided = engine
        .transition(steering, case.id, case.version, "recommend", None)
        .await
        .expect("decided at the meeting");
    assert_eq!(decided.stage, Stage::Committee);
    let journal = engine.journal(steering, case.id).await.unwrap();
    let last = journal.events.last().unwrap();
    assert_eq!(last.details["meeting"]["id"], later);
}

async fn an_economist_changes_only_their_own_organisations_figures(db: &TestDb) {
    let engine = &db.engine;
    let def = engine
        .workflows()
        .in_force("syddanmark", engine.today())
        .unwrap()
        .clone();
    let r = region(engine, &def).await;
    let hospital_name = engine
        .parties("syddanmark")
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.id == r.giving)
        .unwrap()
        .name;
    let (hospital_economist, _) = users::add_user(
        engine.db(),
        NewUser {
            email: "oekonom@hospital.policy.invalid".into(),
            name: "Hospitalets økonom".into(),
            region: "syddanmark".into(),
            role: "economist".into(),
            organisation: Some(hospital_name),
            language: None,
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let case = case_at(engine, &r, Stage::Economics).await;
    let case = engine
        .replace_economics(
            r.who(Role::Economist),
            case.id,
            case.version,
            figures(&r),
            None,
        )
        .await
        .unwrap();
    let case = engine
        .sign_off_economics(
            r.who(Role::Economist),
            case.id,
            case.version,
            Side::Receiving,
        )
        .await
        .unwrap();

    // The municipality's line rewritten by the hospital's economist: refused, nothing changes.
    let mut theirs = figures(&r);
    theirs[1].running_costs = 1;
    let refused = engine
        .replace_economics(&hospital_economist, case.id, case.version, theirs, None)
        .await;
    assert!(
        matches!(refused, Err(EngineError::Forbidden { .. })),
        "{refused:?}"
    );
    let mut without_theirs = figures(&r);
    without_theirs.truncate(1);
    let refused = engine
        .replace_economics(
            &hospital_economist,
            case.id,
            case.version,
            without_theirs,
            None,
        )
        .await;
    assert!(
        matches!(refused, Err(EngineError::Forbidden { .. })),
        "deleting another party's figures: {refused:?}"
    );
    let unchanged = engine.case(&hospital_economist, case.id).await.unwrap();
    assert_eq!(unchanged.economics.lines, figures(&r));
    assert!(unchanged.economics.signoffs.iter().all(|s| s.valid));
    let refusals = engine
        .journal(&hospital_economist, case.id)
        .await
        .unwrap()
        .events
        .iter()
        .filter(|e| e.kind == "refused")
        .count();
    assert_eq!(refusals, 2, "each refused change is journaled");

    // Its own line it may change.
    let mut own = figures(&r);
    own[0].savings = 950_000;
    let changed = engine
        .replace_economics(
            &hospital_economist,
            case.id,
            unchanged.version,
            own.clone(),
            None,
        )
        .await
        .expect("own figures");
    assert_eq!(changed.economics.lines, own);
}

async fn an_administrator_manages_only_the_users_of_their_region(db: &TestDb) {
    let engine = &db.engine;
    let admin = person(engine, "admin@rsyd.policy.invalid", "syddanmark", "admin").await;
    let stranger = person(
        engine,
        "fremmed@rn.policy.invalid",
        "nordjylland",
        "proposer",
    )
    .await;
    let colleague = person(
        engine,
        "kollega@rsyd.policy.invalid",
        "syddanmark",
        "proposer",
    )
    .await;

    let refused = engine
        .grant_role(&admin, stranger.user_id, "syddanmark", "secretariat")
        .await;
    assert!(
        matches!(refused, Err(EngineError::NotFound { what: "user" })),
        "{refused:?}"
    );
    let refused = engine
        .revoke_role(&admin, stranger.user_id, "syddanmark", "proposer")
        .await;
    assert!(
        matches!(refused, Err(EngineError::NotFound { what: "user" })),
        "{refused:?}"
    );
    let directory = engine.user_directory(&admin).await.unwrap();
    assert!(directory.users.iter().all(|u| u.email != stranger.email));

    let granted = engine
        .grant_role(&admin, colleague.user_id, "syddanmark", "secretariat")
        .await
        .expect("a colleague's role");
    assert!(granted.has_role("syddanmark", Role::Secretariat));
}

on_both_databases!(
    a_body_decides_only_the_items_on_its_own_meetings,
    a_decision_waits_for_a_held_meeting_with_a_published_agenda,
    an_economist_changes_only_their_own_organisations_figures,
    an_administrator_manages_only_the_users_of_their_region,
);
