//! Docs generated from the KB: an mdBook with one page per entry at a path that never changes
//! (`src/errors/<id>.md`), pages per category and code namespace, an index of every message, and
//! Microsoft's legacy "Troubleshooting specific RDP error messages" page with its anchors.
//!
//! Generation is a pure function of the KB: the same KB gives the same bytes. All KB text is
//! escaped, so a `<`, `|`, `*` or backtick in a message cannot break a page.

use crate::model::{Category, CommandKind, Entry, Namespace, Shell, Step};
use crate::Kb;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One generated file: its path relative to the output folder, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFile {
    pub path: String,
    pub text: String,
}

/// The legacy anchors of Microsoft's page, in its order, and the entries they belong to.
const LEGACY_SECTIONS: &[(&str, &str)] = &[
    ("rdplicense", "rdp-license-no-server"),
    ("rdpname", "rdp-name-not-found"),
    ("rdpauth", "rdp-lsa-unreachable"),
    ("wincred", "rdp-credentials-rejected"),
    ("rdpconnect", "rdp-no-signin-right"),
];

/// Escapes KB text for inline Markdown: nothing in it can open markup, HTML or a table cell.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '{' | '}' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A fenced code block whose fence is longer than any backtick run inside it.
fn code_block(lang: &str, code: &str) -> String {
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}{lang}\n{}\n{fence}\n", code.trim_end())
}

fn category_title(c: Category) -> String {
    let mut words: Vec<String> = c.as_str().split('-').map(str::to_string).collect();
    if let Some(first) = words.first_mut() {
        let mut chars = first.chars();
        *first = chars
            .next()
            .map(|f| f.to_uppercase().collect::<String>() + chars.as_str())
            .unwrap_or_default();
    }
    words
        .join(" ")
        .replace("Lsa", "LSA")
        .replace("Nla", "NLA")
        .replace("Credssp", "CredSSP")
        .replace("Mfa", "MFA")
}

/// The markdown page of one entry, as in the book (`rdperr show ID --format markdown`).
pub fn entry_markdown(kb: &Kb, e: &Entry) -> String {
    entry_page(kb, e)
}

/// The whole KB as one document, for chatbots and search indexes (`rdperr export`).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Export<'a> {
    pub schema_version: u32,
    pub entries: Vec<&'a Entry>,
    pub code_tables: &'a [crate::model::CodeTable],
}

/// Builds the export document: entries sorted by id, code tables as loaded.
pub fn export(kb: &Kb) -> Export<'_> {
    Export {
        schema_version: crate::render::SCHEMA_VERSION,
        entries: sorted_entries(kb),
        code_tables: kb.tables(),
    }
}

/// Every file of the book, in a fixed order.
pub fn generate(kb: &Kb) -> Vec<DocFile> {
    let mut files = vec![
        DocFile {
            path: "book.toml".into(),
            text: BOOK_TOML.into(),
        },
        DocFile {
            path: "src/SUMMARY.md".into(),
            text: summary(kb),
        },
        DocFile {
            path: "src/README.md".into(),
            text: introduction(kb),
        },
        DocFile {
            path: "src/troubleshoot-specific-rdp-errors.md".into(),
            text: legacy_page(kb),
        },
        DocFile {
            path: "src/cannot-connect-checklist.md".into(),
            text: checklist_page(kb),
        },
        DocFile {
            path: "src/errors/index.md".into(),
            text: errors_index(kb),
        },
        DocFile {
            path: "src/categories/index.md".into(),
            text: categories_index(kb),
        },
        DocFile {
            path: "src/codes/index.md".into(),
            text: codes_index(kb),
        },
        DocFile {
            path: "src/messages.md".into(),
            text: message_index(kb),
        },
    ];
    for entry in sorted_entries(kb) {
        files.push(DocFile {
            path: format!("src/errors/{}.md", entry.id),
            text: entry_page(kb, entry),
        });
    }
    for category in categories(kb).keys() {
        files.push(DocFile {
            path: format!("src/categories/{category}.md"),
            text: category_page(kb, *category),
        });
    }
    for ns in namespaces(kb) {
        files.push(DocFile {
            path: format!("src/codes/{ns}.md"),
            text: namespace_page(kb, ns),
        });
    }
    if !kb.clients().is_empty() {
        files.push(DocFile {
            path: "src/clients/index.md".into(),
            text: clients_index(kb),
        });
    }
    for client in kb.clients() {
        files.push(DocFile {
            path: format!("src/clients/{}.md", client.client),
            text: client_page(client),
        });
    }
    files
}

