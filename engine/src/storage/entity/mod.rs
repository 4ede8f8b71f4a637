//! The sea-orm entities: the tables as they are stored. Behaviour lives in the services beside
//! this module, never here; entities never leave the engine.

pub mod account_event;
pub mod agenda_item;
pub mod api_token;
pub mod app_user;
pub mod case_council;
pub mod council;
pub mod council_change;
pub mod council_member;
pub mod council_municipality;
pub mod council_recommendation;
pub mod description_revision;
pub mod document;
pub mod economics_line;
pub mod economics_signoff;
pub mod external_reference;
pub mod handover_case;
pub mod hearing;
pub mod hearing_party;
pub mod idempotency_key;
pub mod journal_event;
pub mod login_attempt;
pub mod meeting;
pub mod membership;
pub mod organisation;
pub mod outbox;
pub mod region;
pub mod reminder;
pub mod sso_identity;
pub mod sso_pending_login;
pub mod user_session;
pub mod workflow_definition;
