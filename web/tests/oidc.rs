//! Single sign-on against an OpenID provider the test runs itself: an axum server on
//! 127.0.0.1 port 0 that serves discovery, its keys (JWKS), an end-session endpoint and a token
//! endpoint that checks the client's secret and the PKCE verifier, and signs ID tokens with a
//! TEST-ONLY RSA key (`tests/fixtures/oidc-test-key-*.pem`) through openidconnect's signing
//! support. The browser side is the real page router, driven without JavaScript.
//!
//! The provider's authorisation step (a person logging in there) is played by the test: it
//! reads the address Overdrag sends the browser to and approves it with
//! [`Provider::approve`], which returns the code the provider would send back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use chrono::{Duration, Utc};
use common::{Browser, Page};
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreResponseType,
    CoreRsaPrivateSigningKey, CoreSubjectIdentifierType,
};
use openidconnect::url::Url;
use openidconnect::{
    AccessToken, Audience, AuthUrl, EmptyAdditionalProviderMetadata, EndSessionUrl, EndUserEmail,
    EndUserName, IdTokenClaims, IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, LogoutProviderMetadata,
    Nonce, PrivateSigningKey, ProviderMetadataWithLogout, ResponseTypes, StandardClaims,
    SubjectIdentifier, TokenUrl,
};
use overdrag::config::Secret;
use overdrag::oidc_config::{LoginSettings, SsoSettings};
use overdrag::pages::PageSettings;
use overdrag::pages::oidc::{OtherClaims, SsoIdToken};
use overdrag_engine::domain::role::Role;
use overdrag_engine::sso::Mapping;
use overdrag_engine::storage::entity::{app_user, council, council_member, user_session};
use overdrag_engine::{Actor, Engine};
use overdrag_tests::{TestDb, on_both_databases};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "overdrag";
const CLIENT_SECRET: &str = "test-only-client-secret";
const PUBLIC_URL: &str = "http://overdrag.test";
const KEY_1: &str = include_str!("fixtures/oidc-test-key-1.pem");
const KEY_2: &str = include_str!("fixtures/oidc-test-key-2.pem");

const MAPPING: &str = r#"
[claims]
email = "email"
name = "name"

[[rule]]
claim = "groups"
value = "syd-sekretariat"
region = "syddanmark"
role = "secretariat"
organisation = "Region Syddanmark"

[[rule]]
claim = "groups"
value = "syd-oekonomi"
region = "syddanmark"
role = "economist"

[[rule]]
claim = "groups"
value = "syd-raad-fyn"
region = "syddanmark"
role = "council"
council = "Sundhedsråd Fyn"
"#;

/// What the provider does wrong, if anything, when it signs the ID token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tamper {
    None,
    /// Signed with another key under the published key's id.
    BadSignature,
    WrongAudience,
    Expired,
    WrongNonce,
    /// Signed with a new key under a new id, which the provider publishes only from now on.
    RotatedKey,
}

/// Who logs in at the provider, and with which groups.
#[derive(Clone, Debug)]
struct Person {
    subject: &'static str,
    email: &'static str,
    name: &'static str,
    groups: Vec<&'static str>,
}

fn anne(groups: &[&'static str]) -> Person {
    Person {
        subject: "anne-0001",
        email: "anne.sekretaer@rsyd.dk",
        name: "Anne Sekretær",
        groups: groups.to_vec(),
    }
}

#[derive(Debug)]
struct Approved {
    person: Person,
    nonce: String,
    challenge: String,
    tamper: Tamper,
}

#[derive(Debug, Default)]
struct ProviderState {
    url: String,
    codes: HashMap<String, Approved>,
    /// Whether the JWKS holds the rotated key (id `key-2`) instead of `key-1`.
    rotated: bool,
    token_requests: usize,
    jwks_requests: usize,
}

type Shared = Arc<Mutex<ProviderState>>;

/// The in-process OpenID provider.
struct Provider {
    url: String,
    state: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn signing_key(pem: &str, kid: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.into()))).unwrap()
}

