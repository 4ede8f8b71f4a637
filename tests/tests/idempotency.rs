//! `Idempotency-Key` after a crash, on a real database: a server killed between a request's
//! claim and its stored answer must leave the key answerable once the lease runs out, and the
//! change must never run twice — on SQLite, and on PostgreSQL as ignored tests.
//!
//! The crash is the engine's own steps, stopped where a killed server stops: the key is
//! claimed, the change committed (or not), and the answer never stored. The clock is then
//! moved past the lease.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::cases::{Committed, NewCase};
use overdrag_engine::idempotency::{self, Claim, Idempotency, LEASE};
use overdrag_engine::storage::entity::handover_case;
use overdrag_engine::{Actor, Engine, EngineError};
use overdrag_tests::{TestClock, TestDb, full_description, on_both_databases, party, person};
use sea_orm::{EntityTrait, PaginatorTrait};

struct World {
    engine: Engine,
    clock: TestClock,
    proposer: Actor,
    hospital: i64,
    odense: i64,
}

async fn world(db: &TestDb) -> World {
    let clock = TestClock::default();
    let engine = db.engine.clone().with_clock(clock.clock());
    World {
        proposer: person(&engine, "anne@ouh.dk", "syddanmark", "proposer").await,
        hospital: party(&engine, "syddanmark", "Odense Universitetshospital").await,
        odense: party(&engine, "syddanmark", "Odense Kommune").await,
        engine,
        clock,
    }
}

fn new_case(w: &World) -> NewCase {
    NewCase {
        region: "syddanmark".into(),
        title: "IV-behandling i eget hjem".into(),
        kind: "transfer".into(),
        giving_party_id: w.hospital,
        receiving_party_id: w.odense,
    }
}

async fn begin(w: &World, key: &str) -> Idempotency {
    idempotency::begin(&w.engine, w.proposer.user_id, key, "the same request")
        .await
        .unwrap()
}

async fn claimed(w: &World, key: &str) -> Claim {
    match begin(w, key).await {
        Idempotency::Fresh(claim) => claim,
        other => panic!("expected a fresh claim, got {other:?}"),
    }
}

async fn cases(w: &World) -> Vec<handover_case::Model> {
    handover_case::Entity::find()
        .all(w.engine.db())
        .await
        .unwrap()
}

/// Just short of the lease, and just past it.
fn within_lease() -> chrono::Duration {
    LEASE - chrono::Duration::seconds(5)
}

fn past_lease() -> chrono::Duration {
    chrono::Duration::seconds(10)
}

async fn a_case_created_before_a_crash_is_answered_from_the_commit_after_the_lease(db: &TestDb) {
    let w = world(db).await;
    let claim = claimed(&w, "create-then-crash").await;
    let committed = w
        .engine
        .commit_case_keyed(&w.proposer, new_case(&w), Some(&claim))
        .await
        .unwrap();
    // The server is killed here: the answer is never stored.

    w.clock.advance(within_lease());
    assert_eq!(
        begin(&w, "create-then-crash").await,
        Idempotency::InProgress,
        "within the lease the first request may still be answering"
    );

    w.clock.advance(past_lease());
    let retry = begin(&w, "create-then-crash").await;
    assert_eq!(
        retry,
        Idempotency::Committed {
            claim: claim.clone(),
            committed: committed.clone(),
        }
    );
    let stored = cases(&w).await;
    assert_eq!(stored.len(), 1, "no second case");
    assert_eq!(
        (stored[0].id, stored[0].version),
        (committed.id, committed.version)
    );

    // The retry's answer is stored, and every later retry gets it.
    idempotency::finish(&w.engine, &claim, 201, "{\"id\":1}")
        .await
        .unwrap();
    assert_eq!(
        begin(&w, "create-then-crash").await,
        Idempotency::Replay {
            status: 201,
            body: "{\"id\":1}".into()
        }
    );
    assert_eq!(cases(&w).await.len(), 1);
}

