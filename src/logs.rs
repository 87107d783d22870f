//! Reading a paste as a log: which lines are log lines, which client or server printed them, at
//! which level, and what each says once its prefix (time, process, level, component) is gone.
//!
//! A paste is cut into segments: each recognised log line on its own, and each run of other
//! lines (a dialog, a story, a line of a format we do not know) as one block of prose. The
//! matcher scores every segment by itself, so a line that resolves alone is not lost inside a
//! long paste, and a line at ERROR can outweigh chatter at DEBUG.

use regex::Regex;
use std::sync::LazyLock;

/// Who printed a log line, as far as its format tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// FreeRDP's WLog: `[12:00:00:000] [pid:tid] [ERROR][com.freerdp.core] - message`.
    Freerdp,
    /// rdesktop 1.9: `Core(error): message`; older builds: `ERROR: message`, `disconnect: ...`.
    Rdesktop,
    /// xrdp and xrdp-sesman: `[20240101-12:00:00] [ERROR] message`.
    Xrdp,
    /// GLib programs such as Remmina: `(remmina:123): remmina-WARNING **: 12:00:00.000: message`.
    Glib,
    /// A syslog or journal line: `Jan  1 12:00:00 host prog[pid]: message` (guacd, sshd, PAM).
    Syslog,
    /// Rust `tracing` (IronRDP, Teleport): `2024-01-01T12:00:00Z ERROR target: message`.
    Tracing,
    /// Any other line that starts with a time stamp and a level word (log4net, mRemoteNG ...).
    Generic,
}

/// A log line's level.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn parse(word: &str) -> Option<Level> {
        Some(match word.to_ascii_lowercase().as_str() {
            "trace" => Level::Trace,
            "debug" | "dbg" => Level::Debug,
            "info" | "notice" | "message" | "msg" | "core" => Level::Info,
            "warn" | "warning" => Level::Warn,
            "error" | "err" | "fatal" | "critical" | "crit" | "alert" | "emerg" | "disconnect" => {
                Level::Error
            }
            _ => return None,
        })
    }
}

/// One recognised log line.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine<'a> {
    /// 1-based line number in the paste.
    pub number: usize,
    pub format: LogFormat,
    /// The level the line states; `None` where its format has none (syslog).
    pub level: Option<Level>,
    /// What the line says, without time, process, level and component.
    pub message: &'a str,
    /// The whole line as pasted.
    pub raw: &'a str,
}

/// A piece of a paste, scored on its own.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment<'a> {
    /// A recognised log line.
    Log(LogLine<'a>),
    /// Consecutive lines that are not log lines, joined as pasted.
    Prose {
        /// 1-based number of the first line.
        first: usize,
        text: &'a str,
    },
}

struct Shape {
    format: LogFormat,
    re: Regex,
}