fn published_key(state: &ProviderState) -> CoreJsonWebKey {
    if state.rotated {
        signing_key(KEY_2, "key-2").as_verification_key()
    } else {
        signing_key(KEY_1, "key-1").as_verification_key()
    }
}

async fn discovery(State(state): State<Shared>) -> Json<Value> {
    let url = state.lock().unwrap().url.clone();
    let metadata = ProviderMetadataWithLogout::new(
        IssuerUrl::new(url.clone()).unwrap(),
        AuthUrl::new(format!("{url}/authorize")).unwrap(),
        JsonWebKeySetUrl::new(format!("{url}/jwks")).unwrap(),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        LogoutProviderMetadata {
            end_session_endpoint: Some(EndSessionUrl::new(format!("{url}/logout")).unwrap()),
            additional_metadata: EmptyAdditionalProviderMetadata {},
        },
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{url}/token")).unwrap()));
    Json(serde_json::to_value(metadata).unwrap())
}

async fn jwks(State(state): State<Shared>) -> Json<Value> {
    let mut state = state.lock().unwrap();
    state.jwks_requests += 1;
    let set = CoreJsonWebKeySet::new(vec![published_key(&state)]);
    Json(serde_json::to_value(set).unwrap())
}

fn refuse(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response()
}

/// The token endpoint: the client's secret (HTTP Basic), a known code used once, and the PKCE
/// verifier that hashes to the challenge the authorisation carried.
async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let mut state = state.lock().unwrap();
    state.token_requests += 1;
    let b64 = base64::engine::general_purpose::STANDARD;
    let expected = format!(
        "Basic {}",
        b64.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&expected)
    {
        return refuse("invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code")
        || form.get("redirect_uri").map(String::as_str)
            != Some(&format!("{PUBLIC_URL}/login/oidc/callback"))
    {
        return refuse("invalid_request");
    }
    let Some(approved) = form.get("code").and_then(|c| state.codes.remove(c)) else {
        return refuse("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let hashed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier));
    if hashed != approved.challenge {
        return refuse("invalid_grant");
    }
    let now = Utc::now();
    let (expires, issued) = match approved.tamper {
        Tamper::Expired => (now - Duration::minutes(5), now - Duration::minutes(65)),
        _ => (now + Duration::minutes(5), now),
    };
    let audience = match approved.tamper {
        Tamper::WrongAudience => "another-client",
        _ => CLIENT_ID,
    };
    let nonce = match approved.tamper {
        Tamper::WrongNonce => "a-nonce-from-another-login".to_owned(),
        _ => approved.nonce.clone(),
    };
    if approved.tamper == Tamper::RotatedKey {
        state.rotated = true;
    }
    let key = match approved.tamper {
        Tamper::BadSignature => signing_key(KEY_2, "key-1"),
        Tamper::RotatedKey => signing_key(KEY_2, "key-2"),
        _ => signing_key(KEY_1, "key-1"),
    };
    let person = &approved.person;
    let mut other = serde_json::Map::new();
    other.insert("groups".into(), json!(person.groups));
    let claims = IdTokenClaims::<OtherClaims, CoreGenderClaim>::new(
        IssuerUrl::new(state.url.clone()).unwrap(),
        vec![Audience::new(audience.into())],
        expires,
        issued,
        StandardClaims::new(SubjectIdentifier::new(person.subject.into()))
            .set_email(Some(EndUserEmail::new(person.email.into())))
            .set_name(Some(EndUserName::new(person.name.into()).into())),
        OtherClaims { claims: other },
    )
    .set_nonce(Some(Nonce::new(nonce)));
    let access_token = AccessToken::new(format!("at-{}", state.token_requests));
    let id_token = SsoIdToken::new(
        claims,
        &key,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Some(&access_token),
        None,
    )
    .unwrap();
    Json(json!({
        "access_token": access_token.secret(),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token.to_string(),
    }))
    .into_response()
}

impl Provider {
    async fn start() -> Self {
        let state: Shared = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        state.lock().unwrap().url = url.clone();
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, state, server }
    }

    /// The person logs in at the provider for the authorisation request `to`: the provider
    /// checks the request and answers the code it sends the browser back with.
    fn approve(&self, to: &Url, person: &Person, tamper: Tamper) -> String {
        assert!(
            to.as_str().starts_with(&format!("{}/authorize?", self.url)),
            "{to}"
        );
        let query: BTreeMap<String, String> = to.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], CLIENT_ID);
        assert_eq!(
            query["redirect_uri"],
            format!("{PUBLIC_URL}/login/oidc/callback")
        );
        assert_eq!(query["code_challenge_method"], "S256");
        assert!(
            query["scope"].split(' ').any(|s| s == "openid"),
            "{query:?}"
        );
        let code = format!("code-{}", self.state.lock().unwrap().codes.len() + 1000);
        self.state.lock().unwrap().codes.insert(
            code.clone(),
            Approved {
                person: person.clone(),
                nonce: query["nonce"].clone(),
                challenge: query["code_challenge"].clone(),
                tamper,
            },
        );
        code
    }

    fn token_requests(&self) -> usize {
        self.state.lock().unwrap().token_requests
    }

    fn jwks_requests(&self) -> usize {
        self.state.lock().unwrap().jwks_requests
    }
}

