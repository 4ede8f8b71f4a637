//! Single sign-on: which roles an identity provider's claims give, and what a login through it
//! does to the account. The web crate speaks OpenID Connect and checks the ID token; this
//! module only ever sees claims that were verified.
//!
//! The mapping file (TOML) names how the email and the name are read from the claims and, in
//! `[[rule]]`s, which claim value gives which role in which region (and, for the council role,
//! which sundhedsråd; optionally which organisation the user belongs to):
//!
//! ```toml
//! [claims]
//! email = "email"   # default
//! name = "name"     # default
//!
//! [[rule]]
//! claim = "groups"            # a string claim, or a list of strings
//! value = "syd-sekretariat"
//! region = "syddanmark"
//! role = "secretariat"
//! organisation = "Region Syddanmark"   # optional: the user's organisation
//!
//! [[rule]]
//! claim = "groups"
//! value = "syd-raad-fyn"
//! region = "syddanmark"
//! role = "council"
//! council = "Sundhedsråd Fyn"          # only with role = "council"
//! ```
//!
//! [`Mapping::decide`] is pure. [`Engine::sso_log_in`] then sets the user's roles to exactly
//! those the claims give — single sign-on is the authority for the accounts it logs in — and
//! journals each change in the append-only `account_event` table.

use crate::accounts::{NewSession, open_session};
use crate::cases::Engine;
use crate::domain::economics::hex;
use crate::domain::role::Role;
use crate::error::EngineError;
use crate::storage::entity::{
    account_event, app_user, council, council_member, membership, organisation, region,
    sso_identity, sso_pending_login,
};
use crate::users::email_problem;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use toml::Spanned;

/// How long a login may stay at the identity provider before its `state` is no longer taken.
pub const PENDING_LOGIN_MINUTES: i64 = 10;

/// A problem in the mapping file, naming the file and the line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct MappingError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Every problem found in a mapping file, one a line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct MappingErrors(pub Vec<MappingError>);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default)]
    claims: RawClaims,
    #[serde(default, rename = "rule")]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClaims {
    email: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    claim: Spanned<String>,
    value: Spanned<String>,
    region: Spanned<String>,
    role: Spanned<String>,
    council: Option<Spanned<String>>,
    organisation: Option<Spanned<String>>,
}

/// One rule: a claim value that gives a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub claim: String,
    pub value: String,
    pub region: String,
    pub role: Role,
    /// The sundhedsråd the council role sits on, by name.
    pub council: Option<String>,
    /// The user's organisation in the region, by name.
    pub organisation: Option<String>,
    /// The line of the rule in the file, for messages.
    pub line: usize,
}

/// A validated mapping file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub file: String,
    pub email_claim: String,
    pub name_claim: String,
    pub rules: Vec<Rule>,
}

fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

