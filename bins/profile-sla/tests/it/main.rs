//! Integration tests of profile-sla.

mod selection;
