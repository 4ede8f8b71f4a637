//! Fuzzing the JSON bodies of the API with proptest: every endpoint that takes a body (found in
//! the OpenAPI document, so a new one is fuzzed without being listed here) gets random JSON —
//! objects built from the API's own field names with values of every type and size — and
//! random bytes. Whatever arrives, the answer is a 2xx or a 4xx problem document: never a
//! panic, never a 5xx.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use overdrag_tests::{TestDb, party, person_with_token};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::OnceLock;
use tower::ServiceExt;

struct World {
    runtime: tokio::runtime::Runtime,
    app: Router,
    tokens: Vec<String>,
    /// `(method, path with ids filled in)` of every endpoint that takes a JSON body.
    endpoints: Vec<(Method, String)>,
    /// Every property name in the API's schemas.
    fields: Vec<String>,
    // Kept so the database outlives the tests.
    _db: TestDb,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (db, app, tokens, case_id, meeting_id) = runtime.block_on(async {
            let db = TestDb::sqlite().await;
            let engine = &db.engine;
            let app = overdrag::server::router(engine.clone());
            let (_, proposer) =
                person_with_token(engine, "fuzz-p@rsyd.dk", "syddanmark", "proposer").await;
            let (_, secretariat) =
                person_with_token(engine, "fuzz-s@rsyd.dk", "syddanmark", "secretariat").await;
            let (_, economist) =
                person_with_token(engine, "fuzz-e@rsyd.dk", "syddanmark", "economist").await;
            let hospital = party(engine, "syddanmark", "Odense Universitetshospital").await;
            let odense = party(engine, "syddanmark", "Odense Kommune").await;
            let case = json!({ "region": "syddanmark", "title": "Fuzzet sag", "kind": "transfer", "giving_party": hospital, "receiving_party": odense });
            let (status, case) = send(&app, Method::POST, "/api/v1/cases", &proposer, case.to_string().into_bytes()).await;
            assert_eq!(status, StatusCode::CREATED, "{case}");
            let meeting = json!({ "region": "syddanmark", "body": "steering_group", "title": "Styregruppemøde", "held_on": "2099-06-01", "material_deadline": "2099-05-20" });
            let (status, meeting) = send(&app, Method::POST, "/api/v1/meetings", &secretariat, meeting.to_string().into_bytes()).await;
            assert!(status.is_success(), "{meeting}");
            (db, app, vec![proposer, secretariat, economist], case["id"].as_i64().unwrap(), meeting["id"].as_i64().unwrap())
        });
        let openapi = serde_json::to_value(overdrag::api::routes().1).expect("openapi serialises");
        let mut endpoints = Vec::new();
        for (path, item) in openapi["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
                if operation.get("requestBody").is_none() {
                    continue;
                }
                let path = if path.starts_with("/api/v1") { path.clone() } else { format!("/api/v1{path}") };
                let id = if path.starts_with("/api/v1/meetings") { meeting_id } else { case_id };
                endpoints.push((method, fill_path(&path, id)));
            }
        }
        assert!(endpoints.len() >= 10, "too few endpoints with bodies: {endpoints:?}");
        let mut fields = BTreeSet::new();
        collect_properties(&openapi, &mut fields);
        World { runtime, app, tokens, endpoints, fields: fields.into_iter().collect(), _db: db }
    })
}

/// Puts `id` in for each path parameter: the case or meeting of the world, or a token no one
/// holds.
fn fill_path(path: &str, id: i64) -> String {
    let mut filled = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        filled.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        let name = &rest[open..close];
        filled.push_str(&if name.contains("token") {
            "not-a-token".to_owned()
        } else {
            id.to_string()
        });
        rest = &rest[close..];
    }
    filled.push_str(rest);
    filled
}

fn collect_properties(value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                into.extend(properties.keys().cloned());
            }
            map.values().for_each(|v| collect_properties(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_properties(v, into)),
        _ => {}
    }
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    token: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = to_bytes(response.into_body(), 8 * 1024 * 1024)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if status.is_client_error() {
        assert_eq!(
            content_type, "application/problem+json",
            "{status} without a problem document: {body}"
        );
    }
    (status, body)
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just(0i64),
            Just(1),
            Just(-1),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(i64::from(i32::MAX) + 1),
            Just(2027)
        ]
        .prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,30}".prop_map(Value::String),
        prop_oneof![
            Just("2027-01-01"),
            Just("2027-02-30"),
            Just("giving"),
            Just("submit"),
            Just("syddanmark"),
            Just("steering_group"),
            Just("transfer"),
            Just("digest")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
        (0usize..70_000).prop_map(|n| Value::String("x".repeat(n))),
    ]
}

fn json_value(fields: Vec<String>) -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 8, move |inner| {
        let key = prop_oneof![proptest::sample::select(fields.clone()), "\\PC{0,12}",];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn check(endpoint: usize, token: usize, body: Vec<u8>) -> Result<(), TestCaseError> {
    let w = world();
    let (method, path) = &w.endpoints[endpoint % w.endpoints.len()];
    let token = &w.tokens[token % w.tokens.len()];
    let (status, answer) = w
        .runtime
        .block_on(send(&w.app, method.clone(), path, token, body));
    prop_assert!(
        status.is_success() || status.is_client_error(),
        "{method} {path} answered {status}: {answer}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_json_bodies_get_an_answer_never_a_failure(
        endpoint in 0usize..1000,
        token in 0usize..3,
        body in json_value(world().fields.clone()),
    ) {
        check(endpoint, token, body.to_string().into_bytes())?;
    }

    #[test]
    fn random_bytes_get_an_answer_never_a_failure(
        endpoint in 0usize..1000,
        token in 0usize..3,
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        check(endpoint, token, body)?;
    }
}
