//! `range-addr`: &v of a range value variable collected into []*T or a map → &xs[i]. Not implemented yet (stub).

crate::stub_rule!(RangeAddr, "range-addr", "&v of a range value variable collected into []*T or a map → &xs[i]", crate::fix::Evidence::FindingRemoved);
