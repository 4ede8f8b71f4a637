//! What a document is, judged from its bytes — never from the name it came with — and a file
//! name that is safe to store and hand out again.

/// The document types a case file accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentType {
    Pdf,
    Docx,
    Xlsx,
    Png,
    Jpeg,
}

impl DocumentType {
    pub fn content_type(self) -> &'static str {
        match self {
            DocumentType::Pdf => "application/pdf",
            DocumentType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            DocumentType::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            DocumentType::Png => "image/png",
            DocumentType::Jpeg => "image/jpeg",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            DocumentType::Pdf => "pdf",
            DocumentType::Docx => "docx",
            DocumentType::Xlsx => "xlsx",
            DocumentType::Png => "png",
            DocumentType::Jpeg => "jpg",
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The type of `bytes`, from their signature. Office files are ZIP packages told apart by the
/// part names their local headers carry in plain text.
pub fn sniff(bytes: &[u8]) -> Option<DocumentType> {
    if bytes.starts_with(b"%PDF-") {
        Some(DocumentType::Pdf)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(DocumentType::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(DocumentType::Jpeg)
    } else if bytes.starts_with(b"PK\x03\x04") && contains(bytes, b"[Content_Types].xml") {
        if contains(bytes, b"word/") {
            Some(DocumentType::Docx)
        } else if contains(bytes, b"xl/") {
            Some(DocumentType::Xlsx)
        } else {
            None
        }
    } else {
        None
    }
}

/// A safe file name: no directories, no control or reserved characters, at most 120
/// characters, and the extension of the sniffed type.
pub fn sanitise_file_name(raw: &str, kind: DocumentType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let stem = match cleaned.rsplit_once('.') {
        Some((stem, _)) if !stem.trim_matches('.').is_empty() => stem,
        _ => cleaned.as_str(),
    };
    let stem: String = stem
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .chars()
        .take(120)
        .collect();
    let stem = if stem.is_empty() {
        "dokument".to_owned()
    } else {
        stem
    };
    format!("{stem}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(DocumentType::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(DocumentType::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(DocumentType::Jpeg));
        assert_eq!(
            sniff(b"PK\x03\x04....[Content_Types].xml....word/document.xml"),
            Some(DocumentType::Docx)
        );
        assert_eq!(
            sniff(b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml"),
            Some(DocumentType::Xlsx)
        );
        assert_eq!(sniff(b"PK\x03\x04 an ordinary zip"), None);
        assert_eq!(sniff(b"MZ\x90\x00 an executable"), None);
        assert_eq!(sniff(b"<html>"), None);
    }

    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(
            sanitise_file_name("../../etc/passwd", DocumentType::Pdf),
            "passwd.pdf"
        );
        assert_eq!(
            sanitise_file_name("C:\\Users\\anne\\Notat om IV.docx", DocumentType::Docx),
            "Notat om IV.docx"
        );
        assert_eq!(
            sanitise_file_name("rapport.exe", DocumentType::Pdf),
            "rapport.pdf"
        );
        assert_eq!(
            sanitise_file_name("a<b>|c?.pdf", DocumentType::Pdf),
            "a b c.pdf"
        );
        assert_eq!(sanitise_file_name("...", DocumentType::Png), "dokument.png");
        assert_eq!(
            sanitise_file_name(&"x".repeat(300), DocumentType::Pdf).len(),
            124
        );
        assert_eq!(
            sanitise_file_name("Økonomi 2027.xlsx", DocumentType::Xlsx),
            "Økonomi 2027.xlsx"
        );
    }
}
