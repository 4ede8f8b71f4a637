//! The JSON API through the real router on a real database: every endpoint, every refusal and
//! every kind of bad input — on SQLite, and on PostgreSQL as ignored tests run by `.ci/run`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use overdrag_engine::idempotency::LEASE;
use overdrag_engine::storage::entity::idempotency_key;
use overdrag_tests::{TestClock, TestDb, on_both_databases, party, person_with_token};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use tower::ServiceExt;

struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> Response {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), 4 * 1024 * 1024)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Response {
        status,
        headers,
        body,
    }
}

async fn get(app: &Router, uri: &str, token: &str) -> Response {
    send(app, Method::GET, uri, Some(token), None, &[]).await
}

async fn post(app: &Router, uri: &str, token: &str, body: Value) -> Response {
    send(app, Method::POST, uri, Some(token), Some(body), &[]).await
}

async fn put(app: &Router, uri: &str, token: &str, body: Value) -> Response {
    send(app, Method::PUT, uri, Some(token), Some(body), &[]).await
}

struct World {
    app: Router,
    engine: overdrag_engine::Engine,
    proposer: String,
    secretariat: String,
    economist: String,
    steering: String,
    committee: String,
    nordjylland: String,
    hospital: i64,
    odense: i64,
    svendborg: i64,
    nyborg: i64,
}

async fn world(db: &TestDb) -> World {
    let engine = &db.engine;
    World {
        app: overdrag::server::router(engine.clone()),
        engine: engine.clone(),
        proposer: person_with_token(engine, "anne@ouh.dk", "syddanmark", "proposer")
            .await
            .1,
        secretariat: person_with_token(engine, "mette@rsyd.dk", "syddanmark", "secretariat")
            .await
            .1,
        economist: person_with_token(engine, "lars@rsyd.dk", "syddanmark", "economist")
            .await
            .1,
        steering: person_with_token(engine, "jens@rsyd.dk", "syddanmark", "steering_group")
            .await
            .1,
        committee: person_with_token(engine, "birgitte@rsyd.dk", "syddanmark", "committee")
            .await
            .1,
        nordjylland: person_with_token(engine, "sek@rn.dk", "nordjylland", "secretariat")
            .await
            .1,
        hospital: party(engine, "syddanmark", "Odense Universitetshospital").await,
        odense: party(engine, "syddanmark", "Odense Kommune").await,
        svendborg: party(engine, "syddanmark", "Svendborg Kommune").await,
        nyborg: party(engine, "syddanmark", "Nyborg Kommune").await,
    }
}

fn new_case(w: &World) -> Value {
    json!({ "region": "syddanmark", "title": "IV-behandling i eget hjem", "kind": "transfer", "giving_party": w.hospital, "receiving_party": w.odense })
}

fn description() -> Value {
    json!({
        "task": "IV-antibiotika gives i eget hjem af hjemmesygeplejen.",
        "target_group": "Klinisk stabile voksne.",
        "volume_per_year": 420,
        "competences": "Sygeplejersker med kompetence i infusion.",
        "responsibility": "Hospitalet har behandlingsansvaret.",
        "quality_and_safety": "Fælles instruks og døgnåben telefon.",
        "documentation": "MedCom-korrespondance.",
        "timeline": "Opstart 1. april."
    })
}

async fn created(w: &World) -> Value {
    let response = post(&w.app, "/api/v1/cases", &w.proposer, new_case(w)).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
    response.body
}