fn login_settings(provider: &Provider, password_login: bool) -> LoginSettings {
    LoginSettings {
        password_login,
        sso: Some(SsoSettings {
            issuer: provider.url.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(CLIENT_SECRET),
            public_url: PUBLIC_URL.into(),
            label: Some("Region Syddanmarks login".into()),
            mapping: Arc::new(Mapping::parse("sso.toml", MAPPING).unwrap()),
        }),
    }
}

fn browser(engine: &Engine, provider: &Provider, password_login: bool) -> Browser {
    Browser {
        app: overdrag::pages::routes_with_login(
            engine.clone(),
            &PageSettings::default(),
            login_settings(provider, password_login),
        )
        .unwrap(),
        cookies: BTreeMap::new(),
    }
}

/// The login through the provider, up to its authorisation page: the address Overdrag sends
/// the browser to.
async fn go_to_provider(b: &mut Browser, provider: &Provider, next: &str) -> Url {
    let page = b.get("/login").await;
    assert!(
        page.body.contains("Log ind med Region Syddanmarks login"),
        "{}",
        page.body
    );
    let policy = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        policy.contains(&format!("form-action 'self' {};", provider.url)),
        "the button's form and logout may lead to the provider: {policy}"
    );
    let page = b.get(&format!("/login/oidc?next={next}")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(
        b.cookies.contains_key("overdrag_sso_state"),
        "the browser keeps the login's state"
    );
    Url::parse(page.location()).unwrap()
}

/// The whole login: to the provider, approved there with `tamper`, and back.
async fn sso_login(b: &mut Browser, provider: &Provider, person: &Person, tamper: Tamper) -> Page {
    let to = go_to_provider(b, provider, "/tasks").await;
    let code = provider.approve(&to, person, tamper);
    let state = query_value(&to, "state");
    b.get(&format!("/login/oidc/callback?code={code}&state={state}"))
        .await
}

fn query_value(url: &Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

async fn user_by_email(engine: &Engine, email: &str) -> Option<app_user::Model> {
    app_user::Entity::find()
        .filter(app_user::Column::Email.eq(email))
        .one(engine.db())
        .await
        .unwrap()
}

async fn sessions(engine: &Engine) -> u64 {
    user_session::Entity::find()
        .count(engine.db())
        .await
        .unwrap()
}

async fn council_seats(engine: &Engine, user_id: i64) -> Vec<String> {
    let seats = council_member::Entity::find()
        .filter(council_member::Column::UserId.eq(user_id))
        .all(engine.db())
        .await
        .unwrap();
    let mut names = Vec::new();
    for seat in seats {
        let council = council::Entity::find_by_id(seat.council_id)
            .one(engine.db())
            .await
            .unwrap()
            .unwrap();
        names.push(council.name);
    }
    names
}

async fn events(engine: &Engine, user_id: i64) -> Vec<(String, Option<String>)> {
    engine
        .account_events(user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.role))
        .collect()
}

