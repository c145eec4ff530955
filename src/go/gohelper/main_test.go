package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// ---- fixtures ----

const srcQ = `package q

type T struct{ N int }
`

const srcA = `package p

import (
	"errors"
	"fmt"
	"math/rand/v2"
	str "strings"

	"example.com/m/q"
)

type Celsius int

type Val struct{}

func (Val) String() string { return "v" }

type Ptr struct{}

func (*Ptr) String() string { return "p" }

type Plain struct{}

type Bytes []byte

type MyByte byte

const Answer = 42

func f(x int) int { return x }

func G[T any](x T) T {
	return x /*GEN*/
}

func use(ch chan int, s []int, bs []byte, mb []MyByte, x int) {
	var i int = 1
	var i64 int64 = 2
	var c Celsius = 3
	var v Val
	var pp Ptr
	var pl Plain
	var by Bytes
	var e error = errors.New("e")
	var a any = 1
	var qt q.T
	_ = fmt.Sprintf("%d", i)
	_, _, _, _, _, _, _, _, _, _ = i64, c, v, pp, pl, by, e, a, qt, bs
	_ = mb
	_ = f(x)
	_ = int64(x)
	_ = len(s)
	_ = <-ch
	_ = str.ToUpper("a")
	_ = str.TrimSpace("b")
	_ = rand.IntN(3)
	_ = Answer
}

func shadow() int {
	strconv := 5
	return strconv /*SHADOW*/
}

func free() int {
	return 1 /*FREE*/
}
`

const srcB = `package p

import "strconv"

var _ = strconv.Itoa
`

// ---- helpers ----

type testResponse struct {
	Packages []packageResult `json:"packages"`
	Results  []struct {
		ID           int64         `json:"id"`
		Error        string        `json:"error"`
		Expr         *exprFacts    `json:"expr"`
		Scope        *scopeFacts   `json:"scope"`
		Imports      []importFacts `json:"imports"`
		PackageNames []string      `json:"package_names"`
		Uses         *usesFacts    `json:"uses"`
	} `json:"results"`
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newModule writes a module example.com/m and returns its directory.
func newModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"go.mod": "module example.com/m\n\ngo 1.22\n"})
	writeFiles(t, dir, files)
	return dir
}

// exportData runs `go list -export -deps` exactly as stackify does.
func exportData(t *testing.T, dir string, patterns ...string) map[string]string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not available")
	}
	args := append([]string{"list", "-export", "-deps", "-json=ImportPath,Export"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	exports := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct{ ImportPath, Export string }
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Export != "" {
			exports[p.ImportPath] = p.Export
		}
	}
	return exports
}

func run(t *testing.T, req map[string]any) testResponse {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := handle("typecheck", bytes.NewReader(in), &out); err != nil {
		t.Fatalf("handle: %v", err)
	}
	var resp testResponse
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		t.Fatalf("bad response %s: %v", out.String(), err)
	}
	if q, ok := req["queries"].([]map[string]any); ok && len(q) != len(resp.Results) {
		t.Fatalf("got %d results for %d queries", len(resp.Results), len(q))
	}
	return resp
}

// span locates target inside the unique occurrence of context in src.
func span(t *testing.T, src, context, target string) (int, int) {
	t.Helper()
	i := strings.Index(src, context)
	if i < 0 || strings.Count(src, context) != 1 {
		t.Fatalf("context %q not unique in source", context)
	}
	j := strings.Index(context, target)
	if j < 0 {
		t.Fatalf("target %q not in context %q", target, context)
	}
	return i + j, i + j + len(target)
}

func exprQuery(t *testing.T, id int, file, src, context, target string) map[string]any {
	t.Helper()
	s, e := span(t, src, context, target)
	return map[string]any{"id": id, "kind": "expr", "file": file, "start": s, "end": e}
}

// ---- the main fixture ----

type fixture struct {
	dir, a, b string
	exports   map[string]string
	pkg       map[string]any
}

func newFixture(t *testing.T) *fixture {
	dir := newModule(t, map[string]string{"q/q.go": srcQ, "p/a.go": srcA, "p/b.go": srcB})
	fx := &fixture{dir: dir, a: filepath.Join(dir, "p", "a.go"), b: filepath.Join(dir, "p", "b.go")}
	// Listing p too proves the fixture compiles, so any error we report is ours.
	fx.exports = exportData(t, dir, "./p")
	fx.pkg = map[string]any{
		"id": "example.com/m/p", "name": "p", "dir": filepath.Join(dir, "p"),
		"files": []string{fx.a, fx.b}, "go_version": "go1.22",
	}
	return fx
}

func (fx *fixture) run(t *testing.T, queries ...map[string]any) testResponse {
	t.Helper()
	resp := run(t, map[string]any{
		"packages": []map[string]any{fx.pkg},
		"export":   fx.exports,
		"queries":  queries,
	})
	if len(resp.Packages) != 1 || len(resp.Packages[0].Errors) != 0 {
		t.Fatalf("unexpected package errors: %+v", resp.Packages)
	}
	return resp
}

