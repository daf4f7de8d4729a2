"""Session files: the session model and its codecs, storage and the summary of sessions."""
