//! `rdperr mcp`: the library as a Model Context Protocol server over stdio (rmcp), for chatbot
//! hosts such as Claude Desktop or VS Code.
//!
//! Four tools, each with an output schema and structured content: `lookup_error`, `show_error`,
//! `list_errors` and `decode_code`. "No match" is a normal result that says what the KB covers;
//! only a bad argument (an unknown id) is a tool error, which the model can correct.

use rdperr::render::{self, StepCommand};
use rdperr::{CodeFinding, Kb, Match};
use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{schemars, tool, tool_handler, tool_router, Json, ServerHandler, ServiceExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct LookupRequest {
    /// The error message, log line or code the user saw, pasted as is.
    pub text: String,
    /// How many matches to return at most (default 3).
    pub limit: Option<usize>,
    /// The user's Azure resource group, filled into the commands.
    pub resource_group: Option<String>,
    /// The user's VM name, filled into the commands.
    pub vm: Option<String>,
    /// The user's Azure region, filled into the commands.
    pub location: Option<String>,
    /// The user name, filled into the commands.
    pub user: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LookupResponse {
    pub schema_version: u32,
    pub query: String,
    /// Answers rdperr stands behind, best first; empty when none is sure.
    pub matches: Vec<Match>,
    /// When no entry (or too few) is sure for a text about Remote Desktop: the closest ones,
    /// each with the hint that tells it apart and the question that decides: ask the user.
    pub suggestions: Vec<rdperr::Suggestion>,
    /// Whether the text is about Remote Desktop at all (`remote_desktop`, `other_field`,
    /// `unknown`).
    pub scope: rdperr::Scope,
    /// True when the top matches are about equally likely: ask the user which hint fits.
    pub ambiguous: bool,
    /// Codes found in the text, with every interpretation.
    pub codes: Vec<CodeFinding>,
    /// Per match id, per step: the commands with the user's values filled in.
    pub commands: BTreeMap<String, Vec<Vec<StepCommand>>>,
    /// When nothing matches: what rdperr covers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The product or field the text names instead of Remote Desktop ("sql server").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_field: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ShowRequest {
    /// An entry id, e.g. "rdp-credentials-rejected".
    pub id: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ShowResponse {
    pub schema_version: u32,
    pub entry: std::sync::Arc<rdperr::Entry>,
    /// Per step: the commands with example values.
    pub commands: Vec<Vec<StepCommand>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ListRequest {
    /// Only this category (e.g. "licensing", "credentials", "mfa").
    pub category: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListedError {
    pub id: String,
    pub title: String,
    pub category: rdperr::Category,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListResponse {
    pub schema_version: u32,
    pub errors: Vec<ListedError>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DecodeRequest {
    /// A code as the user saw it: "0x204", "516", "AADSTS50126", "ERRCONNECT_LOGON_FAILURE",
    /// "event 1058" ...
    pub code: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DecodeResponse {
    pub schema_version: u32,
    /// Every code found, each with every interpretation (namespace, name, meaning, entries).
    pub codes: Vec<CodeFinding>,
}

#[derive(Debug, Clone)]
pub struct RdperrServer {
    kb: Kb,
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl RdperrServer {
    pub fn new(kb: Kb) -> Self {
        Self {
            kb,
            tool_router: Self::tool_router(),
        }
    }

    #[tool(
        description = "Explain a Remote Desktop (mstsc, Windows App, FreeRDP) or Microsoft Entra VM sign-in error: pass the message, log line or code the user saw. Returns the matching errors with confidence, causes, fix steps in order (least disruptive first) and ready-to-run commands."
    )]
    fn lookup_error(&self, Parameters(req): Parameters<LookupRequest>) -> Json<LookupResponse> {
        let found = self.kb.lookup(&req.text);
        let mut values: BTreeMap<String, String> = found.captures.clone();
        for (k, v) in [
            ("resource_group", req.resource_group),
            ("vm", req.vm),
            ("location", req.location),
            ("user", req.user),
        ] {
            if let Some(v) = v {
                values.insert(k.to_string(), v);
            }
        }
        let limit = req.limit.unwrap_or(3).max(1);
        let matches: Vec<Match> = found.matches.iter().take(limit).cloned().collect();
        let commands = matches
            .iter()
            .map(|m| (m.id.clone(), render::entry_commands(&m.entry, &values)))
            .collect();
        let note = (matches.is_empty() && found.suggestions.is_empty())
            .then(|| render::no_match_text(&self.kb, &found));
        Json(LookupResponse {
            schema_version: render::SCHEMA_VERSION,
            query: found.query.clone(),
            matches,
            suggestions: found.suggestions.clone(),
            scope: found.scope,
            ambiguous: found.ambiguous,
            codes: found.codes.clone(),
            commands,
            note,
            other_field: found.other_field.clone(),
        })
    }

    #[tool(
        description = "Show one rdperr error entry in full by its id (from lookup_error or list_errors)."
    )]
    fn show_error(
        &self,
        Parameters(req): Parameters<ShowRequest>,
    ) -> Result<Json<ShowResponse>, String> {
        let entry = self.kb.get(&req.id).ok_or_else(|| {
            format!(
                "no entry with id `{}`; call list_errors for the ids",
                req.id
            )
        })?;
        Ok(Json(ShowResponse {
            schema_version: render::SCHEMA_VERSION,
            entry: entry.clone(),
            commands: render::entry_commands(entry, &BTreeMap::new()),
        }))
    }

    #[tool(
        description = "List the errors rdperr knows (id, title, category), optionally of one category."
    )]
    fn list_errors(
        &self,
        Parameters(req): Parameters<ListRequest>,
    ) -> Result<Json<ListResponse>, String> {
        let wanted = match req.category.as_deref() {
            None => None,
            Some(c) => Some(rdperr::Category::parse(c).ok_or_else(|| {
                let all: Vec<&str> = rdperr::Category::ALL.iter().map(|c| c.as_str()).collect();
                format!(
                    "unknown category `{c}`; the categories are: {}",
                    all.join(", ")
                )
            })?),
        };
        let errors = self
            .kb
            .entries()
            .iter()
            .filter(|e| wanted.is_none_or(|c| e.category == c))
            .map(|e| ListedError {
                id: e.id.clone(),
                title: e.title.clone(),
                category: e.category,
            })
            .collect();
        Ok(Json(ListResponse {
            schema_version: render::SCHEMA_VERSION,
            errors,
        }))
    }

    #[tool(
        description = "Decode an error code in every namespace it belongs to (mstsc disconnect reasons, extended reasons, Win32, NTSTATUS, SSPI, AADSTS, FreeRDP ERRINFO/ERRCONNECT, event IDs), like err.exe, with the entries that explain it."
    )]
    fn decode_code(&self, Parameters(req): Parameters<DecodeRequest>) -> Json<DecodeResponse> {
        Json(DecodeResponse {
            schema_version: render::SCHEMA_VERSION,
            codes: self.kb.decode(&req.code),
        })
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for RdperrServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("rdperr", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "rdperr explains Remote Desktop and Microsoft Entra VM sign-in errors. Call \
             lookup_error with the exact text or code the user saw; when `ambiguous` is true, ask \
             the user which `distinguish` hint fits before giving steps. Give fix steps in the \
             order returned (least disruptive first) and warn about steps marked disruptive.",
            )
    }
}

/// Serves MCP on stdin/stdout until the client disconnects.
pub fn serve(kb: Kb) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let service = RdperrServer::new(kb)
            .serve(rmcp::transport::stdio())
            .await?;
        service.waiting().await?;
        Ok(())
    })
}
