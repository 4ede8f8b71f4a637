//! The portfolio overview a secretariat presents to the steering group: the region's cases
//! per stage now, started and decided per quarter, the overdue ones, how long cases stay in
//! each stage, and the yearly shift of money between the sectors that approved cases bring.
//!
//! The figures are computed from the cases, their journals and their economics as they stand;
//! nothing here is stored.

use super::Engine;
use crate::actor::Actor;
use crate::domain::economics_summary::Sector;
use crate::error::EngineError;
use crate::storage::entity::{economics_line, handover_case, journal_event, organisation};
use crate::workflow::definition::{Definition, Stage};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which cases the overview covers: a region's, optionally narrowed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema, utoipa::IntoParams)]
pub struct PortfolioQuery {
    /// The region's slug, e.g. `syddanmark`.
    pub region: String,
    /// Cases started on or after this day.
    pub from: Option<NaiveDate>,
    /// Cases started on or before this day.
    pub to: Option<NaiveDate>,
    /// `transfer`, `new_task` or another kind of the region's workflows.
    pub kind: Option<String>,
    /// Cases where this organisation is the giving or the receiving party.
    pub party: Option<i64>,
    /// Cases in this stage now (`economics`, `steering_group`, …).
    pub stage: Option<String>,
}

/// The overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Portfolio {
    pub region: String,
    /// The day the figures were computed for (Danish time).
    pub today: NaiveDate,
    /// The cases the filter selects.
    pub cases: usize,
    /// Every stage of the region's workflows, in path order, with the cases in it now.
    pub by_stage: Vec<StageCount>,
    /// Each quarter from the first case started to today's.
    pub by_quarter: Vec<QuarterCount>,
    /// Open cases past their state's deadline, longest overdue first.
    pub overdue: Vec<OverdueCase>,
    /// Working days cases stayed in each stage they have left.
    pub time_in_stage: Vec<StageTime>,
    pub money: MoneyShift,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StageCount {
    #[schema(value_type = String)]
    pub stage: Stage,
    pub cases: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuarterCount {
    /// `2026-Q3`.
    pub quarter: String,
    pub started: usize,
    /// Cases that reached a decision (approved or rejected) in the quarter.
    pub decided: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OverdueCase {
    pub id: i64,
    pub number: String,
    pub title: String,
    #[schema(value_type = String)]
    pub stage: Stage,
    pub due_date: NaiveDate,
    /// Working days since the deadline.
    pub working_days_overdue: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StageTime {
    #[schema(value_type = String)]
    pub stage: Stage,
    /// Stays in the stage that have ended (a case may stay twice, if sent back).
    pub stays: usize,
    pub median_working_days: u32,
    pub p90_working_days: u32,
}

/// What the approved cases shift between the sectors, in kroner a year: a sector's net
/// (costs less savings), summed over the cases. A positive figure is a cost to the sector.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MoneyShift {
    pub years: Vec<i32>,
    pub sectors: Vec<SectorShift>,
    /// The approved cases behind the figures.
    pub cases: Vec<CaseRef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SectorShift {
    #[schema(value_type = String)]
    pub sector: Sector,
    /// One figure per year of [`MoneyShift::years`].
    pub per_year: Vec<i64>,
    pub total: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseRef {
    pub id: i64,
    pub number: String,
    pub title: String,
}

impl Engine {
    /// The portfolio overview of the cases `query` selects.
    ///
    /// # Errors
    /// [`EngineError::Forbidden`] unless the actor works on the region's cases (any role
    /// but proposer); [`EngineError::Invalid`] for an unknown region, kind or stage or a
    /// period that ends before it starts; a database error.
    pub async fn portfolio(
        &self,
        actor: &Actor,
        query: &PortfolioQuery,
    ) -> Result<Portfolio, EngineError> {
        let region = self.region_by_slug(&query.region).await?.ok_or_else(|| {
            EngineError::invalid(
                "region",
                "name the region by its slug, e.g. syddanmark",
                "angiv regionen ved dens kortnavn, fx syddanmark",
            )
        })?;
        crate::policy::portfolio::sees_portfolio(actor, &region.slug)?;
        let stage = query_problems(query)?;
        let today = self.today();
        let mut filter = Condition::all().add(handover_case::Column::RegionId.eq(region.id));
        if let Some(from) = query.from {
            filter = filter.add(handover_case::Column::CreatedAt.gte(start_of(from)));
        }
        if let Some(to) = query.to {
            filter = filter
                .add(handover_case::Column::CreatedAt.lt(start_of(to.succ_opt().unwrap_or(to))));
        }
        if let Some(kind) = &query.kind {
            filter = filter.add(handover_case::Column::Kind.eq(kind.as_str()));
        }
        if let Some(party) = query.party {
            filter = filter.add(
                Condition::any()
                    .add(handover_case::Column::GivingPartyId.eq(party))
                    .add(handover_case::Column::ReceivingPartyId.eq(party)),
            );
        }
        let cases: Vec<(handover_case::Model, &Definition, Stage)> = handover_case::Entity::find()
            .filter(filter)
            .order_by_asc(handover_case::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .filter_map(|case| {
                let definition = self.definition_of(&case).ok()?;
                let now = definition.state_by_str(&case.state)?.stage;
                (stage.is_none() || stage == Some(now)).then_some((case, definition, now))
            })
            .collect();
        let ids: Vec<i64> = cases.iter().map(|(c, _, _)| c.id).collect();
        let transitions = transitions_of(self, &ids).await?;
        let money = self.money_of(&cases).await?;
        Ok(Portfolio {
            region: region.slug,
            today,
            cases: cases.len(),
            by_stage: by_stage(&cases),
            by_quarter: by_quarter(&cases, &transitions, today),
            overdue: overdue(&cases, today),
            time_in_stage: time_in_stage(&cases, &transitions, today),
            money,
        })
    }

    async fn money_of(
        &self,
        cases: &[(handover_case::Model, &Definition, Stage)],
    ) -> Result<MoneyShift, EngineError> {
        let approved: Vec<&handover_case::Model> = cases
            .iter()
            .filter(|(_, _, stage)| stage.is_approved())
            .map(|(case, _, _)| case)
            .collect();
        if approved.is_empty() {
            return Ok(MoneyShift::default());
        }
        let lines = economics_line::Entity::find()
            .filter(economics_line::Column::CaseId.is_in(approved.iter().map(|c| c.id)))
            .all(self.db())
            .await?;
        let sectors: BTreeMap<i64, Sector> = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(lines.iter().map(|l| l.party_id)))
            .all(self.db())
            .await?
            .into_iter()
            .map(|o| (o.id, Sector::of_kind(&o.kind)))
            .collect();
        Ok(money_shift(&approved, &lines, &sectors))
    }
}

/// The stage the query names, after checking its period.
fn query_problems(query: &PortfolioQuery) -> Result<Option<Stage>, EngineError> {
    if let (Some(from), Some(to)) = (query.from, query.to)
        && to < from
    {
        return Err(EngineError::invalid(
            "to",
            "the period ends before it starts; give a `to` on or after `from`",
            "perioden slutter, før den begynder; angiv en slutdato samme dag som startdatoen eller senere",
        ));
    }
    query
        .stage
        .as_deref()
        .map(|raw| {
            Stage::parse(raw).ok_or_else(|| {
                EngineError::invalid(
                    "stage",
                    format!("`{raw}` is no stage; use e.g. economics, steering_group or implementation"),
                    format!("»{raw}« er ikke et trin; brug fx economics, steering_group eller implementation"),
                )
            })
        })
        .transpose()
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// A state change of a case, from its journal.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Moved {
    at: DateTime<Utc>,
    from: String,
    to: String,
}

async fn transitions_of(
    engine: &Engine,
    ids: &[i64],
) -> Result<BTreeMap<i64, Vec<Moved>>, EngineError> {
    let mut moves: BTreeMap<i64, Vec<Moved>> = BTreeMap::new();
    // In chunks, so no statement carries more parameters than a database takes.
    for chunk in ids.chunks(10_000) {
        let rows: Vec<(i64, DateTime<Utc>, Option<String>, Option<String>)> =
            journal_event::Entity::find()
                .select_only()
                .column(journal_event::Column::CaseId)
                .column(journal_event::Column::OccurredAt)
                .column(journal_event::Column::FromState)
                .column(journal_event::Column::ToState)
                .filter(journal_event::Column::CaseId.is_in(chunk.iter().copied()))
                .filter(journal_event::Column::ToState.is_not_null())
                .order_by_asc(journal_event::Column::CaseId)
                .order_by_asc(journal_event::Column::Seq)
                .into_tuple()
                .all(engine.db())
                .await?;
        for (case_id, at, from, to) in rows {
            if let (Some(from), Some(to)) = (from, to)
                && from != to
            {
                moves
                    .entry(case_id)
                    .or_default()
                    .push(Moved { at, from, to });
            }
        }
    }
    Ok(moves)
}

fn by_stage(cases: &[(handover_case::Model, &Definition, Stage)]) -> Vec<StageCount> {
    let mut counts: BTreeMap<Stage, usize> = BTreeMap::new();
    for (_, _, stage) in cases {
        *counts.entry(*stage).or_default() += 1;
    }
    let in_use: Vec<Stage> = Stage::ALL
        .into_iter()
        .filter(|s| {
            counts.contains_key(s)
                || cases
                    .iter()
                    .any(|(_, d, _)| d.states.iter().any(|state| state.stage == *s))
        })
        .collect();
    in_use
        .into_iter()
        .map(|stage| StageCount {
            stage,
            cases: counts.get(&stage).copied().unwrap_or(0),
        })
        .collect()
}

fn quarter_of(day: NaiveDate) -> (i32, u32) {
    (day.year(), (day.month() - 1) / 3 + 1)
}

fn danish_day(at: DateTime<Utc>) -> NaiveDate {
    crate::domain::calendar::danish_date(at)
}

fn by_quarter(
    cases: &[(handover_case::Model, &Definition, Stage)],
    transitions: &BTreeMap<i64, Vec<Moved>>,
    today: NaiveDate,
) -> Vec<QuarterCount> {
    let mut started: BTreeMap<(i32, u32), usize> = BTreeMap::new();
    let mut decided: BTreeMap<(i32, u32), usize> = BTreeMap::new();
    for (case, definition, _) in cases {
        *started
            .entry(quarter_of(danish_day(case.created_at)))
            .or_default() += 1;
        let decision = transitions
            .get(&case.id)
            .into_iter()
            .flatten()
            .find(|moved| {
                definition
                    .state_by_str(&moved.to)
                    .is_some_and(|s| s.stage.is_approved() || s.stage == Stage::Rejected)
            });
        if let Some(moved) = decision {
            *decided.entry(quarter_of(danish_day(moved.at))).or_default() += 1;
        }
    }
    let Some(first) = started.keys().next().copied() else {
        return Vec::new();
    };
    let last = quarter_of(today).max(first);
    let mut quarters = Vec::new();
    let mut at = first;
    while at <= last {
        quarters.push(QuarterCount {
            quarter: format!("{}-Q{}", at.0, at.1),
            started: started.get(&at).copied().unwrap_or(0),
            decided: decided.get(&at).copied().unwrap_or(0),
        });
        at = if at.1 == 4 {
            (at.0 + 1, 1)
        } else {
            (at.0, at.1 + 1)
        };
    }
    quarters
}

/// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
fn working_days_between(definition: &Definition, from: NaiveDate, to: NaiveDate) -> u32 {
    let mut days = 0;
    let mut day = from;
    while day < to {
        day = day.succ_opt().unwrap_or(to);
        if definition.calendar.is_working_day(day) {
            days += 1;
        }
    }
    days
}

fn overdue(
    cases: &[(handover_case::Model, &Definition, Stage)],
    today: NaiveDate,
) -> Vec<OverdueCase> {
    let mut late: Vec<OverdueCase> = cases
        .iter()
        .filter(|(_, _, stage)| !stage.is_terminal())
        .filter_map(|(case, definition, stage)| {
            let due = case.due_date.filter(|due| *due < today)?;
            Some(OverdueCase {
                id: case.id,
                number: case.number.clone(),
                title: case.title.clone(),
                stage: *stage,
                due_date: due,
                working_days_overdue: working_days_between(definition, due, today),
            })
        })
        .collect();
    late.sort_by(|a, b| {
        b.working_days_overdue
            .cmp(&a.working_days_overdue)
            .then_with(|| a.number.cmp(&b.number))
    });
    late
}

fn time_in_stage(
    cases: &[(handover_case::Model, &Definition, Stage)],
    transitions: &BTreeMap<i64, Vec<Moved>>,
    today: NaiveDate,
) -> Vec<StageTime> {
    let mut stays: BTreeMap<Stage, Vec<u32>> = BTreeMap::new();
    for (case, definition, _) in cases {
        let mut entered = danish_day(case.created_at);
        for moved in transitions.get(&case.id).into_iter().flatten() {
            let left = danish_day(moved.at).min(today);
            let (Some(from), Some(to)) = (
                definition.state_by_str(&moved.from),
                definition.state_by_str(&moved.to),
            ) else {
                continue;
            };
            // A move between two states of one stage is not a stay's end.
            if from.stage != to.stage {
                stays
                    .entry(from.stage)
                    .or_default()
                    .push(working_days_between(definition, entered, left));
                entered = left;
            }
        }
    }
    Stage::ALL
        .into_iter()
        .filter_map(|stage| {
            let mut days = stays.remove(&stage)?;
            days.sort_unstable();
            Some(StageTime {
                stage,
                stays: days.len(),
                median_working_days: percentile(&days, 50),
                p90_working_days: percentile(&days, 90),
            })
        })
        .collect()
}

/// The nearest-rank percentile of sorted `values` (the smallest value with at least `p` % of
/// the values at or below it).
fn percentile(sorted: &[u32], p: usize) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn money_shift(
    approved: &[&handover_case::Model],
    lines: &[economics_line::Model],
    sectors: &BTreeMap<i64, Sector>,
) -> MoneyShift {
    let mut years: Vec<i32> = lines.iter().map(|l| l.year).collect();
    years.sort_unstable();
    years.dedup();
    let mut per_sector: BTreeMap<Sector, Vec<i64>> = BTreeMap::new();
    for line in lines {
        let sector = sectors
            .get(&line.party_id)
            .copied()
            .unwrap_or(Sector::Region);
        let figures = per_sector
            .entry(sector)
            .or_insert_with(|| vec![0; years.len()]);
        if let Ok(index) = years.binary_search(&line.year) {
            figures[index] += line.one_off_costs + line.running_costs - line.savings;
        }
    }
    let with_lines: std::collections::BTreeSet<i64> = lines.iter().map(|l| l.case_id).collect();
    MoneyShift {
        years,
        sectors: [
            Sector::Region,
            Sector::Municipalities,
            Sector::GeneralPractice,
        ]
        .into_iter()
        .filter_map(|sector| {
            let per_year = per_sector.remove(&sector)?;
            Some(SectorShift {
                sector,
                total: per_year.iter().sum(),
                per_year,
            })
        })
        .collect(),
        cases: approved
            .iter()
            .filter(|case| with_lines.contains(&case.id))
            .map(|case| CaseRef {
                id: case.id,
                number: case.number.clone(),
                title: case.title.clone(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn the_percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), 0);
        assert_eq!(percentile(&[7], 90), 7);
        let days: Vec<u32> = (1..=10).collect();
        assert_eq!(percentile(&days, 50), 5);
        assert_eq!(percentile(&days, 90), 9);
        assert_eq!(percentile(&[1, 2, 3, 100], 90), 100);
    }
}
