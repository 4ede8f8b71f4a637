//! Listing cases: only the actor's regions, filtered, searched over title and description,
//! in a stable order (newest first), with the total count.

use super::Engine;
use super::view::{CaseKind, PartyRef};
use crate::actor::Actor;
use crate::domain::text::Label;
use crate::error::{EngineError, FieldError};
use crate::storage::entity::{handover_case, organisation, region};
use crate::workflow::Stage;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityName, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The SQLite FTS5 table that indexes `handover_case.search_text` by trigrams.
const SQLITE_SEARCH_TABLE: &str = "handover_case_search";

/// The most cases one page may hold.
pub const MAX_PER_PAGE: u64 = 200;

/// What to list.
#[derive(Clone, Debug, Default)]
pub struct CaseQuery {
    pub region: Option<String>,
    pub state: Option<String>,
    /// Words to find in the title or the professional description.
    pub q: Option<String>,
    /// An organisation that is the giving or receiving party.
    pub party: Option<i64>,
    /// From 1.
    pub page: u64,
    pub per_page: u64,
}

/// A case in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseSummary {
    pub id: i64,
    pub number: String,
    pub region: String,
    pub title: String,
    pub kind: CaseKind,
    pub state: String,
    pub state_label: Label,
    pub stage: Stage,
    pub version: i32,
    pub due_date: Option<NaiveDate>,
    pub giving_party: PartyRef,
    pub receiving_party: PartyRef,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseSummary>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// The searchable text of a case: title and description, lower-cased.
pub(crate) fn search_text(title: &str, description: &[&str]) -> String {
    let mut text = title.to_lowercase();
    for part in description.iter().filter(|p| !p.is_empty()) {
        text.push('\n');
        text.push_str(&part.to_lowercase());
    }
    text
}

fn like_pattern(words: &str) -> String {
    let escaped: String = words
        .to_lowercase()
        .chars()
        .flat_map(|c| {
            if matches!(c, '%' | '_' | '\\') {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect();
    format!("%{escaped}%")
}

/// The same search as a GLOB pattern, its wildcards made literal as one-character classes.
fn glob_pattern(words: &str) -> String {
    let mut pattern = String::from("*");
    for c in words.to_lowercase().chars() {
        match c {
            '*' | '?' | '[' => {
                pattern.push('[');
                pattern.push(c);
                pattern.push(']');
            }
            c => pattern.push(c),
        }
    }
    pattern.push('*');
    pattern
}

impl Engine {
    /// Cases whose title or description holds `words`, answered from the trigram index each
    /// database keeps (migration 15): on PostgreSQL `pg_trgm` serves `LIKE` on the column
    /// itself; on SQLite the FTS5 table serves `GLOB` (LIKE with an ESCAPE would bypass it).
    fn text_search(&self, words: &str) -> SimpleExpr {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => Expr::cust_with_values(
                format!(
                    "{}.id IN (SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE search_text GLOB ?)",
                    handover_case::Entity.table_name()
                ),
                [glob_pattern(words)],
            ),
            _ => Expr::col(handover_case::Column::SearchText)
                .like(LikeExpr::new(like_pattern(words)).escape('\\')),
        }
    }

    /// The cases the actor may see that match `query`.
    ///
    /// # Errors
    /// [`EngineError::Invalid`] for a page or page size out of range.
    pub async fn list_cases(
        &self,
        actor: &Actor,
        query: &CaseQuery,
    ) -> Result<CasePage, EngineError> {
        self.list_cases_of_kind(actor, query, None).await
    }

    /// The cases the actor may see that match `query` and, when given, are of `kind`.
    ///
    /// # Errors
    /// As [`Engine::list_cases`].
    pub async fn list_cases_of_kind(
        &self,
        actor: &Actor,
        query: &CaseQuery,
        kind: Option<CaseKind>,
    ) -> Result<CasePage, EngineError> {
        let mut problems = Vec::new();
        if query.page == 0 {
            problems.push(FieldError::new("page", "pages are numbered from 1"));
        }
        if !(1..=MAX_PER_PAGE).contains(&query.per_page) {
            problems.push(FieldError::new(
                "per_page",
                format!("per_page must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            problems.push(FieldError::new("q", "search for at most 200 characters"));
        }
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems));
        }
        let regions: BTreeMap<i64, region::Model> = self
            .regions
            .iter()
            .filter(|r| actor.roles_in(&r.slug).is_some())
            .filter(|r| query.region.as_ref().is_none_or(|wanted| &r.slug == wanted))
            .map(|r| (r.id, r.clone()))
            .collect();
        let mut select = handover_case::Entity::find()
            .filter(handover_case::Column::RegionId.is_in(regions.keys().copied()));
        if let Some(state) = &query.state {
            select = select.filter(handover_case::Column::State.eq(state.as_str()));
        }
        if let Some(kind) = kind {
            select = select.filter(handover_case::Column::Kind.eq(kind.as_str()));
        }
        if let Some(party) = query.party {
            select = select.filter(
                Condition::any()
                    .add(handover_case::Column::GivingPartyId.eq(party))
                    .add(handover_case::Column::ReceivingPartyId.eq(party)),
            );
        }
        if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            select = select.filter(self.text_search(q));
        }
        let paginator = select
            .order_by_desc(handover_case::Column::Id)
            .paginate(&self.db, query.per_page);
        let total = paginator.num_items().await?;
        let cases = paginator.fetch_page(query.page - 1).await?;

        let party_ids: Vec<i64> = cases
            .iter()
            .flat_map(|c| [c.giving_party_id, c.receiving_party_id])
            .collect();
        let parties: BTreeMap<i64, PartyRef> = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(party_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| {
                (
                    o.id,
                    PartyRef {
                        id: o.id,
                        name: o.name,
                        kind: o.kind,
                    },
                )
            })
            .collect();
        let party = |id: i64| {
            parties.get(&id).cloned().unwrap_or(PartyRef {
                id,
                name: String::new(),
                kind: String::new(),
            })
        };
        let mut items = Vec::with_capacity(cases.len());
        for case in cases {
            let def = self.definition_of(&case)?;
            let state = Self::state_of(def, &case)?;
            items.push(CaseSummary {
                id: case.id,
                number: case.number.clone(),
                region: regions
                    .get(&case.region_id)
                    .map(|r| r.slug.clone())
                    .unwrap_or_default(),
                title: case.title.clone(),
                kind: CaseKind::parse(&case.kind).unwrap_or(CaseKind::Transfer),
                state: case.state.clone(),
                state_label: state.label.clone(),
                stage: state.stage,
                version: case.version,
                due_date: case.due_date,
                giving_party: party(case.giving_party_id),
                receiving_party: party(case.receiving_party_id),
                updated_at: case.updated_at,
            });
        }
        Ok(CasePage {
            items,
            total,
            page: query.page,
            per_page: query.per_page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(like_pattern("IV 100%"), "%iv 100\\%%");
        assert_eq!(like_pattern("a_b"), "%a\\_b%");
    }

    #[test]
    fn glob_patterns_make_wildcards_literal() {
        assert_eq!(glob_pattern("IV*2?"), "*iv[*]2[?]*");
        assert_eq!(glob_pattern("[x]"), "*[[]x]*");
        assert_eq!(glob_pattern("Ærø"), "*ærø*");
    }
}
