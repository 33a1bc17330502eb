"""`claimlab report`: check every claim of the given specs and build the site; with
--serve, serve it over HTTP until interrupted."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from claimlab.archives import spec_archive
from claimlab.options import add_spec_options
from claimlab.problems import UserError
from claimlab.specs import load_spec, spec_paths
from runtime.archive import ArchiveError, merge

DEFAULT_OUT = Path("build/site")


def add_parser(sub: argparse._SubParsersAction, default_results: Path) -> None:
    p = sub.add_parser("report", help="evaluate claims and build the report site",
                       description="Evaluate each claim of the given specs over the finished "
                                   "runs (first adding the spec's committed results, "
                                   "<spec folder>/results/<spec name>.tar.xz, where the results "
                                   "directory lacks them) and build the mkdocs-material site. "
                                   "The site works opened from its folder; --serve also serves "
                                   "it over HTTP.")
    p.add_argument("specs", type=Path, nargs="*", metavar="SPEC",
                   help="spec files (default: every *.yaml directly under specs/)")
    p.add_argument("--results", type=Path, default=default_results, metavar="DIR",
                   help=f"results directory (default: {default_results}/)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                   help=f"where to write the site (default: {DEFAULT_OUT}/)")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="the site's mkdocs config (default: ./mkdocs.yml if there is one, "
                        "else the report's own)")
    p.add_argument("--serve", action="store_true",
                   help="after building, serve the site at http://HOST:PORT/ until Ctrl-C")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to serve on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000,
                   help="port to serve on; 0 picks a free one (default: 8000)")
    add_spec_options(p)
    p.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    # plotly, pandas and mkdocs load only when reporting.
    from report.errors import ReportError
    from report.site.build import build_report

    entries = []
    for path in spec_paths(args.specs):
        compiled = load_spec(path, args.profiles, args.sets)
        entries.append((compiled.spec, compiled.plan, path))
        _merge_committed(spec_archive(path, compiled.spec.name, args.profiles), args.results)
    try:
        result = build_report(entries, args.results, args.out, config_file=args.config)
    except ReportError as error:
        raise UserError(str(error)) from None
    print(result.describe(), flush=True)
    if args.serve:
        serve(result.site_dir, args.host, args.port)
    return 0


def _merge_committed(archive: Path, results: Path) -> None:
    """A spec's committed results, added to the results directory where it lacks them, so a
    clean clone reports every claim without training (and local runs are never replaced)."""
    if not archive.is_file():
        return
    try:
        merged = merge(archive, results)
    except ArchiveError as error:
        raise UserError(str(error)) from None
    if merged.added:
        print(f"{archive}: {len(merged.added)} committed runs added to {results}/runs/")
    for run_id in merged.conflicts:
        print(f"{archive}: run {run_id} here differs from the committed one; reporting the one "
              f"in {results}/runs/", file=sys.stderr)


def serve(site_dir: Path, host: str, port: int) -> None:
    """Serve `site_dir` until interrupted. A later `claimlab report` into the same folder
    is served as soon as it is built."""
    import http.server  # with the ssl it loads, only for --serve: not at every command's start

    handler = functools.partial(_site_handler(), directory=str(site_dir))
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        raise UserError(f"cannot serve on {host}:{port}: {error.strerror}") from None
    with server:
        bound_host, bound_port = server.server_address[:2]
        print(f"serving the report at http://{bound_host}:{bound_port}/ (Ctrl-C to stop)",
              flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped serving")


def _site_handler() -> type:
    import http.server

    class SiteHandler(http.server.SimpleHTTPRequestHandler):
        """Files from the site; a missing one gets the site's own 404 page, as a web host
        serving the site would give it."""

        def send_error(self, code: int, message: str | None = None,
                       explain: str | None = None) -> None:
            page = Path(self.directory) / "404.html"
            if code != 404 or not page.is_file():
                super().send_error(code, message, explain)
                return
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """One line per request would bury the address printed above."""

    return SiteHandler
