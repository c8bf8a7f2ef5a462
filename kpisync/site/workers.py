"""Render the site's pages on every core: the build's jobs shared between forked processes.

A big org's site is a few thousand pages whose views and templates are pure Python, so one
process uses one core. Jobs (``kpisync.site.pages.site_jobs``) are independent, each writing its
own files into the staging directory, so each process takes the next job nobody has taken yet
until none is left (a shared counter): a process that is slowed down, by the exports it writes
meanwhile or by other work on the machine, simply takes fewer. A page's bytes are the same
whichever process writes it, so the build stays deterministic, and atomic, since the staging
directory is swapped in only after every process has finished.

Processes are forked (Linux), so they inherit the scorecard, the templates and the jobs
without pickling any of them; elsewhere, and for a small site where forking costs more than it
saves, the pages are rendered in this process. A worker reports back only its page count or
its error as text: a template error or a failed write reads exactly as it would have here.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from multiprocessing.connection import Connection

import jinja2

from kpisync.site.pages import Job

#: below this many jobs a site is rendered in one process (the sample sites of the tests are)
PARALLEL_MIN_JOBS = 400
#: at most this many processes, however many cores
MAX_WORKERS = 8

#: renders the jobs it is given, returns how many pages it wrote
RenderShare = Callable[[Iterable[Job]], int]


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
    taken = context.Value("q", 0)  # how many jobs the processes have taken, under its lock
    children = []
    # The scorecard and everything else built so far live as long as the build: the garbage
    # collector need not walk them again and again, nor a child copy each page it would touch.
    gc.freeze()
    try:
        for _ in range(1, workers):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(render, _next_jobs(jobs, taken), send),
                                    daemon=True)
            child.start()
            send.close()
            children.append((child, receive))
        pages = render(_next_jobs(jobs, taken))
        for child, receive in children:
            pages += _result(child, receive)
        return pages
    finally:
        for child, receive in children:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()
        gc.unfreeze()


def _next_jobs(jobs: Sequence[Job], taken) -> Iterator[Job]:
    """The jobs no process has taken yet, one at a time, until there are none."""
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(jobs):
            return
        yield jobs[index]


def _child(render: RenderShare, jobs: Iterable[Job], send: Connection) -> None:
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
