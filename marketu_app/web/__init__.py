"""The HTTP side the browser sees: sign-in endpoints, cookies, security headers, socket and log limits."""