async fn described(w: &World) -> Value {
    let case = created(w).await;
    let uri = format!("/api/v1/cases/{}/description", case["id"]);
    let response = put(
        &w.app,
        &uri,
        &w.proposer,
        json!({ "expected_version": case["version"], "description": description() }),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.body
}

async fn transition(
    w: &World,
    token: &str,
    case: &Value,
    id: &str,
    comment: Option<&str>,
) -> Response {
    let uri = format!("/api/v1/cases/{}/transitions", case["id"]);
    post(
        &w.app,
        &uri,
        token,
        json!({ "transition": id, "expected_version": case["version"], "comment": comment }),
    )
    .await
}

async fn moved(w: &World, token: &str, case: &Value, id: &str, comment: Option<&str>) -> Value {
    let response = transition(w, token, case, id, comment).await;
    assert_eq!(response.status, StatusCode::OK, "{id}: {}", response.body);
    response.body
}

/// Holds a meeting of `body` today with the case on its agenda and the agenda published, as
/// the secretariat does through the API, so the body's members may decide it now; returns the
/// case as it is now.
async fn on_agenda(w: &World, case: &Value, body: &str) -> Value {
    let today = w.engine.today().to_string();
    let meeting = post(&w.app, "/api/v1/meetings", &w.secretariat, json!({ "region": "syddanmark", "body": body, "title": "Møde", "held_on": today, "material_deadline": today })).await;
    assert_eq!(meeting.status, StatusCode::CREATED, "{}", meeting.body);
    let placed = post(
        &w.app,
        &format!("/api/v1/meetings/{}/agenda", meeting.body["id"]),
        &w.secretariat,
        json!({ "case_id": case["id"] }),
    )
    .await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    let published = post(
        &w.app,
        &format!("/api/v1/meetings/{}/publish", meeting.body["id"]),
        &w.secretariat,
        json!({}),
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    get(
        &w.app,
        &format!("/api/v1/cases/{}", case["id"]),
        &w.secretariat,
    )
    .await
    .body
}

async fn a_full_case_is_driven_to_closed_over_http(db: &TestDb) {
    let w = world(db).await;
    let mut case = described(&w).await;
    assert_eq!(case["available_transitions"][0]["id"], "submit");
    let attached = upload(
        &w.app,
        &w.proposer,
        &case,
        "Faglig%20vurdering.pdf",
        b"%PDF-1.7 faglig vurdering".to_vec(),
    )
    .await;
    assert_eq!(attached.status, StatusCode::CREATED);
    case = get(
        &w.app,
        &format!("/api/v1/cases/{}", case["id"]),
        &w.proposer,
    )
    .await
    .body;
    case = moved(&w, &w.proposer, &case, "submit", None).await;
    case = moved(&w, &w.secretariat, &case, "accept_description", None).await;
    let lines: Vec<Value> = (2027..2031)
        .flat_map(|year| {
            [
                json!({ "party_id": w.hospital, "year": year, "one_off_costs": 0, "running_costs": 0, "savings": 4_500_000 }),
                json!({ "party_id": w.odense, "year": year, "one_off_costs": 0, "running_costs": 2_200_000, "savings": 0 }),
                json!({ "party_id": w.svendborg, "year": year, "one_off_costs": 0, "running_costs": 900_000, "savings": 0 }),
                json!({ "party_id": w.nyborg, "year": year, "one_off_costs": 0, "running_costs": 800_000, "savings": 0 }),
            ]
        })
        .collect();
    let economics = format!("/api/v1/cases/{}/economics", case["id"]);
    let response = put(
        &w.app,
        &economics,
        &w.economist,
        json!({ "expected_version": case["version"], "lines": lines }),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    case = response.body;
    for side in ["giving", "receiving"] {
        let signoffs = format!("/api/v1/cases/{}/economics/signoffs", case["id"]);
        let response = post(
            &w.app,
            &signoffs,
            &w.economist,
            json!({ "expected_version": case["version"], "side": side }),
        )
        .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        case = response.body;
    }
    assert_eq!(case["economics"]["summary"]["total_net"], -2_400_000);
    assert_eq!(
        case["economics"]["summary"]["balance"],
        "savings_exceed_costs"
    );
    assert_eq!(
        case["economics"]["summary"]["sectors"][1]["net_per_citizen_per_year"],
        9_286
    );
    let csv = send(
        &w.app,
        Method::GET,
        &format!("/api/v1/cases/{}/economics.csv", case["id"]),
        Some(&w.secretariat),
        None,
        &[],
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("-oekonomi.csv")
    );
    // The transition into the hearing and the hearing itself are one step: a party outside
    // the region refuses both, and the case stays where it was.
    let hearing_uri = format!("/api/v1/cases/{}/hearing", case["id"]);
    let refused = post(
        &w.app,
        &hearing_uri,
        &w.secretariat,
        json!({ "transition": "open_hearing", "expected_version": case["version"], "parties": [999_999] }),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let unmoved = get(
        &w.app,
        &format!("/api/v1/cases/{}", case["id"]),
        &w.secretariat,
    )
    .await;
    assert_eq!(unmoved.body["state"], case["state"]);
    assert_eq!(unmoved.body["version"], case["version"]);
    let opened = post(
        &w.app,
        &hearing_uri,
        &w.secretariat,
        json!({ "transition": "open_hearing", "expected_version": case["version"] }),
    )
    .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    case = get(
        &w.app,
        &format!("/api/v1/cases/{}", case["id"]),
        &w.secretariat,
    )
    .await
    .body;
    assert_eq!(case["state"], "hearing");
    assert_eq!(opened.body["hearing"]["case_version"], case["version"]);
    assert!(opened.body["hearing"]["closed_on"].is_null());
    let links = opened.body["links"].as_array().unwrap().clone();
    assert_eq!(links.len(), 22);
    for (n, link) in links.iter().enumerate() {
        let uri = format!("/api/v1/hearing-links/{}", link["token"].as_str().unwrap());
        let seen = send(&w.app, Method::GET, &uri, None, None, &[]).await;
        assert_eq!(
            (seen.status, seen.body["open"].as_bool()),
            (StatusCode::OK, Some(true))
        );
        let answer = if n == 0 {
            json!({ "answer": "object", "text": "Kapaciteten i nattevagten rækker ikke." })
        } else {
            json!({ "answer": "agree" })
        };
        let answered = send(&w.app, Method::POST, &uri, None, Some(answer), &[]).await;
        assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    }
    let hearing = get(
        &w.app,
        &format!("/api/v1/cases/{}/hearing", case["id"]),
        &w.proposer,
    )
    .await;
    assert_eq!(
        (
            hearing.body["answered"].as_u64(),
            hearing.body["closed"].as_bool()
        ),
        (Some(22), Some(true))
    );
    // Everyone answered today, well before the deadline: the hearing says it closed today.
    assert_eq!(hearing.body["closed_on"], w.engine.today().to_string());
    assert_ne!(hearing.body["deadline"], hearing.body["closed_on"]);
    case = get(
        &w.app,
        &format!("/api/v1/cases/{}", case["id"]),
        &w.secretariat,
    )
    .await
    .body;
    case = moved(&w, &w.secretariat, &case, "close_hearing", None).await;
    let refused = transition(&w, &w.steering, &case, "recommend", None).await;
    assert_eq!(refused.body["failed_guards"][0]["guard"], "on_agenda");
    case = a_meeting_is_moved_and_cancelled_under_the_case(&w, &case).await;
    case = on_agenda(&w, &case, "steering_group").await;
    case = moved(&w, &w.steering, &case, "recommend", None).await;
    case = on_agenda(&w, &case, "committee").await;
    case = moved(&w, &w.committee, &case, "approve", None).await;
    case = moved(&w, &w.secretariat, &case, "start_follow_up", None).await;
    case = moved(&w, &w.secretariat, &case, "close", None).await;
    assert_eq!(case["state"], "closed");
    assert_eq!(case["state_label"]["da"], "Afsluttet");

    let zip = send_raw(
        &w.app,
        &format!("/api/v1/cases/{}/export.zip", case["id"]),
        &w.secretariat,
    )
    .await;
    assert_eq!(zip.0, StatusCode::OK);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.1)).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut archive
                .by_name(name)
                .unwrap_or_else(|_| panic!("{name} missing")),
            &mut text,
        )
        .unwrap();
        text
    };
    let decision = read("beslutningsdokument.html");
    for heading in [
        "Resumé",
        "Indstilling",
        "Sagsfremstilling",
        "Økonomiske konsekvenser",
        "Beslutning",
    ] {
        assert!(
            decision.contains(&format!(">{heading}</h2>")),
            "{heading} missing"
        );
    }
    assert!(decision.contains("at opgaven «IV-behandling i eget hjem» overdrages fra Odense Universitetshospital til Odense Kommune"));
    assert!(
        decision.contains("-18.000.000") && decision.contains("-2.400.000"),
        "the economics table in kroner"
    );
    assert!(decision.contains("Godkend"), "the committee's decision");
    for party in [
        "Odense Kommune",
        "Svendborg Kommune",
        "Nyborg Kommune",
        "Odense Universitetshospital",
    ] {
        assert!(
            decision.contains(party),
            "{party} missing from the economics table"
        );
    }
    assert!(read("journal-verifikation.txt").contains("er intakt"));
    let journal_rows = read("journal.csv").lines().count() - 1;
    assert_eq!(journal_rows, events_count(&w, &case).await);
    let everything: Value = serde_json::from_str(&read("case.json")).unwrap();
    assert_eq!(everything["case"]["number"], case["number"]);
    assert_eq!(everything["hearing"]["answered"], 22);
    assert!(read("oekonomi.csv").contains("Odense Kommune"));
    assert_eq!(
        read(&format!(
            "bilag/{}-Faglig vurdering.pdf",
            attached.body["id"]
        )),
        "%PDF-1.7 faglig vurdering"
    );

    let meetings = get(&w.app, "/api/v1/meetings?region=syddanmark", &w.committee).await;
    assert_eq!(meetings.body.as_array().map(Vec::len), Some(2));
    let committee_meeting = meetings
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "committee")
        .unwrap()
        .clone();
    assert_eq!(committee_meeting["body_name"], "Sundhedssamarbejdsudvalget");
    let minutes = get(
        &w.app,
        &format!("/api/v1/meetings/{}/minutes", committee_meeting["id"]),
        &w.committee,
    )
    .await;
    assert_eq!(minutes.body["decisions"][0]["decision"], "approve");
    assert_eq!(minutes.body["decisions"][0]["number"], case["number"]);
    let events = get(
        &w.app,
        &format!("/api/v1/cases/{}/events", case["id"]),
        &w.secretariat,
    )
    .await;
    assert_eq!(events.status, StatusCode::OK);
    assert_eq!(events.body["chain"]["verified"], true);
    let kinds: Vec<&str> = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"created"));
    assert_eq!(kinds.iter().filter(|k| **k == "transition").count(), 8);
    let approve = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["transition"] == "approve")
        .unwrap();
    assert_eq!(
        (approve["from_state"].as_str(), approve["to_state"].as_str()),
        (Some("committee"), Some("implementation"))
    );
    assert_eq!(approve["actor"]["name"], "Test committee");
}

