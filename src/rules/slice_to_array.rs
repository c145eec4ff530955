//! `slice-to-array`: make([]T, n) with n provably small → var buf [N]T; s := buf[:n:n]. Not implemented yet (stub).

crate::stub_rule!(SliceToArray, "slice-to-array", "make([]T, n) with n provably small → var buf [N]T; s := buf[:n:n]", crate::fix::Evidence::FewerAllocations);
