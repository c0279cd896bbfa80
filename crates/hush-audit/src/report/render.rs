//! Markdown and HTML renderings of a [`Report`]; JSON is serde's.
//!
//! Every piece of text that is not a fixed string of this file goes
//! through [`escape_markdown`] or [`escape_html`]: key names, paths and
//! labels are data, and a report opened in a browser must not run or
//! restyle anything a key store or a log put in it.

use std::fmt::Write as _;

use super::{ControlId, ControlSection, Item, Report};

/// Escapes text for HTML element content and quoted attribute values:
/// `&`, `<`, `>`, `"` and `'`.
///
/// # Example
///
/// ```
/// use hush_audit::report::escape_html;
///
/// assert_eq!(
///     escape_html("<script>alert('x&y')</script>"),
///     "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;"
/// );
/// ```
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or paragraph: HTML characters
/// become entities (Markdown passes raw HTML through), `|`, `\`, `*`,
/// `[` and `]` get a backslash (no table break, emphasis or link), and
/// line breaks become spaces so a cell stays on its row.
///
/// # Example
///
/// ```
/// use hush_audit::report::escape_markdown;
///
/// assert_eq!(escape_markdown("a|b <i>\nc"), "a\\|b &lt;i&gt; c");
/// assert_eq!(escape_markdown("[x](javascript:1)"), "\\[x\\](javascript:1)");
/// ```
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '\\' | '*' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn md_table(s: &mut String, head: [&str; 2], rows: &[Item]) {
    let _ = writeln!(s, "| {} | {} |", head[0], head[1]);
    let _ = writeln!(s, "| --- | --- |");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} |",
            escape_markdown(&r.name),
            escape_markdown(&r.value)
        );
    }
    s.push('\n');
}

fn key_rows(report: &Report) -> Vec<[String; 8]> {
    let Some(k) = &report.keys else { return Vec::new() };
    k.keys
        .iter()
        .map(|k| {
            [
                k.id.clone(),
                k.name.clone(),
                k.created.clone(),
                k.age_days.to_string(),
                k.expires.clone().unwrap_or_else(|| "never".into()),
                k.revoked.clone().unwrap_or_else(|| "-".into()),
                k.status.clone(),
                k.rotation.clone(),
            ]
        })
        .collect()
}

const KEY_HEAD: [&str; 8] = [
    "Id",
    "Name",
    "Created",
    "Age (days)",
    "Expires",
    "Revoked",
    "Status",
    "Rotation",
];

fn criteria(c: &ControlSection) -> String {
    c.control.criteria.join(", ")
}

