// Each benchmark uses part of this module.
#![allow(dead_code)]

//! Shared by the benchmarks: the query mix, and KBs of a chosen size generated from the real one.

use rdperr::Kb;

/// One query per kind the issue names, as people paste them.
pub const QUERIES: &[(&str, &str)] = &[
    ("exact_message", "An authentication error has occurred. The Local Security Authority cannot be contacted"),
    ("mistyped_message", "crendentials did not wrok"),
    ("log_line_with_code", "[12:01:00:000] [123:456] [ERROR][com.freerdp.core] - nla_recv_pdu:freerdp_set_last_error_ex ERRCONNECT_LOGON_FAILURE [0x00020014]"),
    ("bare_code", "0x204"),
    ("paraphrase", "rdp works with the ip address but not with the computer name"),
    ("no_match", "printer is out of paper"),
];

/// A pasted log of about 50 KB with one error line in the middle.
pub fn long_paste() -> String {
    let mut log = String::new();
    for i in 0..600 {
        log.push_str(&format!(
            "[12:00:{:02}:{:03}] [123:456] [INFO][com.freerdp.core.transport] - state {i} changed, retry scheduled\n",
            i % 60,
            i % 1000
        ));
        if i == 300 {
            log.push_str("[12:01:00:000] [123:456] [ERROR][com.freerdp.core] - ERRCONNECT_ACCOUNT_LOCKED_OUT [0x00020018]\n");
        }
    }
    log
}

/// A pseudo-word made of letters only, different for every `n`.
fn word(mut n: usize) -> String {
    let mut w = String::from("q");
    loop {
        w.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            break w;
        }
    }
}

/// A KB of `size` entries: copies of the real entries, each with new words in its messages and
/// keywords, so the vocabulary grows as it would in a larger real KB.
pub fn generated_kb(size: usize) -> Kb {
    let real = Kb::embedded().entries();
    let mut builder = Kb::builder();
    for i in 0..size {
        let mut e = (*real[i % real.len()]).clone();
        if i >= real.len() {
            e.id = format!("{}-gen{}", e.id, word(i));
            for (j, m) in e.messages.iter_mut().enumerate() {
                m.push_str(&format!(" {} {}", word(i * 7 + j), word(i * 13 + j)));
            }
            e.keywords.push(format!("{} {}", word(i * 3), word(i * 5)));
        }
        e.related.clear();
        e.examples.clear();
        let text = toml::to_string(&e).expect("an entry serialises");
        builder = builder.file(format!("kb/rdp/{}.toml", e.id), text);
    }
    builder.build().expect("a generated KB loads")
}
