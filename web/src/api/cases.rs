//! Cases over HTTP: create, read, list, describe, economics, transitions and the journal. Each
//! handler reads the input, calls one engine operation and returns its view.

use super::auth::Caller;
use super::idempotent;
use super::input::ValidJson;
use super::prefer::Prefer;
use super::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use overdrag_engine::Engine;
use overdrag_engine::cases::NewCase;
use overdrag_engine::cases::documents::{DocumentView, MAX_DOCUMENT_BYTES};
use overdrag_engine::cases::implementation::ImplementationPlan;
use overdrag_engine::cases::list::{CasePage, CaseQuery};
use overdrag_engine::cases::revisions::{DescriptionDiff, RevisionSummary};
use overdrag_engine::cases::view::{CaseView, JournalView};
use overdrag_engine::domain::description::ProfessionalDescription;
use overdrag_engine::domain::economics::EconomicsLine;
use overdrag_engine::domain::role::Side;
use overdrag_engine::idempotency::Claim;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// The `{id}` of a case in the path.
#[derive(Debug)]
pub struct CaseId(pub i64);

impl FromRequestParts<Engine> for CaseId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        engine: &Engine,
    ) -> Result<Self, Self::Rejection> {
        path_id(parts, engine, "case").await.map(CaseId)
    }
}

/// The single whole-number id in the path, or a 400 naming `what` it should be.
pub(super) async fn path_id(
    parts: &mut Parts,
    engine: &Engine,
    what: &str,
) -> Result<i64, ApiError> {
    let Path(id) = Path::<i64>::from_request_parts(parts, engine)
        .await
        .map_err(|_| {
            ApiError::BadRequest(format!("the {what} id in the path must be a whole number"))
        })?;
    Ok(id)
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseInput {
    /// The region slug, e.g. `syddanmark`.
    #[validate(length(
        min = 1,
        max = 64,
        message = "name the region by its slug, e.g. syddanmark"
    ))]
    pub region: String,
    #[validate(length(
        min = 3,
        max = 200,
        message = "give the case a title of 3 to 200 characters that names the task"
    ))]
    pub title: String,
    /// `transfer` or `new_task`.
    pub kind: String,
    /// Organisation id of the party the task moves from.
    pub giving_party: i64,
    /// Organisation id of the party the task moves to.
    pub receiving_party: i64,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DescriptionInput {
    /// The case version this edit is based on.
    pub expected_version: i32,
    pub description: ProfessionalDescription,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EconomicsInput {
    pub expected_version: i32,
    /// One line per party and year, whole kroner.
    #[validate(length(max = 1000, message = "at most 1000 lines; one per party and year"))]
    pub lines: Vec<EconomicsLine>,
    /// The assumptions behind the figures; left as it is when absent.
    #[validate(length(
        max = 10000,
        message = "write the assumptions in at most 10000 characters; attach a document for more"
    ))]
    pub assumptions: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignoffInput {
    pub expected_version: i32,
    pub side: Side,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// The transition id, e.g. `submit` or `recommend`.
    #[validate(length(
        min = 1,
        max = 64,
        message = "name the transition by its id, e.g. submit"
    ))]
    pub transition: String,
    pub expected_version: i32,
    /// Required for returns, rejections and conditional approvals; sent to the parties.
    #[validate(length(
        max = 5000,
        message = "the comment may be at most 5000 characters; attach a document for more"
    ))]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this region (slug).
    pub region: Option<String>,
    /// Only cases in this state id.
    pub state: Option<String>,
    /// Words in the title or the professional description.
    pub q: Option<String>,
    /// Only cases where this organisation is a party.
    pub party: Option<i64>,
    /// From 1 (default 1).
    pub page: Option<u64>,
    /// 1 to 200 (default 20).
    pub per_page: Option<u64>,
}

