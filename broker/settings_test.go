package broker

import (
	"context"
	"testing"
)

func TestChooseFlow(t *testing.T) {
	opener := func(string) error { return nil }
	// Explicit endpoints, no issuer: the choice must not need discovery.
	issuer := Profile{AuthURL: "https://idp.example/auth", TokenURL: "https://idp.example/token", ClientID: "cli"}
	tests := []struct {
		name    string
		profile Profile
		secret  bool
		browser func(string) error
		device  string
		want    string
	}{
		{name: "4insight: paste", profile: Builtin4insight(), want: FlowPaste},
		{name: "4insight with a service secret: client", profile: Builtin4insight(), secret: true, want: FlowClient},
		{name: "issuer with a browser", profile: issuer, browser: opener, want: FlowBrowser},
		{name: "issuer without a browser, device offered", profile: issuer, device: "https://idp.example/device", want: FlowDevice},
		{name: "issuer without browser or device, sign-in page", profile: Overlay(issuer, Profile{SignInURL: "https://idp.example/page"}), want: FlowPaste},
		{name: "issuer without browser, device or page: browser by URL", profile: issuer, want: FlowBrowser},
		{name: "explicit flow wins", profile: Overlay(issuer, Profile{Flow: FlowDevice}), browser: opener, want: FlowDevice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.profile
			p.DeviceAuthURL = tt.device
			b := &Broker{Settings: Settings{Profile: p, SecretSupplied: tt.secret}, Interact: Interaction{OpenBrowser: tt.browser}}
			if b.Settings.ClientFlow() {
				if tt.want != FlowClient {
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
