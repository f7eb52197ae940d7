package broker

import (
	"context"
	"testing"

	"github.com/fourinsight-token/fourinsight-token/broker/profile"
)

func TestChooseFlow(t *testing.T) {
	opener := func(string) error { return nil }
	// Explicit endpoints, no issuer: the choice must not need discovery.
	issuer := profile.Profile{AuthURL: "https://idp.example/auth", TokenURL: "https://idp.example/token", ClientID: "cli"}
	tests := []struct {
		name    string
		profile profile.Profile
		secret  bool
		browser func(string) error
		device  string
		want    string
	}{
		{name: "4insight: paste", profile: profile.Builtin4insight(), want: profile.FlowPaste},
		{name: "4insight with a service secret: client", profile: profile.Builtin4insight(), secret: true, want: profile.FlowClient},
		{name: "issuer with a browser", profile: issuer, browser: opener, want: profile.FlowBrowser},
		{name: "issuer without a browser, device offered", profile: issuer, device: "https://idp.example/device", want: profile.FlowDevice},
		{name: "issuer without browser or device, sign-in page", profile: profile.Overlay(issuer, profile.Profile{SignInURL: "https://idp.example/page"}), want: profile.FlowPaste},
		{name: "issuer without browser, device or page: browser by URL", profile: issuer, want: profile.FlowBrowser},
		{name: "explicit flow wins", profile: profile.Overlay(issuer, profile.Profile{Flow: profile.FlowDevice}), browser: opener, want: profile.FlowDevice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.profile
			p.DeviceAuthURL = tt.device
			b := &Broker{Settings: profile.Settings{Profile: p, SecretSupplied: tt.secret}, Interact: Interaction{OpenBrowser: tt.browser}}
			if b.Settings.ClientFlow() {
				if tt.want != profile.FlowClient {
					t.Fatalf("chose the client flow, want %s", tt.want)
				}
				return
			}
			got, err := b.chooseFlow(context.Background())
			if err != nil || got != tt.want {
				t.Fatalf("chooseFlow = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
