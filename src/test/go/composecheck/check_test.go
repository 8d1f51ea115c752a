package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests run the checks on a copy of the repository's compose files, the pristine copy and
// copies with one deliberate breakage each. COMPOSECHECK_PARSER is the -models-config-parser
// command (.ci/check-compose sets it).

const repoRoot = "../../../.."

// Files the compose demo is made of, relative to the repository root.
var demoFiles = []string{"compose.yaml", "envoy", "src/main/docker"}

type breakage struct {
	name      string
	file      string // relative to the repository root
	old, new  string // replaced once; old must occur
	wantCheck string // a check that must fail
}

var breakages = []breakage{
	{"typo in a key", "compose.yaml", "    healthcheck:\n      # No curl", "    healtcheck:\n      # No curl",
		"loads (schema"},
	{"service without a healthcheck", "compose.yaml",
		"    healthcheck:\n      test: [\"CMD\", \"curl\"", "    x-healthcheck:\n      test: [\"CMD\", \"curl\"",
		"modelgate: has a healthcheck"},
	{"healthcheck disabled", "compose.yaml", "      start_period: 10s\n", "      start_period: 10s\n      disable: true\n",
		"envoy: has a healthcheck"},
	{"latest tag", "compose.yaml", "envoyproxy/envoy:v1.40.0", "envoyproxy/envoy:latest", "envoy: image is pinned"},
	{"no tag", "compose.yaml", "envoyproxy/envoy:v1.40.0", "envoyproxy/envoy", "envoy: image is pinned"},
	{"moving tag", "compose.yaml", "tensorflow/serving:2.18.0", "tensorflow/serving:2.18", "tfs-0: image is pinned"},
	{"envoy starts before modelgate is healthy", "compose.yaml", "condition: service_healthy", "condition: service_started",
		"envoy depends on modelgate being healthy"},
	{"envoy does not wait for modelgate", "compose.yaml",
		"    depends_on:\n      modelgate:\n        condition: service_healthy\n", "",
		"envoy depends on modelgate being healthy"},
	{"depends_on an unknown service", "compose.yaml", "    depends_on:\n      modelgate:", "    depends_on:\n      modelgte:",
		"loads (schema"},
	{"obsolete version attribute", "compose.yaml", "name: modelgate-demo\n", "version: \"3.8\"\nname: modelgate-demo\n",
		"loads (schema"},
	{"wrong value type", "compose.yaml", "      retries: 3\n      start_period: 20s", "      retries: three\n      start_period: 20s", "loads (schema"},
	{"unset required variable", "compose.yaml", "tensorflow/serving:2.18.0", "tensorflow/serving:${TFS_TAG:?set TFS_TAG}",
		"loads (schema"},
	{"bind mount source missing", "compose.yaml", "./envoy/bootstrap-compose.yaml", "./envoy/bootstrap-compos.yaml",
		"envoy: bind mount"},
	{"bind mount writable", "compose.yaml",
		"target: /etc/modelgate/modelgate.yaml\n        read_only: true", "target: /etc/modelgate/modelgate.yaml\n        read_only: false",
		"modelgate: bind mount"},
	{"TF Serving port published", "compose.yaml", "    expose: [\"8500\", \"8501\"]\n", "    ports: [\"127.0.0.1:8501:8501\"]\n",
		"tfs-0: publishes ports"},
	{"Envoy listener on every interface", "compose.yaml", "\"127.0.0.1:10000:10000\"", "\"10000:10000\"",
		"envoy: publishes ports only on 127.0.0.1"},
	{"model config not mounted", "compose.yaml", "--model_config_file=/models/models.config", "--model_config_file=/etc/models.config",
		"tfs-0: model config /etc/models.config is mounted"},
	{"Dockerfile missing", "compose.yaml", "dockerfile: src/main/docker/Dockerfile", "dockerfile: src/main/docker/Dockerfile.prod",
		"modelgate: Dockerfile"},
	{"Dockerfile runs as root", "src/main/docker/Dockerfile", "USER 10001\n", "", "runs as a non-root user"},
	{"Dockerfile without HEALTHCHECK", "src/main/docker/Dockerfile", "HEALTHCHECK --interval", "# HEALTHCHECK --interval",
		"has a HEALTHCHECK"},
	{"Dockerfile base on a moving tag", "src/main/docker/Dockerfile", "FROM eclipse-temurin:17.0.15_6-jre", "FROM eclipse-temurin:17-jre",
		"base images are pinned"},
	{"Dockerfile port not exposed", "src/main/docker/Dockerfile", "EXPOSE 8080 8081 18000 18001", "EXPOSE 8080 8081",
		"EXPOSEs the service's ports"},
	{"Dockerfile lint warning", "src/main/docker/Dockerfile", "eclipse-temurin-17 AS build", "eclipse-temurin-17 as build",
		"passes BuildKit's lint rules"},
	{"Dockerfile unknown instruction", "src/main/docker/Dockerfile", "EXPOSE 8080", "EXPOS 8080", "Dockerfile src/main/docker/Dockerfile parses"},
	{"model config typo", "src/main/docker/models.config", "version_labels {\n      key: \"stable\"", "version_label {\n      key: \"stable\"",
		"parses as a ModelServerConfig"},
	{"model config version without a SavedModel", "src/main/docker/models.config", "versions: 2", "versions: 3",
		"has a SavedModel"},
	{"label on a version the policy does not load", "src/main/docker/models.config", "value: 2", "value: 7", "has a SavedModel"},
	{"model base_path not mounted", "src/main/docker/models.config", "base_path: \"/models/half_plus_two\"", "base_path: \"/srv/half_plus_two\"",
		"base_path is mounted"},
}

func TestRepositoryComposeFilesPassEveryCheck(t *testing.T) {
	root := copyDemo(t)
	for _, r := range check(t, root) {
		if r.Problem != "" {
			t.Errorf("FAIL %s: %s", r.Name, r.Problem)
		}
	}
}

func TestEachBreakageFailsItsCheck(t *testing.T) {
	for _, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			root := copyDemo(t)
			path := filepath.Join(root, b.file)
			text := read(t, path)
			if !strings.Contains(text, b.old) {
				t.Fatalf("%s no longer contains %q: update this case", b.file, b.old)
			}
			write(t, path, strings.Replace(text, b.old, b.new, 1))

			var failed []string
			for _, r := range check(t, root) {
				if r.Problem != "" {
					failed = append(failed, r.Name+": "+r.Problem)
					if strings.Contains(r.Name, b.wantCheck) {
						t.Logf("FAIL %s: %s", r.Name, r.Problem)
						return
					}
				}
			}
			t.Errorf("want a failed check containing %q, failed: %q", b.wantCheck, failed)
		})
	}
}

func check(t *testing.T, root string) []Result {
	parser := strings.Fields(os.Getenv("COMPOSECHECK_PARSER"))
	if len(parser) == 0 {
		t.Fatal("set COMPOSECHECK_PARSER to the models config parser command (see .ci/check-compose)")
	}
	return Check(root, "compose.yaml", []byte(read(t, filepath.Join(root, "compose.yaml"))), parser)
}

// copyDemo copies the demo's files into a fresh directory laid out like the repository.
func copyDemo(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	for _, rel := range demoFiles {
		src := filepath.Join(repoRoot, rel)
		err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			inner, err := filepath.Rel(repoRoot, path)
			if err != nil {
				return err
			}
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dst, inner), 0o755)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, inner), data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