func TestExprTypes(t *testing.T) {
	fx := newFixture(t)
	type want struct {
		context, target string
		check           func(t *testing.T, f *exprFacts)
	}
	cases := []want{
		{"_, _, _, _, _, _, _, _, _, _ = i64", "i64", func(t *testing.T, f *exprFacts) {
			eq(t, "type", f.Type, "int64")
			eq(t, "basic", f.Basic, "int64")
			eq(t, "named", f.Named, false)
			eq(t, "mode", f.Mode, "variable")
		}},
		{`"%d", i)`, "i", func(t *testing.T, f *exprFacts) {
			eq(t, "type", f.Type, "int")
			eq(t, "basic", f.Basic, "int")
			eq(t, "object", *f.Object, objectFacts{Kind: "var", Pkg: "example.com/m/p", Name: "i", Scope: "local"})
		}},
		{"i64, c,", "c", func(t *testing.T, f *exprFacts) {
			eq(t, "type", f.Type, "Celsius")
			eq(t, "underlying", f.Underlying, "int")
			eq(t, "basic", f.Basic, "int")
			eq(t, "named", f.Named, true)
			eq(t, "methods", f.Methods, []string{})
		}},
		{"c, v, pp", "v", func(t *testing.T, f *exprFacts) {
			eq(t, "methods", f.Methods, []string{"String"})
			eq(t, "interface", f.Interface, false)
		}},
		{"v, pp, pl", "pp", func(t *testing.T, f *exprFacts) {
			eq(t, "methods", f.Methods, []string{"String"})
		}},
		{"pp, pl, by", "pl", func(t *testing.T, f *exprFacts) {
			eq(t, "methods", f.Methods, []string{})
			eq(t, "underlying", f.Underlying, "struct{}")
		}},
		{"pl, by, e", "by", func(t *testing.T, f *exprFacts) {
			eq(t, "type", f.Type, "Bytes")
			eq(t, "slice_of_byte", f.SliceOfByte, true)
		}},
		{"qt, bs", "bs", func(t *testing.T, f *exprFacts) {
			eq(t, "type", f.Type, "[]byte")
			eq(t, "slice_of_byte", f.SliceOfByte, true)
		}},
		{"_ = mb", "mb", func(t *testing.T, f *exprFacts) {
			eq(t, "slice_of_byte", f.SliceOfByte, false)
		}},
		{"by, e, a", "e", func(t *testing.T, f *exprFacts) {
			eq(t, "type", f.Type, "error")
			eq(t, "interface", f.Interface, true)
			eq(t, "methods", f.Methods, []string{"Error"})
		}},
		{"e, a, qt", "a", func(t *testing.T, f *exprFacts) {
			eq(t, "interface", f.Interface, true)
			eq(t, "named", f.Named, false)
			if f.Type != "any" && f.Type != "interface{}" {
				t.Errorf("type = %q, want any", f.Type)
			}
		}},
		{"a, qt, bs", "qt", func(t *testing.T, f *exprFacts) {
			eq(t, "type", f.Type, "example.com/m/q.T")
			eq(t, "named", f.Named, true)
			eq(t, "underlying", f.Underlying, "struct{N int}")
		}},
		{"_ = Answer", "Answer", func(t *testing.T, f *exprFacts) {
			eq(t, "mode", f.Mode, "constant")
			eq(t, "const_value", f.ConstValue, "42")
			eq(t, "object", *f.Object, objectFacts{Kind: "const", Pkg: "example.com/m/p", Name: "Answer", Scope: "package", Exported: true})
		}},
		{"const Answer = 42", "42", func(t *testing.T, f *exprFacts) {
			eq(t, "type", f.Type, "untyped int")
			eq(t, "basic", f.Basic, "untyped int")
			eq(t, "const_value", f.ConstValue, "42")
		}},
		{`fmt.Sprintf("%d", i)`, "fmt.Sprintf", func(t *testing.T, f *exprFacts) {
			eq(t, "object", *f.Object, objectFacts{Kind: "func", Pkg: "fmt", Name: "Sprintf", Scope: "package", Exported: true,
				Signature: &signatureFacts{Params: []string{"string", "[]any"}, Results: []string{"string"}, Variadic: true}})
			eq(t, "mode", f.Mode, "value")
			eq(t, "side_effects", f.SideEffects, false)
		}},
		{`fmt.Sprintf("%d", i)`, `fmt.Sprintf("%d", i)`, func(t *testing.T, f *exprFacts) {
			eq(t, "type", f.Type, "string")
			eq(t, "side_effects", f.SideEffects, true)
			if f.Object != nil {
				t.Errorf("object on a call: %+v", f.Object)
			}
		}},
		{`fmt.Sprintf("%d", i)`, `fmt`, func(t *testing.T, f *exprFacts) {
			eq(t, "mode", f.Mode, "novalue")
			eq(t, "object", *f.Object, objectFacts{Kind: "pkgname", Pkg: "fmt", Name: "fmt", Scope: "file"})
		}},
		{"_ = f(x)", "f(x)", func(t *testing.T, f *exprFacts) {
			eq(t, "side_effects", f.SideEffects, true)
			eq(t, "type", f.Type, "int")
		}},
		{"_ = int64(x)", "int64(x)", func(t *testing.T, f *exprFacts) {
			eq(t, "side_effects", f.SideEffects, false)
			eq(t, "type", f.Type, "int64")
		}},
		{"_ = len(s)", "len(s)", func(t *testing.T, f *exprFacts) {
			eq(t, "side_effects", f.SideEffects, false)
		}},
		{"_ = len(s)", "len", func(t *testing.T, f *exprFacts) {
			eq(t, "mode", f.Mode, "builtin")
			eq(t, "object", *f.Object, objectFacts{Kind: "builtin", Pkg: "", Name: "len", Scope: "universe"})
		}},
		{"_ = <-ch", "<-ch", func(t *testing.T, f *exprFacts) {
			eq(t, "side_effects", f.SideEffects, true)
			eq(t, "type", f.Type, "int")
		}},
		{"var i int = 1", "i", func(t *testing.T, f *exprFacts) {
			// A defining identifier has no Types entry; the object answers.
			eq(t, "mode", f.Mode, "variable")
			eq(t, "type", f.Type, "int")
			eq(t, "object", *f.Object, objectFacts{Kind: "var", Pkg: "example.com/m/p", Name: "i", Scope: "local"})
		}},
		{"return x /*GEN*/", "x", func(t *testing.T, f *exprFacts) {
			eq(t, "type_param", f.TypeParam, true)
			eq(t, "type", f.Type, "T")
			eq(t, "named", f.Named, false)
		}},
		{`_ = rand.IntN(3)`, "rand.IntN", func(t *testing.T, f *exprFacts) {
			eq(t, "object", *f.Object, objectFacts{Kind: "func", Pkg: "math/rand/v2", Name: "IntN", Scope: "package", Exported: true,
				Signature: &signatureFacts{Params: []string{"int"}, Results: []string{"int"}}})
		}},
		{"func (Val) String() string", "String", func(t *testing.T, f *exprFacts) {
			eq(t, "object", *f.Object, objectFacts{Kind: "func", Pkg: "example.com/m/p", Name: "String", Scope: "member", Exported: true,
				Signature: &signatureFacts{Params: []string{}, Results: []string{"string"}, Recv: "Val"}})
		}},
	}
	var queries []map[string]any
	for i, c := range cases {
		queries = append(queries, exprQuery(t, i, fx.a, srcA, c.context, c.target))
	}
	resp := fx.run(t, queries...)
	for i, c := range cases {
		r := resp.Results[i]
		if r.ID != int64(i) || r.Expr == nil || !r.Expr.Found {
			t.Errorf("case %d (%q): no expr found: %+v", i, c.target, r)
			continue
		}
		t.Run(c.target, func(t *testing.T) { c.check(t, r.Expr) })
	}
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func TestExprNotFoundAndUnknownFile(t *testing.T) {
	fx := newFixture(t)
	s, _ := span(t, srcA, "_ = f(x)", "f(x)")
	resp := fx.run(t,
		map[string]any{"id": 7, "kind": "expr", "file": fx.a, "start": s, "end": s + 2}, // "f("
		map[string]any{"id": 8, "kind": "expr", "file": "/nowhere.go", "start": 0, "end": 1},
		map[string]any{"id": 9, "kind": "bogus", "file": fx.a},
	)
	r := resp.Results
	if r[0].ID != 7 || r[0].Expr == nil || r[0].Expr.Found {
		t.Errorf("partial span: %+v", r[0])
	}
	if r[1].ID != 8 || r[1].Error == "" {
		t.Errorf("unknown file: %+v", r[1])
	}
	if r[2].ID != 9 || r[2].Error == "" {
		t.Errorf("unknown kind: %+v", r[2])
	}
}

func TestScope(t *testing.T) {
	fx := newFixture(t)
	shadow := strings.Index(srcA, "/*SHADOW*/")
	freePos := strings.Index(srcA, "/*FREE*/")
	q := func(id, off int, file, name string) map[string]any {
		return map[string]any{"id": id, "kind": "scope", "file": file, "offset": off, "name": name}
	}
	resp := fx.run(t,
		q(0, shadow, fx.a, "strconv"),
		q(1, freePos, fx.a, "strconv"),
		q(2, freePos, fx.a, "nothing"),
		q(3, freePos, fx.a, "fmt"),
		q(4, 0, fx.b, "Celsius"),
		q(5, freePos, fx.a, "int"),
		q(6, 0, fx.b, "strconv"),
		q(7, freePos, fx.a, "str"),
	)
	want := []scopeFacts{
		{Kind: "var", Level: "local"},
		{Kind: "none", FileConflict: true},
		{Kind: "none"},
		{Kind: "pkgname", PkgPath: "fmt", Level: "file"},
		{Kind: "type", Level: "package"},
		{Kind: "type", Level: "universe"},
		{Kind: "pkgname", PkgPath: "strconv", Level: "file"},
		{Kind: "pkgname", PkgPath: "strings", Level: "file"},
	}
	for i, w := range want {
		if r := resp.Results[i]; r.Scope == nil || *r.Scope != w {
			t.Errorf("scope query %d = %+v (error %q), want %+v", i, r.Scope, r.Error, w)
		}
	}
}

func TestImports(t *testing.T) {
	fx := newFixture(t)
	resp := fx.run(t, map[string]any{"id": 0, "kind": "imports", "file": fx.a})
	imps := resp.Results[0].Imports
	if len(imps) != 5 {
		t.Fatalf("imports = %+v", imps)
	}
	at := func(context, target string) int { s, _ := span(t, srcA, context, target); return s }
	specAt := func(spec string) (int, int) { return span(t, srcA, "\t"+spec+"\n", spec) }

	s, e := specAt(`str "strings"`)
	eq(t, "str", imps[3], importFacts{Name: "str", Path: "strings", LocalName: "str", SpecStart: s, SpecEnd: e,
		Uses: []int{at(`str.ToUpper`, "str"), at(`str.TrimSpace`, "str")}})

	s, e = specAt(`"math/rand/v2"`)
	eq(t, "rand", imps[2], importFacts{Name: "", Path: "math/rand/v2", LocalName: "rand", SpecStart: s, SpecEnd: e,
		Uses: []int{at("rand.IntN", "rand")}})

	s, e = specAt(`"fmt"`)
	eq(t, "fmt", imps[1], importFacts{Path: "fmt", LocalName: "fmt", SpecStart: s, SpecEnd: e,
		Uses: []int{at(`fmt.Sprintf`, "fmt")}})
	eq(t, "q local name", imps[4].LocalName, "q")
	eq(t, "errors path", imps[0].Path, "errors")
}

func TestDotAndBlankImports(t *testing.T) {
	src := `package d

import (
	. "strings"
	_ "unsafe"
	"strings"
)

var a = ToUpper("x") + strings.ToLower("y") + TrimSpace(" ")
`
	dir := newModule(t, map[string]string{"d/d.go": src})
	file := filepath.Join(dir, "d", "d.go")
	resp := run(t, map[string]any{
		"packages": []map[string]any{{"id": "example.com/m/d", "name": "d", "files": []string{file}}},
		"export":   exportData(t, dir, "strings"),
		"queries": []map[string]any{
			{"id": 0, "kind": "imports", "file": file},
			{"id": 1, "kind": "package_names", "file": file},
		},
	})
	if errs := resp.Packages[0].Errors; len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	imps := resp.Results[0].Imports
	up, _ := span(t, src, "ToUpper(", "ToUpper")
	trim, _ := span(t, src, "TrimSpace(", "TrimSpace")
	eq(t, "dot uses", imps[0].Uses, []int{up, trim})
	eq(t, "dot name", imps[0].LocalName, ".")
	eq(t, "blank", imps[1].Name, "_")
	eq(t, "blank uses", imps[1].Uses, []int{})
	low, _ := span(t, src, "strings.ToLower", "strings")
	eq(t, "plain uses", imps[2].Uses, []int{low})
	names := resp.Results[1].PackageNames
	for _, n := range []string{"a", "strings", "ToUpper", "Builder"} {
		if !contains(names, n) {
			t.Errorf("package_names lacks %q: %v", n, names)
		}
	}
	if contains(names, "_") || contains(names, "unsafe") || contains(names, "toLower") {
		t.Errorf("package_names has unexpected entries: %v", names)
	}
}

func TestPackageNames(t *testing.T) {
	fx := newFixture(t)
	resp := fx.run(t, map[string]any{"id": 0, "kind": "package_names", "file": fx.b})
	want := []string{"Answer", "Bytes", "Celsius", "G", "MyByte", "Plain", "Ptr", "Val",
		"errors", "f", "fmt", "free", "q", "rand", "shadow", "str", "strconv", "use"}
	eq(t, "package_names", resp.Results[0].PackageNames, want)
}

func TestTypeErrorsStillAnswer(t *testing.T) {
	src := `package e

func h() int { return undefinedThing + 1 }

func k() {
	var z int64 = 5
	_ = z /*Z*/
	var s string = 3
}
`
	dir := newModule(t, map[string]string{"e/e.go": src})
	file := filepath.Join(dir, "e", "e.go")
	resp := run(t, map[string]any{
		"packages": []map[string]any{{"id": "example.com/m/e", "name": "e", "files": []string{file}}},
		"queries":  []map[string]any{exprQuery(t, 0, file, src, "_ = z /*Z*/", "z")},
	})
	errs := resp.Packages[0].Errors
	if len(errs) < 2 || !strings.Contains(strings.Join(errs, "\n"), file+":3:23: undefined: undefinedThing") {
		t.Errorf("errors = %q", errs)
	}
	if f := resp.Results[0].Expr; f == nil || f.Type != "int64" {
		t.Errorf("expr = %+v", f)
	}
}

func TestSyntaxErrorOverlayAndMissingExport(t *testing.T) {
	dir := newModule(t, map[string]string{"s/s.go": "package s\n"})
	file := filepath.Join(dir, "s", "s.go")
	overlay := "package s\n\nimport \"fmt\"\n\nfunc a() int { return 1 +  }\n\nvar b = fmt.Sprint(1)\n\nvar c = 2.5\n"
	resp := run(t, map[string]any{
		"packages": []map[string]any{{"id": "example.com/m/s", "files": []string{file}}},
		"overlay":  map[string]string{file: overlay},
		"queries":  []map[string]any{exprQuery(t, 0, file, overlay, "var c = 2.5", "2.5")},
	})
	errs := strings.Join(resp.Packages[0].Errors, "\n")
	if !strings.Contains(errs, "expected operand") || !strings.Contains(errs, `no export data for "fmt"`) {
		t.Errorf("errors = %s", errs)
	}
	if f := resp.Results[0].Expr; f == nil || f.ConstValue != "5/2" || f.Type != "float64" {
		t.Errorf("expr = %+v", f)
	}
}

func TestImportMapAndGoVersion(t *testing.T) {
	src := "package r\n\nimport \"vendored/q\"\n\nvar V q.T\n\nfunc loop() {\n\tfor i := range 3 {\n\t\t_ = i\n\t}\n}\n"
	dir := newModule(t, map[string]string{"q/q.go": srcQ, "r/r.go": src})
	file := filepath.Join(dir, "r", "r.go")
	req := func(goVersion string) testResponse {
		return run(t, map[string]any{
			"packages": []map[string]any{{"id": "example.com/m/r", "files": []string{file},
				"import_map": map[string]string{"vendored/q": "example.com/m/q"}, "go_version": goVersion}},
			"export":  exportData(t, dir, "./q"),
			"queries": []map[string]any{exprQuery(t, 0, file, src, "var V q.T", "V")},
		})
	}
	resp := req("1.22")
	if errs := resp.Packages[0].Errors; len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	eq(t, "type", resp.Results[0].Expr.Type, "example.com/m/q.T")
	resp = req("go1.21")
	if errs := strings.Join(resp.Packages[0].Errors, "\n"); !strings.Contains(errs, "go1.22") {
		t.Errorf("go_version not applied: %q", errs)
	}
}

func TestCgo(t *testing.T) {
	src := `package c

/*
#include <stdlib.h>
static int add(int a, int b) { return a + b; }
*/
import "C"

import "fmt"

func Add() string {
	return fmt.Sprint(int(C.add(1, 2)))
}
`
	dir := newModule(t, map[string]string{"c/c.go": src})
	file := filepath.Join(dir, "c", "c.go")
	resp := run(t, map[string]any{
		"packages": []map[string]any{{"id": "example.com/m/c", "files": []string{file}}},
		"export":   exportData(t, dir, "fmt"),
		"queries": []map[string]any{
			exprQuery(t, 0, file, src, "int(C.add(1, 2))", "int(C.add(1, 2))"),
			{"id": 1, "kind": "imports", "file": file},
			exprQuery(t, 2, file, src, "fmt.Sprint(int(C.add(1, 2)))", "fmt.Sprint(int(C.add(1, 2)))"),
		},
	})
	if errs := resp.Packages[0].Errors; len(errs) != 0 {
		t.Errorf("errors: %q", errs)
	}
	// FakeImportC gives C.x an invalid type; all that matters is that the
	// expression is found and counted as a call.
	if f := resp.Results[0].Expr; f == nil || !f.Found || !f.SideEffects {
		t.Errorf("expr = %+v", f)
	}
	if f := resp.Results[2].Expr; f == nil || f.Type != "string" {
		t.Errorf("expr = %+v", f)
	}
	if imps := resp.Results[1].Imports; len(imps) != 2 || imps[0].LocalName != "C" {
		t.Errorf("imports = %+v", imps)
	}
}

func TestFormat(t *testing.T) {
	in := `{"files":[{"path":"/x/a.go","content":"package a\nfunc  f( ) {x:=1;_=x}\n"},{"path":"/x/b.go","content":"package b\nfunc {"}]}`
	var out bytes.Buffer
	if err := handle("format", strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Files []struct {
			Path    string  `json:"path"`
			Content *string `json:"content"`
			Error   string  `json:"error"`
		} `json:"files"`
	}
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Files) != 2 || resp.Files[0].Content == nil ||
		*resp.Files[0].Content != "package a\n\nfunc f() { x := 1; _ = x }\n" || resp.Files[0].Path != "/x/a.go" {
		t.Errorf("formatted = %+v", resp.Files)
	}
	if resp.Files[1].Content != nil || resp.Files[1].Error == "" {
		t.Errorf("unparsable file = %+v", resp.Files[1])
	}
}