impl Mapping {
    /// Reads and validates the mapping file at `path`.
    ///
    /// # Errors
    /// [`MappingErrors`] naming the file and line of every problem, or that it cannot be read.
    pub fn load(path: &Path) -> Result<Mapping, MappingErrors> {
        let file = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|e| {
            MappingErrors(vec![MappingError {
                file: file.clone(),
                line: 0,
                message: format!("cannot read the single sign-on mapping file: {e}"),
            }])
        })?;
        Mapping::parse(&file, &source)
    }

    /// Parses and validates a mapping file's text; `file` names it in messages.
    ///
    /// # Errors
    /// [`MappingErrors`] naming the file and line of every problem.
    pub fn parse(file: &str, source: &str) -> Result<Mapping, MappingErrors> {
        let mut problems = Vec::new();
        let mut at = |span: std::ops::Range<usize>, message: String| {
            problems.push(MappingError {
                file: file.to_owned(),
                line: line_of(source, span.start),
                message,
            });
        };
        let raw: RawMapping = match toml::from_str(source) {
            Ok(raw) => raw,
            Err(error) => {
                let line = error.span().map_or(1, |s| line_of(source, s.start));
                return Err(MappingErrors(vec![MappingError {
                    file: file.to_owned(),
                    line,
                    message: error.message().trim().to_owned(),
                }]));
            }
        };
        let claim_name =
            |claim: Option<Spanned<String>>,
             default: &str,
             field: &str,
             at: &mut dyn FnMut(std::ops::Range<usize>, String)| {
                match claim {
                    Some(c) if c.get_ref().trim().is_empty() => {
                        at(
                            c.span(),
                            format!("`claims.{field}` must name a claim, e.g. \"{default}\""),
                        );
                        default.to_owned()
                    }
                    Some(c) => c.into_inner().trim().to_owned(),
                    None => default.to_owned(),
                }
            };
        let email_claim = claim_name(raw.claims.email, "email", "email", &mut at);
        let name_claim = claim_name(raw.claims.name, "name", "name", &mut at);
        let mut rules = Vec::new();
        if raw.rules.is_empty() {
            at(
                0..0,
                "no `[[rule]]`: add at least one, or nobody logging in gets a role".into(),
            );
        }
        for spanned in raw.rules {
            let line = line_of(source, spanned.span().start);
            let rule = spanned.into_inner();
            for (field, value) in [
                ("claim", &rule.claim),
                ("value", &rule.value),
                ("region", &rule.region),
            ] {
                if value.get_ref().trim().is_empty() {
                    at(value.span(), format!("`{field}` must not be empty"));
                }
            }
            let role = match rule.role.get_ref().parse::<Role>() {
                Ok(role) => Some(role),
                Err(e) => {
                    at(rule.role.span(), e.to_string());
                    None
                }
            };
            match (&rule.council, role) {
                (Some(council), Some(role)) if role != Role::Council => at(
                    council.span(),
                    format!(
                        "`council` goes only with role = \"council\", not \"{role}\"; remove it"
                    ),
                ),
                (Some(council), _) if council.get_ref().trim().is_empty() => {
                    at(council.span(), "`council` must name a sundhedsråd".into());
                }
                _ => {}
            }
            if let Some(org) = &rule.organisation
                && org.get_ref().trim().is_empty()
            {
                at(
                    org.span(),
                    "`organisation` must name an organisation".into(),
                );
            }
            if let Some(role) = role {
                rules.push(Rule {
                    claim: rule.claim.get_ref().trim().to_owned(),
                    value: rule.value.get_ref().clone(),
                    region: rule.region.get_ref().trim().to_owned(),
                    role,
                    council: rule.council.map(|c| c.into_inner().trim().to_owned()),
                    organisation: rule.organisation.map(|o| o.into_inner().trim().to_owned()),
                    line,
                });
            }
        }
        if problems.is_empty() {
            Ok(Mapping {
                file: file.to_owned(),
                email_claim,
                name_claim,
                rules,
            })
        } else {
            Err(MappingErrors(problems))
        }
    }

    /// What the verified `claims` (the ID token's claims as a JSON object) give: email, name,
    /// and every role of every rule whose claim has the rule's value (or, for a list claim,
    /// holds it).
    ///
    /// # Errors
    /// [`SsoRefusal::NoEmail`] without a usable email claim.
    pub fn decide(&self, claims: &Value) -> Result<Grant, SsoRefusal> {
        let email = claims
            .get(&self.email_claim)
            .and_then(Value::as_str)
            .map(|e| e.trim().to_lowercase())
            .filter(|e| email_problem(e).is_none())
            .ok_or_else(|| SsoRefusal::NoEmail {
                claim: self.email_claim.clone(),
            })?;
        let name = claims
            .get(&self.name_claim)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map_or_else(|| email.clone(), str::to_owned);
        let mut roles = BTreeMap::new();
        let mut organisation = None;
        for rule in &self.rules {
            let matches = match claims.get(&rule.claim) {
                Some(Value::String(value)) => *value == rule.value,
                Some(Value::Array(values)) => values
                    .iter()
                    .any(|v| v.as_str() == Some(rule.value.as_str())),
                _ => false,
            };
            if !matches {
                continue;
            }
            let granted = GrantedRole {
                region: rule.region.clone(),
                role: rule.role,
                council: rule.council.clone(),
            };
            roles.entry(granted).or_insert_with(|| Because {
                claim: rule.claim.clone(),
                value: rule.value.clone(),
            });
            if organisation.is_none()
                && let Some(name) = &rule.organisation
            {
                organisation = Some(OrganisationRef {
                    region: rule.region.clone(),
                    name: name.clone(),
                });
            }
        }
        Ok(Grant {
            email,
            name,
            roles,
            organisation,
        })
    }
}

/// A role the claims give, with the council it sits on for the council role.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GrantedRole {
    pub region: String,
    pub role: Role,
    pub council: Option<String>,
}

/// The claim value that gave a role, for the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Because {
    pub claim: String,
    pub value: String,
}

