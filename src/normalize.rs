//! Normalising text so that a pasted dialog, a retyped message and the KB wording meet.
//!
//! Two forms come out of here: `normalize` gives a flat lower-case string for exact phrase
//! search (aho-corasick), and `tokens` gives stemmed words with positions for fuzzy scoring.
//! Both fold case, curly quotes, full-width characters and contractions the same way, so
//! "didn’t" in a paste meets "did not" in the KB.

use std::collections::HashMap;
use std::sync::LazyLock;
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};

/// Folds characters that vary between copies of the same message: typographic quotes and
/// apostrophes, full-width forms (as in Chinese or Japanese dialogs), odd spaces.
pub fn fold_chars(text: &str) -> std::borrow::Cow<'_, str> {
    // Plain ASCII without backticks (most logs) needs no copy.
    if text.bytes().all(|b| b.is_ascii() && b != b'`') {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{00B4}' | '`' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => '"',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' | '\u{00A0}' | '\u{2007}' | '\u{202F}' => ' ',
            '\u{3001}' | '\u{3002}' => '.',
            _ => c,
        })
        .collect()
}

/// Words that are contractions written without the apostrophe ("didnt", "cant").
const BARE_CONTRACTIONS: &[&str] = &[
    "couldnt", "didnt", "doesnt", "isnt", "wasnt", "arent", "hasnt", "dont", "wouldnt", "shouldnt",
    "havent",
];

/// Expands one lower-case word into the words it stands for, borrowing from it where it can:
/// "can't" and "cannot" give "can not", "didn't" and "didnt" give "did not", "you're" gives
/// "you are", a possessive "'s" is dropped.
fn expand_contraction<'a>(word: &'a str, out: &mut Vec<&'a str>) {
    match word {
        "can't" | "cant" | "cannot" => out.extend(["can", "not"]),
        "won't" => out.extend(["will", "not"]),
        w if BARE_CONTRACTIONS.contains(&w) => out.extend([&w[..w.len() - 2], "not"]),
        w => {
            for (suffix, then) in [
                ("n't", "not"),
                ("'re", "are"),
                ("'ve", "have"),
                ("'ll", "will"),
                ("'m", "am"),
            ] {
                if let Some(stem) = w.strip_suffix(suffix) {
                    out.extend([stem, then]);
                    return;
                }
            }
            out.push(w.strip_suffix("'s").unwrap_or(w));
        }
    }
}

/// Words and phrases that mean the same thing in this field, mapped to one form. Applied to
/// the KB and to queries alike, so "sign in", "log in" and "login" all meet "logon".
const SYNONYMS: &[(&str, &str)] = &[
    ("log in", "logon"),
    ("log on", "logon"),
    ("login", "logon"),
    ("sign in", "logon"),
    ("signin", "logon"),
    ("sign on", "logon"),
    ("logging in", "logon"),
    ("logging on", "logon"),
    ("signing in", "logon"),
    ("user name", "username"),
    ("can not be contacted", "not reachable"),
    ("could not be contacted", "not reachable"),
    ("can not be reached", "not reachable"),
    ("unreachable", "not reachable"),
    ("pc", "computer"),
    ("multifactor authentication", "mfa"),
    ("multi factor authentication", "mfa"),
    ("two factor authentication", "mfa"),
    ("2fa", "mfa"),
    ("host name", "hostname"),
    ("host names", "hostnames"),
    ("admin", "administrator"),
    ("admins", "administrators"),
    ("domain server", "domain controller"),
    ("domain servers", "domain controllers"),
    ("wrong", "incorrect"),
    ("e mail", "email"),
];

/// The synonym table by first word: (the words to match, the words to put instead).
type SynonymIndex = HashMap<&'static str, Vec<(Vec<&'static str>, Vec<&'static str>)>>;

static SYNONYM_INDEX: LazyLock<SynonymIndex> = LazyLock::new(|| {
    let mut index: SynonymIndex = HashMap::new();
    for (from, to) in SYNONYMS {
        let from: Vec<&str> = from.split(' ').collect();
        index
            .entry(from[0])
            .or_default()
            .push((from, to.split(' ').collect()));
    }
    index
});

/// Lower-cases, folds characters and contractions, replaces everything that is not a letter or
/// digit by one space, and maps synonyms to one form. Exact phrase search runs on the result.
pub fn normalize(text: &str) -> String {
    let lower = fold_chars(text).to_lowercase();
    // Words: runs of letters, digits and apostrophes, contractions expanded; an apostrophe left
    // inside a word ("o'neil") splits it.
    let mut words: Vec<&str> = Vec::with_capacity(lower.len() / 5 + 1);
    let mut parts: Vec<&str> = Vec::with_capacity(2);
    for raw in lower.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
        let word = raw.trim_matches('\'');
        if word.is_empty() {
            continue;
        }
        if word.chars().any(is_unspaced) {
            split_unspaced(word, &mut words);
            continue;
        }
        parts.clear();
        expand_contraction(word, &mut parts);
        for part in &parts {
            words.extend(part.split('\'').filter(|p| !p.is_empty()));
        }
    }
    let mut out = String::with_capacity(lower.len());
    let mut i = 0;
    'words: while i < words.len() {
        if let Some(candidates) = SYNONYM_INDEX.get(words[i]) {
            for (from, to) in candidates {
                if words[i..].starts_with(from) {
                    for w in to {
                        push_word(&mut out, w);
                    }
                    i += from.len();
                    continue 'words;
                }
            }
        }
        push_word(&mut out, words[i]);
        i += 1;
    }
    out
}

/// Characters of scripts written without spaces between words (Chinese, Japanese) and of
/// Hangul, whose words carry their particles: such a run is read as overlapping pairs of
/// characters, so a wording matches when most of its pairs are there, whatever the run's
/// length and wherever the writer broke it.
fn is_unspaced(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}' // CJK Extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK Unified Ideographs
        | '\u{F900}'..='\u{FAFF}' // CJK Compatibility Ideographs
        | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
        | '\u{31F0}'..='\u{31FF}' // Katakana extensions
    )
}

/// Splits a word holding unspaced script into its other parts (kept whole) and the
/// overlapping character pairs of each unspaced run (a lone character is kept as it is).
fn split_unspaced<'a>(word: &'a str, out: &mut Vec<&'a str>) {
    let mut rest = word;
    while let Some(c) = rest.chars().next() {
        let unspaced = is_unspaced(c);
        let end = rest
            .char_indices()
            .find(|(_, c)| is_unspaced(*c) != unspaced)
            .map_or(rest.len(), |(i, _)| i);
        let (run, tail) = rest.split_at(end);
        if unspaced {
            let starts: Vec<usize> = run.char_indices().map(|(i, _)| i).collect();
            if starts.len() == 1 {
                out.push(run);
            }
            for k in 0..starts.len().saturating_sub(1) {
                let end = starts.get(k + 2).copied().unwrap_or(run.len());
                out.push(&run[starts[k]..end]);
            }
        } else {
            out.extend(run.split('\'').filter(|p| !p.is_empty()));
        }
        rest = tail;
    }
}

fn push_word(out: &mut String, word: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(word);
}

/// One word of a text, as the scorer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Stemmed, lower-case form (what the index stores).
    pub stem: String,
    /// Unstemmed lower-case form (what typo distances are measured on).
    pub word: String,
    /// Position in the text, counting words.
    pub position: usize,
}

static ANALYZER: LazyLock<TextAnalyzer> = LazyLock::new(analyzer);

/// The tantivy analyzer used both for the index and for the scorer, so the two agree.
pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Words of `text` after normalisation, stemmed, with positions. Numbers and code-like tokens
/// are kept (the scorer decides not to fuzz them).
pub fn tokens(text: &str) -> Vec<Token> {
    tokens_of_normalized(&normalize(text))
}

/// [`tokens`] of a text that is already the output of [`normalize`].
pub fn tokens_of_normalized(normalized: &str) -> Vec<Token> {
    let mut analyzer = ANALYZER.clone();
    let mut stream = analyzer.token_stream(normalized);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        let word = normalized
            .get(t.offset_from..t.offset_to)
            .unwrap_or(&t.text)
            .to_string();
        out.push(Token {
            stem: t.text.clone(),
            word,
            position: t.position,
        });
    }
    out
}

/// Words too common to carry meaning on their own. "not" is deliberately absent: "did not
/// work" and "does not exist" depend on it.
pub fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "a" | "an"
            | "the"
            | "to"
            | "of"
            | "and"
            | "or"
            | "is"
            | "are"
            | "was"
            | "be"
            | "been"
            | "this"
            | "that"
            | "these"
            | "for"
            | "in"
            | "on"
            | "at"
            | "it"
            | "its"
            | "your"
            | "you"
            | "i"
            | "my"
            | "me"
            | "we"
            | "with"
            | "by"
            | "as"
            | "from"
            | "please"
            | "try"
            | "again"
            | "if"
            | "so"
            | "but"
            | "have"
            | "has"
            | "had"
            | "do"
            | "does"
            | "did"
            | "will"
            | "can"
            | "could"
            | "would"
            | "should"
            | "am"
            | "get"
            | "got"
            | "when"
            | "what"
            | "which"
            | "there"
            | "then"
            | "than"
            | "also"
            | "just"
            | "any"
            | "all"
            | "some"
            | "one"
            | "s"
            | "t"
            // How people talk about an error rather than the error itself.
            | "now"
            | "still"
            | "even"
            | "really"
            | "very"
            | "here"
            | "our"
            | "us"
            | "they"
            | "them"
            | "their"
            | "he"
            | "she"
            | "about"
            | "into"
            | "seems"
            | "seem"
            | "tell"
            | "tells"
            | "telling"
            | "told"
            | "wish"
            | "want"
            | "wanted"
            | "know"
            | "think"
            | "able"
    )
}

/// Words nearly every question in this field contains ("rdp", "azure", "vm", "connect" ...).
/// They still match phrases, but a phrase is not faulted for leaving them unexplained.
pub fn is_domain_word(word: &str) -> bool {
    matches!(
        word,
        "rdp"
            | "remote"
            | "desktop"
            | "azure"
            | "vm"
            | "vms"
            | "virtual"
            | "machine"
            | "windows"
            | "server"
            | "computer"
            | "connect"
            | "connecting"
            | "connection"
            | "connected"
            | "logon"
            | "error"
            | "message"
            | "session"
            | "client"
            | "user"
            | "mstsc"
            | "getting"
            | "trying"
            | "keeps"
            | "saying"
            | "says"
            | "shows"
            | "showing"
            | "issue"
            | "problem"
            | "help"
            | "work"
            | "works"
            | "working"
            // The clients and servers: they say a text is about Remote Desktop, not which
            // error (every line of a FreeRDP backtrace names xfreerdp).
            | "freerdp"
            | "xfreerdp"
            | "wfreerdp"
            | "rdesktop"
            | "remmina"
            | "xrdp"
            | "guacd"
            | "guacamole"
            | "mremoteng"
            | "ironrdp"
    )
}

/// True for tokens that are numbers or look like codes: they are matched exactly, never fuzzed.
pub fn is_code_like(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_digit())
}

/// The typo budget by word length (as Meilisearch sets it): none up to 4 characters, one for
/// 5 to 8, two from 9.
pub fn typo_budget(word: &str) -> u8 {
    if is_code_like(word) {
        return 0;
    }
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Words that place a text in another field (SSH, git, VNC, printers, package managers ...), each
/// with what that field is, for the one line that says what a text is about.
const FOREIGN: &[(&str, &str)] = &[
    ("ssh", "SSH"),
    ("sshd", "SSH"),
    ("openssh", "SSH"),
    ("putty", "SSH"),
    ("known hosts", "SSH"),
    ("publickey", "SSH"),
    ("git", "Git hosting"),
    ("github", "Git hosting"),
    ("gitlab", "Git hosting"),
    ("vnc", "VNC"),
    ("tigervnc", "VNC"),
    ("realvnc", "VNC"),
    ("tightvnc", "VNC"),
    ("winrm", "PowerShell remoting (WinRM)"),
    ("imap", "mail"),
    ("smtp", "mail"),
    ("pop3", "mail"),
    ("printer", "printing"),
    ("outlook", "mail"),
    ("email", "mail"),
    ("mailbox", "mail"),
    ("npm", "developer tooling"),
    ("docker", "developer tooling"),
    ("kubectl", "developer tooling"),
    ("kubernetes", "developer tooling"),
    ("rustdesk", "another remote-access tool"),
    ("teamviewer", "another remote-access tool"),
    ("anydesk", "another remote-access tool"),
    ("chrome remote desktop", "another remote-access tool"),
    ("windows update", "Windows servicing"),
    ("defender", "Windows servicing"),
    ("mysql", "a database"),
    ("postgres", "a database"),
    // Not "oracle" alone: CredSSP's fix is the "encryption oracle remediation".
    ("oracle database", "a database"),
    // Other products that show Windows or Entra sign-in messages of their own: a SQL Server
    // login, an LDAP bind, an Azure PowerShell or CLI sign-in.
    ("sql server", "a database"),
    ("errorlog", "a database"),
    ("ldap", "LDAP directory access"),
    ("azureaccount", "signing in to Azure tools or apps"),
    ("connect azaccount", "signing in to Azure tools or apps"),
    ("connect azureaccount", "signing in to Azure tools or apps"),
    ("az login", "signing in to Azure tools or apps"),
    // The neighbouring fields whose errors share Windows status codes and sign-in wordings
    // with ours: remote PowerShell, file shares, VPNs, Citrix, Kerberos tools, and sign-in
    // libraries of applications.
    ("pywinrm", "PowerShell remoting (WinRM)"),
    ("pssession", "PowerShell remoting (WinRM)"),
    ("psremoting", "PowerShell remoting (WinRM)"),
    ("smb", "file sharing (SMB)"),
    ("samba", "file sharing (SMB)"),
    ("cifs", "file sharing (SMB)"),
    ("smbclient", "file sharing (SMB)"),
    ("vpn", "a VPN"),
    ("openvpn", "a VPN"),
    ("anyconnect", "a VPN"),
    ("l2tp", "a VPN"),
    ("ipsec", "a VPN"),
    ("wireguard", "a VPN"),
    ("citrix", "Citrix"),
    ("xenapp", "Citrix"),
    ("xendesktop", "Citrix"),
    ("icaclient", "Citrix"),
    ("kinit", "Kerberos tools"),
    ("msal", "signing in to Azure tools or apps"),
    ("adal", "signing in to Azure tools or apps"),
    // Applications that report a Windows or OpenSSL status from their own code: a .NET or Java
    // exception, a web server, an HTTP library. The status is shared; the program is not ours.
    ("win32exception", "another product"),
    ("authenticationexception", "another product"),
    ("aspnetcore", "another product"),
    ("kestrel", "another product"),
    ("sslstream", "another product"),
    ("httpclient", "another product"),
    ("curl", "another product"),
    ("libcurl", "another product"),
    ("jdbc", "another product"),
];

/// Words that place a text in rdperr's field.
const OURS: &[&str] = &[
    "rdp",
    "mstsc",
    "remote desktop",
    "freerdp",
    "xfreerdp",
    "wfreerdp",
    "remmina",
    "3389",
    "termservice",
    "terminal server",
    "terminal services",
    "rd gateway",
    "rd web",
    "rdweb",
    "windows app",
    "avd",
    "session host",
    "entra",
    "aad",
    "azure ad",
    // "CredSSP" and "NLA" are not ours alone: WinRM and PowerShell remoting use CredSSP too.
    "mremoteng",
    "rdesktop",
    "xrdp",
    "rds",
    // The other RDP clients whose strings the KB carries (kb/clients).
    "guacamole",
    "guacd",
    "ironrdp",
    "rdcman",
    "royal ts",
];

fn contains_phrase(haystack: &str, phrase: &str) -> bool {
    haystack.match_indices(phrase).any(|(i, _)| {
        let before = haystack[..i].chars().last();
        let after = haystack[i + phrase.len()..].chars().next();
        before.is_none_or(|c| c == ' ') && after.is_none_or(|c| c == ' ')
    })
}

/// True when a normalised text names Remote Desktop, one of its clients or servers, or Entra
/// sign-in ("rdp", "mstsc", "xfreerdp", "session host" ...).
pub fn names_ours(normalized: &str) -> bool {
    static OURS_NORMALIZED: LazyLock<Vec<String>> =
        LazyLock::new(|| OURS.iter().map(|w| normalize(w)).collect());
    OURS_NORMALIZED
        .iter()
        .any(|o| contains_phrase(normalized, o))
}

/// The other field a normalised text names ("sql server", "ssh") when it names nothing of
/// ours: such a text gets "no match" even when it quotes a Windows message word for word.
pub fn other_field(normalized: &str) -> Option<&'static str> {
    // The lists go through the same normalisation as the text ("az login" is "az logon").
    static FOREIGN_NORMALIZED: LazyLock<Vec<(String, &'static str)>> =
        LazyLock::new(|| FOREIGN.iter().map(|(w, _)| (normalize(w), *w)).collect());
    static OURS_NORMALIZED: LazyLock<Vec<String>> =
        LazyLock::new(|| OURS.iter().map(|w| normalize(w)).collect());
    let (foreign_words, ours) = (&*FOREIGN_NORMALIZED, &*OURS_NORMALIZED);
    let mut text = normalized.to_string();
    let mut named = None;
    for (f, listed) in foreign_words {
        if contains_phrase(&text, f) {
            named = named.or(Some(*listed));
            // "chrome remote desktop" must not count as "remote desktop" below.
            text = text.replace(f.as_str(), " ");
        }
    }
    named.filter(|_| !ours.iter().any(|o| contains_phrase(&text, o)))
}

/// What the other field a word names is ("ssh": "SSH"), for the word [`other_field`] returned.
pub fn field_of(word: &str) -> &'static str {
    FOREIGN
        .iter()
        .find(|(w, _)| *w == word)
        .map_or("another product", |(_, field)| field)
}

/// Parts of the query in quotes (two words or more): people quote the message they saw.
pub fn quoted_segments(text: &str) -> Vec<String> {
    let folded = fold_chars(text);
    folded
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.split_whitespace().count() >= 2)
        .map(str::to_string)
        .collect()
}

/// Words after which people retell the message they saw ("it keeps telling me the password
/// is incorrect").
const RETELLING_CUES: &[&str] = &[
    "telling me",
    "tells me",
    "told me",
    "says",
    "saying",
    "showing",
    "shows",
    "complains",
    "complaining",
];

/// What follows a retelling cue, up to the end of its sentence (two to twelve words): the
/// message in the user's words, scored on its own like a quote.
pub fn retold_segments(text: &str) -> Vec<String> {
    let lower = fold_chars(text).to_lowercase();
    let mut out = Vec::new();
    for cue in RETELLING_CUES {
        for (i, _) in lower.match_indices(cue) {
            let before_ok = lower[..i]
                .chars()
                .last()
                .is_none_or(|c| !c.is_alphanumeric());
            let rest = &lower[i + cue.len()..];
            if !before_ok || !rest.starts_with([' ', ':']) {
                continue;
            }
            let rest = rest.trim_start_matches([' ', ':']);
            let end = rest
                .find(['.', '!', '?', '\n', '"', ';'])
                .unwrap_or(rest.len());
            let words: Vec<&str> = rest[..end].split_whitespace().take(12).collect();
            if words.len() >= 2 {
                out.push(words.join(" "));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn retold_messages_are_found() {
        assert_eq!(
            retold_segments("It keeps telling me the password is incorrect. Help!"),
            ["the password is incorrect"]
        );
        assert_eq!(
            retold_segments("The dialog says: access is denied; then it closes"),
            ["access is denied"]
        );
        // One word is no message, and a cue must be a word of its own.
        assert!(retold_segments("it says nothing").is_empty());
        assert!(retold_segments("essays about rdp errors").is_empty());
    }

    #[test]
    fn unspaced_scripts_are_read_as_character_pairs() {
        assert_eq!(normalize("身份验证错误"), "身份 份验 验证 证错 错误");
        assert_eq!(normalize("错误 0x904"), "错误 0x904");
        assert_eq!(normalize("CredSSP加密"), "credssp 加密");
        assert_eq!(normalize("が"), "が");
    }

    #[test]
    fn other_fields_are_recognised() {
        assert!(
            other_field(&normalize("git@github.com: Permission denied (publickey).")).is_some()
        );
        assert!(other_field(&normalize("Chrome Remote Desktop is starting up")).is_some());
        assert!(other_field(&normalize(
            "RDP over an SSH tunnel: credentials did not work"
        ))
        .is_none());
        assert!(other_field(&normalize("Your credentials did not work")).is_none());
        // Listed words are normalised like the text: "login" is read as "logon" in both.
        assert!(other_field(&normalize("az login fails with AADSTS50076")).is_some());
        assert_eq!(
            other_field(&normalize("SQL Server ERRORLOG: Login failed")),
            Some("sql server")
        );
    }

    #[test]
    fn quoted_parts_are_found() {
        assert_eq!(
            quoted_segments("I get \u{201C}password has expired\u{201D} and \"x\""),
            ["password has expired"]
        );
    }

    use super::*;

    #[test]
    fn folds_case_quotes_and_contractions() {
        assert_eq!(
            normalize("Your credentials didn’t work."),
            "your credentials did not work"
        );
        assert_eq!(
            normalize("Remote Desktop can't find the computer \u{201C}web01\u{201D}"),
            "remote desktop can not find the computer web01"
        );
        assert_eq!(normalize("cannot   be\n\ncontacted"), "not reachable");
        assert_eq!(normalize("Sign in failed"), "logon failed");
        assert_eq!(normalize("You're"), "you are");
    }

    #[test]
    fn folds_full_width_forms() {
        assert_eq!(normalize("错误代码： 0x708"), "错误 误代 代码 0x708");
        assert_eq!(fold_chars("ＡＢＣ１"), "ABC1");
    }

    #[test]
    fn tokens_are_stemmed_with_positions() {
        let t = tokens("Credentials did not work");
        let stems: Vec<&str> = t.iter().map(|t| t.stem.as_str()).collect();
        assert_eq!(stems, ["credenti", "did", "not", "work"]);
        assert_eq!(t[3].position, 3);
        assert_eq!(t[0].word, "credentials");
    }

    #[test]
    fn typo_budget_grows_with_word_length() {
        assert_eq!(typo_budget("work"), 0);
        assert_eq!(typo_budget("wrok"), 0);
        assert_eq!(typo_budget("denied"), 1);
        assert_eq!(typo_budget("password"), 1);
        assert_eq!(typo_budget("credentials"), 2);
        // Codes and numbers are never fuzzed.
        assert_eq!(typo_budget("0x0000204"), 0);
        assert_eq!(typo_budget("50126000"), 0);
    }
}