impl Report {
    /// The report as Markdown: a summary table, then one section per
    /// control (criteria, what hush does, configuration in force,
    /// figures, findings).
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::{build, Period, ReportInputs};
    ///
    /// let r = build(ReportInputs::new(Period::from_dates("2026-11-01", "2026-11-30")?, 0));
    /// let md = r.to_markdown();
    /// assert!(md.starts_with("# hush evidence report\n"));
    /// assert!(md.contains("| Encryption in transit | CC6.7 | not configured |"));
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# hush evidence report\n");
        let _ = writeln!(
            s,
            "- Period: {} to {} (UTC; the end is exclusive)",
            self.period.from, self.period.to_exclusive
        );
        let _ = writeln!(s, "- Generated: {}", self.generated_at);
        let _ = writeln!(s, "- Report version: {}", self.report_version);
        let _ = writeln!(
            s,
            "- No original value appears in this report: the audit log \
             holds pseudonyms only, and the report keeps counts.\n"
        );
        if !self.sources.is_empty() {
            let _ = writeln!(s, "## Sources\n");
            md_table(&mut s, ["Source", "Value"], &self.sources);
        }
        let _ = writeln!(s, "## Summary\n");
        let _ = writeln!(s, "| Control | Criteria | Status |");
        let _ = writeln!(s, "| --- | --- | --- |");
        for c in &self.controls {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                escape_markdown(&c.control.title),
                escape_markdown(&criteria(c)),
                c.status.as_str()
            );
        }
        s.push('\n');
        for (i, c) in self.controls.iter().enumerate() {
            let _ = writeln!(
                s,
                "## {}. {}\n",
                i + 1,
                escape_markdown(&c.control.title)
            );
            let _ = writeln!(s, "- Status: **{}**", c.status.as_str());
            let _ =
                writeln!(s, "- Criteria: {}", escape_markdown(&criteria(c)));
            let _ = writeln!(
                s,
                "- What hush does: {}",
                escape_markdown(&c.control.does)
            );
            let _ = writeln!(
                s,
                "- Why these criteria: {}\n",
                escape_markdown(&c.control.rationale)
            );
            let _ = writeln!(s, "### Configuration in force\n");
            if c.settings.is_empty() {
                let _ = writeln!(s, "Not configured.\n");
            } else {
                md_table(&mut s, ["Setting", "Value"], &c.settings);
            }
            let _ = writeln!(s, "### Figures for the period\n");
            if c.figures.is_empty() {
                let _ = writeln!(s, "None recorded.\n");
            } else {
                md_table(&mut s, ["Figure", "Value"], &c.figures);
            }
            if c.control.id == ControlId::KeyManagement {
                let rows = key_rows(self);
                if !rows.is_empty() {
                    let _ = writeln!(s, "### Client keys\n");
                    let _ = writeln!(s, "| {} |", KEY_HEAD.join(" | "));
                    let _ =
                        writeln!(s, "|{}", " --- |".repeat(KEY_HEAD.len()));
                    for r in rows {
                        let cells: Vec<String> =
                            r.iter().map(|c| escape_markdown(c)).collect();
                        let _ = writeln!(s, "| {} |", cells.join(" | "));
                    }
                    s.push('\n');
                }
            }
            if !c.findings.is_empty() {
                let _ = writeln!(s, "### Findings\n");
                for f in &c.findings {
                    let _ = writeln!(s, "- {}", escape_markdown(f));
                }
                s.push('\n');
            }
        }
        while s.ends_with("\n\n") {
            s.pop();
        }
        s
    }

    /// The report as one self-contained HTML page (inline style, no
    /// script, no external resource), every value escaped.
    ///
    /// # Example
    ///
    /// ```
    /// use hush_audit::report::{build, Period, ReportInputs};
    ///
    /// let r = build(ReportInputs::new(Period::new(0, 1)?, 0));
    /// let html = r.to_html();
    /// assert!(html.starts_with("<!DOCTYPE html>"));
    /// assert!(!html.contains("<script"));
    /// # Ok::<(), hush_audit::AuditError>(())
    /// ```
    pub fn to_html(&self) -> String {
        let e = escape_html;
        let mut s = String::new();
        s.push_str(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n\
             <meta charset=\"utf-8\">\n<title>hush evidence report</title>\n\
             <style>\nbody{font-family:system-ui,sans-serif;max-width:60rem;\
             margin:2rem auto;padding:0 1rem;color:#222}\n\
             table{border-collapse:collapse;margin:0.5rem 0 1rem}\n\
             th,td{border:1px solid #bbb;padding:0.25rem 0.5rem;\
             text-align:left;vertical-align:top}\n\
             th{background:#eee}\n.in_force{color:#165c16}\n\
             .partial{color:#8a5a00}\n.not_configured{color:#a01010}\n\
             </style>\n</head>\n<body>\n",
        );
        let _ = writeln!(s, "<h1>hush evidence report</h1>");
        let _ = writeln!(
            s,
            "<ul>\n<li>Period: {} to {} (UTC; the end is exclusive)</li>\n\
             <li>Generated: {}</li>\n<li>Report version: {}</li>\n\
             <li>No original value appears in this report: the audit log \
             holds pseudonyms only, and the report keeps counts.</li>\n</ul>",
            e(&self.period.from),
            e(&self.period.to_exclusive),
            e(&self.generated_at),
            self.report_version
        );
        let table = |s: &mut String, head: [&str; 2], rows: &[Item]| {
            let _ = writeln!(
                s,
                "<table>\n<tr><th>{}</th><th>{}</th></tr>",
                head[0], head[1]
            );
            for r in rows {
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    e(&r.name),
                    e(&r.value)
                );
            }
            let _ = writeln!(s, "</table>");
        };
        if !self.sources.is_empty() {
            let _ = writeln!(s, "<h2>Sources</h2>");
            table(&mut s, ["Source", "Value"], &self.sources);
        }
        let _ = writeln!(
            s,
            "<h2>Summary</h2>\n<table>\n\
             <tr><th>Control</th><th>Criteria</th><th>Status</th></tr>"
        );
        for c in &self.controls {
            let _ = writeln!(
                s,
                "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td>\
                 <td class=\"{}\">{}</td></tr>",
                c.control.id.as_str(),
                e(&c.control.title),
                e(&criteria(c)),
                status_class(c),
                c.status.as_str()
            );
        }
        let _ = writeln!(s, "</table>");
        for (i, c) in self.controls.iter().enumerate() {
            let _ = writeln!(
                s,
                "<section id=\"{}\">\n<h2>{}. {}</h2>\n<ul>\n\
                 <li>Status: <strong class=\"{}\">{}</strong></li>\n\
                 <li>Criteria: {}</li>\n<li>What hush does: {}</li>\n\
                 <li>Why these criteria: {}</li>\n</ul>",
                c.control.id.as_str(),
                i + 1,
                e(&c.control.title),
                status_class(c),
                c.status.as_str(),
                e(&criteria(c)),
                e(&c.control.does),
                e(&c.control.rationale)
            );
            let _ = writeln!(s, "<h3>Configuration in force</h3>");
            if c.settings.is_empty() {
                let _ = writeln!(s, "<p>Not configured.</p>");
            } else {
                table(&mut s, ["Setting", "Value"], &c.settings);
            }
            let _ = writeln!(s, "<h3>Figures for the period</h3>");
            if c.figures.is_empty() {
                let _ = writeln!(s, "<p>None recorded.</p>");
            } else {
                table(&mut s, ["Figure", "Value"], &c.figures);
            }
            if c.control.id == ControlId::KeyManagement {
                let rows = key_rows(self);
                if !rows.is_empty() {
                    let _ = writeln!(s, "<h3>Client keys</h3>\n<table>");
                    let _ = writeln!(
                        s,
                        "<tr><th>{}</th></tr>",
                        KEY_HEAD.join("</th><th>")
                    );
                    for r in rows {
                        let cells: Vec<String> =
                            r.iter().map(|c| e(c)).collect();
                        let _ = writeln!(
                            s,
                            "<tr><td>{}</td></tr>",
                            cells.join("</td><td>")
                        );
                    }
                    let _ = writeln!(s, "</table>");
                }
            }
            if !c.findings.is_empty() {
                let _ = writeln!(s, "<h3>Findings</h3>\n<ul>");
                for f in &c.findings {
                    let _ = writeln!(s, "<li>{}</li>", e(f));
                }
                let _ = writeln!(s, "</ul>");
            }
            let _ = writeln!(s, "</section>");
        }
        s.push_str("</body>\n</html>\n");
        s
    }
}

fn status_class(c: &ControlSection) -> &'static str {
    match c.status {
        super::Status::InForce => "in_force",
        super::Status::Partial => "partial",
        super::Status::NotConfigured => "not_configured",
    }
}
