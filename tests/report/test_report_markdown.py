import json
import re

import markdown
import plotly.graph_objects as go

from report.site.markdown import (
    code_block,
    duration,
    external_link,
    figure,
    gpu_hours,
    quantity,
    table_row,
)


def render(text: str) -> str:
    return markdown.markdown(text, extensions=["tables", "fenced_code"])


def test_table_cells_keep_pipes_and_markup_as_text():
    row = table_row(["a | b", "<b>bold</b>", "*not emphasis*"])
    page = render("| x | y | z |\n| --- | --- | --- |\n" + row)
    assert page.count("<td>") == 3
    assert "<b>" not in page and "<em>" not in page


def test_code_block_cannot_be_closed_by_its_text():
    text = "statement: |\n  ```\n  </code><script>x</script>\n  ````\n"
    page = render(code_block(text, "yaml"))
    assert page.count("<code") == 1
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_only_web_links_are_followed():
    assert external_link("paper", "https://arxiv.org/abs/1") == \
        '<a href="https://arxiv.org/abs/1">paper</a>'
    assert "<a" not in external_link("paper", "javascript:alert(1)")
    assert "<a" not in external_link("paper", None)


def test_figure_json_cannot_end_its_script_element():
    title = "</script><script>alert(1)</script> & <!--"
    html = figure(go.Figure(layout={"title": {"text": title}}))
    payload = re.fullmatch(r'<div class="claimlab-figure"><script type="application/json">'
                           r"(.*)</script></div>", html).group(1)
    assert "<" not in payload and ">" not in payload
    assert json.loads(payload)["layout"]["title"]["text"] == title


def test_scales_read_as_a_person_writes_them():
    assert [quantity(v) for v in (None, 950, 12_345, 12_345_678, 4.1e9)] == \
        ["–", "950", "12.3k", "12.3M", "4.1B"]
    assert [duration(s) for s in (42, 66, 14 * 60, 3 * 3600 + 1800)] == \
        ["42 s", "1.1 min", "14 min", "3.5 h"]
    assert [gpu_hours(h) for h in (0.001, 0.05, 3.21, 5.95, 1234.5)] == \
        ["<0.01 GPU-h", "0.050 GPU-h", "3.2 GPU-h", "6.0 GPU-h", "1,234 GPU-h"]
