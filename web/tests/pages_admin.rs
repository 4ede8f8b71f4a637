//! The administration pages for organisations and the mail outbox, and each user's own
//! settings, through the real router on a real database — on SQLite, and on PostgreSQL as
//! ignored tests run by `.ci/run`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Browser, Page, member};

use axum::http::StatusCode;
use overdrag_engine::cases::NewCase;
use overdrag_engine::domain::description::ProfessionalDescription;
use overdrag_engine::{Actor, Engine};
use overdrag_tests::{TestDb, on_both_databases, party, person};

/// Logs in a new admin of Syddanmark.
async fn syddanmark_admin(db: &TestDb) -> (Actor, Browser) {
    let actor = member(&db.engine, "admin@rsyd.dk", "syddanmark", "admin").await;
    let mut browser = Browser::new(&db.engine);
    browser.sign_in("admin@rsyd.dk").await;
    (actor, browser)
}

/// A Syddanmark case created, described and withdrawn: its mails to the parties, who have
/// no contact address, have failed. Returns its id and number.
async fn withdrawn_case(engine: &Engine, proposer: &Actor) -> (i64, String) {
    let input = NewCase {
        region: "syddanmark".into(),
        title: "IV-behandling i eget hjem".into(),
        kind: "transfer".into(),
        giving_party_id: party(engine, "syddanmark", "Odense Universitetshospital").await,
        receiving_party_id: party(engine, "syddanmark", "Odense Kommune").await,
    };
    let case = engine.create_case(proposer, input).await.unwrap();
    let description = ProfessionalDescription {
        task: "IV-antibiotika i eget hjem".into(),
        target_group: "Stabile voksne".into(),
        volume_per_year: Some(420),
        competences: "Infusion".into(),
        responsibility: "Hospitalet".into(),
        quality_and_safety: "Instruks".into(),
        documentation: "MedCom".into(),
        timeline: "1. april".into(),
        ..Default::default()
    };
    let case = engine
        .revise_description(proposer, case.id, case.version, description)
        .await
        .unwrap();
    let case = engine
        .transition(proposer, case.id, case.version, "withdraw", None)
        .await
        .unwrap();
    (case.id, case.number)
}

/// The id of the first `<tr id="mail-…">` of the page whose row has a resend button.
fn first_failed_mail(page: &Page) -> String {
    let marker = "id=\"resend-";
    let start = page.body.find(marker).expect("a resend button") + marker.len();
    let end = page.body[start..].find('"').unwrap();
    page.body[start..start + end].to_owned()
}

