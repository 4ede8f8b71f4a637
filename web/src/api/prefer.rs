//! `Prefer: return=minimal` (RFC 7240). A change answers with the whole case by default; a
//! client that takes its next step from the new version alone asks for just what was
//! committed — id, number, state and version — and spares the server reading the case back.

use super::problem::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use overdrag_engine::cases::Committed;
use overdrag_engine::cases::view::CaseView;
use overdrag_engine::{Actor, Engine};
use serde::Serialize;
use std::convert::Infallible;

/// Whether the caller asked for the minimal answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Prefer {
    pub minimal: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Prefer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let minimal = parts
            .headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|preference| preference.split(';').next())
            .any(|preference| {
                preference
                    .trim()
                    .replace(' ', "")
                    .eq_ignore_ascii_case("return=minimal")
            });
        Ok(Self { minimal })
    }
}

/// The answer to a change of a case: the whole case, or what was committed.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum CaseAnswer {
    Case(Box<CaseView>),
    Committed(Committed),
}

impl Prefer {
    /// The answer to the committed change `committed`, as the caller preferred it.
    ///
    /// # Errors
    /// When the case cannot be read back.
    pub async fn answer(
        self,
        engine: &Engine,
        actor: &Actor,
        committed: Committed,
    ) -> Result<CaseAnswer, ApiError> {
        if self.minimal {
            Ok(CaseAnswer::Committed(committed))
        } else {
            Ok(CaseAnswer::Case(Box::new(
                engine.case(actor, committed.id).await?,
            )))
        }
    }

    /// Tells the caller the preference was honoured.
    pub fn applied(self, mut response: Response) -> Response {
        if self.minimal {
            response.headers_mut().insert(
                "preference-applied",
                HeaderValue::from_static("return=minimal"),
            );
            response
                .headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Prefer"));
        }
        response
    }
}
