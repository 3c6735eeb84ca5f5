//! (being written) end-to-end tests of care_plans.
