//! Background work between the gateway and Odoo: the rating push ([`rating_push`]) writes rated
//! usage onto Odoo subscriptions, with its readable lines ([`lines`]) and its store state
//! ([`rating_push_repo`]); the watcher ([`watcher`]) turns Odoo changes into webhooks for the
//! apps ([`watch_repo`] remembers what it saw).

pub mod lines;
pub mod rating_push;
pub mod rating_push_repo;
pub mod watch_invoices;
pub mod watch_repo;
pub mod watcher;

pub use rating_push::{CycleReport, RatingPush};
pub use watcher::{PollReport, Watcher};