/// Creates a case in the region's workflow in force today. Send `Idempotency-Key` to make
/// retries safe.
#[utoipa::path(post, path = "/cases", tag = "cases", security(("bearer" = [])), request_body = NewCaseInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request"), ("Prefer" = Option<String>, Header, description = "`return=minimal` answers with only what was committed (`Committed`: id, number, state, version) instead of the whole case")),
    responses((status = 201, body = CaseView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_case(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    prefer: Prefer,
    headers: HeaderMap,
    ValidJson(input): ValidJson<NewCaseInput>,
) -> Result<Response, ApiError> {
    let new_case = NewCase {
        region: input.region.clone(),
        title: input.title.clone(),
        kind: input.kind.clone(),
        giving_party_id: input.giving_party,
        receiving_party_id: input.receiving_party,
    };
    let (engine_ref, actor_ref) = (&engine, &actor);
    let commit = |claim: Option<Claim>| async move {
        engine_ref
            .commit_case_keyed(actor_ref, new_case, claim.as_ref())
            .await
    };
    let response = idempotent::run(
        &engine,
        &actor,
        &headers,
        &input,
        StatusCode::CREATED,
        prefer,
        commit,
    )
    .await?;
    Ok(prefer.applied(response))
}

/// The case with its content, state, version, due date and the transitions the caller may take.
#[utoipa::path(get, path = "/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, body = CaseView), (status = 404, body = Problem)))]
pub async fn get_case(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(engine.case(&actor, id).await?))
}

/// The caller's cases, filtered and searched, newest first, with the total count.
#[utoipa::path(get, path = "/cases", tag = "cases", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = CasePage), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn list_cases(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<CasePage>, ApiError> {
    let Query(params) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "the query string cannot be read: {}",
            e.body_text()
        ))
    })?;
    let query = CaseQuery {
        region: params.region,
        state: params.state,
        q: params.q,
        party: params.party,
        page: params.page.unwrap_or(1),
        per_page: params.per_page.unwrap_or(20),
    };
    Ok(Json(engine.list_cases(&actor, &query).await?))
}

