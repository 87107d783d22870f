//! The TLS step: a TLS handshake over the socket that negotiated TLS (or CredSSP, whose first
//! part is the same TLS handshake), with a certificate verifier that records the chain instead of
//! judging it, and the certificate read field by field.
//!
//! rustls speaks TLS 1.2 and 1.3 only, with ECDHE key exchange and AEAD ciphers. A server that
//! offers only TLS 1.0 or 1.1, or only older cipher suites, fails the handshake here; the report
//! says that those were not tried.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use schemars::JsonSchema;
use serde::Serialize;
use std::io;
use std::net::{IpAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use x509_parser::prelude::*;

/// RSA keys below this many bits are refused by OpenSSL-based clients at their usual security
/// level (level 2: 112-bit security, RSA 2048).
pub const MIN_RSA_BITS: usize = 2048;

/// What the handshake found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TlsInfo {
    /// "TLSv1.3" or "TLSv1.2".
    pub version: String,
    /// The cipher suite's IANA name, e.g. "TLS13_AES_256_GCM_SHA384".
    pub cipher_suite: String,
    /// The server's certificate; `None` when it sent none or it could not be read.
    pub certificate: Option<CertificateInfo>,
    /// How many certificates the server sent (its own, then intermediates).
    pub chain_length: usize,
    /// Whether this machine's trust store trusts the chain, checked at a time inside the
    /// certificate's validity (so an expired certificate is judged on its issuer alone).
    /// `None` when this machine has no trust store.
    pub trusted: Option<bool>,
    /// Why the chain is not trusted, as the verifier words it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_error: Option<String>,
    /// Whether the server's handshake signature verified with the certificate's key (a key too
    /// small for the verifier is not verified, and the probe goes on).
    pub signature_verified: bool,
}

/// The fields of the server's certificate that decide what a client says about it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses of the Subject Alternative Name extension.
    pub sans: Vec<String>,
    /// Issuer and subject are the same name: a certificate that signed itself (Windows makes
    /// one for Remote Desktop by default).
    pub self_signed: bool,
    /// RFC 3339, UTC.
    pub not_before: String,
    /// RFC 3339, UTC.
    pub not_after: String,
    /// Now is outside not_before..not_after.
    pub expired: bool,
    pub not_yet_valid: bool,
    /// "RSA", "EC", "Ed25519", or the algorithm's OID.
    pub key_type: String,
    /// Bits of the public key (the modulus for RSA, the field for EC); 0 when unknown.
    pub key_bits: usize,
    /// The signature algorithm's name (e.g. "sha256WithRSAEncryption").
    pub signature_algorithm: String,
    /// The host the probe was given matches a SAN (DNS with one leading wildcard label, or IP),
    /// or the subject's common name when the certificate has no SAN.
    pub name_matches: bool,
    /// Serial number, hex.
    pub serial: String,
}

/// Why the handshake did not complete.
#[derive(Debug, Clone)]
pub enum TlsFailure {
    /// The server sent a TLS alert (e.g. protocol_version, handshake_failure).
    Alert(String),
    /// No common ground: the server picked a version or cipher rustls does not speak.
    Incompatible(String),
    /// The server closed the connection during the handshake.
    Closed,
    /// No answer within the timeout.
    TimedOut,
    /// Anything else (bytes that are not TLS, a reset ...).
    Other(String),
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsFailure::Alert(a) => write!(f, "the server sent the TLS alert {a}"),
            TlsFailure::Incompatible(why) => write!(f, "no TLS version or cipher in common: {why}"),
            TlsFailure::Closed => write!(
                f,
                "the server closed the connection during the TLS handshake"
            ),
            TlsFailure::TimedOut => write!(
                f,
                "the server did not answer the TLS handshake within the timeout"
            ),
            TlsFailure::Other(why) => write!(f, "the TLS handshake failed: {why}"),
        }
    }
}

/// A verifier that accepts every certificate and keeps what it saw: the chain, whether the
/// machine's trust store would trust it, and whether the handshake signature verified.
#[derive(Debug)]
struct Recorder {
    provider: Arc<CryptoProvider>,
    webpki: Option<Arc<WebPkiServerVerifier>>,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    chain: Vec<CertificateDer<'static>>,
    trust: Option<Result<(), String>>,
    signature_error: Option<String>,
    signature_checked: bool,
}