fn ev(kind: &str, role: Option<&str>) -> (String, Option<String>) {
    (kind.to_owned(), role.map(str::to_owned))
}

async fn a_first_login_creates_the_user_with_the_mapped_roles_and_a_later_one_removes_a_role(
    db: &TestDb,
) {
    let engine = &db.engine;
    let provider = Provider::start().await;
    let mut b = browser(engine, &provider, true);
    let person = anne(&["syd-sekretariat", "syd-oekonomi", "syd-raad-fyn", "andet"]);

    let page = sso_login(&mut b, &provider, &person, Tamper::None).await;

    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/tasks");
    assert!(b.cookies.contains_key("overdrag_session"));
    assert!(
        !b.cookies.contains_key("overdrag_sso_state"),
        "the state cookie is cleared"
    );
    let tasks = b.get("/tasks").await;
    assert_eq!(tasks.status, StatusCode::OK, "{}", tasks.body);
    assert!(tasks.body.contains("Anne Sekretær"), "{}", tasks.body);
    let user = user_by_email(engine, person.email)
        .await
        .expect("the user is created");
    assert_eq!(user.name, "Anne Sekretær");
    assert!(
        user.password_hash.is_none(),
        "a single sign-on user has no password"
    );
    assert!(
        user.organisation_id.is_some(),
        "the mapping's organisation is set"
    );
    let actor = Actor::load(engine.db(), user.id).await.unwrap().unwrap();
    assert_eq!(
        actor.roles_in("syddanmark").cloned().unwrap_or_default(),
        [Role::Secretariat, Role::Economist, Role::Council]
            .into_iter()
            .collect()
    );
    assert_eq!(actor.regions.len(), 1, "no role elsewhere");
    assert_eq!(
        council_seats(engine, user.id).await,
        vec!["Sundhedsråd Fyn"]
    );
    let mut journal = events(engine, user.id).await;
    assert_eq!(journal.remove(0), ev("user_created_by_sso", None));
    assert_eq!(journal.pop(), Some(ev("sso_login", None)));
    journal.sort();
    assert_eq!(
        journal,
        vec![
            ev("role_granted_by_sso", Some("council")),
            ev("role_granted_by_sso", Some("council")),
            ev("role_granted_by_sso", Some("economist")),
            ev("role_granted_by_sso", Some("secretariat")),
        ],
        "the council role and its seat on Sundhedsråd Fyn"
    );

    // Later the provider no longer puts Anne in the economists' group, nor on the council.
    let mut later = browser(engine, &provider, true);
    let fewer = anne(&["syd-sekretariat"]);
    let page = sso_login(&mut later, &provider, &fewer, Tamper::None).await;

    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let same = user_by_email(engine, person.email).await.unwrap();
    assert_eq!(same.id, user.id, "the same account, found by its subject");
    let actor = Actor::load(engine.db(), user.id).await.unwrap().unwrap();
    assert_eq!(
        actor.roles_in("syddanmark").cloned().unwrap_or_default(),
        [Role::Secretariat].into_iter().collect()
    );
    assert!(council_seats(engine, user.id).await.is_empty());
    let journal = events(engine, user.id).await;
    let second: Vec<_> = journal[6..].to_vec();
    let mut revoked: Vec<_> = second[..second.len() - 1].to_vec();
    revoked.sort();
    assert_eq!(
        revoked,
        vec![
            ev("role_revoked_by_sso", Some("council")),
            ev("role_revoked_by_sso", Some("council")),
            ev("role_revoked_by_sso", Some("economist")),
        ]
    );
    assert_eq!(second.last(), Some(&ev("sso_login", None)));
    let detail = engine.account_events(user.id).await.unwrap();
    let economist_revoked = detail
        .iter()
        .find(|e| e.kind == "role_revoked_by_sso" && e.role.as_deref() == Some("economist"))
        .unwrap();
    assert_eq!(economist_revoked.region.as_deref(), Some("syddanmark"));
}

