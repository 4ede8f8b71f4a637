//! Hardening of what the API takes and hands out: CSV cells a spreadsheet would run, the
//! headers on HTML and file responses, titles and dates out of bounds, and JSON type errors
//! that name their field — through the real router, on SQLite and on PostgreSQL (ignored).
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use overdrag_tests::{TestDb, on_both_databases, party, person_with_token};
use serde_json::{Value, json};
use std::io::Read;
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    token: &str,
    body: Option<(&str, Vec<u8>)>,
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    if let Some((content_type, _)) = &body {
        request = request.header("content-type", *content_type);
    }
    let request = request
        .body(body.map_or_else(Body::empty, |(_, b)| Body::from(b)))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        bytes: to_bytes(response.into_body(), 64 << 20)
            .await
            .unwrap()
            .to_vec(),
    }
}

async fn json_call(app: &Router, method: Method, uri: &str, token: &str, body: &Value) -> Answer {
    let bytes = body.to_string().into_bytes();
    send(app, method, uri, token, Some(("application/json", bytes))).await
}

async fn raw_json(app: &Router, method: Method, uri: &str, token: &str, body: &str) -> Answer {
    let bytes = body.as_bytes().to_vec();
    send(app, method, uri, token, Some(("application/json", bytes))).await
}

struct World {
    app: Router,
    proposer: String,
    secretariat: String,
    economist: String,
    hospital: i64,
    odense: i64,
}

async fn world(db: &TestDb) -> World {
    let engine = &db.engine;
    let token = |email: &'static str, role: &'static str| async move {
        person_with_token(engine, email, "syddanmark", role).await.1
    };
    World {
        app: overdrag::server::router(engine.clone()),
        proposer: token("anne@ouh.dk", "proposer").await,
        secretariat: token("mette@rsyd.dk", "secretariat").await,
        economist: token("lars@rsyd.dk", "economist").await,
        hospital: party(engine, "syddanmark", "Odense Universitetshospital").await,
        odense: party(engine, "syddanmark", "Odense Kommune").await,
    }
}

fn new_case(w: &World, title: &str) -> Value {
    json!({ "region": "syddanmark", "title": title, "kind": "transfer", "giving_party": w.hospital, "receiving_party": w.odense })
}

