"""One HTTP client per upstream: OMDb, the IMDb fallback, api.ashish.me."""
