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
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The column of the SQLite FTS5 table `handover_case_search` (migration 15) that indexes
/// `handover_case.search_text` by trigrams.
const SQLITE_SEARCH_COLUMN: &str = "search_text";

/// A search counts its matches up to this many. Counting every case that holds a common word
/// means reading them all, which no one waits for; a person narrows the search instead.
pub const SEARCH_COUNT_LIMIT: u64 = 1_000;

/// The newest cases a search with many matches looks among first on PostgreSQL.
const RECENT_WINDOW: u64 = 5_000;

/// Where page `page` (from 1) begins.
fn offset(page: u64, per_page: u64) -> u64 {
    page.saturating_sub(1)
        .saturating_mul(per_page)
        .min(i64::MAX as u64)
}

/// Up to this many matches, PostgreSQL collects them all before it orders them.
const FEW_MATCHES: u64 = 5_000;

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
    /// The cases that match; for a search, counted up to [`SEARCH_COUNT_LIMIT`].
    pub total: u64,
    /// False when a search matched more than [`SEARCH_COUNT_LIMIT`] cases: there are more
    /// than `total`.
    pub total_exact: bool,
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

/// On SQLite, a search of three characters or more as an FTS5 phrase: the trigram tokenizer
/// matches a phrase wherever its trigrams stand in a row, which is the search's "any piece of
/// the text", and it decides from the index's positions alone. `GLOB` must read each
/// candidate's text to test it, about 18 µs a case: a task in one region of five took 56 ms
/// that way to count its 639 cases at 100,000, and 10 ms as a phrase. Shorter searches have no
/// whole trigram and keep to `GLOB`.
fn fts_phrase(words: &str) -> Option<String> {
    let words = words.to_lowercase();
    (words.chars().count() >= 3).then(|| format!("\"{}\"", words.replace('"', "\"\"")))
}

/// The list query in SQL, as each database answers it fastest: the ids of one page first
/// (from indexes alone where it can), the cases themselves after. A search is driven by the
/// trigram index in the order of newest first, so a page of a common word is found without
/// reading every case that holds it: on SQLite the FTS5 table leads the join (`CROSS JOIN`
/// fixes the order) and answers `GLOB` (a LIKE with an ESCAPE would bypass it); on PostgreSQL
/// `pg_trgm` serves `LIKE` on the column itself.
struct ListSql {
    backend: DbBackend,
    from: &'static str,
    conditions: Vec<String>,
    values: Vec<sea_orm::Value>,
    order: &'static str,
    searched: bool,
    no_regions: bool,
}

impl ListSql {
    fn new(
        backend: DbBackend,
        query: &CaseQuery,
        regions: &BTreeMap<i64, region::Model>,
        kind: Option<CaseKind>,
    ) -> Self {
        let mut sql = Self {
            backend,
            from: "handover_case h",
            conditions: Vec::new(),
            values: Vec::new(),
            order: "h.id DESC",
            searched: false,
            no_regions: regions.is_empty(),
        };
        let in_regions: Vec<String> = regions.keys().map(|id| sql.param(*id)).collect();
        sql.conditions
            .push(format!("h.region_id IN ({})", in_regions.join(", ")));
        if let Some(state) = &query.state {
            let state = sql.param(state.clone());
            sql.conditions.push(format!("h.state = {state}"));
        }
        if let Some(kind) = kind {
            let kind = sql.param(kind.as_str());
            sql.conditions.push(format!("h.kind = {kind}"));
        }
        if let Some(party) = query.party {
            let (giving, receiving) = (sql.param(party), sql.param(party));
            sql.conditions.push(format!(
                "(h.giving_party_id = {giving} OR h.receiving_party_id = {receiving})"
            ));
        }
        if let Some(words) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            sql.searched = true;
            if backend == DbBackend::Sqlite {
                sql.from = "handover_case_search s CROSS JOIN handover_case h ON h.id = s.rowid";
                sql.order = "s.rowid DESC";
                let condition = match fts_phrase(words) {
                    Some(phrase) => format!("MATCH {}", sql.param(phrase)),
                    None => format!("GLOB {}", sql.param(glob_pattern(words))),
                };
                sql.conditions
                    .push(format!("s.{SQLITE_SEARCH_COLUMN} {condition}"));
            } else {
                let pattern = sql.param(like_pattern(words));
                sql.conditions
                    .push(format!("h.search_text LIKE {pattern} ESCAPE '\\'"));
            }
        }
        sql
    }

    fn param(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    fn searched(&self) -> bool {
        self.searched
    }

    fn statement(&self, sql: String) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values.clone())
    }

    fn filter(&self) -> String {
        format!("FROM {} WHERE {}", self.from, self.conditions.join(" AND "))
    }

    /// Counts the matches; a search only up to one past [`SEARCH_COUNT_LIMIT`].
    fn count_statement(&self) -> Option<Statement> {
        if self.no_regions {
            return None;
        }
        Some(self.statement(if self.searched {
            format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 {} LIMIT {}) matched",
                self.filter(),
                SEARCH_COUNT_LIMIT + 1
            )
        } else {
            format!("SELECT COUNT(*) AS n {}", self.filter())
        }))
    }

    /// The ids of page `page` (from 1), newest first, of `total` matches.
    ///
    /// PostgreSQL's planner does not know how regions, states and parties go together, so it
    /// may walk every case newest first hoping to meet twenty of a combination that is rare
    /// (seen: 240 ms for none). When the count says the matches are few, they are collected
    /// through the fitting index first and only then ordered (`OFFSET 0` keeps the planner
    /// from merging the two); when they are many, walking newest first finds a page at once.
    fn page_statement(&self, page: u64, per_page: u64, total: u64) -> Option<Statement> {
        if self.no_regions {
            return None;
        }
        let offset = offset(page, per_page);
        let few = total <= FEW_MATCHES && !self.searched;
        Some(self.statement(if self.backend == DbBackend::Postgres && few {
            format!(
                "SELECT id FROM (SELECT h.id AS id {} OFFSET 0) matched ORDER BY id DESC LIMIT {per_page} OFFSET {offset}",
                self.filter()
            )
        } else {
            format!(
                "SELECT h.id {} ORDER BY {} LIMIT {per_page} OFFSET {offset}",
                self.filter(),
                self.order
            )
        }))
    }

    /// On PostgreSQL, for a search that matched more than it counts: the page looked for
    /// among the newest [`RECENT_WINDOW`] cases only. `pg_trgm` estimates ten matches for any
    /// word, so the planner fetches every case the trigram index names and sorts them (seen:
    /// 430 ms re-reading 73,000 cases for a word in most of them), where the newest few
    /// thousand hold a page. `None` when this does not apply; when the window holds less than
    /// a page, the caller asks [`ListSql::page_statement`].
    fn recent_page_statement(&self, page: u64, per_page: u64, exact: bool) -> Option<Statement> {
        let offset = offset(page, per_page);
        let applies = self.backend == DbBackend::Postgres
            && self.searched
            && !exact
            && !self.no_regions
            && offset + per_page <= SEARCH_COUNT_LIMIT;
        applies.then(|| {
            self.statement(format!(
                "SELECT h.id FROM (SELECT * FROM handover_case ORDER BY id DESC LIMIT {RECENT_WINDOW}) h WHERE {} ORDER BY h.id DESC LIMIT {per_page} OFFSET {offset}",
                self.conditions.join(" AND ")
            ))
        })
    }
}

