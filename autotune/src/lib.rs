//! The autotuner: search spaces, strategies, measurement and cache. Empty until its issue starts; nothing here yet.