async fn a_transition_taken_before_a_crash_is_answered_from_the_commit_after_the_lease(
    db: &TestDb,
) {
    let w = world(db).await;
    let case = w
        .engine
        .create_case(&w.proposer, new_case(&w))
        .await
        .unwrap();
    let described = w
        .engine
        .revise_description(&w.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    let claim = claimed(&w, "submit-then-crash").await;
    let committed = w
        .engine
        .commit_transition_keyed(
            &w.proposer,
            case.id,
            described.version,
            "submit",
            None,
            Some(&claim),
        )
        .await
        .unwrap();
    // The server is killed here.

    w.clock.advance(within_lease());
    assert_eq!(
        begin(&w, "submit-then-crash").await,
        Idempotency::InProgress
    );
    w.clock.advance(past_lease());
    assert_eq!(
        begin(&w, "submit-then-crash").await,
        Idempotency::Committed {
            claim,
            committed: Committed {
                id: case.id,
                number: case.number.clone(),
                state: "description_review".into(),
                version: described.version + 1,
            },
        }
    );
    assert_eq!(committed.version, described.version + 1);
    let stored = w.engine.case(&w.proposer, case.id).await.unwrap();
    assert_eq!(
        (stored.version, stored.state.as_str()),
        (described.version + 1, "description_review"),
        "the transition was taken once"
    );
    let events = w.engine.journal(&w.proposer, case.id).await.unwrap();
    assert_eq!(
        events
            .events
            .iter()
            .filter(|e| e.kind == "transition")
            .count(),
        1
    );
}

async fn a_claim_that_never_committed_is_taken_over_once_and_runs_once(db: &TestDb) {
    let w = world(db).await;
    let first = claimed(&w, "crash-before-commit").await;
    // The server is killed before the change commits.

    w.clock.advance(within_lease());
    assert_eq!(
        begin(&w, "crash-before-commit").await,
        Idempotency::InProgress
    );

    // Ten retries at once after the lease: one takes the claim over, the others wait.
    w.clock.advance(past_lease());
    let retries: Vec<_> = (0..10)
        .map(|_| {
            let engine = w.engine.clone();
            let user_id = w.proposer.user_id;
            tokio::spawn(async move {
                idempotency::begin(&engine, user_id, "crash-before-commit", "the same request")
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut taken_over = Vec::new();
    for retry in retries {
        match retry.await.unwrap() {
            Idempotency::Fresh(claim) => taken_over.push(claim),
            Idempotency::InProgress => {}
            other => panic!("a retry got {other:?}"),
        }
    }
    assert_eq!(
        taken_over.len(),
        1,
        "exactly one retry takes the claim over"
    );
    let second = taken_over.remove(0);
    assert_ne!(first, second);

    // The first request was slow, not dead: it may not commit once its claim was taken over.
    let late = w
        .engine
        .commit_case_keyed(&w.proposer, new_case(&w), Some(&first))
        .await;
    assert!(
        matches!(late, Err(EngineError::IdempotencyTakenOver)),
        "{late:?}"
    );
    assert_eq!(cases(&w).await.len(), 0, "the late change was rolled back");

    let committed = w
        .engine
        .commit_case_keyed(&w.proposer, new_case(&w), Some(&second))
        .await
        .unwrap();
    idempotency::finish(&w.engine, &second, 201, "answer")
        .await
        .unwrap();
    // The slow first request's answer does not replace the one that counts.
    idempotency::finish(&w.engine, &first, 409, "late")
        .await
        .unwrap();
    assert_eq!(
        begin(&w, "crash-before-commit").await,
        Idempotency::Replay {
            status: 201,
            body: "answer".into()
        }
    );
    let stored = cases(&w).await;
    assert_eq!(stored.len(), 1, "the request ran once");
    assert_eq!(stored[0].id, committed.id);
}

async fn a_server_error_after_the_commit_keeps_the_key(db: &TestDb) {
    let w = world(db).await;
    let claim = claimed(&w, "commit-then-500").await;
    let committed = w
        .engine
        .commit_case_keyed(&w.proposer, new_case(&w), Some(&claim))
        .await
        .unwrap();
    // Reading the case back failed with a 500, so the handler releases the key.
    idempotency::release(&w.engine, &claim).await.unwrap();

    assert_eq!(begin(&w, "commit-then-500").await, Idempotency::InProgress);
    w.clock.advance(LEASE + past_lease());
    assert_eq!(
        begin(&w, "commit-then-500").await,
        Idempotency::Committed { claim, committed }
    );
    assert_eq!(
        handover_case::Entity::find()
            .count(w.engine.db())
            .await
            .unwrap(),
        1
    );
}

on_both_databases!(
    a_case_created_before_a_crash_is_answered_from_the_commit_after_the_lease,
    a_transition_taken_before_a_crash_is_answered_from_the_commit_after_the_lease,
    a_claim_that_never_committed_is_taken_over_once_and_runs_once,
    a_server_error_after_the_commit_keeps_the_key,
);