/// The secretariat places the case on a coming steering-group meeting, moves the meeting and
/// then cancels it: the placement answers the case's new version, each change is journaled on
/// the case and mailed, and the cancelled meeting leaves the list and the case its agenda.
async fn a_meeting_is_moved_and_cancelled_under_the_case(w: &World, case: &Value) -> Value {
    let today = w.engine.today();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let planned = post(&w.app, "/api/v1/meetings", &w.secretariat, json!({ "region": "syddanmark", "body": "steering_group", "title": "Styregruppemøde", "held_on": day(14), "material_deadline": day(7) })).await;
    assert_eq!(planned.status, StatusCode::CREATED, "{}", planned.body);
    let meeting = format!("/api/v1/meetings/{}", planned.body["id"]);
    let placed = post(
        &w.app,
        &format!("{meeting}/agenda"),
        &w.secretariat,
        json!({ "case_id": case["id"] }),
    )
    .await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    let now = get(
        &w.app,
        &format!("/api/v1/cases/{}", case["id"]),
        &w.secretariat,
    )
    .await;
    assert_eq!(placed.body["agenda"][0]["version"], now.body["version"]);

    let moved_meeting = put(&w.app, &meeting, &w.secretariat, json!({ "title": "Styregruppemøde (flyttet)", "held_on": day(21), "material_deadline": day(7) })).await;
    assert_eq!(
        moved_meeting.status,
        StatusCode::OK,
        "{}",
        moved_meeting.body
    );
    assert_eq!(moved_meeting.body["held_on"], day(21));
    let too_early = put(
        &w.app,
        &meeting,
        &w.secretariat,
        json!({ "title": "Styregruppemøde", "held_on": day(3), "material_deadline": day(7) }),
    )
    .await;
    assert_eq!(
        too_early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        too_early.body
    );

    let no_reason = post(
        &w.app,
        &format!("{meeting}/cancel"),
        &w.secretariat,
        json!({ "reason": " " }),
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        no_reason.body["errors"][0]["field"], "reason",
        "{}",
        no_reason.body
    );
    let cancelled = post(
        &w.app,
        &format!("{meeting}/cancel"),
        &w.secretariat,
        json!({ "reason": "Formanden er forhindret" }),
    )
    .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert!(cancelled.body["cancelled_at"].is_string());
    assert_eq!(cancelled.body["agenda"], json!([]));
    let listed = get(&w.app, "/api/v1/meetings?region=syddanmark", &w.secretariat).await;
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["id"] != planned.body["id"]),
        "a cancelled meeting is not listed"
    );
    let again = post(
        &w.app,
        &format!("{meeting}/agenda"),
        &w.secretariat,
        json!({ "case_id": case["id"] }),
    )
    .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );

    let events = get(
        &w.app,
        &format!("/api/v1/cases/{}/events", case["id"]),
        &w.secretariat,
    )
    .await;
    let kinds: Vec<&str> = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.ends_with(&["placed_on_agenda", "meeting_changed", "meeting_cancelled"]),
        "{kinds:?}"
    );
    let cancelled_event = events.body["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(cancelled_event["comment"], "Formanden er forhindret");
    let mails: Vec<String> = overdrag_engine::storage::entity::outbox::Entity::find()
        .filter(
            overdrag_engine::storage::entity::outbox::Column::CaseId
                .eq(case["id"].as_i64().unwrap()),
        )
        .all(w.engine.db())
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.template)
        .collect();
    for template in ["meeting_changed", "meeting_cancelled"] {
        assert!(
            mails.iter().any(|m| m == template),
            "no {template} mail: {mails:?}"
        );
    }
    get(
        &w.app,
        &format!("/api/v1/cases/{}", case["id"]),
        &w.secretariat,
    )
    .await
    .body
}

/// The caller's role is judged before their input, and a stale version is a conflict whatever
/// number it is.
async fn the_role_comes_before_the_input_and_any_stale_version_conflicts(db: &TestDb) {
    let w = world(db).await;
    let case = created(&w).await;
    let garbage = json!({ "region": "syddanmark", "body": "nonsense", "title": "x", "held_on": "2026-01-01", "material_deadline": "2026-01-01" });
    let planned = post(&w.app, "/api/v1/meetings", &w.proposer, garbage).await;
    assert_eq!(planned.status, StatusCode::FORBIDDEN, "{}", planned.body);
    let unparsable = post(
        &w.app,
        "/api/v1/meetings",
        &w.proposer,
        json!({ "what": 1 }),
    )
    .await;
    assert_eq!(
        unparsable.status,
        StatusCode::FORBIDDEN,
        "{}",
        unparsable.body
    );
    let meeting = post(&w.app, "/api/v1/meetings", &w.secretariat, json!({ "region": "syddanmark", "body": "steering_group", "title": "Styregruppemøde", "held_on": w.engine.today().to_string(), "material_deadline": w.engine.today().to_string() })).await;
    assert_eq!(meeting.status, StatusCode::CREATED, "{}", meeting.body);
    for (method, uri) in [
        (
            Method::POST,
            format!("/api/v1/meetings/{}/agenda", meeting.body["id"]),
        ),
        (
            Method::PUT,
            format!("/api/v1/meetings/{}/agenda/order", meeting.body["id"]),
        ),
        (
            Method::PUT,
            format!("/api/v1/meetings/{}", meeting.body["id"]),
        ),
        (
            Method::POST,
            format!("/api/v1/meetings/{}/cancel", meeting.body["id"]),
        ),
    ] {
        let answer = send(
            &w.app,
            method,
            &uri,
            Some(&w.proposer),
            Some(json!({ "nonsense": true })),
            &[],
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{uri}: {}",
            answer.body
        );
    }
    for stale in [0, -3, 99] {
        let described = put(
            &w.app,
            &format!("/api/v1/cases/{}/description", case["id"]),
            &w.proposer,
            json!({ "expected_version": stale, "description": description() }),
        )
        .await;
        assert_eq!(
            described.status,
            StatusCode::CONFLICT,
            "{stale}: {}",
            described.body
        );
        assert_eq!(described.body["current_version"], case["version"]);
    }
    let wrong_role = put(
        &w.app,
        &format!("/api/v1/cases/{}/description", case["id"]),
        &w.economist,
        json!({ "expected_version": 0, "description": description() }),
    )
    .await;
    assert_eq!(
        wrong_role.status,
        StatusCode::FORBIDDEN,
        "{}",
        wrong_role.body
    );
}

