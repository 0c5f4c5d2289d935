// Package pricing computes prices in integer cents.
package pricing

import (
	"context"
	"fmt"

	"example.com/inventory/internal/logx"
)

// MaxDiscountPercent is the largest discount a price may get.
const MaxDiscountPercent = 90

// ApplyDiscount returns priceCents with percent taken off, rounded to the nearest cent.
func ApplyDiscount(ctx context.Context, priceCents int64, percent int) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("apply discount: %w", err)
	}
	if percent < 0 || percent > MaxDiscountPercent {
		return 0, fmt.Errorf("apply discount: percent must be 0..%d, got %d", MaxDiscountPercent, percent)
	}
	discounted := (priceCents*int64(100-percent) + 50) / 100
	logx.Default.Info("discount applied", "percent", percent, "from", priceCents, "to", discounted)
	return discounted, nil
}
