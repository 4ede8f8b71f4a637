//! The computed side of the economic consequence assessment: net per party and year, per sector
//! and in total, the shift between sectors and the fair-balance indicator. Exact integer
//! arithmetic in whole kroner; the only division (per citizen) rounds half away from zero.

use super::economics::EconomicsLine;
use serde::Serialize;
use std::collections::BTreeMap;

/// The sectors of the Danish health system a party belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    /// The region and its hospitals.
    Region,
    Municipalities,
    GeneralPractice,
}

impl Sector {
    /// The sector of an organisation kind (`region`, `hospital`, `municipality`, `general_practice`).
    pub fn of_kind(kind: &str) -> Sector {
        match kind {
            "municipality" => Sector::Municipalities,
            "general_practice" => Sector::GeneralPractice,
            _ => Sector::Region,
        }
    }

    pub fn danish(self) -> &'static str {
        match self {
            Sector::Region => "Region og hospitaler",
            Sector::Municipalities => "Kommuner",
            Sector::GeneralPractice => "Almen praksis",
        }
    }
}

/// A party as the computation needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyInfo {
    pub id: i64,
    pub name: String,
    pub sector: Sector,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct YearFigures {
    pub year: i32,
    pub one_off_costs: i64,
    pub running_costs: i64,
    pub savings: i64,
    /// Costs minus savings: positive is an added cost, negative a saving.
    pub net: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PartyEconomics {
    pub party_id: i64,
    pub name: String,
    pub sector: Sector,
    pub years: Vec<YearFigures>,
    pub total_net: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SectorEconomics {
    pub sector: Sector,
    pub net_per_year: Vec<(i32, i64)>,
    pub total_net: i64,
    /// Net per citizen per year over the period, where the volume is known.
    pub net_per_citizen_per_year: Option<i64>,
}

/// Whether the costs the receiving sectors take on match the savings the giving sectors gain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Balance {
    /// Costs and savings differ by at most the workflow's threshold.
    Balanced,
    /// The added costs exceed the savings by more than the threshold.
    CostsExceedSavings,
    /// The savings exceed the added costs by more than the threshold.
    SavingsExceedCosts,
    /// Nothing moves: no sector has an added cost or a saving.
    NoShift,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EconomicsSummary {
    pub years: Vec<i32>,
    pub parties: Vec<PartyEconomics>,
    pub sectors: Vec<SectorEconomics>,
    /// Net for all parties together over the period.
    pub total_net: i64,
    /// Added costs over the period, summed over the sectors whose net is a cost.
    pub costs_moved: i64,
    /// Savings over the period, summed over the sectors whose net is a saving.
    pub savings_released: i64,
    pub balance: Balance,
    /// |costs − savings| as per mille of the larger of the two (rounded down).
    pub deviation_per_mille: i64,
    pub threshold_percent: u32,
    /// The 2027 reform's rule for an agreement between region and municipalities: neither side
    /// may be left with a loss or a profit, year by year and in total.
    pub transfer: TransferBalance,
}

/// Whether the sector that takes the task on is compensated exactly for its net cost by the
/// sector that gives it up, so that neither is left with a loss or a profit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TransferBalance {
    pub years: Vec<YearBalance>,
    pub total: YearBalance,
    /// Every year, and the whole period, is balanced.
    pub balanced: bool,
}

/// One year of the transfer, or the whole period (`year` is `None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct YearBalance {
    pub year: Option<i32>,
    /// The net cost the taking sectors take on: the compensation they are owed.
    pub net_cost_moved: i64,
    /// The net saving the giving sectors gain, out of which they compensate.
    pub savings_released: i64,
    /// Savings minus the compensation: positive is a profit left with the giving side, negative
    /// a loss it carries; zero is balanced.
    pub remaining: i64,
    pub balanced: bool,
}

impl YearBalance {
    fn of(year: Option<i32>, sector_nets: impl IntoIterator<Item = i64>) -> Self {
        let (mut net_cost_moved, mut savings_released) = (0, 0);
        for net in sector_nets {
            if net > 0 {
                net_cost_moved += net;
            } else {
                savings_released -= net;
            }
        }
        let remaining = savings_released - net_cost_moved;
        Self {
            year,
            net_cost_moved,
            savings_released,
            remaining,
            balanced: remaining == 0,
        }
    }
}

