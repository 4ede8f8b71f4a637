//! The 2027 reform's carrying of open cases, on a real database: open cases in every open state
//! of all five 2024–27 definitions are planned, carried in two runs (the first stopped after a
//! few cases, as a run killed halfway would be) and carried again (nothing moves); afterwards
//! every case sits on a 2027 definition in an open state, Hovedstaden and Sjælland hold no open
//! case, every journal verifies, each party has exactly one mail about the move, and the cases
//! left the agendas of the abolished and merged bodies.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::NaiveDate;
use overdrag_engine::cases::reform::ReformScope;
use overdrag_engine::domain::body::Body;
use overdrag_engine::domain::role::Role;
use overdrag_engine::storage::entity::{agenda_item, handover_case, journal_event, outbox, region};
use overdrag_engine::workflow::{Definition, Stage};
use overdrag_engine::{Engine, EngineError};
use overdrag_tests::drive::{case_at, on_agenda, region};
use overdrag_tests::{TestClock, TestDb, on_both_databases};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, BTreeSet};

const REFORM_DAY: NaiveDate = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();

/// The definitions that end with 2026, oldest region first.
fn ending(engine: &Engine) -> Vec<Definition> {
    let mut defs: Vec<Definition> = engine
        .workflows()
        .definitions()
        .iter()
        .filter(|d| d.valid_to.is_some_and(|end| end < REFORM_DAY))
        .cloned()
        .collect();
    defs.sort_by(|a, b| a.region.as_str().cmp(b.region.as_str()));
    defs
}

async fn moved_mails(engine: &Engine, case_id: i64) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case_id))
        .filter(outbox::Column::Template.eq("case_moved_by_reform"))
        .all(engine.db())
        .await
        .unwrap()
}

