//! Single sign-on: the OpenID Connect authorisation-code flow with PKCE and a nonce.
//!
//! `GET /login/oidc` sends the browser to the provider; the pending login (state, PKCE
//! verifier, nonce, where to go next) is kept in the database under the hash of its `state`,
//! and the browser gets the state in a short-lived cookie too, so that a callback is taken
//! only from the browser that started it, and only once. `GET /login/oidc/callback` takes the
//! pending login, exchanges the code, verifies the ID token (signature against the provider's
//! keys, issuer, audience, expiry, nonce, and the access-token hash when there is one), and
//! hands the verified claims to the engine, which decides the roles.
//!
//! The provider's metadata and keys come from discovery, cached for [`REDISCOVER_AFTER`]; an
//! ID token signed with a key id the cache does not know makes it discover again at once (the
//! provider rotated its keys), and the token is verified once more against the new keys.

use super::PageState;
use super::error::PageError;
use super::session::{Visitor, cookie, safe_next, same_token, see_other, set_cookie};
use crate::oidc_config::SsoSettings;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreResponseType,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthenticationFlow, AuthorizationCode,
    ClaimsVerificationError, Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenClaims, IdTokenFields,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    SignatureVerificationError, StandardErrorResponse, StandardTokenResponse, TokenResponse,
    reqwest,
};
use overdrag_engine::sso::{PENDING_LOGIN_MINUTES, PendingLogin, SsoRefusal, SsoSubject};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The browser's copy of the pending login's state.
pub const STATE_COOKIE: &str = "overdrag_sso_state";
/// The ID token of the session, for the provider's logout (`id_token_hint`).
pub const ID_TOKEN_COOKIE: &str = "overdrag_sso_id";
/// How long discovered metadata and keys are used before they are fetched again.
pub const REDISCOVER_AFTER: Duration = Duration::from_secs(3600);
/// How long a request to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Every claim of the ID token beyond the standard ones (`groups`, `organisation`, …), for
/// the mapping.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub claims: serde_json::Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

/// An ID token with [`OtherClaims`].
pub type SsoIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type SsoTokenResponse = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
type SsoClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    SsoTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a single sign-on login failed. Each is logged with its detail; the person sees only
/// that it failed and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SsoFailure {
    /// 502: discovery or the token endpoint could not be reached or read.
    #[error("the identity provider cannot be used: {0}")]
    Unavailable(String),
    /// 400: the state is unknown, used already, expired, or not this browser's.
    #[error("the login's state is unknown, already used, expired or not this browser's")]
    UnknownState,
    /// 401: the provider answered the login with an error (e.g. the person cancelled).
    #[error("the identity provider refused the login: {0}")]
    ProviderRefused(String),
    /// 401: the code was refused at the token endpoint.
    #[error("the code could not be exchanged: {0}")]
    Exchange(String),
    /// 401: the ID token failed verification.
    #[error("the ID token is refused: {0}")]
    BadIdToken(String),
    /// 403: the claims give no account (no email, no role, …).
    #[error(transparent)]
    Refused(SsoRefusal),
}

impl SsoFailure {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            SsoFailure::Unavailable(_) => StatusCode::BAD_GATEWAY,
            SsoFailure::UnknownState => StatusCode::BAD_REQUEST,
            SsoFailure::ProviderRefused(_)
            | SsoFailure::Exchange(_)
            | SsoFailure::BadIdToken(_) => StatusCode::UNAUTHORIZED,
            SsoFailure::Refused(_) => StatusCode::FORBIDDEN,
        }
    }
}

/// Discovered provider metadata (with its keys) and when it was fetched.
#[derive(Debug)]
struct Discovered {
    metadata: ProviderMetadataWithLogout,
    fetched: Instant,
}

/// The configured provider: settings, an HTTP client that follows no redirects, and the
/// discovery cache.
#[derive(Debug)]
pub struct Sso {
    pub settings: SsoSettings,
    http: reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

/// How people log in, as the pages need it.
#[derive(Debug)]
pub struct Login {
    pub password_login: bool,
    pub sso: Option<Sso>,
}

impl Login {
    /// # Errors
    /// When the HTTP client cannot be built (no TLS backend).
    pub fn new(settings: crate::oidc_config::LoginSettings) -> Result<Self, String> {
        let sso = match settings.sso {
            Some(sso) => Some(Sso::new(sso)?),
            None => None,
        };
        Ok(Self {
            password_login: settings.password_login,
            sso,
        })
    }
}

impl Sso {
    fn new(settings: SsoSettings) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            // Following redirects would let a provider send us anywhere (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("the HTTP client for single sign-on: {e}"))?;
        Ok(Self {
            settings,
            http,
            discovered: RwLock::new(None),
        })
    }

