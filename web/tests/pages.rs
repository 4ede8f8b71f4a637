//! The web pages through the real router on a real database: login, sessions, CSRF, the
//! language switch, assets served from the binary, error pages and the user administration —
//! on SQLite, and on PostgreSQL as ignored tests run by `.ci/run`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Browser, PASSWORD, member};

use axum::http::{StatusCode, header};
use overdrag_tests::{TestDb, on_both_databases, person};

async fn login_works_and_sets_a_session_cookie(db: &TestDb) {
    member(&db.engine, "anne@rsyd.dk", "syddanmark", "proposer").await;
    let mut browser = Browser::new(&db.engine);

    let page = browser.log_in("Anne@RSYD.dk", PASSWORD).await;

    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/");
    let session = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("overdrag_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(
        !session.contains("Secure"),
        "plain http in tests: {session}"
    );
    let front = browser.get("/").await;
    assert_eq!(front.status, StatusCode::OK, "{}", front.body);
    assert!(
        front.body.contains("Velkommen, Test proposer"),
        "{}",
        front.body
    );
    assert!(front.body.contains("Region Syddanmark"), "{}", front.body);
    assert!(front.body.contains("Forslagsstiller"));
    for screen in [
        "/tasks",
        "/cases",
        "/meetings",
        "/workflows/syddanmark",
        "/public/syddanmark",
    ] {
        assert!(
            front.body.contains(&format!("href=\"{screen}\"")),
            "{screen}"
        );
    }
}

