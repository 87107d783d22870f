//! The one error type of the library, and the diagnostics the KB loader reports.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong in the library. Nothing here panics or exits.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// One or more KB files are malformed; every problem found is listed.
    #[error("{}", Problems(.0))]
    Kb(Vec<Diagnostic>),
    /// A KB folder or file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `Kb::get` or `show` was asked for an id the KB does not have.
    #[error("no entry with id `{0}`")]
    UnknownId(String),
}

/// How bad a diagnostic is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a KB file, located to the line and column, in the style of rustc.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable short code, e.g. `KB003`.
    pub code: &'static str,
    pub message: String,
    pub file: String,
    /// 1-based; 0 when the problem concerns the file as a whole.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    /// The offending source line, for the caret display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{level}[{}]: {}", self.code, self.message)?;
        write!(f, "  --> {}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column.max(1))?;
        }
        if let Some(src) = &self.source_line {
            let gutter = " ".repeat(self.line.to_string().len());
            // Tabs would shift the caret; show them as one space each.
            let shown: String = crate::render::sanitize(src).replace('\t', " ");
            write!(f, "\n{gutter} |\n{} | {shown}\n{gutter} | ", self.line)?;
            let pad: String = shown
                .chars()
                .take(self.column.saturating_sub(1))
                .map(|_| ' ')
                .collect();
            write!(f, "{pad}^")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

struct Problems<'a>(&'a [Diagnostic]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
