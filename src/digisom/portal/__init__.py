"""The public transparency portal: server-rendered pages (Jinja2, no JavaScript) in Kyrgyz,
Russian and English over the domains' public read models, served at `/` with no sign-in
(docs/portal.md)."""
