//! (being written) end-to-end tests of the PO's compliance views.
