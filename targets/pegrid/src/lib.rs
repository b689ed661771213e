//! The PE-grid target. Empty until issue 5 starts its work; nothing here yet.
