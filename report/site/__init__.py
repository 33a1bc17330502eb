"""The report site: claim verdicts and figures -> Markdown pages -> an offline mkdocs site.

    build.py         build_report: evaluate every claim, write the pages, build the site
    pages.py         the generated pages, from the Jinja templates in templates/
    markdown.py      Markdown (and the HTML it passes through) for those pages
    reference.py     the check reference page, written from the check models
    spec_source.py   where a claim is written in its spec file, to quote on its page
    mkdocs_build.py  the mkdocs config and a strict programmatic build
    assets/          the site's own CSS and JS (plotly.js is copied in from the plotly package)
"""
