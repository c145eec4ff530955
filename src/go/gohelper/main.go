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
	Uses         *usesFacts     `json:"uses,omitempty"`
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
	// TypeSrc spells the type as Go source valid at the expression's
	// position in its file ("" when it cannot be written there); ElemTypeSrc
	// and KeyTypeSrc do the same for the element and map key types.
	TypeSrc     string `json:"type_src"`
	Size        int64  `json:"size"`
	ElemTypeSrc string `json:"elem_type_src"`
	KeyTypeSrc  string `json:"key_type_src"`
	// Kind is the coarse kind of the underlying type (see typeKind).
	Kind string `json:"kind"`
}

type exprNotFound struct {
	Found bool `json:"found"`
}

type objectFacts struct {
	Kind      string          `json:"kind"`
	Pkg       string          `json:"pkg"`
	Name      string          `json:"name"`
	Scope     string          `json:"scope"`
	Exported  bool            `json:"exported"`
	Signature *signatureFacts `json:"signature,omitempty"`
}

// signatureFacts spells a func's parameter, result and receiver types like
// exprFacts.TypeSrc. A variadic func's last parameter is spelled as the
// slice type it has inside the function ("[]T", not "...T").
type signatureFacts struct {
	Params   []string `json:"params"`
	Results  []string `json:"results"`
	Variadic bool     `json:"variadic"`
	Recv     string   `json:"recv"`
	// RecvPointer: the method's receiver is a pointer (*T), known even when
	// Recv cannot be spelled in the file.
	RecvPointer bool `json:"recv_pointer,omitempty"`
}

type usesFacts struct {
	Object *objectFacts `json:"object"`
	// Decl is where the object is declared, when that is in one of the
	// requested packages (null otherwise, e.g. for imported objects).
	Decl *refPos    `json:"decl"`
	Refs []refFacts `json:"refs"`
}

type refPos struct {
	File   string `json:"file"`
	Offset int    `json:"offset"`
}

type refFacts struct {
	File   string `json:"file"`
	Offset int    `json:"offset"`
	Decl   bool   `json:"decl"`
	Write  bool   `json:"write"`
	Addr   bool   `json:"addr"`
	Call   bool   `json:"call"`
	Func   string `json:"func"`
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
	sizes  types.Sizes
	files  []*fileState
	errors []string

	refIdx *refIndex // built by the first uses query that needs it
}

