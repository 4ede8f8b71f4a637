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
