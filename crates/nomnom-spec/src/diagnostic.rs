//! Located diagnostics: what `nomnom check` prints.
//!
//! Every [`Diagnostic`] points at a byte range of the model file and carries a one-line
//! message, a label for the snippet and (almost always) a hint. [`Diagnostics`] holds them
//! together with the file's name and text, and renders them with `miette`.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};

use crate::yaml::Span;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The model is invalid; nothing can be generated.
    Error,
    /// The model is valid but probably not what was meant.
    Warning,
}

/// One problem found in a model file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable machine-readable code (`nomnom::unknown_key`).
    pub code: &'static str,
    /// One line saying what is wrong.
    pub message: String,
    /// The label shown under the offending snippet.
    pub label: String,
    /// How to fix it.
    pub help: Option<String>,
    /// Byte offset of the offending snippet.
    pub offset: usize,
    /// Length of the offending snippet in bytes.
    pub len: usize,
    /// 1-based line of `offset`.
    pub line: usize,
    /// 1-based column (in characters) of `offset`.
    pub column: usize,
}

impl Diagnostic {
    /// An error at `span`; line and column are filled in by [`Diagnostics::push`].
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            label: String::new(),
            help: None,
            offset: span.offset,
            len: span.len,
            line: 0,
            column: 0,
        }
    }

    /// A warning at `span`.
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// Sets the label shown under the snippet.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets the hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the hint when there is one.
    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }
}

/// The diagnostics of one model file, with the file's name and text for rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The file's name as it should be displayed.
    pub file: String,
    /// The file's text (lossily decoded when it was not UTF-8).
    pub source: String,
    /// Every diagnostic, in the order found.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// An empty set for `file` holding `source`.
    pub fn new(file: impl Into<String>, source: impl Into<String>) -> Self {
        Diagnostics {
            file: file.into(),
            source: source.into(),
            items: Vec::new(),
        }
    }

    /// Adds a diagnostic, clamping its span to the source and computing line and column.
    pub fn push(&mut self, mut d: Diagnostic) {
        let n = self.source.len();
        d.offset = d.offset.min(n);
        while d.offset > 0 && !self.source.is_char_boundary(d.offset) {
            d.offset -= 1;
        }
        d.len = d.len.min(n - d.offset);
        while d.len > 0 && !self.source.is_char_boundary(d.offset + d.len) {
            d.len -= 1;
        }
        let before = &self.source[..d.offset];
        d.line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        d.column = before[line_start..].chars().count() + 1;
        self.items.push(d);
    }

    /// Number of errors (not counting warnings).
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// `true` when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// Splits off the warnings, keeping errors in `self`.
    pub fn take_warnings(&mut self) -> Diagnostics {
        let (warnings, errors) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|d| d.severity == Severity::Warning);
        self.items = errors;
        Diagnostics {
            file: self.file.clone(),
            source: self.source.clone(),
            items: warnings,
        }
    }

    /// Every diagnostic as a `miette` report (file name, snippet, label, hint).
    pub fn reports(&self) -> impl Iterator<Item = Report<'_>> {
        self.items.iter().map(move |d| Report {
            diagnostic: d,
            file: &self.file,
            source: &self.source,
        })
    }

    /// Renders every diagnostic with `miette`'s graphical handler: Unicode frames, with
    /// colours when `color` is set, wrapped at `width` columns.
    pub fn render(&self, color: bool, width: usize) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_links(false)
            .with_width(width);
        let mut out = String::new();
        for (i, report) in self.reports().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let mut one = String::new();
            if handler.render_report(&mut one, &report).is_err() {
                one = format!("{}\n", report.plain());
            }
            out.push_str(&one);
        }
        out
    }

    /// Renders without colours at a fixed width: stable text for snapshots and logs.
    pub fn render_plain(&self) -> String {
        self.render(false, 100)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for report in self.reports() {
            writeln!(f, "{}", report.plain())?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// One diagnostic bound to its file, as a `miette::Diagnostic`.
#[derive(Debug)]
pub struct Report<'a> {
    diagnostic: &'a Diagnostic,
    file: &'a str,
    source: &'a str,
}

impl Report<'_> {
    /// `file:line:column: severity: message (hint)` on one line.
    pub fn plain(&self) -> String {
        let d = self.diagnostic;
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut s = format!(
            "{}:{}:{}: {severity}: {}",
            self.file, d.line, d.column, d.message
        );
        if let Some(help) = &d.help {
            s.push_str(&format!(" (hint: {help})"));
        }
        s
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let d = self.diagnostic;
        let label = (!d.label.is_empty()).then(|| d.label.clone());
        let span = SourceSpan::new(d.offset.into(), d.len);
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(label, span),
        )))
    }
}

impl miette::SourceCode for Report<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'b> + 'b>, miette::MietteError> {
        let inner = self
            .source
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.file.to_string(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}
