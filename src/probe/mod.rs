//! `rdperr probe HOST[:PORT]`: when there is no message, ask the server what an RDP client asks
//! it before any credentials, and name the error from the answers.
//!
//! Steps, each timed, stopping at the first that fails:
//! 1. **name**: resolve the host (every address);
//! 2. **tcp**: connect to each address until one answers;
//! 3. **negotiation**: one X.224 Connection Request per protocol set (Standard RDP Security,
//!    TLS, CredSSP, CredSSP with early authorization, RDSTLS, RDS AAD), so the report says which
//!    the server accepts, or which RDP Negotiation Failure code it answers;
//! 4. **tls**: where the server accepts TLS or CredSSP, the TLS handshake (see [`tls`]);
//! 5. **certificate**: the server's certificate: dates, names, issuer, key.
//!
//! The verdict names the first failed check's KB entry (with the entries it is told apart
//! from), and lists the steps of the general checklist that cannot be checked from the client.
//! Nothing is sent beyond what a client sends before credentials; no password ever.

pub mod tls;
pub mod x224;

use crate::model::{Entry, Namespace};
use crate::render::{self, StepCommand};
use crate::Kb;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

pub use tls::{CertificateInfo, TlsInfo};

/// The version of the JSON document `rdperr probe --json` prints (`kb/schema/probe.schema.json`).
pub const PROBE_SCHEMA_VERSION: u32 = 1;

/// The port Remote Desktop listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 3389;

/// The general checklist whose steps the report lists as not checked from here.
pub const GENERAL_CHECKLIST: &str = "rdp-cannot-connect-general";

/// Entries for what comes after the handshake, which the probe never reaches (it sends no
/// credentials): sign-in and licensing.
pub const BEYOND_THE_HANDSHAKE: &[&str] = &[
    "rdp-credentials-rejected",
    "rdp-nla-dc-unreachable",
    "rdp-license-no-server",
];

/// How the probe runs.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The longest wait for each network operation: the name lookup, each connect, each answer,
    /// the TLS handshake.
    pub timeout: Duration,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            timeout: Duration::from_secs(5),
        }
    }
}

/// `HOST[:PORT]` as given: a name, an IPv4 address, or an IPv6 address (in brackets when a
/// port follows: `[::1]:3390`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Target, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("expected HOST or HOST:PORT, got nothing".into());
        }
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let Some((host, after)) = rest.split_once(']') else {
                return Err(format!(
                    "`{text}`: an IPv6 address opened with `[` needs its `]`"
                ));
            };
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("`{text}`: after `]` only `:PORT` may follow"))?,
                ),
            };
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("`{host}` is not an IPv6 address"));
            }
            (host, port)
        } else if text.matches(':').count() > 1 {
            // A bare IPv6 address: no port (write [ADDR]:PORT for one).
            if text.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!(
                    "`{text}` is not an IPv6 address; write an IPv6 address with a port as [ADDRESS]:PORT"
                ));
            }
            (text, None)
        } else {
            match text.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (text, None),
            }
        };
        if host.is_empty() {
            return Err(format!("`{text}`: the host is empty"));
        }
        let name_like = host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'));
        if host.parse::<IpAddr>().is_err() && (!name_like || host.len() > 253) {
            return Err(format!(
                "`{host}` is not a host name or IP address (letters, digits, `-`, `.` and `_` only)"
            ));
        }
        let port = match port {
            None => DEFAULT_PORT,
            Some(p) => match p.parse::<u32>() {
                Ok(n) if (1..=65535).contains(&n) => n as u16,
                Ok(n) => return Err(format!("port {n} is out of range (1 to 65535)")),
                Err(_) => return Err(format!("`{p}` is not a port number (1 to 65535)")),
            },
        };
        Ok(Target {
            host: host.to_string(),
            port,
        })
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A step of the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    Name,
    Tcp,
    Negotiation,
    Tls,
    Certificate,
}

impl StepName {
    pub const ALL: [StepName; 5] = [
        StepName::Name,
        StepName::Tcp,
        StepName::Negotiation,
        StepName::Tls,
        StepName::Certificate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepName::Name => "name",
            StepName::Tcp => "tcp",
            StepName::Negotiation => "negotiation",
            StepName::Tls => "tls",
            StepName::Certificate => "certificate",
        }
    }
}

/// How a check (or the whole probe) came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Done and fine.
    Pass,
    /// Done; something a client will warn about or that only some clients refuse, which need
    /// not stop a connection.
    Warn,
    /// Done; this stops connections.
    Fail,
    /// Not run: an earlier check failed, or there was nothing to check.
    Skipped,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Status::Pass => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skipped => "--",
        }
    }
}

/// A KB entry one check points to, with what the probe saw and what tells the entry apart.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Finding {
    /// `warn` or `fail` when the finding is the check's problem, `pass` for a note (e.g. "this
    /// server requires NLA: clients without it get ...").
    pub status: Status,
    pub id: String,
    pub title: String,
    /// What the probe saw that points to this entry.
    pub why: String,
    /// The entry's own "how to tell it apart" text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// One check of the probe.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Check {
    pub step: StepName,
    pub status: Status,
    /// Time the step took, in milliseconds.
    pub ms: u64,
    /// One line saying what was found.
    pub summary: String,
    /// Further lines of evidence (each address tried, each protocol offered ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// The entries this check points to, the likeliest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// The server's answer to one Connection Request.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// RDP_NEG_RSP: the server picked this protocol.
    Selected {
        protocol: String,
        value: u32,
        /// The RDP_NEG_RSP flags byte.
        flags: u8,
    },
    /// RDP_NEG_FAILURE, with the code table's reading.
    Failure {
        code: u32,
        name: Option<String>,
        meaning: Option<String>,
        entries: Vec<String>,
    },
    /// A Connection Confirm without negotiation data: Standard RDP Security only.
    NoNegotiation,
    /// No usable Connection Confirm.
    Error { error: ExchangeError },
}

