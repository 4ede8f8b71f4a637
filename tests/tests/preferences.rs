//! Each user's own settings in the engine: the language of their mails and pages and the daily
//! digest, on SQLite and PostgreSQL.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use overdrag_engine::EngineError;
use overdrag_engine::preferences::SettingsInput;
use overdrag_tests::{TestDb, on_both_databases, person};

async fn a_user_chooses_english_and_the_digest_and_back(db: &TestDb) {
    let anne = person(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let bo = person(&db.engine, "bo@ouh.dk", "syddanmark", "proposer").await;
    let before = db.engine.user_settings(&anne).await.unwrap();
    assert_eq!(
        (before.language.as_str(), before.daily_digest),
        ("da", false)
    );

    let saved = db
        .engine
        .set_user_settings(
            &anne,
            SettingsInput {
                language: "en".into(),
                daily_digest: true,
            },
        )
        .await
        .unwrap();

    assert_eq!((saved.language.as_str(), saved.daily_digest), ("en", true));
    assert_eq!(saved.email, "anne@ouh.dk");
    assert!(db.engine.mail_preference(&anne).await.unwrap().daily_digest);
    let bo_settings = db.engine.user_settings(&bo).await.unwrap();
    assert_eq!(
        (bo_settings.language.as_str(), bo_settings.daily_digest),
        ("da", false),
        "only her own"
    );
    let back = db
        .engine
        .set_user_settings(
            &anne,
            SettingsInput {
                language: "da".into(),
                daily_digest: false,
            },
        )
        .await
        .unwrap();
    assert_eq!((back.language.as_str(), back.daily_digest), ("da", false));
}

async fn an_unknown_language_is_refused_and_changes_nothing(db: &TestDb) {
    let anne = person(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;

    let refused = db
        .engine
        .set_user_settings(
            &anne,
            SettingsInput {
                language: "de".into(),
                daily_digest: true,
            },
        )
        .await;

    assert!(
        matches!(&refused, Err(EngineError::Invalid(errors)) if errors[0].field == "language"),
        "{refused:?}"
    );
    let stored = db.engine.user_settings(&anne).await.unwrap();
    assert_eq!(
        (stored.language.as_str(), stored.daily_digest),
        ("da", false)
    );
}

on_both_databases!(
    a_user_chooses_english_and_the_digest_and_back,
    an_unknown_language_is_refused_and_changes_nothing,
);
