pub static CODES: &[super::ErrorCode] = &[];
