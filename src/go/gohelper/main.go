// Command gohelper answers type questions for stackify.
//
// stackify embeds this file and builds it with the user's own Go toolchain,
// so the export data produced by `go list -export` is always readable by the
// go/importer linked in here. It must stay standard-library only and in one
// file. Protocol: `gohelper typecheck|format` reads one JSON request on stdin
// and writes one JSON response on stdout.
//
// The generated go.mod says "go 1.21", so only Go 1.21 APIs are used (go vet
// enforces this); newer concepts such as alias types are reached through
// method sets rather than by name.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gohelper typecheck|format < request.json")
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	err := handle(os.Args[1], bufio.NewReader(os.Stdin), out)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", " ")
		fmt.Fprintln(os.Stderr, "gohelper: "+msg)
		os.Exit(1)
	}
}

// handle runs one command. It returns an error only for protocol problems
// (unknown command, malformed request); problems in the user's code are part
// of the response. Nothing is written to out unless the request was valid.
func handle(cmd string, in io.Reader, out io.Writer) error {
	var resp any
	switch cmd {
	case "typecheck":
		var req typecheckRequest
		if err := decodeRequest(in, &req); err != nil {
			return err
		}
		resp = typecheck(&req)
	case "format":
		var req formatRequest
		if err := decodeRequest(in, &req); err != nil {
			return err
		}
		resp = formatFiles(&req)
	default:
		return fmt.Errorf("unknown command %q (want typecheck or format)", cmd)
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	return enc.Encode(resp)
}

func decodeRequest(in io.Reader, v any) error {
	dec := json.NewDecoder(in)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed request: %v", err)
	}
	// Trailing data would mean the caller and we disagree about framing.
	if err := dec.Decode(&json.RawMessage{}); err != io.EOF {
		return errors.New("malformed request: trailing data after the JSON object")
	}
	return nil
}

// ---- protocol types ----

type typecheckRequest struct {
	Packages []packageRequest  `json:"packages"`
	Export   map[string]string `json:"export"`
	Overlay  map[string]string `json:"overlay"`
	Queries  []query           `json:"queries"`
}

type packageRequest struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Dir       string            `json:"dir"`
	Files     []string          `json:"files"`
	ImportMap map[string]string `json:"import_map"`
	GoVersion string            `json:"go_version"`
}

type query struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	File   string `json:"file"`
	Start  int    `json:"start"`
	End    int    `json:"end"`
	Offset int    `json:"offset"`
	Name   string `json:"name"`
}

type typecheckResponse struct {
	Packages []packageResult `json:"packages"`
	Results  []queryResult   `json:"results"`
}

type packageResult struct {
	ID     string   `json:"id"`
	Errors []string `json:"errors"`
}

type queryResult struct {
	ID           int64          `json:"id"`
	Error        string         `json:"error,omitempty"`
	Expr         any            `json:"expr,omitempty"`
	Scope        *scopeFacts    `json:"scope,omitempty"`
	Imports      *[]importFacts `json:"imports,omitempty"`
	PackageNames *[]string      `json:"package_names,omitempty"`
}

type exprFacts struct {
	Found       bool         `json:"found"`
	Mode        string       `json:"mode"`
	Type        string       `json:"type"`
	Underlying  string       `json:"underlying"`
	Basic       string       `json:"basic"`
	Named       bool         `json:"named"`
	TypeParam   bool         `json:"type_param"`
	Interface   bool         `json:"interface"`
	Pointer     bool         `json:"pointer"`
	SliceOfByte bool         `json:"slice_of_byte"`
	ConstValue  string       `json:"const_value,omitempty"`
	Methods     []string     `json:"methods"`
	Object      *objectFacts `json:"object,omitempty"`
	SideEffects bool         `json:"side_effects"`
}

type exprNotFound struct {
	Found bool `json:"found"`
}

type objectFacts struct {
	Kind  string `json:"kind"`
	Pkg   string `json:"pkg"`
	Name  string `json:"name"`
	Scope string `json:"scope"`
}

