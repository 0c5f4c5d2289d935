package stock

import (
	"context"
	"errors"
	"io"
	"testing"

	"example.com/inventory/internal/logx"
)

func TestAddRemove(t *testing.T) {
	ctx := context.Background()
	s := NewStore(logx.New(io.Discard))
	if _, err := s.Add(ctx, "AB-1", 3); err != nil {
		t.Fatal(err)
	}
	left, err := s.Remove(ctx, "AB-1", 2)
	if err != nil || left != 1 {
		t.Fatalf("Remove = %d, %v", left, err)
	}
	if _, err := s.Remove(ctx, "AB-1", 5); !errors.Is(err, ErrOutOfStock) {
		t.Fatalf("want ErrOutOfStock, got %v", err)
	}
	if _, err := s.Remove(ctx, "ZZ-9", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}
