"""Local stand-ins for OMDb, the IMDb fallback and api.ashish.me, with fault injection."""
