//! Evidence files, stored content-addressed (being written).