type scopeFacts struct {
	Kind         string `json:"kind"`
	PkgPath      string `json:"pkg_path,omitempty"`
	Level        string `json:"level,omitempty"`
	FileConflict bool   `json:"file_conflict,omitempty"`
}

type importFacts struct {
	Name      string `json:"name"`
	Path      string `json:"path"`
	LocalName string `json:"local_name"`
	SpecStart int    `json:"spec_start"`
	SpecEnd   int    `json:"spec_end"`
	Uses      []int  `json:"uses"`
}

type formatRequest struct {
	Files []struct {
		Path    string `json:"path"`
		Content string `json:"content"`
	} `json:"files"`
}

type formatResult struct {
	Path    string  `json:"path"`
	Content *string `json:"content,omitempty"`
	Error   string  `json:"error,omitempty"`
}

type formatResponse struct {
	Files []formatResult `json:"files"`
}

// ---- type checking ----

type pkgState struct {
	path   string
	pkg    *types.Package
	info   *types.Info
	files  []*fileState
	errors []string
}

type fileState struct {
	pkg *pkgState
	ast *ast.File
	tok *token.File

	// Built on first use so that requests without queries for a file pay
	// nothing, and many queries on one file share one walk.
	exprs   map[[2]int]ast.Expr
	imports []importFacts
}

// mappedImporter applies one package's import_map before delegating to the
// importer shared by all packages, so dependencies load once per request.
type mappedImporter struct {
	shared    types.Importer
	importMap map[string]string
}

func (m mappedImporter) Import(path string) (*types.Package, error) {
	return m.ImportFrom(path, "", 0)
}

func (m mappedImporter) ImportFrom(path, dir string, mode types.ImportMode) (*types.Package, error) {
	if mapped, ok := m.importMap[path]; ok && mapped != "" {
		path = mapped
	}
	if from, ok := m.shared.(types.ImporterFrom); ok {
		return from.ImportFrom(path, dir, mode)
	}
	return m.shared.Import(path)
}

func typecheck(req *typecheckRequest) *typecheckResponse {
	fset := token.NewFileSet()
	shared := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file := req.Export[path]
		if file == "" {
			return nil, fmt.Errorf("no export data for %q", path)
		}
		return os.Open(file)
	})
	overlay := make(map[string]string, len(req.Overlay))
	for p, c := range req.Overlay {
		overlay[filepath.Clean(p)] = c
	}

	resp := &typecheckResponse{Packages: []packageResult{}, Results: []queryResult{}}
	byFile := map[string]*fileState{}
	for i := range req.Packages {
		st := checkPackage(fset, shared, overlay, &req.Packages[i])
		resp.Packages = append(resp.Packages, packageResult{ID: req.Packages[i].ID, Errors: st.errors})
		for _, fs := range st.files {
			// A file listed by several packages (e.g. a package and its
			// test variant) is answered from the first one.
			name := filepath.Clean(fset.File(fs.ast.FileStart).Name())
			if byFile[name] == nil {
				byFile[name] = fs
			}
		}
	}
	for _, q := range req.Queries {
		resp.Results = append(resp.Results, answer(byFile, q))
	}
	return resp
}

