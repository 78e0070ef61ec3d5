// compose-check loads docker-compose.yml with compose-go, the loader `docker compose` itself uses:
// interpolation, anchors and merges, the compose-spec schema, and cross-references (depends_on,
// volumes). It stands in for `docker compose config` where no Docker CLI can be installed (Debian
// bookworm ships only the retired Python docker-compose 1.x, which rejects today's compose spec).
// Usage: go run ./deploy/compose-check docker-compose.yml [more.yml] (prints the resolved file with -print).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	print := flag.Bool("print", false, "print the resolved configuration")
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		files = []string{"docker-compose.yml"}
	}
	opts, err := cli.NewProjectOptions(files, cli.WithOsEnv, cli.WithDotEnv, cli.WithConsistency(true))
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	if *print {
		out, err := project.MarshalYAML()
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(out)
	}
	fmt.Fprintf(os.Stderr, "compose file valid: project %q, %d services\n", project.Name, len(project.Services))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "compose file invalid: %v\n", err)
	os.Exit(1)
}
