//! The knowledge base as data: what one TOML file under `kb/` deserialises into.
//!
//! These types are the contract of the KB files (documented in `kb/README.md`) and of the JSON
//! that `rdperr --json` and the library hand to programs, so every one derives `Serialize`,
//! `Deserialize` and `JsonSchema`, and unknown fields are rejected rather than silently dropped.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One error: its wordings, codes, causes and ordered fix steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable kebab-case id (`rdp-...` or `entra-...`). Never changes once published.
    pub id: String,
    /// The message as users see it, short form.
    pub title: String,
    pub category: Category,
    /// Anchor on Microsoft's legacy "Troubleshooting specific RDP error messages" page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// One sentence saying what the error means.
    pub summary: String,
    /// Every exact wording, with `<placeholders>` where the dialog shows a name.
    pub messages: Vec<String>,
    /// The wordings in other languages, each as a named public page shows it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub localized: Vec<LocalizedMessage>,
    /// How to tell this entry from others that share a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinguish: Option<String>,
    /// The question or check that decides for this entry when a text alone cannot ("Did it
    /// start after the client's update? Run ... on the client"): shown with a suggestion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// Words and phrases people use for this error that are not in the messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Symptoms and circumstances people tell in their own words when they retell this error
    /// without quoting it ("works by IP but not by name", "since the password aged"), in our
    /// words, implied by the causes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub symptoms: Vec<String>,
    /// Regular expressions matched against the raw query; named captures fill placeholders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patterns: Vec<String>,
    /// Codes, in every namespace, that mean this error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<EntryCode>,
    /// Causes, most likely first.
    pub causes: Vec<String>,
    /// Fix steps, least disruptive first.
    pub steps: Vec<Step>,
    /// Ids of sibling entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// Public URLs the facts come from.
    pub sources: Vec<String>,
    /// Golden queries that must resolve to this entry first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

/// A wording in another language (a German or Chinese dialog), with where it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalizedMessage {
    /// BCP 47 language tag: `de-DE`, `fr-FR`, `zh-CN`.
    pub lang: String,
    /// The wording exactly as the source shows it.
    pub text: String,
    /// The public page it was read on (often Microsoft's translation of an English article).
    pub source: String,
}

/// One fix step. Any of the four command variants may be present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    /// Why the step helps, in plain words.
    pub explanation: String,
    /// The Azure portal action (a menu path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal: Option<String>,
    /// A path through a Windows or client user interface that is not the Azure portal
    /// (Remote Desktop Connection options, Server Manager, Group Policy Management ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui: Option<String>,
    /// Azure PowerShell or Windows PowerShell, run from an admin workstation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub powershell: Option<String>,
    /// Azure CLI, bash syntax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_cli: Option<String>,
    /// A command run inside Windows: on the VM or on the client (`runs_on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_guest: Option<String>,
    #[serde(default, skip_serializing_if = "RunsOn::is_vm")]
    pub runs_on: RunsOn,
    #[serde(default, skip_serializing_if = "Shell::is_powershell")]
    pub in_guest_shell: Shell,
    /// The step restarts, redeploys, loses data, drops sessions or lowers security.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disruptive: bool,
    /// What the disruption is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disruption: Option<String>,
}

/// Which of a step's command variants a command is: it decides the shell, the label and the
/// name the KB and the JSON use for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    Powershell,
    AzureCli,
    InGuest(Shell, RunsOn),
}

impl CommandKind {
    /// The field name in the KB files and the JSON output.
    pub fn key(self) -> &'static str {
        match self {
            CommandKind::Powershell => "powershell",
            CommandKind::AzureCli => "azure_cli",
            CommandKind::InGuest(..) => "in_guest",
        }
    }

    /// A label for people: "Azure PowerShell", "Azure CLI", "In the VM (cmd)" ...
    pub fn label(self) -> String {
        match self {
            CommandKind::Powershell => "Azure PowerShell".into(),
            CommandKind::AzureCli => "Azure CLI".into(),
            CommandKind::InGuest(shell, runs_on) => {
                let place = match runs_on {
                    RunsOn::Vm => "In the VM",
                    RunsOn::Client => "On the client",
                };
                let shell = match shell {
                    Shell::Cmd => "cmd",
                    Shell::Powershell => "PowerShell",
                };
                format!("{place} ({shell})")
            }
        }
    }
}

impl Step {
    /// The step's commands as the KB writes them, in display order.
    pub fn commands(&self) -> impl Iterator<Item = (CommandKind, &str)> {
        [
            (CommandKind::Powershell, self.powershell.as_deref()),
            (CommandKind::AzureCli, self.azure_cli.as_deref()),
            (
                CommandKind::InGuest(self.in_guest_shell, self.runs_on),
                self.in_guest.as_deref(),
            ),
        ]
        .into_iter()
        .filter_map(|(kind, text)| text.map(|t| (kind, t)))
    }
}

