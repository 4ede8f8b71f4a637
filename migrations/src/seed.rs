//! Public reference data, compiled into the binary so no run needs the source tree.

use serde::Deserialize;

/// A Danish region (or the reform's Region Østdanmark).
#[derive(Debug, Deserialize)]
pub struct RegionRow {
    pub slug: String,
    pub code: Option<i32>,
    pub name: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

/// A hospital unit, municipality or general practice of a region.
#[derive(Debug, Deserialize)]
pub struct OrganisationRow {
    pub region: String,
    pub kind: String,
    pub code: Option<String>,
    pub name: String,
}

/// A municipality's place in one of the 2027 reform's sundhedsråd (councils).
#[derive(Debug, Deserialize)]
pub struct CouncilRow {
    pub region: String,
    pub council: String,
    pub municipality_code: String,
    pub municipality: String,
    /// Why the placement is uncertain, when public sources disagree.
    pub note: Option<String>,
}

const REGIONS: &str = include_str!("../seed/regions.csv");
const COUNCILS: &str = include_str!("../seed/councils.csv");
const ORGANISATIONS: &str = include_str!("../seed/organisations.csv");

/// The regions that merge into Region Østdanmark on 1 January 2027.
pub const MERGED_INTO_OESTDANMARK: [&str; 2] = ["hovedstaden", "sjaelland"];

/// Parses an ISO date from the reference data.
///
/// # Errors
/// When the text is not a date.
pub fn date(raw: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|e| format!("reference data has a bad date `{raw}`: {e}"))
}

fn rows<T: for<'de> Deserialize<'de>>(text: &str) -> Result<Vec<T>, String> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| format!("the compiled-in reference data is malformed: {e}"))
}

/// # Errors
/// Only if the compiled-in CSV is malformed.
pub fn regions() -> Result<Vec<RegionRow>, String> {
    rows(REGIONS)
}

/// Every organisation, with Østdanmark holding the hospitals, municipalities and general
/// practice of Hovedstaden and Sjælland, and each region its own regional administration.
///
/// # Errors
/// Only if the compiled-in CSV is malformed.
pub fn organisations() -> Result<Vec<OrganisationRow>, String> {
    let listed: Vec<OrganisationRow> = rows(ORGANISATIONS)?;
    let mut all = Vec::with_capacity(listed.len() * 2);
    for region in regions()? {
        all.push(OrganisationRow {
            region: region.slug.clone(),
            kind: "region".into(),
            code: region.code.map(|c| c.to_string()),
            name: region.name.clone(),
        });
    }
    for row in &listed {
        if MERGED_INTO_OESTDANMARK.contains(&row.region.as_str()) {
            all.push(OrganisationRow {
                region: "oestdanmark".into(),
                kind: row.kind.clone(),
                code: row.code.clone(),
                name: row.name.clone(),
            });
        }
    }
    all.extend(listed);
    Ok(all)
}

/// The 17 councils of the 2027 reform, one row per municipality: an administrator corrects
/// a placement in the application, the file is where the data comes from.
///
/// # Errors
/// Only if the compiled-in CSV is malformed.
pub fn councils() -> Result<Vec<CouncilRow>, String> {
    let mut rows: Vec<CouncilRow> = rows(COUNCILS)?;
    for row in &mut rows {
        row.note = row.note.take().filter(|n| !n.trim().is_empty());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventeen_councils_hold_every_municipality_of_the_four_2027_regions_once() {
        let councils = councils().unwrap_or_default();
        let orgs = organisations().unwrap_or_default();
        let names: std::collections::BTreeSet<(&str, &str)> = councils
            .iter()
            .map(|c| (c.region.as_str(), c.council.as_str()))
            .collect();
        assert_eq!(names.len(), 17);
        for (region, count) in [
            ("oestdanmark", 6),
            ("midtjylland", 5),
            ("syddanmark", 4),
            ("nordjylland", 2),
        ] {
            assert_eq!(names.iter().filter(|(r, _)| *r == region).count(), count);
            let municipalities: Vec<&OrganisationRow> = orgs
                .iter()
                .filter(|o| o.region == region && o.kind == "municipality")
                .collect();
            for m in &municipalities {
                let placed = councils
                    .iter()
                    .filter(|c| c.region == region && Some(&c.municipality_code) == m.code.as_ref())
                    .count();
                assert_eq!(placed, 1, "{} in {region}", m.name);
            }
            assert_eq!(
                councils.iter().filter(|c| c.region == region).count(),
                municipalities.len()
            );
        }
        assert_eq!(councils.iter().filter(|c| c.note.is_some()).count(), 2);
    }

    #[test]
    fn there_are_98_municipalities_in_the_five_regions() {
        let orgs = organisations().unwrap_or_default();
        let count = |region: &str| {
            orgs.iter()
                .filter(|o| o.region == region && o.kind == "municipality")
                .count()
        };
        assert_eq!(
            [
                count("nordjylland"),
                count("midtjylland"),
                count("syddanmark"),
                count("hovedstaden"),
                count("sjaelland")
            ],
            [11, 19, 22, 29, 17]
        );
        assert_eq!(count("oestdanmark"), 46);
        assert!(
            orgs.iter()
                .any(|o| o.name == "Odense Kommune" && o.code.as_deref() == Some("461"))
        );
    }

    #[test]
    fn every_region_has_a_hospital_and_general_practice() {
        let orgs = organisations().unwrap_or_default();
        for region in regions().unwrap_or_default() {
            for kind in ["hospital", "general_practice", "region"] {
                assert!(
                    orgs.iter()
                        .any(|o| o.region == region.slug && o.kind == kind),
                    "{} lacks {kind}",
                    region.slug
                );
            }
        }
    }
}
