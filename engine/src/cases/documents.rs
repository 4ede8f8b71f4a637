//! Attachments to a case: PDF, DOCX, XLSX and images, typed by their bytes, with safe names,
//! stored content-addressed and listed in the case file.

use super::Engine;
use super::exports::Export;
use super::view::UserRef;
use super::write::{Change, Mails, Written};
use crate::actor::Actor;
use crate::domain::document::{sanitise_file_name, sniff};
use crate::error::{EngineError, FieldError};
use crate::journal_event::CaseEvent;
use crate::policy::case::CaseAction;
use crate::storage::entity::document;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

/// The largest document accepted: 20 MiB.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: UserRef,
    pub uploaded_at: DateTime<Utc>,
}

impl Engine {
    /// Attaches a document. Its type is read from the bytes; the name is made safe and given the
    /// extension of that type.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor is the case's proposer, the secretariat or an
    /// economist; [`EngineError::Invalid`] for an empty, oversized or unsupported file.
    pub async fn add_document(
        &self,
        actor: &Actor,
        case_id: i64,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<DocumentView, EngineError> {
        let visible = self.visible(actor, case_id).await?;
        self.permit(actor, &visible, CaseAction::AttachDocument)
            .await?;
        if bytes.is_empty() {
            return Err(EngineError::Invalid(vec![FieldError::new(
                "file",
                "the file is empty",
                "filen er tom",
            )]));
        }
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(EngineError::Invalid(vec![FieldError::new(
                "file",
                format!(
                    "the file is {} bytes; at most {MAX_DOCUMENT_BYTES} bytes (20 MiB) are accepted",
                    bytes.len()
                ),
                format!(
                    "filen fylder {} byte; der modtages højst {MAX_DOCUMENT_BYTES} byte (20 MiB)",
                    bytes.len()
                ),
            )]));
        }
        let Some(kind) = sniff(bytes) else {
            return Err(EngineError::Invalid(vec![FieldError::new(
                "file",
                "only PDF, Word (DOCX), Excel (XLSX), PNG and JPEG files are accepted; this file is none of them",
                "der modtages kun PDF-, Word- (DOCX), Excel- (XLSX), PNG- og JPEG-filer; denne fil er ingen af dem",
            )]));
        };
        let name = sanitise_file_name(file_name, kind);
        let sha256 = self
            .documents
            .put(bytes)
            .map_err(|e| EngineError::Storage(e.to_string()))?;
        let case = &visible.case;
        let (_, stored) = self
            .commit_change(
                Some(actor.user_id),
                case,
                Change::of_facts(),
                async |txn, now| {
                    let stored = document::ActiveModel {
                        case_id: Set(case_id),
                        file_name: Set(name.clone()),
                        content_type: Set(kind.content_type().to_owned()),
                        size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
                        sha256: Set(sha256.clone()),
                        uploaded_by: Set(actor.user_id),
                        uploaded_at: Set(now),
                        ..Default::default()
                    }
                    .insert(txn)
                    .await?;
                    let event = CaseEvent::DocumentAdded {
                        document: stored.id,
                        file_name: name,
                        content_type: kind.content_type().to_owned(),
                        size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                        sha256,
                    };
                    Ok(Written {
                        event,
                        mails: Mails::None,
                        value: stored,
                        then: None,
                    })
                },
            )
            .await?;
        self.document_views(case_id)
            .await?
            .into_iter()
            .find(|d| d.id == stored.id)
            .ok_or(EngineError::NotFound { what: "document" })
    }

    pub(super) async fn document_views(
        &self,
        case_id: i64,
    ) -> Result<Vec<DocumentView>, EngineError> {
        let documents = document::Entity::find()
            .filter(document::Column::CaseId.eq(case_id))
            .order_by_asc(document::Column::Id)
            .all(&self.db)
            .await?;
        let users = self
            .user_refs(documents.iter().map(|d| d.uploaded_by).collect())
            .await?;
        Ok(documents
            .into_iter()
            .map(|d| DocumentView {
                uploaded_by: users.get(&d.uploaded_by).cloned().unwrap_or(UserRef {
                    id: d.uploaded_by,
                    name: String::new(),
                }),
                id: d.id,
                file_name: d.file_name,
                content_type: d.content_type,
                size: d.size,
                sha256: d.sha256,
                uploaded_at: d.uploaded_at,
            })
            .collect())
    }

    /// A document's bytes, checked against its hash.
    ///
    /// # Errors
    /// [`EngineError::NotFound`] when the actor may not see it.
    pub async fn document(
        &self,
        actor: &Actor,
        case_id: i64,
        document_id: i64,
    ) -> Result<Export, EngineError> {
        self.visible(actor, case_id).await?;
        let found = document::Entity::find_by_id(document_id)
            .one(&self.db)
            .await?
            .filter(|d| d.case_id == case_id)
            .ok_or(EngineError::NotFound { what: "document" })?;
        let bytes = self
            .documents
            .get(&found.sha256)
            .map_err(|e| EngineError::Storage(e.to_string()))?;
        // The stored type was sniffed on upload; sniffing again yields the same static string.
        let content_type = sniff(&bytes).map_or("application/octet-stream", |t| t.content_type());
        Ok(Export {
            file_name: found.file_name,
            content_type,
            bytes,
        })
    }
}
