package pricing

import (
	"context"
	"testing"
)

func TestApplyDiscount(t *testing.T) {
	got, err := ApplyDiscount(context.Background(), 999, 10)
	if err != nil || got != 899 {
		t.Fatalf("ApplyDiscount = %d, %v", got, err)
	}
	if _, err := ApplyDiscount(context.Background(), 100, 95); err == nil {
		t.Fatal("want an error for 95%")
	}
}