func checkPackage(fset *token.FileSet, shared types.Importer, overlay map[string]string, p *packageRequest) *pkgState {
	// go list IDs of test variants look like "p [p.test]"; the package
	// path is the part before the bracket.
	path := p.ID
	if i := strings.Index(path, " ["); i >= 0 {
		path = path[:i]
	}
	st := &pkgState{path: path, errors: []string{}}
	var files []*ast.File
	for _, name := range p.Files {
		var src []byte
		if c, ok := overlay[filepath.Clean(name)]; ok {
			src = []byte(c)
		} else {
			b, err := os.ReadFile(name)
			if err != nil {
				st.errors = append(st.errors, err.Error())
				continue
			}
			src = b
		}
		// SkipObjectResolution: go/types does its own resolution, and the
		// legacy ast.Object pass is pure overhead.
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			var list scanner.ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					st.errors = append(st.errors, e.Error())
				}
			} else {
				st.errors = append(st.errors, err.Error())
			}
		}
		if f == nil {
			continue
		}
		files = append(files, f)
		st.files = append(st.files, &fileState{pkg: st, ast: f, tok: fset.File(f.FileStart)})
	}

	st.info = &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Implicits:  map[ast.Node]types.Object{},
		Scopes:     map[ast.Node]*types.Scope{},
	}
	if len(files) == 0 {
		st.pkg = types.NewPackage(path, p.Name)
		return st
	}
	goVersion := strings.TrimSpace(p.GoVersion)
	if goVersion != "" && !strings.HasPrefix(goVersion, "go") {
		goVersion = "go" + goVersion // go.mod spelling ("1.22")
	}
	if goVersion != "" && !goVersionRE.MatchString(goVersion) {
		// An invalid version makes go/types refuse the whole package;
		// checking with the toolchain default is more useful.
		st.errors = append(st.errors, fmt.Sprintf("ignoring invalid go_version %q", p.GoVersion))
		goVersion = ""
	}
	conf := &types.Config{
		GoVersion:   goVersion,
		Importer:    mappedImporter{shared: shared, importMap: p.ImportMap},
		FakeImportC: true,
		Sizes:       types.SizesFor("gc", runtime.GOARCH),
		Error:       func(err error) { st.errors = append(st.errors, err.Error()) },
	}
	// The package name comes from the files, as for the compiler; a wrong
	// "name" in the request must not make go/types drop every file.
	st.pkg = types.NewPackage(path, "")
	func() {
		// Partial results stay usable if go/types trips over broken code.
		defer func() {
			if r := recover(); r != nil {
				st.errors = append(st.errors, fmt.Sprintf("internal error: type checker panicked: %v", r))
			}
		}()
		_ = types.NewChecker(conf, fset, st.pkg, st.info).Files(files) // errors arrive via conf.Error
	}()
	return st
}

// goVersionRE accepts what go/version.IsValid accepts (not available in
// Go 1.21): go1, go1.N, go1.N.P, and go1.NrcK / go1.NbetaK.
var goVersionRE = regexp.MustCompile(`^go1(\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)|(rc|beta)[1-9][0-9]*)?)?$`)

func answer(byFile map[string]*fileState, q query) queryResult {
	res := queryResult{ID: q.ID}
	fs := byFile[filepath.Clean(q.File)]
	if fs == nil {
		res.Error = fmt.Sprintf("file %q is not part of any requested package", q.File)
		return res
	}
	switch q.Kind {
	case "expr":
		res.Expr = fs.exprQuery(q.Start, q.End)
	case "scope":
		sf, err := fs.scopeQuery(q.Offset, q.Name)
		if err != nil {
			res.Error = err.Error()
		} else {
			res.Scope = sf
		}
	case "imports":
		imps := fs.importFacts()
		res.Imports = &imps
	case "package_names":
		names := fs.pkg.packageNames()
		res.PackageNames = &names
	default:
		res.Error = fmt.Sprintf("unknown query kind %q", q.Kind)
	}
	return res
}

// offset converts pos to a byte offset in f, or -1 if pos is not in f.
func (fs *fileState) offset(pos token.Pos) int {
	base := fs.tok.Base()
	if !pos.IsValid() || int(pos) < base || int(pos) > base+fs.tok.Size() {
		return -1
	}
	return int(pos) - base
}

func (fs *fileState) qualifier(p *types.Package) string {
	if p == fs.pkg.pkg {
		return ""
	}
	return p.Path()
}

// ---- expr ----

