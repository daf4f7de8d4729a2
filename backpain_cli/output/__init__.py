"""What people and other programs read: the terminal, Markdown, HTML, PDF, FHIR, CSV, JSON."""
