//! The first two PDUs of an RDP connection (MS-RDPBCGR 2.2.1.1 and 2.2.1.2): the client's X.224
//! Connection Request with an RDP Negotiation Request, and the server's X.224 Connection Confirm
//! with an RDP Negotiation Response or Failure. Nothing else of RDP is spoken.
//!
//! Written out here rather than taken from IronRDP's PDU crate: these are two fixed-layout PDUs
//! of 19 bytes each, and the crate with its dependencies would more than double the probe's
//! build time for them.

use schemars::JsonSchema;
use serde::Serialize;

/// `PROTOCOL_RDP`: Standard RDP Security.
pub const PROTOCOL_RDP: u32 = 0x0000_0000;
/// `PROTOCOL_SSL`: TLS.
pub const PROTOCOL_SSL: u32 = 0x0000_0001;
/// `PROTOCOL_HYBRID`: CredSSP (Network Level Authentication).
pub const PROTOCOL_HYBRID: u32 = 0x0000_0002;
/// `PROTOCOL_RDSTLS`: RDSTLS.
pub const PROTOCOL_RDSTLS: u32 = 0x0000_0004;
/// `PROTOCOL_HYBRID_EX`: CredSSP with the Early User Authorization Result PDU.
pub const PROTOCOL_HYBRID_EX: u32 = 0x0000_0008;
/// `PROTOCOL_RDSAAD`: RDS AAD Auth (Microsoft Entra sign-in).
pub const PROTOCOL_RDSAAD: u32 = 0x0000_0010;

/// The name of one protocol value as MS-RDPBCGR writes it.
pub fn protocol_name(p: u32) -> String {
    match p {
        PROTOCOL_RDP => "PROTOCOL_RDP".into(),
        PROTOCOL_SSL => "PROTOCOL_SSL".into(),
        PROTOCOL_HYBRID => "PROTOCOL_HYBRID".into(),
        PROTOCOL_RDSTLS => "PROTOCOL_RDSTLS".into(),
        PROTOCOL_HYBRID_EX => "PROTOCOL_HYBRID_EX".into(),
        PROTOCOL_RDSAAD => "PROTOCOL_RDSAAD".into(),
        other => format!("0x{other:08X}"),
    }
}

/// The names of the flags set in a requestedProtocols value ("PROTOCOL_SSL | PROTOCOL_HYBRID").
pub fn protocols_names(set: u32) -> String {
    if set == 0 {
        return protocol_name(0);
    }
    let mut names = Vec::new();
    for bit in 0..32 {
        let p = 1u32 << bit;
        if set & p != 0 {
            names.push(protocol_name(p));
        }
    }
    names.join(" | ")
}

/// The X.224 Connection Request with an RDP Negotiation Request for `requested` protocols:
/// TPKT header, X.224 CR TPDU (no cookie, no routing token), RDP_NEG_REQ. 19 bytes.
pub fn connection_request(requested: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(19);
    // TPKT (T.123): version 3, reserved, total length big-endian.
    b.extend_from_slice(&[0x03, 0x00, 0x00, 19]);
    // X.224 CR: length indicator (bytes after it), CR code, DST-REF, SRC-REF, class 0.
    b.extend_from_slice(&[14, 0xE0, 0x00, 0x00, 0x00, 0x00, 0x00]);
    // RDP_NEG_REQ: type 1, flags 0, length 8 (little-endian), requestedProtocols.
    b.extend_from_slice(&[0x01, 0x00, 0x08, 0x00]);
    b.extend_from_slice(&requested.to_le_bytes());
    b
}

/// What the server's Connection Confirm said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Confirm {
    /// RDP_NEG_RSP: the server picked `selected`.
    Selected { selected: u32, flags: u8 },
    /// RDP_NEG_FAILURE with its failureCode.
    Failure { code: u32 },
    /// A Connection Confirm with no negotiation data: a server that knows only Standard RDP
    /// Security (RDP 4/5 era, or one set to offer nothing else).
    NoNegotiation,
}

/// Why the bytes the server sent are not a Connection Confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// The first byte is not TPKT version 3: not an RDP server.
    NotTpkt,
    /// A TPKT header whose length cannot hold a Connection Confirm.
    BadLength(usize),
    /// A TPKT packet whose X.224 part is not a Connection Confirm (or is cut short).
    NotConfirm(String),
    /// Negotiation data of an unknown type or length.
    BadNegotiation(String),
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Malformed::NotTpkt => write!(f, "the answer does not start with a TPKT header (version 3)"),
            Malformed::BadLength(n) => write!(f, "the TPKT header gives a length of {n} bytes, which cannot hold an X.224 Connection Confirm"),
            Malformed::NotConfirm(why) => write!(f, "the TPKT packet is not an X.224 Connection Confirm: {why}"),
            Malformed::BadNegotiation(why) => write!(f, "the negotiation data in the Connection Confirm is malformed: {why}"),
        }
    }
}

/// The total length a TPKT header announces, or why these 4 bytes are not one.
pub fn tpkt_length(header: &[u8; 4]) -> Result<usize, Malformed> {
    if header[0] != 0x03 {
        return Err(Malformed::NotTpkt);
    }
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    // 4 bytes of TPKT + 3 of the shortest X.224 TPDU (Data, which some servers send to break
    // off); a Connection Confirm is never large.
    if !(7..=512).contains(&len) {
        return Err(Malformed::BadLength(len));
    }
    Ok(len)
}