    /// The provider's metadata: cached, or discovered when there is none, it is older than
    /// [`REDISCOVER_AFTER`], or it is `stale` (its keys do not verify a token). A failed
    /// rediscovery keeps the cached metadata.
    async fn metadata(
        &self,
        stale: Option<&Arc<Discovered>>,
    ) -> Result<Arc<Discovered>, SsoFailure> {
        let usable = |found: &Arc<Discovered>| {
            found.fetched.elapsed() < REDISCOVER_AFTER
                && stale.is_none_or(|stale| !Arc::ptr_eq(stale, found))
        };
        if let Some(found) = self.discovered.read().await.as_ref()
            && usable(found)
        {
            return Ok(found.clone());
        }
        let mut slot = self.discovered.write().await;
        if let Some(found) = slot.as_ref()
            && usable(found)
        {
            // Another request discovered while this one waited.
            return Ok(found.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| SsoFailure::Unavailable(format!("issuer URL: {e}")))?;
        match ProviderMetadataWithLogout::discover_async(issuer, &self.http).await {
            Ok(metadata) => {
                let found = Arc::new(Discovered {
                    metadata,
                    fetched: Instant::now(),
                });
                *slot = Some(found.clone());
                tracing::info!(issuer = %self.settings.issuer, "identity provider discovered");
                Ok(found)
            }
            Err(error) => {
                let detail = error_chain(&error);
                match slot.as_ref() {
                    Some(stale) => {
                        tracing::warn!(%detail, "rediscovery failed; the known metadata is kept");
                        Ok(stale.clone())
                    }
                    None => Err(SsoFailure::Unavailable(detail)),
                }
            }
        }
    }

    fn client(&self, discovered: &Discovered) -> Result<SsoClient, SsoFailure> {
        let redirect = RedirectUrl::new(self.settings.redirect_uri())
            .map_err(|e| SsoFailure::Unavailable(format!("redirect URI: {e}")))?;
        Ok(SsoClient::from_provider_metadata(
            discovered.metadata.clone(),
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(
                self.settings.client_secret.expose().to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    /// The provider's address to send the browser to, and the pending login to keep under
    /// the returned state.
    async fn start(&self, next: &str) -> Result<(String, String, PendingLogin), SsoFailure> {
        let discovered = self.metadata(None).await?;
        let client = self.client(&discovered)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            state.secret().clone(),
            PendingLogin {
                pkce_verifier: verifier.secret().clone(),
                nonce: nonce.secret().clone(),
                next: next.to_owned(),
            },
        ))
    }

    /// Exchanges the code and verifies the ID token; the verified claims as one JSON object,
    /// who they are, and the raw ID token.
    async fn finish(
        &self,
        code: &str,
        pending: &PendingLogin,
    ) -> Result<(Value, SsoSubject, String), SsoFailure> {
        let discovered = self.metadata(None).await?;
        let client = self.client(&discovered)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SsoFailure::Unavailable(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| SsoFailure::Exchange(error_chain(&e)))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| SsoFailure::BadIdToken("the token response has no ID token".into()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = match verify(&client, id_token, token.access_token(), &nonce) {
            Err(Unverified::UnknownKey) => {
                // A key id we do not know: the provider may have rotated its keys.
                tracing::info!("ID token signed with an unknown key; discovering again");
                let fresh = self.metadata(Some(&discovered)).await?;
                let client = self.client(&fresh)?;
                verify(&client, id_token, token.access_token(), &nonce)
            }
            other => other,
        }
        .map_err(|e| match e {
            Unverified::UnknownKey => {
                SsoFailure::BadIdToken("signed with a key the provider does not publish".into())
            }
            Unverified::Refused(failure) => failure,
        })?;
        let who = SsoSubject {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
        };
        let json = serde_json::to_value(&claims)
            .map_err(|e| SsoFailure::BadIdToken(format!("claims: {e}")))?;
        Ok((json, who, id_token.to_string()))
    }

    /// The provider's end-session address for logging out there too, when discovery offers
    /// one.
    pub async fn logout_url(&self, id_token: Option<&str>) -> Option<String> {
        let discovered = self.metadata(None).await.ok()?;
        let endpoint = discovered
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut request = openidconnect::LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.settings.client_id.clone()));
        if let Some(token) = id_token.and_then(|t| t.parse::<SsoIdToken>().ok()) {
            request = request.set_id_token_hint(&token);
        }
        if let Ok(back) = PostLogoutRedirectUrl::new(self.settings.post_logout_uri()) {
            request = request.set_post_logout_redirect_uri(back);
        }
        Some(request.http_get_url().to_string())
    }
}

/// Why [`verify`] refused a token: a key it does not know (worth discovering again), or else.
enum Unverified {
    UnknownKey,
    Refused(SsoFailure),
}

/// The ID token's claims, verified: signature, issuer, audience, expiry, nonce, and the
/// access-token hash when the token carries one.
fn verify(
    client: &SsoClient,
    id_token: &SsoIdToken,
    access_token: &openidconnect::AccessToken,
    nonce: &Nonce,
) -> Result<IdTokenClaims<OtherClaims, CoreGenderClaim>, Unverified> {
    let bad =
        |e: &dyn std::error::Error| Unverified::Refused(SsoFailure::BadIdToken(error_chain(e)));
    let verifier = client.id_token_verifier();
    let claims = match id_token.claims(&verifier, nonce) {
        Ok(claims) => claims,
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => return Err(Unverified::UnknownKey),
        Err(error) => return Err(bad(&error)),
    };
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token.signing_alg().map_err(|e| bad(&e))?;
        let key = id_token.signing_key(&verifier).map_err(|e| bad(&e))?;
        let actual = AccessTokenHash::from_token(access_token, alg, key).map_err(|e| bad(&e))?;
        if actual != *expected {
            return Err(Unverified::Refused(SsoFailure::BadIdToken(
                "at_hash does not match the access token".into(),
            )));
        }
    }
    Ok(claims.clone())
}

/// The origin (`scheme://host[:port]`) of the provider's issuer URL, for the pages' content
/// security policy.
///
/// # Errors
/// When the issuer is not an http(s) URL with a host.
pub fn origin_of(issuer: &str) -> Result<String, String> {
    let url = openidconnect::url::Url::parse(issuer)
        .map_err(|e| format!("OVERDRAG_OIDC_ISSUER `{issuer}` is not a URL: {e}"))?;
    match url.origin() {
        origin @ openidconnect::url::Origin::Tuple(..) => Ok(origin.ascii_serialization()),
        openidconnect::url::Origin::Opaque(_) => Err(format!(
            "OVERDRAG_OIDC_ISSUER `{issuer}` has no host, e.g. https://login.regionsyddanmark.dk"
        )),
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /login/oidc`: off to the provider, the pending login kept for the callback.
pub async fn start_login(
    State(state): State<PageState>,
    visitor: Visitor,
    Query(query): Query<StartQuery>,
) -> Result<Response, PageError> {
    let Some(sso) = &state.login.sso else {
        return Err(PageError::NotFound);
    };
    let next = safe_next(query.next.as_deref());
    match sso.start(&next).await {
        Ok((url, login_state, pending)) => {
            state.engine.begin_sso_login(&login_state, &pending).await?;
            let cookie = set_cookie(
                &state,
                STATE_COOKIE,
                &login_state,
                Some(PENDING_LOGIN_MINUTES * 60),
            );
            Ok(super::login::with_cookie(see_other(&url), &cookie))
        }
        Err(failure) => super::login::sso_failed(&state, &visitor, failure),
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// The provider that answers (RFC 9207), where it says so.
    iss: Option<String>,
}

/// `GET /login/oidc/callback`: the provider sends the browser back with a code (or an error).
pub async fn finish_login(
    State(state): State<PageState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let Some(sso) = &state.login.sso else {
        return Err(PageError::NotFound);
    };
    match complete(&state, sso, &headers, query).await {
        Ok(response) => Ok(response),
        Err(failure) => super::login::sso_failed(&state, &visitor, failure),
    }
}

async fn complete(
    state: &PageState,
    sso: &Sso,
    headers: &HeaderMap,
    query: CallbackQuery,
) -> Result<Response, SsoFailure> {
    let login_state = query.state.unwrap_or_default();
    // This browser started this login: its cookie holds the same state.
    let ours = cookie(headers, STATE_COOKIE).is_some_and(|c| same_token(c, &login_state));
    // Taken (and so used up) before anything else is looked at.
    let pending = if login_state.is_empty() {
        None
    } else {
        state
            .engine
            .take_sso_login(&login_state)
            .await
            .map_err(|e| SsoFailure::Refused(e.into()))?
    };
    let (Some(pending), true) = (pending, ours) else {
        return Err(SsoFailure::UnknownState);
    };
    if let Some(iss) = &query.iss
        && iss.trim_end_matches('/') != sso.settings.issuer.trim_end_matches('/')
    {
        return Err(SsoFailure::ProviderRefused(format!(
            "the answer comes from {iss}, not the configured provider"
        )));
    }
    if let Some(error) = query.error {
        let detail = query.error_description.unwrap_or_default();
        return Err(SsoFailure::ProviderRefused(format!("{error} {detail}")));
    }
    let code = query
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| SsoFailure::ProviderRefused("no code in the callback".into()))?;
    let (claims, who, id_token) = sso.finish(&code, &pending).await?;
    let grant = sso
        .settings
        .mapping
        .decide(&claims)
        .map_err(SsoFailure::Refused)?;
    let login = state
        .engine
        .sso_log_in(&who, &sso.settings.mapping, &grant)
        .await
        .map_err(SsoFailure::Refused)?;
    let session = set_cookie(
        state,
        super::session::SESSION_COOKIE,
        &login.session.token,
        None,
    );
    let id_cookie = set_cookie(state, ID_TOKEN_COOKIE, &id_token, None);
    let clear = set_cookie(state, STATE_COOKIE, "", Some(0));
    let response = see_other(&safe_next(Some(&pending.next)));
    Ok(super::login::with_cookie(
        super::login::with_cookie(super::login::with_cookie(response, &session), &id_cookie),
        &clear,
    ))
}
