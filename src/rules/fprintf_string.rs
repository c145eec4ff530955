//! `fprintf-string`: fmt.Fprintf(w, "%s", s) / fmt.Fprint(w, s) → io.WriteString(w, s). Not implemented yet (stub).

crate::stub_rule!(FprintfString, "fprintf-string", "fmt.Fprintf(w, \"%s\", s) / fmt.Fprint(w, s) → io.WriteString(w, s)", crate::fix::Evidence::FindingRemoved);