type fileState struct {
	pkg *pkgState
	ast *ast.File
	tok *token.File

	// Built on first use so that requests without queries for a file pay
	// nothing, and many queries on one file share one walk.
	exprs   map[[2]int]ast.Expr
	imports []importFacts
	idents  map[int]*ast.Ident // by start offset; filled by pkgState.refs
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
	var pkgs []*pkgState
	for i := range req.Packages {
		st := checkPackage(fset, shared, overlay, &req.Packages[i])
		pkgs = append(pkgs, st)
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
		resp.Results = append(resp.Results, answer(byFile, pkgs, q))
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
	sizes := types.SizesFor("gc", runtime.GOARCH)
	if sizes == nil {
		sizes = &types.StdSizes{WordSize: 8, MaxAlign: 8}
	}
	st := &pkgState{path: path, sizes: sizes, errors: []string{}}
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
		Instances:  map[*ast.Ident]types.Instance{},
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
		Sizes:       sizes,
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

func answer(byFile map[string]*fileState, pkgs []*pkgState, q query) queryResult {
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
	case "uses":
		uf, err := fs.usesQuery(q.Offset, pkgs)
		if err != nil {
			res.Error = err.Error()
		} else {
			res.Uses = uf
		}
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
	sp := fs.speller(e.Pos())
	fs.describeType(f, t, sp)
	if obj != nil {
		f.Object = describeObject(obj, fs.objectSpeller(e))
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

func (fs *fileState) describeType(f *exprFacts, t types.Type, sp *typeSpeller) {
	if t == nil {
		return
	}
	if tup, ok := t.(*types.Tuple); ok && tup.Len() == 0 {
		return
	}
	f.Kind = typeKind(t)
	// An untyped constant is described by the type it gets by default
	// ("int" for 42), which is what a rewrite declaring it would write.
	typed := t
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		typed = types.Default(b)
	}
	f.TypeSrc = sp.spell(typed)
	f.Size = fs.pkg.sizeof(typed)
	switch u := typed.Underlying().(type) {
	case *types.Slice:
		f.ElemTypeSrc = sp.spell(u.Elem())
	case *types.Array:
		f.ElemTypeSrc = sp.spell(u.Elem())
	case *types.Pointer:
		f.ElemTypeSrc = sp.spell(u.Elem())
	case *types.Chan:
		f.ElemTypeSrc = sp.spell(u.Elem())
	case *types.Map:
		f.ElemTypeSrc = sp.spell(u.Elem())
		f.KeyTypeSrc = sp.spell(u.Key())
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

// describeObject describes obj; types in a func's signature are spelled
// for the file and position of sp.
func describeObject(obj types.Object, sp *typeSpeller) *objectFacts {
	of := &objectFacts{Kind: objectKind(obj), Name: obj.Name(), Scope: objectLevel(obj), Exported: obj.Exported()}
	if pn, ok := obj.(*types.PkgName); ok {
		of.Pkg = pn.Imported().Path()
	} else if obj.Pkg() != nil {
		of.Pkg = obj.Pkg().Path()
	}
	if fn, ok := obj.(*types.Func); ok {
		if sig, ok := fn.Type().(*types.Signature); ok {
			of.Signature = sp.signature(sig)
		}
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
	s, obj := fs.scopeAt(pos).LookupParent(name, pos)
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

// scopeAt is the innermost scope at pos in fs.
func (fs *fileState) scopeAt(pos token.Pos) *types.Scope {
	scope := fs.pkg.pkg.Scope().Innermost(pos)
	if scope == nil {
		scope = fs.pkg.info.Scopes[fs.ast]
	}
	if scope == nil {
		scope = fs.pkg.pkg.Scope() // type checking never reached this file
	}
	return scope
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

// ---- type spelling ----

// typeSpeller writes types as Go source that is valid at one position of
// one file: other packages are qualified by the name this file imports them
// under, and every name used must resolve to the same object at that
// position (so shadowed names, unimported packages, unexported types of
// other packages and type parameters out of scope make the spelling fail).
type typeSpeller struct {
	fs    *fileState
	pos   token.Pos
	scope *types.Scope
}

func (fs *fileState) speller(pos token.Pos) *typeSpeller {
	return &typeSpeller{fs: fs, pos: pos, scope: fs.scopeAt(pos)}
}

// objectSpeller spells the facts of the object e denotes. On the name of a
// function declaration that is the position right after its type
// parameters, so that the signature is written as inside the declaration
// (where they are in scope); elsewhere it is e's position.
func (fs *fileState) objectSpeller(e ast.Expr) *typeSpeller {
	if id, ok := e.(*ast.Ident); ok {
		for _, d := range fs.ast.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name == id && fd.Type.Params != nil {
				return fs.speller(fd.Type.Params.Pos())
			}
		}
	}
	return fs.speller(e.Pos())
}

// spell returns the spelling of t, or "" when it cannot be written here.
func (sp *typeSpeller) spell(t types.Type) string {
	if t == nil {
		return ""
	}
	var b strings.Builder
	if !sp.write(&b, t) {
		return ""
	}
	return b.String()
}

func (sp *typeSpeller) signature(sig *types.Signature) *signatureFacts {
	sf := &signatureFacts{Params: []string{}, Results: []string{}, Variadic: sig.Variadic()}
	for i := 0; i < sig.Params().Len(); i++ {
		sf.Params = append(sf.Params, sp.spell(sig.Params().At(i).Type()))
	}
	for i := 0; i < sig.Results().Len(); i++ {
		sf.Results = append(sf.Results, sp.spell(sig.Results().At(i).Type()))
	}
	if r := sig.Recv(); r != nil {
		sf.Recv = sp.spell(r.Type())
		_, sf.RecvPointer = r.Type().(*types.Pointer)
	}
	return sf
}

// visible reports whether name, looked up at the speller's position,
// resolves to obj.
func (sp *typeSpeller) visible(name string, obj types.Object) bool {
	_, found := sp.scope.LookupParent(name, sp.pos)
	return found != nil && found == obj
}

// importName is the name under which the file refers to pkg at the
// speller's position: "" when it does not (not imported, blank or dot
// import, or the name is shadowed).
func (sp *typeSpeller) importName(pkg *types.Package) string {
	info := sp.fs.pkg.info
	for _, spec := range sp.fs.ast.Imports {
		var pn *types.PkgName
		if spec.Name != nil {
			pn, _ = info.Defs[spec.Name].(*types.PkgName)
		} else {
			pn, _ = info.Implicits[spec].(*types.PkgName)
		}
		if pn == nil || pn.Name() == "_" || pn.Name() == "." || pn.Imported().Path() != pkg.Path() {
			continue
		}
		if sp.visible(pn.Name(), pn) {
			return pn.Name()
		}
	}
	return ""
}

// writeObjName writes the name of a type (or alias) object as this file
// must spell it.
func (sp *typeSpeller) writeObjName(b *strings.Builder, obj *types.TypeName) bool {
	pkg := obj.Pkg()
	switch {
	case pkg == nil || pkg.Path() == sp.fs.pkg.pkg.Path():
		// Universe (error, any, comparable) or this package, including
		// types declared in functions: the plain name must reach obj.
		if !sp.visible(obj.Name(), obj) {
			return false
		}
	case !obj.Exported():
		return false
	default:
		if q := sp.importName(pkg); q != "" {
			b.WriteString(q)
			b.WriteByte('.')
		} else if !sp.visible(obj.Name(), obj) { // dot import
			return false
		}
	}
	b.WriteString(obj.Name())
	return true
}

func (sp *typeSpeller) writeTypeArgs(b *strings.Builder, targs *types.TypeList) bool {
	if targs == nil || targs.Len() == 0 {
		return true
	}
	b.WriteByte('[')
	for i := 0; i < targs.Len(); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if !sp.write(b, targs.At(i)) {
			return false
		}
	}
	b.WriteByte(']')
	return true
}

func (sp *typeSpeller) write(b *strings.Builder, t types.Type) bool {
	switch t := t.(type) {
	case *types.Basic:
		if t.Info()&types.IsUntyped != 0 {
			d := types.Default(t)
			if d == t {
				return false // untyped nil
			}
			return sp.write(b, d)
		}
		switch t.Kind() {
		case types.Invalid:
			return false
		case types.UnsafePointer:
			q := sp.importName(types.Unsafe)
			if q == "" {
				return false
			}
			b.WriteString(q + ".Pointer")
			return true
		}
		// Predeclared, including the byte and rune aliases (whose
		// Basic carries that name).
		if !sp.visible(t.Name(), types.Universe.Lookup(t.Name())) {
			return false
		}
		b.WriteString(t.Name())
		return true
	case *types.Pointer:
		b.WriteByte('*')
		return sp.write(b, t.Elem())
	case *types.Slice:
		b.WriteString("[]")
		return sp.write(b, t.Elem())
	case *types.Array:
		b.WriteString("[" + strconv.FormatInt(t.Len(), 10) + "]")
		return sp.write(b, t.Elem())
	case *types.Map:
		b.WriteString("map[")
		if !sp.write(b, t.Key()) {
			return false
		}
		b.WriteByte(']')
		return sp.write(b, t.Elem())
	case *types.Chan:
		parens := false
		switch t.Dir() {
		case types.SendRecv:
			b.WriteString("chan ")
			// chan (<-chan T) needs the parentheses.
			if c, ok := t.Elem().(*types.Chan); ok && c.Dir() == types.RecvOnly {
				parens = true
			}
		case types.SendOnly:
			b.WriteString("chan<- ")
		case types.RecvOnly:
			b.WriteString("<-chan ")
		}
		if parens {
			b.WriteByte('(')
		}
		if !sp.write(b, t.Elem()) {
			return false
		}
		if parens {
			b.WriteByte(')')
		}
		return true
	case *types.Struct:
		b.WriteString("struct{")
		for i := 0; i < t.NumFields(); i++ {
			f := t.Field(i)
			if !sp.ownName(f) {
				return false
			}
			if i > 0 {
				b.WriteString("; ")
			}
			if !f.Embedded() {
				b.WriteString(f.Name() + " ")
			}
			if !sp.write(b, f.Type()) {
				return false
			}
			if tag := t.Tag(i); tag != "" {
				b.WriteString(" " + strconv.Quote(tag))
			}
		}
		b.WriteByte('}')
		return true
	case *types.Signature:
		if t.TypeParams().Len() > 0 {
			return false // a generic func type has no spelling
		}
		b.WriteString("func")
		return sp.writeSignature(b, t)
	case *types.Interface:
		if anyObj := types.Universe.Lookup("any"); anyObj != nil && t == anyObj.Type() {
			if sp.visible("any", anyObj) {
				b.WriteString("any")
				return true
			}
		}
		b.WriteString("interface{")
		n := 0
		for i := 0; i < t.NumEmbeddeds(); i++ {
			if n > 0 {
				b.WriteString("; ")
			}
			n++
			if !sp.write(b, t.EmbeddedType(i)) {
				return false
			}
		}
		for i := 0; i < t.NumExplicitMethods(); i++ {
			m := t.ExplicitMethod(i)
			sig, ok := m.Type().(*types.Signature)
			if !ok || !sp.ownName(m) {
				return false
			}
			if n > 0 {
				b.WriteString("; ")
			}
			n++
			b.WriteString(m.Name())
			if !sp.writeSignature(b, sig) {
				return false
			}
		}
		b.WriteByte('}')
		return true
	case *types.Union:
		for i := 0; i < t.Len(); i++ {
			if i > 0 {
				b.WriteString(" | ")
			}
			if t.Term(i).Tilde() {
				b.WriteByte('~')
			}
			if !sp.write(b, t.Term(i).Type()) {
				return false
			}
		}
		return true
	case *types.Named:
		return sp.writeObjName(b, t.Obj()) && sp.writeTypeArgs(b, t.TypeArgs())
	case *types.TypeParam:
		// In scope only where its declaration is (the enclosing generic
		// function or method); LookupParent checks exactly that.
		if !sp.visible(t.Obj().Name(), t.Obj()) {
			return false
		}
		b.WriteString(t.Obj().Name())
		return true
	case *types.Tuple:
		return false
	}
	// *types.Alias (Go 1.22+), reached through its methods so that this
	// file builds against the Go 1.21 API: its own name when this file can
	// write it, else what it stands for.
	if a, ok := t.(interface {
		Obj() *types.TypeName
		Rhs() types.Type
	}); ok {
		var name strings.Builder
		ok := sp.writeObjName(&name, a.Obj())
		if ta, isGeneric := t.(interface{ TypeArgs() *types.TypeList }); ok && isGeneric {
			ok = sp.writeTypeArgs(&name, ta.TypeArgs())
		}
		if ok {
			b.WriteString(name.String())
			return true
		}
		return sp.write(b, a.Rhs())
	}
	return false
}

// ownName reports whether a field or method name written in a struct or
// interface literal here denotes the same name: an unexported name belongs
// to the package that declared it.
func (sp *typeSpeller) ownName(obj types.Object) bool {
	return obj.Exported() || obj.Pkg() == nil || obj.Pkg().Path() == sp.fs.pkg.pkg.Path()
}

// writeSignature writes "(params) results" without the func keyword.
func (sp *typeSpeller) writeSignature(b *strings.Builder, sig *types.Signature) bool {
	b.WriteByte('(')
	params := sig.Params()
	for i := 0; i < params.Len(); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		t := params.At(i).Type()
		if sig.Variadic() && i == params.Len()-1 {
			s, ok := t.(*types.Slice)
			if !ok {
				return false // append([]byte, string...) style: builtins only
			}
			b.WriteString("...")
			t = s.Elem()
		}
		if !sp.write(b, t) {
			return false
		}
	}
	b.WriteByte(')')
	results := sig.Results()
	switch results.Len() {
	case 0:
	case 1:
		b.WriteByte(' ')
		return sp.write(b, results.At(0).Type())
	default:
		b.WriteString(" (")
		for i := 0; i < results.Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			if !sp.write(b, results.At(i).Type()) {
				return false
			}
		}
		b.WriteByte(')')
	}
	return true
}

// typeKind is the coarse kind of t's underlying type; a type parameter is
// "typeparam" (its underlying type would be its constraint).
func typeKind(t types.Type) string {
	if t == nil {
		return ""
	}
	switch unalias(t).(type) {
	case *types.TypeParam:
		return "typeparam"
	case *types.Tuple:
		return "tuple"
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		if u.Kind() == types.Invalid {
			return ""
		}
		return "basic"
	case *types.Slice:
		return "slice"
	case *types.Array:
		return "array"
	case *types.Map:
		return "map"
	case *types.Pointer:
		return "pointer"
	case *types.Struct:
		return "struct"
	case *types.Interface:
		return "interface"
	case *types.Signature:
		return "signature"
	case *types.Chan:
		return "chan"
	}
	return ""
}

// sizeof is the gc size of t for the helper's GOARCH, or 0 when t has no
// fixed size (type parameters inside, invalid or untyped types, tuples).
func (ps *pkgState) sizeof(t types.Type) (size int64) {
	if t == nil || !fixedSize(t, 0) {
		return 0
	}
	defer func() {
		if recover() != nil {
			size = 0
		}
	}()
	if s := ps.sizes.Sizeof(t); s > 0 {
		return s
	}
	return 0
}

func fixedSize(t types.Type, depth int) bool {
	if depth > 64 {
		return false // invalid recursive types
	}
	switch unalias(t).(type) {
	case *types.TypeParam, *types.Tuple:
		return false
	}
	switch u := t.Underlying().(type) {
	case *types.Basic:
		return u.Kind() != types.Invalid && u.Info()&types.IsUntyped == 0
	case *types.Array:
		return fixedSize(u.Elem(), depth+1)
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if !fixedSize(u.Field(i).Type(), depth+1) {
				return false
			}
		}
	}
	return true
}

// ---- uses ----

// refIndex lists, for one package, every identifier that refers to each
// object, with what the reference does.
type refIndex struct {
	byObj map[types.Object][]refFacts
	// byKey finds this package's objects by a name that is the same for
	// the source-checked object and its copy imported from export data
	// (see objectKey), so references in other requested packages count.
	byKey map[string][]types.Object
	// primary is the object(s) a query on an identifier is about.
	primary map[*ast.Ident][]types.Object
}

func (fs *fileState) usesQuery(offset int, pkgs []*pkgState) (*usesFacts, error) {
	ps := fs.pkg
	idx := ps.refs()
	id := fs.idents[offset]
	if id == nil {
		return nil, fmt.Errorf("no identifier starts at offset %d of %s", offset, fs.tok.Name())
	}
	objs := idx.primary[id]
	if len(objs) == 0 {
		return nil, fmt.Errorf("identifier %q at offset %d denotes no object", id.Name, offset)
	}
	type at struct {
		file   string
		offset int
	}
	merged := map[at]*refFacts{}
	add := func(list []refFacts) {
		for _, r := range list {
			k := at{r.File, r.Offset}
			if m := merged[k]; m != nil {
				// The same file checked in two packages (a package and its
				// test variant): one reference, whatever either saw.
				m.Decl, m.Write, m.Addr, m.Call = m.Decl || r.Decl, m.Write || r.Write, m.Addr || r.Addr, m.Call || r.Call
				continue
			}
			r := r
			merged[k] = &r
		}
	}
	for _, obj := range objs {
		add(idx.byObj[obj])
		key := objectKey(obj)
		if key == "" {
			continue
		}
		for _, other := range pkgs {
			if other == ps {
				continue
			}
			oidx := other.refs()
			for _, o := range oidx.byKey[key] {
				add(oidx.byObj[o])
			}
		}
	}
	uf := &usesFacts{Object: describeObject(objs[0], fs.objectSpeller(id)), Refs: []refFacts{}}
	for _, r := range merged {
		uf.Refs = append(uf.Refs, *r)
	}
	sort.Slice(uf.Refs, func(i, j int) bool {
		a, b := uf.Refs[i], uf.Refs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Offset < b.Offset
	})
	for _, r := range uf.Refs {
		if r.Decl {
			uf.Decl = &refPos{File: r.File, Offset: r.Offset}
			break
		}
	}
	return uf, nil
}

// origin maps the instantiated copy of a generic func, method or field to
// the declared object.
func origin(obj types.Object) types.Object {
	switch o := obj.(type) {
	case *types.Func:
		return o.Origin()
	case *types.Var:
		return o.Origin()
	}
	return obj
}

// objectKey names package-level objects and methods across packages ("" for
// everything else, which only matches by identity).
func objectKey(obj types.Object) string {
	pkg := obj.Pkg()
	if pkg == nil {
		return "" // universe objects are shared, identity is enough
	}
	switch o := obj.(type) {
	case *types.PkgName, *types.Label:
		return ""
	case *types.Func:
		if sig, ok := o.Type().(*types.Signature); ok && sig.Recv() != nil {
			t := unalias(sig.Recv().Type())
			if p, ok := t.(*types.Pointer); ok {
				t = unalias(p.Elem())
			}
			if n, ok := t.(*types.Named); ok {
				return pkg.Path() + " " + n.Obj().Name() + "." + o.Name()
			}
			return ""
		}
	}
	if obj.Parent() != nil && obj.Parent() == pkg.Scope() {
		return pkg.Path() + " " + obj.Name()
	}
	return ""
}

func (ps *pkgState) refs() *refIndex {
	if ps.refIdx != nil {
		return ps.refIdx
	}
	idx := &refIndex{
		byObj:   map[types.Object][]refFacts{},
		byKey:   map[string][]types.Object{},
		primary: map[*ast.Ident][]types.Object{},
	}
	ps.refIdx = idx
	info := ps.info

	// The compiler renames init functions init.0, init.1, ... in the order
	// it sees them (files in command-line order, which is the request's).
	funcNames := map[*ast.FuncDecl]string{}
	inits := 0
	for _, fs := range ps.files {
		for _, d := range fs.ast.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				if fd.Recv == nil && fd.Name.Name == "init" {
					funcNames[fd] = "init." + strconv.Itoa(inits)
					inits++
				} else {
					funcNames[fd] = funcDeclName(fd)
				}
			}
		}
	}

	record := func(obj types.Object, r refFacts) {
		obj = origin(obj)
		if _, seen := idx.byObj[obj]; !seen {
			if key := objectKey(obj); key != "" {
				idx.byKey[key] = append(idx.byKey[key], obj)
			}
		}
		idx.byObj[obj] = append(idx.byObj[obj], r)
	}

	for _, fs := range ps.files {
		fs.idents = map[int]*ast.Ident{}
		name := fs.tok.Name()
		var stack []ast.Node
		ast.Inspect(fs.ast, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return false
			}
			stack = append(stack, n)
			fn := ""
			if len(stack) > 1 {
				if fd, ok := stack[1].(*ast.FuncDecl); ok {
					fn = funcNames[fd]
				}
			}
			switch n := n.(type) {
			case *ast.TypeSwitchStmt:
				// `switch v := x.(type)`: v declares one implicit object
				// per clause; the header identifier declares them all.
				a, ok := n.Assign.(*ast.AssignStmt)
				if !ok || len(a.Lhs) != 1 {
					break
				}
				id, ok := a.Lhs[0].(*ast.Ident)
				if !ok {
					break
				}
				for _, c := range n.Body.List {
					if obj := info.Implicits[c]; obj != nil {
						idx.primary[id] = append(idx.primary[id], origin(obj))
						record(obj, refFacts{File: name, Offset: fs.offset(id.Pos()), Decl: true, Func: fn})
					}
				}
			case *ast.Ident:
				off := fs.offset(n.Pos())
				fs.idents[off] = n
				def, use := info.Defs[n], info.Uses[n]
				if def == nil && use == nil {
					break
				}
				write, addr := refAccess(info, stack)
				r := refFacts{File: name, Offset: off, Write: write, Addr: addr, Call: isCallee(info, stack), Func: fn}
				if def != nil {
					idx.primary[n] = []types.Object{origin(def)}
					d := r
					d.Decl = true
					record(def, d)
				}
				// An embedded field's name both declares the field and
				// uses the type.
				if use != nil && use != def {
					if def == nil {
						idx.primary[n] = []types.Object{origin(use)}
					}
					record(use, r)
				}
			}
			return true
		})
	}
	return idx
}

