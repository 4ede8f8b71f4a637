//! The 2027 reform's councils (sundhedsråd) as data: seeded from the reference data, corrected
//! by a region's administrator with a logged reason, and followed by a case's councils.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::cases::NewCase;
use overdrag_engine::cases::meetings::NewMeeting;
use overdrag_engine::councils::{CouncilMove, CouncilView};
use overdrag_engine::domain::body::Body;
use overdrag_engine::storage::entity::council_change;
use overdrag_engine::{Actor, Engine, EngineError};
use overdrag_tests::{TestDb, on_both_databases, party, person};
use sea_orm::EntityTrait;

fn council<'a>(councils: &'a [CouncilView], name: &str) -> &'a CouncilView {
    councils
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no council {name}"))
}

fn holds(council: &CouncilView, municipality: &str) -> bool {
    council
        .municipalities
        .iter()
        .any(|m| m.municipality.name == municipality)
}

async fn a_case(engine: &Engine, proposer: &Actor, giving: &str, receiving: &str) -> i64 {
    let input = NewCase {
        region: "syddanmark".into(),
        title: "Sårbehandling i eget hjem".into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "syddanmark", giving).await,
        receiving_party_id: party(engine, "syddanmark", receiving).await,
    };
    engine.create_case(proposer, input).await.unwrap().id
}

async fn every_2027_region_has_its_councils_and_every_municipality_one(db: &TestDb) {
    let engine = &db.engine;
    for (region, count, municipalities) in [
        ("oestdanmark", 6, 46),
        ("midtjylland", 5, 19),
        ("syddanmark", 4, 22),
        ("nordjylland", 2, 11),
    ] {
        let reader = person(
            engine,
            &format!("laeser@{region}.invalid"),
            region,
            "proposer",
        )
        .await;
        let councils = engine.councils(&reader, region).await.unwrap();
        assert_eq!(councils.len(), count, "{region}");
        let placed: usize = councils.iter().map(|c| c.municipalities.len()).sum();
        assert_eq!(placed, municipalities, "{region}");
    }
    let reader = person(engine, "laeser@syd.invalid", "syddanmark", "proposer").await;
    let councils = engine.councils(&reader, "syddanmark").await.unwrap();
    assert!(holds(
        council(&councils, "Sundhedsråd Fyn"),
        "Odense Kommune"
    ));
    let uncertain: Vec<&str> = councils
        .iter()
        .flat_map(|c| &c.municipalities)
        .filter(|m| m.note.is_some())
        .map(|m| m.municipality.name.as_str())
        .collect();
    assert_eq!(uncertain, ["Middelfart Kommune", "Billund Kommune"]);
    // Before the reform's regions, none: Hovedstaden's councils are Østdanmark's.
    let hovedstaden = person(engine, "laeser@rh.invalid", "hovedstaden", "proposer").await;
    assert!(
        engine
            .councils(&hovedstaden, "hovedstaden")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        engine.councils(&hovedstaden, "syddanmark").await,
        Err(EngineError::NotFound { .. })
    ));
}

