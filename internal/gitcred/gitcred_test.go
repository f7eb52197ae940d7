package gitcred

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Attributes
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "blank line only", in: "\n", want: nil},
		{
			name: "git get",
			in:   "capability[]=authtype\ncapability[]=state\nprotocol=https\nhost=git.example.com\nwwwauth[]=Bearer realm=\"x\"\n\n",
			want: Attributes{{"capability[]", "authtype"}, {"capability[]", "state"}, {"protocol", "https"}, {"host", "git.example.com"}, {"wwwauth[]", `Bearer realm="x"`}},
		},
		{name: "no final newline", in: "protocol=https\nhost=h", want: Attributes{{"protocol", "https"}, {"host", "h"}}},
		{name: "stops at the blank line", in: "host=a\n\nhost=b\n", want: Attributes{{"host", "a"}}},
		{name: "CRLF", in: "protocol=https\r\nhost=h\r\n\r\nignored=1\r\n", want: Attributes{{"protocol", "https"}, {"host", "h"}}},
		{name: "value with = and spaces", in: "password=a=b c\n", want: Attributes{{"password", "a=b c"}}},
		{name: "empty value and unknown key", in: "username=\nx-future=1\n", want: Attributes{{"username", ""}, {"x-future", "1"}}},
		{name: "only one CR is a line end", in: "k=v\r\r\n", want: Attributes{{"k", "v\r"}}},
		{name: "no =", in: "protocol\n", wantErr: "line 1 is not key=value"},
		{name: "NUL", in: "host=a\x00b\n", wantErr: "NUL"},
		{name: "line too long", in: "k=" + strings.Repeat("x", MaxLine+1) + "\n", wantErr: "longer than"},
		{name: "too much", in: strings.Repeat("k="+strings.Repeat("x", 1000)+"\n", 1100), wantErr: "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrProtocol with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	as := Attributes{{"username", "a"}, {"capability[]", "state"}, {"username", "b"}, {"capability[]", "authtype"}, {"wwwauth[]", "x"}, {"wwwauth[]", ""}, {"wwwauth[]", "y"}}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"last value wins", as.Get("username"), "b"},
		{"absent", as.Get("password"), ""},
		{"array", as.Values("capability[]"), []string{"state", "authtype"}},
		{"empty value clears", as.Values("wwwauth[]"), []string{"y"}},
		{"capability", as.HasCapability("authtype"), true},
		{"no capability", as.HasCapability("nope"), false},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name    string
		in      Attributes
		want    string
		wantErr bool
	}{
		{name: "password", in: Attributes{{"username", "u"}, {"password", "p=q"}, {"password_expiry_utc", "1"}}, want: "username=u\npassword=p=q\npassword_expiry_utc=1\n"},
		{name: "nothing", in: nil, want: ""},
		{name: "newline in value", in: Attributes{{"password", "a\nhost=evil"}}, wantErr: true},
		{name: "NUL in value", in: Attributes{{"password", "a\x00"}}, wantErr: true},
		{name: "CR at the end", in: Attributes{{"password", "a\r"}}, wantErr: true},
		{name: "= in key", in: Attributes{{"a=b", "c"}}, wantErr: true},
		{name: "empty key", in: Attributes{{"", "c"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Write(&b, tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrProtocol) || b.Len() != 0 {
					t.Fatalf("err = %v, wrote %q; want ErrProtocol and nothing written", err, b.String())
				}
				return
			}
			if err != nil || b.String() != tt.want {
				t.Fatalf("got %q, %v; want %q", b.String(), err, tt.want)
			}
		})
	}
}

// FuzzParseAttributes: Parse never panics; what it returns can never smuggle
// an extra line; and whatever Write accepts reads back the same.
func FuzzParseAttributes(f *testing.F) {
	for _, s := range []string{
		"",
		"protocol=https\nhost=git.example.com\n\n",
		"capability[]=authtype\nprotocol=https\nhost=h:8443\npath=org/repo.git\nusername=u\n\n",
		"protocol=https\r\nhost=h\r\npassword=tok\r\n\r\n",
		"url=https://u@h/p\nwwwauth[]=Basic realm=\"x\"\nwwwauth[]=\n",
		"=\n", "k=v\r\r\n", "noequals\n", "a=\x00\n", "\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		as, err := Parse(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("error not ErrProtocol: %v", err)
			}
			return
		}
		for _, a := range as {
			if strings.ContainsAny(a.Key, "=\n\x00") || strings.ContainsAny(a.Value, "\n\x00") {
				t.Fatalf("attribute %q smuggles a line break, '=' or NUL", a)
			}
		}
		var b bytes.Buffer
		if err := Write(&b, as); err != nil {
			for _, a := range as {
				if a.Key == "" || strings.HasSuffix(a.Value, "\r") {
					return // what the protocol cannot send back
				}
			}
			t.Fatalf("Write refused what Parse read: %v", err)
		}
		back, err := Parse(&b)
		if err != nil || !reflect.DeepEqual(back, as) {
			t.Fatalf("round trip: %q -> %q (%v)", as, back, err)
		}
	})
}
