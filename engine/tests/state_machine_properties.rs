//! Property tests of the pure state machine over every shipped definition: random actors with
//! random roles try random transitions on cases with random facts.

mod common;

use chrono::NaiveDate;
use overdrag_engine::domain::body::Body;
use overdrag_engine::domain::role::{Role, Side};
use overdrag_engine::domain::text::Label;
use overdrag_engine::workflow::definition::Quorum;
use overdrag_engine::workflow::guard::{AgendaFacts, CaseFacts, Guard, HearingFacts};
use overdrag_engine::workflow::machine::{self, CaseActor, Refusal};
use overdrag_engine::workflow::{Definition, Stage};
use proptest::prelude::*;
use std::collections::BTreeSet;

/// One attempted action: which transition id (index into the definition's ids), who tries it,
/// what is true of the case, and whether a comment comes with it.
#[derive(Clone, Debug)]
struct Attempt {
    transition: usize,
    roles: Vec<Role>,
    description_complete: bool,
    economics: Vec<Side>,
    signed_off: Vec<Side>,
    /// The deciding stages whose meeting holds the case, each with whether the agenda is
    /// published and in how many days the meeting is held (negative: held already).
    on_agenda: Vec<(Stage, bool, i64)>,
    /// None: no hearing opened; Some(true): everyone answered; Some(false): still running.
    hearing_closed: Option<bool>,
    comment: bool,
}

fn attempt() -> impl Strategy<Value = Attempt> {
    let side = prop_oneof![Just(Side::Giving), Just(Side::Receiving)];
    let body = (
        prop_oneof![
            Just(Stage::SteeringGroup),
            Just(Stage::Committee),
            Just(Stage::Council),
            Just(Stage::RegionalCouncil)
        ],
        any::<bool>(),
        prop_oneof![Just(-3i64), Just(0i64), Just(5i64)],
    );
    let facts = (
        any::<bool>(),
        proptest::collection::vec(side.clone(), 0..=2),
        proptest::collection::vec(side, 0..=2),
        proptest::collection::vec(body, 0..=2),
        proptest::option::of(any::<bool>()),
    );
    (
        0usize..64,
        proptest::sample::subsequence(Role::ALL.to_vec(), 0..=3),
        facts,
        any::<bool>(),
    )
        .prop_map(
            |(
                transition,
                roles,
                (description_complete, economics, signed_off, on_agenda, hearing_closed),
                comment,
            )| Attempt {
                transition,
                roles,
                description_complete,
                economics,
                signed_off,
                on_agenda,
                hearing_closed,
                comment,
            },
        )
}

fn facts(a: &Attempt) -> CaseFacts {
    CaseFacts {
        description_missing: if a.description_complete {
            Vec::new()
        } else {
            vec![Label::new("Målgruppe", "Target group")]
        },
        economics_missing: [Side::Giving, Side::Receiving]
            .into_iter()
            .filter(|s| !a.economics.contains(s))
            .collect(),
        signed_off: a.signed_off.iter().copied().collect(),
        on_agenda: a
            .on_agenda
            .iter()
            .filter_map(|(stage, published, held_in)| {
                let body = deciding_body(*stage)?;
                let item = AgendaFacts {
                    meeting_id: 7,
                    body,
                    held_on: today() + chrono::Duration::days(*held_in),
                    published: *published,
                };
                Some((body, item))
            })
            .collect(),
        councils: vec![THE_COUNCIL],
        recommended: BTreeSet::new(),
        hearing: a.hearing_closed.map(|closed| HearingFacts {
            parties: 22,
            answered: if closed { 22 } else { 3 },
            deadline: today(),
            deadline_passed: false,
            quorum: Quorum::Majority,
        }),
    }
}

/// The one council of every case here.
const THE_COUNCIL: i64 = 1;

/// The body whose meeting decides in `stage`: in the council stage, the case's council.
fn deciding_body(stage: Stage) -> Option<Body> {
    if stage == Stage::Council {
        Some(Body::Council(THE_COUNCIL))
    } else {
        Body::deciding_in(stage)
    }
}