/// How a client's harvested strings were used: (harvested, mapped, missing, ignored one by
/// one, ignored by rule).
fn client_counts(c: &crate::ClientStrings) -> (usize, usize, usize, usize, u64) {
    let mapped = c.strings.iter().filter(|s| s.entry.is_some()).count();
    let missing = c.strings.iter().filter(|s| s.missing.is_some()).count();
    let ignored = c.strings.iter().filter(|s| s.ignored.is_some()).count();
    let by_rule: u64 = c.ignored_rules.iter().map(|r| u64::from(r.count)).sum();
    (c.strings.len(), mapped, missing, ignored, by_rule)
}

fn clients_index(kb: &Kb) -> String {
    let mut s = String::from(
        "# What each client prints

The errors and warnings that RDP clients and servers print, harvested from their public source at a recorded commit. Each string is a wording of the entry it means (rdperr finds it word for word in a pasted log), a real error with no entry yet, or left out with the reason. Strings marked *consequence* are generic outcomes that many causes end in: when a paste also holds a cause, the cause decides.

| client | strings | mapped to an entry | no entry yet | ignored | ignored by rule |
|---|---:|---:|---:|---:|---:|
",
    );
    for c in kb.clients() {
        let (all, mapped, missing, ignored, by_rule) = client_counts(c);
        let _ = writeln!(
            s,
            "| [{}]({}.md) | {all} | {mapped} | {missing} | {ignored} | {by_rule} |",
            escape(&c.name),
            c.client
        );
    }
    s
}

fn client_page(c: &crate::ClientStrings) -> String {
    let (all, mapped, missing, ignored, by_rule) = client_counts(c);
    let mut s = format!(
        "# {}

Read from <{}> at:

",
        escape(&c.name),
        escape(&c.repository)
    );
    for v in &c.versions {
        let _ = writeln!(
            s,
            "- {} (`{}`, commit `{}`)",
            escape(&v.label),
            escape(&v.reference),
            escape(&v.commit)
        );
    }
    let _ = writeln!(
        s,
        "
{all} strings: {mapped} mapped to an entry, {missing} with no entry yet, {ignored} ignored one by one; {by_rule} more left out by the rules at the end.
"
    );
    s.push_str(
        "| string | answer | source |
|---|---|---|
",
    );
    for item in &c.strings {
        let answer = match (&item.entry, &item.missing, &item.ignored) {
            (Some(id), ..) => {
                let role = if item.role == crate::Role::Consequence {
                    " (consequence)"
                } else {
                    ""
                };
                format!("[{id}](../errors/{id}.md){role}")
            }
            (_, Some(slug), _) => format!("no entry yet: {}", escape(slug)),
            (_, _, Some(why)) => format!("ignored: {}", escape(why)),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "| {} | {answer} | [{}:{}]({}) |",
            escape(&item.text),
            escape(&item.file),
            item.line,
            escape(&c.link(item))
        );
    }
    if !c.ignored_rules.is_empty() {
        s.push_str(
            "
## Left out by rule

| files | strings | why |
|---|---:|---|
",
        );
        for r in &c.ignored_rules {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                escape(&r.files),
                r.count,
                escape(&r.reason)
            );
        }
    }
    s
}

const BOOK_TOML: &str = r#"[book]
title = "rdperr: Remote Desktop and Microsoft Entra sign-in errors"
authors = ["The rdperr contributors"]
language = "en"
src = "src"

[output.html]
no-section-label = true

[output.html.search]
limit-results = 20
boost-title = 2
"#;

fn sorted_entries(kb: &Kb) -> Vec<&Entry> {
    let mut list: Vec<&Entry> = kb.entries().iter().map(|e| e.as_ref()).collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    list
}

fn categories(kb: &Kb) -> BTreeMap<Category, Vec<&Entry>> {
    let mut map: BTreeMap<Category, Vec<&Entry>> = BTreeMap::new();
    for e in sorted_entries(kb) {
        map.entry(e.category).or_default().push(e);
    }
    map
}

/// Namespaces that have a table or an entry code, in declaration order.
fn namespaces(kb: &Kb) -> Vec<Namespace> {
    Namespace::ALL
        .iter()
        .copied()
        .filter(|ns| {
            kb.tables().iter().any(|t| t.namespace == *ns)
                || kb
                    .entries()
                    .iter()
                    .any(|e| e.codes.iter().any(|c| c.namespace == *ns))
        })
        .collect()
}

/// An anchor id for a code value on its namespace page.
fn code_anchor(ns: Namespace, value: i64) -> String {
    format!("{}-{}", ns.as_str(), crate::model::code_key(value))
}

