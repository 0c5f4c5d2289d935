// Package textutil holds small string helpers shared by the service's packages.
package textutil

import (
	"strings"
	"unicode"
)

// NormalizeSpace trims s and collapses every run of white space inside it into one space.
func NormalizeSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// IsCode reports whether s is a non-empty run of upper-case letters, digits and dashes.
func IsCode(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(unicode.IsUpper(r) || unicode.IsDigit(r) || r == '-') {
			return false
		}
	}
	return true
}
