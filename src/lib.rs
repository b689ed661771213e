//! Tessera facade.
