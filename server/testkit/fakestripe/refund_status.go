package fakestripe

import (
	"fmt"
	"time"
)

// Refunds that fail (the card was closed, the bank returned the money) or
// are cancelled: the money stays with the merchant. The refund's status
// changes, its charge's amount_refunded goes down by it (and refunded is
// false again), and charge.refund.updated is emitted with the refund.

// FailRefund makes a refund fail with reason (default
// "expired_or_canceled_card").
func (s *Server) FailRefund(account, refundID, reason string, at time.Time) {
	if reason == "" {
		reason = "expired_or_canceled_card"
	}
	s.endRefund(account, refundID, "failed", reason, at)
}

// CancelRefund cancels a refund.
func (s *Server) CancelRefund(account, refundID string, at time.Time) {
	s.endRefund(account, refundID, "canceled", "", at)
}

func (s *Server) endRefund(account, refundID, status, reason string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, o := s.find(account, refundID, "refund")
	re := o.v.(*refund)
	if re.status != "" {
		panic(fmt.Sprintf("fakestripe: refund %s is already %s", refundID, re.status))
	}
	prev := map[string]any{"status": refundStatus(re)}
	if status == "failed" {
		prev["failure_reason"] = nil
		prev["failure_balance_transaction"] = nil
	}
	re.status, re.failureReason = status, reason
	ch := p.objects[re.charge].v.(*charge)
	ch.refunded -= re.amount
	s.emit(p, "charge.refund.updated", at, o, prev, false)
}

// RefundsOf returns the re_… ids of a charge's refunds, newest first.
func (s *Server) RefundsOf(account, chargeID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, o := s.find(account, chargeID, "charge")
	return append([]string(nil), o.v.(*charge).refunds...)
}

func refundStatus(re *refund) string {
	if re.status == "" {
		return "succeeded"
	}
	return re.status
}
