// Command protocomp is the part of protoc that make generate uses, in Go: it
// compiles .proto files with github.com/bufbuild/protocompile and runs protoc
// plugins on them, so generating code needs no protoc binary. Its flags are a
// subset of protoc's:
//
//	protocomp -I DIR [-I DIR ...] \
//		--plugin=protoc-gen-NAME=PATH \
//		--NAME_out=OUT_DIR [--NAME_opt=OPTION ...] \
//		FILE.proto [FILE.proto ...]
//
// FILE names are relative to an -I directory, as with protoc. Plugins run in
// the order of their --NAME_out flags, each with one request for all FILEs.
// The request carries no compiler version, so generated files name none
// (protoc-gen-go writes "protoc (unknown)"), and the output depends only on
// the .proto files and the plugins: the same input gives the same bytes.
// Insertion points are not supported.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

import (
	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// plugin is one --NAME_out with its options and executable.
type plugin struct {
	name string
	out  string
	opts []string
	path string
}

// args are the parsed command line.
type args struct {
	importPaths []string
	plugins     []*plugin
	files       []string
}

func main() {
	a, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "protocomp:", err)
		os.Exit(2)
	}
	if err := run(context.Background(), a); err != nil {
		fmt.Fprintln(os.Stderr, "protocomp:", err)
		os.Exit(1)
	}
}

// parseArgs reads protoc-style arguments: -I DIR, -IDIR, --proto_path=DIR,
// --plugin=protoc-gen-NAME=PATH, --NAME_out=DIR, --NAME_opt=OPT and files.
func parseArgs(argv []string) (args, error) {
	var a args
	byName := map[string]*plugin{}
	get := func(name string) *plugin {
		p := byName[name]
		if p == nil {
			p = &plugin{name: name}
			byName[name] = p
		}
		return p
	}
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		switch {
		case arg == "-I" || arg == "--proto_path":
			if i+1 == len(argv) {
				return a, fmt.Errorf("%s needs a directory", arg)
			}
			i++
			a.importPaths = append(a.importPaths, argv[i])
		case strings.HasPrefix(arg, "--proto_path="):
			a.importPaths = append(a.importPaths, strings.TrimPrefix(arg, "--proto_path="))
		case strings.HasPrefix(arg, "-I"):
			a.importPaths = append(a.importPaths, strings.TrimPrefix(arg, "-I"))
		case strings.HasPrefix(arg, "--plugin="):
			spec := strings.TrimPrefix(arg, "--plugin=")
			name, path, ok := strings.Cut(spec, "=")
			if !ok || !strings.HasPrefix(name, "protoc-gen-") {
				return a, fmt.Errorf("%s: want --plugin=protoc-gen-NAME=PATH", arg)
			}
			get(strings.TrimPrefix(name, "protoc-gen-")).path = path
		case strings.HasPrefix(arg, "--") && strings.Contains(arg, "_out="):
			flag, dir, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
			p := get(strings.TrimSuffix(flag, "_out"))
			if p.out != "" {
				return a, fmt.Errorf("--%s_out given twice", p.name)
			}
			p.out = dir
			a.plugins = append(a.plugins, p)
		case strings.HasPrefix(arg, "--") && strings.Contains(arg, "_opt="):
			flag, opt, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
			p := get(strings.TrimSuffix(flag, "_opt"))
			p.opts = append(p.opts, opt)
		case strings.HasPrefix(arg, "-"):
			return a, fmt.Errorf("unknown flag %s", arg)
		default:
			a.files = append(a.files, arg)
		}
	}
	if len(a.files) == 0 {
		return a, errors.New("no .proto file given")
	}
	if len(a.plugins) == 0 {
		return a, errors.New("no --NAME_out given")
	}
	for _, p := range byName {
		if p.out == "" {
			return a, fmt.Errorf("protoc-gen-%s has options or a path but no --%s_out", p.name, p.name)
		}
	}
	if len(a.importPaths) == 0 {
		a.importPaths = []string{"."}
	}
	return a, nil
}

func run(ctx context.Context, a args) error {
	compiler := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: a.importPaths}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	files, err := compiler.Compile(ctx, a.files...)
	if err != nil {
		return err
	}
	protos := closure(files)
	for _, p := range a.plugins {
		req := &pluginpb.CodeGeneratorRequest{
			FileToGenerate: a.files,
			ProtoFile:      protos,
		}
		if len(p.opts) > 0 {
			req.Parameter = proto.String(strings.Join(p.opts, ","))
		}
		if err := runPlugin(ctx, p, req); err != nil {
			return err
		}
	}
	return nil
}

// closure returns the descriptors of files and everything they import,
// each once, every file after its imports: the order protoc sends them in.
func closure(files linker.Files) []*descriptorpb.FileDescriptorProto {
	var out []*descriptorpb.FileDescriptorProto
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := range imports.Len() {
			add(imports.Get(i).FileDescriptor)
		}
		out = append(out, descriptorProto(fd))
	}
	for _, f := range files {
		add(f)
	}
	return out
}

// descriptorProto returns the descriptor of fd as the compiler produced it
// (with source info), or, for the standard imports that come compiled into
// the protobuf runtime, as the runtime describes it.
func descriptorProto(fd protoreflect.FileDescriptor) *descriptorpb.FileDescriptorProto {
	if u, ok := fd.(interface {
		Unwrap() protoreflect.FileDescriptor
	}); ok {
		fd = u.Unwrap()
	}
	if r, ok := fd.(linker.Result); ok {
		return r.FileDescriptorProto()
	}
	return protodesc.ToFileDescriptorProto(fd)
}

// runPlugin runs one plugin on req and writes the files it returns.
func runPlugin(ctx context.Context, p *plugin, req *pluginpb.CodeGeneratorRequest) error {
	path := p.path
	if path == "" {
		var err error
		if path, err = exec.LookPath("protoc-gen-" + p.name); err != nil {
			return fmt.Errorf("--%s_out: no --plugin=protoc-gen-%s=PATH and none on PATH", p.name, p.name)
		}
	}
	in, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("protoc-gen-%s: %v", p.name, err)
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(out, &resp); err != nil {
		return fmt.Errorf("protoc-gen-%s: reading its response: %v", p.name, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("protoc-gen-%s: %s", p.name, resp.GetError())
	}
	for _, f := range resp.GetFile() {
		if f.GetInsertionPoint() != "" {
			return fmt.Errorf("protoc-gen-%s: %s: insertion points are not supported", p.name, f.GetName())
		}
		name := filepath.FromSlash(f.GetName())
		if name == "" || filepath.IsAbs(name) || !filepath.IsLocal(name) {
			return fmt.Errorf("protoc-gen-%s: refusing to write %q outside %s", p.name, f.GetName(), p.out)
		}
		dst := filepath.Join(p.out, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, []byte(f.GetContent()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