// funcDeclName is the name the compiler gives a function in -m output:
// F, T.M or (*T).M, without type parameters.
func funcDeclName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	ptr := false
	for done := false; !done; {
		switch x := t.(type) {
		case *ast.ParenExpr:
			t = x.X
		case *ast.StarExpr:
			ptr = true
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		default:
			done = true
		}
	}
	recv := "?"
	if id, ok := t.(*ast.Ident); ok {
		recv = id.Name
	}
	if ptr {
		return "(*" + recv + ")." + fd.Name.Name
	}
	return recv + "." + fd.Name.Name
}

// refAccess tells what happens to the storage the identifier on top of
// stack names. Walking up from it through parentheses, field selections
// that do not go through a pointer and indexing of arrays (the operand is
// still part of the variable's storage):
//   - write: the operand is assigned (=, :=, op=, ++/--, range key/value);
//     so `x = v`, `x.f = v` and `x[i] = v` (x an array) all write x.
//   - addr: its address is taken: &x, &x.f, &x[i] (array x), slicing an
//     array, or a method with a pointer receiver selected on it (implicit
//     &x in x.M() and the method value x.M).
func refAccess(info *types.Info, stack []ast.Node) (write, addr bool) {
	var cur ast.Expr = stack[len(stack)-1].(*ast.Ident)
	for i := len(stack) - 2; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.ParenExpr:
			cur = p
			continue
		case *ast.SelectorExpr:
			if p.Sel == cur {
				// The identifier is the selected field (or qualified
				// name): follow the selector expression.
				cur = p
				continue
			}
			sel := info.Selections[p]
			if sel == nil {
				return // a package name
			}
			idx := sel.Index()
			switch sel.Kind() {
			case types.FieldVal:
				if _, indirect := pathType(info.TypeOf(cur), idx); indirect {
					return
				}
				cur = p
				continue
			case types.MethodVal:
				fn, _ := sel.Obj().(*types.Func)
				if fn == nil {
					return
				}
				sig, _ := fn.Type().(*types.Signature)
				if sig == nil || sig.Recv() == nil {
					return
				}
				if _, ptrRecv := unalias(sig.Recv().Type()).(*types.Pointer); !ptrRecv {
					return
				}
				t, indirect := pathType(info.TypeOf(cur), idx[:len(idx)-1])
				if indirect {
					return
				}
				if t != nil {
					if _, isPtr := t.Underlying().(*types.Pointer); isPtr {
						return
					}
				}
				addr = true
			}
			return
		case *ast.IndexExpr:
			if p.X != cur || !isArray(info.TypeOf(cur)) {
				return
			}
			cur = p
			continue
		case *ast.SliceExpr:
			addr = p.X == cur && isArray(info.TypeOf(cur))
			return
		case *ast.UnaryExpr:
			addr = p.Op == token.AND && p.X == cur
			return
		case *ast.AssignStmt:
			for _, l := range p.Lhs {
				if l == cur {
					write = true
				}
			}
			return
		case *ast.IncDecStmt:
			write = p.X == cur
			return
		case *ast.RangeStmt:
			write = p.Tok != token.ILLEGAL && (p.Key == cur || p.Value == cur)
			return
		}
		return
	}
	return
}