impl Engine {
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
            problems.push(FieldError::new(
                "page",
                "pages are numbered from 1",
                "siderne er nummereret fra 1",
            ));
        }
        if !(1..=MAX_PER_PAGE).contains(&query.per_page) {
            problems.push(FieldError::new(
                "per_page",
                format!("per_page must be between 1 and {MAX_PER_PAGE}"),
                format!("vis mellem 1 og {MAX_PER_PAGE} sager pr. side"),
            ));
        }
        if query.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            problems.push(FieldError::new(
                "q",
                "search for at most 200 characters",
                "søg efter højst 200 tegn",
            ));
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
        let backend = self.db.get_database_backend();
        let list = ListSql::new(backend, query, &regions, kind);
        let db = self.db.begin().await?;
        if backend == DbBackend::Postgres {
            // Statements are prepared once per connection, and after five runs PostgreSQL
            // would use one generic plan for every value. A search's plan cannot know then
            // whether the words are rare or in every case: a search for one case's reference
            // was seen taking 600 ms where the plan for the words at hand takes 15. Only the
            // list asks for a plan per run; the steps' statements keep their cached plans.
            db.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
                .await?;
        }
        let (total, total_exact) = match list.count_statement() {
            Some(count) => {
                let counted = db
                    .query_one_raw(count)
                    .await?
                    .map(|row| row.try_get::<i64>("", "n"))
                    .transpose()?
                    .unwrap_or(0);
                let counted = u64::try_from(counted).unwrap_or(0);
                if list.searched() {
                    (
                        counted.min(SEARCH_COUNT_LIMIT),
                        counted <= SEARCH_COUNT_LIMIT,
                    )
                } else {
                    (counted, true)
                }
            }
            None => (0, true),
        };
        let mut ids = Vec::new();
        if let Some(recent) = list.recent_page_statement(query.page, query.per_page, total_exact) {
            for row in db.query_all_raw(recent).await? {
                ids.push(row.try_get::<i64>("", "id")?);
            }
            if (ids.len() as u64) < query.per_page {
                ids.clear();
            }
        }
        if ids.is_empty()
            && let Some(page) = list.page_statement(query.page, query.per_page, total)
        {
            for row in db.query_all_raw(page).await? {
                ids.push(row.try_get::<i64>("", "id")?);
            }
        }
        let mut by_id: BTreeMap<i64, handover_case::Model> = handover_case::Entity::find()
            .filter(handover_case::Column::Id.is_in(ids.clone()))
            .all(&db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let cases: Vec<handover_case::Model> =
            ids.iter().filter_map(|id| by_id.remove(id)).collect();

        db.commit().await?;
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
            total_exact,
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
    fn searches_of_three_characters_or_more_are_fts_phrases_with_their_quotes_doubled() {
        assert_eq!(fts_phrase("Sår"), Some("\"sår\"".to_owned()));
        assert_eq!(
            fts_phrase("a \"b\" OR c*"),
            Some("\"a \"\"b\"\" or c*\"".to_owned())
        );
        assert_eq!(fts_phrase("iv"), None);
    }

    #[test]
    fn glob_patterns_make_wildcards_literal() {
        assert_eq!(glob_pattern("IV*2?"), "*iv[*]2[?]*");
        assert_eq!(glob_pattern("[x]"), "*[[]x]*");
        assert_eq!(glob_pattern("Ærø"), "*ærø*");
    }
}
