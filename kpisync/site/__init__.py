"""site: a Scorecard in, a static HTML scorecard site and its CSV/JSON exports out.

``views`` turns the scorecard into formatted text (templates do no arithmetic), ``build``
renders the jinja2 templates and swaps the finished site into place atomically, ``exports``
writes data/scores.csv and data/scores.json, ``serve`` serves a built site on 127.0.0.1.
"""

from kpisync.site.build import SiteReport, build_site, template_dir
from kpisync.site.exports import write_scores_csv, write_scores_json

__all__ = ["SiteReport", "build_site", "template_dir", "write_scores_csv", "write_scores_json"]
