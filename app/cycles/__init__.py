"""The end of a cycle: the certificate of participation (page and PDF) and the application for a next cycle."""