/// An actor holding `roles`; a council member sits on the case's council.
fn actor_with(roles: &[Role]) -> CaseActor {
    let mut actor = CaseActor::with_roles(roles.iter().copied());
    if roles.contains(&Role::Council) {
        actor.bodies.insert(Body::Council(THE_COUNCIL));
    }
    actor
}

fn transition_ids(def: &Definition) -> Vec<String> {
    let ids: BTreeSet<String> = def.transitions.iter().map(|t| t.id.to_string()).collect();
    ids.into_iter().collect()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or(NaiveDate::MIN)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_actions_keep_every_case_inside_its_model(attempts in proptest::collection::vec(attempt(), 1..60)) {
        for def in common::shipped().definitions() {
            let ids = transition_ids(def);
            let mut state = def.initial.clone();
            let mut visited: BTreeSet<Stage> = BTreeSet::from([Stage::Draft]);
            for a in &attempts {
                let before = def.state(&state).map(|s| s.stage);
                prop_assert!(before.is_some(), "{}: undefined state {}", def.region, state);
                let stage = before.unwrap_or(Stage::Draft);
                let id = ids[a.transition % ids.len()].parse().unwrap_or_else(|_| def.transitions[0].id.clone());
                let actor = actor_with(&a.roles);
                let comment = a.comment.then_some("Begrundelse");
                match machine::decide(def, &state, &facts(a), &actor, &id, comment, today()) {
                    Ok(decision) => {
                        prop_assert!(!stage.is_terminal(), "{}: left terminal state {}", def.region, state);
                        prop_assert_eq!(&decision.from, &state);
                        let chosen = def.transitions_from(&state).find(|t| t.id == id);
                        prop_assert!(chosen.is_some_and(|t| t.by.iter().any(|r| a.roles.contains(r))));
                        // A decision at a meeting: by the deciding body's member, at a held
                        // meeting with a published agenda.
                        if chosen.is_some_and(|t| t.guards.contains(&Guard::OnAgenda)) {
                            let body = deciding_body(stage);
                            prop_assert!(body.is_some_and(|b| actor.bodies.contains(&b)), "{}: {} decided by a non-member", def.region, id);
                            let item = body.and_then(|b| facts(a).on_agenda.get(&b).copied());
                            prop_assert!(item.is_some_and(|i| i.published && i.held_on <= today()), "{}: {} decided before the meeting", def.region, id);
                        }
                        state = decision.to;
                        let after = def.state(&state).map(|s| s.stage);
                        prop_assert!(after.is_some(), "{}: moved to undefined state {}", def.region, state);
                        let after = after.unwrap_or(Stage::Draft);
                        visited.insert(after);
                        if after.is_approved() {
                            prop_assert!(visited.contains(&Stage::SteeringGroup), "{}: approved without the steering group", def.region);
                            let political = visited.contains(&Stage::Committee)
                                || visited.contains(&Stage::Council) && visited.contains(&Stage::RegionalCouncil);
                            prop_assert!(political, "{}: approved without the committee, or the councils and the regionsråd", def.region);
                        }
                    }
                    Err(Refusal::NotAvailable { .. }) => {
                        prop_assert!(!def.transitions_from(&state).any(|t| t.id == id));
                    }
                    Err(Refusal::RoleNotAllowed { needed, .. }) => {
                        prop_assert!(needed.iter().all(|r| !a.roles.contains(r)));
                    }
                    Err(Refusal::NotMember { body, .. }) => {
                        prop_assert!(!actor.bodies.contains(&body));
                        prop_assert_eq!(body.deciding_stage(), Some(stage));
                    }
                    Err(Refusal::MeetingNotReady { .. }) => {
                        let item = deciding_body(stage).and_then(|b| facts(a).on_agenda.get(&b).copied());
                        prop_assert!(item.is_some_and(|i| !i.published || i.held_on > today()));
                    }
                    Err(Refusal::Blocked { failures, .. }) => {
                        prop_assert!(!failures.is_empty());
                        let chosen = def.transitions_from(&state).find(|t| t.id == id);
                        for failure in &failures {
                            let named = chosen.is_some_and(|t| t.guards.contains(&failure.guard) || (failure.guard == Guard::CommentGiven && t.require_comment));
                            prop_assert!(named, "{}: failed guard {:?} not on the transition", def.region, failure.guard);
                        }
                    }
                }
                // Returns to an earlier stage clear the path, so approval must be re-earned.
                if def.state(&state).is_some_and(|s| s.stage < Stage::SteeringGroup) {
                    visited.retain(|s| *s < Stage::SteeringGroup);
                }
            }
        }
    }

    #[test]
    fn an_unblocked_option_can_be_taken(a in attempt(), state_index in 0usize..32) {
        for def in common::shipped().definitions() {
            let state = &def.states[state_index % def.states.len()];
            let actor = actor_with(&a.roles);
            for option in machine::options(def, &state.id, &facts(&a), &actor, today()) {
                let taken = machine::decide(def, &state.id, &facts(&a), &actor, &option.transition.id, Some("Begrundelse"), today());
                prop_assert_eq!(taken.is_ok(), option.blocked_by.is_empty(), "{} {} {}", def.region, state.id, option.transition.id);
            }
        }
    }
}

