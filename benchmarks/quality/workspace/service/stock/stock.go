// Package stock keeps the units in stock per SKU.
package stock

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"example.com/inventory/internal/logx"
)

// ErrNotFound is returned for an SKU that was never stocked.
var ErrNotFound = errors.New("sku not found")

// ErrOutOfStock is returned when a removal asks for more units than are in stock.
var ErrOutOfStock = errors.New("out of stock")

// Store holds the quantity of each SKU; it is safe for concurrent use.
type Store struct {
	mu         sync.Mutex
	quantities map[string]int
	log        *logx.Logger
}

// NewStore returns an empty store logging to logger.
func NewStore(logger *logx.Logger) *Store {
	return &Store{quantities: map[string]int{}, log: logger.With("component", "stock")}
}

// Add adds units of an SKU and returns the new quantity.
func (s *Store) Add(ctx context.Context, sku string, quantity int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("add %s: %w", sku, err)
	}
	if quantity <= 0 {
		return 0, fmt.Errorf("add %s: quantity must be positive, got %d", sku, quantity)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quantities[sku] += quantity
	s.log.Info("added", "sku", sku, "quantity", quantity, "now", s.quantities[sku])
	return s.quantities[sku], nil
}

// Remove takes units of an SKU out of stock and returns what is left.
func (s *Store) Remove(ctx context.Context, sku string, quantity int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("remove %s: %w", sku, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	have, ok := s.quantities[sku]
	if !ok {
		return 0, fmt.Errorf("remove %s: %w", sku, ErrNotFound)
	}
	if quantity > have {
		return 0, fmt.Errorf("remove %d of %s (%d in stock): %w", quantity, sku, have, ErrOutOfStock)
	}
	s.quantities[sku] = have - quantity
	s.log.Info("removed", "sku", sku, "quantity", quantity, "now", s.quantities[sku])
	return s.quantities[sku], nil
}

// Quantity returns the units of an SKU in stock (0 for an SKU never stocked).
func (s *Store) Quantity(sku string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quantities[sku]
}
