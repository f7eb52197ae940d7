package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/fourinsight-token/fourinsight-token/broker"
	"github.com/fourinsight-token/fourinsight-token/internal/cliargs"
	"github.com/fourinsight-token/fourinsight-token/store"
)

// get prints a token for the session.
func (a *app) get(ctx context.Context) error {
	out, err := cliargs.NewOutput(a.cli.Output)
	if err != nil {
		return err
	}
	e, key, err := a.token(ctx, a.cli.Force, out.Interactive)
	if err != nil {
		return err
	}
	if _, stopped := caught(ctx); stopped {
		return nil // saved; whoever asked is going away (run reports it)
	}
	return a.writeOutput(out, e, key)
}

// token returns a token for the session, as get, exec and git-credential
// need it: from the cache when it can serve (one file read, no lock, no
// network), otherwise through the broker. force skips the cache; interactive
// is false when the consumer said it cannot interact (kubectl's
// interactive: false).
func (a *app) token(ctx context.Context, force, interactive bool) (*store.Entry, string, error) {
	b, key, err := a.setup()
	if err != nil {
		return nil, "", err
	}
	if !force {
		if e, err := b.Cached(key); e != nil || err != nil {
			return e, key, err
		}
	}
	b.Interact = a.interaction(false, interactive)
	e, err := b.Token(ctx, key, force)
	return e, key, err
}

// login signs in whatever the cache holds and reports on stderr; stdout
// stays empty unless -o asks for output.
func (a *app) login(ctx context.Context) error {
	b, key, err := a.setup()
	if err != nil {
		return err
	}
	b.Interact = a.interaction(true, true)
	e, err := b.Token(ctx, key, true)
	if err != nil {
		return err
	}
	who := ""
	if e.Meta != nil && e.Meta.Subject != "" {
		who = " as " + e.Meta.Subject
	}
	fmt.Fprintf(a.stderr, "Signed in%s: session %s, token valid until %s.\n", who, store.SessionName(key), e.ExpiresAt.Local().Format(time.RFC1123))
	if a.cli.Output == "" && a.cli.OutputFile == "" {
		return nil
	}
	out, err := cliargs.NewOutput(a.cli.Output)
	if err != nil {
		return err
	}
	return a.writeOutput(out, e, key)
}

// logout forgets one session or all of them.
func (a *app) logout(ctx context.Context) error {
	b, key, err := a.setup()
	if err != nil {
		return err
	}
	if b.Store == nil {
		return fmt.Errorf("%w: --no-store keeps no sessions to log out of", errUsage)
	}
	keys := []string{key}
	if a.cli.Logout.All {
		if keys, err = b.Store.Keys(); err != nil {
			return err
		}
	}
	for _, k := range keys {
		found, err := b.Logout(ctx, k)
		if err != nil {
			return err
		}
		if found {
			fmt.Fprintf(a.stderr, "Logged out of session %s.\n", store.SessionName(k))
		} else if !a.cli.Logout.All {
			fmt.Fprintf(a.stderr, "No session %s to log out of.\n", store.SessionName(k))
		}
	}
	if a.cli.Logout.All && len(keys) == 0 {
		fmt.Fprintln(a.stderr, "No sessions to log out of.")
	}
	return nil
}

// status lists sessions, never a token.
func (a *app) status() error {
	b, _, err := a.setup()
	if err != nil {
		return err
	}
	var only *string
	if a.cli.Session != "" {
		only = &a.cli.Session
	}
	infos, err := b.Sessions(only)
	if err != nil {
		return err
	}
	if a.cli.Status.JSON {
		if infos == nil {
			infos = []broker.SessionInfo{}
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(infos)
	}
	if len(infos) == 0 {
		fmt.Fprintln(a.stderr, "No cached sessions.")
		return nil
	}
	w := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SESSION\tFLOW\tPROVIDER\tEXPIRES\tREFRESH\tSUBJECT\tWRITTEN BY\tLAST BACKGROUND REFRESH")
	for _, s := range infos {
		expires := "-"
		switch {
		case s.Unusable:
			expires = "unusable: " + s.Problem
		case s.Problem != "":
			expires = "unreadable: " + s.Problem
		case !s.ExpiresAt.IsZero():
			expires = s.ExpiresAt.Local().Format("2006-01-02 15:04:05")
			if !s.Valid {
				expires += " (expired)"
			}
		}
		refresh := "no"
		if s.RefreshToken {
			refresh = "yes"
		}
		background := "-"
		if bg := s.BackgroundRefresh; bg != nil {
			background = bg.At.Local().Format("2006-01-02 15:04:05") + " " + bg.Result
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", store.SessionName(s.Session), dash(s.Flow), dash(cmp.Or(s.Provider, s.TokenHost)), expires, refresh, dash(s.Subject), dash(s.WrittenBy), background)
	}
	return w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
