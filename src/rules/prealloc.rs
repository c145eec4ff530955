//! `prealloc-slice` / `prealloc-map`: grow-by-append in a bounded loop → preallocate. Not implemented yet (stub).

crate::stub_rule!(PreallocSlice, "prealloc-slice", "var s []T filled by append in a bounded loop → make([]T, 0, bound)", crate::fix::Evidence::FewerAllocations);
crate::stub_rule!(PreallocMap, "prealloc-map", "make(map[K]V) filled in a bounded loop → make(map[K]V, bound)", crate::fix::Evidence::FewerAllocations);