func TestProtocolErrors(t *testing.T) {
	for _, c := range []struct{ cmd, in string }{
		{"frobnicate", "{}"},
		{"typecheck", "{not json"},
		{"typecheck", "{} {}"},
		{"format", `{"files": 3}`},
	} {
		var out bytes.Buffer
		if err := handle(c.cmd, strings.NewReader(c.in), &out); err == nil {
			t.Errorf("%s %q: no error", c.cmd, c.in)
		} else if out.Len() != 0 {
			t.Errorf("%s %q: wrote output despite error", c.cmd, c.in)
		}
	}
	var out bytes.Buffer
	if err := handle("typecheck", strings.NewReader("{}"), &out); err != nil {
		t.Fatal(err)
	}
	eq(t, "empty response", strings.TrimSpace(out.String()), `{"packages":[],"results":[]}`)
}

// ---- type spelling, size, kind, uses ----

const srcStore = `package store

type Item struct{ N int }

type hidden struct{ n int }

func NewHidden() hidden { return hidden{} }

type Big struct {
	a [25]int64
}

type List[T any] struct{ items []T }
`

// srcU imports store under an alias; srcV (same package) does not import it.
const srcU = `package u

import (
	"errors"
	st "example.com/m/store"
)

type Local struct{ A int }

type Pair[K comparable, V any] struct {
	K K
	V V
}

func Items() []*st.Item { return nil }

func Spell(m map[string][]*st.Item, fn func(int) error, send chan<- int, recv <-chan int, ch chan (<-chan int)) {
	it := &st.Item{}
	h := st.NewHidden()
	var big st.Big
	var arr [4]int
	var sl []int
	var mp map[string]int
	var anon struct {
		A int
		b string ` + "`json:\"b\"`" + `
	}
	var loc Local
	var lst st.List[Local]
	var pr Pair[string, *st.Item]
	var e error = errors.New("x")
	var a any
	const r = 'x'
	const fl = 1.5
	_, _, _, _, _, _, _, _, _ = it, h, big, arr, sl, mp, anon, loc, lst /*VALUES*/
	_, _, _ = pr, e, a
	_, _, _, _, _, _, _ = m, fn, send, recv, ch, r, fl /*PARAMS*/
	_ = 42 /*UNTYPED*/
	_ = nil == e /*NIL*/
	_, _ = Sig(1) /*TUPLE*/
	{
		st := 1
		_, _ = st, it /*SHADOWED*/
	}
}

func Gen[T any](xs []T) T {
	v := xs[0]
	return v /*GEN*/
}

func UseGen() int {
	return Gen([]int{1}) /*CALLGEN*/
}

func Sig(a int, b ...string) (*st.Item, error) { return nil, nil }
`

