//! The problems found in a file the server loads (a workflow definition, a carry-over), each
//! with its file and line.

use super::definition::DefinitionError;
use std::ops::Range;

/// Collects problems with their lines.
pub(super) struct Problems<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub found: Vec<DefinitionError>,
}

impl<'a> Problems<'a> {
    pub(super) fn new(file: &'a str, source: &'a str) -> Self {
        Self {
            file,
            source,
            found: Vec::new(),
        }
    }

    /// The file read as TOML of the shape `T`; a syntax or shape error is a problem at its
    /// line.
    pub(super) fn parse<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, ()> {
        toml::from_str(self.source).map_err(|error| {
            self.at(
                error.span().unwrap_or(0..0),
                format!("{}; fix the TOML there", error.message()),
            );
        })
    }

    /// A problem at the bytes `span` of the file.
    pub(super) fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = self.source[..span.start.min(self.source.len())]
            .matches('\n')
            .count()
            + 1;
        self.found.push(DefinitionError {
            file: self.file.to_owned(),
            line,
            message: message.into(),
        });
    }
}
