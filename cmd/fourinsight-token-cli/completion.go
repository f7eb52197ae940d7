package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
)

// flagValues lists the values of flags that take one of a few words.
var flagValues = map[string]string{
	"flow":   "auto paste browser device client",
	"store":  "file keyring",
	"output": "token json header env dotenv exec-credential",
}

func (a *app) completion(model *kong.Application) error {
	var cmds []*kong.Node
	for _, c := range model.Children {
		if !c.Hidden {
			cmds = append(cmds, c)
		}
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	var flags []*kong.Flag
	for _, f := range model.Flags {
		if !f.Hidden {
			flags = append(flags, f)
		}
	}
	for _, c := range cmds {
		flags = append(flags, c.Flags...)
	}
	switch a.cli.Completion.Shell {
	case "fish":
		return fishCompletion(a.stdout, cmds, flags)
	case "zsh":
		fmt.Fprintln(a.stdout, "autoload -U +X bashcompinit && bashcompinit")
	}
	return bashCompletion(a.stdout, cmds, flags)
}

func bashCompletion(w io.Writer, cmds []*kong.Node, flags []*kong.Flag) error {
	var names, words []string
	for _, c := range cmds {
		names = append(names, c.Name)
	}
	for _, f := range flags {
		words = append(words, "--"+f.Name)
		if f.Short != 0 {
			words = append(words, "-"+string(f.Short))
		}
	}
	var cases strings.Builder
	for _, flag := range []string{"flow", "output", "store"} {
		fmt.Fprintf(&cases, "    --%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", flag, flagValues[flag])
	}
	_, err := fmt.Fprintf(w, `# bash completion for fourinsight-token
_fourinsight_token() {
  local cur prev
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev="${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
%s    -o) COMPREPLY=($(compgen -W %q -- "$cur")); return;;
    --session|-s) COMPREPLY=($(compgen -W "$(fourinsight-token status --json 2>/dev/null | sed -n 's/.*"session": "\(.*\)".*/\1/p')" -- "$cur")); return;;
    --config|--ca-file|--client-secret-file|--cache-dir) COMPREPLY=($(compgen -f -- "$cur")); return;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W %q -- "$cur"))
  else
    COMPREPLY=($(compgen -W %q -- "$cur"))
  fi
}
complete -F _fourinsight_token fourinsight-token
`, cases.String(), flagValues["output"], strings.Join(words, " "), strings.Join(names, " "))
	return err
}

func fishCompletion(w io.Writer, cmds []*kong.Node, flags []*kong.Flag) error {
	fmt.Fprintln(w, "# fish completion for fourinsight-token")
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c fourinsight-token -f -n __fish_use_subcommand -a %s -d %s\n", c.Name, fishQuote(c.Help))
	}
	seen := map[string]bool{}
	for _, f := range flags {
		if seen[f.Name] {
			continue
		}
		seen[f.Name] = true
		line := "complete -c fourinsight-token -l " + f.Name
		if f.Short != 0 {
			line += " -s " + string(f.Short)
		}
		if values, ok := flagValues[f.Name]; ok {
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
