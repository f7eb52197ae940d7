package cliargs

import (
	"os"
	"strings"
	"time"
)

// GlobalArgs renders the settings among g as command-line flags, so that a
// process started on the user's behalf (the background refresh) resolves
// exactly the same settings, whatever came from flags and whatever from the
// environment. The output (-o, --output-file) and --force are left out:
// they shape one call, not the session.
func GlobalArgs(g Globals) []string {
	if fastParseOff {
		return nil
	}
	var c CLI
	c.Globals = g
	c.Output, c.OutputFile, c.Force = "", "", false
	var args []string
	for i := range fastFlagTable {
		f := &fastFlagTable[i]
		name := "--" + f.long
		switch v := fastField(&c, i).(type) {
		case *string:
			if *v != "" {
				args = append(args, name+"="+*v)
			}
		case *bool:
			if *v {
				args = append(args, name)
			}
		case *time.Duration:
			if *v != 0 {
				args = append(args, name+"="+v.String())
			}
		case **time.Duration: // set, even to 0s: that is a setting too
			if *v != nil {
				args = append(args, name+"="+(*v).String())
			}
		case *[]string:
			for _, s := range *v {
				if f.sep != -1 {
					s = strings.ReplaceAll(s, string(f.sep), `\`+string(f.sep))
				}
				args = append(args, name+"="+s)
			}
		}
	}
	return args
}

// OwnEnviron is this process's environment with the secret variables that
// TakeSecretEnv took out of it put back: for a process of our own that
// needs them as we do (the background refresh), never for anyone else's.
func OwnEnviron() []string {
	env := os.Environ()
	for k, v := range takenEnv {
		env = append(env, k+"="+v)
	}
	return env
}