/// An organisation named in a region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganisationRef {
    pub region: String,
    pub name: String,
}

/// What a login's claims give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub email: String,
    pub name: String,
    pub roles: BTreeMap<GrantedRole, Because>,
    pub organisation: Option<OrganisationRef>,
}

/// Why a single sign-on login gives no session.
#[derive(Debug, thiserror::Error)]
pub enum SsoRefusal {
    /// The claims carry no usable email address.
    #[error("the identity provider sent no usable email address in the claim `{claim}`")]
    NoEmail { claim: String },
    /// The claims give no role at all (roles the user had are removed all the same).
    #[error("the identity provider's claims give no role in Overdrag")]
    NoRole,
    /// The mapping names a region, council or organisation the database does not know.
    #[error("the single sign-on mapping {file}:{line} names {what}, which does not exist")]
    UnknownInMapping {
        file: String,
        line: usize,
        what: String,
    },
    /// The email is another account's, linked to another identity.
    #[error("the email {email} belongs to another account")]
    EmailTaken { email: String },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<sea_orm::DbErr> for SsoRefusal {
    fn from(error: sea_orm::DbErr) -> Self {
        SsoRefusal::Engine(error.into())
    }
}

impl SsoRefusal {
    /// The refusal in the user's language (`da` or `en`); `None` for an engine error.
    pub fn message(&self, language: &str) -> Option<String> {
        let en = language == "en";
        Some(match self {
            SsoRefusal::NoEmail { .. } if en => {
                "Your organisation's login did not tell us your email address. Ask your IT support."
                    .into()
            }
            SsoRefusal::NoEmail { .. } => {
                "Din organisations login oplyste ikke din e-mailadresse. Kontakt din it-support."
                    .into()
            }
            SsoRefusal::NoRole if en => {
                "Your organisation's login gives you no role in Overdrag. Ask your administrator."
                    .into()
            }
            SsoRefusal::NoRole => {
                "Din organisations login giver dig ingen rolle i Overdrag. Kontakt din administrator."
                    .into()
            }
            SsoRefusal::UnknownInMapping { .. } | SsoRefusal::EmailTaken { .. } if en => {
                "Your login could not be set up. Ask your administrator; the server's log says why."
                    .into()
            }
            SsoRefusal::UnknownInMapping { .. } | SsoRefusal::EmailTaken { .. } => {
                "Dit login kunne ikke oprettes. Kontakt din administrator; serverens log siger hvorfor."
                    .into()
            }
            SsoRefusal::Engine(_) => return None,
        })
    }
}

/// Who logged in, as the identity provider names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoSubject {
    pub issuer: String,
    pub subject: String,
}

/// A login sent to the identity provider: what the callback needs to finish it.
#[derive(Clone)]
pub struct PendingLogin {
    pub pkce_verifier: String,
    pub nonce: String,
    pub next: String,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// The kinds of `account_event`.
pub mod event_kind {
    pub const USER_CREATED: &str = "user_created_by_sso";
    pub const IDENTITY_LINKED: &str = "identity_linked_by_sso";
    pub const ROLE_GRANTED: &str = "role_granted_by_sso";
    pub const ROLE_REVOKED: &str = "role_revoked_by_sso";
    pub const LOGIN: &str = "sso_login";
}

/// One row of an account's journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountEvent {
    pub occurred_at: DateTime<Utc>,
    pub kind: String,
    pub region: Option<String>,
    pub role: Option<String>,
    pub payload: Value,
}

fn state_hash(state: &str) -> String {
    hex(&Sha256::digest(state.as_bytes()))
}