/// A case the economist may edit the figures of, submitted with a comment a spreadsheet
/// would run.
async fn in_economic_assessment(w: &World) -> Value {
    let created = json_call(
        &w.app,
        Method::POST,
        "/api/v1/cases",
        &w.proposer,
        &new_case(w, "IV-behandling i eget hjem"),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let case = created.json();
    let id = case["id"].clone();
    let described = json_call(
        &w.app,
        Method::PUT,
        &format!("/api/v1/cases/{id}/description"),
        &w.proposer,
        &json!({ "expected_version": case["version"], "description": {
            "task": "IV-antibiotika gives i eget hjem af hjemmesygeplejen.",
            "target_group": "Klinisk stabile voksne.",
            "volume_per_year": 420,
            "competences": "Sygeplejersker med kompetence i infusion.",
            "responsibility": "Hospitalet har behandlingsansvaret.",
            "quality_and_safety": "Fælles instruks og døgnåben telefon.",
            "documentation": "MedCom-korrespondance.",
            "timeline": "Opstart 1. april."
        } }),
    )
    .await;
    assert_eq!(described.status, StatusCode::OK, "{}", described.text());
    let mut case = described.json();
    for (token, transition, comment) in [
        (
            &w.proposer,
            "submit",
            "=HYPERLINK(\"http://evil\";\"klik\")",
        ),
        (
            &w.secretariat,
            "accept_description",
            "@SUM(1+1)*cmd|' /C calc'!A0",
        ),
    ] {
        let moved = json_call(
            &w.app,
            Method::POST,
            &format!("/api/v1/cases/{id}/transitions"),
            token,
            &json!({ "transition": transition, "expected_version": case["version"], "comment": comment }),
        )
        .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
        case = moved.json();
    }
    case
}

async fn csv_cells_a_spreadsheet_would_run_are_neutralised(db: &TestDb) {
    let w = world(db).await;
    let case = in_economic_assessment(&w).await;
    let id = case["id"].clone();
    let lines: Vec<Value> = (2027..2029)
        .flat_map(|year| {
            [
                json!({ "party_id": w.hospital, "year": year, "one_off_costs": 0, "running_costs": 0, "savings": 500_000 }),
                json!({ "party_id": w.odense, "year": year, "one_off_costs": 0, "running_costs": 100_000, "savings": 0 }),
            ]
        })
        .collect();
    let saved = json_call(
        &w.app,
        Method::PUT,
        &format!("/api/v1/cases/{id}/economics"),
        &w.economist,
        &json!({ "expected_version": case["version"], "lines": lines, "assumptions": "-1+1 kr. pr. borger" }),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());

    let csv = send(
        &w.app,
        Method::GET,
        &format!("/api/v1/cases/{id}/economics.csv"),
        &w.secretariat,
        None,
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.text();
    assert!(
        text.lines()
            .any(|l| l == "Forudsætninger;'-1+1 kr. pr. borger"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l == "I alt;;;;;;-800000"),
        "negative kroner stay numbers: {text}"
    );
    assert!(
        text.contains("Odense Universitetshospital;Region og hospitaler;2027;0;0;500000;-500000"),
        "{text}"
    );

    let zip = send(
        &w.app,
        Method::GET,
        &format!("/api/v1/cases/{id}/export.zip"),
        &w.secretariat,
        None,
    )
    .await;
    assert_eq!(zip.status, StatusCode::OK);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes)).unwrap();
    let mut journal = String::new();
    archive
        .by_name("journal.csv")
        .unwrap()
        .read_to_string(&mut journal)
        .unwrap();
    assert!(
        journal.contains(";\"'=HYPERLINK(\"\"http://evil\"\";\"\"klik\"\")\";"),
        "{journal}"
    );
    assert!(
        journal.contains(";'@SUM(1+1)*cmd|' /C calc'!A0;"),
        "{journal}"
    );
    let mut economics = String::new();
    archive
        .by_name("oekonomi.csv")
        .unwrap()
        .read_to_string(&mut economics)
        .unwrap();
    assert!(
        economics.contains("Forudsætninger;'-1+1 kr. pr. borger"),
        "{economics}"
    );
}

fn assert_hardened(answer: &Answer, what: &str) {
    assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.text());
    let csp = answer.header(header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("default-src 'none'"), "{what}: CSP `{csp}`");
    assert_eq!(
        answer.header(header::X_CONTENT_TYPE_OPTIONS),
        "nosniff",
        "{what}"
    );
    assert_eq!(answer.header(header::CACHE_CONTROL), "no-store", "{what}");
}