func (fs *fileState) exprQuery(start, end int) any {
	if fs.exprs == nil {
		fs.exprs = map[[2]int]ast.Expr{}
		ast.Inspect(fs.ast, func(n ast.Node) bool {
			if e, ok := n.(ast.Expr); ok {
				s, t := fs.offset(e.Pos()), fs.offset(e.End())
				key := [2]int{s, t}
				// Preorder: the first node seen with a span is the outermost.
				if _, dup := fs.exprs[key]; s >= 0 && t >= 0 && !dup {
					fs.exprs[key] = e
				}
			}
			return true
		})
	}
	e := fs.exprs[[2]int{start, end}]
	if e == nil {
		return exprNotFound{}
	}
	info := fs.pkg.info
	f := &exprFacts{Found: true, Mode: "invalid", Methods: []string{}}
	obj := objectOf(info, e)
	var t types.Type
	if tv, ok := info.Types[e]; ok {
		f.Mode = modeOf(tv)
		t = tv.Type
		if tv.Value != nil {
			f.ConstValue = tv.Value.ExactString()
		}
	} else if obj != nil {
		// Defining identifiers, selector names and package names have no
		// Types entry; their object still tells what they are.
		t = obj.Type()
		switch o := obj.(type) {
		case *types.Var:
			f.Mode = "variable"
		case *types.Const:
			f.Mode = "constant"
			if o.Val() != nil {
				f.ConstValue = o.Val().ExactString()
			}
		case *types.TypeName:
			f.Mode = "type"
		case *types.Builtin:
			f.Mode = "builtin"
		case *types.PkgName, *types.Label:
			f.Mode = "novalue"
			t = nil
		default:
			f.Mode = "value"
		}
	}
	if f.Mode == "void" {
		t = nil
	}
	fs.describeType(f, t)
	if obj != nil {
		f.Object = describeObject(obj)
	}
	f.SideEffects = hasSideEffects(info, e)
	return f
}

// modeOf reconstructs the operand mode from the public predicates; go/types
// does not export the mode itself.
func modeOf(tv types.TypeAndValue) string {
	switch {
	case tv.IsVoid():
		return "void"
	case tv.IsType():
		return "type"
	case tv.IsBuiltin():
		return "builtin"
	case tv.Value != nil:
		return "constant"
	case tv.HasOk() && tv.Assignable():
		return "mapindex"
	case tv.HasOk():
		return "commaok"
	case tv.Addressable():
		return "variable"
	case tv.IsValue():
		return "value"
	}
	return "invalid"
}

var fmtMethodNames = []string{"Error", "Format", "GoString", "String"} // sorted

func (fs *fileState) describeType(f *exprFacts, t types.Type) {
	if t == nil {
		return
	}
	if tup, ok := t.(*types.Tuple); ok && tup.Len() == 0 {
		return
	}
	f.Type = types.TypeString(t, fs.qualifier)
	u := t.Underlying()
	f.Underlying = types.TypeString(u, fs.qualifier)
	if b, ok := u.(*types.Basic); ok {
		f.Basic = b.Name()
	}
	switch unalias(t).(type) {
	case *types.Named:
		f.Named = true
	case *types.TypeParam:
		f.TypeParam = true
	}
	_, f.Interface = u.(*types.Interface)
	_, f.Pointer = u.(*types.Pointer)
	if s, ok := u.(*types.Slice); ok {
		elem, isBasic := unalias(s.Elem()).(*types.Basic)
		f.SliceOfByte = isBasic && elem.Kind() == types.Uint8
	}
	if _, ok := t.(*types.Tuple); ok {
		return
	}
	// Both method sets: the caller wants to know whether fmt could find
	// the method on a value or on its address, whatever the signature.
	for _, mt := range []types.Type{t, types.NewPointer(t)} {
		ms := types.NewMethodSet(mt)
		for _, name := range fmtMethodNames {
			if ms.Lookup(nil, name) != nil && !contains(f.Methods, name) {
				f.Methods = append(f.Methods, name)
			}
		}
	}
	sort.Strings(f.Methods)
}

