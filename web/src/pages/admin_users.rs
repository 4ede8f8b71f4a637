//! Administration of users: the list, adding a user with a first password, giving and removing
//! region roles. Who may do it is the engine's decision (administrator in the region).

use super::PageState;
use super::error::PageError;
use super::forms::{Choice, ErrorSummary, FormField};
use super::i18n::Lang;
use super::session::{CsrfForm, CurrentUser, encode_query_value, see_other};
use super::views::Views;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use overdrag_engine::EngineError;
use overdrag_engine::domain::role::Role;
use overdrag_engine::user_admin::{NewAccount, UserDirectory};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize)]
struct RoleView {
    region: String,
    region_name: String,
    role: String,
    role_label: String,
}

#[derive(Debug, Serialize)]
struct UserRow {
    id: i64,
    name: String,
    email: String,
    language: String,
    has_password: bool,
    roles: Vec<RoleView>,
}

#[derive(Debug, Serialize)]
struct UsersView {
    added: Option<String>,
    users: Vec<UserRow>,
    errors: ErrorSummary,
    name: FormField,
    email: FormField,
    password: FormField,
    language: FormField,
    region: FormField,
    role: FormField,
    languages: Vec<Choice>,
    regions: Vec<Choice>,
    roles: Vec<Choice>,
    people: Vec<Choice>,
}

/// What was typed into the add-user form.
#[derive(Debug, Default, Deserialize)]
pub struct AddUserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    role: String,
}

fn role_label(views: &Views, lang: Lang, role: Role) -> Result<String, PageError> {
    views.text(lang, &format!("roles.{}", role.as_str()), &[])
}

fn users_view(
    views: &Views,
    lang: Lang,
    directory: UserDirectory,
    typed: &AddUserForm,
    errors: ErrorSummary,
    added: Option<String>,
) -> Result<UsersView, PageError> {
    let choose = |value: &str, label: String, current: &str| Choice {
        selected: value == current,
        value: value.to_owned(),
        label,
    };
    let mut users = Vec::new();
    for user in &directory.users {
        let mut roles = Vec::new();
        for r in &user.roles {
            roles.push(RoleView {
                region: r.region.clone(),
                region_name: r.region_name.clone(),
                role: r.role.as_str().to_owned(),
                role_label: role_label(views, lang, r.role)?,
            });
        }
        users.push(UserRow {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            language: views.text(lang, &format!("languages.{}", user.language), &[])?,
            has_password: user.has_password,
            roles,
        });
    }
    let language = if typed.language.is_empty() {
        "da"
    } else {
        &typed.language
    };
    Ok(UsersView {
        added,
        languages: ["da", "en"]
            .into_iter()
            .map(|l| {
                Ok(choose(
                    l,
                    views.text(lang, &format!("languages.{l}"), &[])?,
                    language,
                ))
            })
            .collect::<Result<_, PageError>>()?,
        regions: directory
            .regions
            .iter()
            .map(|r| choose(&r.slug, r.name.clone(), &typed.region))
            .collect(),
        roles: Role::ALL
            .into_iter()
            .map(|r| Ok(choose(r.as_str(), role_label(views, lang, r)?, &typed.role)))
            .collect::<Result<_, PageError>>()?,
        people: directory
            .users
            .iter()
            .map(|u| choose(&u.id.to_string(), format!("{} <{}>", u.name, u.email), ""))
            .collect(),
        users,
        name: FormField::new("name", &typed.name, &errors),
        email: FormField::new("email", &typed.email, &errors),
        password: FormField::new("password", "", &errors),
        language: FormField::new("language", language, &errors),
        region: FormField::new("region", &typed.region, &errors),
        role: FormField::new("role", &typed.role, &errors),
        errors,
    })
}

#[derive(Debug, Deserialize)]
pub struct AddedQuery {
    added: Option<String>,
}

pub async fn list_users(
    State(state): State<PageState>,
    user: CurrentUser,
    Query(query): Query<AddedQuery>,
) -> Result<Response, PageError> {
    let directory = state.engine.user_directory(&user.actor).await?;
    let view = users_view(
        &state.views,
        user.lang,
        directory,
        &AddUserForm::default(),
        ErrorSummary::default(),
        query.added,
    )?;
    state
        .views
        .render("admin/users", &user.chrome("admin_users.title"), &view)
}

pub async fn add_user(
    State(state): State<PageState>,
    CsrfForm { user, form }: CsrfForm<AddUserForm>,
) -> Result<Response, PageError> {
    let input = NewAccount {
        name: form.name.clone(),
        email: form.email.clone(),
        language: form.language.clone(),
        password: form.password.clone(),
        region: form.region.clone(),
        role: form.role.clone(),
    };
    let errors = match state.engine.add_account(&user.actor, input).await {
        Ok(added) => {
            return Ok(see_other(&format!(
                "/admin/users?added={}",
                encode_query_value(&added.name)
            )));
        }
        Err(EngineError::Invalid(errors)) => errors,
        Err(other) => return Err(other.into()),
    };
    let errors = ErrorSummary::from_field_errors(&state.views, user.lang, &errors);
    let directory = state.engine.user_directory(&user.actor).await?;
    let view = users_view(&state.views, user.lang, directory, &form, errors, None)?;
    state.views.render_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "admin/users",
        &user.chrome("admin_users.title"),
        &view,
    )
}

/// A role to give or remove: the user, the region and the role.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    user: i64,
    region: String,
    role: String,
}

pub async fn grant_role(
    State(state): State<PageState>,
    CsrfForm { user, form }: CsrfForm<RoleForm>,
) -> Result<Response, PageError> {
    state
        .engine
        .grant_role(&user.actor, form.user, &form.region, &form.role)
        .await?;
    Ok(see_other("/admin/users"))
}

pub async fn revoke_role(
    State(state): State<PageState>,
    CsrfForm { user, form }: CsrfForm<RoleForm>,
) -> Result<Response, PageError> {
    state
        .engine
        .revoke_role(&user.actor, form.user, &form.region, &form.role)
        .await?;
    Ok(see_other("/admin/users"))
}
