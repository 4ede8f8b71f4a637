//! Cells of the CSV files Overdrag hands out (economics, journal), for Excel in a Danish locale:
//! `;`-separated, quoted where needed, and safe to open.

/// What a text cell may not start with: a spreadsheet reads `=`, `+`, `-` and `@` as the
/// start of a formula, and tab and carriage return can smuggle one in (OWASP, "CSV Injection").
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell: a leading formula character is neutralised with `'`, so the spreadsheet shows
/// the text as written instead of running it; then the cell is quoted when it holds the
/// separator, a quote or a line break. Every text cell of every CSV goes through here.
pub fn text_cell(text: &str) -> String {
    let text = if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// A number cell (whole kroner, years, counts): written as the number, a minus sign included,
/// so the spreadsheet can sum it.
pub fn number_cell(number: i64) -> String {
    number.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_a_spreadsheet_would_run_is_shown_as_text() {
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text_cell("+45 1234"), "'+45 1234");
        assert_eq!(text_cell("-2+3"), "'-2+3");
        assert_eq!(text_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text_cell("\t=1"), "'\t=1");
        assert_eq!(text_cell("\r=1"), "\"'\r=1\"");
        assert_eq!(text_cell("Odense Kommune"), "Odense Kommune");
        assert_eq!(text_cell("a;b"), "\"a;b\"");
        assert_eq!(text_cell(""), "");
    }

    #[test]
    fn numbers_stay_numbers_also_when_negative() {
        assert_eq!(number_cell(-920_000), "-920000");
        assert_eq!(number_cell(0), "0");
    }
}
