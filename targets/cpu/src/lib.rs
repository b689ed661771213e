//! The CPU target (Cranelift). Empty until issue 4 starts its work; nothing here yet.
