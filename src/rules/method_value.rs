//! `method-value`: a method value x.M stored and called in a loop → a direct call or method expression. Not implemented yet (stub).

crate::stub_rule!(MethodValue, "method-value", "a method value x.M stored and called in a loop → a direct call or method expression", crate::fix::Evidence::FindingRemoved);
