//! `sort-slice`: sort.Slice(xs, less) → slices.SortFunc(xs, cmp) for plain field comparisons. Not implemented yet (stub).

crate::stub_rule!(SortSlice, "sort-slice", "sort.Slice(xs, less) → slices.SortFunc(xs, cmp) for plain field comparisons", crate::fix::Evidence::FindingRemoved);