/// Why one exchange did not give a Connection Confirm.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ExchangeError {
    pub kind: ExchangeErrorKind,
    pub detail: String,
    /// The first bytes the server sent, when they were not RDP (hex), and as text where
    /// printable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bytes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeErrorKind {
    /// The connection for this exchange could not be made.
    Connect,
    /// No answer within the timeout.
    TimedOut,
    /// Closed before sending a byte.
    Closed,
    /// Closed part-way through a Connection Confirm.
    ShortRead,
    /// Bytes that are not TPKT: not an RDP server.
    NotRdp,
    /// TPKT, but not a well-formed Connection Confirm.
    Malformed,
    /// Another socket error.
    Io,
}

/// One protocol set offered, and what came back.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NegotiationProbe {
    /// The protocol this probe asks about.
    pub protocol: String,
    /// requestedProtocols as sent, and its flag names.
    pub requested: u32,
    pub offered: String,
    pub answer: Answer,
    /// The server picked the protocol this probe asks about.
    pub accepted: bool,
    pub ms: u64,
}

/// The verdict.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Verdict {
    /// `fail` when a check failed, `warn` when none failed but one warned, else `pass`.
    pub status: Status,
    /// One or two sentences for people.
    pub headline: String,
    /// Checks that passed (or warned), in order.
    pub passed: Vec<StepName>,
    /// The check that failed, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<StepName>,
    /// The entry to read first: the failed check's likeliest, or the first warning's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<Arc<Entry>>,
    /// That entry's step commands, filled with example values, step by step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<Vec<StepCommand>>,
    /// Every entry the deciding check points to, with what tells them apart.
    pub candidates: Vec<Finding>,
}

/// A step of the general checklist that the probe cannot check from the client.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NotChecked {
    pub title: String,
    /// The KB entry the step comes from.
    pub entry: String,
}

/// Everything the probe found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProbeReport {
    pub schema_version: u32,
    pub target: Target,
    pub timeout_ms: u64,
    /// The addresses the name resolved to.
    pub addresses: Vec<String>,
    /// The address the later checks used (the first that accepted TCP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected: Option<String>,
    /// One per step, in order; steps after a failure are `skipped`.
    pub checks: Vec<Check>,
    /// One per protocol set offered.
    pub negotiation: Vec<NegotiationProbe>,
    /// The protocols the server picked when offered, by name.
    pub accepted_protocols: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInfo>,
    pub verdict: Verdict,
    /// What the probe cannot see from here: the general checklist's steps it did not answer,
    /// then what comes after the handshake (sign-in, licensing).
    pub not_checked: Vec<NotChecked>,
}

impl ProbeReport {
    /// 0 when no check failed (warnings included), 1 when one did.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.verdict.status == Status::Fail)
    }
}

/// Probes `target` with the embedded KB.
pub fn probe(target: &Target, opts: &ProbeOptions) -> ProbeReport {
    probe_with(Kb::embedded(), target, opts)
}

/// Probes `target`, naming entries from `kb`.
pub fn probe_with(kb: &Kb, target: &Target, opts: &ProbeOptions) -> ProbeReport {
    let mut p = Prober {
        kb,
        target,
        timeout: opts.timeout.max(Duration::from_millis(1)),
        checks: Vec::new(),
        addresses: Vec::new(),
        connected: None,
        negotiation: Vec::new(),
        tls: None,
    };
    p.run();
    p.report()
}

struct Prober<'a> {
    kb: &'a Kb,
    target: &'a Target,
    timeout: Duration,
    checks: Vec<Check>,
    addresses: Vec<SocketAddr>,
    connected: Option<SocketAddr>,
    negotiation: Vec<NegotiationProbe>,
    tls: Option<TlsInfo>,
}

/// The protocol sets offered, one connection each: (what it asks about, requestedProtocols,
/// the value that means "accepted"). The first three are what every RDP server answers; a server
/// may break off at the later ones when it does not know the flag (xrdp 0.9 does at
/// PROTOCOL_RDSAAD), which then only means "not accepted".
const BASIC_OFFERS: usize = 3;
const OFFERS: &[(&str, u32, u32)] = &[
    (
        "Standard RDP Security",
        x224::PROTOCOL_RDP,
        x224::PROTOCOL_RDP,
    ),
    ("TLS", x224::PROTOCOL_SSL, x224::PROTOCOL_SSL),
    (
        "CredSSP (NLA)",
        x224::PROTOCOL_SSL | x224::PROTOCOL_HYBRID,
        x224::PROTOCOL_HYBRID,
    ),
    (
        "CredSSP with early user authorization (HYBRID_EX)",
        x224::PROTOCOL_SSL | x224::PROTOCOL_HYBRID | x224::PROTOCOL_HYBRID_EX,
        x224::PROTOCOL_HYBRID_EX,
    ),
    (
        "RDSTLS",
        x224::PROTOCOL_SSL | x224::PROTOCOL_RDSTLS,
        x224::PROTOCOL_RDSTLS,
    ),
    (
        "RDS AAD Auth (Microsoft Entra sign-in)",
        x224::PROTOCOL_SSL | x224::PROTOCOL_HYBRID | x224::PROTOCOL_RDSAAD,
        x224::PROTOCOL_RDSAAD,
    ),
];

