package windows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// jsonDoc is ConvertTo-Json output read as a list of objects (one object or an array).
type jsonDoc struct {
	Objects []map[string]any
	// Lines maps, per object, each top-level key to its line in the text.
	Lines []map[string]int
	// Repaired: the text was not valid JSON and was read after dropping elision lines ("...")
	// and the trailing commas they left, so parts of the objects are missing.
	Repaired bool
}

// looksJSON reports whether out, after prompt lines, starts a JSON object or array.
func looksJSON(out string) bool {
	for _, l := range textLines(out) {
		t := strings.TrimSpace(l)
		if t == "" || promptRE.MatchString(t) || strings.HasPrefix(t, "$ ") {
			continue
		}
		return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")
	}
	return false
}

var (
	elisionRE       = regexp.MustCompile(`(?m)^[ \t]*(\.\.\.|…)[ \t]*,?[ \t]*$`)
	trailingCommaRE = regexp.MustCompile(`,(\s*[\]}])`)
)

// parseJSONDoc reads ConvertTo-Json output. Lines before the first "{" or "[" (a prompt, a
// command line) are skipped. When the text is not valid JSON because an author elided parts
// with "..." lines, those lines are blanked (keeping line numbers) and read again.
func parseJSONDoc(out string) (jsonDoc, error) {
	text := strings.Join(textLines(out), "\n")
	start := strings.IndexAny(text, "{[")
	if start < 0 {
		return jsonDoc{}, fmt.Errorf("no JSON object or array in the output")
	}
	// keep the skipped lines as blank lines so line numbers stay those of the input
	body := []byte(strings.Repeat("\n", strings.Count(text[:start], "\n")) + text[start:])
	doc, err := decodeJSONDoc(body)
	if err == nil {
		return doc, nil
	}
	fixed := elisionRE.ReplaceAllFunc(body, func(b []byte) []byte { return []byte{} })
	fixed = trailingCommaRE.ReplaceAll(fixed, []byte(" $1"))
	doc, err2 := decodeJSONDoc(fixed)
	if err2 != nil {
		return jsonDoc{}, fmt.Errorf("reading JSON: %w", err)
	}
	doc.Repaired = true
	return doc, nil
}

func decodeJSONDoc(b []byte) (jsonDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return jsonDoc{}, err
	}
	var doc jsonDoc
	switch t := v.(type) {
	case map[string]any:
		doc.Objects = []map[string]any{t}
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok {
				doc.Objects = append(doc.Objects, m)
			}
		}
	default:
		return jsonDoc{}, fmt.Errorf("JSON is neither an object nor an array of objects")
	}
	lines, err := jsonKeyLines(b)
	if err != nil || len(lines) != len(doc.Objects) {
		// keep which keys are present, with unknown (0) lines
		lines = make([]map[string]int, len(doc.Objects))
		for i, m := range doc.Objects {
			lines[i] = map[string]int{}
			for k := range m {
				lines[i][k] = 0
			}
		}
	}
	doc.Lines = lines
	return doc, nil
}

// jsonKeyLines returns, for the top-level object or each object of a top-level array, the line
// of each of its keys.
func jsonKeyLines(b []byte) ([]map[string]int, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct{ obj, wantKey bool }
	var stack []frame
	var out []map[string]int
	topArray := false
	lineAt := func(off int64) int {
		i := int(off)
		for i < len(b) && strings.ContainsRune(" \t\r\n,:", rune(b[i])) {
			i++
		}
		return 1 + bytes.Count(b[:i], []byte("\n"))
	}
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top >= 0 && stack[top].obj {
					stack[top].wantKey = true // the container is a value; a key follows it
				}
				if d == '[' && len(stack) == 0 {
					topArray = true
				}
				if d == '{' && (len(stack) == 0 || (len(stack) == 1 && topArray)) {
					out = append(out, map[string]int{})
				}
				stack = append(stack, frame{obj: d == '{', wantKey: true})
			default:
				stack = stack[:top]
			}
			continue
		}
		if top < 0 || !stack[top].obj {
			continue
		}
		if stack[top].wantKey {
			depth := 1
			if topArray {
				depth = 2
			}
			if len(stack) == depth && len(out) > 0 {
				out[len(out)-1][tok.(string)] = lineAt(off)
			}
			stack[top].wantKey = false
		} else {
			stack[top].wantKey = true
		}
	}
}

// jsonString renders a JSON scalar as text: numbers as written, booleans as "True"/"False" the
// way PowerShell prints them, null as "".
func jsonString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "True"
		}
		return "False"
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// jsonStrings renders a JSON array of scalars as text; a scalar becomes one item.
func jsonStrings(v any) []string {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, jsonString(e))
		}
		return out
	default:
		return []string{jsonString(t)}
	}
}

// jsonCommaList reads a setting HNS prints as "a,b,c" (DNSServerList, DNSSuffix), also when a
// serializer gave it as an array.
func jsonCommaList(m map[string]any, key string) []string {
	v, _ := jsonGet(m, key)
	var out []string
	for _, s := range jsonStrings(v) {
		out = append(out, splitComma(s)...)
	}
	return out
}

// jsonGet returns m[key] with a case-insensitive key match.
func jsonGet(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
