package s3

// objectLockEnabled reports whether the request's bucket was created with
// Object Lock. Object Lock is not implemented yet, so none is.
func (a *API) objectLockEnabled(*request) (bool, error) { return false, nil }

// checkVersionDelete refuses the permanent deletion of a locked version.
// Object Lock is not implemented yet: no version is locked.
func (a *API) checkVersionDelete(*request, string, string) error { return nil }