const srcV = `package u

func other() {
	xs := Items()
	_ = xs /*NOIMPORT*/
}
`

// srcW exercises the uses query.
const srcW = `package w

import "fmt"

type S struct {
	f   int
	arr [3]int
	in  Inner
	p   *Inner
}

type Inner struct{ n int }

func (in *Inner) Bump() { in.n++ }

func (s *S) Ptr() {}

func (s S) Val() {}

func helper() int { return 1 }

func Exported() int { return helper() }

type T struct{}

func (t *T) M() int { return helper() + 1 }

var _ = helper

func init() { _ = helper() }

func Closure() func() int {
	x := 1
	f := func() int { return x }
	x = 2
	x++
	return f
}

func Addr() {
	var s S
	p := &s.f
	s.Val()
	s.Ptr()
	q := &s
	_ = s.arr[:]
	s.arr[1] = 2
	s.f = 3
	s.in.Bump()
	s.p.Bump()
	g := s.Ptr
	ps := &S{}
	ps.Ptr()
	ps.f = 4
	_, _, _ = p, q, g
	fmt.Println(s)
}

func Ranges(xs []int, m map[string]int) {
	var k string
	for i, v := range xs {
		_, _ = i, v
	}
	for k = range m {
	}
	_ = k
}

func Switch(x any) int {
	switch v := x.(type) {
	case int:
		return v
	case string:
		return len(v)
	}
	return 0
}
`