fn ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl Prober<'_> {
    fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.status == Status::Fail)
    }

    fn finding(&self, status: Status, id: &str, why: impl Into<String>) -> Finding {
        let entry = self.kb.get(id);
        Finding {
            status,
            id: id.to_string(),
            title: entry.map_or_else(|| id.to_string(), |e| e.title.clone()),
            why: why.into(),
            hint: entry.and_then(|e| e.distinguish.clone()),
        }
    }

    fn run(&mut self) {
        self.name();
        if !self.failed() {
            self.tcp();
        }
        if !self.failed() {
            self.negotiate();
        }
        if !self.failed() {
            self.tls_and_certificate();
        }
        for step in StepName::ALL {
            if !self.checks.iter().any(|c| c.step == step) {
                let summary = if self.failed() {
                    "not run: an earlier check failed".to_string()
                } else {
                    "not run".to_string()
                };
                self.checks.push(Check {
                    step,
                    status: Status::Skipped,
                    ms: 0,
                    summary,
                    details: Vec::new(),
                    findings: Vec::new(),
                });
            }
        }
        self.checks.sort_by_key(|c| c.step as u8);
    }

    // ---------------------------------------------------------------- 1. name
    fn name(&mut self) {
        let start = Instant::now();
        let host = self.target.host.clone();
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.addresses = vec![SocketAddr::new(ip, self.target.port)];
            self.checks.push(Check {
                step: StepName::Name,
                status: Status::Pass,
                ms: ms(start),
                summary: format!("{host} is an IP address: nothing to resolve"),
                details: Vec::new(),
                findings: Vec::new(),
            });
            return;
        }
        // getaddrinfo has no timeout of its own: ask on a thread, wait at most the timeout.
        let (tx, rx) = mpsc::channel();
        let port = self.target.port;
        let asked = host.clone();
        std::thread::spawn(move || {
            let _ = tx.send((asked.as_str(), port).to_socket_addrs().map(Vec::from_iter));
        });
        let result = rx.recv_timeout(self.timeout);
        let took = ms(start);
        let error = match result {
            Ok(Ok(addrs)) if !addrs.is_empty() => {
                let mut addrs = addrs;
                addrs.dedup();
                self.addresses = addrs;
                let list: Vec<String> = self.addresses.iter().map(|a| a.ip().to_string()).collect();
                self.checks.push(Check {
                    step: StepName::Name,
                    status: Status::Pass,
                    ms: took,
                    summary: format!("{host} resolves to {}", list.join(", ")),
                    details: Vec::new(),
                    findings: Vec::new(),
                });
                return;
            }
            Ok(Ok(_)) => "the resolver returned no address".to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!(
                "the resolver did not answer within {}",
                seconds(self.timeout)
            ),
        };
        let why = format!("{host} does not resolve: {error}");
        let finding = self.finding(Status::Fail, "rdp-name-not-found", why.clone());
        self.checks.push(Check {
            step: StepName::Name,
            status: Status::Fail,
            ms: took,
            summary: why,
            details: Vec::new(),
            findings: vec![finding],
        });
    }

    // ---------------------------------------------------------------- 2. tcp
    fn tcp(&mut self) {
        let start = Instant::now();
        let mut details = Vec::new();
        let (mut refused, mut timed_out, mut other) = (0, 0, 0);
        for addr in self.addresses.clone() {
            let t = Instant::now();
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(_) => {
                    details.push(format!("{addr}: connected in {} ms", ms(t)));
                    self.connected = Some(addr);
                    break;
                }
                Err(e) => {
                    let what = match e.kind() {
                        io::ErrorKind::ConnectionRefused => {
                            refused += 1;
                            "refused".to_string()
                        }
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                            timed_out += 1;
                            format!("no answer within {}", seconds(self.timeout))
                        }
                        _ => {
                            other += 1;
                            e.to_string()
                        }
                    };
                    details.push(format!("{addr}: {what} ({} ms)", ms(t)));
                }
            }
        }
        if let Some(addr) = self.connected {
            self.checks.push(Check {
                step: StepName::Tcp,
                status: Status::Pass,
                ms: ms(start),
                summary: format!("{addr} accepts TCP connections"),
                details: if self.addresses.len() > 1 {
                    details
                } else {
                    Vec::new()
                },
                findings: Vec::new(),
            });
            return;
        }
        let port = self.target.port;
        let (summary, findings) = if refused > 0 && timed_out == 0 && other == 0 {
            let s = format!("TCP port {port} refused the connection: the machine answered, and nothing listens on the port");
            (
                s,
                vec![
                    self.finding(Status::Fail, "rdp-termservice-not-running", format!("a refused connection means the machine is reached but nothing listens on port {port}: the Remote Desktop service is stopped or hung")),
                    self.finding(Status::Fail, "rdp-port-conflict-or-changed", format!("or the listener was moved to another port than {port}, or another program took the port and stopped")),
                    self.finding(Status::Fail, "rdp-guest-firewall-blocking", "or a firewall on the way rejects the connection instead of dropping it"),
                ],
            )
        } else {
            let s = if timed_out > 0 {
                format!(
                    "TCP port {port} did not answer within {}: the packets are dropped on the way or at the machine",
                    seconds(self.timeout)
                )
            } else {
                format!("TCP port {port} could not be reached (no route or the network is down)")
            };
            (
                s,
                vec![
                    self.finding(Status::Fail, "rdp-nsg-port-closed", format!("a silent drop is what a network security group without an allow rule for port {port} does")),
                    self.finding(Status::Fail, "rdp-guest-firewall-blocking", "or the firewall inside the machine drops the connection"),
                    self.finding(Status::Fail, "rdp-cannot-connect-general", "or a route, a local or on-premises firewall, or the machine itself (not running, no network) is in the way"),
                ],
            )
        };
        self.checks.push(Check {
            step: StepName::Tcp,
            status: Status::Fail,
            ms: ms(start),
            summary,
            details,
            findings,
        });
    }

    // ---------------------------------------------------------------- 3. negotiation
    fn negotiate(&mut self) {
        let start = Instant::now();
        let Some(addr) = self.connected else { return };
        for (i, &(label, requested, wanted)) in OFFERS.iter().enumerate() {
            let t = Instant::now();
            let answer = match exchange(addr, requested, self.timeout) {
                Ok((confirm, _)) => self.answer(confirm),
                Err(error) => Answer::Error { error },
            };
            let accepted = match &answer {
                Answer::Selected { value, .. } => *value == wanted,
                Answer::NoNegotiation => wanted == x224::PROTOCOL_RDP,
                _ => false,
            };
            let stop = i < BASIC_OFFERS && matches!(answer, Answer::Error { .. });
            self.negotiation.push(NegotiationProbe {
                protocol: label.to_string(),
                requested,
                offered: x224::protocols_names(requested),
                answer,
                accepted,
                ms: ms(t),
            });
            if stop {
                break;
            }
        }
        let details = self.negotiation.iter().map(negotiation_line).collect();
        let check = self.judge_negotiation(details, ms(start));
        self.checks.push(check);
    }

    /// The code table's reading of a Connection Confirm.
    fn answer(&self, confirm: x224::Confirm) -> Answer {
        match confirm {
            x224::Confirm::Selected { selected, flags } => Answer::Selected {
                protocol: x224::protocol_name(selected),
                value: selected,
                flags,
            },
            x224::Confirm::NoNegotiation => Answer::NoNegotiation,
            x224::Confirm::Failure { code } => {
                let row = self
                    .kb
                    .tables()
                    .iter()
                    .filter(|t| t.namespace == Namespace::NegotiationFailure)
                    .flat_map(|t| t.codes.iter())
                    .find(|r| r.value == i64::from(code));
                Answer::Failure {
                    code,
                    name: row.and_then(|r| r.name.clone()),
                    meaning: row.map(|r| r.meaning.clone()),
                    entries: row.map(|r| r.entries.clone()).unwrap_or_default(),
                }
            }
        }
    }

    fn accepts(&self, wanted: u32) -> bool {
        self.negotiation
            .iter()
            .any(|n| n.accepted && OFFERS.iter().any(|o| o.0 == n.protocol && o.2 == wanted))
    }

    fn judge_negotiation(&self, details: Vec<String>, took: u64) -> Check {
        let check = |status, summary: String, findings| Check {
            step: StepName::Negotiation,
            status,
            ms: took,
            summary,
            details: details.clone(),
            findings,
        };
        // An exchange that gave no Connection Confirm to a basic offer ends the probe.
        if let Some((n, error)) = self
            .negotiation
            .iter()
            .take(BASIC_OFFERS)
            .find_map(|n| match &n.answer {
                Answer::Error { error } => Some((n, error)),
                _ => None,
            })
        {
            let port = self.target.port;
            let (summary, findings) = match error.kind {
                ExchangeErrorKind::TimedOut => (
                    format!("the program on port {port} accepted TCP but did not answer the RDP Connection Request within {}", seconds(self.timeout)),
                    vec![
                        self.finding(Status::Fail, "rdp-port-conflict-or-changed", format!("a program that is not an RDP listener holds port {port} (RDP servers answer a Connection Request at once)")),
                        self.finding(Status::Fail, "rdp-termservice-not-running", "or the Remote Desktop service is hung: it holds the port and answers nothing"),
                    ],
                ),
                ExchangeErrorKind::NotRdp => (
                    format!("the program on port {port} is not an RDP server: it answered the Connection Request with {}", error.first_text.as_deref().map_or_else(|| "bytes that are not RDP".to_string(), |t| format!("\"{t}\""))),
                    vec![
                        self.finding(Status::Fail, "rdp-port-conflict-or-changed", format!("another program holds port {port}")),
                        self.finding(Status::Fail, "rdp-protocol-error", "clients that reach it report a protocol error"),
                    ],
                ),
                ExchangeErrorKind::Connect => (
                    format!("the connection for the {} offer failed: {}", n.protocol, error.detail),
                    vec![self.finding(Status::Fail, "rdp-cannot-connect-general", "the port accepted a connection and then stopped accepting them")],
                ),
                _ => (
                    format!("the server broke off the RDP negotiation: {}", error.detail),
                    vec![
                        self.finding(Status::Fail, "rdp-protocol-error", "the answer to the Connection Request is cut short, closed or malformed"),
                        self.finding(Status::Fail, "rdp-port-conflict-or-changed", format!("or a program that is not an RDP listener holds port {port}")),
                    ],
                ),
            };
            return check(Status::Fail, summary, findings);
        }
        let accepted: Vec<&str> = self
            .negotiation
            .iter()
            .filter(|n| n.accepted)
            .map(|n| n.protocol.as_str())
            .collect();
        let rdp = self.accepts(x224::PROTOCOL_RDP);
        let ssl = self.accepts(x224::PROTOCOL_SSL);
        let hybrid = self.accepts(x224::PROTOCOL_HYBRID) || self.accepts(x224::PROTOCOL_HYBRID_EX);
        let codes: Vec<(u32, &Option<String>, &Vec<String>)> = self
            .negotiation
            .iter()
            .filter_map(|n| match &n.answer {
                Answer::Failure {
                    code,
                    name,
                    entries,
                    ..
                } => Some((*code, name, entries)),
                _ => None,
            })
            .collect();
        let code_name = |code: u32, name: &Option<String>| {
            name.clone()
                .unwrap_or_else(|| format!("failure code {code}"))
        };
        let yes_no = |b| if b { "yes" } else { "no" };
        let summary = format!(
            "accepts: Standard RDP Security {}, TLS {}, CredSSP (NLA) {}",
            yes_no(rdp),
            yes_no(ssl),
            yes_no(hybrid)
        );
        if accepted.is_empty() {
            let (why, ids): (String, Vec<String>) = match codes.first() {
                Some((code, name, entries)) => (
                    format!(
                        "the server refused every protocol offered ({})",
                        code_name(*code, name)
                    ),
                    (*entries).clone(),
                ),
                None => (
                    "the server picked none of the protocols offered".into(),
                    vec![],
                ),
            };
            let mut ids = ids;
            if ids.is_empty() {
                ids.push("rdp-security-protocol-mismatch".into());
            }
            let findings = ids
                .iter()
                .map(|id| self.finding(Status::Fail, id, why.clone()))
                .collect();
            return check(Status::Fail, format!("{summary}: {why}"), findings);
        }
        let mut findings = Vec::new();
        // Codes that say the server is broken rather than set up one way.
        for (code, name, entries) in &codes {
            if matches!(code, 3 | 4) {
                for id in entries.iter() {
                    findings.push(self.finding(
                        Status::Warn,
                        id,
                        format!(
                            "the server answered {} to an offer it should accept",
                            code_name(*code, name)
                        ),
                    ));
                }
            }
        }
        if rdp && !ssl && !hybrid {
            findings.push(self.finding(
                Status::Warn,
                "rdp-security-protocol-mismatch",
                "the server does Standard RDP Security only: no TLS, so clients cannot check its identity, and clients set to require TLS or NLA fail to connect",
            ));
        }
        if hybrid && !ssl && !rdp {
            findings.push(self.finding(
                Status::Pass,
                "rdp-nla-not-supported",
                "the server requires Network Level Authentication (CredSSP): clients without it cannot connect",
            ));
        } else if !rdp {
            findings.push(self.finding(
                Status::Pass,
                "rdp-security-protocol-mismatch",
                "the server refuses Standard RDP Security: clients limited to it (old clients, `/sec:rdp`) cannot connect",
            ));
        }
        let status = findings
            .iter()
            .map(|f| f.status)
            .filter(|s| *s != Status::Pass)
            .max()
            .unwrap_or(Status::Pass);
        check(status, summary, findings)
    }

    // ---------------------------------------------------------------- 4, 5. tls, certificate
    fn tls_and_certificate(&mut self) {
        let Some(addr) = self.connected else { return };
        let start = Instant::now();
        // Ask for what the server accepted: TLS, else CredSSP (whose first part is TLS).
        let offer = [
            x224::PROTOCOL_SSL,
            x224::PROTOCOL_HYBRID,
            x224::PROTOCOL_HYBRID_EX,
        ]
        .into_iter()
        .find_map(|p| {
            self.accepts(p)
                .then(|| OFFERS.iter().find(|o| o.2 == p).map(|o| o.1))
                .flatten()
        });
        let Some(requested) = offer else {
            for (step, summary) in [
                (
                    StepName::Tls,
                    "not run: the server accepts no TLS-based protocol",
                ),
                (StepName::Certificate, "not run: no TLS, so no certificate"),
            ] {
                self.checks.push(Check {
                    step,
                    status: Status::Skipped,
                    ms: 0,
                    summary: summary.to_string(),
                    details: Vec::new(),
                    findings: Vec::new(),
                });
            }
            return;
        };
        let deadline_for = |t: Instant| t + self.timeout;
        let fail = |summary: String, findings: Vec<Finding>, details: Vec<String>| Check {
            step: StepName::Tls,
            status: Status::Fail,
            ms: ms(start),
            summary,
            details,
            findings,
        };
        let (confirm, mut sock) = match exchange(addr, requested, self.timeout) {
            Ok(x) => x,
            Err(error) => {
                let f = vec![self.finding(
                    Status::Fail,
                    "rdp-protocol-error",
                    "the server accepted this offer before and now gives no Connection Confirm",
                )];
                let c = fail(
                    format!("the Connection Request for TLS failed: {}", error.detail),
                    f,
                    vec![],
                );
                self.checks.push(c);
                return;
            }
        };
        let offered = x224::protocols_names(requested);
        match confirm {
            x224::Confirm::Selected { selected, .. } if selected != x224::PROTOCOL_RDP => {}
            other => {
                let f = vec![self.finding(
                    Status::Fail,
                    "rdp-protocol-error",
                    "the server answered the same offer differently on a second connection",
                )];
                let c = fail(
                    format!("offered {offered} again, the server answered {other:?}"),
                    f,
                    vec![],
                );
                self.checks.push(c);
                return;
            }
        }
        let host = self.target.host.clone();
        let result = tls::handshake(&mut sock, &host, addr.ip(), deadline_for(Instant::now()));
        drop(sock);
        let info = match result {
            Ok(info) => info,
            Err(e) => {
                let why = e.to_string();
                let note = "this probe speaks TLS 1.2 and 1.3 with modern cipher suites only; TLS 1.0 and 1.1 were not tried".to_string();
                let findings = match e {
                    tls::TlsFailure::TimedOut => vec![
                        self.finding(Status::Fail, "rdp-securing-connection-stuck", why.clone()),
                        self.finding(Status::Fail, "rdp-tls-handshake-failed", why.clone()),
                    ],
                    _ => vec![
                        self.finding(Status::Fail, "rdp-tls-handshake-failed", why.clone()),
                        self.finding(Status::Fail, "rdp-event-tls-disabled", "on a Windows host, TLS versions or ciphers turned off in Schannel end the handshake the same way"),
                    ],
                };
                let c = fail(
                    format!("TLS handshake after {offered}: {why}"),
                    findings,
                    vec![note],
                );
                self.checks.push(c);
                return;
            }
        };
        let mut details = vec![format!("negotiated over {offered}")];
        if !info.signature_verified {
            details.push("the server's handshake signature was not verified (its key is outside what the verifier accepts); the handshake went on".into());
        }
        self.checks.push(Check {
            step: StepName::Tls,
            status: Status::Pass,
            ms: ms(start),
            summary: format!("{}, {}", info.version, info.cipher_suite),
            details,
            findings: Vec::new(),
        });
        let check = self.judge_certificate(&info);
        self.checks.push(check);
        self.tls = Some(info);
    }

    fn judge_certificate(&self, info: &TlsInfo) -> Check {
        let Some(cert) = &info.certificate else {
            return Check {
                step: StepName::Certificate,
                status: Status::Fail,
                ms: 0,
                summary: "the server sent no certificate that could be read".into(),
                details: Vec::new(),
                findings: vec![self.finding(
                    Status::Fail,
                    "rdp-certificate-expired-or-invalid",
                    "the certificate is missing or unreadable",
                )],
            };
        };
        let host = &self.target.host;
        let mut findings = Vec::new();
        if cert.expired {
            findings.push(self.finding(
                Status::Fail,
                "rdp-certificate-expired-or-invalid",
                format!("the certificate expired on {}", cert.not_after),
            ));
        } else if cert.not_yet_valid {
            findings.push(self.finding(
                Status::Fail,
                "rdp-certificate-expired-or-invalid",
                format!(
                    "the certificate is valid only from {} (is a clock wrong?)",
                    cert.not_before
                ),
            ));
        }
        if cert.key_type == "RSA" && cert.key_bits > 0 && cert.key_bits < tls::MIN_RSA_BITS {
            findings.push(self.finding(Status::Fail, "rdp-client-tls-key-too-small", format!("the certificate's RSA key has {} bits; OpenSSL-based clients (FreeRDP, Remmina) at their usual security level need {}", cert.key_bits, tls::MIN_RSA_BITS)));
        }
        if !cert.name_matches {
            let names = if cert.sans.is_empty() {
                cert.subject.clone()
            } else {
                cert.sans.join(", ")
            };
            findings.push(self.finding(Status::Warn, "rdp-certificate-identity-unverified", format!("the certificate is for {names}, not {host}: clients warn that the name does not match (connecting by IP address always does this unless the certificate names the address)")));
        }
        if cert.self_signed {
            findings.push(self.finding(Status::Warn, "rdp-certificate-identity-unverified", "the certificate is self-signed. That is normal for Remote Desktop (Windows makes one): clients show a trust warning until the certificate is trusted or replaced, and go on when the user accepts it"));
        } else if info.trusted == Some(false) {
            findings.push(self.finding(
                Status::Warn,
                "rdp-certificate-identity-unverified",
                format!(
                        "this machine's trust store does not trust the issuer {}{}",
                        cert.issuer,
                        info.trust_error
                            .as_deref()
                            .map(|e| format!(" ({e})"))
                            .unwrap_or_default()
                    ),
            ));
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.status));
        let status = findings
            .iter()
            .map(|f| f.status)
            .max()
            .unwrap_or(Status::Pass);
        let trust = match info.trusted {
            Some(true) => "trusted by this machine",
            Some(false) => "not trusted by this machine",
            None => "trust not checked (no trust store here)",
        };
        let summary = format!(
            "{}; issued by {}; valid {} to {}; {} {} bits; {}",
            cert.subject,
            if cert.self_signed {
                "itself"
            } else {
                &cert.issuer
            },
            cert.not_before,
            cert.not_after,
            cert.key_type,
            cert.key_bits,
            trust
        );
        let mut details = Vec::new();
        if !cert.sans.is_empty() {
            details.push(format!("names: {}", cert.sans.join(", ")));
        }
        details.push(format!(
            "name {} {}",
            host,
            if cert.name_matches {
                "matches"
            } else {
                "does not match"
            }
        ));
        details.push(format!("signature: {}", cert.signature_algorithm));
        Check {
            step: StepName::Certificate,
            status,
            ms: 0,
            summary,
            details,
            findings,
        }
    }

    // ---------------------------------------------------------------- verdict
    fn report(self) -> ProbeReport {
        let passed: Vec<StepName> = self
            .checks
            .iter()
            .filter(|c| matches!(c.status, Status::Pass | Status::Warn))
            .map(|c| c.step)
            .collect();
        let failed = self.checks.iter().find(|c| c.status == Status::Fail);
        let warned = self.checks.iter().find(|c| c.status == Status::Warn);
        let deciding = failed.or(warned);
        let status = deciding.map_or(Status::Pass, |c| c.status);
        let candidates: Vec<Finding> = deciding
            .map(|c| {
                c.findings
                    .iter()
                    .filter(|f| f.status != Status::Pass)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let entry = candidates.first().and_then(|f| self.kb.get(&f.id)).cloned();
        let commands = entry
            .as_ref()
            .map(|e| render::entry_commands(e, &BTreeMap::new()))
            .unwrap_or_default();
        let whys = |c: &Check, status: Status| {
            c.findings
                .iter()
                .filter(|f| f.status == status)
                .map(|f| f.why.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let headline = match (failed, warned) {
            (Some(c), _) if c.step == StepName::Certificate => {
                format!("The certificate check failed: {}.", whys(c, Status::Fail))
            }
            (Some(c), _) => format!("The {} check failed: {}.", c.step.as_str(), c.summary),
            (None, Some(_)) => {
                let only_self_signed = self
                    .checks
                    .iter()
                    .all(|c| c.status != Status::Warn || c.step == StepName::Certificate)
                    && self
                        .tls
                        .as_ref()
                        .and_then(|t| t.certificate.as_ref())
                        .is_some_and(|c| c.self_signed && c.name_matches);
                if only_self_signed {
                    "No check failed. The certificate is self-signed, which is normal for Remote Desktop: clients show a trust warning, and it does not stop the connection.".to_string()
                } else {
                    let all: Vec<String> = self
                        .checks
                        .iter()
                        .filter(|c| c.status == Status::Warn)
                        .map(|c| whys(c, Status::Warn))
                        .collect();
                    format!(
                        "No check failed; clients will warn, or refuse when set to be strict: {}.",
                        all.join("; ")
                    )
                }
            }
            (None, None) => "Every check passed: the server answers as an RDP server should, up to the point where a client sends credentials.".to_string(),
        };
        let not_checked = self.not_checked();
        let accepted_protocols = self
            .negotiation
            .iter()
            .filter(|n| n.accepted)
            .map(|n| n.protocol.clone())
            .collect();
        ProbeReport {
            schema_version: PROBE_SCHEMA_VERSION,
            target: self.target.clone(),
            timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
            addresses: self.addresses.iter().map(|a| a.ip().to_string()).collect(),
            connected: self.connected.map(|a| a.to_string()),
            verdict: Verdict {
                status,
                headline,
                passed,
                failed: failed.map(|c| c.step),
                entry,
                commands,
                candidates,
            },
            checks: self.checks,
            negotiation: self.negotiation,
            accepted_protocols,
            tls: self.tls,
            not_checked,
        }
    }

    /// The general checklist's steps that the probe did not answer (the network ones drop out
    /// once TCP got through), then the entries for sign-in and licensing.
    fn not_checked(&self) -> Vec<NotChecked> {
        let tcp_passed = self
            .checks
            .iter()
            .any(|c| c.step == StepName::Tcp && c.status == Status::Pass);
        let mut out = Vec::new();
        if let Some(general) = self.kb.get(GENERAL_CHECKLIST) {
            for s in &general.steps {
                let t = s.title.to_ascii_lowercase();
                let network = t.contains("nsg") || t.contains("routing") || t.contains("firewall");
                if tcp_passed && network {
                    continue;
                }
                out.push(NotChecked {
                    title: s.title.clone(),
                    entry: GENERAL_CHECKLIST.to_string(),
                });
            }
        }
        for id in BEYOND_THE_HANDSHAKE {
            if let Some(e) = self.kb.get(id) {
                out.push(NotChecked {
                    title: e.title.clone(),
                    entry: e.id.clone(),
                });
            }
        }
        out
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

fn negotiation_line(n: &NegotiationProbe) -> String {
    let answer = match &n.answer {
        Answer::Selected { protocol, .. } => format!("picked {protocol}"),
        Answer::Failure { code, name, .. } => format!(
            "refused: {}",
            name.clone()
                .unwrap_or_else(|| format!("failure code {code}"))
        ),
        Answer::NoNegotiation => {
            "answered without negotiation data (Standard RDP Security only)".into()
        }
        Answer::Error { error } => format!("no Connection Confirm: {}", error.detail),
    };
    format!(
        "{}: {} (offered {}; {answer})",
        n.protocol,
        if n.accepted { "yes" } else { "no" },
        n.offered
    )
}

// ---------------------------------------------------------------- the X.224 exchange

/// Connects, sends a Connection Request for `requested`, and reads the Connection Confirm. The
/// socket is returned so the TLS step can go on over it.
fn exchange(
    addr: SocketAddr,
    requested: u32,
    timeout: Duration,
) -> Result<(x224::Confirm, TcpStream), ExchangeError> {
    let err = |kind, detail: String| ExchangeError {
        kind,
        detail,
        first_bytes: None,
        first_text: None,
    };
    let deadline = Instant::now() + timeout;
    let mut sock = TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
        err(
            ExchangeErrorKind::Connect,
            format!("connect to {addr}: {e}"),
        )
    })?;
    let _ = sock.set_nodelay(true);
    let _ = sock.set_write_timeout(Some(timeout));
    sock.write_all(&x224::connection_request(requested))
        .map_err(|e| {
            err(
                ExchangeErrorKind::Io,
                format!("sending the Connection Request: {e}"),
            )
        })?;
    let mut head = [0u8; 4];
    read_full(&mut sock, &mut head, deadline).map_err(|(got, e)| match (got, e) {
        (0, ReadEnd::Eof) => err(
            ExchangeErrorKind::Closed,
            "the server closed the connection without answering".into(),
        ),
        (0, ReadEnd::Timeout) => err(
            ExchangeErrorKind::TimedOut,
            "no answer to the Connection Request".into(),
        ),
        (got, ReadEnd::Eof) => err(
            ExchangeErrorKind::ShortRead,
            format!("the connection closed after {got} bytes of the answer"),
        ),
        (got, ReadEnd::Timeout) => err(
            ExchangeErrorKind::ShortRead,
            format!("the answer stopped after {got} bytes"),
        ),
        (_, ReadEnd::Io(e)) => err(ExchangeErrorKind::Io, format!("reading the answer: {e}")),
    })?;
    let len = match x224::tpkt_length(&head) {
        Ok(len) => len,
        Err(m) => {
            let mut bytes = head.to_vec();
            if m == x224::Malformed::NotTpkt {
                // Show a little more of what answered (an SSH banner, an HTTP status line).
                let mut more = [0u8; 60];
                let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
                if let Ok(n) = sock.read(&mut more) {
                    bytes.extend_from_slice(&more[..n]);
                }
            }
            let kind = if m == x224::Malformed::NotTpkt {
                ExchangeErrorKind::NotRdp
            } else {
                ExchangeErrorKind::Malformed
            };
            return Err(ExchangeError {
                kind,
                detail: m.to_string(),
                first_bytes: Some(hex(&bytes)),
                first_text: printable(&bytes),
            });
        }
    };
    let mut packet = vec![0u8; len];
    packet[..4].copy_from_slice(&head);
    read_full(&mut sock, &mut packet[4..], deadline).map_err(|(got, e)| {
        let detail = match e {
            ReadEnd::Io(e) => format!("reading the answer: {e}"),
            _ => format!(
                "the Connection Confirm announced {len} bytes and {} came",
                got + 4
            ),
        };
        err(ExchangeErrorKind::ShortRead, detail)
    })?;
    match x224::parse_confirm(&packet) {
        Ok(c) => Ok((c, sock)),
        Err(m) => Err(ExchangeError {
            kind: ExchangeErrorKind::Malformed,
            detail: m.to_string(),
            first_bytes: Some(hex(&packet)),
            first_text: None,
        }),
    }
}

enum ReadEnd {
    Eof,
    Timeout,
    Io(io::Error),
}

/// Fills `buf` before `deadline`; on failure, how many bytes came and why it stopped.
fn read_full(
    sock: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> Result<(), (usize, ReadEnd)> {
    let mut got = 0;
    while got < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err((got, ReadEnd::Timeout));
        }
        let _ = sock.set_read_timeout(Some(left));
        match sock.read(&mut buf[got..]) {
            Ok(0) => return Err((got, ReadEnd::Eof)),
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err((got, ReadEnd::Timeout))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) =>
            {
                return Err((got, ReadEnd::Eof))
            }
            Err(e) => return Err((got, ReadEnd::Io(e))),
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The bytes as text when most of them are printable ASCII (a banner), trimmed.
fn printable(bytes: &[u8]) -> Option<String> {
    let text: String = bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                ' '
            }
        })
        .collect();
    let shown = bytes
        .iter()
        .filter(|b| b.is_ascii_graphic() || **b == b' ')
        .count();
    (shown * 4 >= bytes.len() * 3).then(|| text.split_whitespace().collect::<Vec<_>>().join(" "))
}

// ---------------------------------------------------------------- text

/// The report as text for a person at a terminal: the checks, the verdict, the entry as
/// `rdperr show` prints it, and what could not be checked from here.
pub fn report_text(report: &ProbeReport, color: bool, values: &BTreeMap<String, String>) -> String {
    let paint = |sgr: &str, t: &str| {
        if color {
            format!("\x1b[{sgr}m{t}\x1b[0m")
        } else {
            t.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {}",
        paint(
            "1",
            &format!(
                "rdperr probe {}",
                render::sanitize(&report.target.to_string())
            )
        ),
        paint(
            "2",
            &format!(
                "(timeout {} per step)",
                seconds(Duration::from_millis(report.timeout_ms))
            )
        )
    );
    let _ = writeln!(out);
    for c in &report.checks {
        let mark = match c.status {
            Status::Pass => paint("32", c.status.mark()),
            Status::Warn => paint("33", c.status.mark()),
            Status::Fail => paint("31;1", c.status.mark()),
            Status::Skipped => paint("2", c.status.mark()),
        };
        let time = if c.status == Status::Skipped {
            String::new()
        } else {
            paint("2", &format!(" ({} ms)", c.ms))
        };
        let pad = " ".repeat(4usize.saturating_sub(c.status.mark().len()));
        let text = render::wrap(&render::sanitize(&c.summary), 78 - COL);
        let _ = writeln!(
            out,
            "  [{mark}]{pad} {:<12} {}{time}",
            c.step.as_str(),
            text.replace('\n', &format!("\n{}", " ".repeat(COL)))
        );
        for d in &c.details {
            let _ = writeln!(
                out,
                "{}",
                indent(
                    &render::wrap(&render::sanitize(d), 78 - COL),
                    &" ".repeat(COL)
                )
            );
        }
        for f in c.findings.iter().filter(|f| f.status == Status::Pass) {
            let _ = writeln!(
                out,
                "{}",
                indent(
                    &render::wrap(
                        &format!("note: {} [{}]", render::sanitize(&f.why), f.id),
                        78 - COL
                    ),
                    &" ".repeat(COL)
                )
            );
        }
    }
    let v = &report.verdict;
    let label = match v.status {
        Status::Pass => paint("32;1", "Verdict: OK"),
        Status::Warn => paint("33;1", "Verdict: OK, with warnings"),
        _ => paint("31;1", "Verdict: FAILED"),
    };
    let _ = writeln!(
        out,
        "\n{label}\n{}",
        render::wrap(&render::sanitize(&v.headline), 78)
    );
    if !v.candidates.is_empty() {
        let heading = if v.candidates.len() > 1 {
            "What this points to, the likeliest first, and what tells them apart:"
        } else {
            "What this points to:"
        };
        let _ = writeln!(out, "\n{}", paint("1;4", heading));
        for f in &v.candidates {
            let _ = writeln!(
                out,
                "  {}  {}",
                paint("1", &render::sanitize(&f.title)),
                paint("2", &format!("[{}]", f.id))
            );
            let _ = writeln!(
                out,
                "{}",
                indent(
                    &render::wrap(&format!("seen: {}", render::sanitize(&f.why)), 72),
                    "      "
                )
            );
            if v.candidates.len() > 1 {
                if let Some(h) = &f.hint {
                    let _ = writeln!(
                        out,
                        "{}",
                        indent(&render::wrap(&render::sanitize(h), 72), "      ")
                    );
                }
            }
        }
    }
    if let Some(entry) = &v.entry {
        let _ = writeln!(out, "\n{}\n", paint("2", &"-".repeat(78)));
        out.push_str(&render::entry_page(entry, color, values));
        let _ = writeln!(out, "{}", paint("2", &"-".repeat(78)));
    }
    if !report.not_checked.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                "1;4",
                "Not checked from here (the probe sends no credentials and sees no Azure settings)"
            )
        );
        for n in &report.not_checked {
            let _ = writeln!(
                out,
                "  - {}  {}",
                render::sanitize(&n.title),
                paint("2", &format!("[{}]", n.entry))
            );
        }
        let _ = writeln!(out, "\n`rdperr show ID` shows an entry in full.");
    }
    out
}

