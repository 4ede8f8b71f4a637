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

const REGIONS: &str = include_str!("../seed/regions.csv");
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

#[cfg(test)]
mod tests {
    use super::*;

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
