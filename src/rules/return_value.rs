//! `return-value`: an unexported function returning &local whose callers only read → return the value. Not implemented yet (stub).

crate::stub_rule!(ReturnValue, "return-value", "an unexported function returning &local whose callers only read → return the value", crate::fix::Evidence::FindingRemoved);