async fn open_cases_are_carried_across_the_reform_once_and_whole(db: &TestDb) {
    let clock = TestClock::default();
    let engine = db.engine.clone().with_clock(clock.clock());
    assert!(
        engine.today() < REFORM_DAY,
        "the test builds its cases before the reform"
    );
    let definitions = ending(&engine);
    assert_eq!(
        definitions.len(),
        5,
        "five 2024–27 definitions end with 2026"
    );

    // An open case in every open state of every ending definition.
    let mut cases: BTreeMap<i64, (String, String)> = BTreeMap::new();
    let mut people = BTreeMap::new();
    let mut committee_waiting = None;
    let mut merged_waiting = None;
    for def in &definitions {
        let r = region(&engine, def).await;
        let stages: BTreeSet<Stage> = def
            .states
            .iter()
            .map(|s| s.stage)
            .filter(|s| !s.is_terminal())
            .collect();
        for stage in stages {
            let case = case_at(&engine, &r, stage).await;
            cases.insert(case.id, (r.slug.clone(), case.state.clone()));
            // A case on the agenda of a committee meeting after the reform leaves it; so does
            // a merged region's case on its steering group's next meeting.
            if stage == Stage::Committee && r.slug == "syddanmark" {
                let meeting = on_agenda(&engine, &r, &case, Body::Committee, 40).await;
                committee_waiting = Some((case.id, meeting));
            }
            if stage == Stage::SteeringGroup && r.slug == "hovedstaden" {
                let meeting = on_agenda(&engine, &r, &case, Body::SteeringGroup, 35).await;
                merged_waiting = Some((case.id, meeting));
            }
        }
        people.insert(r.slug.clone(), r);
    }
    let (committee_case, committee_meeting) = committee_waiting.expect("a committee case");
    let (merged_case, merged_meeting) = merged_waiting.expect("a merged region's case");

    // The plan lists every open case with where it goes, and changes nothing.
    let plan = engine
        .reform_plan(ReformScope::Everything, None)
        .await
        .expect("plan");
    assert!(!plan.may_apply);
    assert_eq!(
        plan.cases
            .iter()
            .map(|c| c.case_id)
            .collect::<BTreeSet<_>>(),
        cases.keys().copied().collect::<BTreeSet<_>>()
    );
    for planned in &plan.cases {
        let to = planned
            .destination
            .as_ref()
            .unwrap_or_else(|| panic!("{} cannot go: {:?}", planned.number, planned.blocked));
        assert!(!["hovedstaden", "sjaelland"].contains(&to.region.as_str()));
        assert!(!to.told.is_empty());
        if planned.state == "committee" {
            assert_eq!(to.state, "councils");
            assert!(
                !to.councils.is_empty(),
                "{}: a municipal party gives councils",
                planned.number
            );
        }
    }
    assert_eq!(
        plan.counts.iter().map(|c| c.cases).sum::<usize>(),
        cases.len()
    );
    let committee_plan = plan
        .cases
        .iter()
        .find(|c| c.case_id == committee_case)
        .unwrap();
    assert_eq!(
        committee_plan.destination.as_ref().unwrap().leaves_agendas[0].id,
        committee_meeting
    );

    // Not before the day, unless a day is given.
    let early = engine
        .apply_reform(ReformScope::Everything, None, None)
        .await;
    assert!(
        matches!(early, Err(EngineError::ReformNotYet { .. })),
        "{early:?}"
    );
    // Someone who administers no region carries nothing.
    let proposer = people["syddanmark"].who(Role::Proposer);
    let refused = engine
        .apply_reform(
            ReformScope::AdministeredBy(proposer),
            Some(REFORM_DAY),
            None,
        )
        .await;
    assert!(
        matches!(refused, Err(EngineError::Forbidden { .. })),
        "{refused:?}"
    );

    // A run stopped after four cases, as one killed halfway: four are carried whole, the rest
    // untouched; the next run carries the rest; a third carries nothing.
    let first = engine
        .apply_reform(ReformScope::Everything, Some(REFORM_DAY), Some(4))
        .await
        .expect("first run");
    assert_eq!(first.carried.len(), 4);
    assert!(
        first.memberships_added > 0,
        "the merged regions' people join Østdanmark"
    );
    let left = engine
        .reform_plan(ReformScope::Everything, Some(REFORM_DAY))
        .await
        .unwrap();
    assert_eq!(left.cases.len(), cases.len() - 4);
    clock.advance(chrono::Duration::days(
        (REFORM_DAY - engine.today()).num_days() + 1,
    ));
    let second = engine
        .apply_reform(ReformScope::Everything, None, None)
        .await
        .expect("second run");
    assert_eq!(second.carried.len(), cases.len() - 4);
    assert!(second.blocked.is_empty());
    let again = engine
        .apply_reform(ReformScope::Everything, None, None)
        .await
        .expect("third run");
    assert!(again.carried.is_empty(), "{:?}", again.carried);
    assert_eq!(again.memberships_added, 0);

    // Every case on a 2027 definition, in an open state of it, its journal whole, its case
    // number kept, one ReformCarried event and one mail per recipient.
    for (&case_id, (from_region, from_state)) in &cases {
        let case = handover_case::Entity::find_by_id(case_id)
            .one(engine.db())
            .await
            .unwrap()
            .unwrap();
        // The proposer as they log in after the move: a merged region's now Østdanmark's too.
        let proposer = overdrag_engine::Actor::load(
            engine.db(),
            people[from_region].who(Role::Proposer).user_id,
        )
        .await
        .unwrap()
        .unwrap();
        let view = engine
            .case(&proposer, case_id)
            .await
            .unwrap_or_else(|e| panic!("the proposer still sees case {case_id}: {e}"));
        assert!(!["hovedstaden", "sjaelland"].contains(&view.region.as_str()));
        let def = engine
            .workflows()
            .definitions()
            .iter()
            .find(|d| d.region.as_str() == view.region && d.version == view.workflow.version)
            .unwrap();
        assert_eq!(def.valid_from, REFORM_DAY, "{}", case.number);
        let state = def
            .state_by_str(&case.state)
            .expect("a state of the new definition");
        assert!(!state.stage.is_terminal());
        if from_state == "committee" {
            assert_eq!(case.state, "councils");
        } else {
            assert_eq!(&case.state, from_state);
        }
        let chain = engine.verify_journal(case_id).await.unwrap();
        assert!(chain.verified, "{}: {:?}", case.number, chain.problem);
        let carried = journal_event::Entity::find()
            .filter(journal_event::Column::CaseId.eq(case_id))
            .filter(journal_event::Column::Kind.eq("reform_carried"))
            .all(engine.db())
            .await
            .unwrap();
        assert_eq!(carried.len(), 1, "{}", case.number);
        let mails = moved_mails(&engine, case_id).await;
        assert!(!mails.is_empty(), "{}: the parties are told", case.number);
        let recipients: BTreeSet<(Option<String>, String)> = mails
            .iter()
            .map(|m| (m.recipient_email.clone(), m.recipient_name.clone()))
            .collect();
        assert_eq!(
            recipients.len(),
            mails.len(),
            "{}: one mail per recipient",
            case.number
        );
        assert!(mails.iter().all(|m| m.journal_event_id == carried[0].id));
    }
    let merged_regions: Vec<i64> = region::Entity::find()
        .filter(region::Column::Slug.is_in(["hovedstaden", "sjaelland"]))
        .all(engine.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let open_in_merged = handover_case::Entity::find()
        .filter(handover_case::Column::RegionId.is_in(merged_regions))
        .all(engine.db())
        .await
        .unwrap();
    assert!(
        open_in_merged.iter().all(|c| !cases.contains_key(&c.id)),
        "no open case stays in Hovedstaden or Sjælland"
    );

    // The agendas of the committee and of the merged region's steering group are left.
    for (case_id, meeting_id) in [
        (committee_case, committee_meeting),
        (merged_case, merged_meeting),
    ] {
        let items = agenda_item::Entity::find()
            .filter(agenda_item::Column::CaseId.eq(case_id))
            .filter(agenda_item::Column::MeetingId.eq(meeting_id))
            .all(engine.db())
            .await
            .unwrap();
        assert!(
            items.is_empty(),
            "case {case_id} left meeting {meeting_id}'s agenda"
        );
        let event = journal_event::Entity::find()
            .filter(journal_event::Column::CaseId.eq(case_id))
            .filter(journal_event::Column::Kind.eq("reform_carried"))
            .one(engine.db())
            .await
            .unwrap()
            .unwrap();
        assert!(
            event.payload.contains(&format!("\"id\":{meeting_id}")),
            "{}",
            event.payload
        );
    }
}

on_both_databases!(open_cases_are_carried_across_the_reform_once_and_whole);