fn transfer_balance(years: &[i32], sectors: &[SectorEconomics]) -> TransferBalance {
    let per_year: Vec<YearBalance> = years
        .iter()
        .map(|year| {
            YearBalance::of(
                Some(*year),
                sectors.iter().map(|s| {
                    s.net_per_year
                        .iter()
                        .filter(|(y, _)| y == year)
                        .map(|(_, net)| net)
                        .sum::<i64>()
                }),
            )
        })
        .collect();
    let total = YearBalance::of(None, sectors.iter().map(|s| s.total_net));
    TransferBalance {
        balanced: total.balanced && per_year.iter().all(|y| y.balanced),
        years: per_year,
        total,
    }
}

/// `numerator / denominator` rounded half away from zero; `denominator` must be positive.
pub fn divide_rounded(numerator: i64, denominator: i64) -> i64 {
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        -((-numerator + half) / denominator)
    }
}

/// Computes the summary. `volume_per_year` (citizens or patients) gives the per-citizen figures.
pub fn summarise(
    lines: &[EconomicsLine],
    parties: &[PartyInfo],
    volume_per_year: Option<u32>,
    threshold_percent: u32,
) -> EconomicsSummary {
    let mut years: Vec<i32> = lines.iter().map(|l| l.year).collect();
    years.sort_unstable();
    years.dedup();

    let mut party_rows = Vec::new();
    for party in parties {
        let mine: Vec<&EconomicsLine> = lines.iter().filter(|l| l.party_id == party.id).collect();
        if mine.is_empty() {
            continue;
        }
        let figures: Vec<YearFigures> = years
            .iter()
            .map(|&year| {
                let (one_off_costs, running_costs, savings) = mine
                    .iter()
                    .filter(|l| l.year == year)
                    .fold((0, 0, 0), |(o, r, s), l| {
                        (o + l.one_off_costs, r + l.running_costs, s + l.savings)
                    });
                YearFigures {
                    year,
                    one_off_costs,
                    running_costs,
                    savings,
                    net: one_off_costs + running_costs - savings,
                }
            })
            .collect();
        let total_net = figures.iter().map(|f| f.net).sum();
        party_rows.push(PartyEconomics {
            party_id: party.id,
            name: party.name.clone(),
            sector: party.sector,
            years: figures,
            total_net,
        });
    }

    let mut by_sector: BTreeMap<Sector, BTreeMap<i32, i64>> = BTreeMap::new();
    for row in &party_rows {
        let sector = by_sector.entry(row.sector).or_default();
        for figures in &row.years {
            *sector.entry(figures.year).or_default() += figures.net;
        }
    }
    let citizen_years = volume_per_year
        .filter(|v| *v > 0)
        .map(|v| i64::from(v) * i64::try_from(years.len()).unwrap_or(0))
        .filter(|n| *n > 0);
    let sectors: Vec<SectorEconomics> = by_sector
        .into_iter()
        .map(|(sector, per_year)| {
            let total_net: i64 = per_year.values().sum();
            SectorEconomics {
                sector,
                net_per_year: per_year.into_iter().collect(),
                total_net,
                net_per_citizen_per_year: citizen_years.map(|n| divide_rounded(total_net, n)),
            }
        })
        .collect();

    let costs_moved: i64 = sectors.iter().map(|s| s.total_net).filter(|n| *n > 0).sum();
    let savings_released: i64 = sectors
        .iter()
        .map(|s| s.total_net)
        .filter(|n| *n < 0)
        .map(|n| -n)
        .sum();
    let larger = costs_moved.max(savings_released);
    let difference = (costs_moved - savings_released).abs();
    let deviation_per_mille = if larger == 0 {
        0
    } else {
        difference * 1000 / larger
    };
    let balance = if larger == 0 {
        Balance::NoShift
    } else if difference * 100 <= i64::from(threshold_percent) * larger {
        Balance::Balanced
    } else if costs_moved > savings_released {
        Balance::CostsExceedSavings
    } else {
        Balance::SavingsExceedCosts
    };
    EconomicsSummary {
        transfer: transfer_balance(&years, &sectors),
        years,
        total_net: party_rows.iter().map(|p| p.total_net).sum(),
        parties: party_rows,
        sectors,
        costs_moved,
        savings_released,
        balance,
        deviation_per_mille,
        threshold_percent,
    }
}