/// Parses a whole TPKT packet (header included) as an X.224 Connection Confirm.
pub fn parse_confirm(packet: &[u8]) -> Result<Confirm, Malformed> {
    if packet.len() < 4 {
        return Err(Malformed::NotConfirm("shorter than a TPKT header".into()));
    }
    let head: [u8; 4] = [packet[0], packet[1], packet[2], packet[3]];
    let len = tpkt_length(&head)?;
    if packet.len() < len {
        return Err(Malformed::NotConfirm(format!(
            "{} of {len} bytes",
            packet.len()
        )));
    }
    let x224 = &packet[4..len];
    let li = usize::from(x224[0]);
    if li >= 2 && x224.len() > 1 && x224[1] == 0xF0 {
        // X.224 Data: MCS traffic where the Connection Confirm belongs. A server that does not
        // take the request sends an MCS Disconnect Provider Ultimatum (first byte 0x20 | reason
        // bits, T.125).
        let ultimatum = x224.get(3).is_some_and(|b| b & 0xFC == 0x20);
        return Err(Malformed::NotConfirm(if ultimatum {
            "the server broke off with an MCS Disconnect Provider Ultimatum".into()
        } else {
            "the server sent X.224 data instead of a Connection Confirm".into()
        }));
    }
    if li < 6 || li + 1 > x224.len() {
        return Err(Malformed::NotConfirm(format!(
            "length indicator {li} for {} bytes",
            x224.len()
        )));
    }
    if x224[1] & 0xF0 != 0xD0 {
        return Err(Malformed::NotConfirm(format!(
            "TPDU code 0x{:02X}, not 0xD0 (CC)",
            x224[1]
        )));
    }
    let neg = &x224[7..li + 1];
    if neg.is_empty() {
        return Ok(Confirm::NoNegotiation);
    }
    if neg.len() < 8 {
        return Err(Malformed::BadNegotiation(format!(
            "{} bytes where 8 are needed",
            neg.len()
        )));
    }
    let length = u16::from_le_bytes([neg[2], neg[3]]);
    if length != 8 {
        return Err(Malformed::BadNegotiation(format!(
            "length field {length}, not 8"
        )));
    }
    let value = u32::from_le_bytes([neg[4], neg[5], neg[6], neg[7]]);
    match neg[0] {
        0x02 => Ok(Confirm::Selected {
            selected: value,
            flags: neg[1],
        }),
        0x03 => Ok(Confirm::Failure { code: value }),
        t => Err(Malformed::BadNegotiation(format!(
            "type 0x{t:02X}, neither RDP_NEG_RSP (0x02) nor RDP_NEG_FAILURE (0x03)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_layout() {
        let r = connection_request(PROTOCOL_SSL | PROTOCOL_HYBRID);
        assert_eq!(
            r,
            [3, 0, 0, 19, 14, 0xE0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0]
        );
    }

    #[test]
    fn confirm_kinds() {
        let rsp = [
            3, 0, 0, 19, 14, 0xD0, 0, 0, 0x12, 0x34, 0, 2, 0x1F, 8, 0, 1, 0, 0, 0,
        ];
        assert_eq!(
            parse_confirm(&rsp),
            Ok(Confirm::Selected {
                selected: 1,
                flags: 0x1F
            })
        );
        let fail = [3, 0, 0, 19, 14, 0xD0, 0, 0, 0, 0, 0, 3, 0, 8, 0, 5, 0, 0, 0];
        assert_eq!(parse_confirm(&fail), Ok(Confirm::Failure { code: 5 }));
        let bare = [3, 0, 0, 11, 6, 0xD0, 0, 0, 0, 0, 0];
        assert_eq!(parse_confirm(&bare), Ok(Confirm::NoNegotiation));
        assert_eq!(parse_confirm(b"SSH-2.0-OpenSSH"), Err(Malformed::NotTpkt));
        let odd = [3, 0, 0, 19, 14, 0xD0, 0, 0, 0, 0, 0, 9, 0, 8, 0, 5, 0, 0, 0];
        assert!(matches!(
            parse_confirm(&odd),
            Err(Malformed::BadNegotiation(_))
        ));
        // xrdp's answer to a request with PROTOCOL_RDSAAD (recorded in tests/probe-fixtures).
        let dpum = [3, 0, 0, 9, 2, 0xF0, 0x80, 0x21, 0x80];
        match parse_confirm(&dpum) {
            Err(Malformed::NotConfirm(why)) => assert!(why.contains("Ultimatum"), "{why}"),
            other => panic!("{other:?}"),
        }
        let dr = [3, 0, 0, 11, 6, 0x80, 0, 0, 0, 0, 0];
        assert!(matches!(parse_confirm(&dr), Err(Malformed::NotConfirm(_))));
    }

    #[test]
    fn names() {
        assert_eq!(protocols_names(0), "PROTOCOL_RDP");
        assert_eq!(protocols_names(3), "PROTOCOL_SSL | PROTOCOL_HYBRID");
    }
}