/// The column where a check's text starts: `  [FAIL] negotiation  `.
const COL: usize = 22;

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = |s: &str| s.parse::<Target>();
        assert_eq!(
            t("vm1").unwrap(),
            Target {
                host: "vm1".into(),
                port: 3389
            }
        );
        assert_eq!(t("vm1.contoso.com:3390").unwrap().port, 3390);
        assert_eq!(
            t("[::1]:3390").unwrap(),
            Target {
                host: "::1".into(),
                port: 3390
            }
        );
        assert_eq!(t("[::1]").unwrap().port, 3389);
        assert_eq!(
            t("::1").unwrap(),
            Target {
                host: "::1".into(),
                port: 3389
            }
        );
        assert_eq!(t("127.0.0.1:1").unwrap().port, 1);
        for bad in [
            "",
            "  ",
            "host:0",
            "host:70000",
            "host:",
            "host:x",
            "[::1",
            "[::1]x",
            "[vm1]:1",
            "a b",
            ":3389",
            "1:2:3",
        ] {
            assert!(t(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(t("[::1]:3390").unwrap().to_string(), "[::1]:3390");
    }

    #[test]
    fn printable_banner() {
        assert_eq!(
            printable(b"SSH-2.0-OpenSSH_9.2\r\n").as_deref(),
            Some("SSH-2.0-OpenSSH_9.2")
        );
        assert_eq!(printable(&[0xff, 0, 1, 2]), None);
    }

    #[test]
    fn offers_cover_each_protocol() {
        for p in [
            x224::PROTOCOL_RDP,
            x224::PROTOCOL_SSL,
            x224::PROTOCOL_HYBRID,
            x224::PROTOCOL_HYBRID_EX,
            x224::PROTOCOL_RDSTLS,
            x224::PROTOCOL_RDSAAD,
        ] {
            let o = OFFERS.iter().find(|o| o.2 == p).unwrap();
            assert!(o.1 & p == p);
        }
    }
}