fn summary(kb: &Kb) -> String {
    let mut s = String::from("# Summary\n\n[Introduction](README.md)\n\n");
    s.push_str(
        "- [Troubleshooting specific RDP error messages](troubleshoot-specific-rdp-errors.md)\n",
    );
    s.push_str("- [It just doesn't connect: the checklist](cannot-connect-checklist.md)\n");
    s.push_str("- [All errors](errors/index.md)\n");
    for e in sorted_entries(kb) {
        let _ = writeln!(s, "  - [{}](errors/{}.md)", escape(&e.title), e.id);
    }
    s.push_str("- [Errors by category](categories/index.md)\n");
    for c in categories(kb).keys() {
        let _ = writeln!(s, "  - [{}](categories/{c}.md)", category_title(*c));
    }
    s.push_str("- [Codes](codes/index.md)\n");
    for ns in namespaces(kb) {
        let _ = writeln!(s, "  - [{}](codes/{ns}.md)", ns.label());
    }
    s.push_str("- [Every message](messages.md)\n");
    if !kb.clients().is_empty() {
        s.push_str("- [What each client prints](clients/index.md)\n");
        for c in kb.clients() {
            let _ = writeln!(s, "  - [{}](clients/{}.md)", escape(&c.name), c.client);
        }
    }
    s
}

fn introduction(kb: &Kb) -> String {
    format!(
        "# rdperr\n\nThis book is generated from the rdperr knowledge base: {} Remote Desktop and \
Microsoft Entra sign-in errors, each with its exact messages, its codes in every namespace, its \
causes and its fix steps in order, least disruptive first.\n\n\
- Look up an error by its message: [Every message](messages.md).\n\
- Look up a code: [Codes](codes/index.md).\n\
- Browse by area: [Errors by category](categories/index.md).\n\
- Nothing specific, it just doesn't connect: [the checklist](cannot-connect-checklist.md).\n\n\
The same knowledge base answers `rdperr \"<message>\"` on the command line. Each error page lives \
at `errors/<id>.html`, and ids never change, so links to them keep working.\n",
        kb.entries().len()
    )
}

fn entry_page(kb: &Kb, e: &Entry) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", escape(&e.title));
    let _ = writeln!(
        s,
        "`{}` · [{}](../categories/{}.md)\n",
        e.id,
        category_title(e.category),
        e.category
    );
    let _ = writeln!(s, "{}\n", escape(&e.summary));
    if !e.messages.is_empty() {
        s.push_str("## Messages\n\n");
        for m in &e.messages {
            let _ = writeln!(s, "- {}", escape(m));
        }
        s.push('\n');
    }
    if !e.localized.is_empty() {
        s.push_str("## In other languages\n\n| Language | Wording | Source |\n|---|---|---|\n");
        for l in &e.localized {
            let _ = writeln!(s, "| {} | {} | <{}> |", l.lang, escape(&l.text), l.source);
        }
        s.push('\n');
    }
    let codes = entry_codes(kb, e);
    if !codes.is_empty() {
        s.push_str("## Codes\n\n| Namespace | Value | Name |\n|---|---|---|\n");
        for (ns, value, name) in codes {
            let _ = writeln!(
                s,
                "| [{}](../codes/{}.md#{}) | {} | {} |",
                ns.label(),
                ns,
                code_anchor(ns, value),
                escape(&ns.format_value(value)),
                name.map(|n| format!("`{n}`")).unwrap_or_default()
            );
        }
        s.push('\n');
    }
    if let Some(d) = &e.distinguish {
        let _ = writeln!(s, "## How to tell it apart\n\n{}\n", escape(d));
    }
    if let Some(q) = &e.question {
        let _ = writeln!(s, "## The question that decides\n\n{}\n", escape(q));
    }
    if !e.symptoms.is_empty() {
        s.push_str("## How people describe it\n\n");
        for x in &e.symptoms {
            let _ = writeln!(s, "- {}", escape(x));
        }
        s.push('\n');
    }
    s.push_str("## Causes\n\n");
    for (i, c) in e.causes.iter().enumerate() {
        let _ = writeln!(s, "{}. {}", i + 1, escape(c));
    }
    s.push_str("\n## Fix steps, least disruptive first\n\n");
    for (i, step) in e.steps.iter().enumerate() {
        step_section(&mut s, i + 1, step);
    }
    if !e.related.is_empty() {
        s.push_str("## Related\n\n");
        for r in &e.related {
            let title = kb.get(r).map(|x| escape(&x.title)).unwrap_or_default();
            let _ = writeln!(s, "- [{title}]({r}.md) (`{r}`)");
        }
        s.push('\n');
    }
    s.push_str("## Sources\n\n");
    for src in &e.sources {
        let _ = writeln!(s, "- <{}>", src.replace('>', "%3E").replace(' ', "%20"));
    }
    s
}

