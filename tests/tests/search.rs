//! The case list's search and filters on a real database: the trigram index each database keeps
//! (SQLite FTS5, PostgreSQL pg_trgm) must find exactly what a plain substring search would —
//! any piece of the title or description, whatever its case, wildcards taken literally — and
//! follow every change of the text.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::cases::NewCase;
use overdrag_engine::cases::list::CaseQuery;
use overdrag_engine::domain::description::ProfessionalDescription;
use overdrag_engine::{Actor, Engine};
use overdrag_tests::{TestDb, on_both_databases, party, person};

fn described(task: &str) -> ProfessionalDescription {
    ProfessionalDescription {
        task: task.into(),
        target_group: "Voksne borgere.".into(),
        volume_per_year: Some(120),
        competences: "Sygeplejersker.".into(),
        responsibility: "Hospitalet.".into(),
        quality_and_safety: "Fælles instruks.".into(),
        documentation: "Journal.".into(),
        timeline: "Forår.".into(),
        ..Default::default()
    }
}

async fn case_with(
    engine: &Engine,
    proposer: &Actor,
    region: &str,
    title: &str,
    task: &str,
    parties: (i64, i64),
) -> i64 {
    let case = engine
        .commit_case(
            proposer,
            NewCase {
                region: region.into(),
                title: title.into(),
                kind: "transfer".into(),
                giving_party_id: parties.0,
                receiving_party_id: parties.1,
            },
        )
        .await
        .unwrap();
    engine
        .commit_description(proposer, case.id, case.version, described(task))
        .await
        .unwrap();
    case.id
}

async fn found(engine: &Engine, actor: &Actor, query: CaseQuery) -> Vec<i64> {
    let page = engine
        .list_cases(
            actor,
            &CaseQuery {
                page: 1,
                per_page: 50,
                ..query
            },
        )
        .await
        .unwrap();
    let ids: Vec<i64> = page.items.iter().map(|c| c.id).collect();
    assert_eq!(
        page.total,
        ids.len() as u64,
        "the total counts the same cases"
    );
    ids
}

async fn searched(engine: &Engine, actor: &Actor, q: &str) -> Vec<i64> {
    found(
        engine,
        actor,
        CaseQuery {
            q: Some(q.into()),
            ..CaseQuery::default()
        },
    )
    .await
}

async fn search_finds_any_piece_of_title_or_description(db: &TestDb) {
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let parties = (
        party(engine, "syddanmark", "Odense Universitetshospital").await,
        party(engine, "syddanmark", "Odense Kommune").await,
    );
    let iv = case_with(
        engine,
        &proposer,
        "syddanmark",
        "IV-behandling i eget hjem",
        "Antibiotika gives af hjemmesygeplejen på Ærø, kode XQ §.",
        parties,
    )
    .await;
    let percent = case_with(
        engine,
        &proposer,
        "syddanmark",
        "Sårpleje",
        "Dækker 100% af borgerne; kode a_b og [x]*?",
        parties,
    )
    .await;
    let other = case_with(
        engine,
        &proposer,
        "syddanmark",
        "Sårpleje 1000 borgere",
        "Kode axb.",
        parties,
    )
    .await;
    let quoted = case_with(
        engine,
        &proposer,
        "syddanmark",
        "Skema",
        "Står som \"NOT\" i skemaet, NEAR(a b) -c ^d.",
        parties,
    )
    .await;

    assert_eq!(searched(engine, &proposer, "iv-behandling").await, [iv]);
    assert_eq!(searched(engine, &proposer, "ÆRØ").await, [iv]);
    assert_eq!(searched(engine, &proposer, "hjemmesyge").await, [iv]);
    assert_eq!(
        searched(engine, &proposer, "sårpleje").await,
        [other, percent]
    );
    // Wildcards in the query are letters, not wildcards.
    assert_eq!(searched(engine, &proposer, "100%").await, [percent]);
    assert_eq!(searched(engine, &proposer, "a_b").await, [percent]);
    assert_eq!(searched(engine, &proposer, "[x]*?").await, [percent]);
    assert!(searched(engine, &proposer, "a*b").await.is_empty());
    // So are quotes and the words and signs of a full-text query.
    assert_eq!(searched(engine, &proposer, "\"not\" i").await, [quoted]);
    assert_eq!(
        searched(engine, &proposer, "near(a b) -c ^d").await,
        [quoted]
    );
    assert_eq!(searched(engine, &proposer, "\"not").await, [quoted]);
    assert_eq!(searched(engine, &proposer, "\"").await, [quoted]);
    assert!(searched(engine, &proposer, "not or iv").await.is_empty());
    // Shorter than a trigram still finds, by reading every case.
    assert_eq!(searched(engine, &proposer, "xq").await, [iv]);
    assert_eq!(searched(engine, &proposer, "§").await, [iv]);
    assert!(
        searched(engine, &proposer, "ingen sådan tekst")
            .await
            .is_empty()
    );
}