// unalias is types.Unalias (Go 1.22+). *types.Alias is recognised by its
// Rhs method so that this file still builds against the Go 1.21 API; with
// GODEBUG=gotypesalias=0 (the default for a go1.21 module before Go 1.27)
// no aliases exist and this is the identity.
func unalias(t types.Type) types.Type {
	for {
		a, ok := t.(interface{ Rhs() types.Type })
		if !ok {
			return t
		}
		t = a.Rhs()
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func objectOf(info *types.Info, e ast.Expr) types.Object {
	switch e := e.(type) {
	case *ast.Ident:
		if o := info.Uses[e]; o != nil {
			return o
		}
		return info.Defs[e]
	case *ast.SelectorExpr:
		if sel := info.Selections[e]; sel != nil {
			return sel.Obj()
		}
		return info.Uses[e.Sel]
	}
	return nil
}

func describeObject(obj types.Object) *objectFacts {
	of := &objectFacts{Kind: objectKind(obj), Name: obj.Name(), Scope: objectLevel(obj)}
	if pn, ok := obj.(*types.PkgName); ok {
		of.Pkg = pn.Imported().Path()
	} else if obj.Pkg() != nil {
		of.Pkg = obj.Pkg().Path()
	}
	return of
}

func objectKind(obj types.Object) string {
	switch obj.(type) {
	case *types.Func:
		return "func"
	case *types.Var:
		return "var"
	case *types.Const:
		return "const"
	case *types.TypeName:
		return "type"
	case *types.PkgName:
		return "pkgname"
	case *types.Builtin:
		return "builtin"
	case *types.Nil:
		return "nil"
	case *types.Label:
		return "label"
	}
	return "unknown"
}

func objectLevel(obj types.Object) string {
	if obj.Parent() == nil {
		return "member" // fields, methods, and other objects in no scope
	}
	return scopeLevel(obj.Parent(), obj.Pkg())
}

func scopeLevel(s *types.Scope, pkg *types.Package) string {
	switch {
	case s == types.Universe:
		return "universe"
	case pkg != nil && s == pkg.Scope():
		return "package"
	case s.Parent() != nil && s.Parent().Parent() == types.Universe:
		// Only file scopes hang directly off a package scope.
		return "file"
	}
	return "local"
}

var pureBuiltins = map[string]bool{
	"len": true, "cap": true, "min": true, "max": true,
	"real": true, "imag": true, "complex": true,
	// package unsafe
	"Sizeof": true, "Alignof": true, "Offsetof": true,
	"String": true, "StringData": true, "Slice": true, "SliceData": true,
}

// hasSideEffects is deliberately conservative: any call that is not a
// conversion or a pure builtin counts, as does any receive, and calls
// inside function literals count too.
func hasSideEffects(info *types.Info, e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if !isPureCall(info, n) {
				found = true
			}
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				found = true
			}
		}
		return !found
	})
	return found
}

func isPureCall(info *types.Info, call *ast.CallExpr) bool {
	if tv, ok := info.Types[call.Fun]; ok && tv.IsType() {
		return true
	}
	fun := call.Fun
	for {
		p, ok := fun.(*ast.ParenExpr)
		if !ok {
			break
		}
		fun = p.X
	}
	var id *ast.Ident
	switch f := fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	}
	if id == nil {
		return false
	}
	b, ok := info.Uses[id].(*types.Builtin)
	return ok && pureBuiltins[b.Name()]
}

// ---- scope ----

func (fs *fileState) scopeQuery(offset int, name string) (*scopeFacts, error) {
	if offset < 0 || offset > fs.tok.Size() {
		return nil, fmt.Errorf("offset %d out of range for %s (size %d)", offset, fs.tok.Name(), fs.tok.Size())
	}
	pos := fs.tok.Pos(offset)
	pkg := fs.pkg.pkg
	scope := pkg.Scope().Innermost(pos)
	if scope == nil {
		scope = fs.pkg.info.Scopes[fs.ast]
	}
	if scope == nil {
		scope = pkg.Scope() // type checking never reached this file
	}
	s, obj := scope.LookupParent(name, pos)
	if obj == nil {
		sf := &scopeFacts{Kind: "none"}
		for _, other := range fs.pkg.files {
			if other == fs {
				continue
			}
			for _, imp := range other.importFacts() {
				if imp.LocalName == name && imp.Name != "_" && imp.Name != "." {
					sf.FileConflict = true
				}
			}
		}
		return sf, nil
	}
	// The level is that of the scope the name was found in, so a
	// dot-imported name reports "file" (where it is visible from).
	sf := &scopeFacts{Kind: objectKind(obj), Level: scopeLevel(s, pkg)}
	if pn, ok := obj.(*types.PkgName); ok {
		sf.PkgPath = pn.Imported().Path()
	}
	return sf, nil
}

