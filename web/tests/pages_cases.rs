//! The case screens through the real router on a real database, driven like a browser without
//! JavaScript: a proposer creates and submits a case, the secretariat finds it under My tasks
//! and accepts the description, an economist fills the economics table (adding rows by submit
//! buttons) and signs off; blocked actions say why, other regions see nothing, the list filters
//! and searches, and everything reads in English after the switch — on SQLite, and on
//! PostgreSQL as ignored tests run by `.ci/run`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Browser, Page, member};

use axum::http::{StatusCode, header};
use overdrag_engine::cases::NewCase;
use overdrag_engine::{Actor, Engine};
use overdrag_tests::{TestDb, full_description, on_both_databases, party};

impl Page {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl Browser {
    /// The session's CSRF token, read from a page.
    async fn token(&mut self) -> String {
        self.get("/").await.csrf()
    }
}

/// A case in Syddanmark by `proposer`, created through the engine.
async fn case_by(engine: &Engine, proposer: &Actor, title: &str) -> i64 {
    let input = NewCase {
        region: "syddanmark".into(),
        title: title.into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "syddanmark", "Odense Universitetshospital").await,
        receiving_party_id: party(engine, "syddanmark", "Odense Kommune").await,
    };
    engine.create_case(proposer, input).await.unwrap().id
}

/// A case carried through the engine to the economic assessment.
async fn case_in_economics(engine: &Engine, proposer: &Actor, secretariat: &Actor) -> i64 {
    let id = case_by(engine, proposer, "IV-behandling i eget hjem").await;
    let case = engine
        .revise_description(proposer, id, 1, full_description())
        .await
        .unwrap();
    let case = engine
        .transition(proposer, id, case.version, "submit", None)
        .await
        .unwrap();
    engine
        .transition(secretariat, id, case.version, "accept_description", None)
        .await
        .unwrap();
    id
}

