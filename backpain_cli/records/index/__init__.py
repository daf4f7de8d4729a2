"""The summary index: listings, histories and bulk exports without reading every file.

listing.py is its front door (what the commands call); reader.py gives rows from the index
or the files; db.py is its SQLite file.
"""