async fn html_and_files_carry_a_strict_policy_and_are_not_stored(db: &TestDb) {
    let w = world(db).await;
    let case = in_economic_assessment(&w).await;
    let id = case["id"].clone();
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF".to_vec();
    let added = send(
        &w.app,
        Method::POST,
        &format!("/api/v1/cases/{id}/documents?file_name=notat.pdf"),
        &w.proposer,
        Some(("application/pdf", pdf)),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let document = added.json()["id"].clone();
    for (what, uri) in [
        (
            "decision document",
            format!("/api/v1/cases/{id}/decision-document"),
        ),
        (
            "document",
            format!("/api/v1/cases/{id}/documents/{document}"),
        ),
        ("case file", format!("/api/v1/cases/{id}/export.zip")),
        ("economics", format!("/api/v1/cases/{id}/economics.csv")),
    ] {
        let answer = send(&w.app, Method::GET, &uri, &w.secretariat, None).await;
        assert_hardened(&answer, what);
    }
    let json = send(
        &w.app,
        Method::GET,
        &format!("/api/v1/cases/{id}"),
        &w.secretariat,
        None,
    )
    .await;
    assert_eq!(json.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(json.header(header::CACHE_CONTROL), "no-store");
}

async fn a_logged_in_page_is_not_stored(db: &TestDb) {
    let engine = &db.engine;
    let anne = common::member(engine, "anne@rsyd.dk", "syddanmark", "proposer").await;
    let case = engine
        .create_case(
            &anne,
            overdrag_engine::cases::NewCase {
                region: "syddanmark".into(),
                title: "IV-behandling i eget hjem".into(),
                kind: "transfer".into(),
                giving_party_id: party(engine, "syddanmark", "Odense Universitetshospital").await,
                receiving_party_id: party(engine, "syddanmark", "Odense Kommune").await,
            },
        )
        .await
        .unwrap();
    let mut browser = common::Browser::new(&db.engine);
    browser.log_in("anne@rsyd.dk", common::PASSWORD).await;
    for uri in ["/", "/cases", "/tasks"] {
        let page = browser.get(uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
        assert_eq!(
            page.headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{uri}"
        );
    }
    let decision = browser
        .get(&format!("/cases/{}/decision-document", case.id))
        .await;
    assert_eq!(decision.status, StatusCode::OK, "{}", decision.body);
    let csp = decision.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(decision.headers[header::CACHE_CONTROL], "no-store");
}

async fn an_invisible_or_multi_line_title_is_a_422_naming_the_field(db: &TestDb) {
    let w = world(db).await;
    for title in [
        "\u{200B}\u{200B}\u{200B}\u{200B}",
        "IV-behandling\ni eget hjem",
    ] {
        let answer = json_call(
            &w.app,
            Method::POST,
            "/api/v1/cases",
            &w.proposer,
            &new_case(&w, title),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{title:?}: {}",
            answer.text()
        );
        assert_eq!(answer.json()["errors"][0]["field"], "title", "{title:?}");
    }
}

async fn a_meeting_date_outside_2000_to_2100_is_a_422(db: &TestDb) {
    let w = world(db).await;
    let answer = json_call(
        &w.app,
        Method::POST,
        "/api/v1/meetings",
        &w.secretariat,
        &json!({ "region": "syddanmark", "body": "steering_group", "title": "Møde",
                 "held_on": "2999-01-10", "material_deadline": "2999-01-03" }),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let problem = answer.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(fields.contains(&"held_on"), "{}", answer.text());
}

async fn a_json_type_error_names_the_path_and_the_expected_type(db: &TestDb) {
    let w = world(db).await;
    let case = in_economic_assessment(&w).await;
    let id = case["id"].clone();
    let line = |running: &str| {
        format!(
            r#"{{"party_id": {}, "year": 2027, "one_off_costs": 0, "running_costs": {running}, "savings": 0}}"#,
            w.odense
        )
    };
    let lines: Vec<String> = (0..5).map(|_| line("1")).chain([line("\"abc\"")]).collect();
    let body = format!(
        r#"{{"expected_version": {}, "lines": [{}]}}"#,
        case["version"],
        lines.join(",")
    );
    let answer = raw_json(
        &w.app,
        Method::PUT,
        &format!("/api/v1/cases/{id}/economics"),
        &w.economist,
        &body,
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let problem = answer.json();
    assert_eq!(
        problem["errors"][0]["field"], "lines[5].running_costs",
        "{problem}"
    );
    let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("i64") || message.contains("integer"),
        "{message}"
    );
    let nested = raw_json(
        &w.app,
        Method::POST,
        "/api/v1/meetings",
        &w.secretariat,
        r#"{"region": "syddanmark", "body": "steering_group", "title": "Møde", "held_on": "i morgen", "material_deadline": "2030-01-01"}"#,
    )
    .await;
    assert_eq!(nested.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        nested.json()["errors"][0]["field"],
        "held_on",
        "{}",
        nested.text()
    );
}

on_both_databases!(
    csv_cells_a_spreadsheet_would_run_are_neutralised,
    html_and_files_carry_a_strict_policy_and_are_not_stored,
    a_logged_in_page_is_not_stored,
    an_invisible_or_multi_line_title_is_a_422_naming_the_field,
    a_meeting_date_outside_2000_to_2100_is_a_422,
    a_json_type_error_names_the_path_and_the_expected_type,
);
