package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
)

// flagValues lists the values of flags that take one of a few words and have
// no enum tag; flags with one complete from it.
var flagValues = map[string]string{
	"flow":  "auto paste browser device client",
	"store": "file keyring",
}

// fileFlags take a path.
var fileFlags = []string{"config", "ca-file", "client-secret-file", "cache-dir", "output-file", "kubeconfig"}

// completionModel is what the scripts complete, read from the command model
// so that completions never drift from the flags.
type completionModel struct {
	cmds   []*kong.Node
	flags  []*kong.Flag      // every flag of every command, once
	words  map[string]string // command → the words that may follow it: subcommands, or its argument's values
	values map[string]string // flag name → its values
}

func newCompletionModel(model *kong.Application) completionModel {
	m := completionModel{words: map[string]string{}, values: map[string]string{}}
	for _, c := range model.Children {
		if !c.Hidden {
			m.cmds = append(m.cmds, c)
		}
	}
	sort.Slice(m.cmds, func(i, j int) bool { return m.cmds[i].Name < m.cmds[j].Name })
	seen := map[string]bool{}
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			if f.Hidden || seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			m.flags = append(m.flags, f)
			if v, ok := flagValues[f.Name]; ok {
				m.values[f.Name] = v
			} else if v := enumWords(f.Enum); v != "" {
				m.values[f.Name] = v
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(model.Node)
	for _, c := range m.cmds {
		switch {
		case len(c.Children) > 0:
			var names []string
			for _, s := range c.Children {
				names = append(names, s.Name)
			}
			sort.Strings(names)
			m.words[c.Name] = strings.Join(names, " ")
		case len(c.Positional) > 0:
			p := c.Positional[0]
			if v := enumWords(p.Enum); v != "" {
				m.words[c.Name] = v
			} else if ph := p.Tag.PlaceHolder; strings.Contains(ph, "|") {
				m.words[c.Name] = strings.ReplaceAll(ph, "|", " ") // git-credential's get|store|erase
			}
		}
	}
	return m
}

// enumWords turns kong's "a,b," into "a b", sorted.
func enumWords(enum string) string {
	var out []string
	for _, e := range strings.Split(enum, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func (a *app) completion(model *kong.Application) error {
	m := newCompletionModel(model)
	switch a.cli.Completion.Shell {
	case "fish":
		return fishCompletion(a.stdout, m)
	case "zsh":
		fmt.Fprintln(a.stdout, "autoload -U +X bashcompinit && bashcompinit")
	}
	return bashCompletion(a.stdout, m)
}

func bashCompletion(w io.Writer, m completionModel) error {
	var names, words, valued []string
	for _, c := range m.cmds {
		names = append(names, c.Name)
	}
	for _, f := range m.flags {
		words = append(words, "--"+f.Name)
		if f.Short != 0 {
			words = append(words, "-"+string(f.Short))
		}
		if !f.IsBool() {
			valued = append(valued, "--"+f.Name)
			if f.Short != 0 {
				valued = append(valued, "-"+string(f.Short))
			}
		}
	}
	var values strings.Builder
	for _, f := range m.flags {
		v, ok := m.values[f.Name]
		if !ok {
			continue
		}
		pattern := "--" + f.Name
		if f.Short != 0 {
			pattern += "|-" + string(f.Short)
		}
		fmt.Fprintf(&values, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", pattern, v)
	}
	var files []string
	for _, f := range fileFlags {
		files = append(files, "--"+f)
	}
	var subwords strings.Builder
	for _, c := range m.cmds {
		if v, ok := m.words[c.Name]; ok {
			fmt.Fprintf(&subwords, "      %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", c.Name, v)
		}
	}
	_, err := fmt.Fprintf(w, `# bash completion for fourinsight-token
_fourinsight_token() {
  local cur prev w i cmd="" at=0
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
%s    --session|-s) COMPREPLY=($(compgen -W "$(fourinsight-token status --json 2>/dev/null | sed -n 's/.*"session": "\(.*\)".*/\1/p')" -- "$cur")); return;;
    %s) COMPREPLY=($(compgen -f -- "$cur")); return;;
  esac
  # The command: the first word that is neither a flag nor a flag's value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    case "$w" in
      --) return;;
      %s) ((i++));;
      -*) ;;
      *) cmd="$w"; at=$i; break;;
    esac
  done
  if [[ -n "$cmd" && $at -eq $((COMP_CWORD - 1)) && "$cur" != -* ]]; then
    case "$cmd" in
%s    esac
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W %q -- "$cur"))
  elif [[ -z "$cmd" ]]; then
    COMPREPLY=($(compgen -W %q -- "$cur"))
  fi
}
complete -o default -F _fourinsight_token fourinsight-token
`, values.String(), strings.Join(files, "|"), strings.Join(valued, "|"), subwords.String(), strings.Join(words, " "), strings.Join(names, " "))
	return err
}

func fishCompletion(w io.Writer, m completionModel) error {
	fmt.Fprintln(w, "# fish completion for fourinsight-token")
	for _, c := range m.cmds {
		fmt.Fprintf(w, "complete -c fourinsight-token -f -n __fish_use_subcommand -a %s -d %s\n", c.Name, fishQuote(c.Help))
		if v, ok := m.words[c.Name]; ok {
			cond := fmt.Sprintf("__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s", c.Name, v)
			fmt.Fprintf(w, "complete -c fourinsight-token -f -n %s -a %s\n", fishQuote(cond), fishQuote(v))
		}
	}
	for _, f := range m.flags {
		line := "complete -c fourinsight-token -l " + f.Name
		if f.Short != 0 {
			line += " -s " + string(f.Short)
		}
		if values, ok := m.values[f.Name]; ok {
			line += " -x -a " + fishQuote(values)
		} else if !f.IsBool() {
			line += " -r"
		}
		fmt.Fprintln(w, line+" -d "+fishQuote(firstSentence(f.Help)))
	}
	return nil
}

func fishQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