/// The line shapes, most specific first. Each has the named groups `level` (optional) and
/// `msg`.
static SHAPES: LazyLock<Vec<Shape>> = LazyLock::new(|| {
    let shape = |format, re: &str| Shape {
        format,
        re: Regex::new(re).expect("static log-line pattern"),
    };
    vec![
        shape(
            LogFormat::Freerdp,
            r"^\s*\[\d{1,2}:\d{2}:\d{2}(?::\d{1,3})?\]\s*\[\d+:\d+\]\s*\[(?P<level>[A-Za-z]+)\]\s*\[[\w.\-]+\]\s*-\s*(?:\[[\w:]+\]:?\s*)?(?P<msg>.*)$",
        ),
        shape(
            LogFormat::Rdesktop,
            r"^\s*(?:Core|Keyboard|Sound|Protocol|Graphics|GUI|Disk|SmartCard|Clipboard|Audio|Printer|Serial|Parallel|Other)\((?P<level>error|warning|notice|debug|info)\):\s*(?P<msg>.*)$",
        ),
        shape(
            LogFormat::Xrdp,
            r"^\s*\[\d{8}-\d{2}:\d{2}:\d{2}\]\s*\[(?P<level>[A-Za-z]+)\s*\]\s*(?P<msg>.*)$",
        ),
        shape(
            LogFormat::Xrdp,
            r"^\s*\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[^\]]*\]\s*\[(?P<level>[A-Za-z]+)\s*\]\s*(?P<msg>.*)$",
        ),
        shape(
            LogFormat::Glib,
            r"^\s*\([\w.\-]+:\d+\):\s*[\w.\-]*-?(?P<level>WARNING|CRITICAL|ERROR|DEBUG|INFO|MESSAGE)\s*\*\*:\s*(?:\d{2}:\d{2}:\d{2}\.\d+:\s*)?(?P<msg>.*)$",
        ),
        shape(
            LogFormat::Tracing,
            r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+\-]\d{2}:?\d{2})?\s+(?P<level>TRACE|DEBUG|INFO|WARN|ERROR)\s+[\w:.\-{}=\s]*?:\s+(?P<msg>.*)$",
        ),
        // env_logger (Teleport's RDP client, rdp-rs): `[2023-05-27T14:37:05Z ERROR rdp_client] ...`.
        shape(
            LogFormat::Tracing,
            r"^\s*\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\S*\s+(?P<level>TRACE|DEBUG|INFO|WARN|ERROR)\s+[\w:.\-]+\]\s*(?P<msg>.*)$",
        ),
        shape(
            LogFormat::Syslog,
            r"^\s*(?:[A-Z][a-z]{2}\s+\d{1,2}\s+\d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\S*)\s+\S+\s+[\w.\-/]+(?:\[\d+\])?:\s*(?:(?P<level>ERROR|WARNING|INFO|DEBUG|TRACE|error|warning|info|debug)[:\s]\s*)?(?P<msg>.*)$",
        ),
        shape(
            LogFormat::Generic,
            r"^\s*[\[(]?\d{2,4}[\-/.]\d{1,2}[\-/.]\d{1,4}[T ,]*\d{1,2}:\d{2}(?::\d{2})?(?:[.,:]\d+)?[\])]?\s*(?:\[[^\]]*\]\s*)?\[?(?P<level>ERROR|WARN|WARNING|INFO|DEBUG|TRACE|FATAL|Error|Warning|Information|Info|Debug)\]?\s*[:\-]?\s*(?P<msg>.*)$",
        ),
        shape(
            LogFormat::Rdesktop,
            r"^\s*(?P<level>ERROR|WARNING):\s+(?P<msg>.*)$",
        ),
        // rdesktop's "disconnect: <reason>." keeps its prefix: the reasons are printed with it.
        shape(
            LogFormat::Rdesktop,
            r"^\s*(?P<msg>(?P<level>disconnect):\s+.*)$",
        ),
    ]
});

/// Reads one line as a log line of a known format.
pub fn read_line(number: usize, line: &str) -> Option<LogLine<'_>> {
    // Only the start decides the shape; a 100 KB line is not run through nine patterns.
    if line.len() > MAX_LOG_LINE {
        return None;
    }
    SHAPES.iter().find_map(|shape| {
        let caps = shape.re.captures(line)?;
        let msg = caps.name("msg")?;
        let level = caps.name("level").and_then(|l| Level::parse(l.as_str()));
        // "disconnect:" is how rdesktop 1.8 reports why the session ended: an error.
        Some(LogLine {
            number,
            format: shape.format,
            level,
            message: msg.as_str().trim(),
            raw: line,
        })
    })
}

/// Lines longer than this are never log lines (a log prints one event per line).
const MAX_LOG_LINE: usize = 4096;

/// Cuts `text` into log lines and blocks of prose. With no log line in it, the whole text is
/// one block: a dialog or a story is scored as it always was.
pub fn segments<'a>(text: &'a str) -> Vec<Segment<'a>> {
    let mut out = Vec::new();
    let mut prose: Option<(usize, usize, usize)> = None; // (first line, start byte, end byte)
    let mut offset = 0;
    let flush = |prose: &mut Option<(usize, usize, usize)>, out: &mut Vec<Segment<'a>>| {
        if let Some((first, start, end)) = prose.take() {
            let block = &text[start..end];
            if !block.trim().is_empty() {
                out.push(Segment::Prose {
                    first,
                    text: block.trim_end_matches(['\n', '\r']),
                });
            }
        }
    };
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let bare = line.trim_end_matches(['\n', '\r']);
        match read_line(i + 1, bare) {
            Some(log) => {
                flush(&mut prose, &mut out);
                out.push(Segment::Log(log));
            }
            None => match &mut prose {
                Some((_, _, end)) => *end = offset,
                None => prose = Some((i + 1, start, offset)),
            },
        }
    }
    flush(&mut prose, &mut out);
    out
}