impl Recorder {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn note_signature(&self, r: Result<HandshakeSignatureValid, rustls::Error>) {
        let mut seen = self.seen();
        seen.signature_checked = true;
        if let Err(e) = r {
            seen.signature_error = Some(e.to_string());
        }
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let trust = self.webpki.as_ref().map(|v| {
            // Judge the issuer at a moment the certificate is valid, so "expired" and "not
            // trusted" are told apart; a name mismatch is the name check's business.
            let at = valid_moment(end_entity).unwrap_or(_now);
            match v.verify_server_cert(end_entity, intermediates, server_name, ocsp, at) {
                Ok(_) => Ok(()),
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. },
                )) => Ok(()),
                Err(e) => Err(e.to_string()),
            }
        });
        let mut seen = self.seen();
        seen.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        seen.trust = trust;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.note_signature(rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        ));
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.note_signature(rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        ));
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The middle of a certificate's validity, as a time webpki takes.
fn valid_moment(der: &CertificateDer<'_>) -> Option<UnixTime> {
    let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
    let from = cert.validity().not_before.timestamp();
    let to = cert.validity().not_after.timestamp();
    let mid = from + (to - from) / 2;
    u64::try_from(mid)
        .ok()
        .map(|s| UnixTime::since_unix_epoch(Duration::from_secs(s)))
}

/// The machine's trust store as a webpki verifier, or `None` when it has no usable roots.
fn trust_store(provider: &Arc<CryptoProvider>) -> Option<Arc<WebPkiServerVerifier>> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return None;
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .ok()
}

/// Runs the TLS handshake on `sock` (the X.224 exchange already done), within `deadline`.
/// `host` is the name the probe was given, for SNI and the name check.
pub fn handshake(
    sock: &mut TcpStream,
    host: &str,
    peer: IpAddr,
    deadline: Instant,
) -> Result<TlsInfo, TlsFailure> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let recorder = Arc::new(Recorder {
        webpki: trust_store(&provider),
        provider: provider.clone(),
        seen: Mutex::new(Seen::default()),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsFailure::Other(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name = match host.parse::<IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(host.to_string())
            .unwrap_or_else(|_| ServerName::IpAddress(peer.into())),
    };
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| TlsFailure::Other(e.to_string()))?;
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(TlsFailure::TimedOut);
        }
        let _ = sock.set_read_timeout(Some(left));
        let _ = sock.set_write_timeout(Some(left));
        match conn.complete_io(sock) {
            Ok((0, 0)) if conn.is_handshaking() && !conn.wants_write() => {
                return Err(TlsFailure::Closed)
            }
            Ok(_) => {}
            Err(e) => return Err(failure(e)),
        }
    }
    conn.send_close_notify();
    let _ = conn.complete_io(sock);

    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(v) => format!("{v:?}"),
        None => "unknown".to_string(),
    };
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .map(|s| {
            s.suite()
                .as_str()
                .map_or_else(|| format!("{:?}", s.suite()), str::to_string)
        })
        .unwrap_or_default();
    let seen = recorder.seen();
    let certificate = seen.chain.first().and_then(|c| read_certificate(c, host));
    let (trusted, trust_error) = match &seen.trust {
        None => (None, None),
        Some(Ok(())) => (Some(true), None),
        Some(Err(e)) => (Some(false), Some(e.clone())),
    };
    Ok(TlsInfo {
        version,
        cipher_suite,
        certificate,
        chain_length: seen.chain.len(),
        trusted,
        trust_error,
        signature_verified: seen.signature_checked && seen.signature_error.is_none(),
    })
}

/// Sorts an I/O error from the handshake into what the report says.
fn failure(e: io::Error) -> TlsFailure {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => return TlsFailure::TimedOut,
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => return TlsFailure::Closed,
        _ => {}
    }
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return match inner {
            rustls::Error::AlertReceived(a) => TlsFailure::Alert(alert_name(*a)),
            rustls::Error::PeerIncompatible(why) => TlsFailure::Incompatible(format!("{why:?}")),
            other => TlsFailure::Other(other.to_string()),
        };
    }
    TlsFailure::Other(e.to_string())
}

