//! Mail templates: one folder per event in `mail-templates/`, a subject and a plain-text body
//! (and optionally HTML) in Danish and English, with per-region overrides in
//! `mail-templates/regions/<region>/<event>/`. Rendered with handlebars in strict mode from a
//! typed context, so a misspelt variable is an error at start, never an empty string in a mail.

pub mod admin;
pub mod delivery;
mod figure_changes;
pub mod preferences;
pub mod reminders;
mod templates;
pub mod transport;

pub use delivery::{Deliverer, DeliveryRound};
pub use preferences::MailPreference;
pub use reminders::{REMINDER_TEMPLATES, Reminders};

/// The mails the engine itself sends, beside those the workflows name: they must exist.
pub const ENGINE_TEMPLATES: [&str; 11] = [
    REMINDER_TEMPLATES[0],
    REMINDER_TEMPLATES[1],
    REMINDER_TEMPLATES[2],
    REMINDER_TEMPLATES[3],
    REMINDER_TEMPLATES[4],
    "placed_on_agenda",
    "agenda_published",
    "signoff_needed",
    "hearing_invitation",
    "meeting_changed",
    "meeting_cancelled",
];
pub use templates::{DigestContext, DigestItem, MailContext, MailTemplates, RenderedMail};
pub use transport::{SendError, SentMail, Transport};
