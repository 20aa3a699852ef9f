"""gunicorn's settings for SafeHome; gunicorn reads this file from the directory it starts in.

Why the threaded worker with one thread: a sync worker that accepts a
connection waits on it until a request arrives, so a browser's idle
keep-alive connection (or a slow client) holds a whole worker. Under 100
users browsing, two sync workers spent their time waiting for clicks and p95
was 2 s with the CPU half idle (bench/RESULTS.md). The gthread worker parks
idle connections in its event loop and hands a connection to its thread only
once a request has arrived. One thread per worker, because the pages are CPU
work under Python's lock (two threads measured slower) and each worker keeps
its own unit pool for suggestions.
"""
import os

worker_class = "gthread"
threads = 1
# Two per core: while one worker waits on the database or a client's socket, another computes.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
# Longer than a person reads a page before the next click, so their connection is still there.
keepalive = 30