/// Stores a new revision of the professional description.
#[utoipa::path(put, path = "/cases/{id}/description", tag = "cases", security(("bearer" = [])), request_body = DescriptionInput,
    params(("id" = i64, Path, description = "The case id"), ("Prefer" = Option<String>, Header, description = "`return=minimal` answers with only what was committed (`Committed`: id, number, state, version) instead of the whole case")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_description(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    prefer: Prefer,
    CaseId(id): CaseId,
    ValidJson(input): ValidJson<DescriptionInput>,
) -> Result<Response, ApiError> {
    let committed = engine
        .commit_description(&actor, id, input.expected_version, input.description)
        .await?;
    answer(&engine, &actor, prefer, committed).await
}

/// The answer to a change: the whole case, or what was committed when the caller prefers it.
async fn answer(
    engine: &Engine,
    actor: &overdrag_engine::Actor,
    prefer: Prefer,
    committed: overdrag_engine::cases::Committed,
) -> Result<Response, ApiError> {
    let body = prefer.answer(engine, actor, committed).await?;
    Ok(prefer.applied(Json(body).into_response()))
}

/// Replaces the figures of the economic assessment; a change voids earlier sign-offs.
#[utoipa::path(put, path = "/cases/{id}/economics", tag = "cases", security(("bearer" = [])), request_body = EconomicsInput,
    params(("id" = i64, Path, description = "The case id"), ("Prefer" = Option<String>, Header, description = "`return=minimal` answers with only what was committed (`Committed`: id, number, state, version) instead of the whole case")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_economics(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    prefer: Prefer,
    CaseId(id): CaseId,
    ValidJson(input): ValidJson<EconomicsInput>,
) -> Result<Response, ApiError> {
    let committed = engine
        .commit_economics(
            &actor,
            id,
            input.expected_version,
            input.lines,
            input.assumptions.as_deref(),
        )
        .await?;
    answer(&engine, &actor, prefer, committed).await
}

/// Signs off the current figures for one side.
#[utoipa::path(post, path = "/cases/{id}/economics/signoffs", tag = "cases", security(("bearer" = [])), request_body = SignoffInput,
    params(("id" = i64, Path, description = "The case id"), ("Prefer" = Option<String>, Header, description = "`return=minimal` answers with only what was committed (`Committed`: id, number, state, version) instead of the whole case")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn sign_off(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    prefer: Prefer,
    CaseId(id): CaseId,
    ValidJson(input): ValidJson<SignoffInput>,
) -> Result<Response, ApiError> {
    let committed = engine
        .commit_signoff(&actor, id, input.expected_version, input.side)
        .await?;
    answer(&engine, &actor, prefer, committed).await
}

/// Takes a transition. 409 with the current version on a stale one; 422 listing each failed
/// guard in words; 403 naming the roles that may take it.
#[utoipa::path(post, path = "/cases/{id}/transitions", tag = "cases", security(("bearer" = [])), request_body = TransitionInput,
    params(("id" = i64, Path, description = "The case id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to a retried request"), ("Prefer" = Option<String>, Header, description = "`return=minimal` answers with only what was committed (`Committed`: id, number, state, version) instead of the whole case")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn take_transition(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    prefer: Prefer,
    CaseId(id): CaseId,
    headers: HeaderMap,
    ValidJson(input): ValidJson<TransitionInput>,
) -> Result<Response, ApiError> {
    let (engine_ref, actor_ref, input_ref) = (&engine, &actor, &input);
    let commit = |claim: Option<Claim>| async move {
        engine_ref
            .commit_transition_keyed(
                actor_ref,
                id,
                input_ref.expected_version,
                &input_ref.transition,
                input_ref.comment.as_deref(),
                claim.as_ref(),
            )
            .await
    };
    let response = idempotent::run(
        &engine,
        &actor,
        &headers,
        &(id, &input),
        StatusCode::OK,
        prefer,
        commit,
    )
    .await?;
    Ok(prefer.applied(response))
}

/// The journal, oldest first, and whether its hash chain verifies.
#[utoipa::path(get, path = "/cases/{id}/events", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, body = JournalView), (status = 404, body = Problem)))]
pub async fn events(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
) -> Result<Json<JournalView>, ApiError> {
    Ok(Json(engine.journal(&actor, id).await?))
}

/// The economic assessment as CSV: a row per party and year, sector totals, the total and the
/// assumptions; semicolon-separated UTF-8 for Excel in a Danish locale.
#[utoipa::path(get, path = "/cases/{id}/economics.csv", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)))]
pub async fn economics_csv(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
) -> Result<Response, ApiError> {
    Ok(download(engine.economics_csv(&actor, id).await?))
}

/// A file as a download.
fn download(export: overdrag_engine::cases::Export) -> Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        export.file_name.replace(['"', '\\'], "_")
    );
    let mut response = export.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(export.content_type),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// Every revision of the professional description, oldest first.
#[utoipa::path(get, path = "/cases/{id}/description/revisions", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, body = [RevisionSummary]), (status = 404, body = Problem)))]
pub async fn description_revisions(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
) -> Result<Json<Vec<RevisionSummary>>, ApiError> {
    Ok(Json(engine.description_revisions(&actor, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// The older revision number.
    pub from: i32,
    /// The newer revision number.
    pub to: i32,
}

/// What changed in the professional description between two revisions, field by field.
#[utoipa::path(get, path = "/cases/{id}/description/diff", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id"), DiffParams),
    responses((status = 200, body = DescriptionDiff), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn description_diff(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
    query: Result<Query<DiffParams>, QueryRejection>,
) -> Result<Json<DescriptionDiff>, ApiError> {
    let Query(params) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "give the revisions as ?from=1&to=2: {}",
            e.body_text()
        ))
    })?;
    Ok(Json(
        engine
            .description_diff(&actor, id, params.from, params.to)
            .await?,
    ))
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassificationInput {
    pub expected_version: i32,
    /// Open (true) or closed (false) to the public.
    pub public: bool,
    /// KLE number, e.g. `29.30.00`; null removes it.
    pub kle: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceInput {
    pub expected_version: i32,
    /// The party's own ESDH case number.
    #[validate(length(
        min = 1,
        max = 100,
        message = "write the case number as it appears in your ESDH system, 1 to 100 characters"
    ))]
    pub reference: String,
}

#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImplementationInput {
    pub expected_version: i32,
    /// The day the task moves to the receiving party; null while not planned.
    pub implementation_on: Option<chrono::NaiveDate>,
    /// The day the handover is evaluated; null while not planned.
    pub follow_up_on: Option<chrono::NaiveDate>,
}

/// Records the implementation plan of an approved case (secretariat); reminders go out before
/// each date.
#[utoipa::path(put, path = "/cases/{id}/implementation", tag = "cases", security(("bearer" = [])), request_body = ImplementationInput,
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn plan_implementation(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
    ValidJson(input): ValidJson<ImplementationInput>,
) -> Result<Json<CaseView>, ApiError> {
    let plan = ImplementationPlan {
        implementation_on: input.implementation_on,
        follow_up_on: input.follow_up_on,
    };
    Ok(Json(
        engine
            .plan_implementation(&actor, id, input.expected_version, plan)
            .await?,
    ))
}

/// Sets whether the case is open to the public and its KLE classification (secretariat).
#[utoipa::path(put, path = "/cases/{id}/classification", tag = "cases", security(("bearer" = [])), request_body = ClassificationInput,
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn classify(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
    ValidJson(input): ValidJson<ClassificationInput>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(
        engine
            .classify(
                &actor,
                id,
                input.expected_version,
                input.public,
                input.kle.as_deref(),
            )
            .await?,
    ))
}