async fn a_proposer_creates_and_submits_a_case_and_the_secretariat_accepts_it(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let hospital = party(engine, "syddanmark", "Odense Universitetshospital")
        .await
        .to_string();
    let odense = party(engine, "syddanmark", "Odense Kommune")
        .await
        .to_string();
    let mut anne = Browser::logged_in(engine, "anne@ouh.dk").await;

    // The form refuses a title that is too short and keeps what was typed.
    let form = anne.get("/cases/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Odense Kommune"), "{}", form.body);
    // Each option reads as itself, never as the list's label (the select partial once showed
    // the label as every option).
    assert_eq!(form.options("region"), ["Region Syddanmark"]);
    let kinds = form.options("kind");
    assert!(kinds.len() >= 2, "{kinds:?}");
    assert!(
        kinds.iter().all(|k| k != "Sagstype" && !k.is_empty()),
        "{kinds:?}"
    );
    let csrf = form.csrf();
    let refused = anne
        .post(
            "/cases/new",
            &[
                ("csrf", &csrf),
                ("region", "syddanmark"),
                ("title", "IV"),
                ("kind", "transfer"),
                ("giving_party", &hospital),
                ("receiving_party", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("href=\"#receiving_party\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Vælg den modtagende part."));
    assert!(refused.body.contains("value=\"IV\""));
    assert!(
        refused
            .body
            .contains(&format!("<option value=\"{hospital}\" selected>"))
    );

    let created = anne
        .post(
            "/cases/new",
            &[
                ("csrf", &csrf),
                ("region", "syddanmark"),
                ("title", "IV-antibiotika i eget hjem"),
                ("kind", "transfer"),
                ("giving_party", &hospital),
                ("receiving_party", &odense),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = created.location().to_owned();
    let id: i64 = path.trim_start_matches("/cases/").parse().unwrap();

    // Submitting is blocked, with the reason, until the description is complete.
    let page = anne.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let number = engine.case(&proposer, id).await.unwrap().number;
    assert!(
        page.body.contains(&format!(
            "<title>{number} IV-antibiotika i eget hjem – Sag – Overdrag</title>"
        )),
        "the page title names the case: {}",
        &page.body[..400.min(page.body.len())]
    );
    assert!(page.body.contains("IV-antibiotika i eget hjem"));
    assert!(page.body.contains("step-indicator"));
    assert!(
        page.body.contains("Indsend til sekretariatet"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("disabled aria-describedby=\"blocked-submit\"")
    );
    assert!(
        page.body
            .contains("Den faglige beskrivelse mangler: Opgaven og begrundelse")
    );

    // The description form refuses a volume in words and keeps the text.
    let form = anne.get(&format!("{path}/description")).await;
    assert_eq!(form.status, StatusCode::OK);
    let version = form.hidden("version");
    let d = full_description();
    let volume = "mange".to_owned();
    let mut fields: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("version", &version),
        ("task", &d.task),
        ("target_group", &d.target_group),
        ("volume_per_year", &volume),
        ("competences", &d.competences),
        ("responsibility", &d.responsibility),
        ("quality_and_safety", &d.quality_and_safety),
        ("documentation", &d.documentation),
        ("timeline", &d.timeline),
    ];
    let refused = anne.post(&format!("{path}/description"), &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("href=\"#volume_per_year\""));
    assert!(refused.body.contains("value=\"mange\""));
    assert!(refused.body.contains(&d.task));
    fields[4] = ("volume_per_year", "420");
    let saved = anne.post(&format!("{path}/description"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored = engine.case(&proposer, id).await.unwrap();
    assert_eq!(
        stored.description.unwrap().content.volume_per_year,
        Some(420)
    );

    // Now the proposer submits from the case page.
    let page = anne.get(&path).await;
    assert!(page.body.contains("Faglig beskrivelse"));
    assert!(!page.body.contains("blocked-submit"));
    let version = page.hidden("version");
    let submitted = anne
        .post(
            &format!("{path}/transitions"),
            &[
                ("csrf", &csrf),
                ("transition", "submit"),
                ("version", &version),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );

    // The secretariat finds it under My tasks and accepts the description.
    let mut mette = Browser::logged_in(engine, "mette@rsyd.dk").await;
    let tasks = mette.get("/tasks").await;
    assert_eq!(tasks.status, StatusCode::OK);
    assert!(
        tasks.body.contains(&format!("href=\"{path}\"")),
        "{}",
        tasks.body
    );
    assert!(tasks.body.contains("IV-antibiotika i eget hjem"));
    let page = mette.get(&path).await;
    let version = page.hidden("version");
    let token = page.csrf();
    let accepted = mette
        .post(
            &format!("{path}/transitions"),
            &[
                ("csrf", &token),
                ("transition", "accept_description"),
                ("version", &version),
                ("comment", "Fin beskrivelse."),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let stored = engine.case(&secretariat, id).await.unwrap();
    assert_eq!(stored.state, "economic_assessment");
    // The journal on the case page shows the comment.
    let page = mette.get(&path).await;
    assert!(page.body.contains("Fin beskrivelse."));
    assert!(page.body.contains("Journalen er verificeret"));
    // And it is no longer the secretariat's task.
    let tasks = mette.get("/tasks").await;
    assert!(
        tasks.body.contains("Ingen sager venter på dig"),
        "{}",
        tasks.body
    );
}

async fn an_economist_fills_the_table_without_javascript_and_signs_off(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let economist = member(engine, "lars@rsyd.dk", "syddanmark", "economist").await;
    let id = case_in_economics(engine, &proposer, &secretariat).await;
    let hospital = party(engine, "syddanmark", "Odense Universitetshospital")
        .await
        .to_string();
    let odense = party(engine, "syddanmark", "Odense Kommune")
        .await
        .to_string();
    let mut lars = Browser::logged_in(engine, "lars@rsyd.dk").await;

    let tasks = lars.get("/tasks").await;
    assert!(
        tasks.body.contains(&format!("/cases/{id}")),
        "{}",
        tasks.body
    );
    let form = lars.get(&format!("/cases/{id}/economics")).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    // One row for each party to start with.
    assert!(form.body.contains("name=\"party-1\""));
    assert!(!form.body.contains("name=\"party-2\""));
    let csrf = form.csrf();
    let version = form.hidden("version");
    let rows = |action: &'static str, running_2027: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", version.clone()),
            ("party-0", hospital.clone()),
            ("year-0", "2027".to_owned()),
            ("one_off_costs-0", "0".to_owned()),
            ("running_costs-0", "0".to_owned()),
            ("savings-0", "1 200 000".to_owned()),
            ("party-1", odense.clone()),
            ("year-1", "2027".to_owned()),
            ("one_off_costs-1", "50000".to_owned()),
            ("running_costs-1", running_2027.to_owned()),
            ("savings-1", String::new()),
            ("assumptions", "420 forløb om året.".to_owned()),
            ("action", action.to_owned()),
        ]
    };
    let as_refs =
        |fields: &[(&'static str, String)]| -> Vec<(&'static str, String)> { fields.to_vec() };

    // Adding a row re-renders the form with the typed values and a third row, saving nothing.
    let fields = as_refs(&rows("add_row", "1100000"));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let added = lars.post(&format!("/cases/{id}/economics"), &fields).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added.body.contains("name=\"party-2\""));
    assert!(added.body.contains("value=\"1 200 000\""));
    assert!(added.body.contains("value=\"1100000\""));
    assert!(
        engine
            .case(&economist, id)
            .await
            .unwrap()
            .economics
            .lines
            .is_empty()
    );

    // Removing it again.
    let mut with_third = fields.clone();
    with_third.retain(|(k, _)| *k != "action");
    with_third.extend([
        ("party-2", ""),
        ("year-2", "2028"),
        ("action", "remove_row:2"),
    ]);
    let removed = lars
        .post(&format!("/cases/{id}/economics"), &with_third)
        .await;
    assert_eq!(removed.status, StatusCode::OK);
    assert!(!removed.body.contains("name=\"party-2\""));

    // A decimal amount is refused with the row and column named, and everything kept.
    let fields = as_refs(&rows("save", "1.100.000,50"));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = lars.post(&format!("/cases/{id}/economics"), &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("href=\"#running_costs-1\""),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("Række 2: Løbende udgifter skal være et helt antal kroner")
    );
    assert!(refused.body.contains("value=\"1.100.000,50\""));
    assert!(refused.body.contains("420 forløb om året."));
    assert!(
        engine
            .case(&economist, id)
            .await
            .unwrap()
            .economics
            .lines
            .is_empty()
    );

    // Whole kroner are saved.
    let fields = as_refs(&rows("save", "1100000"));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = lars.post(&format!("/cases/{id}/economics"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let case = engine.case(&economist, id).await.unwrap();
    assert_eq!(case.economics.lines.len(), 2);
    assert!(case.economics.lines.iter().any(|l| l.savings == 1_200_000));
    assert_eq!(case.economics.assumptions, "420 forløb om året.");

    // The case page shows the totals and a sign-off button per side; signing off records it.
    let page = lars.get(&format!("/cases/{id}")).await;
    assert!(page.body.contains("1.200.000"), "{}", page.body);
    assert!(page.body.contains("Balance"));
    assert!(page.body.contains("Godkend økonomien for afgivende part"));
    assert!(page.body.contains("Godkend økonomien for modtagende part"));
    let version = page.hidden("version");
    let signed = lars
        .post(
            &format!("/cases/{id}/signoffs"),
            &[("csrf", &csrf), ("side", "giving"), ("version", &version)],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    let case = engine.case(&economist, id).await.unwrap();
    assert_eq!(case.economics.signoffs.len(), 1);
    let page = lars.get(&format!("/cases/{id}")).await;
    assert!(!page.body.contains("Godkend økonomien for afgivende part"));
    assert!(page.body.contains("Godkend økonomien for modtagende part"));
}

async fn a_stale_form_comes_back_with_the_comment_kept(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let id = case_in_economics(engine, &proposer, &secretariat).await;
    let mut mette = Browser::logged_in(engine, "mette@rsyd.dk").await;
    let page = mette.get(&format!("/cases/{id}")).await;
    let stale = page.hidden("version");
    // Someone else changes the case meanwhile.
    let current = engine.case(&secretariat, id).await.unwrap().version;
    engine
        .replace_economics(&secretariat, id, current, Vec::new(), Some("Ændret."))
        .await
        .unwrap();

    let answer = mette
        .post(
            &format!("/cases/{id}/transitions"),
            &[
                ("csrf", &page.csrf()),
                ("transition", "return_to_proposer"),
                ("version", &stale),
                ("comment", "Mangler tal fra kommunen."),
            ],
        )
        .await;

    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(answer.body.contains("Sagen er ændret i mellemtiden"));
    assert!(answer.body.contains("Mangler tal fra kommunen."));
    assert_eq!(
        engine.case(&secretariat, id).await.unwrap().state,
        "economic_assessment"
    );

    // A return without its required comment is refused on the page, naming the field.
    let version = answer.hidden("version");
    let refused = mette
        .post(
            &format!("/cases/{id}/transitions"),
            &[
                ("csrf", &page.csrf()),
                ("transition", "return_to_proposer"),
                ("version", &version),
                ("comment", "  "),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("href=\"#comment-return_to_proposer\"")
    );
}

async fn another_regions_user_gets_404_and_a_missing_role_403(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    member(engine, "sofie@rm.dk", "midtjylland", "secretariat").await;
    let id = case_in_economics(engine, &proposer, &secretariat).await;

    let mut sofie = Browser::logged_in(engine, "sofie@rm.dk").await;
    for path in [
        format!("/cases/{id}"),
        format!("/cases/{id}/economics"),
        format!("/cases/{id}/description"),
        format!("/cases/{id}/export.zip"),
        format!("/cases/{id}/decision-document"),
        "/cases/999999".to_owned(),
        "/cases/not-a-number".to_owned(),
    ] {
        let page = sofie.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
    }
    let list = sofie.get("/cases").await;
    assert!(list.body.contains("0 sager fundet"), "{}", list.body);

    // The secretariat is no proposer: creating a case is refused naming the role.
    let mut mette = Browser::logged_in(engine, "mette@rsyd.dk").await;
    let form = mette.get("/cases/new").await;
    assert!(form.body.contains("Du skal være forslagsstiller"));
    let hospital = party(engine, "syddanmark", "Odense Universitetshospital")
        .await
        .to_string();
    let odense = party(engine, "syddanmark", "Odense Kommune")
        .await
        .to_string();
    let refused = mette
        .post(
            "/cases/new",
            &[
                ("csrf", &form.csrf()),
                ("region", "syddanmark"),
                ("title", "En sag"),
                ("kind", "transfer"),
                ("giving_party", &hospital),
                ("receiving_party", &odense),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    // Signing off is the economists' work.
    let version = engine
        .case(&secretariat, id)
        .await
        .unwrap()
        .version
        .to_string();
    let refused = mette
        .post(
            &format!("/cases/{id}/signoffs"),
            &[
                ("csrf", &form.csrf()),
                ("side", "giving"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}

async fn the_list_filters_by_state_and_search(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    case_in_economics(engine, &proposer, &secretariat).await;
    case_by(engine, &proposer, "Sårbehandling i kommunen").await;
    let mut anne = Browser::logged_in(engine, "anne@ouh.dk").await;

    let all = anne.get("/cases").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("2 sager fundet"), "{}", all.body);
    assert!(all.body.contains("IV-behandling i eget hjem"));
    assert!(all.body.contains("Sårbehandling i kommunen"));

    let in_economics = anne
        .get("/cases?state=economic_assessment&q=&region=")
        .await;
    assert!(
        in_economics.body.contains("1 sager fundet"),
        "{}",
        in_economics.body
    );
    assert!(in_economics.body.contains("IV-behandling i eget hjem"));
    assert!(!in_economics.body.contains("Sårbehandling i kommunen"));
    assert!(
        in_economics
            .body
            .contains("<option value=\"economic_assessment\" selected>")
    );

    // The search reads the description too.
    let searched = anne.get("/cases?q=hjemmesygeplejen").await;
    assert!(searched.body.contains("1 sager fundet"));
    assert!(searched.body.contains("IV-behandling i eget hjem"));
    assert!(searched.body.contains("value=\"hjemmesygeplejen\""));

    let new_tasks = anne.get("/cases?kind=new_task").await;
    assert!(new_tasks.body.contains("0 sager fundet"));
    assert!(
        new_tasks
            .body
            .contains("Ingen sager passer til din søgning.")
    );
}

async fn pages_render_in_english_after_the_switch(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    member(engine, "lars@rsyd.dk", "syddanmark", "economist").await;
    let id = case_in_economics(engine, &proposer, &secretariat).await;
    let mut lars = Browser::logged_in(engine, "lars@rsyd.dk").await;
    let csrf = lars.token().await;
    let switched = lars
        .post(
            "/language",
            &[("csrf", &csrf), ("lang", "en"), ("next", "/tasks")],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);

    for (path, english, danish) in [
        ("/tasks".to_owned(), "My tasks", "Mine opgaver"),
        ("/cases".to_owned(), "1 cases found", "sager fundet"),
        (
            format!("/cases/{id}"),
            "What you can do now",
            "Det kan du gøre nu",
        ),
        (
            format!("/cases/{id}"),
            "Economic consequence assessment",
            "Sagens forløb",
        ),
        (
            format!("/cases/{id}/economics"),
            "Add a row",
            "Tilføj række",
        ),
        (
            format!("/cases/{id}/description"),
            "Professional description",
            "Gem beskrivelsen",
        ),
        (
            "/cases/new".to_owned(),
            "You must be a proposer",
            "Opret sagen",
        ),
    ] {
        let page = lars.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("<html lang=\"en\">"), "{path}");
        assert!(page.body.contains(english), "{path}: {}", page.body);
        assert!(!page.body.contains(danish), "{path}: {}", page.body);
    }
}

async fn the_case_files_download_with_their_type_and_name(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let id = case_in_economics(engine, &proposer, &secretariat).await;
    let number = engine.case(&proposer, id).await.unwrap().number;
    let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    let document = engine
        .add_document(&proposer, id, "Instruks.pdf", pdf)
        .await
        .unwrap();
    let mut anne = Browser::logged_in(engine, "anne@ouh.dk").await;

    let page = anne.get(&format!("/cases/{id}")).await;
    assert!(
        page.body
            .contains(&format!("/cases/{id}/documents/{}", document.id))
    );
    let zip = anne.get(&format!("/cases/{id}/export.zip")).await;
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(zip.header(header::CONTENT_TYPE), "application/zip");
    assert!(
        zip.header(header::CONTENT_DISPOSITION)
            .starts_with("attachment; filename=\"")
    );
    assert!(zip.header(header::CONTENT_DISPOSITION).contains(&number));
    let decision = anne.get(&format!("/cases/{id}/decision-document")).await;
    assert_eq!(decision.status, StatusCode::OK);
    assert!(
        decision
            .header(header::CONTENT_TYPE)
            .starts_with("text/html")
    );
    assert!(decision.body.contains("IV-behandling i eget hjem"));
    let file = anne
        .get(&format!("/cases/{id}/documents/{}", document.id))
        .await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header(header::CONTENT_TYPE), "application/pdf");
    assert!(file.body.starts_with("%PDF"));
    assert!(file.header(header::CONTENT_DISPOSITION).contains(".pdf"));
}

/// The engine as it will be `days` from now.
fn days_later(engine: &Engine, days: i64) -> Engine {
    let moment = chrono::Utc::now() + chrono::Duration::days(days);
    engine
        .clone()
        .with_clock(std::sync::Arc::new(move || moment))
}

async fn my_tasks_show_what_waits_for_me_overdue_first(db: &TestDb) {
    let engine = &db.engine;
    let anne = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let bo = member(engine, "bo@ouh.dk", "syddanmark", "proposer").await;
    member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    // Anne's draft waits for Anne, not for Bo.
    let draft = case_by(engine, &anne, "Anne's kladde").await;
    // Two cases submitted 30 days apart wait for the secretariat.
    let mut submitted = Vec::new();
    for (days, title) in [(0, "Første indsendte sag"), (30, "Anden indsendte sag")] {
        let then = days_later(engine, days);
        let id = case_by(&then, &bo, title).await;
        let case = then
            .revise_description(&bo, id, 1, full_description())
            .await
            .unwrap();
        then.transition(&bo, id, case.version, "submit", None)
            .await
            .unwrap();
        submitted.push(id);
    }
    let later = days_later(engine, 35);

    let mut anne_browser = Browser::logged_in(&later, "anne@ouh.dk").await;
    let tasks = anne_browser.get("/tasks").await;
    assert!(
        tasks.body.contains(&format!("/cases/{draft}\"")),
        "{}",
        tasks.body
    );
    assert!(!tasks.body.contains("Første indsendte sag"));
    let mut bo_browser = Browser::logged_in(&later, "bo@ouh.dk").await;
    let tasks = bo_browser.get("/tasks").await;
    assert!(!tasks.body.contains("Anne's kladde"));
    assert!(tasks.body.contains("Ingen sager venter på dig"));

    let mut mette = Browser::logged_in(&later, "mette@rsyd.dk").await;
    let tasks = mette.get("/tasks").await;
    let first = tasks
        .body
        .find("Første indsendte sag")
        .expect("the first case");
    let second = tasks
        .body
        .find("Anden indsendte sag")
        .expect("the second case");
    assert!(first < second, "overdue first: {}", tasks.body);
    assert!(
        tasks.body.contains("1 sager er over fristen."),
        "{}",
        tasks.body
    );
    assert!(tasks.body.contains("dage over fristen"));
    assert!(tasks.body.contains("dage tilbage"));
    assert!(!tasks.body.contains("Anne's kladde"));
}

async fn the_secretariat_opens_the_hearing_and_sees_the_answers(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let economist = member(engine, "lars@rsyd.dk", "syddanmark", "economist").await;
    let id = case_in_economics(engine, &proposer, &secretariat).await;
    let hospital = party(engine, "syddanmark", "Odense Universitetshospital").await;
    let odense = party(engine, "syddanmark", "Odense Kommune").await;
    let line = |party_id, running, savings| overdrag_engine::domain::economics::EconomicsLine {
        party_id,
        year: 2027,
        one_off_costs: 0,
        running_costs: running,
        savings,
    };
    let version = engine.case(&economist, id).await.unwrap().version;
    let case = engine
        .replace_economics(
            &economist,
            id,
            version,
            vec![line(hospital, 0, 1_000_000), line(odense, 1_000_000, 0)],
            None,
        )
        .await
        .unwrap();
    let mut version = case.version;
    for side in [
        overdrag_engine::domain::role::Side::Giving,
        overdrag_engine::domain::role::Side::Receiving,
    ] {
        version = engine
            .sign_off_economics(&economist, id, version, side)
            .await
            .unwrap()
            .version;
    }
    let mut mette = Browser::logged_in(engine, "mette@rsyd.dk").await;
    let page = mette.get(&format!("/cases/{id}")).await;
    assert!(page.body.contains("I balance"), "{}", page.body);
    let moved = mette
        .post(
            &format!("/cases/{id}/transitions"),
            &[
                ("csrf", &page.csrf()),
                ("transition", "open_hearing"),
                ("version", &version.to_string()),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);

    let page = mette.get(&format!("/cases/{id}")).await;
    assert!(page.body.contains("Åbn høringen"), "{}", page.body);
    let opened = mette
        .post(&format!("/cases/{id}/hearing"), &[("csrf", &page.csrf())])
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);

    let page = mette.get(&format!("/cases/{id}")).await;
    assert!(!page.body.contains("Åbn høringen"));
    assert!(page.body.contains("Høringen er åben"));
    assert!(page.body.contains("Svendborg Kommune"), "{}", page.body);
    assert!(page.body.contains("Har ikke svaret"));
    assert!(page.body.contains("Høring åbnet"));
    // A second opening is refused on the page, not with a crash.
    let again = mette
        .post(&format!("/cases/{id}/hearing"), &[("csrf", &page.csrf())])
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );
    assert!(again.body.contains("href=\"#open-hearing\""));
}

async fn the_case_page_names_the_councils_of_its_municipalities(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@odense.dk", "syddanmark", "proposer").await;
    let input = NewCase {
        region: "syddanmark".into(),
        title: "Genoptræning på tværs af kommunegrænsen".into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "syddanmark", "Odense Kommune").await,
        receiving_party_id: party(engine, "syddanmark", "Esbjerg Kommune").await,
    };
    let id = engine.create_case(&proposer, input).await.unwrap().id;
    let mut anne = Browser::logged_in(engine, "anne@odense.dk").await;

    let page = anne.get(&format!("/cases/{id}")).await;

    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(
            "<dt id=\"councils\">Sundhedsråd</dt><dd><ul class=\"nobullet-list od-councils\"><li>Sundhedsråd Fyn</li><li>Sundhedsråd Sydvestjylland</li></ul></dd>"
        ),
        "{}",
        page.body
    );

    // In English the heading follows; a region before the reform shows no councils at all.
    let csrf = anne.token().await;
    anne.post(
        "/language",
        &[("csrf", &csrf), ("lang", "en"), ("next", "/")],
    )
    .await;
    let english = anne.get(&format!("/cases/{id}")).await;
    assert!(
        english
            .body
            .contains("<dt id=\"councils\">Health councils</dt>"),
        "{}",
        english.body
    );

    let hovedstaden = member(engine, "bo@rh.dk", "hovedstaden", "proposer").await;
    let input = NewCase {
        region: "hovedstaden".into(),
        title: "Sårbehandling i eget hjem".into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "hovedstaden", "Rigshospitalet").await,
        receiving_party_id: party(engine, "hovedstaden", "Frederiksberg Kommune").await,
    };
    let before = engine.create_case(&hovedstaden, input).await.unwrap().id;
    let mut bo = Browser::logged_in(engine, "bo@rh.dk").await;
    let page = bo.get(&format!("/cases/{before}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("Sundhedsråd"), "{}", page.body);
}

/// A 2027 case between a hospital and general practice has no municipality to give it its
/// councils: the secretariat's case page says so as the next step and offers the choice; a
/// choice without councils or reason comes back with both kept and linked; a proposer sees the
/// next step but no form.
async fn the_secretariat_chooses_the_councils_of_a_case_without_a_municipality(db: &TestDb) {
    let engine = overdrag_tests::engine_in_2027(&db.engine);
    let engine = &engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    let general_practice = engine
        .parties("syddanmark")
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.kind == "general_practice")
        .expect("general practice in Syddanmark")
        .id;
    let input = NewCase {
        region: "syddanmark".into(),
        title: "Opfølgning på KOL efter udskrivelse".into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "syddanmark", "Odense Universitetshospital").await,
        receiving_party_id: general_practice,
    };
    let case = engine.create_case(&proposer, input).await.unwrap();
    assert!(case.councils.is_empty());
    let path = format!("/cases/{}", case.id);

    let mut anne = Browser::logged_in(engine, "anne@ouh.dk").await;
    let page = anne.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Næste skridt"), "{}", page.body);
    assert!(!page.body.contains("id=\"choose-councils\""));

    let mut mette = Browser::logged_in(engine, "mette@rsyd.dk").await;
    let page = mette.get(&path).await;
    assert!(
        page.body.contains("id=\"choose-councils\""),
        "{}",
        page.body
    );
    assert_eq!(
        page.count("name=\"council_ids\""),
        4,
        "the region's four councils"
    );
    let fyn = engine
        .councils(&proposer, "syddanmark")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Sundhedsråd Fyn")
        .unwrap()
        .id
        .to_string();
    let action = format!("{path}/councils");
    let version = case.version.to_string();

    let refused = mette
        .post(
            &action,
            &[
                ("csrf", &page.csrf()),
                ("version", &version),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("href=\"#council_ids\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("href=\"#reason\""),
        "{}",
        refused.body
    );

    let chosen = mette
        .post(
            &action,
            &[
                ("csrf", &page.csrf()),
                ("version", &version),
                ("council_ids", &fyn),
                ("reason", "Praksis på Fyn løser opgaven"),
            ],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    assert_eq!(chosen.location(), format!("{path}#councils"));
    let after = mette.get(&path).await;
    assert!(
        after.body.contains("<li>Sundhedsråd Fyn</li>"),
        "{}",
        after.body
    );
    assert!(after.body.contains(&format!(
        "id=\"council-{fyn}\" name=\"council_ids\" value=\"{fyn}\" checked"
    )));
    let councils = engine.case(&proposer, case.id).await.unwrap().councils;
    assert_eq!(councils.len(), 1);
    assert_eq!(councils[0].name, "Sundhedsråd Fyn");
}

async fn an_engine_refusal_reads_in_the_pages_language(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let secretariat = member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await;
    member(engine, "lars@rsyd.dk", "syddanmark", "economist").await;
    let id = case_in_economics(engine, &proposer, &secretariat).await;
    let hospital = party(engine, "syddanmark", "Odense Universitetshospital")
        .await
        .to_string();
    let mut lars = Browser::logged_in(engine, "lars@rsyd.dk").await;
    let form = lars.get(&format!("/cases/{id}/economics")).await;
    let csrf = form.csrf();
    let version = form.hidden("version");
    // Two lines for the hospital in 2027: the engine refuses the second.
    let twice = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("party-0", hospital.as_str()),
        ("year-0", "2027"),
        ("one_off_costs-0", "0"),
        ("running_costs-0", "100000"),
        ("savings-0", "0"),
        ("party-1", hospital.as_str()),
        ("year-1", "2027"),
        ("one_off_costs-1", "0"),
        ("running_costs-1", "200000"),
        ("savings-1", "0"),
        ("assumptions", ""),
        ("action", "save"),
    ];

    let danish = lars.post(&format!("/cases/{id}/economics"), &twice).await;
    assert_eq!(
        danish.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        danish.body
    );
    assert!(
        danish
            .body
            .contains("Række 2: parten har to linjer for 2027; læg dem sammen til én"),
        "{}",
        danish.body
    );
    assert!(!danish.body.contains("has two lines"), "{}", danish.body);

    let switched = lars
        .post(
            "/language",
            &[("csrf", &csrf), ("lang", "en"), ("next", "/")],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let english = lars.post(&format!("/cases/{id}/economics"), &twice).await;
    assert_eq!(
        english.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        english.body
    );
    assert!(
        english.body.contains(&format!(
            "Row 2: party {hospital} has two lines for 2027; merge them into one"
        )),
        "{}",
        english.body
    );
    assert!(!english.body.contains("to linjer"), "{}", english.body);
    assert!(
        engine
            .case(&proposer, id)
            .await
            .unwrap()
            .economics
            .lines
            .is_empty()
    );
}

async fn the_error_page_gives_the_reason_in_the_pages_language(db: &TestDb) {
    let engine = &db.engine;
    let proposer = member(engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    member(engine, "lars@rsyd.dk", "syddanmark", "economist").await;
    let id = case_by(engine, &proposer, "IV-behandling i eget hjem").await;
    let version = engine
        .case(&proposer, id)
        .await
        .unwrap()
        .version
        .to_string();
    let mut lars = Browser::logged_in(engine, "lars@rsyd.dk").await;
    let csrf = lars.token().await;
    // A draft has no figures to sign off: the engine refuses, and the error page says why.
    let sign_off = [
        ("csrf", csrf.as_str()),
        ("side", "giving"),
        ("version", version.as_str()),
    ];

    let danish = lars.post(&format!("/cases/{id}/signoffs"), &sign_off).await;
    assert_eq!(danish.status, StatusCode::CONFLICT, "{}", danish.body);
    assert!(
        danish
            .body
            .contains("Godkendelsen af økonomien kan ikke ændres i sagens nuværende trin."),
        "{}",
        danish.body
    );
    assert!(
        !danish.body.contains("cannot be changed"),
        "{}",
        danish.body
    );

    let switched = lars
        .post(
            "/language",
            &[("csrf", &csrf), ("lang", "en"), ("next", "/")],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let english = lars.post(&format!("/cases/{id}/signoffs"), &sign_off).await;
    assert_eq!(english.status, StatusCode::CONFLICT, "{}", english.body);
    assert!(
        english
            .body
            .contains("The economics sign-off cannot be changed while the case is in state draft."),
        "{}",
        english.body
    );
    assert!(
        !english.body.contains("kan ikke ændres"),
        "{}",
        english.body
    );
}

on_both_databases!(
    the_case_page_names_the_councils_of_its_municipalities,
    a_proposer_creates_and_submits_a_case_and_the_secretariat_accepts_it,
    an_economist_fills_the_table_without_javascript_and_signs_off,
    a_stale_form_comes_back_with_the_comment_kept,
    another_regions_user_gets_404_and_a_missing_role_403,
    the_list_filters_by_state_and_search,
    pages_render_in_english_after_the_switch,
    the_case_files_download_with_their_type_and_name,
    my_tasks_show_what_waits_for_me_overdue_first,
    the_secretariat_opens_the_hearing_and_sees_the_answers,
    the_secretariat_chooses_the_councils_of_a_case_without_a_municipality,
    an_engine_refusal_reads_in_the_pages_language,
    the_error_page_gives_the_reason_in_the_pages_language,
);