// srcZ is another package calling into w: its references count too.
const srcZ = `package z

import "example.com/m/w"

func Z() int { return w.Exported() }
`

type spellFixture struct {
	dir, u, v, w, z string
	exports         map[string]string
}

func newSpellFixture(t *testing.T) *spellFixture {
	dir := newModule(t, map[string]string{
		"store/store.go": srcStore, "u/u.go": srcU, "u/v.go": srcV, "w/w.go": srcW, "z/z.go": srcZ,
	})
	fx := &spellFixture{dir: dir, u: filepath.Join(dir, "u", "u.go"), v: filepath.Join(dir, "u", "v.go"),
		w: filepath.Join(dir, "w", "w.go"), z: filepath.Join(dir, "z", "z.go")}
	fx.exports = exportData(t, dir, "./...")
	return fx
}

func (fx *spellFixture) run(t *testing.T, queries ...map[string]any) testResponse {
	t.Helper()
	resp := run(t, map[string]any{
		"packages": []map[string]any{
			{"id": "example.com/m/u", "name": "u", "files": []string{fx.u, fx.v}, "go_version": "go1.22"},
			{"id": "example.com/m/w", "name": "w", "files": []string{fx.w}, "go_version": "go1.22"},
			{"id": "example.com/m/z", "name": "z", "files": []string{fx.z}, "go_version": "go1.22"},
		},
		"export":  fx.exports,
		"queries": queries,
	})
	for _, p := range resp.Packages {
		if len(p.Errors) != 0 {
			t.Fatalf("unexpected package errors: %+v", resp.Packages)
		}
	}
	return resp
}