/// An alert as RFC 8446 spells it: `protocol_version`, `handshake_failure`.
fn alert_name(a: rustls::AlertDescription) -> String {
    let camel = format!("{a:?}");
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads the fields of a DER certificate; `host` is checked against its names.
pub fn read_certificate(der: &[u8], host: &str) -> Option<CertificateInfo> {
    read_certificate_at(der, host, now_unix())
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// [`read_certificate`] at a given time (seconds since 1970, UTC).
pub fn read_certificate_at(der: &[u8], host: &str, now: i64) -> Option<CertificateInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut sans = Vec::new();
    let mut san_dns = Vec::new();
    let mut san_ip = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for n in &ext.value.general_names {
            match n {
                GeneralName::DNSName(d) => {
                    sans.push(format!("DNS:{d}"));
                    san_dns.push(d.to_string());
                }
                GeneralName::IPAddress(b) => {
                    if let Some(ip) = ip_from(b) {
                        sans.push(format!("IP:{ip}"));
                        san_ip.push(ip);
                    }
                }
                _ => {}
            }
        }
    }
    let cn: Vec<String> = cert
        .subject()
        .iter_common_name()
        .filter_map(|a| a.as_str().ok().map(str::to_string))
        .collect();
    let name_matches = name_matches(host, &san_dns, &san_ip, &cn);
    let from = cert.validity().not_before.timestamp();
    let to = cert.validity().not_after.timestamp();
    let spki = cert.public_key();
    let (key_type, key_bits) = match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(k)) => ("RSA".to_string(), k.key_size()),
        Ok(x509_parser::public_key::PublicKey::EC(k)) => ("EC".to_string(), k.key_size()),
        Ok(x509_parser::public_key::PublicKey::DSA(y)) => ("DSA".to_string(), y.len() * 8),
        _ => {
            let oid = &spki.algorithm.algorithm;
            let name = x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
                .map_or_else(|_| oid.to_id_string(), str::to_string);
            let bits = if name == "ED25519" || oid.to_id_string() == "1.3.101.112" {
                256
            } else {
                0
            };
            (name, bits)
        }
    };
    let sig = &cert.signature_algorithm.algorithm;
    let signature_algorithm =
        x509_parser::objects::oid2sn(sig, x509_parser::objects::oid_registry())
            .map_or_else(|_| sig.to_id_string(), str::to_string);
    Some(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        not_before: rfc3339(from),
        not_after: rfc3339(to),
        expired: now > to,
        not_yet_valid: now < from,
        key_type,
        key_bits,
        signature_algorithm,
        name_matches,
        serial: cert.raw_serial_as_string(),
    })
}

fn ip_from(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(b).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(b).ok()?)),
        _ => None,
    }
}

/// RFC 6125 in short: an IP host matches an IP SAN; a name matches a DNS SAN exactly (ASCII
/// case-insensitive) or through one leading `*` label; the common name counts only when the
/// certificate has no SAN at all (Windows' own self-signed RDP certificate has none).
fn name_matches(host: &str, dns: &[String], ips: &[IpAddr], cn: &[String]) -> bool {
    let host = host.trim_end_matches('.');
    let no_san = dns.is_empty() && ips.is_empty();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ips.contains(&ip) || (no_san && cn.iter().any(|c| c.parse::<IpAddr>() == Ok(ip)));
    }
    let fits = |pattern: &str| {
        let pattern = pattern.trim_end_matches('.');
        if pattern.eq_ignore_ascii_case(host) {
            return true;
        }
        match (pattern.strip_prefix("*."), host.split_once('.')) {
            (Some(rest), Some((_, host_rest))) => {
                rest.contains('.') && rest.eq_ignore_ascii_case(host_rest)
            }
            _ => false,
        }
    };
    dns.iter().any(|d| fits(d)) || (no_san && cn.iter().any(|c| fits(c)))
}

/// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_577_836_800), "2020-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn names() {
        let dns = vec!["*.example.com".to_string(), "vm1.contoso.com".to_string()];
        assert!(name_matches("a.example.com", &dns, &[], &[]));
        assert!(!name_matches("a.b.example.com", &dns, &[], &[]));
        assert!(name_matches("VM1.contoso.com.", &dns, &[], &[]));
        assert!(!name_matches("vm2.contoso.com", &dns, &[], &[]));
        // The CN counts only without a SAN.
        let cn = vec!["vm1".to_string()];
        assert!(name_matches("vm1", &[], &[], &cn));
        assert!(!name_matches("vm1", &dns, &[], &cn));
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(name_matches("127.0.0.1", &[], &[ip], &[]));
        assert!(!name_matches("127.0.0.1", &[], &[], &cn));
    }

    #[test]
    fn alerts() {
        assert_eq!(
            alert_name(rustls::AlertDescription::ProtocolVersion),
            "protocol_version"
        );
        assert_eq!(
            alert_name(rustls::AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
    }
}