/// Records a party's own ESDH case number (a member of that party, or the secretariat).
#[utoipa::path(put, path = "/cases/{id}/references/{party_id}", tag = "cases", security(("bearer" = [])), request_body = ReferenceInput,
    params(("id" = i64, Path, description = "The case id"), ("party_id" = i64, Path, description = "The organisation")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_reference(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path((id, party_id)): Path<(i64, i64)>,
    ValidJson(input): ValidJson<ReferenceInput>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(
        engine
            .record_external_reference(
                &actor,
                id,
                input.expected_version,
                party_id,
                &input.reference,
            )
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentParams {
    /// The document's file name; it is made safe and given the extension of the detected type.
    pub file_name: String,
}

/// Attaches a document, sent as the raw request body (at most 20 MiB). PDF, DOCX, XLSX, PNG
/// and JPEG are accepted, judged by the content, not the name.
#[utoipa::path(post, path = "/cases/{id}/documents", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id"), DocumentParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = DocumentView), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn add_document(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
    query: Result<Query<DocumentParams>, QueryRejection>,
    body: axum::body::Body,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    let Query(params) =
        query.map_err(|_| ApiError::BadRequest("name the file as ?file_name=notat.pdf".into()))?;
    let bytes = axum::body::to_bytes(body, MAX_DOCUMENT_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge(MAX_DOCUMENT_BYTES))?;
    Ok((
        StatusCode::CREATED,
        Json(
            engine
                .add_document(&actor, id, &params.file_name, &bytes)
                .await?,
        ),
    ))
}

/// A document's bytes as a download.
#[utoipa::path(get, path = "/cases/{id}/documents/{document_id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id"), ("document_id" = i64, Path, description = "The document id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn get_document(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path((id, document_id)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    Ok(download(engine.document(&actor, id, document_id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionParams {
    /// Render it as an item of this meeting's agenda.
    pub meeting: Option<i64>,
}

/// The decision document in the Danish agenda format (Resumé, Indstilling, Sagsfremstilling,
/// Økonomiske konsekvenser, Beslutning) as printable HTML.
#[utoipa::path(get, path = "/cases/{id}/decision-document", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id"), DecisionParams),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = Problem)))]
pub async fn decision_document(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
    query: Result<Query<DecisionParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) =
        query.map_err(|_| ApiError::BadRequest("give the meeting as ?meeting=ID".into()))?;
    let mut response = download(engine.decision_document(&actor, id, params.meeting).await?);
    response
        .headers_mut()
        .remove(axum::http::header::CONTENT_DISPOSITION);
    Ok(response)
}

/// The whole case file as one ZIP: case.json, the decision document, economics and journal as
/// CSV, every attachment, and the journal's hash-chain verification.
#[utoipa::path(get, path = "/cases/{id}/export.zip", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn export_case_file(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    CaseId(id): CaseId,
) -> Result<Response, ApiError> {
    Ok(download(engine.case_file_zip(&actor, id).await?))
}

#[derive(Debug, Deserialize, serde::Serialize, validator::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouncilsInput {
    pub expected_version: i32,
    /// The region's councils that recommend for the case.
    pub council_ids: Vec<i64>,
    /// Why these councils, kept in the journal.
    #[validate(length(max = 1000, message = "the reason has at most 1000 characters"))]
    pub reason: String,
}

/// Chooses the councils of a case without a municipal party, with the reason (secretariat).
#[utoipa::path(put, path = "/cases/{id}/councils", tag = "cases", security(("bearer" = [])),
    request_body = CouncilsInput,
    params(("id" = i64, Path, description = "The case id")),
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn choose_councils(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<i64>,
    ValidJson(input): ValidJson<CouncilsInput>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(
        engine
            .choose_councils(
                &actor,
                id,
                input.expected_version,
                &input.council_ids,
                &input.reason,
            )
            .await?,
    ))
}