func TestTypeSrcSizeKind(t *testing.T) {
	fx := newSpellFixture(t)
	type want struct {
		file, src, context, target string
		typeSrc, elem, key, kind   string
		size                       int64
	}
	const vals = "_, _, _, _, _, _, _, _, _ = it, h, big, arr, sl, mp, anon, loc, lst /*VALUES*/"
	const params = "_, _, _, _, _, _, _ = m, fn, send, recv, ch, r, fl /*PARAMS*/"
	cases := []want{
		// Aliased import: the file's own name for the package.
		{fx.u, srcU, vals, "it", "*st.Item", "st.Item", "", "pointer", 8},
		// Unexported type of another package: not writable here.
		{fx.u, srcU, vals, "h", "", "", "", "struct", 8},
		{fx.u, srcU, vals, "big", "st.Big", "", "", "struct", 200},
		{fx.u, srcU, vals, "arr", "[4]int", "int", "", "array", 32},
		{fx.u, srcU, vals, "sl", "[]int", "int", "", "slice", 24},
		{fx.u, srcU, vals, "mp", "map[string]int", "int", "string", "map", 8},
		{fx.u, srcU, vals, "anon", "struct{A int; b string \"json:\\\"b\\\"\"}", "", "", "struct", 24},
		{fx.u, srcU, vals, "loc", "Local", "", "", "struct", 8},
		{fx.u, srcU, vals, "lst", "st.List[Local]", "", "", "struct", 24},
		{fx.u, srcU, "_, _, _ = pr, e, a", "pr", "Pair[string, *st.Item]", "", "", "struct", 24},
		{fx.u, srcU, "_, _, _ = pr, e, a", "e", "error", "", "", "interface", 16},
		{fx.u, srcU, "_, _, _ = pr, e, a", "a", "any", "", "", "interface", 16},
		{fx.u, srcU, params, "m", "map[string][]*st.Item", "[]*st.Item", "string", "map", 8},
		{fx.u, srcU, params, "fn", "func(int) error", "", "", "signature", 8},
		{fx.u, srcU, params, "send", "chan<- int", "int", "", "chan", 8},
		{fx.u, srcU, params, "recv", "<-chan int", "int", "", "chan", 8},
		{fx.u, srcU, params, "ch", "chan (<-chan int)", "<-chan int", "", "chan", 8},
		// Untyped constants: the default type's spelling.
		{fx.u, srcU, ", r, fl /*PARAMS*/", "r", "rune", "", "", "basic", 4},
		{fx.u, srcU, ", r, fl /*PARAMS*/", "fl", "float64", "", "", "basic", 8},
		{fx.u, srcU, "_ = 42 /*UNTYPED*/", "42", "int", "", "", "basic", 8},
		{fx.u, srcU, "_ = nil == e /*NIL*/", "nil", "", "", "", "basic", 0},
		{fx.u, srcU, "_ = nil == e /*NIL*/", "nil == e", "bool", "", "", "basic", 1},
		// The package name is shadowed where the expression is.
		{fx.u, srcU, "_, _ = st, it /*SHADOWED*/", "it", "", "", "", "pointer", 8},
		// Type parameters of the enclosing function are in scope.
		{fx.u, srcU, "v := xs[0]", "xs", "[]T", "T", "", "slice", 24},
		{fx.u, srcU, "return v /*GEN*/", "v", "T", "", "", "typeparam", 0},
		{fx.u, srcU, "return Gen([]int{1}) /*CALLGEN*/", "Gen([]int{1})", "int", "", "", "basic", 8},
		// The other file of the package does not import store.
		{fx.v, srcV, "_ = xs /*NOIMPORT*/", "xs", "", "", "", "slice", 24},
		// Tuples have no spelling.
		{fx.u, srcU, "_, _ = Sig(1) /*TUPLE*/", "Sig(1)", "", "", "", "tuple", 0},
	}
	var queries []map[string]any
	for i, c := range cases {
		queries = append(queries, exprQuery(t, i, c.file, c.src, c.context, c.target))
	}
	resp := fx.run(t, queries...)
	for i, c := range cases {
		f := resp.Results[i].Expr
		if f == nil || !f.Found {
			t.Errorf("case %d %q: not found: %+v", i, c.target, resp.Results[i])
			continue
		}
		name := c.context + "/" + c.target
		eq(t, name+" type_src", f.TypeSrc, c.typeSrc)
		eq(t, name+" elem_type_src", f.ElemTypeSrc, c.elem)
		eq(t, name+" key_type_src", f.KeyTypeSrc, c.key)
		eq(t, name+" kind", f.Kind, c.kind)
		eq(t, name+" size", f.Size, c.size)
	}
}