async fn the_sixth_failed_login_is_refused_with_a_wait_message(db: &TestDb) {
    member(&db.engine, "anne@rsyd.dk", "syddanmark", "proposer").await;
    let mut browser = Browser::new(&db.engine);
    for _ in 0..5 {
        let page = browser.log_in("anne@rsyd.dk", "forkert adgangskode").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("E-mail eller adgangskode er forkert."));
    }

    let page = browser.log_in("anne@rsyd.dk", PASSWORD).await;

    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(page.body.contains("Vent 15 minut(ter)"), "{}", page.body);
    assert!(!browser.cookies.contains_key("overdrag_session"));
    // Another email is not affected.
    member(&db.engine, "bo@rsyd.dk", "syddanmark", "proposer").await;
    assert_eq!(
        browser.log_in("bo@rsyd.dk", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

async fn an_admin_adds_a_user_and_a_role(db: &TestDb) {
    member(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await;
    let mut admin = Browser::new(&db.engine);
    admin.log_in("admin@rsyd.dk", PASSWORD).await;
    let users = admin.get("/admin/users").await;
    let csrf = users.csrf();
    // The administrator sees which role each option grants.
    let roles = users.options("role");
    for role in [
        "Forslagsstiller",
        "Sekretariat",
        "Økonom",
        "Sundhedsråd",
        "Administrator",
    ] {
        assert!(roles.iter().any(|r| r == role), "{role} in {roles:?}");
    }
    assert!(!roles.iter().any(|r| r == "Rolle"), "{roles:?}");

    let added = admin
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("name", "Karen Økonom"),
                ("email", "karen@rsyd.dk"),
                ("language", "en"),
                ("password", "karens gode kodeord"),
                ("region", "syddanmark"),
                ("role", "proposer"),
            ],
        )
        .await;

    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let list = admin.get(added.location()).await;
    assert!(
        list.body.contains("Brugeren Karen Økonom er oprettet."),
        "{}",
        list.body
    );
    assert!(list.body.contains("karen@rsyd.dk"));
    let karen_id = db
        .engine
        .user_directory(&person(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await)
        .await
        .unwrap()
        .users
        .into_iter()
        .find(|u| u.email == "karen@rsyd.dk")
        .unwrap()
        .id
        .to_string();
    let granted = admin
        .post(
            "/admin/users/roles",
            &[
                ("csrf", &csrf),
                ("user", &karen_id),
                ("region", "syddanmark"),
                ("role", "economist"),
            ],
        )
        .await;
    assert_eq!(granted.status, StatusCode::SEE_OTHER, "{}", granted.body);
    let mut karen = Browser::new(&db.engine);
    assert_eq!(
        karen
            .log_in("karen@rsyd.dk", "karens gode kodeord")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let front = karen.get("/").await;
    assert!(
        front.body.contains("Welcome, Karen Økonom"),
        "her language: {}",
        front.body
    );
    assert!(front.body.contains("Economist") && front.body.contains("Proposer"));

    let removed = admin
        .post(
            "/admin/users/roles/remove",
            &[
                ("csrf", &csrf),
                ("user", &karen_id),
                ("region", "syddanmark"),
                ("role", "economist"),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(!karen.get("/").await.body.contains("Economist"));
}

on_both_databases!(
    login_works_and_sets_a_session_cookie,
    the_sixth_failed_login_is_refused_with_a_wait_message,
    an_admin_adds_a_user_and_a_role,
);

#[tokio::test]
async fn a_page_needs_a_login_and_comes_back_after_it() {
    let db = TestDb::sqlite().await;
    member(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await;
    let mut browser = Browser::new(&db.engine);

    let page = browser.get("/admin/users?x=1").await;

    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?next=/admin/users%3Fx%3D1");
    let login = browser.get(page.location()).await;
    let csrf = login.csrf();
    // Handlebars escapes `=` as an entity; the browser sends it back as `=`.
    assert!(
        login
            .body
            .contains("name=\"next\" value=\"/admin/users?x&#x3D;1\""),
        "{}",
        login.body
    );
    let page = browser
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "admin@rsyd.dk"),
                ("password", PASSWORD),
                ("next", "/admin/users?x=1"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/admin/users?x=1");
    // Never on to another site.
    let mut other = Browser::new(&db.engine);
    let csrf = other.get("/login").await.csrf();
    let page = other
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "admin@rsyd.dk"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let db = TestDb::sqlite().await;
    member(&db.engine, "anne@rsyd.dk", "syddanmark", "proposer").await;
    let mut browser = Browser::new(&db.engine);

    let wrong_password = browser.log_in("anne@rsyd.dk", "forkert adgangskode").await;
    let unknown_email = browser
        .log_in("nobody@rsyd.dk", "forkert adgangskode")
        .await;

    assert_eq!(wrong_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown_email.status, wrong_password.status);
    assert!(
        wrong_password
            .body
            .contains("E-mail eller adgangskode er forkert.")
    );
    assert!(
        unknown_email
            .body
            .contains("E-mail eller adgangskode er forkert.")
    );
    // The summary links to the field; the typed email is kept, the password is not.
    assert!(unknown_email.body.contains("href=\"#email\""));
    assert!(unknown_email.body.contains("value=\"nobody@rsyd.dk\""));
    assert!(!unknown_email.body.contains("forkert adgangskode"));
    assert!(!browser.cookies.contains_key("overdrag_session"));
}

#[tokio::test]
async fn a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let db = TestDb::sqlite().await;
    member(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await;
    let mut browser = Browser::new(&db.engine);
    browser.log_in("admin@rsyd.dk", PASSWORD).await;
    let fields = [
        ("name", "Ny Bruger"),
        ("email", "ny@rsyd.dk"),
        ("language", "da"),
        ("password", "en lang adgangskode"),
        ("region", "syddanmark"),
        ("role", "proposer"),
    ];

    let without = browser.post("/admin/users", &fields).await;
    let mut wrong = fields.to_vec();
    wrong.push(("csrf", "0000"));
    let wrong = browser.post("/admin/users", &wrong).await;
    let logout = browser.post("/logout", &[("csrf", "0000")]).await;

    assert_eq!(without.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert!(
        wrong.body.contains("Formularen er udløbet"),
        "{}",
        wrong.body
    );
    let list = browser.get("/admin/users").await;
    assert_eq!(list.status, StatusCode::OK, "still logged in");
    assert!(!list.body.contains("ny@rsyd.dk"), "no user was added");
    // The login form is protected too.
    let mut stranger = Browser::new(&db.engine);
    let page = stranger
        .post(
            "/login",
            &[("email", "admin@rsyd.dk"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let db = TestDb::sqlite().await;
    member(&db.engine, "anne@rsyd.dk", "syddanmark", "proposer").await;
    let mut browser = Browser::new(&db.engine);
    browser.log_in("anne@rsyd.dk", PASSWORD).await;
    let token = browser.cookies["overdrag_session"].clone();
    let csrf = browser.get("/").await.csrf();

    let page = browser.post("/logout", &[("csrf", &csrf)]).await;

    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login");
    assert!(!browser.cookies.contains_key("overdrag_session"));
    // The old token is dead, not merely forgotten by the browser.
    browser.cookies.insert("overdrag_session".into(), token);
    let page = browser.get("/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login");
    // A GET of /logout changes nothing.
    assert_eq!(
        browser.get("/logout").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn the_language_switch_is_remembered_and_english_pages_are_english() {
    let db = TestDb::sqlite().await;
    member(&db.engine, "anne@rsyd.dk", "syddanmark", "proposer").await;
    let mut browser = Browser::new(&db.engine);
    let danish = browser.get("/login").await;
    assert!(danish.body.contains("<html lang=\"da\">"));
    assert!(danish.body.contains("Adgangskode"));

    let switched = browser
        .post(
            "/language",
            &[("csrf", &danish.csrf()), ("lang", "en"), ("next", "/login")],
        )
        .await;

    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(switched.location(), "/login");
    let english = browser.get("/login").await;
    assert!(
        english.body.contains("<html lang=\"en\">"),
        "{}",
        english.body
    );
    assert!(english.body.contains("Password") && !english.body.contains("Adgangskode"));
    let refused = browser.log_in("anne@rsyd.dk", "wrong password").await;
    assert!(refused.body.contains("The email or the password is wrong."));
    browser.log_in("anne@rsyd.dk", PASSWORD).await;
    let front = browser.get("/").await;
    assert!(
        front.body.contains("Welcome, Test proposer"),
        "{}",
        front.body
    );
    assert!(front.body.contains("My tasks"));
    assert!(
        browser
            .get("/nowhere")
            .await
            .body
            .contains("Page not found")
    );
}

/// The `src`/`href` of every `<link>`, `<script>` and `<img>` in the page.
fn asset_references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for tag in ["<link", "<script", "<img"] {
        for part in html.split(tag).skip(1) {
            let tag_text = part.split('>').next().unwrap();
            for attribute in ["href=\"", "src=\""] {
                if let Some(start) = tag_text.find(attribute) {
                    let rest = &tag_text[start + attribute.len()..];
                    found.push(rest[..rest.find('"').unwrap()].to_owned());
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn every_page_loads_assets_only_from_this_server() {
    let db = TestDb::sqlite().await;
    member(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await;
    let mut browser = Browser::new(&db.engine);
    let mut pages = vec![browser.get("/login").await];
    browser.log_in("admin@rsyd.dk", PASSWORD).await;
    for uri in ["/", "/admin/users", "/tasks"] {
        pages.push(browser.get(uri).await);
    }

    for page in &pages {
        let references = asset_references(&page.body);
        assert!(references.len() >= 2, "{}", page.body);
        for reference in references {
            assert!(reference.starts_with("/static/"), "{reference}");
            assert!(!reference.contains("http://") && !reference.contains("https://"));
        }
        assert!(!page.body.contains("<script"), "pages need no JavaScript");
        let csp = page.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(page.headers.contains_key(header::REFERRER_POLICY));
        for landmark in ["<header", "<nav", "<main", "<footer", "class=\"skipnav\""] {
            assert!(
                page.body.contains(landmark)
                    || (landmark == "<nav" && page.body.contains("Log ind")),
                "{landmark}"
            );
        }
    }
}

#[tokio::test]
async fn the_static_css_and_fonts_are_served_with_their_types_and_a_long_cache() {
    let db = TestDb::sqlite().await;
    let mut browser = Browser::new(&db.engine);

    let css = browser.get("/static/dkfds/css/dkfds.min.css?v=1").await;
    let own = browser.get("/static/overdrag.css").await;
    let font = browser
        .get("/static/dkfds/fonts/IBMPlexSans/complete/woff2/IBMPlexSans-Regular.woff2")
        .await;
    let missing = browser.get("/static/dkfds/css/none.css").await;

    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(
        css.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    assert_eq!(own.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert_eq!(font.headers[header::CONTENT_TYPE], "font/woff2");
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_user_who_is_not_admin_gets_403_naming_the_role_needed() {
    let db = TestDb::sqlite().await;
    member(&db.engine, "anne@rsyd.dk", "syddanmark", "proposer").await;
    let mut browser = Browser::new(&db.engine);
    browser.log_in("anne@rsyd.dk", PASSWORD).await;
    let csrf = browser.get("/").await.csrf();

    let page = browser.get("/admin/users").await;
    let post = browser
        .post(
            "/admin/users/roles",
            &[
                ("csrf", &csrf),
                ("user", "1"),
                ("region", "syddanmark"),
                ("role", "admin"),
            ],
        )
        .await;

    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Du har ikke adgang"), "{}", page.body);
    assert!(page.body.contains("Administrator"));
    assert!(
        page.body.contains("Test proposer"),
        "the layout still shows who is logged in"
    );
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    assert!(!browser.get("/").await.body.contains("Administrator"));
}

#[tokio::test]
async fn a_form_with_errors_shows_the_summary_and_keeps_what_was_typed() {
    let db = TestDb::sqlite().await;
    member(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await;
    let mut browser = Browser::new(&db.engine);
    browser.log_in("admin@rsyd.dk", PASSWORD).await;
    let csrf = browser.get("/admin/users").await.csrf();

    let page = browser
        .post(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("name", "Lise Hansen"),
                ("email", "lise@"),
                ("language", "en"),
                ("password", "kort"),
                ("region", "syddanmark"),
                ("role", "secretariat"),
            ],
        )
        .await;

    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("Der er problemer med det indtastede"));
    assert!(page.body.contains("href=\"#email\"") && page.body.contains("href=\"#password\""));
    assert!(
        page.body
            .contains("Adgangskoden skal være mellem 10 og 128 tegn.")
    );
    assert!(page.body.contains("value=\"Lise Hansen\"") && page.body.contains("value=\"lise@\""));
    assert!(
        page.body
            .contains("<option value=\"secretariat\" selected>")
    );
    assert!(page.body.contains("<option value=\"en\" selected>"));
    assert!(
        !page.body.contains("value=\"kort\""),
        "a password is never sent back"
    );
}

#[tokio::test]
async fn unknown_paths_get_an_html_page_and_the_api_keeps_its_problem_documents() {
    let db = TestDb::sqlite().await;
    let mut browser = Browser::new(&db.engine);

    let page = browser.get("/no/such/page").await;
    let api = browser.get("/api/v1/no/such/thing").await;

    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("Siden findes ikke"));
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(
        api.headers[header::CONTENT_TYPE],
        "application/problem+json"
    );
}
