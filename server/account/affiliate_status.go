package account

import (
	"context"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// StatusAction is what a merchant does to an affiliate's standing.
type StatusAction string

// The merchant's status actions (API, dashboard).
const (
	Approve  StatusAction = "approve"
	Reject   StatusAction = "reject"
	Suspend  StatusAction = "suspend"
	Activate StatusAction = "activate"
)

// StatusTransition is the rule of the status actions: the status an
// action leads to and the statuses it may start from. Repeating an action
// (approving an active affiliate) changes nothing and is no error.
//
//	approve:  pending, rejected → active (an applicant is let in; mailed)
//	reject:   pending → rejected (an applicant is turned away)
//	suspend:  active → suspended (stops their clicks and portal access)
//	activate: any → active (the merchant's override: re-activates a
//	          suspended or rejected affiliate; from pending it is an
//	          approval and mails it)
//
// Anything else (approve a suspended affiliate, reject an active one,
// suspend an applicant) is a conflict that names the action to use.
func StatusTransition(action StatusAction, from tracklane.AffiliateStatus) (tracklane.AffiliateStatus, error) {
	switch action {
	case Approve:
		switch from {
		case tracklane.AffiliatePending, tracklane.AffiliateRejected, tracklane.AffiliateActive:
			return tracklane.AffiliateActive, nil
		}
		return "", apperr.Errorf(apperr.Conflict, "only an applicant (pending or rejected) can be approved; this affiliate is %s: use activate", from)
	case Reject:
		switch from {
		case tracklane.AffiliatePending, tracklane.AffiliateRejected:
			return tracklane.AffiliateRejected, nil
		}
		return "", apperr.Errorf(apperr.Conflict, "only an applicant (pending) can be rejected; this affiliate is %s: use suspend", from)
	case Suspend:
		switch from {
		case tracklane.AffiliateActive, tracklane.AffiliateSuspended:
			return tracklane.AffiliateSuspended, nil
		}
		return "", apperr.Errorf(apperr.Conflict, "only an active affiliate can be suspended; this one is %s", from)
	case Activate:
		return tracklane.AffiliateActive, nil
	}
	return "", apperr.Errorf(apperr.Invalid, "unknown action %q", capRunes(string(action), 20))
}

// actionTarget is the status each action leads to.
var actionTarget = map[StatusAction]tracklane.AffiliateStatus{
	Approve: tracklane.AffiliateActive, Reject: tracklane.AffiliateRejected,
	Suspend: tracklane.AffiliateSuspended, Activate: tracklane.AffiliateActive,
}

// SetAffiliateStatus applies a status action to one of the tenant's
// affiliates (StatusTransition). Letting an applicant in mails them
// (application approved), in the same transaction.
func (s Service) SetAffiliateStatus(ctx context.Context, tenantID, id string, action StatusAction) (tracklane.Affiliate, error) {
	t, err := s.Store.Tenant(ctx, tenantID)
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	to, ok := actionTarget[action]
	if !ok {
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Invalid, "unknown action %q", capRunes(string(action), 20))
	}
	return s.Store.SetAffiliateStatus(ctx, tenantID, id, store.StatusChange{
		To: to,
		Allowed: func(from tracklane.AffiliateStatus) error {
			_, err := StatusTransition(action, from)
			return err
		},
		Mail: func(before tracklane.Affiliate) *mail.Message {
			if to != tracklane.AffiliateActive || (before.Status != tracklane.AffiliatePending && before.Status != tracklane.AffiliateRejected) {
				return nil
			}
			m := applicationApprovedMail.message(t.ID, before.Email, mailData{
				Program: t.Name, Name: before.Name, Email: before.Email, Link: s.PortalURL(t) + "/login",
			})
			return &m
		},
	})
}