/// Where an `in_guest` command runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunsOn {
    #[default]
    Vm,
    Client,
}

impl RunsOn {
    fn is_vm(&self) -> bool {
        *self == RunsOn::Vm
    }
}

/// The shell an `in_guest` command is written for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    #[default]
    Powershell,
    Cmd,
}

impl Shell {
    fn is_powershell(&self) -> bool {
        *self == Shell::Powershell
    }
}

/// A code that an entry claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryCode {
    pub namespace: Namespace,
    /// The numeric value (hex or decimal in the file; negative values allowed).
    pub value: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One code table, `kb/codes/<namespace>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeTable {
    pub namespace: Namespace,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub sources: Vec<String>,
    #[serde(rename = "code", default)]
    pub codes: Vec<CodeRow>,
}

/// One row of a code table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRow {
    pub value: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the code means, in our words.
    pub meaning: String,
    /// The exact text a client or the system shows for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Entries this code points to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `consequence` for a generic outcome that many causes end in (FreeRDP's
    /// ERRCONNECT_CONNECT_TRANSPORT_FAILED): in a paste that also holds a cause, the cause
    /// decides the entry.
    #[serde(default, skip_serializing_if = "Role::is_cause")]
    pub role: Role,
}

/// What a code or a client's string says about a failure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// It names a specific failure (a logon status, a certificate verdict, a licensing alert).
    #[default]
    Cause,
    /// A generic outcome that many causes end in ("transport failed", "connection closed").
    Consequence,
}

impl Role {
    pub fn is_cause(&self) -> bool {
        *self == Role::Cause
    }
}

/// The user-facing strings of one RDP client or server, harvested from its public source:
/// `kb/clients/<client>.toml`. Each string is a wording of the entry it means, a real error
/// the KB has no entry for yet, or ignored with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientStrings {
    /// Short id: `freerdp`, `rdesktop`, `xrdp` ...
    pub client: String,
    /// The name people know it by.
    pub name: String,
    /// The public repository the strings were read from (`https://github.com/owner/name`).
    pub repository: String,
    /// The source versions read, each at a commit.
    #[serde(rename = "version", default)]
    pub versions: Vec<SourceVersion>,
    #[serde(rename = "string", default)]
    pub strings: Vec<ClientString>,
    /// Whole groups of strings left out, with the reason.
    #[serde(
        rename = "ignored_rule",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ignored_rules: Vec<IgnoredRule>,
}

/// One source version of a client that strings were read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceVersion {
    /// `2.x`, `3.x`, `main` ...
    pub label: String,
    /// The tag or branch.
    #[serde(rename = "ref")]
    pub reference: String,
    /// The commit read (40 hex digits).
    pub commit: String,
}

/// One string a client prints, as printed, with `<value>` where it prints a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientString {
    pub text: String,
    /// The entry the string means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// A real error with no entry yet (a slug naming it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// Why the string is not a wording of any entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
    #[serde(default, skip_serializing_if = "Role::is_cause")]
    pub role: Role,
    /// `error`, `warn`, `info`, `dialog`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Path in the repository.
    pub file: String,
    pub line: u32,
    /// The label of the [`SourceVersion`] it was read in.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A group of a client's strings left out on purpose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoredRule {
    /// A path or glob in the repository.
    pub files: String,
    pub reason: String,
    /// Strings left out by this rule.
    pub count: u32,
}

impl ClientString {
    /// True when the matcher can find this string word for word in a paste: one part of it
    /// between the printed values has three words or more. "HTTP status: <value>" says too
    /// little to be told from other text, and a lone symbol is a code name.
    pub fn findable(&self) -> bool {
        crate::phrases::literal_parts(&self.text)
            .iter()
            .any(|part| part.split(' ').count() >= crate::phrases::MIN_SEGMENT_WORDS)
    }
}

