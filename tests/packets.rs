//! (being written) end-to-end tests of auditor packets.