// ---- imports ----

func (fs *fileState) importFacts() []importFacts {
	if fs.imports != nil {
		return fs.imports
	}
	info := fs.pkg.info

	// One walk collects the uses of every import of this file. Selector
	// names are skipped: x.F never uses a dot import even if F belongs to
	// the dot-imported package.
	byPkgName := map[*types.PkgName][]int{}
	byPkg := map[*types.Package][]int{}
	sels := map[*ast.Ident]bool{}
	ast.Inspect(fs.ast, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			sels[n.Sel] = true
		case *ast.Ident:
			obj := info.Uses[n]
			if obj == nil || sels[n] {
				break
			}
			off := fs.offset(n.Pos())
			if pn, ok := obj.(*types.PkgName); ok {
				byPkgName[pn] = append(byPkgName[pn], off)
			} else if p := obj.Pkg(); p != nil && p != fs.pkg.pkg && obj.Parent() == p.Scope() {
				byPkg[p] = append(byPkg[p], off)
			}
		}
		return true
	})

	facts := []importFacts{}
	for _, spec := range fs.ast.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			path = spec.Path.Value
		}
		f := importFacts{Path: path, SpecStart: fs.offset(spec.Pos()), SpecEnd: fs.offset(spec.End()), Uses: []int{}}
		var pn *types.PkgName
		if spec.Name != nil {
			f.Name = spec.Name.Name
			f.LocalName = spec.Name.Name
			pn, _ = info.Defs[spec.Name].(*types.PkgName)
		} else {
			pn, _ = info.Implicits[spec].(*types.PkgName)
			if pn != nil {
				f.LocalName = pn.Imported().Name()
			} else {
				f.LocalName = path[strings.LastIndex(path, "/")+1:]
			}
		}
		if pn != nil {
			uses := byPkgName[pn]
			if f.Name == "." {
				uses = byPkg[pn.Imported()]
			}
			f.Uses = append(f.Uses, uses...)
			sort.Ints(f.Uses)
		}
		facts = append(facts, f)
	}
	fs.imports = facts
	return facts
}

// ---- package_names ----

func (ps *pkgState) packageNames() []string {
	names := append([]string{}, ps.pkg.Scope().Names()...)
	for _, fs := range ps.files {
		for i, imp := range fs.importFacts() {
			switch imp.Name {
			case "_":
			case ".":
				// Dot imports put every exported name of the package in
				// file scope; include them so the answer stays a superset.
				if pn, ok := ps.info.Defs[fs.ast.Imports[i].Name].(*types.PkgName); ok {
					for _, n := range pn.Imported().Scope().Names() {
						if token.IsExported(n) {
							names = append(names, n)
						}
					}
				}
			default:
				names = append(names, imp.LocalName)
			}
		}
	}
	sort.Strings(names)
	out := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			out = append(out, n)
		}
	}
	return out
}

// ---- format ----

func formatFiles(req *formatRequest) *formatResponse {
	resp := &formatResponse{Files: []formatResult{}}
	for _, f := range req.Files {
		r := formatResult{Path: f.Path}
		out, err := format.Source([]byte(f.Content))
		if err != nil {
			r.Error = err.Error()
		} else {
			s := string(out)
			r.Content = &s
		}
		resp.Files = append(resp.Files, r)
	}
	return resp
}
