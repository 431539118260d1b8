package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// TestMain makes the test binary a protoc plugin when PROTOCOMP_TEST_PLUGIN
// is set: it answers with one file, out.txt, that lists what it was asked.
func TestMain(m *testing.M) {
	if os.Getenv("PROTOCOMP_TEST_PLUGIN") != "" {
		fakePlugin()
		return
	}
	os.Exit(m.Run())
}

func fakePlugin() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		panic(err)
	}
	var req pluginpb.CodeGeneratorRequest
	if err := proto.Unmarshal(in, &req); err != nil {
		panic(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "generate %v\nparameter %q\ncompiler version set %v\n", req.GetFileToGenerate(), req.GetParameter(), req.CompilerVersion != nil)
	for _, f := range req.GetProtoFile() {
		fmt.Fprintf(&b, "file %s package %s messages %d comments %d\n", f.GetName(), f.GetPackage(), len(f.GetMessageType()), len(f.GetSourceCodeInfo().GetLocation()))
	}
	out, _ := proto.Marshal(&pluginpb.CodeGeneratorResponse{File: []*pluginpb.CodeGeneratorResponse_File{
		{Name: proto.String("sub/out.txt"), Content: proto.String(b.String())},
	}})
	os.Stdout.Write(out)
}

func TestParseArgs(t *testing.T) {
	a, err := parseArgs([]string{"-I", "a", "-Ib", "--proto_path=c",
		"--plugin=protoc-gen-x=/bin/x", "--x_out=out", "--x_opt=k=v", "--x_opt=m", "--go_out=gen", "f.proto"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c"}; !reflect.DeepEqual(a.importPaths, want) {
		t.Errorf("import paths %v, want %v", a.importPaths, want)
	}
	if len(a.plugins) != 2 {
		t.Fatalf("%d plugins, want 2", len(a.plugins))
	}
	if x := a.plugins[0]; x.name != "x" || x.out != "out" || x.path != "/bin/x" || !reflect.DeepEqual(x.opts, []string{"k=v", "m"}) {
		t.Errorf("first plugin %+v", *x)
	}
	if g := a.plugins[1]; g.name != "go" || g.out != "gen" || g.path != "" || g.opts != nil {
		t.Errorf("second plugin %+v", *g)
	}
	for _, bad := range [][]string{
		{"--x_out=o"},                         // no file
		{"f.proto"},                           // no output
		{"--x_opt=a", "--y_out=o", "f.proto"}, // options without output
		{"--plugin=x=/bin/x", "--x_out=o", "f.proto"},
		{"--x_out=o", "--x_out=p", "f.proto"},
		{"--nope", "--x_out=o", "f.proto"},
	} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("parseArgs(%q) succeeded", bad)
		}
	}
}

// TestRun compiles two files, one importing the other and a standard
// import, runs a plugin on one of them and checks what the plugin was sent:
// imports first, source info kept, no compiler version; twice, byte for byte
// the same.
func TestRun(t *testing.T) {
	src := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dep.proto", "syntax = \"proto3\";\npackage p;\n// A dep.\nmessage Dep { string s = 1; }\n")
	write("main.proto", "syntax = \"proto3\";\npackage p;\nimport \"dep.proto\";\nimport \"google/protobuf/empty.proto\";\n"+
		"message Main { Dep d = 1; google.protobuf.Empty e = 2; }\nmessage Other {}\n")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PROTOCOMP_TEST_PLUGIN", "1")
	var outputs []string
	for range 2 {
		out := t.TempDir()
		err := run(context.Background(), args{
			importPaths: []string{src},
			plugins:     []*plugin{{name: "fake", out: out, opts: []string{"a=1", "b"}, path: self}},
			files:       []string{"main.proto"},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(out, "sub", "out.txt"))
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, string(got))
	}
	if outputs[0] != outputs[1] {
		t.Errorf("two runs differ:\n%s\n%s", outputs[0], outputs[1])
	}
	lines := strings.Split(strings.TrimSpace(outputs[0]), "\n")
	want := []string{
		`generate [main.proto]`,
		`parameter "a=1,b"`,
		`compiler version set false`,
		`file dep.proto package p messages 1 comments`,
		`file google/protobuf/empty.proto package google.protobuf messages 1 comments`,
		`file main.proto package p messages 2 comments`,
	}
	if len(lines) != len(want) {
		t.Fatalf("plugin saw:\n%s", outputs[0])
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want %q...", i, lines[i], w)
		}
	}
	if strings.HasSuffix(lines[3], "comments 0") {
		t.Errorf("dep.proto sent without source info: %q", lines[3])
	}
}
