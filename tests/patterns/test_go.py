"""Go conventions from real Go sources written by the tests."""

from __future__ import annotations

from brainloop_tui.core.patterns.go import extract_go, read_go_file
from brainloop_tui.core.patterns.model import Pattern, SourceText

SERVER = '''package server

// Comments never count: panic("x"), go func(), log.Fatal(), chan int, err != nil
import (
	"context"
	"fmt"
	"net/http"

	log "github.com/sirupsen/logrus"
)

type userStore struct {
	users map[string]string
}

func (s *userStore) LookupUser(ctx context.Context, userID string) (string, error) {
	name, found := s.users[userID]
	if !found {
		return "", fmt.Errorf("user %s: %w", userID, errNotFound)
	}
	return name, nil
}

func ServeUsers(ctx context.Context, store *userStore) error {
	results := make(chan string, 1)
	go func() {
		results <- "go chan panic(" // a string: not code
	}()
	firstName, err := store.LookupUser(ctx, <-results)
	if err != nil {
		log.WithError(err).Warn("lookup failed")
		return err
	}
	fmt.Println(firstName)
	return http.ErrServerClosed
}
'''

MAIN = '''package main

import (
	"fmt"
	"os"

	log "github.com/sirupsen/logrus"
)

func main() {
	exitCode := run(os.Args)
	if exitCode != 0 {
		log.Fatalf("exit %d", exitCode)
	}
	fmt.Println("done")
}

func run(args []string) int {
	if len(args) > 5 {
		panic("too many arguments")
	}
	return 0
}
'''

SERVER_TEST = '''package server

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLookupUser_Missing(t *testing.T) {
	store := &userStore{users: map[string]string{}}
	_, err := store.LookupUser(context.Background(), "nobody")
	require.Error(t, err)
}
'''


def by_name(patterns: list[Pattern]) -> dict[str, Pattern]:
    return {pattern.name: pattern for pattern in patterns}


def project() -> list[SourceText]:
    return [
        SourceText("cmd/main.go", MAIN),
        SourceText("server/server.go", SERVER),
        SourceText("server/server_test.go", SERVER_TEST),
    ]


def test_read_go_file_sees_code_and_ignores_comments_and_strings() -> None:
    facts = read_go_file(SERVER)
    assert facts.imports == ["context", "fmt", "net/http", "github.com/sirupsen/logrus"]
    assert facts.declared == [
        "userStore", "LookupUser", "name", "found", "ServeUsers", "results", "firstName", "err"
    ]
    assert (facts.goroutines, facts.channels, facts.panics, facts.fatals) == (1, 1, 0, 0)
    assert (facts.returned_errors, facts.error_checks, facts.context_uses) == (2, 1, 2)


def test_go_patterns_of_a_small_project() -> None:
    found = by_name(extract_go(project()))
    assert found["naming"].value == "camelCase"
    # userStore, LookupUser, ServeUsers, firstName, exitCode; single words and TestX_Y say nothing
    assert found["naming"].evidence.counts == {"camelCase": 5}
    assert found["imports"].value.split(", ")[:2] == ["context", "fmt"]
    assert found["imports"].evidence.counts["github.com/sirupsen/logrus"] == 2
    assert found["error_handling"].value == "returned errors"
    assert found["error_handling"].evidence.counts == {
        "returned errors": 2, "panic": 1, "log.Fatal": 1, "if err != nil": 1
    }
    assert found["logging"].value == "logrus"
    assert found["logging"].evidence.files == ["cmd/main.go", "server/server.go"]
    assert found["test_framework"].value == "testify"
    assert found["context"].value == "used in most files"
    assert found["context"].evidence.counts == {"files": 3, "files_using": 2, "uses": 4}
    assert found["goroutines"].value == "used in some files"
    assert found["channels"].evidence.files == ["server/server.go"]
    for pattern in found.values():
        assert 0 < pattern.confidence < 1
        assert len(pattern.evidence.files) <= 5


def test_snake_case_panic_heavy_ginkgo_project() -> None:
    code = '''package legacy

import (
	"go.uber.org/zap"
	. "github.com/onsi/ginkgo/v2"
)

func load_config(file_name string) string {
	raw_value := read(file_name)
	if raw_value == "" {
		panic("empty config")
	}
	zap.L().Info("loaded")
	return raw_value
}

var _ = Describe("config", func() {
	It("loads", func() { panic("not yet") })
})
'''
    found = by_name(extract_go([SourceText("legacy/config_test.go", code)]))
    assert found["naming"].value == "snake_case"
    assert found["error_handling"].value == "panic"
    assert found["logging"].value == "zap"
    assert found["test_framework"].value == "ginkgo"
    assert found["goroutines"].value == "not used"
    assert found["context"].value == "not used"


def test_more_evidence_gives_more_confidence() -> None:
    one = by_name(extract_go(project()[:1]))
    many = by_name(extract_go([SourceText(f"pkg{n}/main.go", MAIN) for n in range(20)]))
    assert one["logging"].value == many["logging"].value == "logrus"
    assert one["logging"].confidence < many["logging"].confidence
    assert many["logging"].evidence.files == [f"pkg{n}/main.go" for n in range(5)]


def test_no_go_files_no_go_patterns() -> None:
    assert extract_go([]) == []
