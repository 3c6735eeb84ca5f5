//! The domain of pcmh-track: the policy catalog, the records practices keep, and the rules
//! that say, as of a date, whether each criterion is in place.
//!
//! Data flows one way: [`catalog`] parses and validates a catalog, [`records`] are plain
//! values, and [`rules`] evaluates a criterion from records and a date without a database or
//! a clock.

// The `#[check(...)]` rules name their functions as `pcmh_core::checks::...`, here too.
extern crate self as pcmh_core;

pub mod access;
pub mod actions;
pub mod catalog;
pub mod checks;
pub mod duration;
pub mod generate;
pub mod hash;
pub mod ids;
pub mod instant;
pub mod packet;
pub mod records;
pub mod rules;
pub mod standards;
pub mod store;
