//! (being written) end-to-end tests of the practice compliance view and catalog upgrades.
