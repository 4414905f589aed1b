"""The service over HTTP: the app, the JSON API, the privacy center and console pages,
the notice page, and the security middleware."""
