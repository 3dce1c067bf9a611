package awsquery

import (
	"net/http"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/idplugin"
	"github.com/sesame-s3/sesame/internal/ldap"
	"github.com/sesame-s3/sesame/internal/oidc"
)

// The errors only IAM answers with.
var (
	ErrConcurrentModification = &APIError{Code: "ConcurrentModification", Message: "The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.", Status: http.StatusConflict}
	ErrDeleteConflict         = &APIError{Code: "DeleteConflict", Message: "The entity cannot be deleted because it still has subordinate entities.", Status: http.StatusConflict}
	ErrEntityAlreadyExists    = &APIError{Code: "EntityAlreadyExists", Message: "The entity already exists.", Status: http.StatusConflict}
	ErrIAMExpiredToken        = &APIError{Code: "ExpiredToken", Message: "The security token included in the request is expired.", Status: http.StatusForbidden}
	ErrInvalidInput           = &APIError{Code: "InvalidInput", Message: "The request was rejected because an invalid or out-of-range value was supplied for an input parameter.", Status: http.StatusBadRequest}
	ErrLimitExceeded          = &APIError{Code: "LimitExceeded", Message: "The request was rejected because it attempted to create resources beyond the current account limits.", Status: http.StatusConflict}
	ErrNoSuchEntity           = &APIError{Code: "NoSuchEntity", Message: "The request was rejected because it referenced a resource entity that does not exist.", Status: http.StatusNotFound}
	ErrServiceFailure         = &APIError{Code: "ServiceFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError}
	// errRootUser answers any IAM action that names the root user.
	errRootUser = ErrInvalidInput.WithMessage("The root user is configured on the server, not an IAM user, and cannot be managed through the IAM API.")
)

// The errors only STS answers with.
var (
	ErrSTSExpiredToken       = &APIError{Code: "ExpiredToken", Message: "The security token included in the request is expired", Status: http.StatusBadRequest}
	ErrInternalFailure       = &APIError{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError}
	ErrInvalidIdentityToken  = &APIError{Code: "InvalidIdentityToken", Message: "The web identity token that was passed could not be validated.", Status: http.StatusBadRequest}
	ErrExpiredTokenException = &APIError{Code: "ExpiredTokenException", Message: "The web identity token that was passed is expired.", Status: http.StatusBadRequest}
	ErrIDPRejectedClaim      = &APIError{Code: "IDPRejectedClaim", Message: "The identity provider's token was rejected.", Status: http.StatusForbidden}
	ErrIDPCommunicationError = &APIError{Code: "IDPCommunicationError", Message: "The request could not be fulfilled because the identity provider could not be reached.", Status: http.StatusBadRequest}
	ErrInvalidParameterValue = &APIError{Code: "InvalidParameterValue", Message: "An invalid or out-of-range value was supplied for the input parameter.", Status: http.StatusBadRequest}
	ErrPackedPolicyTooLarge  = &APIError{Code: "PackedPolicyTooLarge", Message: "The request was rejected because the total packed size of the session policies exceeds the limit.", Status: http.StatusBadRequest}
	// ErrSTSRequiresTLS answers a plain-http STS request on a server that
	// requires TLS for STS (Spec.RequireTLS).
	ErrSTSRequiresTLS = &APIError{Code: "AccessDenied", Message: "STS requires HTTPS on this server (SESAME_STS_REQUIRE_TLS): its responses carry secret keys and session tokens. Send the request to the https:// endpoint.", Status: http.StatusForbidden}
)

// The answers to the LDAP directory's errors. Every refused login gets
// the same one, so that callers cannot tell which usernames exist; a
// directory that cannot answer is a retryable 503, never a grant.
var (
	errLDAPDenied      = ErrAccessDenied.WithMessage("The LDAP username or password is not valid, or the account may not sign in here.")
	errLDAPUnavailable = ErrServiceUnavailable.WithMessage("The LDAP directory could not be reached; try again later.")
)

// The answers to the identity plugin's errors: its refusal (with its
// reason) and a malformed answer deny; a plugin that cannot be asked is a
// retryable 503, never a grant.
var (
	errPluginInvalid     = ErrAccessDenied.WithMessage("The identity plugin's answer was not valid, so the token is refused.")
	errPluginUnavailable = ErrServiceUnavailable.WithMessage("The identity plugin could not be reached or did not answer in time; try again later.")
)

// IAMCodes are the IAM API's own wire errors.
var IAMCodes = Codes{
	Internal:     ErrServiceFailure,
	BodyTooLarge: ErrInvalidInput,
	BadInput:     ErrInvalidInput,
	ExpiredToken: ErrIAMExpiredToken,
	WrongScope:   ErrInvalidAction,
	Domain: []Mapping{
		{iam.ErrNoSuchEntity, ErrNoSuchEntity},
		{iam.ErrEntityAlreadyExists, ErrEntityAlreadyExists},
		{iam.ErrDeleteConflict, ErrDeleteConflict},
		{iam.ErrLimitExceeded, ErrLimitExceeded},
		{iam.ErrInvalidInput, ErrInvalidInput},
		{iam.ErrRootUser, errRootUser},
		{store.ErrConflict, ErrConcurrentModification},
		{ldap.ErrUnavailable, errLDAPUnavailable},
	},
}

// STSCodes are the STS API's own wire errors.
var STSCodes = Codes{
	Internal:     ErrInternalFailure,
	BodyTooLarge: ErrValidation,
	BadInput:     ErrInvalidParameterValue,
	ExpiredToken: ErrSTSExpiredToken,
	WrongScope:   ErrSignatureDoesNotMatch,
	Domain: []Mapping{
		{oidc.ErrInvalidToken, ErrInvalidIdentityToken},
		{oidc.ErrExpiredToken, ErrExpiredTokenException},
		{oidc.ErrRejectedClaim, ErrIDPRejectedClaim},
		{oidc.ErrCommunication, ErrIDPCommunicationError},
		{oidc.ErrNoProvider, ErrInvalidIdentityToken},
		{iam.ErrExpiredToken, ErrExpiredTokenException},
		{iam.ErrPackedPolicyTooLarge, ErrPackedPolicyTooLarge},
		{ldap.ErrInvalidCredentials, errLDAPDenied},
		{ldap.ErrNoSuchUser, errLDAPDenied},
		{ldap.ErrAmbiguousUser, errLDAPDenied},
		{ldap.ErrGroupLimit, errLDAPDenied},
		{ldap.ErrUnavailable, errLDAPUnavailable},
		{idplugin.ErrDenied, ErrAccessDenied},
		{idplugin.ErrInvalidAnswer, errPluginInvalid},
		{idplugin.ErrUnavailable, errPluginUnavailable},
		// The handlers validate first; this is a second line, not a 500.
		{iam.ErrInvalidInput, ErrValidation},
	},
}