#[test]
fn terminal_states_offer_nothing_to_anyone() {
    let everyone = CaseActor::with_roles(Role::ALL);
    for def in common::shipped().definitions() {
        for state in def.states.iter().filter(|s| s.stage.is_terminal()) {
            assert!(
                machine::options(def, &state.id, &CaseFacts::default(), &everyone, today())
                    .is_empty(),
                "{} {}",
                def.region,
                state.id
            );
        }
    }
}

#[test]
fn a_decision_carries_the_notifications_and_the_due_date() {
    let set = common::shipped();
    let def = set
        .in_force("syddanmark", today())
        .unwrap_or_else(|| panic!("syddanmark in force"));
    let facts = CaseFacts::default();
    let secretariat = CaseActor::with_roles([Role::Secretariat]);
    let state = def
        .state_by_str("description_review")
        .map(|s| s.id.clone())
        .unwrap_or_else(|| def.initial.clone());
    let decision = machine::decide(
        def,
        &state,
        &facts,
        &secretariat,
        &"return_to_proposer"
            .parse()
            .unwrap_or_else(|_| def.transitions[0].id.clone()),
        Some("Uddyb målgruppen."),
        today(),
    );
    let decision = decision.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decision.to.as_str(), "draft");
    assert_eq!(decision.comment.as_deref(), Some("Uddyb målgruppen."));
    assert_eq!(decision.notifications[0].template, "case_returned");
    let accepted = machine::decide(
        def,
        &state,
        &CaseFacts::default(),
        &secretariat,
        &"accept_description"
            .parse()
            .unwrap_or_else(|_| def.transitions[0].id.clone()),
        None,
        today(),
    );
    // Monday 23 November 2026 + 30 working days, skipping 24-26 and 31 December and 1 January.
    assert_eq!(
        accepted.map(|d| d.due_date),
        Ok(NaiveDate::from_ymd_opt(2027, 1, 8))
    );
}

/// A case in the 2027 council stage of every 2027 model, with two councils, standing on a held
/// and published meeting of each.
fn two_councils() -> CaseFacts {
    let item = |body| AgendaFacts {
        meeting_id: 9,
        body,
        held_on: today(),
        published: true,
    };
    CaseFacts {
        councils: vec![1, 2],
        on_agenda: [Body::Council(1), Body::Council(2), Body::RegionalCouncil]
            .into_iter()
            .map(|b| (b, item(b)))
            .collect(),
        ..CaseFacts::default()
    }
}

/// The shipped 2027 models: those with a council stage.
fn reform_models(set: &overdrag_engine::workflow::WorkflowSet) -> Vec<&Definition> {
    set.definitions()
        .iter()
        .filter(|d| d.states.iter().any(|s| s.stage == Stage::Council))
        .collect()
}

