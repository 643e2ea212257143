//! Background work between the gateway and Odoo: the rating push ([`rating`]) writes rated
//! usage onto Odoo subscriptions, with its readable lines ([`lines`]) and its store state
//! ([`rating_repo`]).

pub mod lines;
pub mod rating;
pub mod rating_repo;

pub use rating::{CycleReport, RatingPush};
