//! Integration tests of profile-sla.

mod interrupt;
mod selection;
