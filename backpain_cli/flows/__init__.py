"""The use cases: one module a command's work (assess, review, listing, export, forget).

Each is a function that takes the parsed options (and, for the interview, an asker; for a
confirmation, a callback) and returns a finished result for output/ to render. They compose
the layers below (clinical/, records/, output/) and never prompt or print themselves: what
must be said while they work goes through the `Notices` the command passes in
(flows/notices.py). See docs/architecture.md.
"""
