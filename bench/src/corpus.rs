//! Plausible case texts for the scale run, the same for the same case number on every run: a
//! task from a list of real handover topics, a target group, a municipality, and a professional
//! description of about a kilobyte assembled from sentences a proposer would write. Each case
//! also carries a reference code of its own, so a search can be made that finds exactly one.

use overdrag_engine::domain::description::ProfessionalDescription;

const TASKS: [&str; 32] = [
    "Subkutan væskebehandling",
    "IV-antibiotika",
    "Sårpleje ved tryksår",
    "Stomipleje",
    "Kateterpleje",
    "Blodprøvetagning i eget hjem",
    "Insulinbehandling",
    "Palliativ indsats",
    "Genoptræning efter hoftealloplastik",
    "Tracheostomipleje",
    "Sondeernæring",
    "Hjemmedialyse",
    "Iltbehandling",
    "Lungefunktionsmåling",
    "Måling af INR",
    "Smertepumpe",
    "Behandling af lymfødem",
    "Opfølgning efter hjertesvigt",
    "KOL-rehabilitering",
    "Forebyggende hjemmebesøg",
    "Medicinhåndtering ved udskrivelse",
    "Pleje af PICC-line",
    "Behandling af diabetiske fodsår",
    "Telemedicinsk monitorering",
    "Ernæringsscreening",
    "Faldforebyggelse",
    "Kompressionsbehandling",
    "Psykiatrisk udskrivningsopfølgning",
    "Neonatal hjemmepleje",
    "Infusion af jern",
    "Vaccination af hjemmeboende",
    "Behandling med CPAP",
];

const GROUPS: [&str; 8] = [
    "ældre medicinske patienter",
    "borgere med kronisk sygdom",
    "børn og unge",
    "borgere i eget hjem",
    "beboere på plejecentre",
    "patienter efter udskrivelse",
    "borgere med demens",
    "gravide og nybagte forældre",
];

const STAFF: [&str; 6] = [
    "hjemmesygeplejen",
    "sygeplejersker i akutteamet",
    "terapeuter i kommunen",
    "den praktiserende læge",
    "hospitalets udgående team",
    "sundhedsplejen",
];

const OPENINGS: [&str; 6] = [
    "Opgaven varetages i dag af hospitalet og foreslås overdraget til",
    "Indsatsen skal fremover udføres af",
    "Efter aftale i klyngen varetages opgaven af",
    "Det foreslås, at ansvaret for udførelsen overgår til",
    "Borgerne oplever i dag unødige indlæggelser; opgaven kan løses af",
    "Erfaringer fra pilotprojektet viser, at opgaven kan løftes af",
];

const SAFETY: [&str; 5] = [
    "Der udarbejdes en fælles instruks, og hospitalet har døgnåben telefonisk rådgivning.",
    "Utilsigtede hændelser indberettes og drøftes kvartalsvis i samordningsudvalget.",
    "Behandlingsansvaret ligger hos den ordinerende læge, udførelsesansvaret hos kommunen.",
    "Kvaliteten følges med fælles indikatorer og en årlig audit af journaler.",
    "Oplæring sker ved sidemandsoplæring og godkendes med en kompetenceprofil.",
];

/// A small deterministic generator (SplitMix64): the same case number gives the same text.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        let len = u64::try_from(from.len()).unwrap_or(1);
        from[usize::try_from(self.next() % len).unwrap_or(0)]
    }
}

/// The reference code only case `n` carries, e.g. `ref-004711`.
pub fn reference(n: u64) -> String {
    format!("ref-{n:06}")
}

/// Case `n`'s title and description; `municipality` is the receiving party's name.
pub fn case_text(n: u64, municipality: &str) -> (String, ProfessionalDescription) {
    let mut dice = Dice(n);
    let task = dice.pick(&TASKS);
    let group = dice.pick(&GROUPS);
    let staff = dice.pick(&STAFF);
    let volume = 40 + dice.next() % 900;
    let title = format!("{task} for {group} i {municipality}");
    let mut sentence = |lead: &str| {
        format!(
            "{lead} {} {} {}",
            dice.pick(&OPENINGS),
            dice.pick(&STAFF),
            dice.pick(&SAFETY)
        )
    };
    let description = ProfessionalDescription {
        task: format!(
            "{task} for {group}. {} Sagens reference: {}.",
            sentence("Opgaven:"),
            reference(n)
        ),
        target_group: format!(
            "Målgruppen er {group} i {municipality}, omkring {volume} borgere om året."
        ),
        volume_per_year: Some(u32::try_from(volume).unwrap_or(100)),
        competences: format!("Opgaven løses af {staff}. {}", sentence("Kompetencer:")),
        responsibility: sentence("Ansvar:"),
        quality_and_safety: sentence("Kvalitet:"),
        equipment: "Udstyr leveres af hospitalet de første tre måneder.".into(),
        training: sentence("Oplæring:"),
        documentation:
            "Der dokumenteres i den kommunale omsorgsjournal og med MedCom-korrespondance.".into(),
        timeline: format!("Opstart efter godkendelse i {municipality}."),
        evidence: sentence("Evidens:"),
    };
    (title, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_case_gets_the_same_text_and_its_own_reference() {
        let (title, description) = case_text(4711, "Aarhus Kommune");
        assert_eq!(case_text(4711, "Aarhus Kommune").0, title);
        assert!(title.ends_with("i Aarhus Kommune"));
        assert!(description.task.contains("ref-004711"));
        assert_ne!(case_text(4712, "Aarhus Kommune").1.task, description.task);
        let length: usize = description.texts().iter().map(|t| t.len()).sum();
        assert!((700..2_000).contains(&length), "{length} bytes");
    }
}