impl ClientStrings {
    /// The public link to a string's line at the commit it was read at.
    pub fn link(&self, s: &ClientString) -> String {
        let commit = self
            .versions
            .iter()
            .find(|v| v.label == s.version)
            .map_or("HEAD", |v| v.commit.as_str());
        format!(
            "{}/blob/{commit}/{}#L{}",
            self.repository.trim_end_matches('/'),
            s.file,
            s.line
        )
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The kebab-case name used in the KB files.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the kebab-case name.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What part of the sign-in path an error belongs to.
    Category {
        Licensing => "licensing",
        NameResolution => "name-resolution",
        Lsa => "lsa",
        Credentials => "credentials",
        SignInRights => "sign-in-rights",
        RoleAssignment => "role-assignment",
        UnauthorizedClient => "unauthorized-client",
        PasswordChange => "password-change",
        Mfa => "mfa",
        Connectivity => "connectivity",
        Credssp => "credssp",
        SecurityLayer => "security-layer",
        Nla => "nla",
        SessionLimit => "session-limit",
        AccountState => "account-state",
        TimeSync => "time-sync",
        DomainTrust => "domain-trust",
        Certificate => "certificate",
        Profile => "profile",
        Service => "service",
        Attack => "attack",
        Network => "network",
        Protocol => "protocol",
        Gateway => "gateway",
        EntraSso => "entra-sso",
        EntraDevice => "entra-device",
    }
}

string_enum! {
    /// A code namespace: the same number means different things in each.
    Namespace {
        DisconnectReason => "disconnect-reason",
        ExtendedReason => "extended-reason",
        Win32 => "win32",
        Ntstatus => "ntstatus",
        Sspi => "sspi",
        Hresult => "hresult",
        Event => "event",
        Aadsts => "aadsts",
        AadloginExit => "aadlogin-exit",
        Errinfo => "errinfo",
        Errconnect => "errconnect",
        Licensing => "licensing",
        Client => "client",
        NegotiationFailure => "negotiation-failure",
    }
}

impl Namespace {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Namespace::DisconnectReason => "RDP client disconnect reason",
            Namespace::ExtendedReason => "RDP extended disconnect reason",
            Namespace::Win32 => "Win32 error",
            Namespace::Ntstatus => "NTSTATUS",
            Namespace::Sspi => "SSPI status",
            Namespace::Hresult => "HRESULT",
            Namespace::Event => "Windows event ID",
            Namespace::Aadsts => "Microsoft Entra AADSTS",
            Namespace::AadloginExit => "AADLoginForWindows exit code",
            Namespace::Errinfo => "RDP Set Error Info (ERRINFO)",
            Namespace::Errconnect => "FreeRDP ERRCONNECT",
            Namespace::Licensing => "RDP licensing error",
            Namespace::Client => "Remote Desktop client code",
            Namespace::NegotiationFailure => "RDP negotiation failure",
        }
    }

    /// True for a namespace whose codes are only ever shown by name (HYBRID_REQUIRED_BY_SERVER):
    /// its small values (1 to 6) are not offered as readings of a bare number.
    pub fn named_only(self) -> bool {
        self == Namespace::NegotiationFailure
    }

    /// How a value of this namespace is written by the tools that show it.
    pub fn format_value(self, value: i64) -> String {
        let bits = code_key(value);
        match self {
            Namespace::DisconnectReason => format!("0x{bits:X} ({value})"),
            Namespace::Ntstatus
            | Namespace::Sspi
            | Namespace::Hresult
            | Namespace::Errinfo
            | Namespace::Errconnect
            | Namespace::Licensing
            | Namespace::NegotiationFailure => format!("0x{bits:X}"),
            Namespace::Aadsts => format!("AADSTS{value}"),
            Namespace::Win32 => format!("{value} (0x{bits:X})"),
            Namespace::ExtendedReason
            | Namespace::Event
            | Namespace::AadloginExit
            | Namespace::Client => value.to_string(),
        }
    }
}

/// Codes are compared by their 32-bit pattern, so `-2145648574` and `0x801C0042` meet.
pub fn code_key(value: i64) -> u64 {
    if (i32::MIN as i64..0).contains(&value) {
        (value as i32 as u32) as u64
    } else {
        value as u64
    }
}

/// The documented command placeholders and the example value shown when the user gives none.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("resource_group", "myResourceGroup"),
    ("vm", "myVM"),
    ("location", "westus"),
    ("nsg", "myNetworkSecurityGroup"),
    ("nic", "myNic"),
    ("vnet", "myVnet"),
    ("user", "myUser"),
    ("upn", "user@contoso.com"),
    ("computer", "myComputer"),
    ("domain", "contoso.com"),
    ("dc", "myDC"),
    ("license_server", "myLicenseServer"),
    ("port", "3389"),
    ("subscription", "00000000-0000-0000-0000-000000000000"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_and_hex_forms_share_a_key() {
        assert_eq!(code_key(-2145648574), 0x801C0042);
        assert_eq!(code_key(0x801C0042), 0x801C0042);
        assert_eq!(code_key(516), 0x204);
    }

    #[test]
    fn namespaces_format_as_their_tools_do() {
        assert_eq!(
            Namespace::DisconnectReason.format_value(0x204),
            "0x204 (516)"
        );
        assert_eq!(Namespace::Aadsts.format_value(50126), "AADSTS50126");
        assert_eq!(Namespace::Ntstatus.format_value(0xC000006D), "0xC000006D");
        assert_eq!(Namespace::Win32.format_value(1326), "1326 (0x52E)");
    }
}