/// The codes of an entry: its own, and table rows that point to it, without repeats.
fn entry_codes(kb: &Kb, e: &Entry) -> Vec<(Namespace, i64, Option<String>)> {
    let mut out: Vec<(Namespace, i64, Option<String>)> = Vec::new();
    let mut push = |ns: Namespace, value: i64, name: Option<String>| {
        let key = crate::model::code_key(value);
        if !out
            .iter()
            .any(|(n, v, _)| *n == ns && crate::model::code_key(*v) == key)
        {
            out.push((ns, value, name));
        }
    };
    for c in &e.codes {
        push(c.namespace, c.value, c.name.clone());
    }
    for t in kb.tables() {
        for row in &t.codes {
            if row.entries.contains(&e.id) {
                push(t.namespace, row.value, row.name.clone());
            }
        }
    }
    out.sort_by_key(|(ns, v, _)| (*ns, crate::model::code_key(*v)));
    out
}

fn step_section(s: &mut String, n: usize, step: &Step) {
    let flag = if step.disruptive { " (disruptive)" } else { "" };
    let _ = writeln!(s, "### {n}. {}{flag}\n", escape(&step.title));
    let _ = writeln!(s, "{}\n", escape(&step.explanation));
    if let Some(d) = &step.disruption {
        let _ = writeln!(s, "> **Disruption:** {}\n", escape(d));
    }
    if let Some(p) = &step.portal {
        let _ = writeln!(s, "**Azure portal:** {}\n", escape(p));
    }
    if let Some(u) = &step.ui {
        let _ = writeln!(s, "**Where:** {}\n", escape(u));
    }
    for (kind, command) in step.commands() {
        let lang = match kind {
            CommandKind::Powershell | CommandKind::InGuest(Shell::Powershell, _) => "powershell",
            CommandKind::AzureCli => "bash",
            CommandKind::InGuest(Shell::Cmd, _) => "bat",
        };
        let _ = writeln!(s, "**{}:**\n\n{}", kind.label(), code_block(lang, command));
    }
}

fn legacy_page(kb: &Kb) -> String {
    let mut s = String::from(
        "# Troubleshooting specific RDP error messages\n\n\
This page keeps the structure and the anchors of Microsoft's page of the same name, so that links \
to `#rdplicense`, `#rdpname`, `#rdpauth`, `#wincred` and `#rdpconnect` keep working. Each section \
summarises the error and links to its full page.\n\n",
    );
    for (anchor, id) in LEGACY_SECTIONS {
        let Some(e) = kb.get(id) else { continue };
        let _ = writeln!(s, "<a id=\"{anchor}\"></a>\n\n## {}\n", escape(&e.title));
        let _ = writeln!(s, "{}\n", escape(&e.summary));
        if let Some(first) = e.messages.first() {
            let _ = writeln!(s, "The message reads: {}\n", escape(first));
        }
        s.push_str("Most likely causes:\n\n");
        for c in e.causes.iter().take(3) {
            let _ = writeln!(s, "- {}", escape(c));
        }
        let _ = writeln!(
            s,
            "\nFix it in order, least disruptive first: see [{}](errors/{id}.md).\n",
            escape(&e.title)
        );
    }
    s
}

fn checklist_page(kb: &Kb) -> String {
    let mut s = String::from("# It just doesn't connect: the checklist\n\n");
    match kb.get("rdp-cannot-connect-general") {
        Some(e) => {
            let _ = writeln!(
                s,
                "{}\n\nTry to connect again after each step. The full entry is \
[{}](errors/{}.md).\n",
                escape(&e.summary),
                escape(&e.title),
                e.id
            );
            for (i, step) in e.steps.iter().enumerate() {
                step_section(&mut s, i + 1, step);
            }
        }
        None => s.push_str("The checklist entry is not in this KB.\n"),
    }
    s
}

fn errors_index(kb: &Kb) -> String {
    let mut s = String::from("# All errors\n\n| Error | Id | Category |\n|---|---|---|\n");
    for e in sorted_entries(kb) {
        let _ = writeln!(
            s,
            "| [{}]({}.md) | `{}` | [{}](../categories/{}.md) |",
            escape(&e.title),
            e.id,
            e.id,
            category_title(e.category),
            e.category
        );
    }
    s
}

fn categories_index(kb: &Kb) -> String {
    let mut s = String::from("# Errors by category\n\n");
    for (c, list) in categories(kb) {
        let _ = writeln!(
            s,
            "- [{}]({c}.md): {} errors",
            category_title(c),
            list.len()
        );
    }
    s
}