func TestSignatureAndExported(t *testing.T) {
	fx := newSpellFixture(t)
	resp := fx.run(t,
		exprQuery(t, 0, fx.u, srcU, "func Sig(a int", "Sig"),
		exprQuery(t, 1, fx.u, srcU, "return Gen([]int{1}) /*CALLGEN*/", "Gen"),
		exprQuery(t, 2, fx.u, srcU, "func Gen[T any](xs []T) T {", "Gen"),
		exprQuery(t, 3, fx.w, srcW, "func (t *T) M() int", "M"),
		exprQuery(t, 4, fx.w, srcW, "func helper() int", "helper"),
		// The same function seen from a file that does not import store.
		exprQuery(t, 5, fx.v, srcV, "xs := Items()", "Items"),
	)
	obj := func(i int) *objectFacts {
		t.Helper()
		f := resp.Results[i].Expr
		if f == nil || f.Object == nil {
			t.Fatalf("query %d: no object: %+v", i, resp.Results[i])
		}
		return f.Object
	}
	eq(t, "Sig", *obj(0), objectFacts{Kind: "func", Pkg: "example.com/m/u", Name: "Sig", Scope: "package", Exported: true,
		Signature: &signatureFacts{Params: []string{"int", "[]string"}, Results: []string{"*st.Item", "error"}, Variadic: true}})
	// At the call site T is out of scope; inside Gen's declaration it is not.
	eq(t, "Gen at call", *obj(1).Signature, signatureFacts{Params: []string{""}, Results: []string{""}})
	eq(t, "Gen at decl", *obj(2).Signature, signatureFacts{Params: []string{"[]T"}, Results: []string{"T"}})
	eq(t, "M", *obj(3), objectFacts{Kind: "func", Pkg: "example.com/m/w", Name: "M", Scope: "member", Exported: true,
		Signature: &signatureFacts{Params: []string{}, Results: []string{"int"}, Recv: "*T", RecvPointer: true}})
	eq(t, "helper exported", obj(4).Exported, false)
	eq(t, "Items from v.go", *obj(5).Signature, signatureFacts{Params: []string{}, Results: []string{""}})
}

// usesOf runs one uses query on srcW at the start of target in context.
func (fx *spellFixture) usesOf(t *testing.T, context, target string) *usesFacts {
	t.Helper()
	s, _ := span(t, srcW, context, target)
	resp := fx.run(t, map[string]any{"id": 0, "kind": "uses", "file": fx.w, "offset": s})
	r := resp.Results[0]
	if r.Uses == nil {
		t.Fatalf("uses %q: %+v", target, r)
	}
	return r.Uses
}

// ref builds the expected reference at target inside context (in srcW).
func (fx *spellFixture) ref(t *testing.T, context, target, fn string, flags ...string) refFacts {
	t.Helper()
	s, _ := span(t, srcW, context, target)
	r := refFacts{File: fx.w, Offset: s, Func: fn}
	for _, f := range flags {
		switch f {
		case "decl":
			r.Decl = true
		case "write":
			r.Write = true
		case "addr":
			r.Addr = true
		case "call":
			r.Call = true
		default:
			t.Fatalf("bad flag %q", f)
		}
	}
	return r
}

func TestUsesClosureWrites(t *testing.T) {
	fx := newSpellFixture(t)
	u := fx.usesOf(t, "f := func() int { return x }", "x")
	eq(t, "object", *u.Object, objectFacts{Kind: "var", Pkg: "example.com/m/w", Name: "x", Scope: "local"})
	decl := fx.ref(t, "x := 1", "x", "Closure", "decl", "write")
	eq(t, "decl", u.Decl, &refPos{File: fx.w, Offset: decl.Offset})
	// The writes after the closure (which captures x) are visible as such.
	eq(t, "refs", u.Refs, []refFacts{
		decl,
		fx.ref(t, "return x }", "x", "Closure"),
		fx.ref(t, "x = 2", "x", "Closure", "write"),
		fx.ref(t, "x++", "x", "Closure", "write"),
	})
	closure, _ := span(t, srcW, "f := func() int { return x }", "func")
	later := 0
	for _, r := range u.Refs {
		if r.Offset > closure && r.Write {
			later++
		}
	}
	eq(t, "writes after the closure", later, 2)
}