/// The model's council state.
fn council_state(def: &Definition) -> overdrag_engine::domain::ids::StateId {
    def.states
        .iter()
        .find(|s| s.stage == Stage::Council)
        .map(|s| s.id.clone())
        .unwrap_or_else(|| def.initial.clone())
}

fn council_member(council: i64) -> CaseActor {
    let mut actor = CaseActor::with_roles([Role::Council]);
    actor.bodies.insert(Body::Council(council));
    actor
}

#[test]
fn every_council_of_the_case_recommends_before_the_regional_council_decides() {
    let set = common::shipped();
    let reform_models = reform_models(&set);
    assert_eq!(reform_models.len(), 4, "the four 2027 models");
    for def in reform_models {
        let councils = council_state(def);
        let recommend = "recommend"
            .parse()
            .unwrap_or_else(|_| def.transitions[0].id.clone());
        let mut facts = two_councils();
        // The first council's recommendation is recorded; the case waits for the second.
        let first = machine::decide(
            def,
            &councils,
            &facts,
            &council_member(1),
            &recommend,
            None,
            today(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", def.region));
        assert_eq!(first.to, councils, "{}", def.region);
        assert_eq!(
            first.recommendation.map(|r| (r.council, r.completes)),
            Some((1, false))
        );
        assert!(
            first.notifications.is_empty(),
            "{}: no mail before the last council",
            def.region
        );
        facts.recommended.insert(1);
        // The same council cannot recommend twice, nor a council outside the case's.
        assert!(matches!(
            machine::decide(
                def,
                &councils,
                &facts,
                &council_member(1),
                &recommend,
                None,
                today()
            ),
            Err(Refusal::Blocked { .. })
        ));
        assert!(matches!(
            machine::decide(
                def,
                &councils,
                &facts,
                &council_member(3),
                &recommend,
                None,
                today()
            ),
            Err(Refusal::NotMember {
                body: Body::Council(2),
                ..
            })
        ));
        // The second moves the case on to the regionsråd.
        let last = machine::decide(
            def,
            &councils,
            &facts,
            &council_member(2),
            &recommend,
            None,
            today(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", def.region));
        assert_eq!(
            def.state(&last.to).map(|s| s.stage),
            Some(Stage::RegionalCouncil)
        );
        assert!(!last.notifications.is_empty());
        // A council member does not decide for the regionsråd; its member does.
        let approve = "approve"
            .parse()
            .unwrap_or_else(|_| def.transitions[0].id.clone());
        let refused = machine::decide(
            def,
            &last.to,
            &facts,
            &council_member(2),
            &approve,
            None,
            today(),
        );
        assert!(
            matches!(refused, Err(Refusal::RoleNotAllowed { .. })),
            "{}: {refused:?}",
            def.region
        );
        let mut outsider = CaseActor::with_roles([Role::RegionalCouncil]);
        outsider.bodies.clear();
        assert!(matches!(
            machine::decide(def, &last.to, &facts, &outsider, &approve, None, today()),
            Err(Refusal::NotMember {
                body: Body::RegionalCouncil,
                ..
            })
        ));
        let member = CaseActor::with_roles([Role::RegionalCouncil]);
        let approved = machine::decide(def, &last.to, &facts, &member, &approve, None, today())
            .unwrap_or_else(|e| panic!("{}: {e}", def.region));
        assert!(
            def.state(&approved.to)
                .is_some_and(|s| s.stage.is_approved())
        );
    }
}

#[test]
fn one_council_returning_returns_the_case_at_once() {
    let set = common::shipped();
    for def in reform_models(&set) {
        let councils = council_state(def);
        let back = "return_to_steering_group"
            .parse()
            .unwrap_or_else(|_| def.transitions[0].id.clone());
        let returned = machine::decide(
            def,
            &councils,
            &two_councils(),
            &council_member(2),
            &back,
            Some("Mangler data"),
            today(),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", def.region));
        assert_eq!(
            def.state(&returned.to).map(|s| s.stage),
            Some(Stage::SteeringGroup)
        );
        assert_eq!(returned.recommendation, None);
    }
}