/// Each tampered ID token is refused: no session, no account, the login page says it failed.
async fn refused(db: &TestDb, tamper: Tamper) {
    let engine = &db.engine;
    let provider = Provider::start().await;
    let mut b = browser(engine, &provider, true);
    let person = anne(&["syd-sekretariat"]);

    let page = sso_login(&mut b, &provider, &person, tamper).await;

    assert_eq!(
        page.status,
        StatusCode::UNAUTHORIZED,
        "{tamper:?}: {}",
        page.body
    );
    assert!(
        page.body
            .contains("Login via din organisation lykkedes ikke"),
        "{}",
        page.body
    );
    assert_eq!(provider.token_requests(), 1, "the code was exchanged");
    assert!(!b.cookies.contains_key("overdrag_session"), "{tamper:?}");
    assert_eq!(sessions(engine).await, 0, "{tamper:?}");
    assert!(
        user_by_email(engine, person.email).await.is_none(),
        "{tamper:?}"
    );
    let tasks = b.get("/tasks").await;
    assert_eq!(tasks.status, StatusCode::SEE_OTHER, "still logged out");
}

async fn an_id_token_with_a_bad_signature_is_refused(db: &TestDb) {
    refused(db, Tamper::BadSignature).await;
}

async fn an_id_token_for_another_audience_is_refused(db: &TestDb) {
    refused(db, Tamper::WrongAudience).await;
}

async fn an_expired_id_token_is_refused(db: &TestDb) {
    refused(db, Tamper::Expired).await;
}

async fn an_id_token_with_another_logins_nonce_is_refused(db: &TestDb) {
    refused(db, Tamper::WrongNonce).await;
}

async fn a_replayed_state_is_refused(db: &TestDb) {
    let engine = &db.engine;
    let provider = Provider::start().await;
    let mut b = browser(engine, &provider, true);
    let person = anne(&["syd-sekretariat"]);
    let to = go_to_provider(&mut b, &provider, "/tasks").await;
    let state = query_value(&to, "state");
    let state_cookie = b.cookies["overdrag_sso_state"].clone();
    let code = provider.approve(&to, &person, Tamper::None);
    let callback = format!("/login/oidc/callback?code={code}&state={state}");
    let first = b.get(&callback).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    assert_eq!(sessions(engine).await, 1);

    // The same answer again, with the same cookie, as someone who caught both would send it.
    let mut replay = browser(engine, &provider, true);
    replay
        .cookies
        .insert("overdrag_sso_state".into(), state_cookie);
    let page = replay.get(&callback).await;

    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert_eq!(
        provider.token_requests(),
        1,
        "refused before the code is sent to the provider"
    );
    assert!(!replay.cookies.contains_key("overdrag_session"));
    assert_eq!(sessions(engine).await, 1, "no second session");
}

async fn a_callback_without_the_browsers_state_cookie_is_refused(db: &TestDb) {
    let engine = &db.engine;
    let provider = Provider::start().await;
    let mut b = browser(engine, &provider, true);
    let to = go_to_provider(&mut b, &provider, "/tasks").await;
    let code = provider.approve(&to, &anne(&["syd-sekretariat"]), Tamper::None);
    let state = query_value(&to, "state");

    // Another browser is sent the answer (login CSRF): it never started this login.
    let mut other = browser(engine, &provider, true);
    let page = other
        .get(&format!("/login/oidc/callback?code={code}&state={state}"))
        .await;

    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert_eq!(provider.token_requests(), 0);
    assert_eq!(sessions(engine).await, 0);
    // And the state is used up: the browser that started it cannot finish it either.
    let page = b
        .get(&format!("/login/oidc/callback?code={code}&state={state}"))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
}