async fn search_follows_a_new_description_and_a_transition(db: &TestDb) {
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let parties = (
        party(engine, "syddanmark", "Odense Universitetshospital").await,
        party(engine, "syddanmark", "Odense Kommune").await,
    );
    let id = case_with(
        engine,
        &proposer,
        "syddanmark",
        "Kateterpleje",
        "Skift af blærekateter.",
        parties,
    )
    .await;
    assert_eq!(searched(engine, &proposer, "blærekateter").await, [id]);
    let case = engine.case(&proposer, id).await.unwrap();
    engine
        .commit_description(
            &proposer,
            id,
            case.version,
            described("Pleje af suprapubisk kateter."),
        )
        .await
        .unwrap();
    assert!(searched(engine, &proposer, "blærekateter").await.is_empty());
    assert_eq!(searched(engine, &proposer, "suprapubisk").await, [id]);
    let case = engine.case(&proposer, id).await.unwrap();
    engine
        .commit_transition(&proposer, id, case.version, "submit", None)
        .await
        .unwrap();
    assert_eq!(searched(engine, &proposer, "suprapubisk").await, [id]);
    assert_eq!(searched(engine, &proposer, "kateterpleje").await, [id]);
}

async fn filters_combine_with_search_and_stay_in_the_actors_regions(db: &TestDb) {
    let engine = &db.engine;
    let anne = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let mads = person(engine, "mads@rm.dk", "midtjylland", "proposer").await;
    let ouh = party(engine, "syddanmark", "Odense Universitetshospital").await;
    let odense = party(engine, "syddanmark", "Odense Kommune").await;
    let svendborg = party(engine, "syddanmark", "Svendborg Kommune").await;
    let auh = party(engine, "midtjylland", "Aarhus Universitetshospital").await;
    let aarhus = party(engine, "midtjylland", "Aarhus Kommune").await;
    let to_odense = case_with(
        engine,
        &anne,
        "syddanmark",
        "Stomipleje",
        "Stomi.",
        (ouh, odense),
    )
    .await;
    let to_svendborg = case_with(
        engine,
        &anne,
        "syddanmark",
        "Stomipleje",
        "Stomi.",
        (ouh, svendborg),
    )
    .await;
    let in_aarhus = case_with(
        engine,
        &mads,
        "midtjylland",
        "Stomipleje",
        "Stomi.",
        (auh, aarhus),
    )
    .await;
    let case = engine.case(&anne, to_svendborg).await.unwrap();
    engine
        .commit_transition(&anne, to_svendborg, case.version, "submit", None)
        .await
        .unwrap();

    assert_eq!(
        searched(engine, &anne, "stomi").await,
        [to_svendborg, to_odense]
    );
    assert_eq!(searched(engine, &mads, "stomi").await, [in_aarhus]);
    let by_party = |party: i64| CaseQuery {
        party: Some(party),
        q: Some("stomi".into()),
        ..CaseQuery::default()
    };
    assert_eq!(
        found(engine, &anne, by_party(svendborg)).await,
        [to_svendborg]
    );
    assert_eq!(
        found(engine, &anne, by_party(ouh)).await,
        [to_svendborg, to_odense]
    );
    assert!(found(engine, &anne, by_party(aarhus)).await.is_empty());
    let by_state = |state: &str| CaseQuery {
        state: Some(state.into()),
        q: Some("stomi".into()),
        ..CaseQuery::default()
    };
    assert_eq!(found(engine, &anne, by_state("draft")).await, [to_odense]);
    assert_eq!(found(engine, &mads, by_state("draft")).await, [in_aarhus]);
}

async fn a_search_counts_up_to_its_limit_and_pages_past_it(db: &TestDb) {
    use overdrag_engine::cases::list::SEARCH_COUNT_LIMIT;
    let engine = &db.engine;
    let proposer = person(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let parties = (
        party(engine, "syddanmark", "Odense Universitetshospital").await,
        party(engine, "syddanmark", "Odense Kommune").await,
    );
    let cases = usize::try_from(SEARCH_COUNT_LIMIT).unwrap() + 5;
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let (engine, proposer) = (engine.clone(), proposer.clone());
        tasks.push(tokio::spawn(async move {
            let mut made = Vec::new();
            for n in (worker..cases).step_by(8) {
                let case = engine
                    .commit_case(
                        &proposer,
                        NewCase {
                            region: "syddanmark".into(),
                            title: format!("Stomipleje nr. {n}"),
                            kind: "transfer".into(),
                            giving_party_id: parties.0,
                            receiving_party_id: parties.1,
                        },
                    )
                    .await
                    .unwrap();
                made.push(case.id);
            }
            made
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.unwrap());
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    let page = |page: u64| CaseQuery {
        q: Some("stomipleje".into()),
        page,
        per_page: 20,
        ..CaseQuery::default()
    };
    let first = engine.list_cases(&proposer, &page(1)).await.unwrap();
    assert_eq!(
        (first.total, first.total_exact),
        (SEARCH_COUNT_LIMIT, false)
    );
    let newest: Vec<i64> = first.items.iter().map(|c| c.id).collect();
    assert_eq!(newest, ids[..20]);
    // Past the counted matches the pages go on, to the oldest case.
    let last = engine.list_cases(&proposer, &page(51)).await.unwrap();
    let oldest: Vec<i64> = last.items.iter().map(|c| c.id).collect();
    assert_eq!(oldest, ids[1000..]);
    // A narrower search counts exactly again.
    let one = engine
        .list_cases(
            &proposer,
            &CaseQuery {
                q: Some("stomipleje nr. 1004".into()),
                page: 1,
                per_page: 20,
                ..CaseQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((one.total, one.total_exact, one.items.len()), (1, true, 1));
}

on_both_databases!(
    a_search_counts_up_to_its_limit_and_pages_past_it,
    search_finds_any_piece_of_title_or_description,
    search_follows_a_new_description_and_a_transition,
    filters_combine_with_search_and_stay_in_the_actors_regions,
);
