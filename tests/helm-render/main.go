// helm-render renders a Helm chart the way `helm template` does, with the template engine Helm uses (Go's
// text/template and the sprig function library) plus Helm's own functions (include, tpl, required, fail, toYaml,
// fromYaml, lookup), and validates the values against the chart's values.schema.json as Helm does (gojsonschema).
// It exists so that the chart can be rendered and checked in the test suite on a machine without helm.
//
//	helm-render CHART_DIR [-f VALUES.yaml]... [--kube-version 1.30.0] [--release NAME] [--namespace NS]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 1 {
		return errors.New("usage: helm-render CHART_DIR [-f VALUES.yaml]... [--kube-version V] [--release NAME] [--namespace NS] [--notes FILE]")
	}
	chartDir := args[0]
	var valueFiles []string
	kubeVersion, release, namespace, notes := "1.30.0", "dataforge-gateway", "default", ""
	for i := 1; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return fmt.Errorf("%s needs a value", args[i])
		}
		switch args[i] {
		case "-f", "--values":
			valueFiles = append(valueFiles, args[i+1])
		case "--kube-version":
			kubeVersion = args[i+1]
		case "--release":
			release = args[i+1]
		case "--namespace":
			namespace = args[i+1]
		case "--notes":
			notes = args[i+1]
		default:
			return fmt.Errorf("unknown option %s", args[i])
		}
	}

	chart := map[string]interface{}{}
	if err := readYaml(filepath.Join(chartDir, "Chart.yaml"), &chart); err != nil {
		return err
	}
	values := map[string]interface{}{}
	if err := readYaml(filepath.Join(chartDir, "values.yaml"), &values); err != nil {
		return err
	}
	for _, file := range valueFiles {
		overrides := map[string]interface{}{}
		if err := readYaml(file, &overrides); err != nil {
			return err
		}
		values = merge(values, overrides)
	}
	if err := validate(chartDir, values); err != nil {
		return err
	}
	if constraint, ok := chart["kubeVersion"].(string); ok {
		if err := checkKubeVersion(constraint, kubeVersion); err != nil {
			return err
		}
	}

	root := template.New("chart")
	funcs := sprig.TxtFuncMap()
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var out bytes.Buffer
		err := root.ExecuteTemplate(&out, name, data)
		return out.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var out bytes.Buffer
		err = t.Execute(&out, data)
		return out.String(), err
	}
	funcs["required"] = func(message string, value interface{}) (interface{}, error) {
		if value == nil || value == "" {
			return nil, errors.New(message)
		}
		return value, nil
	}
	funcs["fail"] = func(message string) (string, error) { return "", errors.New(message) }
	funcs["toYaml"] = func(value interface{}) string {
		out, err := yaml.Marshal(value)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(out), "\n")
	}
	funcs["fromYaml"] = func(text string) map[string]interface{} {
		out := map[string]interface{}{}
		_ = yaml.Unmarshal([]byte(text), &out)
		return out
	}
	funcs["lookup"] = func(...interface{}) map[string]interface{} { return map[string]interface{}{} }
	root.Funcs(funcs).Option("missingkey=zero")

	templatesDir := filepath.Join(chartDir, "templates")
	entries, err := os.ReadDir(templatesDir)
	if err != nil {
		return err
	}
	var names []string
	for _, entry := range entries {
		if entry.IsDir() {
			continue
		}
		path := filepath.Join(templatesDir, entry.Name())
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name := filepath.Join(filepath.Base(chartDir), "templates", entry.Name())
		if _, err := root.New(name).Parse(string(text)); err != nil {
			return err
		}
		names = append(names, name)
	}
	sort.Strings(names)

	parts := strings.SplitN(strings.TrimPrefix(kubeVersion, "v"), ".", 3)
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	data := map[string]interface{}{
		"Values": values,
		"Chart": map[string]interface{}{
			"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"], "KubeVersion": chart["kubeVersion"],
		},
		"Release": map[string]interface{}{
			"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v" + kubeVersion, "GitVersion": "v" + kubeVersion, "Major": parts[0], "Minor": parts[1]},
			"APIVersions": apiVersions{},
		},
	}
	var output bytes.Buffer
	for _, name := range names {
		if strings.HasPrefix(filepath.Base(name), "_") {
			continue
		}
		scoped := copyMap(data)
		scoped["Template"] = map[string]interface{}{"Name": name, "BasePath": filepath.Join(filepath.Base(chartDir), "templates")}
		var out bytes.Buffer
		if err := root.ExecuteTemplate(&out, name, scoped); err != nil {
			return err
		}
		if strings.HasSuffix(name, "NOTES.txt") && notes != "" {
			if err := os.WriteFile(notes, out.Bytes(), 0o644); err != nil {
				return err
			}
		}
		if strings.HasSuffix(name, ".txt") || strings.TrimSpace(out.String()) == "" {
			continue
		}
		fmt.Fprintf(&output, "---\n# Source: %s\n%s\n", name, strings.TrimSpace(out.String()))
	}
	_, err = os.Stdout.Write(output.Bytes())
	return err
}

type apiVersions struct{}

// Has says every API is there, as `helm template` does without a cluster.
func (apiVersions) Has(string) bool { return true }

func readYaml(path string, into *map[string]interface{}) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(text, into); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if *into == nil {
		*into = map[string]interface{}{}
	}
	return nil
}

// merge deep-merges overrides into base, as Helm merges -f files into the chart's values.
func merge(base, overrides map[string]interface{}) map[string]interface{} {
	out := copyMap(base)
	for key, value := range overrides {
		if value == nil {
			delete(out, key) // as Helm does: a null in -f values removes the chart's default
			continue
		}
		if nested, ok := value.(map[string]interface{}); ok {
			if existing, ok := out[key].(map[string]interface{}); ok {
				out[key] = merge(existing, nested)
				continue
			}
		}
		out[key] = value
	}
	return out
}

func copyMap(source map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(source))
	for key, value := range source {
		out[key] = value
	}
	return out
}

// validate checks the values against values.schema.json, as Helm does before rendering.
func validate(chartDir string, values map[string]interface{}) error {
	schema, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	document, err := json.Marshal(values)
	if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(document))
	if err != nil {
		return err
	}
	if !result.Valid() {
		var problems []string
		for _, problem := range result.Errors() {
			problems = append(problems, "- "+problem.String())
		}
		return fmt.Errorf("values don't meet the specifications of the schema(s):\n%s", strings.Join(problems, "\n"))
	}
	return nil
}

// checkKubeVersion supports the constraint form the chart uses: ">=1.30.0-0".
func checkKubeVersion(constraint, version string) error {
	minimum := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(constraint), ">="), "-0")
	if compare(version, minimum) < 0 {
		return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes v%s", constraint, version)
	}
	return nil
}

func compare(a, b string) int {
	as, bs := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < 3; i++ {
		var x, y int
		if i < len(as) {
			fmt.Sscanf(as[i], "%d", &x)
		}
		if i < len(bs) {
			fmt.Sscanf(bs[i], "%d", &y)
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