/// A log line's message with its values taken out: the network address it connects to
/// (`127.0.0.1:3389`, `[::1]:3390`, `host.example:3389`) and the files it names
/// (`/home/alice/.config/freerdp/certs`, `C:\Users\alice\Documents`). They say where, not
/// what failed: an address must not match a KB wording that names one, and a path's folder
/// names (a user called "xrdp-user") are not words of the message.
pub fn without_values(message: &str) -> std::borrow::Cow<'_, str> {
    static VALUE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)
            \b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b        # IPv4, with a port
            | \[[0-9A-Fa-f:.]+\](?::\d{1,5})?              # [IPv6]:port
            | \b[A-Za-z0-9][\w\-]*(?:\.[\w\-]+)+:\d{1,5}\b # host.name:port
            | (?:^|[\s\[(='\x22])~?(?:/[\w.\-+@]+){2,}/?     # /an/absolute/path (and the gap before it)
            | \b[A-Za-z]:\\[^\s\]'\x22]*                     # C:\a\Windows\path
            ",
        )
        .expect("static address pattern")
    });
    VALUE.replace_all(message, " ")
}

/// True when the paste holds at least one log line.
pub fn has_log_lines(segments: &[Segment<'_>]) -> bool {
    segments.iter().any(|s| matches!(s, Segment::Log(_)))
}

/// True for a frame of a stack trace that a client logs after an error ("10:
/// xfreerdp(_start+0x21) [0x5591029f0461]", FreeRDP's winpr_backtrace): addresses and symbol
/// names, which say where the program was, not what failed.
pub fn is_stack_frame(message: &str) -> bool {
    let m = message.trim();
    let numbered = m
        .split_once(':')
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    numbered && m.contains("+0x") && m.contains("[0x")
}

/// What a paste says, as one text, from its [`segments`]: each log line's message without its
/// prefix (time, process, level, component: "[INFO][com.freerdp.gdi]" is not a word of the
/// error), the frames of a stack trace left out ([`is_stack_frame`]), other lines (and
/// rdesktop's, whose prefix is printed text) as pasted.
pub fn messages(segments: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for seg in segments {
        let said = match seg {
            Segment::Log(l) if is_stack_frame(l.message) => continue,
            Segment::Log(l) if l.format == LogFormat::Rdesktop => l.raw,
            Segment::Log(l) => l.message,
            Segment::Prose { text, .. } => text,
        };
        out.push_str(said);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> LogLine<'_> {
        read_line(1, line).unwrap_or_else(|| panic!("not read as a log line: {line}"))
    }

    #[test]
    fn values_are_taken_out_of_a_message() {
        let m = without_values(
            "creating directory /tmp/lab/home/xrdp-unknown-user/.config/freerdp for 10.0.0.4:3389",
        );
        assert!(
            !m.contains("xrdp-unknown-user") && !m.contains("10.0.0.4"),
            "{m}"
        );
        assert!(m.contains("creating directory"), "{m}");
        let w = without_values(r"cannot open C:\Users\rdp-user\Default.rdp: access denied");
        assert!(
            !w.contains("rdp-user") && w.contains("access denied"),
            "{w}"
        );
        // A slash between words is not a path.
        assert_eq!(
            without_values("SSL/TLS handshake failed"),
            "SSL/TLS handshake failed"
        );
    }

    #[test]
    fn a_paste_read_as_its_messages() {
        let paste = "[14:22:21:979] [1:1] [ERROR][com.freerdp.utils] - Caught signal 'Terminated' [15]\n\
                     [14:22:21:979] [1:1] [ERROR][com.freerdp.utils] - 10: xfreerdp(_start+0x21) [0x55f06a0fb461]\n\
                     the end\n";
        let kept = messages(&segments(paste));
        assert!(
            kept.contains("Caught signal") && kept.contains("the end"),
            "{kept}"
        );
        assert!(!kept.contains("_start+0x21"), "{kept}");
        assert!(
            !kept.contains("com.freerdp") && !kept.contains("ERROR"),
            "{kept}"
        );
        // rdesktop prints its prefix as part of the message.
        assert_eq!(
            messages(&segments("Core(error): tcp_connect(), unable to connect\n")),
            "Core(error): tcp_connect(), unable to connect\n"
        );
    }

    #[test]
    fn stack_frames_are_recognised() {
        assert!(is_stack_frame("10: xfreerdp(_start+0x21) [0x5591029f0461]"));
        assert!(is_stack_frame(" 7: xfreerdp(+0x73c4) [0x5636730033c4]"));
        assert!(!is_stack_frame(
            "freerdp_connect:freerdp_set_last_error_ex ERRCONNECT_CONNECT_FAILED [0x00020006]"
        ));
    }

    #[test]
    fn freerdp_lines_of_both_versions() {
        let l = one("[20:44:10:263] [26639:26640] [ERROR][com.freerdp.core] - nla_recv_pdu:freerdp_set_last_error_ex ERRCONNECT_LOGON_FAILURE [0x00020014]");
        assert_eq!(l.format, LogFormat::Freerdp);
        assert_eq!(l.level, Some(Level::Error));
        assert!(l.message.starts_with("nla_recv_pdu:"));
        let l = one("[12:00:01:002] [1234:1235] [WARN][com.freerdp.crypto] - [verify_cb]: Certificate verification failure 'self-signed certificate (18)' at stack position 0");
        assert_eq!(l.level, Some(Level::Warn));
        assert!(l.message.starts_with("Certificate verification failure"));
    }

    #[test]
    fn rdesktop_xrdp_glib_syslog_and_tracing_lines() {
        let l = one("Core(error): tcp_connect(), unable to connect to 127.0.0.1");
        assert_eq!(
            (l.format, l.level),
            (LogFormat::Rdesktop, Some(Level::Error))
        );
        let l = one("[20240101-12:00:00] [ERROR] xrdp_sec_incoming: error reading RSA key");
        assert_eq!((l.format, l.level), (LogFormat::Xrdp, Some(Level::Error)));
        assert_eq!(l.message, "xrdp_sec_incoming: error reading RSA key");
        let l = one("[2024-01-01T12:00:00.123+0000] [INFO ] pam_authenticate failed: Authentication failure");
        assert_eq!((l.format, l.level), (LogFormat::Xrdp, Some(Level::Info)));
        let l =
            one("(remmina:4242): remmina-WARNING **: 10:00:00.123: Could not start TLS connection");
        assert_eq!((l.format, l.level), (LogFormat::Glib, Some(Level::Warn)));
        let l = one("Mar  3 10:00:00 gw guacd[812]: RDP server closed/refused connection: Security negotiation failed (wrong security type?)");
        assert_eq!(l.format, LogFormat::Syslog);
        assert!(l.message.starts_with("RDP server closed"));
        let l =
            one("2024-05-01T10:00:00.000Z ERROR ironrdp_client::rdp: Connection error: CredSSP");
        assert_eq!(
            (l.format, l.level),
            (LogFormat::Tracing, Some(Level::Error))
        );
        let l = one("[2023-05-27T14:37:05Z ERROR rdp_client] Rdp(RdpError(RdpError { kind: ProtocolNegFailure }))");
        assert_eq!(
            (l.format, l.level),
            (LogFormat::Tracing, Some(Level::Error))
        );
        assert!(l.message.starts_with("Rdp(RdpError"));
        let l = one("disconnect: Internal licensing error.");
        assert_eq!(
            (l.format, l.level),
            (LogFormat::Rdesktop, Some(Level::Error))
        );
    }

    #[test]
    fn prose_stays_one_block_and_logs_are_cut_per_line() {
        let dialog = "Windows Security\nYour credentials didn't work\nThe credentials that were used to connect did not work.";
        assert_eq!(
            segments(dialog),
            vec![Segment::Prose {
                first: 1,
                text: dialog
            }]
        );
        let paste = "I get this:\n[10:20:30:400] [1:2] [ERROR][com.freerdp.core] - a\n[10:20:30:401] [1:2] [INFO][com.freerdp.core] - b\nany idea?\n";
        let s = segments(paste);
        assert_eq!(s.len(), 4);
        assert!(matches!(
            s[0],
            Segment::Prose {
                first: 1,
                text: "I get this:"
            }
        ));
        assert!(matches!(&s[1], Segment::Log(l) if l.number == 2 && l.message == "a"));
        assert!(matches!(
            s[3],
            Segment::Prose {
                first: 4,
                text: "any idea?"
            }
        ));
        assert!(has_log_lines(&s));
    }

    #[test]
    fn addresses_are_values_not_words() {
        assert_eq!(
            without_values("unable to connect to 127.0.0.1:3389 now"),
            "unable to connect to   now"
        );
        assert_eq!(without_values("connect to [::1]:3390"), "connect to  ");
        assert_eq!(without_values("rdp.example.com:3389 refused"), "  refused");
        assert_eq!(
            without_values("ERRCONNECT_LOGON_FAILURE"),
            "ERRCONNECT_LOGON_FAILURE"
        );
    }

    #[test]
    fn a_sentence_is_not_a_log_line() {
        for line in [
            "Your credentials did not work",
            "Error code: 0x204",
            "error: the connection failed",
            "The remote computer requires Network Level Authentication",
        ] {
            assert!(read_line(1, line).is_none(), "{line}");
        }
    }
}
