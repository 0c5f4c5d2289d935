package textutil

import "testing"

func TestNormalizeSpace(t *testing.T) {
	if got := NormalizeSpace("  a \t b\n c "); got != "a b c" {
		t.Fatalf("NormalizeSpace = %q", got)
	}
}

func TestIsCode(t *testing.T) {
	for s, want := range map[string]bool{"AB-12": true, "ab-12": false, "": false} {
		if got := IsCode(s); got != want {
			t.Errorf("IsCode(%q) = %v, want %v", s, got, want)
		}
	}
}