async fn journal(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
    kind: &str,
    place: Option<(&str, Role)>,
    payload: Value,
) -> Result<(), EngineError> {
    account_event::ActiveModel {
        user_id: Set(user_id),
        occurred_at: Set(now),
        kind: Set(kind.to_owned()),
        region: Set(place.map(|(region, _)| region.to_owned())),
        role: Set(place.map(|(_, role)| role.as_str().to_owned())),
        payload: Set(payload.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A login's outcome: the session, and the user it is for.
#[derive(Debug)]
pub struct SsoLogin {
    pub user_id: i64,
    pub session: NewSession,
}

impl Engine {
    /// Remembers a login sent to the identity provider, under its `state`; forgets those older
    /// than [`PENDING_LOGIN_MINUTES`].
    ///
    /// # Errors
    /// A database error.
    pub async fn begin_sso_login(
        &self,
        state: &str,
        pending: &PendingLogin,
    ) -> Result<(), EngineError> {
        let now = self.now();
        sso_pending_login::Entity::delete_many()
            .filter(
                sso_pending_login::Column::CreatedAt
                    .lt(now - Duration::minutes(PENDING_LOGIN_MINUTES)),
            )
            .exec(self.db())
            .await?;
        sso_pending_login::ActiveModel {
            state_hash: Set(state_hash(state)),
            pkce_verifier: Set(pending.pkce_verifier.clone()),
            nonce: Set(pending.nonce.clone()),
            next_path: Set(pending.next.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(())
    }

    /// Takes the login sent under `state`: it is deleted as it is read, so a state works once
    /// (of two callbacks racing with one state, only the one whose delete removed the row wins).
    /// `None` for an unknown, used or expired state.
    ///
    /// # Errors
    /// A database error.
    pub async fn take_sso_login(&self, state: &str) -> Result<Option<PendingLogin>, EngineError> {
        let Some(row) = sso_pending_login::Entity::find()
            .filter(sso_pending_login::Column::StateHash.eq(state_hash(state)))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let deleted = sso_pending_login::Entity::delete_by_id(row.id)
            .exec(self.db())
            .await?;
        let fresh = self.now() - row.created_at < Duration::minutes(PENDING_LOGIN_MINUTES);
        if deleted.rows_affected != 1 || !fresh {
            return Ok(None);
        }
        Ok(Some(PendingLogin {
            pkce_verifier: row.pkce_verifier,
            nonce: row.nonce,
            next: row.next_path,
        }))
    }

    /// Logs in the person the identity provider vouched for: creates their account on the
    /// first login, sets their roles (and council seats) to those the claims give, removing
    /// any the claims no longer give, journals each change and the login, and opens a session.
    /// All in one transaction.
    ///
    /// # Errors
    /// [`SsoRefusal::NoRole`] when the claims give no role (after removing the roles the user
    /// had); [`SsoRefusal::UnknownInMapping`] when the mapping names a region, council or
    /// organisation that does not exist; [`SsoRefusal::EmailTaken`] when a new identity's
    /// email is an account already linked to another; a database error.
    pub async fn sso_log_in(
        &self,
        who: &SsoSubject,
        mapping: &Mapping,
        grant: &Grant,
    ) -> Result<SsoLogin, SsoRefusal> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let db = &*txn;
        let regions: BTreeMap<String, region::Model> = region::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.slug.clone(), r))
            .collect();
        let unknown = |line: usize, what: String| SsoRefusal::UnknownInMapping {
            file: mapping.file.clone(),
            line,
            what,
        };
        let line_of_role = |granted: &GrantedRole| {
            mapping
                .rules
                .iter()
                .find(|r| {
                    r.region == granted.region
                        && r.role == granted.role
                        && r.council == granted.council
                })
                .map_or(0, |r| r.line)
        };
        // What the claims give, resolved to ids.
        let mut wanted_roles: BTreeSet<(i64, Role)> = BTreeSet::new();
        let mut wanted_seats: BTreeMap<i64, (String, String)> = BTreeMap::new();
        for granted in grant.roles.keys() {
            let region = regions.get(&granted.region).ok_or_else(|| {
                unknown(
                    line_of_role(granted),
                    format!("region `{}`", granted.region),
                )
            })?;
            wanted_roles.insert((region.id, granted.role));
            if let Some(name) = &granted.council {
                let found = council::Entity::find()
                    .filter(council::Column::RegionId.eq(region.id))
                    .filter(council::Column::Name.eq(name.as_str()))
                    .one(db)
                    .await?
                    .ok_or_else(|| {
                        unknown(
                            line_of_role(granted),
                            format!("the council `{name}` in {}", region.name),
                        )
                    })?;
                wanted_seats.insert(found.id, (granted.region.clone(), name.clone()));
            }
        }
        let organisation_id = match &grant.organisation {
            Some(org) => {
                let line = mapping
                    .rules
                    .iter()
                    .find(|r| r.organisation.as_deref() == Some(org.name.as_str()))
                    .map_or(0, |r| r.line);
                let region = regions
                    .get(&org.region)
                    .ok_or_else(|| unknown(line, format!("region `{}`", org.region)))?;
                let found = organisation::Entity::find()
                    .filter(organisation::Column::RegionId.eq(region.id))
                    .filter(organisation::Column::Name.eq(org.name.as_str()))
                    .one(db)
                    .await?
                    .ok_or_else(|| {
                        unknown(
                            line,
                            format!("the organisation `{}` in {}", org.name, region.name),
                        )
                    })?;
                Some(found.id)
            }
            None => None,
        };

        // Who they are: the linked identity, else the account with their email, else new.
        let linked = sso_identity::Entity::find()
            .filter(sso_identity::Column::Issuer.eq(who.issuer.as_str()))
            .filter(sso_identity::Column::Subject.eq(who.subject.as_str()))
            .one(db)
            .await?;
        let user = match linked {
            Some(link) => app_user::Entity::find_by_id(link.user_id)
                .one(db)
                .await?
                .ok_or(EngineError::NotFound { what: "user" })?,
            None => {
                if wanted_roles.is_empty() {
                    return Err(SsoRefusal::NoRole);
                }
                let existing = app_user::Entity::find()
                    .filter(app_user::Column::Email.eq(grant.email.as_str()))
                    .one(db)
                    .await?;
                let (user, kind) = match existing {
                    Some(user) => {
                        let other = sso_identity::Entity::find()
                            .filter(sso_identity::Column::UserId.eq(user.id))
                            .one(db)
                            .await?;
                        if other.is_some() {
                            return Err(SsoRefusal::EmailTaken {
                                email: grant.email.clone(),
                            });
                        }
                        (user, event_kind::IDENTITY_LINKED)
                    }
                    None => {
                        let user = app_user::ActiveModel {
                            email: Set(grant.email.clone()),
                            name: Set(grant.name.clone()),
                            organisation_id: Set(organisation_id),
                            language: Set("da".into()),
                            created_at: Set(now),
                            ..Default::default()
                        }
                        .insert(db)
                        .await?;
                        (user, event_kind::USER_CREATED)
                    }
                };
                sso_identity::ActiveModel {
                    issuer: Set(who.issuer.clone()),
                    subject: Set(who.subject.clone()),
                    user_id: Set(user.id),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                journal(
                    db,
                    user.id,
                    now,
                    kind,
                    None,
                    json!({
                        "issuer": who.issuer,
                        "subject": who.subject,
                        "email": grant.email,
                        "name": grant.name,
                    }),
                )
                .await?;
                user
            }
        };
        // Name and organisation follow the provider.
        if user.name != grant.name
            || (organisation_id.is_some() && user.organisation_id != organisation_id)
        {
            let mut active: app_user::ActiveModel = user.clone().into();
            active.name = Set(grant.name.clone());
            if organisation_id.is_some() {
                active.organisation_id = Set(organisation_id);
            }
            active.update(db).await?;
        }

        let slug_of = |id: i64| {
            regions
                .values()
                .find(|r| r.id == id)
                .map_or_else(String::new, |r| r.slug.clone())
        };
        let held = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user.id))
            .all(db)
            .await?;
        let mut held_roles = BTreeSet::new();
        for m in held {
            let role = m.role.parse::<Role>().ok();
            match role {
                Some(role) if wanted_roles.contains(&(m.region_id, role)) => {
                    held_roles.insert((m.region_id, role));
                }
                _ => {
                    membership::Entity::delete_by_id(m.id).exec(db).await?;
                    let region = slug_of(m.region_id);
                    if let Some(role) = role {
                        journal(
                            db,
                            user.id,
                            now,
                            event_kind::ROLE_REVOKED,
                            Some((&region, role)),
                            json!({ "reason": "the claims no longer give this role" }),
                        )
                        .await?;
                    }
                }
            }
        }
        for granted in grant.roles.iter() {
            let (granted, because) = granted;
            let region = &regions[&granted.region];
            if held_roles.insert((region.id, granted.role)) {
                membership::ActiveModel {
                    user_id: Set(user.id),
                    region_id: Set(region.id),
                    role: Set(granted.role.as_str().to_owned()),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                journal(
                    db,
                    user.id,
                    now,
                    event_kind::ROLE_GRANTED,
                    Some((&granted.region, granted.role)),
                    json!({ "claim": because.claim, "value": because.value }),
                )
                .await?;
            }
        }
        let seats = council_member::Entity::find()
            .filter(council_member::Column::UserId.eq(user.id))
            .all(db)
            .await?;
        let councils: BTreeMap<i64, council::Model> = council::Entity::find()
            .filter(council::Column::Id.is_in(seats.iter().map(|s| s.council_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut held_seats = BTreeSet::new();
        for seat in seats {
            if wanted_seats.contains_key(&seat.council_id) {
                held_seats.insert(seat.council_id);
                continue;
            }
            council_member::Entity::delete_by_id(seat.id)
                .exec(db)
                .await?;
            let (region, name) = councils.get(&seat.council_id).map_or_else(
                || (String::new(), String::new()),
                |c| (slug_of(c.region_id), c.name.clone()),
            );
            journal(
                db,
                user.id,
                now,
                event_kind::ROLE_REVOKED,
                Some((&region, Role::Council)),
                json!({ "council": name, "reason": "the claims no longer give this seat" }),
            )
            .await?;
        }
        for (council_id, (region, name)) in &wanted_seats {
            if held_seats.insert(*council_id) {
                council_member::ActiveModel {
                    council_id: Set(*council_id),
                    user_id: Set(user.id),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                journal(
                    db,
                    user.id,
                    now,
                    event_kind::ROLE_GRANTED,
                    Some((region, Role::Council)),
                    json!({ "council": name }),
                )
                .await?;
            }
        }
        if wanted_roles.is_empty() {
            // The removals stand; no session.
            txn.commit().await?;
            tracing::info!(user = user.id, "single sign-on gave no role; login refused");
            return Err(SsoRefusal::NoRole);
        }
        journal(
            db,
            user.id,
            now,
            event_kind::LOGIN,
            None,
            json!({ "issuer": who.issuer, "subject": who.subject }),
        )
        .await?;
        let session = open_session(db, user.id, now).await?;
        txn.commit().await?;
        tracing::info!(user = user.id, "logged in by single sign-on");
        Ok(SsoLogin {
            user_id: user.id,
            session,
        })
    }

    /// The account journal of a user, oldest first.
    ///
    /// # Errors
    /// A database error.
    pub async fn account_events(&self, user_id: i64) -> Result<Vec<AccountEvent>, EngineError> {
        use sea_orm::QueryOrder;
        Ok(account_event::Entity::find()
            .filter(account_event::Column::UserId.eq(user_id))
            .order_by_asc(account_event::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|e| AccountEvent {
                occurred_at: e.occurred_at,
                kind: e.kind,
                region: e.region,
                role: e.role,
                payload: serde_json::from_str(&e.payload).unwrap_or(Value::Null),
            })
            .collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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

[[rule]]
claim = "organisation"
value = "Odense Kommune"
region = "syddanmark"
role = "proposer"
"#;

    fn mapping() -> Mapping {
        Mapping::parse("sso.toml", MAPPING).unwrap()
    }

    fn roles(grant: &Grant) -> Vec<(String, Role, Option<String>)> {
        grant
            .roles
            .keys()
            .map(|g| (g.region.clone(), g.role, g.council.clone()))
            .collect()
    }

    #[test]
    fn a_list_claim_gives_every_role_whose_value_it_holds() {
        let grant = mapping()
            .decide(&json!({
                "email": " Anne@RSyd.dk ",
                "name": "Anne Sekretær",
                "groups": ["syd-sekretariat", "syd-raad-fyn", "andet"],
            }))
            .unwrap();
        assert_eq!(grant.email, "anne@rsyd.dk");
        assert_eq!(grant.name, "Anne Sekretær");
        assert_eq!(
            roles(&grant),
            vec![
                ("syddanmark".into(), Role::Secretariat, None),
                (
                    "syddanmark".into(),
                    Role::Council,
                    Some("Sundhedsråd Fyn".into())
                ),
            ]
        );
        assert_eq!(
            grant.organisation,
            Some(OrganisationRef {
                region: "syddanmark".into(),
                name: "Region Syddanmark".into()
            })
        );
        let because = grant.roles.values().next().unwrap();
        assert_eq!(because.value, "syd-sekretariat");
    }

    #[test]
    fn a_string_claim_matches_only_its_whole_value() {
        let m = mapping();
        let grant = m
            .decide(&json!({"email": "o@odense.dk", "organisation": "Odense Kommune"}))
            .unwrap();
        assert_eq!(
            roles(&grant),
            vec![("syddanmark".into(), Role::Proposer, None)]
        );
        assert_eq!(
            grant.name, "o@odense.dk",
            "no name claim: the email names them"
        );
        let grant = m
            .decide(&json!({"email": "o@odense.dk", "organisation": "Odense Kommune Syd"}))
            .unwrap();
        assert!(grant.roles.is_empty());
        let grant = m
            .decide(&json!({"email": "o@odense.dk", "groups": "syd-oekonomi"}))
            .unwrap();
        assert_eq!(
            roles(&grant),
            vec![("syddanmark".into(), Role::Economist, None)]
        );
    }

    #[test]
    fn fewer_groups_give_fewer_roles() {
        let m = mapping();
        let before = m
            .decide(&json!({"email": "a@rsyd.dk", "groups": ["syd-sekretariat", "syd-oekonomi"]}))
            .unwrap();
        let after = m
            .decide(&json!({"email": "a@rsyd.dk", "groups": ["syd-oekonomi"]}))
            .unwrap();
        assert_eq!(before.roles.len(), 2);
        assert_eq!(
            roles(&after),
            vec![("syddanmark".into(), Role::Economist, None)]
        );
    }

    #[test]
    fn claims_without_a_usable_email_are_refused() {
        let m = mapping();
        for claims in [
            json!({"groups": ["syd-sekretariat"]}),
            json!({"email": "ikke en adresse", "groups": ["syd-sekretariat"]}),
            json!({"email": 42}),
        ] {
            assert!(matches!(
                m.decide(&claims),
                Err(SsoRefusal::NoEmail { claim }) if claim == "email"
            ));
        }
    }

    #[test]
    fn the_claim_names_can_be_chosen() {
        let m = Mapping::parse(
            "sso.toml",
            "[claims]\nemail = \"upn\"\nname = \"displayName\"\n[[rule]]\nclaim = \"roles\"\nvalue = \"x\"\nregion = \"syddanmark\"\nrole = \"admin\"\n",
        )
        .unwrap();
        let grant = m
            .decide(&json!({"upn": "b@rsyd.dk", "displayName": "Bo", "roles": ["x"]}))
            .unwrap();
        assert_eq!(
            (grant.email.as_str(), grant.name.as_str()),
            ("b@rsyd.dk", "Bo")
        );
        assert_eq!(
            roles(&grant),
            vec![("syddanmark".into(), Role::Admin, None)]
        );
    }

    fn problems(source: &str) -> Vec<String> {
        Mapping::parse("sso.toml", source)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn an_unknown_role_is_named_with_file_and_line() {
        let found = problems(
            "[[rule]]\nclaim = \"groups\"\nvalue = \"x\"\nregion = \"syddanmark\"\nrole = \"chief\"\n",
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("sso.toml:5: unknown role `chief`"),
            "{found:?}"
        );
    }

    #[test]
    fn a_council_only_goes_with_the_council_role() {
        let found = problems(
            "[[rule]]\nclaim = \"groups\"\nvalue = \"x\"\nregion = \"syddanmark\"\nrole = \"secretariat\"\ncouncil = \"Sundhedsråd Fyn\"\n",
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("sso.toml:6: `council` goes only with role"),
            "{found:?}"
        );
    }

    #[test]
    fn a_missing_field_an_unknown_field_and_bad_toml_are_named_with_their_line() {
        let found = problems("[[rule]]\nclaim = \"groups\"\nvalue = \"x\"\nrole = \"admin\"\n");
        assert!(found[0].starts_with("sso.toml:1:"), "{found:?}");
        assert!(found[0].contains("region"), "{found:?}");
        let found = problems(
            "[[rule]]\nclaim = \"groups\"\nvalue = \"x\"\nregion = \"syddanmark\"\nrole = \"admin\"\nrolle = \"x\"\n",
        );
        assert!(found[0].starts_with("sso.toml:6:"), "{found:?}");
        assert!(found[0].contains("rolle"), "{found:?}");
        let found = problems("[[rule]\nclaim = \n");
        assert!(found[0].starts_with("sso.toml:1:"), "{found:?}");
    }

    #[test]
    fn empty_values_and_no_rules_are_refused() {
        let found = problems(
            "[claims]\nemail = \"\"\n[[rule]]\nclaim = \"\"\nvalue = \"x\"\nregion = \"syddanmark\"\nrole = \"admin\"\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("sso.toml:2: `claims.email`"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("sso.toml:4: `claim` must not be empty"),
            "{found:?}"
        );
        let found = problems("[claims]\nemail = \"mail\"\n");
        assert!(found[0].contains("no `[[rule]]`"), "{found:?}");
    }
}