fn category_page(kb: &Kb, c: Category) -> String {
    let mut s = format!("# {}\n\n", category_title(c));
    for e in categories(kb).get(&c).into_iter().flatten() {
        let _ = writeln!(
            s,
            "- [{}](../errors/{}.md): {}",
            escape(&e.title),
            e.id,
            escape(&e.summary)
        );
    }
    s
}

fn codes_index(kb: &Kb) -> String {
    let mut s = String::from(
        "# Codes\n\nThe same number means different things in different namespaces: `0x4` is an \
ERRINFO logon time-out and a FreeRDP DNS error. Each namespace has its own page.\n\n",
    );
    for ns in namespaces(kb) {
        let _ = writeln!(s, "- [{}]({ns}.md) (`{ns}`)", ns.label());
    }
    s
}

fn namespace_page(kb: &Kb, ns: Namespace) -> String {
    let mut rows: BTreeMap<u64, (i64, Option<String>, String, Vec<String>)> = BTreeMap::new();
    let mut sources: Vec<String> = Vec::new();
    for t in kb.tables().iter().filter(|t| t.namespace == ns) {
        sources.extend(t.sources.iter().cloned());
        for row in &t.codes {
            let slot = rows.entry(crate::model::code_key(row.value)).or_insert((
                row.value,
                row.name.clone(),
                row.meaning.clone(),
                Vec::new(),
            ));
            for id in &row.entries {
                if !slot.3.contains(id) {
                    slot.3.push(id.clone());
                }
            }
        }
    }
    for e in sorted_entries(kb) {
        for c in e.codes.iter().filter(|c| c.namespace == ns) {
            let slot = rows.entry(crate::model::code_key(c.value)).or_insert((
                c.value,
                c.name.clone(),
                e.title.clone(),
                Vec::new(),
            ));
            if !slot.3.contains(&e.id) {
                slot.3.push(e.id.clone());
            }
        }
    }
    let mut s = format!(
        "# {}\n\nNamespace `{ns}`.\n\n| Value | Name | Meaning | Errors |\n|---|---|---|---|\n",
        ns.label()
    );
    for (key, (value, name, meaning, entries)) in &rows {
        let links: Vec<String> = entries
            .iter()
            .map(|id| format!("[`{id}`](../errors/{id}.md)"))
            .collect();
        let _ = writeln!(
            s,
            "| <a id=\"{}-{key}\"></a>{} | {} | {} | {} |",
            ns.as_str(),
            escape(&ns.format_value(*value)),
            name.as_deref()
                .map(|n| format!("`{}`", n.replace('`', "")))
                .unwrap_or_default(),
            escape(meaning),
            links.join(", ")
        );
    }
    sources.sort();
    sources.dedup();
    if !sources.is_empty() {
        s.push_str("\n## Sources\n\n");
        for src in sources {
            let _ = writeln!(s, "- <{src}>");
        }
    }
    s
}

fn message_index(kb: &Kb) -> String {
    let mut all: Vec<(String, &str, &str)> = Vec::new();
    for e in kb.entries() {
        for m in &e.messages {
            all.push((m.to_lowercase(), m.as_str(), e.id.as_str()));
        }
    }
    all.sort();
    all.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2);
    let mut s = String::from("# Every message\n\nEvery wording in the knowledge base, sorted, each linked to its error.\n\n## English\n\n");
    for (_, message, id) in all {
        let _ = writeln!(s, "- {} → [`{id}`](errors/{id}.md)", escape(message));
    }
    // Other languages after English, grouped by language tag.
    let mut localized: Vec<(&str, &str, &str)> = kb
        .entries()
        .iter()
        .flat_map(|e| {
            e.localized
                .iter()
                .map(|l| (l.lang.as_str(), l.text.as_str(), e.id.as_str()))
        })
        .collect();
    localized.sort();
    let mut lang = "";
    for (tag, text, id) in localized {
        if tag != lang {
            let _ = writeln!(s, "\n## {tag}\n");
            lang = tag;
        }
        let _ = writeln!(s, "- {} → [`{id}`](errors/{id}.md)", escape(text));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup() {
        assert_eq!(
            escape("a <computer> | *b* `c`"),
            "a &lt;computer&gt; \\| \\*b\\* \\`c\\`"
        );
        assert_eq!(escape("DOMAIN\\user"), "DOMAIN\\\\user");
    }

    #[test]
    fn code_fences_outgrow_backticks_inside() {
        assert_eq!(code_block("bat", "a ``` b"), "````bat\na ``` b\n````\n");
        assert_eq!(code_block("", "x"), "```\nx\n```\n");
    }
}