/// The table as CSV for Excel in a Danish locale: `;`-separated, UTF-8 with a byte-order mark.
pub fn to_csv(summary: &EconomicsSummary, assumptions: &str) -> String {
    let field = super::csv::text_cell;
    let mut out =
        String::from("\u{feff}part;sektor;år;engangsudgifter;driftsudgifter;besparelser;netto\n");
    for party in &summary.parties {
        for y in &party.years {
            out.push_str(&format!(
                "{};{};{};{};{};{};{}\n",
                field(&party.name),
                party.sector.danish(),
                y.year,
                y.one_off_costs,
                y.running_costs,
                y.savings,
                y.net
            ));
        }
    }
    for sector in &summary.sectors {
        for (year, net) in &sector.net_per_year {
            out.push_str(&format!(
                "I alt {};{};{year};;;;{net}\n",
                sector.sector.danish(),
                sector.sector.danish()
            ));
        }
    }
    out.push_str(&format!("I alt;;;;;;{}\n", summary.total_net));
    if !assumptions.trim().is_empty() {
        out.push_str(&format!("Forudsætninger;{}\n", field(assumptions.trim())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(party_id: i64, year: i32, one_off: i64, running: i64, savings: i64) -> EconomicsLine {
        EconomicsLine {
            party_id,
            year,
            one_off_costs: one_off,
            running_costs: running,
            savings,
        }
    }

    fn parties() -> Vec<PartyInfo> {
        vec![
            PartyInfo {
                id: 1,
                name: "Odense Universitetshospital".into(),
                sector: Sector::Region,
            },
            PartyInfo {
                id: 2,
                name: "Odense Kommune".into(),
                sector: Sector::Municipalities,
            },
            PartyInfo {
                id: 3,
                name: "Svendborg Kommune".into(),
                sector: Sector::Municipalities,
            },
            PartyInfo {
                id: 4,
                name: "Nyborg Kommune".into(),
                sector: Sector::Municipalities,
            },
        ]
    }

    /// Hand-checked: the hospital saves 1,000,000 a year for four years after 80,000 in
    /// one-off costs the first year; three municipalities take on running costs.
    ///
    /// | party     | 2027     | 2028     | 2029     | 2030     | total      |
    /// |-----------|----------|----------|----------|----------|------------|
    /// | hospital  | -920,000 | -1,000,000 | -1,000,000 | -1,000,000 | -3,920,000 |
    /// | Odense    | 650,000  | 500,000  | 500,000  | 500,000  | 2,150,000  |
    /// | Svendborg | 250,000  | 200,000  | 200,000  | 200,000  | 850,000    |
    /// | Nyborg    | 230,000  | 180,000  | 180,000  | 180,000  | 770,000    |
    /// municipalities total 3,770,000; all parties -150,000; deviation 150/3920 = 38 per mille.
    fn four_year_table() -> Vec<EconomicsLine> {
        let mut lines = Vec::new();
        for year in 2027..=2030 {
            let first = year == 2027;
            lines.push(line(1, year, if first { 80_000 } else { 0 }, 0, 1_000_000));
            lines.push(line(2, year, if first { 150_000 } else { 0 }, 500_000, 0));
            lines.push(line(3, year, if first { 50_000 } else { 0 }, 200_000, 0));
            lines.push(line(4, year, if first { 50_000 } else { 0 }, 180_000, 0));
        }
        lines
    }

    #[test]
    fn a_four_year_table_sums_to_the_hand_checked_figures() {
        let summary = summarise(&four_year_table(), &parties(), Some(420), 10);
        assert_eq!(summary.years, [2027, 2028, 2029, 2030]);
        let totals: Vec<(i64, i64)> = summary
            .parties
            .iter()
            .map(|p| (p.party_id, p.total_net))
            .collect();
        assert_eq!(
            totals,
            [(1, -3_920_000), (2, 2_150_000), (3, 850_000), (4, 770_000)]
        );
        assert_eq!(summary.parties[0].years[0].net, -920_000);
        assert_eq!(summary.parties[1].years[0].net, 650_000);
        let region = &summary.sectors[0];
        assert_eq!(
            (region.sector, region.total_net),
            (Sector::Region, -3_920_000)
        );
        let municipalities = &summary.sectors[1];
        assert_eq!(
            municipalities.net_per_year,
            [
                (2027, 1_130_000),
                (2028, 880_000),
                (2029, 880_000),
                (2030, 880_000)
            ]
        );
        assert_eq!(municipalities.total_net, 3_770_000);
        // 3,770,000 / (420 citizens × 4 years) = 2,244.05 → 2,244 kr.
        assert_eq!(municipalities.net_per_citizen_per_year, Some(2_244));
        // -3,920,000 / 1,680 = -2,333.33 → -2,333 kr.
        assert_eq!(region.net_per_citizen_per_year, Some(-2_333));
        assert_eq!(summary.total_net, -150_000);
        assert_eq!(
            (summary.costs_moved, summary.savings_released),
            (3_770_000, 3_920_000)
        );
        assert_eq!(summary.deviation_per_mille, 38);
        assert_eq!(summary.balance, Balance::Balanced);
    }

    #[test]
    fn the_balance_indicator_follows_the_threshold() {
        // Costs 1,200,000 against savings 1,000,000: 200/1200 = 166 per mille.
        let lines = [
            line(1, 2027, 0, 0, 1_000_000),
            line(2, 2027, 0, 1_200_000, 0),
        ];
        assert_eq!(
            summarise(&lines, &parties(), None, 10).balance,
            Balance::CostsExceedSavings
        );
        assert_eq!(
            summarise(&lines, &parties(), None, 20).balance,
            Balance::Balanced
        );
        assert_eq!(
            summarise(&lines, &parties(), None, 10).deviation_per_mille,
            166
        );
        let lines = [line(1, 2027, 0, 0, 1_000_000), line(2, 2027, 0, 500_000, 0)];
        assert_eq!(
            summarise(&lines, &parties(), None, 10).balance,
            Balance::SavingsExceedCosts
        );
        assert_eq!(
            summarise(&[], &parties(), None, 10).balance,
            Balance::NoShift
        );
        assert_eq!(summarise(&[], &parties(), Some(10), 10).sectors.len(), 0);
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(divide_rounded(5, 2), 3);
        assert_eq!(divide_rounded(-5, 2), -3);
        assert_eq!(divide_rounded(7, 3), 2);
        assert_eq!(divide_rounded(-7, 3), -2);
    }

    #[test]
    fn the_csv_has_a_row_per_party_and_year_and_the_totals() {
        let summary = summarise(&four_year_table(), &parties(), Some(420), 10);
        let csv = to_csv(&summary, "Priser i 2026-niveau; 420 borgere om året");
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(
            rows[0],
            "\u{feff}part;sektor;år;engangsudgifter;driftsudgifter;besparelser;netto"
        );
        assert_eq!(
            rows[1],
            "Odense Universitetshospital;Region og hospitaler;2027;80000;0;1000000;-920000"
        );
        assert_eq!(rows.len(), 1 + 16 + 8 + 1 + 1);
        assert!(rows.contains(&"I alt;;;;;;-150000"));
        assert_eq!(
            rows.last(),
            Some(&"Forudsætninger;\"Priser i 2026-niveau; 420 borgere om året\"")
        );
    }

    #[test]
    fn a_party_name_or_assumption_a_spreadsheet_would_run_is_text_and_kroner_stay_numbers() {
        let mut parties = parties();
        parties[0].name = "=HYPERLINK(\"http://x\")".into();
        let summary = summarise(&four_year_table(), &parties, Some(420), 10);
        let csv = to_csv(&summary, "@SUM(A1)");
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(
            rows[1],
            "\"'=HYPERLINK(\"\"http://x\"\")\";Region og hospitaler;2027;80000;0;1000000;-920000"
        );
        assert!(rows.contains(&"I alt;;;;;;-150000"));
        assert_eq!(rows.last(), Some(&"Forudsætninger;'@SUM(A1)"));
    }

    #[test]
    fn a_transfer_is_balanced_only_when_each_year_compensates_the_cost_exactly() {
        let parties = [
            PartyInfo {
                id: 1,
                name: "OUH".into(),
                sector: Sector::Region,
            },
            PartyInfo {
                id: 2,
                name: "Odense Kommune".into(),
                sector: Sector::Municipalities,
            },
        ];
        let even = [line(1, 2027, 0, 0, 500), line(2, 2027, 0, 500, 0)];
        let summary = summarise(&even, &parties, None, 10);
        assert!(summary.transfer.balanced);
        assert_eq!(summary.transfer.total.net_cost_moved, 500);

        // Even over the period, but the municipality carries 2027's cost and the region
        // keeps 2028's saving: unbalanced year by year.
        let uneven = [
            line(1, 2027, 0, 0, 300),
            line(2, 2027, 0, 500, 0),
            line(1, 2028, 0, 0, 700),
            line(2, 2028, 0, 500, 0),
        ];
        let summary = summarise(&uneven, &parties, None, 10);
        assert!(summary.transfer.total.balanced);
        assert!(!summary.transfer.balanced);
        let remaining: Vec<i64> = summary.transfer.years.iter().map(|y| y.remaining).collect();
        assert_eq!(remaining, [-200, 200]);
        // Within the fair-balance threshold of 10 % is still not balanced for the reform.
        let close = [line(1, 2027, 0, 0, 505), line(2, 2027, 0, 500, 0)];
        let summary = summarise(&close, &parties, None, 10);
        assert_eq!(summary.balance, Balance::Balanced);
        assert!(!summary.transfer.balanced);
        assert_eq!(summary.transfer.total.remaining, 5);
    }
}
