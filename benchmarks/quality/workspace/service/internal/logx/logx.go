// Package logx is the service's structured logger: a message and key-value pairs, one line each,
// in the style of log/slog (which the service's Go 1.19 toolchain predates).
package logx

import (
	"fmt"
	"io"
	"log"
	"os"
	"strings"
)

// Logger writes leveled, structured lines.
type Logger struct {
	out   *log.Logger
	attrs []any
}

// New returns a logger writing to w.
func New(w io.Writer) *Logger {
	return &Logger{out: log.New(w, "", log.LstdFlags|log.LUTC)}
}

// Default is the logger of the whole service, writing to stderr.
var Default = New(os.Stderr)

// With returns a logger that adds the given key-value pairs to every line.
func (l *Logger) With(args ...any) *Logger {
	return &Logger{out: l.out, attrs: append(append([]any{}, l.attrs...), args...)}
}

// Info logs a message at level INFO.
func (l *Logger) Info(msg string, args ...any) { l.write("INFO", msg, args) }

// Warn logs a message at level WARN.
func (l *Logger) Warn(msg string, args ...any) { l.write("WARN", msg, args) }

// Error logs a message at level ERROR.
func (l *Logger) Error(msg string, args ...any) { l.write("ERROR", msg, args) }

func (l *Logger) write(level, msg string, args []any) {
	var b strings.Builder
	fmt.Fprintf(&b, "level=%s msg=%q", level, msg)
	all := append(append([]any{}, l.attrs...), args...)
	for i := 0; i+1 < len(all); i += 2 {
		fmt.Fprintf(&b, " %v=%v", all[i], all[i+1])
	}
	l.out.Print(b.String())
}
