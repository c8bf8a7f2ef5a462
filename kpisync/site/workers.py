"""Render the site's pages on every core: the build's jobs split between forked processes.

A big org's site is a few thousand pages whose views and templates are pure Python, so one
process uses one core. Jobs (``kpisync.site.pages.site_jobs``) are independent, each writing its
own files into the staging directory, so they are dealt out in turn (job 0 to process 0, job 1
to process 1, ...) and a page's bytes are the same whichever process writes it: the build stays
deterministic, and atomic, since the staging directory is swapped in only after every process
has finished.

Processes are forked (Linux), so they inherit the scorecard, the templates and the jobs
without pickling any of them; elsewhere, and for a small site where forking costs more than it
saves, the pages are rendered in this process. A worker reports back only its page count or
its error as text: a template error or a failed write reads exactly as it would have here.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection

import jinja2

from kpisync.site.pages import Job

#: below this many jobs a site is rendered in one process (the sample sites of the tests are)
PARALLEL_MIN_JOBS = 400
#: at most this many processes, however many cores
MAX_WORKERS = 8

#: renders one share of the jobs, returns how many pages it wrote
RenderShare = Callable[[Sequence[Job]], int]


def worker_count(jobs: int) -> int:
    """How many processes render ``jobs``: one per usable core, one for a small site or where
    processes cannot be forked."""
    if jobs < PARALLEL_MIN_JOBS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, MAX_WORKERS))


def render_all(jobs: Sequence[Job], render: RenderShare, workers: int) -> int:
    """Run ``render`` over ``jobs`` in ``workers`` processes (this one included); returns the
    pages written. An error in any process is raised here once all of them have stopped."""
    if workers <= 1:
        return render(jobs)
    context = multiprocessing.get_context("fork")
    children = []
    try:
        for index in range(1, workers):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(render, jobs[index::workers], send),
                                    daemon=True)
            child.start()
            send.close()
            children.append((child, receive))
        pages = render(jobs[0::workers])
        for child, receive in children:
            pages += _result(child, receive)
        return pages
    finally:
        for child, receive in children:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()


def _child(render: RenderShare, jobs: Sequence[Job], send: Connection) -> None:
    try:
        outcome = ("pages", render(jobs))
    except jinja2.TemplateSyntaxError as exc:
        outcome = ("template", f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}")
    except jinja2.TemplateError as exc:
        outcome = ("template", str(exc))
    except OSError as exc:
        outcome = ("os", str(exc))
    except BaseException:  # a bug: shown with its traceback from the worker
        outcome = ("crash", traceback.format_exc())
    send.send(outcome)
    send.close()


def _result(child, receive: Connection) -> int:
    try:
        kind, value = receive.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"a site rendering process died (exit code {child.exitcode})") \
            from None
    if kind == "pages":
        return value
    if kind == "template":
        raise jinja2.TemplateError(value)
    if kind == "os":
        raise OSError(value)
    raise RuntimeError(f"a site rendering process failed:\n{value}")
