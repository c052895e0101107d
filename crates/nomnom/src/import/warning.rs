//! What the importer could not carry over, located at the line of the first nomnom's file that
//! says it.

use std::fmt;

/// One thing the imported model does differently from the first nomnom's project, or could not
/// express: printed as `entities/order.yaml:42: message`, and written as a comment beside what
/// it concerns in the imported model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The file it is about, relative to the imported project's folder (`entities/order.yaml`).
    pub file: String,
    /// The 1-based line in that file.
    pub line: usize,
    /// One sentence: what was found, what the imported model does instead.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// A location in one of the first nomnom's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// The file, relative to the project's folder.
    pub file: String,
    /// The 1-based line.
    pub line: usize,
}

impl At {
    /// A warning at this location.
    pub fn warning(&self, message: impl Into<String>) -> Warning {
        Warning {
            file: self.file.clone(),
            line: self.line,
            message: message.into(),
        }
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}
