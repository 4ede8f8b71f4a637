//! Mail templates: one folder per event in `mail-templates/`, a subject and a plain-text body
//! (and optionally HTML) in Danish and English, with per-region overrides in
//! `mail-templates/regions/<region>/<event>/`. Rendered with handlebars in strict mode from a
//! typed context, so a misspelt variable is an error at start, never an empty string in a mail.

pub mod admin;
pub mod delivery;
pub mod reminders;
mod templates;
pub mod transport;

pub use delivery::{Deliverer, DeliveryRound};
pub use reminders::{REMINDER_TEMPLATES, Reminders};
pub use templates::{MailContext, MailTemplates, RenderedMail};
pub use transport::{SendError, SentMail, Transport};