async fn an_administrator_moves_a_municipality_and_the_cases_follow(db: &TestDb) {
    let engine = &db.engine;
    let admin = person(engine, "admin@rsyd.invalid", "syddanmark", "admin").await;
    let proposer = person(engine, "anne@ouh.invalid", "syddanmark", "proposer").await;
    let secretariat = person(engine, "mette@rsyd.invalid", "syddanmark", "secretariat").await;
    let case = a_case(
        engine,
        &proposer,
        "Odense Universitetshospital",
        "Middelfart Kommune",
    )
    .await;
    let councils_of = async |id| -> Vec<String> {
        let view = engine.case(&proposer, id).await.unwrap();
        view.councils.into_iter().map(|c| c.name).collect()
    };
    assert_eq!(councils_of(case).await, ["Sundhedsråd Lillebælt"]);

    let councils = engine.councils(&admin, "syddanmark").await.unwrap();
    let fyn = council(&councils, "Sundhedsråd Fyn").id;
    let middelfart = party(engine, "syddanmark", "Middelfart Kommune").await;
    let change = |council_id, reason: &str| CouncilMove {
        municipality_id: middelfart,
        council_id,
        reason: reason.into(),
    };

    let refused = engine
        .move_municipality(&secretariat, "syddanmark", change(fyn, "Hører til Fyn"))
        .await;
    assert!(
        matches!(refused, Err(EngineError::Forbidden { .. })),
        "{refused:?}"
    );
    let refused = engine
        .move_municipality(&admin, "syddanmark", change(fyn, ""))
        .await;
    assert!(
        matches!(&refused, Err(EngineError::Invalid(e)) if e.iter().any(|f| f.field == "reason")),
        "{refused:?}"
    );
    let nordjylland = person(engine, "laeser@rn.invalid", "nordjylland", "proposer").await;
    let north = engine.councils(&nordjylland, "nordjylland").await.unwrap();
    let refused = engine
        .move_municipality(&admin, "syddanmark", change(north[0].id, "Forkert region"))
        .await;
    assert!(
        matches!(&refused, Err(EngineError::Invalid(e)) if e.iter().any(|f| f.field == "council_id")),
        "{refused:?}"
    );

    let moved = engine
        .move_municipality(
            &admin,
            "syddanmark",
            change(fyn, "Kommunen er med i Sundhedsråd Fyn"),
        )
        .await
        .unwrap();
    assert!(holds(
        council(&moved, "Sundhedsråd Fyn"),
        "Middelfart Kommune"
    ));
    assert!(!holds(
        council(&moved, "Sundhedsråd Lillebælt"),
        "Middelfart Kommune"
    ));
    let log = council_change::Entity::find()
        .all(engine.db())
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].changed_by, admin.user_id);
    assert_eq!(log[0].to_council_id, fyn);
    assert_eq!(log[0].reason, "Kommunen er med i Sundhedsråd Fyn");
    assert_eq!(councils_of(case).await, ["Sundhedsråd Fyn"]);

    // A case between two areas has both councils; one with no municipality has none yet.
    let two = a_case(engine, &proposer, "Odense Kommune", "Esbjerg Kommune").await;
    assert_eq!(
        councils_of(two).await,
        ["Sundhedsråd Fyn", "Sundhedsråd Sydvestjylland"]
    );
    let none = a_case(
        engine,
        &proposer,
        "Odense Universitetshospital",
        "PLO-Syddanmark",
    )
    .await;
    assert!(councils_of(none).await.is_empty());
}

async fn a_council_member_sits_on_the_councils_named_and_each_council_meets(db: &TestDb) {
    let engine = &db.engine;
    let admin = person(engine, "admin@rsyd.invalid", "syddanmark", "admin").await;
    let secretariat = person(engine, "mette@rsyd.invalid", "syddanmark", "secretariat").await;
    let member = person(engine, "raad@odense.invalid", "syddanmark", "council").await;
    let proposer = person(engine, "anne@ouh.invalid", "syddanmark", "proposer").await;
    let councils = engine.councils(&admin, "syddanmark").await.unwrap();
    let fyn = council(&councils, "Sundhedsråd Fyn").id;
    let lillebaelt = council(&councils, "Sundhedsråd Lillebælt").id;

    let refused = engine
        .set_council_seat(&secretariat, "syddanmark", fyn, member.user_id, true)
        .await;
    assert!(
        matches!(refused, Err(EngineError::Forbidden { .. })),
        "{refused:?}"
    );
    let refused = engine
        .set_council_seat(&admin, "syddanmark", fyn, proposer.user_id, true)
        .await;
    assert!(
        matches!(&refused, Err(EngineError::Invalid(e)) if e[0].field == "user_id"),
        "{refused:?}"
    );
    let stranger = person(engine, "raad@rn.invalid", "nordjylland", "council").await;
    let refused = engine
        .set_council_seat(&admin, "syddanmark", fyn, stranger.user_id, true)
        .await;
    assert!(
        matches!(refused, Err(EngineError::NotFound { .. })),
        "{refused:?}"
    );

    let seated = engine
        .set_council_seat(&admin, "syddanmark", fyn, member.user_id, true)
        .await
        .unwrap();
    assert_eq!(council(&seated, "Sundhedsråd Fyn").members.len(), 1);
    let member = Actor::load(engine.db(), member.user_id)
        .await
        .unwrap()
        .unwrap();
    let bodies = member.bodies_in("syddanmark");
    assert!(bodies.contains(&Body::Council(fyn)));
    assert!(!bodies.contains(&Body::Council(lillebaelt)));

    // Each council and the regional council meet; a council of another region does not here.
    let today = engine.today();
    let plan = async |body: String| {
        engine
            .create_meeting(
                &secretariat,
                NewMeeting {
                    region: "syddanmark".into(),
                    body,
                    title: "Møde i sundhedsrådet".into(),
                    held_on: today,
                    material_deadline: today,
                },
            )
            .await
    };
    let meeting = plan(Body::Council(fyn).key()).await.unwrap();
    assert_eq!(meeting.body, Body::Council(fyn));
    assert_eq!(meeting.body_name, "Sundhedsråd Fyn");
    let meeting = plan(Body::RegionalCouncil.key()).await.unwrap();
    assert_eq!(meeting.body_name, "Regionsrådet");
    let north = engine.councils(&stranger, "nordjylland").await.unwrap();
    let refused = plan(Body::Council(north[0].id).key()).await;
    assert!(
        matches!(&refused, Err(EngineError::Invalid(e)) if e[0].field == "body"),
        "{refused:?}"
    );

    let unseated = engine
        .set_council_seat(&admin, "syddanmark", fyn, member.user_id, false)
        .await
        .unwrap();
    assert!(council(&unseated, "Sundhedsråd Fyn").members.is_empty());
}

