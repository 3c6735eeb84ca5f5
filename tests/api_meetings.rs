//! (being written) end-to-end tests of meetings.
