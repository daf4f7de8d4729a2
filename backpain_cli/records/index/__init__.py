"""The summary index: listings, histories and bulk exports without reading every file.

Session files are the truth; the index (a SQLite file in the user cache folder) only
remembers what the one reader (records/storage.py) made of each of them, so that a listing
of 100,000 sessions reads a few rows instead of every file. Its modules, by job:

- listing.py, the front door: what the commands ask for (a listing, a stream of rows, the
  latest visit of every client, the rows of a bulk export).
- reader.py: the rows in order, from the index or, when it cannot be used, from the files.
- sync.py: keeping the rows in step with the files.
- db.py: the SQLite file (where it lives, its tables, opening, resetting, pruning).
- codec.py: what a row holds and how it is encoded.
- order.py: the listing order, named once for the SQL and the file back-end.

How it keeps up with the files:

- Every save replaces a file by a rename, which changes its client folder's modification
  time (as notmuch relies on for maildir folders). So a listing stats each client folder
  and reads again only the folders whose stamp changed: new, removed and replaced sessions
  are found there, also those saved by another machine into the same folder.
- The rows a command shows (or uses, as `review --due` does) are each checked against their
  file's stamp (size, modification and change time, inode) and read again if it differs,
  so a file edited in place is shown as it is now.
- `export --all` / `--client` and `review --refresh` check every file's stamp, not only the
  changed folders: a file edited in place is caught there even if no listing showed it.
  They are also the remedy for a file system that does not update folder times (some
  network shares), the one case the listing alone would miss.
- A stamp taken too close to the file's own time proves nothing (another write in the same
  clock tick leaves the same stamp): such rows are read again at their next check.
- A change to the practitioner's questionnaires makes the rows they judge be read again.

Whatever goes wrong with the index (a corrupt file, another version's layout, locked by
another command for too long, a disk error) means it is rebuilt, or the files are read
directly: never a wrong answer, never a traceback. Deleting the index changes no output.

Nothing here prints; a first build over many folders reports its progress through
records/progress.py, which the command line sets when standard error is a terminal.
"""