async fn a_rotated_key_is_fetched_when_an_id_token_names_it(db: &TestDb) {
    let engine = &db.engine;
    let provider = Provider::start().await;
    let mut b = browser(engine, &provider, true);
    let to = go_to_provider(&mut b, &provider, "/tasks").await;
    assert_eq!(provider.jwks_requests(), 1, "discovered once");
    let code = provider.approve(&to, &anne(&["syd-sekretariat"]), Tamper::RotatedKey);
    let state = query_value(&to, "state");

    let page = b
        .get(&format!("/login/oidc/callback?code={code}&state={state}"))
        .await;

    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(provider.jwks_requests(), 2, "the keys were fetched again");
    assert_eq!(sessions(engine).await, 1);
}

async fn claims_that_give_no_role_create_no_account(db: &TestDb) {
    let engine = &db.engine;
    let provider = Provider::start().await;
    let mut b = browser(engine, &provider, true);

    let page = sso_login(&mut b, &provider, &anne(&["andet"]), Tamper::None).await;

    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(
        page.body.contains("ingen rolle i Overdrag"),
        "{}",
        page.body
    );
    assert!(
        user_by_email(engine, "anne.sekretaer@rsyd.dk")
            .await
            .is_none()
    );
    assert_eq!(sessions(engine).await, 0);
}

async fn logout_ends_the_session_here_and_at_the_provider(db: &TestDb) {
    let engine = &db.engine;
    let provider = Provider::start().await;
    let mut b = browser(engine, &provider, true);
    let page = sso_login(&mut b, &provider, &anne(&["syd-sekretariat"]), Tamper::None).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let id_token = b.cookies["overdrag_sso_id"].clone();
    let csrf = b.get("/tasks").await.csrf();

    let page = b.post("/logout", &[("csrf", &csrf)]).await;

    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let to = Url::parse(page.location()).unwrap();
    assert!(
        to.as_str()
            .starts_with(&format!("{}/logout?", provider.url)),
        "{to}"
    );
    assert_eq!(query_value(&to, "id_token_hint"), id_token);
    assert_eq!(
        query_value(&to, "post_logout_redirect_uri"),
        format!("{PUBLIC_URL}/login")
    );
    assert_eq!(sessions(engine).await, 0);
    assert!(!b.cookies.contains_key("overdrag_session"));
    assert!(!b.cookies.contains_key("overdrag_sso_id"));
    assert_eq!(b.get("/tasks").await.status, StatusCode::SEE_OTHER);
}

async fn password_login_switched_off_hides_the_form_and_refuses_it(db: &TestDb) {
    let engine = &db.engine;
    common::member(engine, "pw@rsyd.dk", "syddanmark", "secretariat").await;
    let provider = Provider::start().await;
    let mut b = browser(engine, &provider, false);

    let page = b.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Log ind med Region Syddanmarks login"));
    assert!(!page.body.contains("name=\"password\""), "{}", page.body);

    let page = b.log_in("pw@rsyd.dk", common::PASSWORD).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.body.contains("Login med adgangskode er slået fra"));
    assert_eq!(sessions(engine).await, 0);

    // With it on, the same person logs in with their password beside the button.
    let mut on = browser(engine, &provider, true);
    let page = on.get("/login").await;
    assert!(page.body.contains("name=\"password\""));
    assert!(page.body.contains("Log ind med Region Syddanmarks login"));
    on.sign_in("pw@rsyd.dk").await;
}

on_both_databases!(
    a_first_login_creates_the_user_with_the_mapped_roles_and_a_later_one_removes_a_role,
    an_id_token_with_a_bad_signature_is_refused,
    an_id_token_for_another_audience_is_refused,
    an_expired_id_token_is_refused,
    an_id_token_with_another_logins_nonce_is_refused,
    a_replayed_state_is_refused,
    a_callback_without_the_browsers_state_cookie_is_refused,
    a_rotated_key_is_fetched_when_an_id_token_names_it,
    claims_that_give_no_role_create_no_account,
    logout_ends_the_session_here_and_at_the_provider,
    password_login_switched_off_hides_the_form_and_refuses_it,
);