func TestUsesAddr(t *testing.T) {
	fx := newSpellFixture(t)
	u := fx.usesOf(t, "var s S", "s")
	eq(t, "refs", u.Refs, []refFacts{
		fx.ref(t, "var s S", "s", "Addr", "decl"),
		fx.ref(t, "p := &s.f", "s", "Addr", "addr"),
		fx.ref(t, "s.Val()", "s", "Addr"),
		// Pointer receiver on an addressable value: implicit &s.
		fx.ref(t, "\ts.Ptr()", "s", "Addr", "addr"),
		fx.ref(t, "q := &s", "s", "Addr", "addr"),
		fx.ref(t, "_ = s.arr[:]", "s", "Addr", "addr"),
		// Assigning into a field or an array element writes s itself.
		fx.ref(t, "s.arr[1] = 2", "s", "Addr", "write"),
		fx.ref(t, "s.f = 3", "s", "Addr", "write"),
		// Bump has a pointer receiver on the embedded value field: &s.in.
		fx.ref(t, "s.in.Bump()", "s", "Addr", "addr"),
		// Through the pointer field p, s's storage is not addressed.
		fx.ref(t, "s.p.Bump()", "s", "Addr"),
		// A method value takes the address just like a call.
		fx.ref(t, "g := s.Ptr", "s", "Addr", "addr"),
		fx.ref(t, "fmt.Println(s)", "s", "Addr"),
	})
	// ps is a pointer: neither ps.Ptr() nor ps.f = 4 address or write ps.
	u = fx.usesOf(t, "ps := &S{}", "ps")
	eq(t, "ps refs", u.Refs, []refFacts{
		fx.ref(t, "ps := &S{}", "ps", "Addr", "decl", "write"),
		fx.ref(t, "ps.Ptr()", "ps", "Addr"),
		fx.ref(t, "ps.f = 4", "ps", "Addr"),
	})
	// The field f: its address is taken once, and it is written twice.
	u = fx.usesOf(t, "	f   int", "f")
	eq(t, "field object", *u.Object, objectFacts{Kind: "var", Pkg: "example.com/m/w", Name: "f", Scope: "member"})
	eq(t, "f refs", u.Refs, []refFacts{
		fx.ref(t, "	f   int", "f", "", "decl"),
		fx.ref(t, "p := &s.f", "f", "Addr", "addr"),
		fx.ref(t, "s.f = 3", "f", "Addr", "write"),
		fx.ref(t, "ps.f = 4", "f", "Addr", "write"),
	})
}

func TestUsesCallsAndFuncNames(t *testing.T) {
	fx := newSpellFixture(t)
	u := fx.usesOf(t, "func helper() int", "helper")
	eq(t, "object", *u.Object, objectFacts{Kind: "func", Pkg: "example.com/m/w", Name: "helper", Scope: "package",
		Exported: false, Signature: &signatureFacts{Params: []string{}, Results: []string{"int"}}})
	eq(t, "refs", u.Refs, []refFacts{
		fx.ref(t, "func helper() int", "helper", "helper", "decl"),
		fx.ref(t, "return helper() }", "helper", "Exported", "call"),
		fx.ref(t, "return helper() + 1", "helper", "(*T).M", "call"),
		fx.ref(t, "var _ = helper", "helper", ""),
		fx.ref(t, "func init() { _ = helper() }", "helper", "init.0", "call"),
	})

	// An exported function: its callers in another requested package count
	// too, although that package sees it through export data.
	u = fx.usesOf(t, "func Exported() int", "Exported")
	eq(t, "exported", u.Object.Exported, true)
	s, _ := span(t, srcZ, "return w.Exported()", "Exported")
	eq(t, "Exported refs", u.Refs, []refFacts{
		fx.ref(t, "func Exported() int", "Exported", "Exported", "decl"),
		{File: fx.z, Offset: s, Call: true, Func: "Z"},
	})

	// A method: the declaring identifier and the receiver's spelling.
	u = fx.usesOf(t, "func (t *T) M() int", "M")
	eq(t, "M signature", *u.Object.Signature, signatureFacts{Params: []string{}, Results: []string{"int"}, Recv: "*T", RecvPointer: true})
	eq(t, "M refs", u.Refs, []refFacts{fx.ref(t, "func (t *T) M() int", "M", "(*T).M", "decl")})

	// Querying from the use finds the same answer.
	u2 := fx.usesOf(t, "return helper() + 1", "helper")
	eq(t, "from a use", len(u2.Refs), 5)
}

func TestUsesRangeSwitchAndErrors(t *testing.T) {
	fx := newSpellFixture(t)
	u := fx.usesOf(t, "var k string", "k")
	eq(t, "k refs", u.Refs, []refFacts{
		fx.ref(t, "var k string", "k", "Ranges", "decl"),
		fx.ref(t, "for k = range m", "k", "Ranges", "write"),
		fx.ref(t, "_ = k", "k", "Ranges"),
	})
	u = fx.usesOf(t, "for i, v := range xs", "v")
	eq(t, "v refs", u.Refs, []refFacts{
		fx.ref(t, "for i, v := range xs", "v", "Ranges", "decl", "write"),
		fx.ref(t, "_, _ = i, v", "v", "Ranges"),
	})
	// A type switch variable: the header declares one object per clause.
	u = fx.usesOf(t, "switch v := x.(type)", "v")
	eq(t, "switch refs", u.Refs, []refFacts{
		fx.ref(t, "switch v := x.(type)", "v", "Switch", "decl"),
		fx.ref(t, "return v\n", "v", "Switch"),
		fx.ref(t, "return len(v)", "v", "Switch"),
	})
	u = fx.usesOf(t, "return len(v)", "v")
	eq(t, "switch clause refs", u.Refs, []refFacts{
		fx.ref(t, "switch v := x.(type)", "v", "Switch", "decl"),
		fx.ref(t, "return len(v)", "v", "Switch"),
	})

	inside, _ := span(t, srcW, "func helper() int", "elper")
	resp := fx.run(t,
		map[string]any{"id": 0, "kind": "uses", "file": fx.w, "offset": inside},
		map[string]any{"id": 1, "kind": "uses", "file": fx.w, "offset": strings.Index(srcW, "w")},
	)
	if r := resp.Results[0]; r.Uses != nil || !strings.Contains(r.Error, "no identifier") {
		t.Errorf("mid-identifier offset: %+v", r)
	}
	if r := resp.Results[1]; r.Uses != nil || !strings.Contains(r.Error, "no object") {
		t.Errorf("package clause name: %+v", r)
	}
}
