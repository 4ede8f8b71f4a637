//! The figures of a case per party and year as tables: on the case page and on the page a
//! heard party answers from, so both read the same way.

use super::PageError;
use super::cases::kroner;
use super::i18n::Lang;
use super::views::Views;
use overdrag_engine::domain::economics_summary::PartyEconomics;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub(super) struct YearRow {
    year: i32,
    one_off_costs: String,
    running_costs: String,
    savings: String,
    net: String,
}

#[derive(Debug, Serialize)]
pub(super) struct PartyTable {
    name: String,
    sector: String,
    years: Vec<YearRow>,
    total_net: String,
}

/// Each party's figures, amounts in kroner the reader's way, the sector in words.
pub(super) fn party_tables(
    views: &Views,
    lang: Lang,
    parties: &[PartyEconomics],
) -> Result<Vec<PartyTable>, PageError> {
    parties
        .iter()
        .map(|p| {
            Ok(PartyTable {
                name: p.name.clone(),
                sector: sector_name(views, lang, p.sector)?,
                years: p
                    .years
                    .iter()
                    .map(|y| YearRow {
                        year: y.year,
                        one_off_costs: kroner(y.one_off_costs, lang),
                        running_costs: kroner(y.running_costs, lang),
                        savings: kroner(y.savings, lang),
                        net: kroner(y.net, lang),
                    })
                    .collect(),
                total_net: kroner(p.total_net, lang),
            })
        })
        .collect()
}

/// A sector in words, e.g. "Kommuner".
pub(super) fn sector_name<T: Serialize>(
    views: &Views,
    lang: Lang,
    sector: T,
) -> Result<String, PageError> {
    let key = serde_json::to_value(&sector)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    views.text(lang, &format!("cases.sectors.{key}"), &[])
}