async fn each_refusal_has_its_status_and_reason(db: &TestDb) {
    let w = world(db).await;
    let case = created(&w).await;
    let blocked = transition(&w, &w.proposer, &case, "submit", None).await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blocked.headers["content-type"], "application/problem+json");
    assert_eq!(
        blocked.body["failed_guards"][0]["guard"],
        "description_complete"
    );
    assert!(
        blocked.body["failed_guards"][0]["message"]["da"]
            .as_str()
            .unwrap()
            .contains("Målgruppe")
    );

    let wrong_role = transition(&w, &w.secretariat, &case, "submit", None).await;
    assert_eq!(wrong_role.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong_role.body["needed_roles"], json!(["proposer"]));

    let not_here = transition(&w, &w.committee, &case, "approve", None).await;
    assert_eq!(not_here.status, StatusCode::CONFLICT);
    assert_eq!(
        not_here.body["type"],
        "urn:overdrag:problem:transition-not-available"
    );

    let described = put(
        &w.app,
        &format!("/api/v1/cases/{}/description", case["id"]),
        &w.proposer,
        json!({ "expected_version": case["version"], "description": description() }),
    )
    .await;
    let stale = transition(&w, &w.proposer, &case, "submit", None).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.body["current_version"], described.body["version"]);

    let events = get(
        &w.app,
        &format!("/api/v1/cases/{}/events", case["id"]),
        &w.secretariat,
    )
    .await;
    let refusals = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "refused")
        .count();
    assert_eq!(
        refusals, 3,
        "blocked, wrong role and not available are journaled"
    );
}

async fn another_region_can_neither_see_list_nor_move_a_case(db: &TestDb) {
    let w = world(db).await;
    let case = created(&w).await;
    let uri = format!("/api/v1/cases/{}", case["id"]);
    assert_eq!(
        get(&w.app, &uri, &w.nordjylland).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&w.app, &format!("{uri}/events"), &w.nordjylland)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let moved = transition(&w, &w.nordjylland, &case, "withdraw", None).await;
    assert_eq!(moved.status, StatusCode::NOT_FOUND);
    let listed = get(&w.app, "/api/v1/cases?region=syddanmark", &w.nordjylland).await;
    assert_eq!(
        (listed.status, listed.body["total"].as_u64()),
        (StatusCode::OK, Some(0))
    );
    let listed = get(&w.app, "/api/v1/cases", &w.nordjylland).await;
    assert_eq!(listed.body["total"], 0);
    assert_eq!(
        get(&w.app, &uri, &w.secretariat).await.status,
        StatusCode::OK
    );
}

async fn bad_input_gets_a_clear_4xx_and_writes_nothing(db: &TestDb) {
    let w = world(db).await;
    let app = &w.app;
    let cases = "/api/v1/cases";
    let status = |r: Response| r.status;
    assert_eq!(
        send(app, Method::GET, cases, None, None, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(app, cases, "odg_unknown").await.status,
        StatusCode::UNAUTHORIZED
    );
    let (_, revoked) =
        person_with_token(&db.engine, "gone@rsyd.dk", "syddanmark", "proposer").await;
    assert_eq!(get(app, cases, &revoked).await.status, StatusCode::OK);
    overdrag_engine::users::revoke_tokens(db.engine.db(), "gone@rsyd.dk", chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        get(app, cases, &revoked).await.status,
        StatusCode::UNAUTHORIZED
    );
    let malformed = send(
        app,
        Method::POST,
        cases,
        Some(&w.proposer),
        None,
        &[("content-type", "application/json")],
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let text = send(
        app,
        Method::POST,
        cases,
        Some(&w.proposer),
        None,
        &[("content-type", "text/plain")],
    )
    .await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = json!({ "region": "syddanmark", "title": "x".repeat(1_100_000), "kind": "transfer", "giving_party": 1, "receiving_party": 2 });
    assert_eq!(
        status(post(app, cases, &w.proposer, huge).await),
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let mut unknown_field = new_case(&w);
    unknown_field["priority"] = json!("high");
    let response = post(app, cases, &w.proposer, unknown_field).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("priority")
    );

    let mut short = new_case(&w);
    short["title"] = json!("IV");
    let response = post(app, cases, &w.proposer, short).await;
    assert_eq!(response.body["errors"][0]["field"], "title");

    let mut same = new_case(&w);
    same["receiving_party"] = json!(w.hospital);
    same["kind"] = json!("move");
    let response = post(app, cases, &w.proposer, same).await;
    let fields: Vec<&str> = response.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["kind", "receiving_party"]);

    let mut missing = new_case(&w);
    missing.as_object_mut().unwrap().remove("giving_party");
    assert_eq!(
        status(post(app, cases, &w.proposer, missing).await),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut unknown_party = new_case(&w);
    unknown_party["giving_party"] = json!(999_999);
    let response = post(app, cases, &w.proposer, unknown_party).await;
    assert_eq!(response.body["errors"][0]["field"], "giving_party");

    let absurd = get(app, "/api/v1/cases?per_page=100000", &w.proposer).await;
    assert_eq!(
        (absurd.status, absurd.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("per_page"))
    );
    assert_eq!(
        get(app, "/api/v1/cases?page=abc", &w.proposer).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(app, "/api/v1/cases/abc", &w.proposer).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(app, "/api/v1/nothing-here", &w.proposer).await.status,
        StatusCode::NOT_FOUND
    );

    let listed = get(app, cases, &w.secretariat).await;
    assert_eq!(listed.body["total"], 0, "no bad request left a case behind");
}

async fn a_retried_post_with_an_idempotency_key_creates_one_case(db: &TestDb) {
    let w = world(db).await;
    let key = [("idempotency-key", "4f1c2b7e-retry")];
    let first = send(
        &w.app,
        Method::POST,
        "/api/v1/cases",
        Some(&w.proposer),
        Some(new_case(&w)),
        &key,
    )
    .await;
    let again = send(
        &w.app,
        Method::POST,
        "/api/v1/cases",
        Some(&w.proposer),
        Some(new_case(&w)),
        &key,
    )
    .await;
    assert_eq!(
        (first.status, again.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(first.body, again.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let mut other = new_case(&w);
    other["title"] = json!("Et andet forslag");
    let reused = send(
        &w.app,
        Method::POST,
        "/api/v1/cases",
        Some(&w.proposer),
        Some(other),
        &key,
    )
    .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        get(&w.app, "/api/v1/cases", &w.proposer).await.body["total"],
        1
    );
}

/// What a server killed after its change committed, but before it stored the answer, leaves
/// behind: the key without an answer.
async fn forget_the_answer(db: &TestDb, key: &str) {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::ResponseStatus,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(
            idempotency_key::Column::ResponseBody,
            Expr::value(Option::<String>::None),
        )
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(db.engine.db())
        .await
        .unwrap();
}

async fn a_key_left_without_an_answer_by_a_crash_is_answered_after_the_lease(db: &TestDb) {
    let clock = TestClock::default();
    let mut w = world(db).await;
    w.app = overdrag::server::router(db.engine.clone().with_clock(clock.clock()));
    let past_lease = LEASE + chrono::Duration::seconds(1);
    let cases = "/api/v1/cases";
    let create = |key: &'static str| {
        let (app, token, body) = (w.app.clone(), w.proposer.clone(), new_case(&w));
        async move {
            send(
                &app,
                Method::POST,
                cases,
                Some(&token),
                Some(body),
                &[("idempotency-key", key)],
            )
            .await
        }
    };

    // A case created, and the server killed before it stored the answer.
    let first = create("create-then-crash").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    forget_the_answer(db, "create-then-crash").await;
    let soon = create("create-then-crash").await;
    assert_eq!(soon.status, StatusCode::CONFLICT, "{}", soon.body);
    assert_eq!(
        soon.body["type"],
        "urn:overdrag:problem:idempotency-in-progress"
    );
    clock.advance(past_lease);
    let retry = create("create-then-crash").await;
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.body);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.body, first.body, "the case the first request created");
    assert_eq!(get(&w.app, cases, &w.proposer).await.body["total"], 1);

    // A transition taken, answered minimally, and the server killed before it stored the answer.
    let id = &first.body["id"];
    let described = put(
        &w.app,
        &format!("/api/v1/cases/{id}/description"),
        &w.proposer,
        json!({ "expected_version": 1, "description": description() }),
    )
    .await;
    assert_eq!(described.status, StatusCode::OK, "{}", described.body);
    let transitions = format!("/api/v1/cases/{id}/transitions");
    let submit = || {
        send(
            &w.app,
            Method::POST,
            &transitions,
            Some(&w.proposer),
            Some(json!({ "transition": "submit", "expected_version": 2 })),
            &[
                ("idempotency-key", "submit-then-crash"),
                ("prefer", "return=minimal"),
            ],
        )
    };
    let submitted = submit().await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    forget_the_answer(db, "submit-then-crash").await;
    assert_eq!(submit().await.status, StatusCode::CONFLICT);
    clock.advance(past_lease);
    let retry = submit().await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.body, submitted.body);
    assert_eq!(retry.body["version"], 3);
    let read = get(&w.app, &format!("/api/v1/cases/{id}"), &w.proposer).await;
    assert_eq!(
        (&read.body["version"], &read.body["state"]),
        (&json!(3), &json!("description_review"))
    );

    // A key claimed for the same request, and the server killed before anything committed.
    let first_claim = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Key.eq("create-then-crash"))
        .one(db.engine.db())
        .await
        .unwrap()
        .unwrap();
    idempotency_key::ActiveModel {
        user_id: Set(first_claim.user_id),
        key: Set("claim-then-crash".into()),
        request_hash: Set(first_claim.request_hash),
        created_at: Set(clock.clock()()),
        ..Default::default()
    }
    .insert(db.engine.db())
    .await
    .unwrap();
    assert_eq!(
        create("claim-then-crash").await.status,
        StatusCode::CONFLICT
    );
    clock.advance(past_lease);
    let ran = create("claim-then-crash").await;
    assert_eq!(ran.status, StatusCode::CREATED, "{}", ran.body);
    assert!(ran.headers.get("idempotent-replayed").is_none(), "it ran");
    assert_ne!(ran.body["id"], first.body["id"]);
    let again = create("claim-then-crash").await;
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["id"], ran.body["id"]);
    assert_eq!(
        get(&w.app, cases, &w.proposer).await.body["total"],
        2,
        "it ran once"
    );
}

