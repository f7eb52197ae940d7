package cliargs

import (
	"os"
	"reflect"
	"strings"
	"time"
)

// GlobalArgs renders the settings among g as command-line flags, so that a
// process started on the user's behalf (the background refresh) resolves
// exactly the same settings, whatever came from flags and whatever from the
// environment. The output (-o, --output-file) and --force are left out:
// they shape one call, not the session.
func GlobalArgs(g Globals) []string {
	var c CLI
	c.Globals = g
	c.Output, c.OutputFile, c.Force = "", "", false
	flags, ok := fastFlags(reflect.ValueOf(&c).Elem(), nil)
	if !ok {
		return nil
	}
	var args []string
	for i := range flags {
		f := &flags[i]
		name := "--" + f.longName()
		switch f.kind {
		case fastString:
			if s := f.v.String(); s != "" {
				args = append(args, name+"="+s)
			}
		case fastBool:
			if f.v.Bool() {
				args = append(args, name)
			}
		case fastDuration:
			if d := time.Duration(f.v.Int()); d != 0 {
				args = append(args, name+"="+d.String())
			}
		case fastDurationPtr: // set, even to 0s: that is a setting too
			if !f.v.IsNil() {
				args = append(args, name+"="+time.Duration(f.v.Elem().Int()).String())
			}
		case fastStrings:
			for _, s := range f.v.Interface().([]string) {
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
