//! Integration tests of profile-endpoint: the binary end to end against the embedded simulated
//! engine, whose timing model (Dynamo mocker's polynomials, spec §9.2) is known, so what the
//! profile must recover is written down here by hand.

mod closed_loop;
mod interrupt;
mod prefill;
mod support;