async fn the_secretariat_chooses_the_councils_of_a_case_without_a_municipality(db: &TestDb) {
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.invalid", "syddanmark", "proposer").await;
    let secretariat = person(engine, "mette@rsyd.invalid", "syddanmark", "secretariat").await;
    let case = a_case(
        engine,
        &proposer,
        "Odense Universitetshospital",
        "PLO-Syddanmark",
    )
    .await;
    let view = engine.case(&proposer, case).await.unwrap();
    assert!(view.councils.is_empty());
    let councils = engine.councils(&secretariat, "syddanmark").await.unwrap();
    let fyn = council(&councils, "Sundhedsråd Fyn").id;
    let reason = "Opgaven løses af de praktiserende læger på Fyn";

    let refused = engine
        .choose_councils(&proposer, case, view.version, &[fyn], reason)
        .await;
    assert!(
        matches!(refused, Err(EngineError::Forbidden { .. })),
        "{refused:?}"
    );
    let nordjylland = person(engine, "laeser@rn.invalid", "nordjylland", "proposer").await;
    let north = engine.councils(&nordjylland, "nordjylland").await.unwrap();
    let refused = engine
        .choose_councils(&secretariat, case, view.version, &[north[0].id], reason)
        .await;
    assert!(
        matches!(&refused, Err(EngineError::Invalid(e)) if e[0].field == "council_ids"),
        "{refused:?}"
    );
    let refused = engine
        .choose_councils(&secretariat, case, view.version, &[fyn], " ")
        .await;
    assert!(
        matches!(&refused, Err(EngineError::Invalid(e)) if e[0].field == "reason"),
        "{refused:?}"
    );

    let chosen = engine
        .choose_councils(&secretariat, case, view.version, &[fyn], reason)
        .await
        .unwrap();
    let names: Vec<&str> = chosen.councils.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Sundhedsråd Fyn"]);
    assert_eq!(chosen.version, view.version + 1);
    let journal = engine.journal(&secretariat, case).await.unwrap();
    let last = journal.events.last().unwrap();
    assert_eq!(last.kind, "councils_chosen");
    assert_eq!(last.details["reason"], reason);
    assert!(journal.chain.verified);
    let stale = engine
        .choose_councils(&secretariat, case, view.version, &[fyn], reason)
        .await;
    assert!(
        matches!(stale, Err(EngineError::Conflict { .. })),
        "{stale:?}"
    );

    // A case with a municipal party has its councils from it, not by choice.
    let municipal = a_case(
        engine,
        &proposer,
        "Odense Universitetshospital",
        "Odense Kommune",
    )
    .await;
    let view = engine.case(&proposer, municipal).await.unwrap();
    let refused = engine
        .choose_councils(&secretariat, municipal, view.version, &[fyn], reason)
        .await;
    assert!(
        matches!(&refused, Err(EngineError::Invalid(e)) if e[0].field == "council_ids"),
        "{refused:?}"
    );
}

on_both_databases!(
    the_secretariat_chooses_the_councils_of_a_case_without_a_municipality,
    every_2027_region_has_its_councils_and_every_municipality_one,
    an_administrator_moves_a_municipality_and_the_cases_follow,
    a_council_member_sits_on_the_councils_named_and_each_council_meets,
);