func isArray(t types.Type) bool {
	if t == nil {
		return false
	}
	_, ok := t.Underlying().(*types.Array)
	return ok
}

// pathType follows a selection path of struct fields from t. indirect is
// true when a step goes through a pointer (or cannot be followed, which
// counts the same: the root's storage is not what is reached).
func pathType(t types.Type, path []int) (types.Type, bool) {
	for _, i := range path {
		if t == nil {
			return nil, true
		}
		if _, ok := t.Underlying().(*types.Pointer); ok {
			return nil, true
		}
		st, ok := t.Underlying().(*types.Struct)
		if !ok || i < 0 || i >= st.NumFields() {
			return nil, true
		}
		t = st.Field(i).Type()
	}
	return t, false
}

// isCallee reports whether the identifier on top of stack is the function
// called by a call expression (f(), pkg.F(), x.M(), F[int]()), not a
// conversion.
func isCallee(info *types.Info, stack []ast.Node) bool {
	id := stack[len(stack)-1].(*ast.Ident)
	var cur ast.Expr = id
	i := len(stack) - 2
	if i >= 0 {
		if s, ok := stack[i].(*ast.SelectorExpr); ok && s.Sel == id {
			cur = s
			i--
		}
	}
	for ; i >= 0; i-- {
		switch p := stack[i].(type) {
		case *ast.ParenExpr:
			cur = p
		case *ast.IndexExpr:
			if _, inst := info.Instances[id]; !inst || p.X != cur {
				return false
			}
			cur = p
		case *ast.IndexListExpr:
			if _, inst := info.Instances[id]; !inst || p.X != cur {
				return false
			}
			cur = p
		case *ast.CallExpr:
			if p.Fun != cur {
				return false
			}
			tv, ok := info.Types[p.Fun]
			return !ok || !tv.IsType()
		default:
			return false
		}
	}
	return false
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
