//! A tiny support bot: read a user's message per line, answer from the library as a bot would.
//!
//! `cargo run --example chatbot`, then paste an error message and press Enter.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

fn answer(kb: &rdperr::Kb, message: &str) -> String {
    let found = kb.lookup(message);
    let Some(best) = found.matches.first() else {
        return "I don't recognise that as a Remote Desktop or Microsoft Entra sign-in error. \
                Could you paste the exact message or the error code?"
            .to_string();
    };
    let mut reply = String::new();
    if found.ambiguous {
        reply.push_str("That message has several possible causes. Which fits?\n");
        for m in found.matches.iter().take(4) {
            let hint = m.entry.distinguish.as_deref().unwrap_or(&m.entry.summary);
            reply.push_str(&format!("- {}: {hint}\n", m.entry.title));
        }
        return reply;
    }
    let entry = &best.entry;
    reply.push_str(&format!(
        "This looks like \"{}\" ({}).\n{}\n",
        entry.title, best.id, entry.summary
    ));
    reply.push_str(&format!("Most likely cause: {}\n", entry.causes[0]));
    // Commands with the names the user wrote in the message filled in.
    let values: BTreeMap<String, String> = found.captures.clone();
    for (i, step) in entry.steps.iter().take(3).enumerate() {
        reply.push_str(&format!("{}. {}\n", i + 1, step.title));
        if let Some((label, cmd)) = rdperr::render::step_commands(step, &values)
            .into_iter()
            .next()
        {
            reply.push_str(&format!("   {label}: {}\n", cmd.command));
        } else if let Some(portal) = &step.portal {
            reply.push_str(&format!("   Portal: {portal}\n"));
        }
    }
    reply
}

fn main() -> io::Result<()> {
    let kb = rdperr::Kb::embedded();
    let stdin = io::stdin();
    let mut out = io::stdout();
    write!(out, "Paste an error (empty line to quit)> ")?;
    out.flush()?;
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            break;
        }
        writeln!(out, "{}", answer(kb, &line))?;
        write!(out, "> ")?;
        out.flush()?;
    }
    Ok(())
}
