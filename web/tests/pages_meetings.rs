//! The meeting, decision, workflow, public and hearing-link screens through the real router on
//! a real database, as a browser without JavaScript uses them — on SQLite, and on PostgreSQL
//! as ignored tests run by `.ci/run`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Browser, Page, member};

use axum::http::StatusCode;
use overdrag_engine::cases::NewCase;
use overdrag_engine::cases::hearings::HearingAnswer;
use overdrag_engine::cases::meetings::NewMeeting;
use overdrag_engine::cases::view::CaseView;
use overdrag_engine::domain::economics::EconomicsLine;
use overdrag_engine::domain::role::Side;
use overdrag_engine::{Actor, Engine};
use overdrag_tests::{TestDb, full_description, on_both_databases, party};

impl Page {
    /// A page fit for a browser without JavaScript.
    fn assert_ok_without_script(&self) {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        assert!(!self.body.contains("<script"), "no script: {}", self.body);
    }
}

impl Browser {
    /// Opens `page` and posts `form` to `action` with the page's CSRF token.
    async fn submit(&mut self, page: &str, action: &str, form: &[(&str, &str)]) -> Page {
        let csrf = self.get(page).await.csrf();
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    fn in_english(mut self) -> Self {
        self.cookies.insert("overdrag_lang".into(), "en".into());
        self
    }
}

/// The people of Syddanmark, each able to log in, and two parties.
struct Syddanmark {
    proposer: Actor,
    secretariat: Actor,
    economist: Actor,
    steering: Actor,
    committee: Actor,
    hospital: i64,
    odense: i64,
}

async fn syddanmark(engine: &Engine) -> Syddanmark {
    Syddanmark {
        proposer: member(engine, "anne@ouh.dk", "syddanmark", "proposer").await,
        secretariat: member(engine, "mette@rsyd.dk", "syddanmark", "secretariat").await,
        economist: member(engine, "lars@rsyd.dk", "syddanmark", "economist").await,
        steering: member(engine, "jens@rsyd.dk", "syddanmark", "steering_group").await,
        committee: member(engine, "birgitte@rsyd.dk", "syddanmark", "committee").await,
        hospital: party(engine, "syddanmark", "Odense Universitetshospital").await,
        odense: party(engine, "syddanmark", "Odense Kommune").await,
    }
}

fn figures(s: &Syddanmark) -> Vec<EconomicsLine> {
    (2027..2031)
        .flat_map(|year| {
            [
                EconomicsLine {
                    party_id: s.hospital,
                    year,
                    one_off_costs: 0,
                    running_costs: 0,
                    savings: 4_500_000,
                },
                EconomicsLine {
                    party_id: s.odense,
                    year,
                    one_off_costs: 0,
                    running_costs: 3_900_000,
                    savings: 0,
                },
            ]
        })
        .collect()
}

async fn step(engine: &Engine, actor: &Actor, case: &CaseView, transition: &str) -> CaseView {
    let comment = transition.starts_with("re").then_some("Begrundelse.");
    engine
        .transition(actor, case.id, case.version, transition, comment)
        .await
        .unwrap_or_else(|e| panic!("{transition} from {}: {e}", case.state))
}

/// A case driven through description and economics, ready to be sent into its hearing.
async fn ready_for_hearing(engine: &Engine, s: &Syddanmark, title: &str) -> CaseView {
    let input = NewCase {
        region: "syddanmark".into(),
        title: title.into(),
        kind: "transfer".into(),
        giving_party_id: s.hospital,
        receiving_party_id: s.odense,
    };
    let mut case = engine.create_case(&s.proposer, input).await.unwrap();
    case = engine
        .revise_description(&s.proposer, case.id, case.version, full_description())
        .await
        .unwrap();
    case = step(engine, &s.proposer, &case, "submit").await;
    case = step(engine, &s.secretariat, &case, "accept_description").await;
    case = engine
        .replace_economics(&s.economist, case.id, case.version, figures(s), None)
        .await
        .unwrap();
    for side in [Side::Giving, Side::Receiving] {
        case = engine
            .sign_off_economics(&s.economist, case.id, case.version, side)
            .await
            .unwrap();
    }
    case
}

/// A case driven through description and economics into its hearing; the links of the heard.
async fn in_hearing(engine: &Engine, s: &Syddanmark, title: &str) -> (CaseView, Vec<String>) {
    let case = ready_for_hearing(engine, s, title).await;
    let case = step(engine, &s.secretariat, &case, "open_hearing").await;
    let opened = engine
        .open_hearing(&s.secretariat, case.id, None, None)
        .await
        .unwrap();
    (case, opened.links.into_iter().map(|l| l.token).collect())
}

/// "Send i høring" on the case page moves the case into its hearing and invites the parties in
/// one step; the page then shows the open hearing.
async fn sending_to_hearing_opens_the_hearing_in_the_same_step(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = ready_for_hearing(engine, &s, "IV-behandling i eget hjem").await;
    let here = format!("/cases/{}", case.id);
    let mut browser = Browser::logged_in(engine, "mette@rsyd.dk").await;
    let page = browser.get(&here).await;
    assert!(
        page.body
            .contains(&format!("action=\"/cases/{}/hearing\"", case.id)),
        "{}",
        page.body
    );
    assert!(page.body.contains("Høringen sendes med det samme"));
    let version = case.version.to_string();
    let sent = browser
        .submit(
            &here,
            &format!("/cases/{}/hearing", case.id),
            &[
                ("transition", "open_hearing"),
                ("version", &version),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let hearing = engine
        .hearing(&s.secretariat, case.id)
        .await
        .unwrap()
        .expect("the hearing is open");
    assert!(!hearing.parties.is_empty() && !hearing.closed);
    assert_eq!(
        engine.case(&s.secretariat, case.id).await.unwrap().state,
        "hearing"
    );
    let page = browser.get(&here).await;
    assert!(page.body.contains("Høringen er åben"), "{}", page.body);
    assert!(
        !page.body.contains("Åbn høringen"),
        "nothing is left to open"
    );
}

/// A case that has been heard and awaits the steering group.
async fn awaiting_steering_group(engine: &Engine, s: &Syddanmark, title: &str) -> CaseView {
    let (case, links) = in_hearing(engine, s, title).await;
    for token in &links {
        engine
            .answer_hearing_by_link(token, HearingAnswer::Agree, None)
            .await
            .unwrap();
    }
    let case = engine.case(&s.secretariat, case.id).await.unwrap();
    step(engine, &s.secretariat, &case, "close_hearing").await
}

/// A meeting of `body` held today with `cases` on its agenda, published: its members may
/// decide them now.
async fn meeting_with(engine: &Engine, s: &Syddanmark, body: &str, cases: &[&CaseView]) -> i64 {
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    overdrag_tests::meeting_today(engine, &s.secretariat, "syddanmark", body, &ids)
        .await
        .id
}

async fn the_secretariat_plans_a_meeting_places_reorders_and_publishes(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let first = awaiting_steering_group(engine, &s, "IV-behandling i eget hjem").await;
    let second = awaiting_steering_group(engine, &s, "Sårbehandling i kommunen").await;
    let mut browser = Browser::logged_in(engine, "mette@rsyd.dk").await;
    let list = browser.get("/meetings").await;
    list.assert_ok_without_script();
    assert!(list.body.contains("Planlæg et møde"), "{}", list.body);

    // A date that is no date: refused, the field named, everything typed kept.
    let refused = browser
        .submit(
            "/meetings",
            "/meetings",
            &[
                ("region", "syddanmark"),
                ("body", "steering_group"),
                ("title", "Styregruppemøde 7"),
                ("held_on", "31-02-2027"),
                ("material_deadline", "2099-01-01"),
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
        refused.body.contains("href=\"#held_on\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("Vælg en gyldig dato i kalenderen"));
    assert!(refused.body.contains("value=\"Styregruppemøde 7\""));
    assert!(refused.body.contains("value=\"31-02-2027\""));
    assert!(refused.body.contains("value=\"2099-01-01\""));
    assert!(
        engine
            .meetings(&s.secretariat, "syddanmark")
            .await
            .unwrap()
            .is_empty()
    );

    // A deadline after the meeting: the engine's refusal, in Danish, on its field.
    let held_on = (engine.today() + chrono::Duration::days(20)).to_string();
    let deadline = (engine.today() + chrono::Duration::days(10)).to_string();
    let after = (engine.today() + chrono::Duration::days(25)).to_string();
    let late = browser
        .submit(
            "/meetings",
            "/meetings",
            &[
                ("region", "syddanmark"),
                ("body", "steering_group"),
                ("title", "Styregruppemøde 7"),
                ("held_on", &held_on),
                ("material_deadline", &after),
            ],
        )
        .await;
    assert_eq!(
        late.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        late.body
    );
    assert!(
        late.body.contains("href=\"#material_deadline\""),
        "{}",
        late.body
    );
    assert!(
        late.body
            .contains("Materialefristen skal ligge på eller før mødedatoen.")
    );

    let planned = browser
        .submit(
            "/meetings",
            "/meetings",
            &[
                ("region", "syddanmark"),
                ("body", "steering_group"),
                ("title", "Styregruppemøde 8"),
                ("held_on", &held_on),
                ("material_deadline", &deadline),
            ],
        )
        .await;
    assert_eq!(planned.status, StatusCode::SEE_OTHER, "{}", planned.body);
    let meeting = engine
        .meetings(&s.secretariat, "syddanmark")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.title == "Styregruppemøde 8")
        .expect("the meeting is planned");
    let here = format!("/meetings/{}", meeting.id);
    assert_eq!(planned.location(), here);

    let page = browser.get(&here).await;
    page.assert_ok_without_script();
    assert!(
        page.body.contains(&first.number),
        "a candidate: {}",
        page.body
    );
    assert!(page.body.contains(&second.number));
    for case in [&first, &second] {
        let placed = browser
            .submit(
                &here,
                &format!("{here}/agenda"),
                &[("case_id", &case.id.to_string())],
            )
            .await;
        assert_eq!(placed.status, StatusCode::SEE_OTHER, "{}", placed.body);
    }
    // A case not awaiting the steering group is refused with the field named.
    let (in_hearing, _) = in_hearing(engine, &s, "Hjemmedialyse").await;
    let wrong = browser
        .submit(
            &here,
            &format!("{here}/agenda"),
            &[("case_id", &in_hearing.id.to_string())],
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert!(wrong.body.contains("href=\"#case_id\""), "{}", wrong.body);

    // The second goes up, first on the agenda.
    let moved = browser
        .submit(
            &here,
            &format!("{here}/agenda/order"),
            &[("case_id", &second.id.to_string()), ("position", "1")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    let order: Vec<i64> = engine
        .meeting(&s.secretariat, meeting.id)
        .await
        .unwrap()
        .agenda
        .iter()
        .map(|a| a.case_id)
        .collect();
    assert_eq!(order, [second.id, first.id]);
    let page = browser.get(&here).await;
    assert!(
        page.body.find(&second.number).unwrap() < page.body.find(&first.number).unwrap(),
        "shown in the new order"
    );
    assert!(page.body.contains("Offentliggør dagsordenen og send mails"));

    let published = browser.submit(&here, &format!("{here}/publish"), &[]).await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let page = browser.get(&here).await;
    page.assert_ok_without_script();
    assert!(
        page.body.contains("har fået besked pr. mail"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Offentliggør dagsordenen og send mails"));
    let meeting = engine.meeting(&s.secretariat, meeting.id).await.unwrap();
    assert!(meeting.published_at.is_some());

    // The list shows it published; the English page speaks English.
    let list = browser.get("/meetings?region=syddanmark").await;
    assert!(list.body.contains("Styregruppemøde 8"));
    assert!(list.body.contains("Offentliggjort"));
    let mut english = Browser::logged_in(engine, "mette@rsyd.dk")
        .await
        .in_english();
    let page = english.get(&here).await;
    page.assert_ok_without_script();
    assert!(
        page.body.contains("The agenda was published"),
        "{}",
        page.body
    );
    english
        .get(&format!("{here}/minutes"))
        .await
        .assert_ok_without_script();
}

async fn the_steering_group_recommends_and_the_committee_approves_on_their_screens(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = awaiting_steering_group(engine, &s, "IV-behandling i eget hjem").await;
    let steering_meeting = meeting_with(engine, &s, "steering_group", &[&case]).await;
    let case = engine.case(&s.steering, case.id).await.unwrap();
    let screen = format!("/meetings/{steering_meeting}/decide");

    let mut jens = Browser::logged_in(engine, "jens@rsyd.dk").await;
    let page = jens.get(&screen).await;
    page.assert_ok_without_script();
    for section in [
        "Sagsfremstilling",
        "Økonomiske konsekvenser",
        "Indstilling",
        "Styregruppens godkendelse",
    ] {
        assert!(page.body.contains(section), "{section}: {}", page.body);
    }
    assert!(page.body.contains("IV-antibiotika gives i eget hjem"));
    for transition in ["recommend", "return_to_proposer", "reject"] {
        assert!(
            page.body
                .contains(&format!("name=\"transition\" value=\"{transition}\"")),
            "{transition}"
        );
    }
    assert!(
        !page.body.contains("value=\"withdraw\""),
        "only the body's decisions"
    );
    assert!(!page.body.contains("value=\"approve\""));
    // The Indstilling's decision leads as the one primary action; rejecting and returning are
    // folded away below it, each asking for its reason before it is sent, and every form
    // returns to the item's decision area.
    let at = |needle: &str| {
        page.body
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {}", page.body))
    };
    assert_eq!(page.count("button button-primary"), 1, "{}", page.body);
    assert!(at("value=\"recommend\"") < at("button button-primary"));
    assert!(at("button button-primary") < at("<details class=\"details od-other-decisions\""));
    assert!(at("<details class=\"details od-other-decisions\"") < at("value=\"reject\""));
    assert!(page.body.contains(&format!(
        "id=\"comment-{}-reject\" name=\"comment\" rows=\"3\" aria-describedby=\"comment-{}-reject-hint\" required",
        case.id, case.id
    )));
    assert!(page.body.contains(&format!(
        "action=\"/meetings/{steering_meeting}/decide/{}#decide-{}\"",
        case.id, case.id
    )));

    // Rejecting needs a reason: refused, the case unchanged.
    let version = case.version.to_string();
    let refused = jens
        .submit(
            &screen,
            &format!("/meetings/{steering_meeting}/decide/{}", case.id),
            &[
                ("transition", "reject"),
                ("version", &version),
                ("comment", ""),
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
            .contains(&format!("href=\"#comment-{}-reject\"", case.id))
    );
    assert!(
        refused
            .body
            .contains("<details class=\"details od-other-decisions\" open>"),
        "the refused decision is unfolded"
    );
    assert_eq!(
        engine.case(&s.proposer, case.id).await.unwrap().state,
        "steering_group"
    );

    let recommended = jens
        .submit(
            &screen,
            &format!("/meetings/{steering_meeting}/decide/{}", case.id),
            &[
                ("transition", "recommend"),
                ("version", &version),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(
        recommended.status,
        StatusCode::SEE_OTHER,
        "{}",
        recommended.body
    );
    assert_eq!(recommended.location(), format!("{screen}#item-{}", case.id));
    let case = engine.case(&s.proposer, case.id).await.unwrap();
    assert_eq!(case.state, "committee", "the case moves to the committee");
    let page = jens.get(&screen).await;
    page.assert_ok_without_script();
    assert!(
        page.body
            .contains("Indstil til godkendelse i Sundhedssamarbejdsudvalget")
    );
    assert!(
        !page.body.contains("name=\"transition\""),
        "decided: no buttons"
    );
    let minutes = jens
        .get(&format!("/meetings/{steering_meeting}/minutes"))
        .await;
    minutes.assert_ok_without_script();
    assert!(
        minutes.body.contains("Indstil til godkendelse"),
        "{}",
        minutes.body
    );

    // The committee's screen.
    let committee_meeting = meeting_with(engine, &s, "committee", &[&case]).await;
    let screen = format!("/meetings/{committee_meeting}/decide");
    let action = format!("/meetings/{committee_meeting}/decide/{}", case.id);
    let mut birgitte = Browser::logged_in(engine, "birgitte@rsyd.dk").await;
    let page = birgitte.get(&screen).await;
    page.assert_ok_without_script();
    assert!(page.body.contains("Udvalgets beslutning"));
    for transition in [
        "approve",
        "approve_with_conditions",
        "reject",
        "return_to_steering_group",
    ] {
        assert!(
            page.body
                .contains(&format!("name=\"transition\" value=\"{transition}\"")),
            "{transition}"
        );
    }
    let case = engine.case(&s.committee, case.id).await.unwrap();
    // A stale version: a clear message, the reason kept, nothing decided.
    let stale = (case.version - 1).to_string();
    let conflict = birgitte
        .submit(
            &screen,
            &action,
            &[
                ("transition", "approve"),
                ("version", &stale),
                ("comment", "Et godt forslag."),
            ],
        )
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT, "{}", conflict.body);
    assert!(
        conflict.body.contains("Sagen er ændret"),
        "{}",
        conflict.body
    );
    assert!(conflict.body.contains("Et godt forslag."));
    assert_eq!(
        engine.case(&s.proposer, case.id).await.unwrap().state,
        "committee"
    );

    let version = case.version.to_string();
    let approved = birgitte
        .submit(
            &screen,
            &action,
            &[
                ("transition", "approve"),
                ("version", &version),
                ("comment", "Et godt forslag."),
            ],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert_eq!(
        engine.case(&s.proposer, case.id).await.unwrap().state,
        "implementation"
    );
    let page = birgitte.get(&screen).await;
    assert!(page.body.contains("Godkend"), "{}", page.body);
    assert!(page.body.contains("Et godt forslag."));
    let english = birgitte.in_english().get(&screen).await;
    english.assert_ok_without_script();
    assert!(
        english.body.contains("Committee decision"),
        "{}",
        english.body
    );
}

async fn a_proposer_sees_no_decisions_and_another_region_sees_no_meeting(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = awaiting_steering_group(engine, &s, "IV-behandling i eget hjem").await;
    let meeting = meeting_with(engine, &s, "steering_group", &[&case]).await;
    let case = engine.case(&s.proposer, case.id).await.unwrap();

    let mut anne = Browser::logged_in(engine, "anne@ouh.dk").await;
    let page = anne.get(&format!("/meetings/{meeting}/decide")).await;
    page.assert_ok_without_script();
    assert!(page.body.contains("Sagsfremstilling"));
    assert!(!page.body.contains("name=\"transition\""), "{}", page.body);
    // Her own withdrawal is not a decision of the meeting, and posting a decision is refused.
    let refused = anne
        .submit(
            &format!("/meetings/{meeting}"),
            &format!("/meetings/{meeting}/decide/{}", case.id),
            &[
                ("transition", "recommend"),
                ("version", &case.version.to_string()),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let placing = anne
        .submit(
            &format!("/meetings/{meeting}"),
            &format!("/meetings/{meeting}/publish"),
            &[],
        )
        .await;
    assert_eq!(placing.status, StatusCode::FORBIDDEN, "{}", placing.body);
    assert_eq!(
        engine.case(&s.proposer, case.id).await.unwrap().state,
        "steering_group"
    );

    member(engine, "ole@rm.dk", "midtjylland", "secretariat").await;
    let mut ole = Browser::logged_in(engine, "ole@rm.dk").await;
    for path in ["", "/decide", "/minutes"] {
        let page = ole.get(&format!("/meetings/{meeting}{path}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
        assert!(!page.body.contains(&case.number), "{path}");
    }
    let csrf = ole.get("/meetings").await.csrf();
    let place = ole
        .post(
            &format!("/meetings/{meeting}/agenda"),
            &[("csrf", &csrf), ("case_id", &case.id.to_string())],
        )
        .await;
    assert_eq!(place.status, StatusCode::NOT_FOUND);
    assert_eq!(
        ole.get("/workflows/syddanmark").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(ole.get("/meetings/abc").await.status, StatusCode::NOT_FOUND);
}

async fn the_workflow_page_draws_every_state_with_its_count(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    awaiting_steering_group(engine, &s, "IV-behandling i eget hjem").await;
    for title in ["Sårbehandling", "Hjemmedialyse"] {
        engine
            .create_case(
                &s.proposer,
                NewCase {
                    region: "syddanmark".into(),
                    title: title.into(),
                    kind: "new_task".into(),
                    giving_party_id: s.hospital,
                    receiving_party_id: s.odense,
                },
            )
            .await
            .unwrap();
    }
    let mut browser = Browser::logged_in(engine, "anne@ouh.dk").await;
    let page = browser.get("/workflows/syddanmark").await;
    page.assert_ok_without_script();
    assert!(page.body.contains("<svg"), "{}", page.body);
    let def = engine
        .workflows()
        .in_force("syddanmark", engine.today())
        .unwrap();
    for state in &def.states {
        assert_eq!(
            page.body
                .matches(&format!("id=\"state-{}\"", state.id))
                .count(),
            1,
            "{}",
            state.id
        );
        let expected = match state.id.as_str() {
            "draft" => 2,
            "steering_group" => 1,
            _ => 0,
        };
        assert!(
            page.body
                .contains(&format!("data-state=\"{}\">{expected}<", state.id)),
            "{} has {expected}",
            state.id
        );
    }
    assert!(page.body.contains(">2 sager<"), "the count in the box");
    assert!(page.body.contains(">1 sag<"));
    for transition in &def.transitions {
        assert!(
            page.body
                .contains(&format!("data-transition=\"{}\"", transition.id)),
            "{}",
            transition.id
        );
    }
    let english = browser.in_english().get("/workflows/syddanmark").await;
    english.assert_ok_without_script();
    assert!(english.body.contains(">2 cases<"));
}

async fn the_public_page_lists_decided_open_cases_and_no_personal_data(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let open = awaiting_steering_group(engine, &s, "IV-behandling i eget hjem").await;
    let closed = awaiting_steering_group(engine, &s, "Fortrolig sag om psykiatri").await;
    let undecided = awaiting_steering_group(engine, &s, "Endnu ikke afgjort").await;
    let closed = engine
        .classify(&s.secretariat, closed.id, closed.version, false, None)
        .await
        .unwrap();
    meeting_with(engine, &s, "steering_group", &[&open, &closed]).await;
    let open = engine.case(&s.steering, open.id).await.unwrap();
    let closed = engine.case(&s.steering, closed.id).await.unwrap();
    let open = step(engine, &s.steering, &open, "recommend").await;
    let closed = step(engine, &s.steering, &closed, "recommend").await;
    meeting_with(engine, &s, "committee", &[&open, &closed]).await;
    let open = engine.case(&s.committee, open.id).await.unwrap();
    let closed = engine.case(&s.committee, closed.id).await.unwrap();
    step(engine, &s.committee, &open, "approve").await;
    step(engine, &s.committee, &closed, "approve").await;

    let mut visitor = Browser::new(engine);
    let page = visitor.get("/public/syddanmark").await;
    page.assert_ok_without_script();
    assert!(page.body.contains(&open.number), "{}", page.body);
    assert!(page.body.contains("IV-behandling i eget hjem"));
    assert!(page.body.contains("Odense Universitetshospital"));
    assert!(page.body.contains("Godkendt"));
    assert!(
        !page.body.contains(&closed.number),
        "a closed case never shows"
    );
    assert!(!page.body.contains("Fortrolig sag"));
    assert!(!page.body.contains(&undecided.number), "only decided cases");
    assert!(!page.body.contains('@'), "no email: {}", page.body);
    for name in [
        "Test proposer",
        "Test secretariat",
        "Test committee",
        "Test steering_group",
    ] {
        assert!(!page.body.contains(name), "no person: {name}");
    }
    let register = engine.public_register("syddanmark").await.unwrap();
    assert_eq!(register.cases.len(), 1);
    assert_eq!(
        visitor.get("/public/atlantis").await.status,
        StatusCode::NOT_FOUND
    );
    let english = visitor.in_english().get("/public/syddanmark").await;
    english.assert_ok_without_script();
    assert!(english.body.contains("Decided cases in"));
}

/// A mistyped meeting is corrected on its page and then cancelled with a reason; each
/// refusal names its field and keeps what was typed, and the cancelled meeting leaves the list
/// and its case the agenda.
async fn the_secretariat_corrects_and_cancels_a_meeting_on_its_page(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let case = awaiting_steering_group(engine, &s, "IV-behandling i eget hjem").await;
    let day = |n: i64| (engine.today() + chrono::Duration::days(n)).to_string();
    let meeting = engine
        .create_meeting(
            &s.secretariat,
            NewMeeting {
                region: "syddanmark".into(),
                body: "steering_group".into(),
                title: "Styregrupemøde".into(),
                held_on: day(14).parse().unwrap(),
                material_deadline: day(7).parse().unwrap(),
            },
        )
        .await
        .unwrap();
    engine
        .commit_placement(&s.secretariat, meeting.id, case.id, false)
        .await
        .unwrap();
    let here = format!("/meetings/{}", meeting.id);
    let mut browser = Browser::logged_in(engine, "mette@rsyd.dk").await;
    let page = browser.get(&here).await;
    page.assert_ok_without_script();
    assert!(
        page.body.contains("Ret mødets titel eller datoer"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"Styregrupemøde\""));

    let refused = browser
        .submit(
            &here,
            &format!("{here}/change"),
            &[
                ("title", "Styregruppemøde"),
                ("held_on", &day(-1)),
                ("material_deadline", &day(-2)),
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
        refused.body.contains("href=\"#held_on\""),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("id=\"change-meeting\" open"),
        "the form opens at its errors"
    );
    assert!(
        refused.body.contains("value=\"Styregruppemøde\""),
        "what was typed is kept"
    );

    let corrected = browser
        .submit(
            &here,
            &format!("{here}/change"),
            &[
                ("title", "Styregruppemøde"),
                ("held_on", &day(21)),
                ("material_deadline", &day(7)),
            ],
        )
        .await;
    assert_eq!(
        corrected.status,
        StatusCode::SEE_OTHER,
        "{}",
        corrected.body
    );
    let page = browser.get(&here).await;
    assert!(
        page.body.contains("<h1>Styregruppemøde</h1>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&overdrag_engine::render::danish::danish_date(
                day(21).parse().unwrap()
            ))
    );

    let no_reason = browser
        .submit(&here, &format!("{here}/cancel"), &[("reason", "")])
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_reason.body.contains("href=\"#reason\""),
        "{}",
        no_reason.body
    );
    assert!(
        no_reason.body.contains("Skriv, hvorfor mødet aflyses"),
        "{}",
        no_reason.body
    );
    let cancelled = browser
        .submit(
            &here,
            &format!("{here}/cancel"),
            &[("reason", "Formanden er forhindret")],
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::SEE_OTHER,
        "{}",
        cancelled.body
    );
    let page = browser.get(&here).await;
    page.assert_ok_without_script();
    assert!(page.body.contains("Mødet blev aflyst"), "{}", page.body);
    assert!(page.body.contains("Formanden er forhindret"));
    assert!(
        !page.body.contains("Ret mødets titel eller datoer"),
        "a cancelled meeting cannot change"
    );
    let list = browser.get("/meetings").await;
    assert!(!list.body.contains("Styregruppemøde</a>"), "{}", list.body);
    let case_page = browser.get(&format!("/cases/{}", case.id)).await;
    assert!(
        case_page
            .body
            .contains("Mødet aflyst – sagen taget af dagsordenen"),
        "{}",
        case_page.body
    );
}

async fn the_hearing_page_answers_by_token_once(db: &TestDb) {
    let engine = &db.engine;
    let s = syddanmark(engine).await;
    let (case, links) = in_hearing(engine, &s, "IV-behandling i eget hjem").await;
    let token = &links[0];
    let here = format!("/hearing/{token}");

    let mut party = Browser::new(engine);
    let page = party.get(&here).await;
    page.assert_ok_without_script();
    assert!(page.body.contains("IV-behandling i eget hjem"));
    assert!(page.body.contains(&case.number));
    assert!(page.body.contains("Odense Universitetshospital"));
    assert!(
        page.body.contains("IV-antibiotika gives i eget hjem"),
        "the summary"
    );
    assert!(!page.body.contains('@'));
    // The heard party sees the figures it is asked to accept.
    assert!(page.body.contains("Sagens økonomi"), "{}", page.body);
    assert!(page.body.contains("3.900.000") && page.body.contains("Odense Kommune"));
    // A heard party with no lines of its own is told that the figures are the others'.
    let mut without_own_figures = 0;
    for token in &links {
        let page = Browser::new(engine).get(&format!("/hearing/{token}")).await;
        without_own_figures += usize::from(page.body.contains("har ingen egne tal i vurderingen"));
    }
    assert_eq!(
        without_own_figures,
        links.len() - 1,
        "all but Odense Kommune, the one heard party with figures"
    );

    // An objection needs a text: refused, the choice kept.
    let csrf = page.csrf();
    let refused = party
        .post(
            &here,
            &[("csrf", &csrf), ("answer", "object"), ("text", "")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("href=\"#text\""), "{}", refused.body);
    assert!(refused.body.contains("value=\"object\" checked"));

    let answered = party
        .post(
            &here,
            &[
                ("csrf", &csrf),
                ("answer", "agree_with_remarks"),
                ("text", "Husk oplæring."),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    let page = party.get(answered.location()).await;
    page.assert_ok_without_script();
    assert!(page.body.contains("Tak for jeres svar"), "{}", page.body);
    assert!(page.body.contains("allerede svaret"));
    assert!(!page.body.contains("name=\"answer\""), "no second form");

    let again = party
        .post(
            &here,
            &[
                ("csrf", &csrf),
                ("answer", "object"),
                ("text", "Vi er imod."),
            ],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );
    assert!(again.body.contains("allerede svaret"), "{}", again.body);
    let hearing = engine
        .hearing(&s.secretariat, case.id)
        .await
        .unwrap()
        .unwrap();
    let answers: Vec<_> = hearing.parties.iter().filter_map(|p| p.answer).collect();
    assert_eq!(
        answers,
        [HearingAnswer::AgreeWithRemarks],
        "the first answer stands"
    );

    assert_eq!(
        party.get("/hearing/hrg_unknown").await.status,
        StatusCode::NOT_FOUND
    );
    let no_cookie = Browser::new(engine)
        .post(&here, &[("csrf", &csrf), ("answer", "agree")])
        .await;
    assert_eq!(
        no_cookie.status,
        StatusCode::FORBIDDEN,
        "a form needs its cookie"
    );
}

/// The meeting form's body choices on `engine`'s day, as the secretariat of `region` sees them.
async fn body_choices(engine: &Engine, email: &str, region: &str) -> String {
    member(engine, email, region, "secretariat").await;
    let mut browser = Browser::new(engine);
    browser.sign_in(email).await;
    let page = browser.get(&format!("/meetings?region={region}")).await;
    page.assert_ok_without_script();
    let start = page.body.find("name=\"body\"").expect("the body select");
    let select = &page.body[start..];
    select[..select.find("</select>").unwrap()].to_owned()
}

async fn the_meeting_form_offers_the_bodies_that_meet_in_the_region(db: &TestDb) {
    let december: overdrag_engine::cases::Clock = std::sync::Arc::new(|| {
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 7, 12, 0, 0).unwrap()
    });
    let before = db.engine.clone().with_clock(december);
    let fyn = before
        .councils(
            &member(&before, "admin@rsyd.dk", "syddanmark", "admin").await,
            "syddanmark",
        )
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "Sundhedsråd Fyn")
        .unwrap()
        .id;
    let fyn = format!("<option value=\"council:{fyn}\">Sundhedsråd Fyn</option>");

    // In December 2026 Syddanmark's committee still meets, and its councils and regionsråd
    // may be planned for January.
    let syddanmark = body_choices(&before, "mette@rsyd.dk", "syddanmark").await;
    for option in [
        "<option value=\"steering_group\" selected>Strategisk Sundhedsstyregruppe</option>",
        "<option value=\"committee\">Sundhedssamarbejdsudvalget</option>",
        fyn.as_str(),
        "<option value=\"regional_council\">Regionsrådet</option>",
    ] {
        assert!(syddanmark.contains(option), "{option} in {syddanmark}");
    }
    // Hovedstaden has no councils of its own: Østdanmark's take over.
    let hovedstaden = body_choices(&before, "sek@regionh.dk", "hovedstaden").await;
    assert!(hovedstaden.contains("value=\"committee\""), "{hovedstaden}");
    assert!(!hovedstaden.contains("council:"), "{hovedstaden}");
    assert!(!hovedstaden.contains("regional_council"), "{hovedstaden}");

    // From 2027 the committee is gone.
    let after = overdrag_tests::engine_in_2027(&db.engine);
    let syddanmark = body_choices(&after, "sek2@rsyd.dk", "syddanmark").await;
    assert!(!syddanmark.contains("value=\"committee\""), "{syddanmark}");
    assert!(syddanmark.contains(&fyn), "{syddanmark}");
    assert!(
        syddanmark.contains("value=\"regional_council\""),
        "{syddanmark}"
    );
}

on_both_databases!(
    the_secretariat_plans_a_meeting_places_reorders_and_publishes,
    the_steering_group_recommends_and_the_committee_approves_on_their_screens,
    a_proposer_sees_no_decisions_and_another_region_sees_no_meeting,
    the_workflow_page_draws_every_state_with_its_count,
    the_public_page_lists_decided_open_cases_and_no_personal_data,
    the_hearing_page_answers_by_token_once,
    the_secretariat_corrects_and_cancels_a_meeting_on_its_page,
    sending_to_hearing_opens_the_hearing_in_the_same_step,
    the_meeting_form_offers_the_bodies_that_meet_in_the_region,
);
