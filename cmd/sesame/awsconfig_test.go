package main

import "testing"

func TestSetINISection(t *testing.T) {
	keys := [][2]string{{"credential_process", "sesame credentials --profile p"}, {"region", "us-east-1"}}
	cases := []struct{ name, in, want string }{
		{"empty file", "", "[profile p]\ncredential_process = sesame credentials --profile p\nregion = us-east-1\n"},
		{"other sections kept", "[default]\nregion = eu-west-1\n",
			"[default]\nregion = eu-west-1\n\n[profile p]\ncredential_process = sesame credentials --profile p\nregion = us-east-1\n"},
		{"section replaced, other keys and nested blocks kept",
			"[profile p]\nregion = eu-west-1\ns3 =\n  addressing_style = path\ncredential_process = old\n  nested = x\n[profile q]\nregion = q\n",
			"[profile p]\ns3 =\n  addressing_style = path\ncredential_process = sesame credentials --profile p\nregion = us-east-1\n[profile q]\nregion = q\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := setINISection(tc.in, "profile p", keys); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
