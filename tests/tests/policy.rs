//! The engine's one policy, on a real database and on every shipped workflow: only the body
//! whose meeting holds an item decides it, only at a held meeting with a published agenda; an
//! economist of an organisation changes only that organisation's figures; a region's
//! administrator manages only the users of that region.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::cases::NewCase;
use overdrag_engine::cases::hearings::HearingAnswer;
use overdrag_engine::cases::meetings::NewMeeting;
use overdrag_engine::cases::view::CaseView;
use overdrag_engine::domain::body::Body;
use overdrag_engine::domain::economics::EconomicsLine;
use overdrag_engine::domain::role::{Role, Side};
use overdrag_engine::users::{self, NewUser};
use overdrag_engine::workflow::machine::{MeetingNotReady, Refusal};
use overdrag_engine::workflow::{Definition, Stage};
use overdrag_engine::{Actor, Engine, EngineError};
use overdrag_tests::{TestClock, TestDb, full_description, on_both_databases, person};
use std::collections::BTreeMap;

/// One person for each role in a region, and two of its organisations.
struct Region {
    slug: String,
    people: BTreeMap<Role, Actor>,
    giving: i64,
    receiving: i64,
}

async fn region(engine: &Engine, def: &Definition) -> Region {
    let slug = def.region.to_string();
    let mut people = BTreeMap::new();
    for role in [
        Role::Proposer,
        Role::Secretariat,
        Role::Economist,
        Role::SteeringGroup,
        Role::Committee,
    ] {
        let email = format!("{role}@{slug}.policy.invalid");
        people.insert(role, person(engine, &email, &slug, role.as_str()).await);
    }
    let parties = engine.parties(&slug).await.expect("parties");
    let giving = parties
        .iter()
        .find(|p| p.kind == "hospital")
        .expect("a hospital")
        .id;
    let receiving = parties
        .iter()
        .find(|p| p.kind == "municipality")
        .expect("a municipality")
        .id;
    Region {
        slug,
        people,
        giving,
        receiving,
    }
}

impl Region {
    fn who(&self, role: Role) -> &Actor {
        &self.people[&role]
    }
}

fn figures(r: &Region) -> Vec<EconomicsLine> {
    [(r.giving, 0, 900_000), (r.receiving, 800_000, 0)]
        .into_iter()
        .map(|(party_id, running_costs, savings)| EconomicsLine {
            party_id,
            year: 2027,
            one_off_costs: 0,
            running_costs,
            savings,
        })
        .collect()
}

/// Plans a meeting of `body` held `held_in` days from today and places the case on it.
async fn on_agenda(engine: &Engine, r: &Region, case: &CaseView, body: Body, held_in: i64) -> i64 {
    let held_on = engine.today() + chrono::Duration::days(held_in);
    let meeting = engine
        .create_meeting(
            r.who(Role::Secretariat),
            NewMeeting {
                region: r.slug.clone(),
                body: body.key(),
                title: format!("Møde i {body}"),
                held_on,
                material_deadline: engine.today(),
            },
        )
        .await
        .expect("meeting planned");
    engine
        .place_on_agenda(r.who(Role::Secretariat), meeting.id, case.id, false)
        .await
        .expect("placed on the agenda");
    meeting.id
}

/// Drives a new case forward until it reaches `target`: each step fulfils what the stage
/// needs, then takes the transition that moves it furthest without passing `target`.
async fn case_at(engine: &Engine, r: &Region, target: Stage) -> CaseView {
    let proposer = r.who(Role::Proposer);
    let mut case = engine
        .create_case(
            proposer,
            NewCase {
                region: r.slug.clone(),
                title: "Sårbehandling i eget hjem".into(),
                kind: "transfer".into(),
                giving_party_id: r.giving,
                receiving_party_id: r.receiving,
            },
        )
        .await
        .expect("case created");
    case = engine
        .revise_description(proposer, case.id, case.version, full_description())
        .await
        .expect("described");
    let def = engine
        .workflows()
        .definitions()
        .iter()
        .find(|d| d.region.as_str() == r.slug && d.version == case.workflow.version)
        .expect("the case's definition")
        .clone();
    while case.stage != target {
        match case.stage {
            Stage::Economics if case.economics.lines.is_empty() => {
                let economist = r.who(Role::Economist);
                case = engine
                    .replace_economics(economist, case.id, case.version, figures(r), None)
                    .await
                    .expect("figures");
                for side in [Side::Giving, Side::Receiving] {
                    case = engine
                        .sign_off_economics(economist, case.id, case.version, side)
                        .await
                        .expect("signed off");
                }
            }
            Stage::Hearing if engine.hearing(proposer, case.id).await.unwrap().is_none() => {
                let opened = engine
                    .open_hearing(r.who(Role::Secretariat), case.id, None, None)
                    .await
                    .expect("hearing opened");
                for link in &opened.links {
                    engine
                        .answer_hearing_by_link(&link.token, HearingAnswer::Agree, None)
                        .await
                        .expect("answered");
                }
            }
            Stage::SteeringGroup | Stage::Committee => {
                let body = Body::deciding_in(case.stage).expect("a deciding body");
                let meeting = on_agenda(engine, r, &case, body, 0).await;
                engine
                    .publish_agenda(r.who(Role::Secretariat), meeting)
                    .await
                    .expect("published");
            }
            _ => {}
        }
        case = engine.case(proposer, case.id).await.expect("case");
        let state = def.state_by_str(&case.state).expect("state");
        let forward = def
            .transitions_from(&state.id)
            .filter_map(|t| Some((t, def.state(&t.to)?.stage)))
            .filter(|(_, to)| *to > case.stage && *to <= target && !to.is_terminal())
            .max_by_key(|(_, to)| *to)
            .map(|(t, _)| t)
            .unwrap_or_else(|| panic!("{}: no way on from {}", r.slug, case.state));
        let actor = r.who(forward.by[0]);
        let comment = forward.require_comment.then_some("Begrundelse");
        case = engine
            .transition(actor, case.id, case.version, forward.id.as_str(), comment)
            .await
            .unwrap_or_else(|e| panic!("{}: {} from {}: {e}", r.slug, forward.id, case.state));
    }
    case
}

/// Every shipped definition with its region, the later ones on a clock moved to their start.
async fn each_workflow(db: &TestDb, test: impl AsyncFn(&Engine, &Region)) {
    let clock = TestClock::default();
    let engine = db.engine.clone().with_clock(clock.clock());
    let mut definitions: Vec<Definition> = engine.workflows().definitions().to_vec();
    definitions.sort_by_key(|d| d.valid_from);
    // The 2027 models' council rule is tested in engine/tests/state_machine_properties.rs;
    // these holes are the 2024–27 models' (an end-to-end 2027 case is not built yet).
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
