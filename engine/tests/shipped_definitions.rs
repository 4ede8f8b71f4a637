//! Every definition shipped in `workflows/` is valid against the shipped mail templates, and
//! follows the health agreements' model.

mod common;

use common::shipped;
use overdrag_engine::workflow::Stage;

#[test]
fn every_region_has_a_valid_definition() {
    let set = shipped();
    let mut regions: Vec<&str> = set
        .definitions()
        .iter()
        .map(|d| d.region.as_str())
        .collect();
    regions.sort_unstable();
    regions.dedup();
    assert_eq!(
        regions,
        [
            "hovedstaden",
            "midtjylland",
            "nordjylland",
            "oestdanmark",
            "sjaelland",
            "syddanmark"
        ]
    );
}

#[test]
fn the_proposer_may_withdraw_until_the_committee_has_decided() {
    // The last political decision: the committee's (2024–27) or the regionsråd's (2027).
    for def in shipped().definitions() {
        for state in def
            .states
            .iter()
            .filter(|s| s.stage <= Stage::RegionalCouncil)
        {
            let withdraw = def
                .transitions_from(&state.id)
                .find(|t| t.id.as_str() == "withdraw");
            let withdraw =
                withdraw.unwrap_or_else(|| panic!("{}: no withdraw from {}", def.region, state.id));
            assert!(
                withdraw.by.iter().any(|r| r.as_str() == "proposer"),
                "{}: withdraw from {}",
                def.region,
                state.id
            );
            assert_eq!(
                def.state(&withdraw.to).map(|s| s.stage),
                Some(Stage::Withdrawn)
            );
        }
        for state in def
            .states
            .iter()
            .filter(|s| s.stage > Stage::RegionalCouncil)
        {
            assert!(
                !def.transitions_from(&state.id).any(|t| def
                    .state(&t.to)
                    .is_some_and(|s| s.stage == Stage::Withdrawn)),
                "{}: a decided case can be withdrawn from {}",
                def.region,
                state.id
            );
        }
    }
}

#[test]
fn the_steering_group_and_committee_decide_with_the_core_transitions() {
    for def in shipped().definitions() {
        let ids_from = |stage: Stage| -> Vec<String> {
            def.states
                .iter()
                .filter(|s| s.stage == stage)
                .flat_map(|s| def.transitions_from(&s.id).map(|t| t.id.to_string()))
                .collect()
        };
        let steering = ids_from(Stage::SteeringGroup);
        for id in ["recommend", "reject", "withdraw"] {
            assert!(
                steering.iter().any(|t| t == id),
                "{}: steering group lacks {id}",
                def.region
            );
        }
        assert!(
            steering.iter().any(|t| t.starts_with("return")),
            "{}: steering group cannot return",
            def.region
        );
        // The 2024–27 model's committee decides; in the 2027 model each council recommends
        // (or returns) and the regionsråd decides.
        let reform = def.states.iter().any(|s| s.stage == Stage::RegionalCouncil);
        let (deciding, name) = if reform {
            let councils = ids_from(Stage::Council);
            for id in ["recommend", "recommend_rejection", "withdraw"] {
                assert!(
                    councils.iter().any(|t| t == id),
                    "{}: councils lack {id}",
                    def.region
                );
            }
            assert!(
                councils.iter().any(|t| t.starts_with("return")),
                "{}: a council cannot return",
                def.region
            );
            (ids_from(Stage::RegionalCouncil), "regionsråd")
        } else {
            (ids_from(Stage::Committee), "committee")
        };
        for id in ["approve", "approve_with_conditions", "reject", "withdraw"] {
            assert!(
                deciding.iter().any(|t| t == id),
                "{}: {name} lacks {id}",
                def.region
            );
        }
        assert!(
            deciding.iter().any(|t| t.starts_with("return")),
            "{}: {name} cannot return",
            def.region
        );
    }
}

#[test]
fn regions_use_their_own_case_prefixes() {
    let set = shipped();
    // A region's versions share its prefix; no two regions share one.
    let mut pairs: Vec<(&str, &str)> = set
        .definitions()
        .iter()
        .map(|d| (d.case_prefix.as_str(), d.region.as_str()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut prefixes: Vec<&str> = pairs.iter().map(|(p, _)| *p).collect();
    prefixes.dedup();
    assert_eq!(prefixes.len(), pairs.len(), "{pairs:?}");
}
