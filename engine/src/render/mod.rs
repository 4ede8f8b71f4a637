//! What the engine renders for people to read, apart from mails: the decision document in
//! the Danish agenda format, and money and dates written the Danish way.

pub mod danish;
pub mod decision_document;