async fn twenty_concurrent_transitions_give_one_success_and_nineteen_conflicts(db: &TestDb) {
    let w = world(db).await;
    let case = described(&w).await;
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let app = w.app.clone();
            let token = w.proposer.clone();
            let body = json!({ "transition": "submit", "expected_version": case["version"] });
            let uri = format!("/api/v1/cases/{}/transitions", case["id"]);
            tokio::spawn(async move { post(&app, &uri, &token, body).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        19,
        "{statuses:?}"
    );
}

async fn the_list_filters_searches_and_counts(db: &TestDb) {
    let w = world(db).await;
    let first = described(&w).await;
    moved(&w, &w.proposer, &first, "submit", None).await;
    let mut other = new_case(&w);
    other["title"] = json!("Stomipleje efter udskrivelse");
    other["receiving_party"] = json!(party(&db.engine, "syddanmark", "Svendborg Kommune").await);
    post(&w.app, "/api/v1/cases", &w.proposer, other).await;

    let all = get(&w.app, "/api/v1/cases?region=syddanmark", &w.secretariat).await;
    assert_eq!(all.body["total"], 2);
    assert_eq!(
        all.body["items"][0]["title"], "Stomipleje efter udskrivelse",
        "newest first"
    );
    let in_review = get(
        &w.app,
        "/api/v1/cases?state=description_review",
        &w.secretariat,
    )
    .await;
    assert_eq!(
        (
            in_review.body["total"].as_u64(),
            in_review.body["items"][0]["id"].clone()
        ),
        (Some(1), first["id"].clone())
    );
    let by_description = get(&w.app, "/api/v1/cases?q=HJEMMESYGEPLEJEN", &w.secretariat).await;
    assert_eq!(
        by_description.body["total"], 1,
        "search covers the description, case-insensitively"
    );
    let by_party = get(
        &w.app,
        &format!("/api/v1/cases?party={}", w.odense),
        &w.secretariat,
    )
    .await;
    assert_eq!(by_party.body["total"], 1);
    let paged = get(&w.app, "/api/v1/cases?per_page=1&page=2", &w.secretariat).await;
    assert_eq!(
        (
            paged.body["total"].as_u64(),
            paged.body["items"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
    assert_eq!(paged.body["items"][0]["id"], first["id"]);
}

async fn regions_parties_and_workflows_are_served(db: &TestDb) {
    let w = world(db).await;
    let regions = get(&w.app, "/api/v1/regions", &w.proposer).await;
    let syd = regions
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["slug"] == "syddanmark")
        .unwrap()
        .clone();
    assert_eq!(
        (syd["code"].as_i64(), syd["workflow"]["version"].as_u64()),
        (Some(1083), Some(1))
    );
    let oest = regions
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["slug"] == "oestdanmark")
        .unwrap()
        .clone();
    assert_eq!(oest["valid_from"], "2027-01-01");
    let parties = get(&w.app, "/api/v1/regions/syddanmark/parties", &w.proposer).await;
    let municipalities: Vec<&Value> = parties
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "municipality")
        .collect();
    assert_eq!(municipalities.len(), 22);
    assert_eq!(
        get(&w.app, "/api/v1/regions/fyn/parties", &w.proposer)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let workflow = get(&w.app, "/api/v1/workflows/syddanmark", &w.proposer).await;
    assert_eq!(
        workflow.body["bodies"]["steering_group"],
        "Strategisk Sundhedsstyregruppe"
    );
    assert!(
        workflow.body["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == "approve_with_conditions")
    );
}

async fn the_openapi_document_lists_every_route(db: &TestDb) {
    let w = world(db).await;
    let response = send(&w.app, Method::GET, "/api/v1/openapi.json", None, None, &[]).await;
    assert_eq!(response.status, StatusCode::OK);
    let paths = &response.body["paths"];
    for (method, path) in [
        ("get", "/api/v1/regions"),
        ("get", "/api/v1/regions/{region}/parties"),
        ("get", "/api/v1/workflows/{region}"),
        ("post", "/api/v1/cases"),
        ("get", "/api/v1/cases"),
        ("get", "/api/v1/cases/{id}"),
        ("put", "/api/v1/cases/{id}/description"),
        ("put", "/api/v1/cases/{id}/economics"),
        ("post", "/api/v1/cases/{id}/economics/signoffs"),
        ("post", "/api/v1/cases/{id}/transitions"),
        ("get", "/api/v1/cases/{id}/events"),
        ("get", "/api/v1/cases/{id}/economics.csv"),
        ("get", "/api/v1/cases/{id}/description/revisions"),
        ("get", "/api/v1/cases/{id}/description/diff"),
        ("post", "/api/v1/meetings"),
        ("get", "/api/v1/meetings"),
        ("get", "/api/v1/meetings/{id}"),
        ("put", "/api/v1/meetings/{id}"),
        ("post", "/api/v1/meetings/{id}/cancel"),
        ("post", "/api/v1/meetings/{id}/agenda"),
        ("get", "/api/v1/meetings/{id}/minutes"),
        ("post", "/api/v1/cases/{id}/hearing"),
        ("get", "/api/v1/cases/{id}/hearing"),
        ("post", "/api/v1/cases/{id}/hearing/answers"),
        ("get", "/api/v1/hearing-links/{token}"),
        ("post", "/api/v1/hearing-links/{token}"),
        ("put", "/api/v1/cases/{id}/classification"),
        ("put", "/api/v1/cases/{id}/references/{party_id}"),
        ("post", "/api/v1/cases/{id}/documents"),
        ("get", "/api/v1/cases/{id}/documents/{document_id}"),
        ("get", "/api/v1/cases/{id}/decision-document"),
        ("get", "/api/v1/cases/{id}/export.zip"),
        ("get", "/api/v1/admin/outbox"),
        ("post", "/api/v1/admin/outbox/{id}/resend"),
        ("put", "/api/v1/meetings/{id}/agenda/order"),
        ("post", "/api/v1/meetings/{id}/publish"),
        ("put", "/api/v1/cases/{id}/implementation"),
        ("get", "/api/v1/me/mail-preference"),
        ("put", "/api/v1/me/mail-preference"),
        ("get", "/api/v1/admin/organisations"),
        ("put", "/api/v1/admin/organisations/{id}/contact"),
        ("get", "/api/v1/regions/{region}/councils"),
        ("post", "/api/v1/regions/{region}/councils/moves"),
        ("get", "/api/v1/admin/reform/plan"),
        ("post", "/api/v1/admin/reform/apply"),
        (
            "post",
            "/api/v1/regions/{region}/councils/{council}/members",
        ),
        (
            "delete",
            "/api/v1/regions/{region}/councils/{council}/members/{user}",
        ),
        ("put", "/api/v1/cases/{id}/councils"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    let documented: usize = paths
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, 48, "a route was added without a test here");
    assert!(response.body["components"]["schemas"]["Problem"].is_object());
    assert!(response.body["components"]["securitySchemes"]["bearer"].is_object());
}

async fn every_description_revision_is_kept_and_compared(db: &TestDb) {
    let w = world(db).await;
    let case = described(&w).await;
    let mut changed = description();
    changed["target_group"] = json!("Klinisk stabile voksne over 18 år.");
    changed["evidence"] = json!("Erfaringer fra Region Midtjylland.");
    let uri = format!("/api/v1/cases/{}/description", case["id"]);
    let revised = put(
        &w.app,
        &uri,
        &w.proposer,
        json!({ "expected_version": case["version"], "description": changed }),
    )
    .await;
    assert_eq!(revised.body["description"]["revision"], 2);
    let revisions = get(&w.app, &format!("{uri}/revisions"), &w.secretariat).await;
    assert_eq!(revisions.body.as_array().map(Vec::len), Some(2));
    assert_eq!(revisions.body[0]["author"]["name"], "Test proposer");
    let diff = get(&w.app, &format!("{uri}/diff?from=1&to=2"), &w.secretariat).await;
    assert_eq!(diff.status, StatusCode::OK);
    let fields: Vec<&str> = diff.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["target_group", "evidence"]);
    assert_eq!(diff.body["changes"][0]["old"], "Klinisk stabile voksne.");
    assert_eq!(diff.body["changes"][0]["label"]["da"], "Målgruppe");
    assert_eq!(
        get(&w.app, &format!("{uri}/diff?from=1&to=9"), &w.secretariat)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&w.app, &format!("{uri}/diff?from=x"), &w.secretariat)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let events = get(
        &w.app,
        &format!("/api/v1/cases/{}/events", case["id"]),
        &w.secretariat,
    )
    .await;
    let last = events.body["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "description_revised");
    assert_eq!(
        last["details"]["changes"][0]["field"], "evidence",
        "the journal holds each changed field with old and new value"
    );
    assert_eq!(last["details"]["changes"].as_array().map(Vec::len), Some(2));
}

async fn the_case_is_classified_and_carries_each_partys_reference(db: &TestDb) {
    let w = world(db).await;
    let case = created(&w).await;
    assert_eq!(
        (case["public"].as_bool(), case["kle"].is_null()),
        (Some(true), true)
    );
    let uri = format!("/api/v1/cases/{}/classification", case["id"]);
    let by_proposer = put(
        &w.app,
        &uri,
        &w.proposer,
        json!({ "expected_version": case["version"], "public": false, "kle": "29.30.00" }),
    )
    .await;
    assert_eq!(by_proposer.status, StatusCode::FORBIDDEN);
    let bad = put(
        &w.app,
        &uri,
        &w.secretariat,
        json!({ "expected_version": case["version"], "public": false, "kle": "29.3" }),
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kle"))
    );
    let classified = put(
        &w.app,
        &uri,
        &w.secretariat,
        json!({ "expected_version": case["version"], "public": false, "kle": "29.30.00G01" }),
    )
    .await;
    assert_eq!(
        (
            classified.body["public"].as_bool(),
            classified.body["kle"].as_str()
        ),
        (Some(false), Some("29.30.00G01"))
    );
    let reference = format!("/api/v1/cases/{}/references/{}", case["id"], w.odense);
    let recorded = put(&w.app, &reference, &w.secretariat, json!({ "expected_version": classified.body["version"], "reference": "27.12.04-G01-1234-26" })).await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    assert_eq!(
        recorded.body["external_references"][0]["party"]["name"],
        "Odense Kommune"
    );
    assert_eq!(
        recorded.body["external_references"][0]["reference"],
        "27.12.04-G01-1234-26"
    );
    let events = get(
        &w.app,
        &format!("/api/v1/cases/{}/events", case["id"]),
        &w.secretariat,
    )
    .await;
    let classified_event = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "classified")
        .unwrap()
        .clone();
    assert_eq!(
        classified_event["details"]["changes"][0],
        json!({ "field": "public", "old": true, "new": false })
    );
    assert_eq!(
        classified_event["details"]["changes"][1]["new"],
        "29.30.00G01"
    );
}

async fn send_raw(app: &Router, uri: &str, token: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::builder()
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    (
        response.status(),
        to_bytes(response.into_body(), 64 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
}

async fn events_count(w: &World, case: &Value) -> usize {
    let events = get(
        &w.app,
        &format!("/api/v1/cases/{}/events", case["id"]),
        &w.secretariat,
    )
    .await;
    events.body["events"].as_array().map_or(0, Vec::len)
}

async fn upload(app: &Router, token: &str, case: &Value, name: &str, bytes: Vec<u8>) -> Response {
    let uri = format!("/api/v1/cases/{}/documents?file_name={name}", case["id"]);
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(bytes))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = serde_json::from_slice(&to_bytes(response.into_body(), 1 << 20).await.unwrap())
        .unwrap_or(Value::Null);
    Response {
        status,
        headers,
        body,
    }
}

async fn documents_are_typed_by_content_and_stored_once(db: &TestDb) {
    let w = world(db).await;
    let case = created(&w).await;
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF".to_vec();
    let added = upload(
        &w.app,
        &w.proposer,
        &case,
        "..%2F..%2Fnotat%20om%20IV.exe",
        pdf.clone(),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.body["file_name"], "notat om IV.pdf");
    assert_eq!(added.body["content_type"], "application/pdf");
    let fake = upload(
        &w.app,
        &w.proposer,
        &case,
        "rapport.pdf",
        b"MZ\x90 not a pdf".to_vec(),
    )
    .await;
    assert_eq!(
        (fake.status, fake.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("file"))
    );
    let huge = upload(
        &w.app,
        &w.proposer,
        &case,
        "stor.pdf",
        vec![b'%'; 21 * 1024 * 1024],
    )
    .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    let outsider = upload(&w.app, &w.nordjylland, &case, "x.pdf", pdf.clone()).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND);
    let download = send(
        &w.app,
        Method::GET,
        &format!(
            "/api/v1/cases/{}/documents/{}",
            case["id"], added.body["id"]
        ),
        Some(&w.secretariat),
        None,
        &[],
    )
    .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.headers["content-type"], "application/pdf");
    assert!(
        download.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("notat om IV.pdf")
    );
    let seen = get(
        &w.app,
        &format!("/api/v1/cases/{}", case["id"]),
        &w.secretariat,
    )
    .await;
    assert_eq!(seen.body["documents"].as_array().map(Vec::len), Some(1));
    assert_eq!(seen.body["documents"][0]["size"], pdf.len());
}

async fn a_user_chooses_the_daily_digest(db: &TestDb) {
    let w = world(db).await;
    let uri = "/api/v1/me/mail-preference";
    let before = get(&w.app, uri, &w.secretariat).await;
    assert_eq!(
        (before.status, before.body.clone()),
        (StatusCode::OK, json!({ "daily_digest": false }))
    );
    let chosen = put(&w.app, uri, &w.secretariat, json!({ "daily_digest": true })).await;
    assert_eq!(chosen.body, json!({ "daily_digest": true }));
    let wrong = put(&w.app, uri, &w.secretariat, json!({ "digest": true })).await;
    assert!(wrong.status.is_client_error(), "{}", wrong.body);
    assert_eq!(
        get(&w.app, uri, &w.secretariat).await.body,
        json!({ "daily_digest": true })
    );
    assert_eq!(
        get(&w.app, uri, &w.proposer).await.body,
        json!({ "daily_digest": false }),
        "each user's own choice"
    );
}

async fn admins_see_the_outbox_and_resend_failed_mails(db: &TestDb) {
    let w = world(db).await;
    let (_, admin) = person_with_token(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await;
    let case = described(&w).await;
    moved(&w, &w.proposer, &case, "withdraw", None).await;
    let refused = get(
        &w.app,
        "/api/v1/admin/outbox?region=syddanmark",
        &w.secretariat,
    )
    .await;
    assert_eq!(
        (refused.status, refused.body["needed_roles"].clone()),
        (StatusCode::FORBIDDEN, json!(["admin"]))
    );
    assert_eq!(
        get(&w.app, "/api/v1/admin/outbox?region=nordjylland", &admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let all = get(&w.app, "/api/v1/admin/outbox?region=syddanmark", &admin).await;
    assert_eq!(all.status, StatusCode::OK);
    let failed = get(
        &w.app,
        "/api/v1/admin/outbox?region=syddanmark&status=failed",
        &admin,
    )
    .await;
    assert!(
        failed.body["total"].as_u64().unwrap() >= 1,
        "party mails without a contact address are failed"
    );
    let row = failed.body["items"][0].clone();
    assert!(
        row["last_error"]
            .as_str()
            .unwrap()
            .contains("kontaktadresse")
    );
    let resend = post(
        &w.app,
        &format!("/api/v1/admin/outbox/{}/resend", row["id"]),
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(
        resend.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "still no address: {}",
        resend.body
    );
    let pending = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "pending")
        .unwrap()
        .clone();
    let not_failed = post(
        &w.app,
        &format!("/api/v1/admin/outbox/{}/resend", pending["id"]),
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(not_failed.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The admin gives the party its address; then the failed mail can be resent.
    let organisations = get(
        &w.app,
        "/api/v1/admin/organisations?region=syddanmark",
        &admin,
    )
    .await;
    assert_eq!(organisations.status, StatusCode::OK);
    let party = organisations
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == row["recipient_name"])
        .unwrap()
        .clone();
    let contact = format!("/api/v1/admin/organisations/{}/contact", party["id"]);
    let typo = put(
        &w.app,
        &contact,
        &admin,
        json!({ "contact_email": "sundhed.odense.dk" }),
    )
    .await;
    assert_eq!(
        (typo.status, typo.body["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("contact_email")),
        "{}",
        typo.body
    );
    assert_eq!(
        put(
            &w.app,
            &contact,
            &w.secretariat,
            json!({ "contact_email": "x@odense.dk" })
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let saved = put(
        &w.app,
        &contact,
        &admin,
        json!({ "contact_email": " Sundhed@Odense.dk " }),
    )
    .await;
    assert_eq!(saved.body["contact_email"], "sundhed@odense.dk");
    let resent = post(
        &w.app,
        &format!("/api/v1/admin/outbox/{}/resend", row["id"]),
        &admin,
        json!({}),
    )
    .await;
    assert_eq!(resent.status, StatusCode::OK, "{}", resent.body);
    assert_eq!(resent.body["status"], "pending");
}

async fn a_client_preferring_the_minimal_answer_gets_what_was_committed(db: &TestDb) {
    let w = world(db).await;
    let minimal = [("prefer", "return=minimal")];
    let created = send(
        &w.app,
        Method::POST,
        "/api/v1/cases",
        Some(&w.proposer),
        Some(new_case(&w)),
        &minimal,
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.headers["preference-applied"], "return=minimal");
    let id = created.body["id"].as_i64().unwrap();
    let fields: Vec<&String> = created.body.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["id", "number", "state", "version"]);
    assert_eq!(created.body["version"], 1);
    assert_eq!(created.body["state"], "draft");

    let described = send(
        &w.app,
        Method::PUT,
        &format!("/api/v1/cases/{id}/description"),
        Some(&w.proposer),
        Some(json!({ "expected_version": 1, "description": description() })),
        &[("prefer", "respond-async, return=minimal; x=1")],
    )
    .await;
    assert_eq!(described.status, StatusCode::OK, "{}", described.body);
    assert_eq!(described.body["version"], 2);
    assert!(described.body.get("description").is_none());

    let submitted = send(
        &w.app,
        Method::POST,
        &format!("/api/v1/cases/{id}/transitions"),
        Some(&w.proposer),
        Some(json!({ "expected_version": 2, "transition": "submit" })),
        &minimal,
    )
    .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(submitted.body["version"], 3);
    assert_eq!(submitted.body["state"], "description_review");

    // What the minimal answer says is what a full read says.
    let read = get(&w.app, &format!("/api/v1/cases/{id}"), &w.proposer).await;
    assert_eq!(read.body["version"], submitted.body["version"]);
    assert_eq!(read.body["state"], submitted.body["state"]);
    assert_eq!(read.body["number"], created.body["number"]);

    // Without the preference the whole case comes back, and no preference is claimed.
    let full = post(
        &w.app,
        &format!("/api/v1/cases/{id}/transitions"),
        &w.proposer,
        json!({ "expected_version": 3, "transition": "withdraw", "comment": "Trukket tilbage" }),
    )
    .await;
    assert_eq!(full.status, StatusCode::OK, "{}", full.body);
    assert!(full.headers.get("preference-applied").is_none());
    assert_eq!(full.body["state"], "withdrawn");
    assert!(full.body["available_transitions"].is_array());
}

/// The councils over HTTP: listed, corrected and seated by the region's administrator, and
/// chosen by the secretariat for a case without a municipal party.
async fn councils_are_listed_corrected_seated_and_chosen(db: &TestDb) {
    let w = world(db).await;
    let engine = &w.engine;
    let admin = person_with_token(engine, "admin@rsyd.dk", "syddanmark", "admin")
        .await
        .1;
    let member = person_with_token(engine, "raad@odense.dk", "syddanmark", "council")
        .await
        .0;
    let councils = get(&w.app, "/api/v1/regions/syddanmark/councils", &w.proposer).await;
    assert_eq!(councils.status, StatusCode::OK, "{}", councils.body);
    let id_of = |body: &Value, name: &str| {
        body.as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let fyn = id_of(&councils.body, "Sundhedsråd Fyn");
    let middelfart = overdrag_tests::party(engine, "syddanmark", "Middelfart Kommune").await;
    let moves = "/api/v1/regions/syddanmark/councils/moves";
    let change = json!({ "municipality_id": middelfart, "council_id": fyn, "reason": "Kommunen hører til Fyn" });
    let refused = post(&w.app, moves, &w.secretariat, change.clone()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let moved = post(&w.app, moves, &admin, change).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let members = format!("/api/v1/regions/syddanmark/councils/{fyn}/members");
    let seated = post(
        &w.app,
        &members,
        &admin,
        json!({ "user_id": member.user_id }),
    )
    .await;
    assert_eq!(seated.status, StatusCode::OK, "{}", seated.body);
    let fyn_now = seated
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == fyn)
        .unwrap()
        .clone();
    assert_eq!(fyn_now["members"][0]["id"], member.user_id);
    assert!(
        fyn_now["municipalities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["municipality"]["id"] == middelfart)
    );
    let unseated = send(
        &w.app,
        Method::DELETE,
        &format!("{members}/{}", member.user_id),
        Some(&admin),
        None,
        &[],
    )
    .await;
    assert_eq!(unseated.status, StatusCode::OK, "{}", unseated.body);

    let practice = overdrag_tests::party(engine, "syddanmark", "PLO-Syddanmark").await;
    let case = post(&w.app, "/api/v1/cases", &w.proposer, json!({ "region": "syddanmark", "title": "Sårbehandling i almen praksis", "kind": "transfer", "giving_party": w.hospital, "receiving_party": practice })).await;
    assert_eq!(case.status, StatusCode::CREATED, "{}", case.body);
    let uri = format!("/api/v1/cases/{}/councils", case.body["id"]);
    let chosen = put(&w.app, &uri, &w.secretariat, json!({ "expected_version": case.body["version"], "council_ids": [fyn], "reason": "Praksis på Fyn løser opgaven" })).await;
    assert_eq!(chosen.status, StatusCode::OK, "{}", chosen.body);
    assert_eq!(chosen.body["councils"][0]["name"], "Sundhedsråd Fyn");
    let stale = put(
        &w.app,
        &uri,
        &w.secretariat,
        json!({ "expected_version": case.body["version"], "council_ids": [fyn], "reason": "Igen" }),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
}

async fn an_administrator_sees_the_reform_plan_of_their_region_only(db: &TestDb) {
    let w = world(db).await;
    let (_, admin) = person_with_token(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await;
    let case = described(&w).await;
    let refused = get(&w.app, "/api/v1/admin/reform/plan", &w.secretariat).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let plan = get(&w.app, "/api/v1/admin/reform/plan?on=2027-01-01", &admin).await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    assert_eq!(plan.body["on"], json!("2027-01-01"));
    assert_eq!(plan.body["may_apply"], json!(true));
    let cases = plan.body["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        1,
        "only the open case of Syddanmark: {}",
        plan.body
    );
    assert_eq!(cases[0]["case_id"], case["id"]);
    assert_eq!(cases[0]["destination"]["workflow"]["version"], json!(2));
    assert_eq!(cases[0]["destination"]["state"], case["state"]);
    let bad = get(&w.app, "/api/v1/admin/reform/plan?on=1.1.2027", &admin).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // Someone else's region's administrator sees none of it.
    let (_, north) = person_with_token(&db.engine, "admin@rn.dk", "nordjylland", "admin").await;
    let theirs = get(&w.app, "/api/v1/admin/reform/plan", &north).await;
    assert_eq!(theirs.body["cases"], json!([]));
}

on_both_databases!(
    the_role_comes_before_the_input_and_any_stale_version_conflicts,
    an_administrator_sees_the_reform_plan_of_their_region_only,
    councils_are_listed_corrected_seated_and_chosen,
    a_client_preferring_the_minimal_answer_gets_what_was_committed,
    a_user_chooses_the_daily_digest,
    admins_see_the_outbox_and_resend_failed_mails,
    documents_are_typed_by_content_and_stored_once,
    the_case_is_classified_and_carries_each_partys_reference,
    every_description_revision_is_kept_and_compared,
    a_full_case_is_driven_to_closed_over_http,
    each_refusal_has_its_status_and_reason,
    another_region_can_neither_see_list_nor_move_a_case,
    bad_input_gets_a_clear_4xx_and_writes_nothing,
    a_retried_post_with_an_idempotency_key_creates_one_case,
    a_key_left_without_an_answer_by_a_crash_is_answered_after_the_lease,
    twenty_concurrent_transitions_give_one_success_and_nineteen_conflicts,
    the_list_filters_searches_and_counts,
    regions_parties_and_workflows_are_served,
    the_openapi_document_lists_every_route,
);
