//! `closure-param`: a closure capturing a variable written after the capture → pass it as a parameter or copy it. Not implemented yet (stub).

crate::stub_rule!(ClosureParam, "closure-param", "a closure capturing a variable written after the capture → pass it as a parameter or copy it", crate::fix::Evidence::FindingRemoved);
