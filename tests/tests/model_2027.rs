//! The 2027 model end to end on a real database: a new case in each of the four 2027 regions
//! runs from draft to closed on its 2027 definition, every council of the case recommending at
//! its own meeting before the regionsråd decides; the recommendations are in the decision
//! document, and the journal verifies. A member of one council cannot recommend for another,
//! nor a council member decide for the regionsråd, on every 2027 workflow.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::domain::body::Body;
use overdrag_engine::domain::role::Role;
use overdrag_engine::storage::entity::council_recommendation;
use overdrag_engine::workflow::machine::Refusal;
use overdrag_engine::workflow::{Definition, Stage};
use overdrag_engine::{Actor, Engine, EngineError};
use overdrag_tests::drive::{Region, case_at, on_agenda, region};
use overdrag_tests::{TestDb, engine_in_2027, on_both_databases, person};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The engine on a clock in January 2027 (or later), and the definitions with a councils' step.
fn in_2027(db: &TestDb) -> (Engine, Vec<Definition>) {
    let engine = engine_in_2027(&db.engine);
    let models = engine
        .workflows()
        .definitions()
        .iter()
        .filter(|d| d.states.iter().any(|s| s.stage == Stage::Council))
        .cloned()
        .collect();
    (engine, models)
}

async fn a_new_case_runs_from_draft_to_closed_on_each_2027_model(db: &TestDb) {
    let (engine, models) = in_2027(db);
    assert_eq!(models.len(), 4, "four regions run the 2027 model");
    let mut most_councils = 0;
    for def in &models {
        let r = region(&engine, def).await;
        let case = case_at(&engine, &r, Stage::FollowUp).await;
        assert_eq!(case.workflow.version, def.version, "{}", r.slug);
        let secretariat = r.who(Role::Secretariat);
        let closed = engine
            .transition(secretariat, case.id, case.version, "close", None)
            .await
            .unwrap_or_else(|e| panic!("{}: close: {e}", r.slug));
        assert_eq!(closed.stage, Stage::Closed);
        let recommended = council_recommendation::Entity::find()
            .filter(council_recommendation::Column::CaseId.eq(case.id))
            .all(engine.db())
            .await
            .unwrap();
        assert_eq!(
            recommended.len(),
            case.councils.len(),
            "{}: every council recommended",
            r.slug
        );
        assert!(!case.councils.is_empty());
        most_councils = most_councils.max(case.councils.len());
        let document = engine
            .decision_document(secretariat, case.id, None)
            .await
            .expect("decision document");
        let text = String::from_utf8_lossy(&document.bytes).into_owned();
        for council in &case.councils {
            assert!(
                text.contains(&format!("{}: ", council.name)),
                "{}: the decision document names {}'s recommendation",
                r.slug,
                council.name
            );
        }
        let chain = engine.verify_journal(case.id).await.unwrap();
        assert!(chain.verified, "{}: {:?}", r.slug, chain.problem);
    }
    assert!(
        most_councils >= 2,
        "a case whose municipalities span two areas has two councils"
    );
}

/// Seats a new member with the council role on `council` and returns them as they log in.
async fn seated(engine: &Engine, r: &Region, council: i64, name: &str) -> Actor {
    let email = format!("{name}.{council}@{}.model2027.invalid", r.slug);
    let member = person(engine, &email, &r.slug, Role::Council.as_str()).await;
    engine
        .set_council_seat(r.who(Role::Admin), &r.slug, council, member.user_id, true)
        .await
        .expect("seated");
    Actor::load(engine.db(), member.user_id)
        .await
        .unwrap()
        .unwrap()
}

async fn a_council_recommends_only_for_itself_and_only_the_regionsraad_decides(db: &TestDb) {
    let (engine, models) = in_2027(db);
    for def in &models {
        let r = region(&engine, def).await;
        let secretariat = r.who(Role::Secretariat);
        // At the councils' step: a member of another council of the region (which may be one
        // of the case's too) is refused at the meeting of one of the case's councils.
        let case = case_at(&engine, &r, Stage::Council).await;
        let own = case.councils[0].id;
        let all = engine.councils(secretariat, &r.slug).await.unwrap();
        let other = all
            .iter()
            .find(|c| c.id != own)
            .unwrap_or_else(|| panic!("{}: a second council", r.slug))
            .id;
        let outsider = seated(&engine, &r, other, "outsider").await;
        let meeting = on_agenda(&engine, &r, &case, Body::Council(own), 0).await;
        engine.publish_agenda(secretariat, meeting).await.unwrap();
        let case = engine.case(secretariat, case.id).await.unwrap();
        let refused = engine
            .transition(&outsider, case.id, case.version, "recommend", None)
            .await;
        // Refused as an outsider, or (when their own council is also the case's) because the
        // case is not on their council's agenda: either way nothing is recommended.
        assert!(
            matches!(
                refused,
                Err(EngineError::Refused(
                    Refusal::NotMember { .. } | Refusal::Blocked { .. }
                ))
            ),
            "{}: another council's member recommended: {refused:?}",
            r.slug
        );
        let recorded = council_recommendation::Entity::find()
            .filter(council_recommendation::Column::CaseId.eq(case.id))
            .all(engine.db())
            .await
            .unwrap();
        assert!(recorded.is_empty(), "{}: {recorded:?}", r.slug);
        assert_eq!(
            engine.case(secretariat, case.id).await.unwrap().state,
            "councils"
        );
        // The regionsråd's step: a member of the case's council cannot decide for it.
        let case = case_at(&engine, &r, Stage::RegionalCouncil).await;
        let member = seated(&engine, &r, case.councils[0].id, "member").await;
        let meeting = on_agenda(&engine, &r, &case, Body::RegionalCouncil, 0).await;
        engine.publish_agenda(secretariat, meeting).await.unwrap();
        let case = engine.case(secretariat, case.id).await.unwrap();
        let refused = engine
            .transition(&member, case.id, case.version, "approve", None)
            .await;
        assert!(
            matches!(
                refused,
                Err(EngineError::Refused(
                    Refusal::RoleNotAllowed { .. } | Refusal::NotMember { .. }
                ))
            ),
            "{}: a council member decided for the regionsråd: {refused:?}",
            r.slug
        );
        let decided = engine
            .transition(
                r.who(Role::RegionalCouncil),
                case.id,
                case.version,
                "approve",
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{}: the regionsråd approves: {e}", r.slug));
        assert_eq!(decided.stage, Stage::Implementation);
    }
}

on_both_databases!(
    a_new_case_runs_from_draft_to_closed_on_each_2027_model,
    a_council_recommends_only_for_itself_and_only_the_regionsraad_decides,
);