async fn an_admin_sees_the_organisations_and_saves_a_contact_address(db: &TestDb) {
    let (admin, mut browser) = syddanmark_admin(db).await;
    let odense = party(&db.engine, "syddanmark", "Odense Kommune").await;

    let page = browser.get("/admin/organisations").await;

    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<h1>Organisationer: Region Syddanmark</h1>")
    );
    for heading in [
        "<h2>Hospitaler</h2>",
        "<h2>Kommuner (med kommunekode)</h2>",
        "<h2>Almen praksis</h2>",
        "<h2>Regionen</h2>",
    ] {
        assert!(page.body.contains(heading), "{heading}");
    }
    assert!(
        page.body
            .contains("Odense Kommune</th>\n      <td>461</td>")
    );
    assert!(
        page.body
            .contains("<th scope=\"row\">Odense Universitetshospital")
    );
    assert!(page.body.contains(&format!(
        "<label class=\"sr-only\" for=\"contact_email-{odense}\">Kontaktadresse for Odense Kommune</label>"
    )));
    assert!(!page.body.contains("<script"));

    let saved = browser
        .post(
            &format!("/admin/organisations/{odense}/contact"),
            &[
                ("csrf", &page.csrf()),
                ("region", "syddanmark"),
                ("contact_email", " Sundhed@Odense.dk "),
            ],
        )
        .await;

    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location(),
        format!("/admin/organisations?region=syddanmark&saved={odense}#contact_email-{odense}")
    );
    let after = browser.get(saved.location()).await;
    assert!(
        after
            .body
            .contains("Kontaktadressen for Odense Kommune er gemt."),
        "{}",
        after.body
    );
    assert!(after.body.contains("value=\"sundhed@odense.dk\""));
    let stored = db
        .engine
        .organisations(&admin, "syddanmark")
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.id == odense)
        .unwrap();
    assert_eq!(stored.contact_email.as_deref(), Some("sundhed@odense.dk"));

    // An empty field removes the address.
    let removed = browser
        .post(
            &format!("/admin/organisations/{odense}/contact"),
            &[
                ("csrf", &page.csrf()),
                ("region", "syddanmark"),
                ("contact_email", ""),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let stored = db.engine.organisations(&admin, "syddanmark").await.unwrap();
    assert_eq!(
        stored
            .iter()
            .find(|o| o.id == odense)
            .unwrap()
            .contact_email,
        None
    );
}

async fn a_bad_contact_address_comes_back_naming_the_organisation(db: &TestDb) {
    let (admin, mut browser) = syddanmark_admin(db).await;
    let odense = party(&db.engine, "syddanmark", "Odense Kommune").await;
    let csrf = browser.get("/admin/organisations").await.csrf();

    let page = browser
        .post(
            &format!("/admin/organisations/{odense}/contact"),
            &[
                ("csrf", &csrf),
                ("region", "syddanmark"),
                ("contact_email", "sundhed.odense.dk"),
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
    assert!(
        page.body
            .contains(&format!("href=\"#contact_email-{odense}\"")),
        "the summary links to the organisation's field: {}",
        page.body
    );
    assert!(
        page.body
            .contains("Skriv en fuld e-mailadresse for Odense Kommune")
    );
    assert!(
        page.body.contains("value=\"sundhed.odense.dk\""),
        "what was typed is kept"
    );
    assert!(page.body.contains("aria-invalid=\"true\""));
    assert_eq!(page.count("aria-invalid=\"true\""), 1, "only that row");
    let stored = db.engine.organisations(&admin, "syddanmark").await.unwrap();
    assert_eq!(
        stored
            .iter()
            .find(|o| o.id == odense)
            .unwrap()
            .contact_email,
        None,
        "nothing was saved"
    );
}

async fn the_outbox_lists_filters_and_resends_a_failed_mail(db: &TestDb) {
    let (admin, mut browser) = syddanmark_admin(db).await;
    let proposer = person(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let (case_id, number) = withdrawn_case(&db.engine, &proposer).await;

    let all = browser.get("/admin/outbox").await;

    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert!(all.body.contains("<h1>Udbakke</h1>"));
    assert!(
        all.body
            .contains(&format!("<a href=\"/cases/{case_id}\">{number}</a>")),
        "{}",
        all.body
    );
    assert!(all.body.contains("<code>case_withdrawn</code>"));
    assert!(all.body.contains("Fejlet"), "party mails have failed");
    assert!(!all.body.contains("<script"));

    let failed = browser
        .get("/admin/outbox?region=syddanmark&status=failed")
        .await;
    assert_eq!(failed.status, StatusCode::OK);
    assert!(
        failed
            .body
            .contains("<option value=\"failed\" selected>Fejlet</option>")
    );
    assert_eq!(
        failed.count("badge badge-error"),
        failed.count("<tr id=\"mail-"),
        "only failed mails"
    );
    assert!(
        failed.body.contains("kontaktadresse"),
        "the last error is shown"
    );
    let pending = browser
        .get("/admin/outbox?region=syddanmark&status=pending")
        .await;
    assert!(
        !pending.body.contains("id=\"resend-"),
        "no resend on pending mails"
    );

    // Resending fails while the party has no address, and says so.
    let id = first_failed_mail(&failed);
    let csrf = failed.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("region", "syddanmark"),
        ("status", "failed"),
        ("page", "1"),
    ];
    let refused = browser
        .post(&format!("/admin/outbox/{id}/resend"), &form)
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
            .contains("Modtageren har stadig ingen kontaktadresse")
    );
    assert!(refused.body.contains(&format!("href=\"#resend-{id}\"")));

    // With addresses for the parties, it goes back in the queue.
    for organisation in db.engine.organisations(&admin, "syddanmark").await.unwrap() {
        db.engine
            .set_contact_email(&admin, organisation.id, Some("post@example.dk"))
            .await
            .unwrap();
    }
    let resent = browser
        .post(&format!("/admin/outbox/{id}/resend"), &form)
        .await;
    assert_eq!(resent.status, StatusCode::SEE_OTHER, "{}", resent.body);
    assert_eq!(
        resent.location(),
        format!("/admin/outbox?region=syddanmark&status=failed&page=1&resent={id}#mail-{id}")
    );
    let pending = db
        .engine
        .outbox(&admin, "syddanmark", Some("pending"), 1, 200)
        .await
        .unwrap();
    assert!(
        pending.items.iter().any(|m| m.id.to_string() == id),
        "the mail waits to be sent again"
    );
    let back = browser.get(resent.location()).await;
    assert!(
        back.body
            .contains("Mailen sendes igen. Den står nu med status Venter."),
        "the mail has left the failed ones: {}",
        back.body
    );
    let all = browser
        .get(&format!("/admin/outbox?region=syddanmark&resent={id}"))
        .await;
    assert!(
        all.body
            .contains(&format!("Mailen om sag {number} sendes igen.")),
        "{}",
        all.body
    );
}

async fn the_outbox_is_paged_by_25(db: &TestDb) {
    let (admin, mut browser) = syddanmark_admin(db).await;
    let proposer = person(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let mut total = 0;
    while total <= 25 {
        withdrawn_case(&db.engine, &proposer).await;
        total = db
            .engine
            .outbox(&admin, "syddanmark", None, 1, 1)
            .await
            .unwrap()
            .total;
    }

    let first = browser.get("/admin/outbox?region=syddanmark").await;
    let second = browser.get("/admin/outbox?region=syddanmark&page=2").await;

    assert_eq!(first.count("<tr id=\"mail-"), 25);
    assert!(
        first
            .body
            .contains(&format!("Mails i alt: {total}. Side 1 af 2."))
    );
    // Handlebars escapes `=` and `&`; the browser reads them back.
    assert!(
        first
            .body
            .contains("href=\"/admin/outbox?region&#x3D;syddanmark&amp;page&#x3D;2\" rel=\"next\""),
        "{}",
        first.body
    );
    assert!(!first.body.contains("rel=\"prev\""));
    assert_eq!(
        second.count("<tr id=\"mail-"),
        usize::try_from(total - 25).unwrap()
    );
    assert!(second.body.contains("rel=\"prev\"") && !second.body.contains("rel=\"next\""));
}

async fn a_user_sets_their_language_and_mail_digest(db: &TestDb) {
    let anne = member(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let mut browser = Browser::new(&db.engine);
    browser.sign_in("anne@ouh.dk").await;

    let page = browser.get("/settings").await;

    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Indstillinger</h1>"));
    assert!(page.body.contains("value=\"da\" checked"), "{}", page.body);
    assert!(
        page.body
            .contains("value=\"event\" aria-describedby=\"mail-event-hint\" checked")
    );
    assert!(
        page.body
            .contains("<legend class=\"form-label\">Sprog</legend>")
    );
    assert!(!page.body.contains("<script"));

    let saved = browser
        .post(
            "/settings",
            &[
                ("csrf", &page.csrf()),
                ("language", "en"),
                ("mail", "digest"),
            ],
        )
        .await;

    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/settings?saved=1");
    assert_eq!(
        browser.cookies.get("overdrag_lang").map(String::as_str),
        Some("en"),
        "the pages follow at once"
    );
    let after = browser.get(saved.location()).await;
    assert!(after.body.contains("<html lang=\"en\">"));
    assert!(
        after.body.contains("Your settings are saved."),
        "{}",
        after.body
    );
    assert!(after.body.contains("value=\"en\" checked"));
    assert!(
        after
            .body
            .contains("value=\"digest\" aria-describedby=\"mail-digest-hint\" checked")
    );
    let stored = db.engine.user_settings(&anne).await.unwrap();
    assert_eq!(
        (stored.language.as_str(), stored.daily_digest),
        ("en", true)
    );
    assert!(db.engine.mail_preference(&anne).await.unwrap().daily_digest);

    // Without the cookie (another browser), the stored language still applies.
    let mut other = Browser::new(&db.engine);
    other.sign_in("anne@ouh.dk").await;
    assert!(other.get("/").await.body.contains("Welcome, Test proposer"));
}

async fn a_settings_form_without_choices_shows_the_summary(db: &TestDb) {
    let anne = member(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let mut browser = Browser::new(&db.engine);
    browser.sign_in("anne@ouh.dk").await;
    let csrf = browser.get("/settings").await.csrf();

    let page = browser
        .post("/settings", &[("csrf", &csrf), ("language", "de")])
        .await;

    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"#language-da\""));
    assert!(page.body.contains("Vælg dansk eller engelsk."));
    assert!(page.body.contains("href=\"#mail-event\""));
    assert!(page.body.contains("Vælg, hvordan du vil have dine mails."));
    assert!(
        !page.body.contains(" checked"),
        "nothing chosen is shown as chosen"
    );
    let kept = browser
        .post(
            "/settings",
            &[("csrf", &csrf), ("language", "xx"), ("mail", "digest")],
        )
        .await;
    assert_eq!(kept.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        kept.body
            .contains("value=\"digest\" aria-describedby=\"mail-digest-hint\" checked"),
        "the choice made is kept"
    );
    let stored = db.engine.user_settings(&anne).await.unwrap();
    assert_eq!(
        (stored.language.as_str(), stored.daily_digest),
        ("da", false)
    );
}

async fn another_regions_admin_gets_404_and_a_non_admin_403(db: &TestDb) {
    let (_, mut syd) = syddanmark_admin(db).await;
    member(&db.engine, "admin@rn.dk", "nordjylland", "admin").await;
    member(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let proposer = person(&db.engine, "bo@ouh.dk", "syddanmark", "proposer").await;
    withdrawn_case(&db.engine, &proposer).await;
    let mail = first_failed_mail(&syd.get("/admin/outbox?status=failed").await);
    let odense = party(&db.engine, "syddanmark", "Odense Kommune").await;
    let mut nord = Browser::new(&db.engine);
    nord.sign_in("admin@rn.dk").await;
    let csrf = nord.get("/admin/organisations").await.csrf();

    let organisations = nord.get("/admin/organisations?region=syddanmark").await;
    let outbox = nord.get("/admin/outbox?region=syddanmark").await;
    let contact = nord
        .post(
            &format!("/admin/organisations/{odense}/contact"),
            &[("csrf", &csrf), ("contact_email", "x@nord.dk")],
        )
        .await;
    let resend = nord
        .post(&format!("/admin/outbox/{mail}/resend"), &[("csrf", &csrf)])
        .await;

    for page in [&organisations, &outbox, &contact, &resend] {
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
        assert!(page.body.contains("Siden findes ikke"));
    }
    let own = nord.get("/admin/organisations").await;
    assert!(own.body.contains("Region Nordjylland") && own.body.contains("Aalborg Kommune"));
    assert!(!own.body.contains("Odense"));

    let mut anne = Browser::new(&db.engine);
    anne.sign_in("anne@ouh.dk").await;
    for uri in ["/admin/organisations", "/admin/outbox"] {
        let page = anne.get(uri).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{uri}: {}", page.body);
        assert!(page.body.contains("Administrator"), "names the role needed");
    }
    let csrf = anne.get("/settings").await.csrf();
    let contact = anne
        .post(
            &format!("/admin/organisations/{odense}/contact"),
            &[("csrf", &csrf), ("contact_email", "x@odense.dk")],
        )
        .await;
    assert_eq!(contact.status, StatusCode::FORBIDDEN);
}

async fn the_councils_page_lists_the_regions_councils_and_an_admin_moves_a_municipality(
    db: &TestDb,
) {
    let (admin, mut browser) = syddanmark_admin(db).await;
    let middelfart = party(&db.engine, "syddanmark", "Middelfart Kommune").await;
    let fyn = db
        .engine
        .councils(&admin, "syddanmark")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Sundhedsråd Fyn")
        .unwrap()
        .id;

    let page = browser.get("/admin/councils").await;

    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<h1>Sundhedsråd: Region Syddanmark</h1>")
    );
    for council in [
        "Sundhedsråd Fyn",
        "Sundhedsråd Lillebælt",
        "Sundhedsråd Sydvestjylland",
        "Sundhedsråd Sønderjylland",
    ] {
        assert!(page.body.contains(&format!(">{council}</h2>")), "{council}");
    }
    assert_eq!(page.count("<h2 id=\"council-"), 4);
    // The uncertain placements carry their note.
    assert!(page.body.contains(
        "<li>Middelfart Kommune <span class=\"badge badge-warning\">Usikker</span> <span class=\"od-muted\">source lists it under two councils; best reading</span></li>"
    ), "{}", page.body);
    assert!(
        page.body
            .contains("<h2 id=\"move-heading\">Flyt en kommune</h2>")
    );
    assert!(page.body.contains("action=\"/admin/councils/moves\""));
    assert!(
        page.body.contains(
            "<li class=\"active\"><a href=\"/admin\" class=\"nav-link\" aria-current=\"page\">"
        ),
        "the menu's administration entry is marked current: {}",
        page.body
    );
    let admin_home = browser.get("/admin").await;
    assert_eq!(admin_home.status, StatusCode::OK, "{}", admin_home.body);
    assert!(
        admin_home.body.contains("href=\"/admin/councils\""),
        "linked from the administration"
    );
    assert!(!page.body.contains("<script"));

    let moved = browser
        .post(
            "/admin/councils/moves",
            &[
                ("csrf", &page.csrf()),
                ("region", "syddanmark"),
                ("municipality_id", &middelfart.to_string()),
                ("council_id", &fyn.to_string()),
                (
                    "reason",
                    "Kommunen samarbejder med OUH og har meldt sig til Fyn.",
                ),
            ],
        )
        .await;

    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert_eq!(
        moved.location(),
        format!("/admin/councils?region=syddanmark&moved={middelfart}#council-{fyn}")
    );
    let after = browser.get(moved.location()).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    assert!(
        after
            .body
            .contains("Middelfart Kommune er flyttet til Sundhedsråd Fyn."),
        "{}",
        after.body
    );
    let fyn_section = &after.body[after.body.find(&format!("id=\"council-{fyn}\"")).unwrap()..];
    let fyn_section = &fyn_section[..fyn_section.find("</ul>").unwrap()];
    assert!(
        fyn_section.contains(
            "<li>Middelfart Kommune <span class=\"badge badge-success\">Flyttet</span></li>"
        ),
        "{fyn_section}"
    );
    let councils = db.engine.councils(&admin, "syddanmark").await.unwrap();
    let holding: Vec<&str> = councils
        .iter()
        .filter(|c| {
            c.municipalities
                .iter()
                .any(|m| m.municipality.id == middelfart)
        })
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(holding, ["Sundhedsråd Fyn"]);
}

async fn a_move_without_a_reason_comes_back_with_the_summary(db: &TestDb) {
    let (admin, mut browser) = syddanmark_admin(db).await;
    let middelfart = party(&db.engine, "syddanmark", "Middelfart Kommune").await;
    let fyn = db
        .engine
        .councils(&admin, "syddanmark")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Sundhedsråd Fyn")
        .unwrap()
        .id;
    let csrf = browser.get("/admin/councils").await.csrf();

    let refused = browser
        .post(
            "/admin/councils/moves",
            &[
                ("csrf", &csrf),
                ("region", "syddanmark"),
                ("municipality_id", &middelfart.to_string()),
                ("council_id", &fyn.to_string()),
                ("reason", "  "),
            ],
        )
        .await;

    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("role=\"alert\""));
    assert!(
        refused.body.contains(
            "<li><a href=\"#reason\" class=\"function-link\">Skriv en begrundelse på 3 til 1000 tegn.</a></li>"
        ),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("id=\"reason\" name=\"reason\""));
    assert!(refused.body.contains("aria-invalid=\"true\""));
    // The choices are kept.
    assert!(refused.body.contains(&format!(
        "<option value=\"{middelfart}\" selected>Middelfart Kommune (Sundhedsråd Lillebælt)</option>"
    )), "{}", refused.body);
    assert!(refused.body.contains(&format!(
        "<option value=\"{fyn}\" selected>Sundhedsråd Fyn</option>"
    )));

    // Nothing chosen: both selects are named and linked.
    let empty = browser
        .post(
            "/admin/councils/moves",
            &[
                ("csrf", &csrf),
                ("region", "syddanmark"),
                ("municipality_id", ""),
                ("council_id", ""),
                ("reason", "Fordi kilderne er uenige."),
            ],
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.body
    );
    assert!(empty.body.contains("href=\"#municipality_id\""));
    assert!(empty.body.contains("href=\"#council_id\""));
    assert!(empty.body.contains(">Fordi kilderne er uenige.</textarea>"));
    let councils = db.engine.councils(&admin, "syddanmark").await.unwrap();
    assert!(
        councils
            .iter()
            .find(|c| c.name == "Sundhedsråd Lillebælt")
            .unwrap()
            .municipalities
            .iter()
            .any(|m| m.municipality.id == middelfart),
        "nothing moved"
    );
}

async fn a_member_reads_the_councils_without_the_form_and_may_not_move(db: &TestDb) {
    member(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let middelfart = party(&db.engine, "syddanmark", "Middelfart Kommune").await;
    let mut anne = Browser::new(&db.engine);
    anne.sign_in("anne@ouh.dk").await;

    let page = anne.get("/admin/councils").await;

    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Sundhedsråd Sønderjylland"));
    assert!(!page.body.contains("Flyt en kommune"));
    assert!(!page.body.contains("/admin/councils/moves"));
    assert!(
        !page.body.contains("href=\"/admin/councils\""),
        "no admin links"
    );

    let refused = anne
        .post(
            "/admin/councils/moves",
            &[
                ("csrf", &page.csrf()),
                ("region", "syddanmark"),
                ("municipality_id", &middelfart.to_string()),
                ("council_id", "1"),
                ("reason", "Jeg vil gerne flytte den."),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // Another region's member does not see Syddanmark's councils; a region before the
    // reform has none.
    member(&db.engine, "bo@rh.dk", "hovedstaden", "proposer").await;
    let mut bo = Browser::new(&db.engine);
    bo.sign_in("bo@rh.dk").await;
    let other = bo.get("/admin/councils?region=syddanmark").await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "{}", other.body);
    let own = bo.get("/admin/councils").await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(
        own.body.contains("Regionen har ingen sundhedsråd."),
        "{}",
        own.body
    );
}

/// The section of a councils page for `council`, up to the next council.
fn council_section<'a>(page: &'a Page, council: i64) -> &'a str {
    let start = page
        .body
        .find(&format!("id=\"council-{council}\""))
        .unwrap();
    let section = &page.body[start..];
    let end = section[1..].find("<h2 ").map_or(section.len(), |e| e + 1);
    &section[..end]
}

async fn an_admin_seats_a_council_member_and_takes_them_off_again(db: &TestDb) {
    let (admin, mut browser) = syddanmark_admin(db).await;
    let rikke = member(&db.engine, "rikke@odense.dk", "syddanmark", "council").await;
    let anne = member(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let fyn = db
        .engine
        .councils(&admin, "syddanmark")
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Sundhedsråd Fyn")
        .unwrap()
        .id;

    let page = browser.get("/admin/councils").await;
    let section = council_section(&page, fyn);
    assert!(section.contains("Ingen medlemmer endnu."), "{section}");
    assert!(
        section.contains(&format!("<option value=\"{}\">", rikke.user_id)),
        "a holder of the council role is offered: {section}"
    );
    assert!(
        !section.contains(&format!("<option value=\"{}\">", anne.user_id)),
        "a proposer is not offered"
    );
    assert!(section.contains("<label class=\"form-label\" for=\"seat-"));

    let seated = browser
        .post(
            "/admin/councils/seats",
            &[
                ("csrf", &page.csrf()),
                ("region", "syddanmark"),
                ("council_id", &fyn.to_string()),
                ("user_id", &rikke.user_id.to_string()),
                ("seat", "true"),
            ],
        )
        .await;
    assert_eq!(seated.status, StatusCode::SEE_OTHER, "{}", seated.body);
    let after = browser.get(seated.location()).await;
    assert!(
        after.body.contains("sidder nu i Sundhedsråd Fyn."),
        "{}",
        after.body
    );
    let section = council_section(&after, fyn);
    assert!(section.contains("Fjern "), "{section}");
    assert!(
        !section.contains(&format!("<option value=\"{}\">", rikke.user_id)),
        "a member is not offered twice"
    );
    let fyn_members = |councils: Vec<overdrag_engine::councils::CouncilView>| {
        councils
            .into_iter()
            .find(|c| c.id == fyn)
            .unwrap()
            .members
            .into_iter()
            .map(|m| m.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fyn_members(db.engine.councils(&admin, "syddanmark").await.unwrap()),
        [rikke.user_id]
    );

    // A proposer cannot be seated: the refusal stands beside Fyn's form and in the summary.
    let refused = browser
        .post(
            "/admin/councils/seats",
            &[
                ("csrf", &page.csrf()),
                ("region", "syddanmark"),
                ("council_id", &fyn.to_string()),
                ("user_id", &anne.user_id.to_string()),
                ("seat", "true"),
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
        refused.body.contains(&format!("href=\"#seat-{fyn}\"")),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(&format!("id=\"seat-{fyn}-error\"")));

    let unseated = browser
        .post(
            "/admin/councils/seats",
            &[
                ("csrf", &page.csrf()),
                ("region", "syddanmark"),
                ("council_id", &fyn.to_string()),
                ("user_id", &rikke.user_id.to_string()),
                ("seat", "false"),
            ],
        )
        .await;
    assert_eq!(unseated.status, StatusCode::SEE_OTHER, "{}", unseated.body);
    let after = browser.get(unseated.location()).await;
    assert!(
        after
            .body
            .contains("sidder ikke længere i Sundhedsråd Fyn."),
        "{}",
        after.body
    );
    assert!(fyn_members(db.engine.councils(&admin, "syddanmark").await.unwrap()).is_empty());
}

on_both_databases!(
    an_admin_sees_the_organisations_and_saves_a_contact_address,
    a_bad_contact_address_comes_back_naming_the_organisation,
    the_outbox_lists_filters_and_resends_a_failed_mail,
    the_outbox_is_paged_by_25,
    a_user_sets_their_language_and_mail_digest,
    a_settings_form_without_choices_shows_the_summary,
    another_regions_admin_gets_404_and_a_non_admin_403,
    the_councils_page_lists_the_regions_councils_and_an_admin_moves_a_municipality,
    a_move_without_a_reason_comes_back_with_the_summary,
    a_member_reads_the_councils_without_the_form_and_may_not_move,
    an_admin_seats_a_council_member_and_takes_them_off_again,
);

#[tokio::test]
async fn the_admin_pages_are_english_after_the_switch_and_the_menu_links_them() {
    let db = TestDb::sqlite().await;
    let (_, mut admin) = syddanmark_admin(&db).await;
    member(&db.engine, "anne@ouh.dk", "syddanmark", "proposer").await;
    let csrf = admin.get("/").await.csrf();
    admin
        .post(
            "/language",
            &[("csrf", &csrf), ("lang", "en"), ("next", "/")],
        )
        .await;

    let organisations = admin.get("/admin/organisations").await;
    let outbox = admin.get("/admin/outbox").await;
    let settings = admin.get("/settings").await;

    assert!(
        organisations
            .body
            .contains("<h1>Organisations: Region Syddanmark</h1>")
    );
    assert!(
        organisations
            .body
            .contains("Municipalities (with municipality code)")
    );
    assert!(outbox.body.contains("<h1>Outbox</h1>") && outbox.body.contains("No mails"));
    assert!(settings.body.contains("One mail a day"));
    for page in [&organisations, &outbox, &settings] {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("<html lang=\"en\">"));
        assert!(!page.body.contains("<script"));
        for link in ["href=\"/settings\"", "href=\"/admin\""] {
            assert!(page.body.contains(link), "{link}");
        }
    }
    let admin_home = admin.get("/admin").await;
    assert_eq!(admin_home.status, StatusCode::OK, "{}", admin_home.body);
    assert!(admin_home.body.contains("<h1>Administration</h1>"));
    for link in [
        "href=\"/admin/users\"",
        "href=\"/admin/organisations\"",
        "href=\"/admin/councils\"",
        "href=\"/admin/outbox\"",
        "href=\"/admin/reform\"",
    ] {
        assert!(admin_home.body.contains(link), "{link}");
    }
    let mut anne = Browser::new(&db.engine);
    anne.sign_in("anne@ouh.dk").await;
    let front = anne.get("/").await;
    assert!(front.body.contains("href=\"/settings\""));
    assert!(
        !front.body.contains("href=\"/admin"),
        "no admin links for a proposer"
    );
    let refused = anne.get("/admin").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}

#[tokio::test]
async fn an_unknown_status_filter_is_a_bad_request() {
    let db = TestDb::sqlite().await;
    let (_, mut admin) = syddanmark_admin(&db).await;

    let page = admin.get("/admin/outbox?status=lost").await;

    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(page.body.contains("Forespørgslen kan ikke læses"));
}

#[tokio::test]
async fn the_admin_pages_need_a_login() {
    let db = TestDb::sqlite().await;
    let mut browser = Browser::new(&db.engine);

    for uri in ["/admin/organisations", "/admin/outbox", "/settings"] {
        let page = browser.get(uri).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{uri}");
        assert!(page.location().starts_with("/login?next="), "{uri}");
    }
}
